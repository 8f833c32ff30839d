CREATE TABLE "follow_through_policies" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"initiative_id" uuid,
	"settings" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "scheduled_firings" (
	"organization_id" uuid NOT NULL,
	"rule" text NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" uuid NOT NULL,
	"moment" timestamp (3) with time zone NOT NULL,
	"status" text NOT NULL,
	"reason" text,
	"event_id" uuid,
	"event_occurred_at" timestamp (3) with time zone,
	"recipients" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"fired_at" timestamp (3) with time zone NOT NULL,
	"late_by_seconds" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "scheduled_firings_organization_id_rule_subject_id_moment_pk" PRIMARY KEY("organization_id","rule","subject_id","moment")
);
--> statement-breakpoint
ALTER TABLE "follow_through_policies" ADD CONSTRAINT "follow_through_policies_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "follow_through_policies_org_idx" ON "follow_through_policies" USING btree ("organization_id") WHERE "follow_through_policies"."initiative_id" is null;--> statement-breakpoint
CREATE UNIQUE INDEX "follow_through_policies_initiative_idx" ON "follow_through_policies" USING btree ("organization_id","initiative_id") WHERE "follow_through_policies"."initiative_id" is not null;--> statement-breakpoint
CREATE INDEX "scheduled_firings_subject_idx" ON "scheduled_firings" USING btree ("organization_id","subject_id","moment");--> statement-breakpoint
CREATE INDEX "scheduled_firings_fired_idx" ON "scheduled_firings" USING btree ("organization_id","fired_at");