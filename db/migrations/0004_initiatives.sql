CREATE TABLE "goal_measurements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"goal_id" uuid NOT NULL,
	"value" double precision,
	"measured_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "goals" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"initiative_id" uuid NOT NULL,
	"title" text NOT NULL,
	"metric" text NOT NULL,
	"unit" text,
	"baseline" double precision NOT NULL,
	"target" double precision NOT NULL,
	"current" double precision,
	"due_date" date,
	"measured_at" timestamp (3) with time zone,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE TABLE "initiative_departments" (
	"organization_id" uuid NOT NULL,
	"initiative_id" uuid NOT NULL,
	"department_id" uuid NOT NULL,
	"position" integer NOT NULL,
	CONSTRAINT "initiative_departments_organization_id_initiative_id_department_id_pk" PRIMARY KEY("organization_id","initiative_id","department_id")
);
--> statement-breakpoint
CREATE TABLE "initiative_members" (
	"organization_id" uuid NOT NULL,
	"initiative_id" uuid NOT NULL,
	"person_id" uuid NOT NULL,
	"role" text DEFAULT 'member' NOT NULL,
	"responsibility" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL,
	CONSTRAINT "initiative_members_organization_id_initiative_id_person_id_pk" PRIMARY KEY("organization_id","initiative_id","person_id")
);
--> statement-breakpoint
ALTER TABLE "goal_measurements" ADD CONSTRAINT "goal_measurements_goal_id_goals_id_fk" FOREIGN KEY ("goal_id") REFERENCES "public"."goals"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "goals" ADD CONSTRAINT "goals_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "initiative_departments" ADD CONSTRAINT "initiative_departments_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "initiative_departments" ADD CONSTRAINT "initiative_departments_department_id_departments_id_fk" FOREIGN KEY ("department_id") REFERENCES "public"."departments"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "initiative_members" ADD CONSTRAINT "initiative_members_initiative_id_initiatives_id_fk" FOREIGN KEY ("initiative_id") REFERENCES "public"."initiatives"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "initiative_members" ADD CONSTRAINT "initiative_members_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "goal_measurements_org_goal_measured_idx" ON "goal_measurements" USING btree ("organization_id","goal_id","measured_at","id");--> statement-breakpoint
CREATE INDEX "goals_org_initiative_list_idx" ON "goals" USING btree ("organization_id","initiative_id","created_at","id");--> statement-breakpoint
CREATE INDEX "initiative_departments_org_department_idx" ON "initiative_departments" USING btree ("organization_id","department_id","initiative_id");--> statement-breakpoint
CREATE INDEX "initiative_members_org_initiative_list_idx" ON "initiative_members" USING btree ("organization_id","initiative_id","created_at","person_id");--> statement-breakpoint
CREATE INDEX "initiative_members_org_person_idx" ON "initiative_members" USING btree ("organization_id","person_id");--> statement-breakpoint
CREATE UNIQUE INDEX "initiative_members_org_lead_role_key" ON "initiative_members" USING btree ("organization_id","initiative_id","role") WHERE role in ('sponsor', 'owner');