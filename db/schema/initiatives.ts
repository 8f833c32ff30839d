import { date, doublePrecision, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { departments, people } from './directory.js';
import { primaryId, tenantId, timestamps, ts } from './columns.js';

export const initiatives = pgTable(
  'initiatives',
  {
    id: primaryId(),
    organizationId: tenantId(),
    title: text().notNull(),
    objective: text(),
    // Nullable in the table (older rows), required by the API: every initiative has both.
    sponsorId: uuid().references(() => people.id),
    ownerId: uuid().references(() => people.id),
    status: text().notNull().default('planned'),
    startDate: date({ mode: 'string' }),
    targetDate: date({ mode: 'string' }),
    ...timestamps(),
  },
  (t) => [
    index('initiatives_org_list_idx').on(t.organizationId, t.createdAt, t.id),
    index('initiatives_org_status_idx').on(t.organizationId, t.status),
    index('initiatives_org_sponsor_idx').on(t.organizationId, t.sponsorId),
  ],
);

/** The departments an initiative asks to work together, in the order the client gave them. */
export const initiativeDepartments = pgTable(
  'initiative_departments',
  {
    organizationId: tenantId(),
    initiativeId: uuid().notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
    departmentId: uuid().notNull().references(() => departments.id),
    position: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.initiativeId, t.departmentId] }),
    // The `departmentId` list filter and "is this department still used" checks.
    index('initiative_departments_org_department_idx').on(t.organizationId, t.departmentId, t.initiativeId),
  ],
);

export const goals = pgTable(
  'goals',
  {
    id: primaryId(),
    organizationId: tenantId(),
    initiativeId: uuid().notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
    title: text().notNull(),
    metric: text().notNull(),
    unit: text(),
    baseline: doublePrecision().notNull(),
    target: doublePrecision().notNull(),
    current: doublePrecision(),
    dueDate: date({ mode: 'string' }),
    /** When `current` last changed (the newest measurement). */
    measuredAt: ts(),
    ...timestamps(),
  },
  (t) => [index('goals_org_initiative_list_idx').on(t.organizationId, t.initiativeId, t.createdAt, t.id)],
);

/** Every value `current` took, dated: the trend of a goal. Append-only. */
export const goalMeasurements = pgTable(
  'goal_measurements',
  {
    id: primaryId(),
    organizationId: tenantId(),
    goalId: uuid().notNull().references(() => goals.id, { onDelete: 'cascade' }),
    value: doublePrecision(),
    measuredAt: ts().notNull().defaultNow(),
    createdAt: ts().notNull().defaultNow(),
  },
  (t) => [index('goal_measurements_org_goal_measured_idx').on(t.organizationId, t.goalId, t.measuredAt, t.id)],
);

export const initiativeMembers = pgTable(
  'initiative_members',
  {
    /** Names the membership in the audit log (the API addresses it by initiative and person). */
    id: uuid().notNull().default(sql`gen_random_uuid()`),
    organizationId: tenantId(),
    initiativeId: uuid().notNull().references(() => initiatives.id, { onDelete: 'cascade' }),
    personId: uuid().notNull().references(() => people.id),
    role: text().notNull().default('member'),
    responsibility: text(),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.initiativeId, t.personId] }),
    uniqueIndex('initiative_members_org_id_key').on(t.organizationId, t.id),
    index('initiative_members_org_initiative_list_idx').on(t.organizationId, t.initiativeId, t.createdAt, t.personId),
    index('initiative_members_org_person_idx').on(t.organizationId, t.personId),
    // At most one sponsor and one owner per initiative, whatever races the application checks miss.
    uniqueIndex('initiative_members_org_lead_role_key')
      .on(t.organizationId, t.initiativeId, t.role)
      .where(sql`role in ('sponsor', 'owner')`),
  ],
);
