ALTER TABLE "meeting_series" ADD COLUMN "title" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD COLUMN "objective" text;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD COLUMN "location" text;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD COLUMN "online_url" text;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD COLUMN "organizer_id" uuid;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD COLUMN "initiative_id" uuid;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD COLUMN "materials_lead_minutes" integer DEFAULT 1440 NOT NULL;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD COLUMN "participants" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD COLUMN "sequence" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD COLUMN "exhausted" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "original_starts_at" timestamp (3) with time zone;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD CONSTRAINT "meeting_series_organizer_id_people_id_fk" FOREIGN KEY ("organizer_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD CONSTRAINT "meeting_series_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "meetings_org_series_occurrence_key" ON "meetings" USING btree ("organization_id","series_id","original_starts_at");