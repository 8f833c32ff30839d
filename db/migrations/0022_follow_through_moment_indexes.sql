CREATE INDEX "meetings_scheduled_starts_idx" ON "meetings" USING btree ("starts_at") WHERE status = 'scheduled';--> statement-breakpoint
CREATE INDEX "meetings_scheduled_materials_due_idx" ON "meetings" USING btree ("materials_due_at") WHERE status = 'scheduled';--> statement-breakpoint
CREATE INDEX "meetings_held_ends_idx" ON "meetings" USING btree ("ends_at") WHERE status in ('scheduled', 'in_progress', 'completed');--> statement-breakpoint
CREATE INDEX "meetings_org_materials_due_idx" ON "meetings" USING btree ("organization_id","materials_due_at");--> statement-breakpoint
CREATE INDEX "meetings_org_ends_idx" ON "meetings" USING btree ("organization_id","ends_at");--> statement-breakpoint
CREATE INDEX "issues_unresolved_due_idx" ON "issues" USING btree ("due_at") WHERE status in ('open', 'in_progress', 'blocked') and due_at is not null;