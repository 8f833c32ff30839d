CREATE TABLE "material_acknowledgements" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"material_id" uuid NOT NULL,
	"content_version" integer NOT NULL,
	"person_id" uuid NOT NULL,
	"acknowledged_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "material_file_chunks" (
	"organization_id" uuid NOT NULL,
	"file_id" uuid NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "material_file_chunks_organization_id_file_id_seq_pk" PRIMARY KEY("organization_id","file_id","seq")
);
--> statement-breakpoint
CREATE TABLE "material_files" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"size_bytes" integer DEFAULT 0 NOT NULL,
	"sha256" text,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "material_versions" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"material_id" uuid NOT NULL,
	"content_version" integer NOT NULL,
	"kind" text NOT NULL,
	"url" text,
	"file_id" uuid,
	"file_name" text,
	"content_type" text,
	"declared_content_type" text,
	"detected_content_type" text,
	"size_bytes" integer,
	"sha256" text,
	"shared_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"late" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "materials" (
	"id" uuid PRIMARY KEY DEFAULT gen_random_uuid() NOT NULL,
	"organization_id" uuid NOT NULL,
	"meeting_id" uuid NOT NULL,
	"agenda_item_id" uuid,
	"title" text NOT NULL,
	"kind" text NOT NULL,
	"url" text,
	"file_name" text,
	"content_type" text,
	"declared_content_type" text,
	"detected_content_type" text,
	"size_bytes" integer,
	"sha256" text,
	"required" boolean DEFAULT false NOT NULL,
	"content_version" integer DEFAULT 1 NOT NULL,
	"shared_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"late" boolean DEFAULT false NOT NULL,
	"created_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp (3) with time zone DEFAULT now() NOT NULL,
	"version" integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "material_versions_org_material_version_key" ON "material_versions" USING btree ("organization_id","material_id","content_version");--> statement-breakpoint
ALTER TABLE "material_acknowledgements" ADD CONSTRAINT "material_acknowledgements_person_id_people_id_fk" FOREIGN KEY ("person_id") REFERENCES "public"."people"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "material_acknowledgements" ADD CONSTRAINT "material_acknowledgements_version_fk" FOREIGN KEY ("organization_id","material_id","content_version") REFERENCES "public"."material_versions"("organization_id","material_id","content_version") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "material_file_chunks" ADD CONSTRAINT "material_file_chunks_file_id_material_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."material_files"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "material_versions" ADD CONSTRAINT "material_versions_material_id_materials_id_fk" FOREIGN KEY ("material_id") REFERENCES "public"."materials"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "material_versions" ADD CONSTRAINT "material_versions_file_id_material_files_id_fk" FOREIGN KEY ("file_id") REFERENCES "public"."material_files"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "materials" ADD CONSTRAINT "materials_meeting_id_meetings_id_fk" FOREIGN KEY ("meeting_id") REFERENCES "public"."meetings"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "materials" ADD CONSTRAINT "materials_agenda_item_id_agenda_items_id_fk" FOREIGN KEY ("agenda_item_id") REFERENCES "public"."agenda_items"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "material_acknowledgements_org_material_version_person_key" ON "material_acknowledgements" USING btree ("organization_id","material_id","content_version","person_id");--> statement-breakpoint
CREATE INDEX "material_acknowledgements_org_material_list_idx" ON "material_acknowledgements" USING btree ("organization_id","material_id","acknowledged_at","id");--> statement-breakpoint
CREATE INDEX "material_acknowledgements_org_person_idx" ON "material_acknowledgements" USING btree ("organization_id","person_id");--> statement-breakpoint
CREATE INDEX "materials_org_meeting_list_idx" ON "materials" USING btree ("organization_id","meeting_id","created_at","id");