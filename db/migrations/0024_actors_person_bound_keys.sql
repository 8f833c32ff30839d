ALTER TABLE "api_keys" ADD COLUMN "person_id" uuid;--> statement-breakpoint
ALTER TABLE "audit_events" ADD COLUMN "actor_person_id" uuid;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "actor_key_id" uuid;--> statement-breakpoint
ALTER TABLE "events" ADD COLUMN "actor_person_id" uuid;--> statement-breakpoint
CREATE INDEX "api_keys_org_person_idx" ON "api_keys" USING btree ("organization_id","person_id") WHERE "api_keys"."person_id" is not null;--> statement-breakpoint
CREATE INDEX "audit_events_org_actor_person_idx" ON "audit_events" USING btree ("organization_id","actor_person_id","occurred_at","id") WHERE "audit_events"."actor_person_id" is not null;