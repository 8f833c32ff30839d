-- Search GIN indexes (0012): a pending list of at most 256 kB instead of the default 4 MB.
-- With fastupdate, new entries wait in an unordered pending list that every search through the
-- index reads in full; after a bulk load of 50,000 rows (ANALYZE does not flush it, only VACUUM
-- does) that was ~450 pages and ~2 ms on every GIN lookup, more than the lookup itself. A short
-- list keeps inserts batched (a flush every ~32 pages) and lookups cheap.
ALTER INDEX "meetings_search_trgm_idx" SET (gin_pending_list_limit = 256);
--> statement-breakpoint
ALTER INDEX "meetings_search_grams_idx" SET (gin_pending_list_limit = 256);
--> statement-breakpoint
ALTER INDEX "decisions_search_trgm_idx" SET (gin_pending_list_limit = 256);
--> statement-breakpoint
ALTER INDEX "decisions_search_grams_idx" SET (gin_pending_list_limit = 256);
--> statement-breakpoint
ALTER INDEX "issues_search_trgm_idx" SET (gin_pending_list_limit = 256);
--> statement-breakpoint
ALTER INDEX "issues_search_grams_idx" SET (gin_pending_list_limit = 256);
--> statement-breakpoint
ALTER INDEX "materials_search_trgm_idx" SET (gin_pending_list_limit = 256);
--> statement-breakpoint
ALTER INDEX "materials_search_grams_idx" SET (gin_pending_list_limit = 256);
