-- Trigram indexes serve search in languages that PostgreSQL's text search does not segment (Chinese).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
