-- Events, webhook deliveries and webhook attempts partitioned by month (written by hand: drizzle-kit
-- cannot express partitioned tables; meta/0018_snapshot.json describes the same columns and keys).
-- Retention then drops whole months instead of deleting rows (src/events/retention.ts).
--
-- Keys include the partition key, as PostgreSQL requires: events (id, occurred_at), deliveries
-- (id, event_occurred_at), attempts (id, attempted_at). Deliveries are partitioned by their event's
-- time, so the unique key (organization_id, webhook_id, event_id, event_occurred_at) still means one
-- delivery per endpoint and event. No foreign key references these tables.
--
-- Each table has a DEFAULT partition so that a write never fails for want of a month (a deployment
-- whose workers did not run for months); making that month later moves its rows out of the default.
--
-- One function makes the monthly partitions, used here and by the worker (src/platform/partitions.ts),
-- serialised by a transaction-level advisory lock so several workers may run it at once.
CREATE FUNCTION liaison_ensure_month_partitions(parent text, first_month timestamptz, last_month timestamptz) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
  key text := (regexp_match(pg_get_partkeydef(parent::regclass), '^RANGE \((\w+)\)$'))[1];
  fallback text := parent || '_default';
  -- Months are UTC months whatever the session's time zone.
  m timestamp := date_trunc('month', first_month AT TIME ZONE 'UTC');
  lower_bound timestamptz;
  upper_bound timestamptz;
  name text;
  stranded boolean;
  made integer := 0;
BEGIN
  IF key IS NULL THEN
    RAISE EXCEPTION '% is not partitioned by range of one column', parent;
  END IF;
  PERFORM pg_advisory_xact_lock(hashtext('liaison_month_partitions'));
  WHILE m <= last_month AT TIME ZONE 'UTC' LOOP
    name := parent || '_p' || to_char(m, 'YYYYMM');
    lower_bound := m AT TIME ZONE 'UTC';
    upper_bound := (m + interval '1 month') AT TIME ZONE 'UTC';
    IF to_regclass(quote_ident(name)) IS NULL THEN
      stranded := false;
      IF to_regclass(quote_ident(fallback)) IS NOT NULL THEN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I WHERE %I >= %L AND %I < %L)', fallback, key, lower_bound, key, upper_bound) INTO stranded;
      END IF;
      IF stranded THEN
        -- A partition cannot be made while the default holds rows of its range: take the default
        -- out, make the month, move the rows through the parent, put the default back.
        EXECUTE format('ALTER TABLE %I DETACH PARTITION %I', parent, fallback);
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', name, parent, lower_bound, upper_bound);
        EXECUTE format('INSERT INTO %I SELECT * FROM %I WHERE %I >= %L AND %I < %L', parent, fallback, key, lower_bound, key, upper_bound);
        EXECUTE format('DELETE FROM %I WHERE %I >= %L AND %I < %L', fallback, key, lower_bound, key, upper_bound);
        EXECUTE format('ALTER TABLE %I ATTACH PARTITION %I DEFAULT', parent, fallback);
      ELSE
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)', name, parent, lower_bound, upper_bound);
      END IF;
      made := made + 1;
    END IF;
    m := m + interval '1 month';
  END LOOP;
  RETURN made;
