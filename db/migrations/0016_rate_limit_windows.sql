-- Rate-limit counters shared by every API process (src/platform/shared-counters.ts): each process
-- adds what it counted in a fixed, wall-clock-aligned window every few tens of milliseconds and
-- reads back the cluster-wide total; rows are pruned a window or two after theirs has ended.
-- Two tables here are exceptions to "every key leads with organization_id" (README, Scaling out):
--  * rate_limit_address_windows counts requests that carried no valid API key, per client address.
--    Such a request names no organisation (that is why it is counted here), so there is none to
--    key it by; it is small, short-lived and never read by organisation. Distributed (Citus), it
--    is a table of its own sharded by address, or local to each coordinator.
--  * rate_limit_peers holds one row per running API process, to know how many share a limit: it
--    belongs to the deployment, not to any organisation.
-- rate_limit_key_windows leads with organization_id like every other table.
CREATE TABLE "rate_limit_address_windows" (
	"address" text NOT NULL,
	"window_start" timestamp (3) with time zone NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "rate_limit_address_windows_address_window_start_pk" PRIMARY KEY("address","window_start")
);
--> statement-breakpoint
CREATE TABLE "rate_limit_key_windows" (
	"organization_id" uuid NOT NULL,
	"key_id" uuid NOT NULL,
	"window_start" timestamp (3) with time zone NOT NULL,
	"count" integer NOT NULL,
	CONSTRAINT "rate_limit_key_windows_organization_id_key_id_window_start_pk" PRIMARY KEY("organization_id","key_id","window_start")
);
--> statement-breakpoint
CREATE TABLE "rate_limit_peers" (
	"peer_id" uuid PRIMARY KEY NOT NULL,
	"seen_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "rate_limit_address_windows_start_idx" ON "rate_limit_address_windows" USING btree ("window_start");--> statement-breakpoint
CREATE INDEX "rate_limit_key_windows_start_idx" ON "rate_limit_key_windows" USING btree ("window_start");