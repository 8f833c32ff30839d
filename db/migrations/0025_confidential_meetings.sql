ALTER TABLE "events" ADD COLUMN "confidential_meeting_id" uuid;--> statement-breakpoint
ALTER TABLE "meeting_series" ADD COLUMN "visibility" text DEFAULT 'organization' NOT NULL;--> statement-breakpoint
ALTER TABLE "meetings" ADD COLUMN "visibility" text DEFAULT 'organization' NOT NULL;--> statement-breakpoint
ALTER TABLE "webhooks" ADD COLUMN "include_confidential" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_visibility_check" CHECK ("visibility" in ('organization', 'participants'));--> statement-breakpoint
ALTER TABLE "meeting_series" ADD CONSTRAINT "meeting_series_visibility_check" CHECK ("visibility" in ('organization', 'participants'));
