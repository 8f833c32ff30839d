-- Search indexes, second cut (replaces those of 0009_outcomes_search.sql), after EXPLAIN over
-- 20,000-row tables:
--  * The GIN indexes hold no organization_id column: a GIN index has no order for it to lead,
--    and with it (btree_gin) every lookup also reads the organisation's whole posting list, which
--    the planner prices so high that it filtered the organisation's rows instead (80-150 ms).
--    The organisation is checked on the rows the text matched; distributed by organisation
--    (Citus), each shard's index covers only its own organisations.
--  * liaison_short_grams without generate_series and DISTINCT: ~15 times cheaper per row, which
--    every insert and every update of a searched column pays.
-- The indexed expressions must stay identical to the ones in src/search/documents.ts.
DROP INDEX IF EXISTS "meetings_search_trgm_idx", "meetings_search_grams_idx", "decisions_search_trgm_idx", "decisions_search_grams_idx", "issues_search_trgm_idx", "issues_search_grams_idx", "materials_search_trgm_idx", "materials_search_grams_idx";
--> statement-breakpoint
-- Every 1-character substring, plus the 2-character substrings starting at even and at odd
-- offsets (GIN ignores duplicate elements). Written as one expression of string functions so it
-- is inlined and cheap (~0.1 ms for a title and a paragraph), since every insert computes it.
CREATE OR REPLACE FUNCTION liaison_short_grams(doc text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT regexp_split_to_array(lower(doc), '')
      || regexp_split_to_array(regexp_replace(lower(doc), '(..)', E'\\1\x01', 'g'), E'\x01')
      || regexp_split_to_array(regexp_replace(substr(lower(doc), 2), '(..)', E'\\1\x01', 'g'), E'\x01')
$$;
--> statement-breakpoint
CREATE INDEX "meetings_search_trgm_idx" ON "meetings" USING gin ((coalesce("title", '') || E'\n' || coalesce("objective", '')) gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "meetings_search_grams_idx" ON "meetings" USING gin (liaison_short_grams(coalesce("title", '') || E'\n' || coalesce("objective", '')));
--> statement-breakpoint
CREATE INDEX "decisions_search_trgm_idx" ON "decisions" USING gin ((coalesce("title", '') || E'\n' || coalesce("statement", '') || E'\n' || coalesce("rationale", '')) gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "decisions_search_grams_idx" ON "decisions" USING gin (liaison_short_grams(coalesce("title", '') || E'\n' || coalesce("statement", '') || E'\n' || coalesce("rationale", '')));
--> statement-breakpoint
CREATE INDEX "issues_search_trgm_idx" ON "issues" USING gin ((coalesce("title", '') || E'\n' || coalesce("description", '')) gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "issues_search_grams_idx" ON "issues" USING gin (liaison_short_grams(coalesce("title", '') || E'\n' || coalesce("description", '')));
--> statement-breakpoint
CREATE INDEX "materials_search_trgm_idx" ON "materials" USING gin ((coalesce("title", '') || E'\n' || coalesce("file_name", '')) gin_trgm_ops);
--> statement-breakpoint
CREATE INDEX "materials_search_grams_idx" ON "materials" USING gin (liaison_short_grams(coalesce("title", '') || E'\n' || coalesce("file_name", '')));
