CREATE TABLE "decision_stances" (
	"organization_id" uuid NOT NULL,
	"decision_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"objects" boolean NOT NULL,
	"note" text,
	"position" smallint NOT NULL,
	CONSTRAINT "decision_stances_organization_id_decision_id_person_id_pk" PRIMARY KEY("organization_id","decision_id","person_id")
);
--> statement-breakpoint
CREATE TABLE "decisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"agenda_item_id" uuid,
	"initiative_id" uuid,
	"title" text NOT NULL,
	"statement" text NOT NULL,
	"rationale" text,
	"decided_at" timestamp (3) with time zone NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"supersedes_id" uuid,
	"superseded_by_id" uuid,
	"revocation_reason" text,
	"revoked_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "feedback" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"rating" smallint NOT NULL,
	"comment" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "issues" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"title" text NOT NULL,
	"description" text,
	"kind" text DEFAULT 'action' NOT NULL,
	"priority" text DEFAULT 'normal' NOT NULL,
	"status" text DEFAULT 'open' NOT NULL,
	"owner_id" uuid,
	"department_id" uuid,
	"due_at" timestamp (3) with time zone,
	"resolution" text,
	"resolved_at" timestamp (3) with time zone,
	"closed_at" timestamp (3) with time zone,
	"meeting_id" uuid,
	"agenda_item_id" uuid,
	"initiative_id" uuid,
	"follow_up_meeting_id" uuid,
	"overdue_notified_for" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "minutes" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"summary" text DEFAULT '' NOT NULL,
	"attendance" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"acknowledgements" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"published_revision" integer DEFAULT 0 NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "minutes_revisions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"revision" integer NOT NULL,
	"content" jsonb NOT NULL,
	"changed_fields" text[] NOT NULL,
	"published_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"published_by_key_id" uuid
);
--> statement-breakpoint
ALTER TABLE "decision_stances" ADD CONSTRAINT "decision_stances_decision_id_decisions_id_fk" FOREIGN KEY ("decision_id") REFERENCES "public"."decisions"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decision_stances" ADD CONSTRAINT "decision_stances_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_agenda_item_id_agenda_items_id_fk" FOREIGN KEY ("agenda_item_id") REFERENCES "public"."agenda_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_supersedes_id_decisions_id_fk" FOREIGN KEY ("supersedes_id") REFERENCES "public"."decisions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "decisions" ADD CONSTRAINT "decisions_superseded_by_id_decisions_id_fk" FOREIGN KEY ("superseded_by_id") REFERENCES "public"."decisions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "feedback" ADD CONSTRAINT "feedback_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issues" ADD CONSTRAINT "issues_owner_id_people_id_fk" FOREIGN KEY ("owner_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issues" ADD CONSTRAINT "issues_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issues" ADD CONSTRAINT "issues_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issues" ADD CONSTRAINT "issues_agenda_item_id_agenda_items_id_fk" FOREIGN KEY ("agenda_item_id") REFERENCES "public"."agenda_items"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issues" ADD CONSTRAINT "issues_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "issues" ADD CONSTRAINT "issues_follow_up_meeting_id_meetings_id_fk" FOREIGN KEY ("follow_up_meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "minutes" ADD CONSTRAINT "minutes_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "minutes_revisions" ADD CONSTRAINT "minutes_revisions_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "decision_stances_org_person_idx" ON "decision_stances" USING btree ("organization_id","person_id");--> statement-breakpoint
CREATE INDEX "decisions_org_list_idx" ON "decisions" USING btree ("organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "decisions_org_meeting_idx" ON "decisions" USING btree ("organization_id","meeting_id","created_at");--> statement-breakpoint
CREATE INDEX "decisions_org_initiative_idx" ON "decisions" USING btree ("organization_id","initiative_id","created_at");--> statement-breakpoint
CREATE INDEX "decisions_org_status_idx" ON "decisions" USING btree ("organization_id","status","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "decisions_org_supersedes_key" ON "decisions" USING btree ("organization_id","supersedes_id");--> statement-breakpoint
CREATE UNIQUE INDEX "feedback_org_meeting_person_key" ON "feedback" USING btree ("organization_id","meeting_id","person_id");--> statement-breakpoint
CREATE INDEX "feedback_org_meeting_list_idx" ON "feedback" USING btree ("organization_id","meeting_id","created_at","id");--> statement-breakpoint
CREATE INDEX "feedback_org_person_idx" ON "feedback" USING btree ("organization_id","person_id");--> statement-breakpoint
CREATE INDEX "issues_org_list_idx" ON "issues" USING btree ("organization_id","created_at","id");--> statement-breakpoint
CREATE INDEX "issues_org_status_due_idx" ON "issues" USING btree ("organization_id","status","due_at");--> statement-breakpoint
CREATE INDEX "issues_org_owner_idx" ON "issues" USING btree ("organization_id","owner_id","created_at");--> statement-breakpoint
CREATE INDEX "issues_org_department_idx" ON "issues" USING btree ("organization_id","department_id","created_at");--> statement-breakpoint
CREATE INDEX "issues_org_initiative_idx" ON "issues" USING btree ("organization_id","initiative_id","created_at");--> statement-breakpoint
CREATE INDEX "issues_org_meeting_idx" ON "issues" USING btree ("organization_id","meeting_id","created_at");--> statement-breakpoint
CREATE INDEX "issues_org_due_idx" ON "issues" USING btree ("organization_id","due_at");--> statement-breakpoint
CREATE INDEX "issues_overdue_scan_idx" ON "issues" USING btree ("due_at") WHERE status in ('open', 'in_progress', 'blocked') and due_at is not null and overdue_notified_for is distinct from due_at;--> statement-breakpoint
CREATE UNIQUE INDEX "minutes_org_meeting_key" ON "minutes" USING btree ("organization_id","meeting_id");--> statement-breakpoint
CREATE UNIQUE INDEX "minutes_revisions_org_meeting_revision_key" ON "minutes_revisions" USING btree ("organization_id","meeting_id","revision");