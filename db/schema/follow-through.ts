import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { primaryId, tenantId, timestamps, ts } from './columns.js';
import { initiatives } from './initiatives.js';

// The follow-through policy (SPEC §6): one row for the organisation (initiative_id null) and one
// per initiative that overrides it. `settings` holds only the fields that were set; absent fields
// inherit (initiative → organisation → defaults). `version` is the ETag.
export const followThroughPolicies = pgTable(
  'follow_through_policies',
  {
    id: primaryId(),
    organizationId: tenantId(),
    initiativeId: uuid().references(() => initiatives.id, { onDelete: 'cascade' }),
    settings: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('follow_through_policies_org_idx').on(t.organizationId).where(sql`${t.initiativeId} is null`),
    uniqueIndex('follow_through_policies_initiative_idx').on(t.organizationId, t.initiativeId).where(sql`${t.initiativeId} is not null`),
  ],
);

// Every moment a time-driven rule fired (or skipped) for a subject. The key makes a moment fire
// at most once across workers: the row is inserted in the transaction that records its event,
// so a crash before commit leaves the moment to fire again and a commit leaves it done.
export const scheduledFirings = pgTable(
  'scheduled_firings',
  {
    organizationId: tenantId(),
    rule: text().notNull(),
    subjectType: text().notNull(),
    subjectId: uuid().notNull(),
    moment: ts().notNull(),
    status: text().$type<'fired' | 'skipped'>().notNull(),
    reason: text(),
    eventId: uuid(),
    eventOccurredAt: ts(),
    recipients: jsonb().$type<unknown[]>().notNull().default([]),
    firedAt: ts().notNull(),
    lateBySeconds: integer().notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.rule, t.subjectId, t.moment] }),
    index('scheduled_firings_subject_idx').on(t.organizationId, t.subjectId, t.moment),
    index('scheduled_firings_fired_idx').on(t.organizationId, t.firedAt),
    // GET /v1/reminders: a window of an organisation's firings in (moment, rule, subject) order,
    // rule compared by code point so the keyset matches the order the API merges planned ones in.
    index('scheduled_firings_moment_idx').on(t.organizationId, t.moment, sql`${t.rule} collate "C"`, t.subjectId),
  ],
);
