-- One row per open SSE stream, so that LIAISON_STREAMS_PER_KEY holds across every API process
-- sharing the database (src/events/stream-leases.ts). Rows of a process that died lapse at
-- expires_at; the key's next stream opening deletes them.
CREATE TABLE "event_stream_leases" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"api_key_id" uuid NOT NULL,
	"opened_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp (3) with time zone NOT NULL
);
--> statement-breakpoint
CREATE INDEX "event_stream_leases_key_idx" ON "event_stream_leases" USING btree ("organization_id","api_key_id","expires_at");