END
$$;--> statement-breakpoint
ALTER SEQUENCE "events_seq_seq" OWNED BY NONE;--> statement-breakpoint
ALTER TABLE "events" RENAME TO "events_unpartitioned";--> statement-breakpoint
ALTER TABLE "webhook_deliveries" RENAME TO "webhook_deliveries_unpartitioned";--> statement-breakpoint
ALTER TABLE "webhook_attempts" RENAME TO "webhook_attempts_unpartitioned";--> statement-breakpoint
CREATE TABLE "events" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"seq" bigint DEFAULT nextval('events_seq_seq'::regclass) NOT NULL,
	"txid" bigint DEFAULT pg_current_xact_id()::text::bigint NOT NULL,
	"organization_id" uuid NOT NULL,
	"type" text NOT NULL,
	"occurred_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"data" jsonb NOT NULL
) PARTITION BY RANGE ("occurred_at");--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"webhook_id" uuid NOT NULL,
	"event_id" uuid NOT NULL,
	"event_type" text NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"total_attempts" integer DEFAULT 0 NOT NULL,
	"next_attempt_at" timestamp (3) with time zone,
	"lease_until" timestamp (3) with time zone,
	"leased_by" text,
	"last_attempt_at" timestamp (3) with time zone,
	"last_response_status" integer,
	"last_error" text,
	"failing_notified" boolean DEFAULT false NOT NULL,
	"event_occurred_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL
) PARTITION BY RANGE ("event_occurred_at");--> statement-breakpoint
CREATE TABLE "webhook_attempts" (
	"id" uuid DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"delivery_id" uuid NOT NULL,
	"number" integer NOT NULL,
	"attempted_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"response_status" integer,
	"duration_ms" integer NOT NULL,
	"response_body" text DEFAULT '' NOT NULL,
	"error_class" text,
	"error" text,
	"next_attempt_at" timestamp (3) with time zone
) PARTITION BY RANGE ("attempted_at");--> statement-breakpoint
CREATE TABLE "events_default" PARTITION OF "events" DEFAULT;--> statement-breakpoint
CREATE TABLE "webhook_deliveries_default" PARTITION OF "webhook_deliveries" DEFAULT;--> statement-breakpoint
CREATE TABLE "webhook_attempts_default" PARTITION OF "webhook_attempts" DEFAULT;--> statement-breakpoint
-- The months that hold rows, up to two months ahead (the worker keeps that lead).
SELECT liaison_ensure_month_partitions('events', coalesce((SELECT min("occurred_at") FROM "events_unpartitioned"), now()), now() + interval '2 months');--> statement-breakpoint
SELECT liaison_ensure_month_partitions('webhook_deliveries', least(now(), (SELECT min("occurred_at") FROM "events_unpartitioned"), (SELECT min("created_at") FROM "webhook_deliveries_unpartitioned")), now() + interval '2 months');--> statement-breakpoint
SELECT liaison_ensure_month_partitions('webhook_attempts', coalesce((SELECT min("attempted_at") FROM "webhook_attempts_unpartitioned"), now()), now() + interval '2 months');--> statement-breakpoint
INSERT INTO "events" ("id", "seq", "txid", "organization_id", "type", "occurred_at", "data")
	SELECT "id", "seq", "txid", "organization_id", "type", "occurred_at", "data" FROM "events_unpartitioned";--> statement-breakpoint
-- A delivery whose event was already pruned keeps its own creation time as its month.
INSERT INTO "webhook_deliveries"
	SELECT d."id", d."organization_id", d."webhook_id", d."event_id", d."event_type", d."status", d."attempts", d."total_attempts",
		d."next_attempt_at", d."lease_until", d."leased_by", d."last_attempt_at", d."last_response_status", d."last_error",
		d."failing_notified", coalesce(e."occurred_at", d."created_at"), d."created_at", d."updated_at"
	FROM "webhook_deliveries_unpartitioned" d
	LEFT JOIN "events_unpartitioned" e ON e."organization_id" = d."organization_id" AND e."id" = d."event_id";--> statement-breakpoint
INSERT INTO "webhook_attempts" SELECT * FROM "webhook_attempts_unpartitioned";--> statement-breakpoint
DROP TABLE "events_unpartitioned";--> statement-breakpoint
DROP TABLE "webhook_deliveries_unpartitioned";--> statement-breakpoint
DROP TABLE "webhook_attempts_unpartitioned";--> statement-breakpoint
ALTER SEQUENCE "events_seq_seq" OWNED BY "events"."seq";--> statement-breakpoint
ALTER TABLE "events" ADD CONSTRAINT "events_id_occurred_at_pk" PRIMARY KEY("id","occurred_at");--> statement-breakpoint
ALTER TABLE "webhook_attempts" ADD CONSTRAINT "webhook_attempts_id_attempted_at_pk" PRIMARY KEY("id","attempted_at");--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_id_event_occurred_at_pk" PRIMARY KEY("id","event_occurred_at");--> statement-breakpoint
CREATE INDEX "events_org_order_idx" ON "events" USING btree ("organization_id","txid","seq");--> statement-breakpoint
CREATE INDEX "events_org_type_order_idx" ON "events" USING btree ("organization_id","type","txid","seq");--> statement-breakpoint
CREATE INDEX "events_occurred_idx" ON "events" USING btree ("occurred_at");--> statement-breakpoint
CREATE UNIQUE INDEX "webhook_deliveries_org_webhook_event_key" ON "webhook_deliveries" USING btree ("organization_id","webhook_id","event_id","event_occurred_at");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_org_webhook_list_idx" ON "webhook_deliveries" USING btree ("organization_id","webhook_id","created_at","id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_endpoint_due_idx" ON "webhook_deliveries" USING btree ("webhook_id","next_attempt_at") WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX "webhook_deliveries_leased_idx" ON "webhook_deliveries" USING btree ("webhook_id") WHERE status = 'pending' and lease_until is not null;--> statement-breakpoint
CREATE INDEX "webhook_deliveries_event_occurred_idx" ON "webhook_deliveries" USING btree ("event_occurred_at");--> statement-breakpoint
CREATE INDEX "webhook_attempts_org_delivery_idx" ON "webhook_attempts" USING btree ("organization_id","delivery_id","number");--> statement-breakpoint
CREATE INDEX "webhook_attempts_time_idx" ON "webhook_attempts" USING btree ("attempted_at");
