CREATE TABLE "busy_blocks" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"source" text NOT NULL,
	"starts_at" timestamp (3) with time zone NOT NULL,
	"ends_at" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "default_time_zone" text;--> statement-breakpoint
ALTER TABLE "organizations" ADD COLUMN "default_working_hours" jsonb;--> statement-breakpoint
ALTER TABLE "people" ADD COLUMN "working_hours" jsonb;--> statement-breakpoint
ALTER TABLE "busy_blocks" ADD CONSTRAINT "busy_blocks_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "busy_blocks_org_person_ends_idx" ON "busy_blocks" USING btree ("organization_id","person_id","ends_at","starts_at");--> statement-breakpoint
CREATE INDEX "busy_blocks_org_person_source_ends_idx" ON "busy_blocks" USING btree ("organization_id","person_id","source","ends_at");