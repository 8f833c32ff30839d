import { boolean, index, integer, jsonb, pgTable, primaryKey, smallint, text, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { departments, people } from './directory.js';
import { initiatives } from './initiatives.js';
import { agendaItems, meetings } from './meetings.js';
import { primaryId, tenantId, timestamps, ts } from './columns.js';

// Outcomes of meetings: minutes, decisions, issues and feedback. Foreign keys have no ON DELETE
// action (except the minutes draft): deleting a meeting, person, department or agenda item that an
// outcome names is refused by the database (409), never destroyed silently.
// Search indexes (trigram GIN) are created in a custom migration: see 0009_outcomes_search.sql and 0012_outcomes_search_indexes.sql.

export interface AttendanceEntry {
  personId: string;
  present: boolean;
}

export interface Acknowledgement {
  personId: string | null;
  note: string;
}

/** The editable draft of a meeting's minutes (one per meeting). */
export const minutes = pgTable(
  'minutes',
  {
    id: primaryId(),
    organizationId: tenantId(),
    meetingId: uuid().notNull().references(() => meetings.id, { onDelete: 'cascade' }),
    summary: text().notNull().default(''),
    attendance: jsonb().$type<AttendanceEntry[]>().notNull().default([]),
    acknowledgements: jsonb().$type<Acknowledgement[]>().notNull().default([]),
    /** The last revision published from this draft; 0 before the first publish. */
    publishedRevision: integer().notNull().default(0),
    ...timestamps(),
  },
  (t) => [uniqueIndex('minutes_org_meeting_key').on(t.organizationId, t.meetingId)],
);

/**
 * A published revision: a frozen snapshot of the draft, the meeting's decisions and issues (with
 * owner names and e-mails). Rows are never updated or deleted (a trigger refuses both).
 */
export const minutesRevisions = pgTable(
  'minutes_revisions',
  {
    id: primaryId(),
    organizationId: tenantId(),
    meetingId: uuid().notNull().references(() => meetings.id),
    revision: integer().notNull(),
    content: jsonb().$type<Record<string, unknown>>().notNull(),
    changedFields: text().array().notNull(),
    publishedAt: ts().notNull().defaultNow(),
    publishedByKeyId: uuid(),
  },
  (t) => [uniqueIndex('minutes_revisions_org_meeting_revision_key').on(t.organizationId, t.meetingId, t.revision)],
);

export const decisions = pgTable(
  'decisions',
  {
    id: primaryId(),
    organizationId: tenantId(),
    meetingId: uuid().notNull().references(() => meetings.id),
    agendaItemId: uuid().references(() => agendaItems.id),
    /** The meeting's initiative when the decision was recorded. */
    initiativeId: uuid().references(() => initiatives.id),
    title: text().notNull(),
    statement: text().notNull(),
    rationale: text(),
    decidedAt: ts().notNull(),
    status: text().notNull().default('active'),
    supersedesId: uuid().references((): AnyPgColumn => decisions.id),
    supersededById: uuid().references((): AnyPgColumn => decisions.id),
    revocationReason: text(),
    revokedAt: ts(),
    ...timestamps(),
  },
  (t) => [
    index('decisions_org_list_idx').on(t.organizationId, t.createdAt, t.id),
    index('decisions_org_meeting_idx').on(t.organizationId, t.meetingId, t.createdAt),
    index('decisions_org_initiative_idx').on(t.organizationId, t.initiativeId, t.createdAt),
    index('decisions_org_status_idx').on(t.organizationId, t.status, t.createdAt),
    // A decision is superseded by at most one other.
    uniqueIndex('decisions_org_supersedes_key').on(t.organizationId, t.supersedesId),
  ],
);

/** Supporters (`objects = false`) and objections (`objects = true`, with a note) of a decision. */
export const decisionStances = pgTable(
  'decision_stances',
  {
    organizationId: tenantId(),
    decisionId: uuid().notNull().references(() => decisions.id, { onDelete: 'cascade' }),
    personId: uuid().notNull().references(() => people.id),
    objects: boolean().notNull(),
    note: text(),
    position: smallint().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.decisionId, t.personId] }),
    index('decision_stances_org_person_idx').on(t.organizationId, t.personId),
  ],
);

export const issues = pgTable(
  'issues',
  {
    id: primaryId(),
    organizationId: tenantId(),
    title: text().notNull(),
    description: text(),
    kind: text().notNull().default('action'),
    priority: text().notNull().default('normal'),
    status: text().notNull().default('open'),
    ownerId: uuid().references(() => people.id),
    departmentId: uuid().references(() => departments.id),
    dueAt: ts(),
    resolution: text(),
    resolvedAt: ts(),
    closedAt: ts(),
    meetingId: uuid().references(() => meetings.id),
    agendaItemId: uuid().references(() => agendaItems.id),
    initiativeId: uuid().references(() => initiatives.id),
    followUpMeetingId: uuid().references(() => meetings.id),
    /** The due date for which `issue.overdue` was emitted; a new dueAt re-arms the scan. */
    overdueNotifiedFor: ts(),
    ...timestamps(),
  },
  (t) => [
    index('issues_org_list_idx').on(t.organizationId, t.createdAt, t.id),
    index('issues_org_status_due_idx').on(t.organizationId, t.status, t.dueAt),
    index('issues_org_owner_idx').on(t.organizationId, t.ownerId, t.createdAt),
    index('issues_org_department_idx').on(t.organizationId, t.departmentId, t.createdAt),
    index('issues_org_initiative_idx').on(t.organizationId, t.initiativeId, t.createdAt),
    index('issues_org_meeting_idx').on(t.organizationId, t.meetingId, t.createdAt),
    index('issues_org_due_idx').on(t.organizationId, t.dueAt),
    // The overdue scan reads only unresolved issues not yet notified for their due date.
    index('issues_overdue_scan_idx')
      .on(t.dueAt)
      .where(sql`status in ('open', 'in_progress', 'blocked') and due_at is not null and overdue_notified_for is distinct from due_at`),
    // The follow-through rules' due scans (issue.due_soon, issue.escalated) across organisations.
    index('issues_unresolved_due_idx').on(t.dueAt).where(sql`status in ('open', 'in_progress', 'blocked') and due_at is not null`),
  ],
);

export const feedback = pgTable(
  'feedback',
  {
    id: primaryId(),
    organizationId: tenantId(),
    meetingId: uuid().notNull().references(() => meetings.id),
    personId: uuid().notNull().references(() => people.id),
    rating: smallint().notNull(),
    comment: text(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('feedback_org_meeting_person_key').on(t.organizationId, t.meetingId, t.personId),
    index('feedback_org_meeting_list_idx').on(t.organizationId, t.meetingId, t.createdAt, t.id),
    index('feedback_org_person_idx').on(t.organizationId, t.personId),
  ],
);
