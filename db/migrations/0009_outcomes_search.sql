-- Search (GET /v1/search) over meetings, decisions, issues and materials, in any language.
-- PostgreSQL's text search does not segment Chinese, so matching is substring matching:
--  * queries of 3+ characters: ILIKE '%q%' served by a trigram GIN index (pg_trgm extracts
--    trigrams from the pattern, CJK included under a UTF-8 ctype);
--  * queries of 1-2 characters, which have no trigram: an array of every 1- and 2-character
--    substring (liaison_short_grams) in a GIN index, matched with @> ARRAY[q].
-- Each index leads with organization_id (btree_gin) so a search reads one organisation's entries.
-- The indexed expressions must stay identical to the ones in src/search/documents.ts.
CREATE EXTENSION IF NOT EXISTS btree_gin;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION liaison_short_grams(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT coalesce(array_agg(DISTINCT g), '{}')
  FROM (
    SELECT substr(l, i, n) AS g
    FROM (SELECT lower(doc) AS l) s
    CROSS JOIN LATERAL generate_series(1, char_length(s.l)) AS i
    CROSS JOIN (VALUES (1), (2)) AS v(n)
    WHERE i + n - 1 <= char_length(s.l)
  ) grams
  WHERE g !~ '^\s+$'
$$;
--> statement-breakpoint
CREATE INDEX "meetings_search_trgm_idx" ON "meetings" USING gin ("organization_id", (coalesce("title", '') || E'\n' || coalesce("objective", '')) gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "meetings_search_grams_idx" ON "meetings" USING gin ("organization_id", liaison_short_grams(coalesce("title", '') || E'\n' || coalesce("objective", '')));
--> statement-breakpoint
CREATE INDEX "decisions_search_trgm_idx" ON "decisions" USING gin ("organization_id", (coalesce("title", '') || E'\n' || coalesce("statement", '') || E'\n' || coalesce("rationale", '')) gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "decisions_search_grams_idx" ON "decisions" USING gin ("organization_id", liaison_short_grams(coalesce("title", '') || E'\n' || coalesce("statement", '') || E'\n' || coalesce("rationale", '')));
--> statement-breakpoint
CREATE INDEX "issues_search_trgm_idx" ON "issues" USING gin ("organization_id", (coalesce("title", '') || E'\n' || coalesce("description", '')) gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "issues_search_grams_idx" ON "issues" USING gin ("organization_id", liaison_short_grams(coalesce("title", '') || E'\n' || coalesce("description", '')));
--> statement-breakpoint
CREATE INDEX "materials_search_trgm_idx" ON "materials" USING gin ("organization_id", (coalesce("title", '') || E'\n' || coalesce("file_name", '')) gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "materials_search_grams_idx" ON "materials" USING gin ("organization_id", liaison_short_grams(coalesce("title", '') || E'\n' || coalesce("file_name", '')));
--> statement-breakpoint
-- A published revision of minutes never changes: the database refuses any update or delete.
CREATE OR REPLACE FUNCTION liaison_refuse_revision_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'published minutes revisions are immutable' USING ERRCODE = 'restrict_violation';
END
$$;
--> statement-breakpoint
CREATE TRIGGER "minutes_revisions_immutable" BEFORE UPDATE OR DELETE ON "minutes_revisions"
FOR EACH ROW EXECUTE FUNCTION liaison_refuse_revision_change();
--> statement-breakpoint
-- Carry-over asks "was this agenda item already carried anywhere?" (src/meetings/follow-up.ts).
CREATE INDEX "agenda_items_org_carried_from_idx" ON "agenda_items" ("organization_id", "carried_from_id") WHERE "carried_from_id" IS NOT NULL;
