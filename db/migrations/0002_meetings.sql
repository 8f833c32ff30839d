CREATE TABLE "initiatives" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"title" text NOT NULL,
	"objective" text,
	"sponsor_id" uuid,
	"owner_id" uuid,
	"status" text DEFAULT 'planned' NOT NULL,
	"start_date" date,
	"target_date" date,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "agenda_items" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"position" integer NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"kind" text DEFAULT 'discussion' NOT NULL,
	"owner_id" uuid,
	"duration_minutes" integer,
	"status" text DEFAULT 'pending' NOT NULL,
	"carried_from_id" uuid,
	"issue_id" uuid,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meeting_participants" (
	"organization_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"role" text DEFAULT 'required' NOT NULL,
	"response" text DEFAULT 'needs_action' NOT NULL,
	"responded_at" timestamp (3) with time zone,
	"attended" boolean,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "meeting_participants_organization_id_meeting_id_person_id_pk" PRIMARY KEY("organization_id","meeting_id","person_id")
);
--> statement-breakpoint
CREATE TABLE "meeting_series" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"recurrence" text NOT NULL,
	"time_zone" text NOT NULL,
	"first_starts_at" timestamp (3) with time zone NOT NULL,
	"duration_minutes" integer NOT NULL,
	"materialized_until" timestamp (3) with time zone NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "meetings" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"initiative_id" uuid,
	"series_id" uuid,
	"follow_up_of_id" uuid,
	"title" text NOT NULL,
	"objective" text,
	"starts_at" timestamp (3) with time zone NOT NULL,
	"ends_at" timestamp (3) with time zone NOT NULL,
	"time_zone" text NOT NULL,
	"location" text,
	"online_url" text,
	"organizer_id" uuid,
	"status" text DEFAULT 'draft' NOT NULL,
	"materials_due_at" timestamp (3) with time zone NOT NULL,
	"sequence" integer DEFAULT 0 NOT NULL,
	"recurrence" text,
	"invitations_sent_at" timestamp (3) with time zone,
	"started_at" timestamp (3) with time zone,
	"ended_at" timestamp (3) with time zone,
	"cancelled_at" timestamp (3) with time zone,
	"cancel_reason" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
ALTER TABLE "initiatives" ADD CONSTRAINT "initiatives_sponsor_id_people_id_fk" FOREIGN KEY ("sponsor_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "initiatives" ADD CONSTRAINT "initiatives_owner_id_people_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agenda_items" ADD CONSTRAINT "agenda_items_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agenda_items" ADD CONSTRAINT "agenda_items_owner_id_people_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "agenda_items" ADD CONSTRAINT "agenda_items_carried_from_id_agenda_items_id_fk" FOREIGN KEY ("carried_from_id") REFERENCES "public"."agenda_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meeting_participants" ADD CONSTRAINT "meeting_participants_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meeting_participants" ADD CONSTRAINT "meeting_participants_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_series_id_meeting_series_id_fk" FOREIGN KEY ("series_id") REFERENCES "public"."meeting_series"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_follow_up_of_id_meetings_id_fk" FOREIGN KEY ("follow_up_of_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "meetings" ADD CONSTRAINT "meetings_organizer_id_people_id_fk" FOREIGN KEY ("organizer_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "initiatives_org_list_idx" ON "initiatives" USING btree ("organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "initiatives_org_status_idx" ON "initiatives" USING btree ("organization_id","status");--> statement-breakpoint
CREATE INDEX "initiatives_org_sponsor_idx" ON "initiatives" USING btree ("organization_id","sponsor_id");--> statement-breakpoint
CREATE INDEX "agenda_items_org_meeting_position_idx" ON "agenda_items" USING btree ("organization_id","meeting_id","position");--> statement-breakpoint
CREATE UNIQUE INDEX "agenda_items_org_carried_key" ON "agenda_items" USING btree ("organization_id","meeting_id","carried_from_id");--> statement-breakpoint
CREATE INDEX "meeting_participants_org_person_idx" ON "meeting_participants" USING btree ("organization_id","person_id","meeting_id");--> statement-breakpoint
CREATE INDEX "meeting_series_org_idx" ON "meeting_series" USING btree ("organization_id","materialized_until");--> statement-breakpoint
CREATE INDEX "meetings_org_starts_idx" ON "meetings" USING btree ("organization_id","starts_at","id");--> statement-breakpoint
CREATE INDEX "meetings_org_status_starts_idx" ON "meetings" USING btree ("organization_id","status","starts_at");--> statement-breakpoint
CREATE INDEX "meetings_org_initiative_starts_idx" ON "meetings" USING btree ("organization_id","initiative_id","starts_at");--> statement-breakpoint
CREATE INDEX "meetings_org_series_starts_idx" ON "meetings" USING btree ("organization_id","series_id","starts_at");