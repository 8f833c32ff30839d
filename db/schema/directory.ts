import { boolean, foreignKey, index, jsonb, pgTable, text, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { primaryId, tenantId, timestamps } from './columns.js';
import type { StoredWorkingHours } from './availability.js';

export const departments = pgTable(
  'departments',
  {
    id: primaryId(),
    organizationId: tenantId(),
    name: text().notNull(),
    code: text().notNull(),
    description: text(),
    concerns: text(),
    parentId: uuid(),
    leadId: uuid().references((): AnyPgColumn => people.id),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('departments_org_code_key').on(t.organizationId, sql`lower(${t.code})`),
    index('departments_org_list_idx').on(t.organizationId, t.createdAt, t.id),
    foreignKey({ columns: [t.parentId], foreignColumns: [t.id], name: 'departments_parent_fk' }),
  ],
);

export const people = pgTable(
  'people',
  {
    id: primaryId(),
    organizationId: tenantId(),
    name: text().notNull(),
    email: text().notNull(),
    departmentId: uuid().references(() => departments.id),
    title: text(),
    timeZone: text(),
    keyContact: boolean().notNull().default(false),
    /** Null: the organisation's default working hours apply. */
    workingHours: jsonb().$type<StoredWorkingHours>(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('people_org_email_key').on(t.organizationId, sql`lower(${t.email})`),
    index('people_org_list_idx').on(t.organizationId, t.createdAt, t.id),
    index('people_org_department_idx').on(t.organizationId, t.departmentId),
  ],
);
