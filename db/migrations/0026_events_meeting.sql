ALTER TABLE "events" ADD COLUMN "meeting_id" uuid;--> statement-breakpoint
CREATE INDEX "events_org_meeting_idx" ON "events" USING btree ("organization_id","meeting_id") WHERE "events"."meeting_id" is not null;--> statement-breakpoint
-- The meeting each earlier event is about, as events/outbox.ts names it on append: `meeting.id`,
-- else the first `meetingId` anywhere in its data.
UPDATE "events" e SET "meeting_id" = (
  SELECT c::uuid FROM jsonb_array_elements_text(jsonb_build_array(e.data->'meeting'->'id') || jsonb_path_query_array(e.data, 'strict $.**.meetingId')) c
  WHERE c ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
  LIMIT 1)
WHERE e.data ? 'meeting' OR e.data @? 'strict $.**.meetingId';
