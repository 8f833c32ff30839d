import { boolean, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { people } from './directory.js';
import { initiatives } from './initiatives.js';
import { primaryId, tenantId, timestamps, ts } from './columns.js';

/** A participant as the series template lists it; each new occurrence starts with these. */
export interface SeriesParticipant {
  personId: string;
  role: string;
}

/** A recurring meeting: its RRULE and the template each materialised occurrence is made from. */
export const meetingSeries = pgTable(
  'meeting_series',
  {
    id: primaryId(),
    organizationId: tenantId(),
    recurrence: text().notNull(),
    timeZone: text().notNull(),
    firstStartsAt: ts().notNull(),
    durationMinutes: integer().notNull(),
    materializedUntil: ts().notNull(),
    // The template of occurrences not yet materialised (edits of the series update it too).
    title: text().notNull().default(''),
    objective: text(),
    location: text(),
    onlineUrl: text(),
    organizerId: uuid().references(() => people.id),
    initiativeId: uuid().references(() => initiatives.id),
    materialsLeadMinutes: integer().notNull().default(1440),
    /** The visibility of occurrences materialised later (`organization` or `participants`). */
    visibility: text().notNull().default('organization'),
    participants: jsonb().$type<SeriesParticipant[]>().notNull().default([]),
    /** SEQUENCE of the series' master VEVENT (the one carrying the RRULE). */
    sequence: integer().notNull().default(0),
    /** Once set, occurrences materialised later start out scheduled (the series invitation covers them). */
    invitationsSentAt: ts(),
    /** Set when the rule has no occurrence left after materializedUntil. */
    exhausted: boolean().notNull().default(false),
    ...timestamps(),
  },
  (t) => [
    index('meeting_series_org_idx').on(t.organizationId, t.materializedUntil),
    // The worker's scan for series to extend runs across organisations (off the request path).
    index('meeting_series_horizon_idx').on(t.materializedUntil).where(sql`not ${t.exhausted}`),
  ],
);

export const meetings = pgTable(
  'meetings',
  {
    id: primaryId(),
    organizationId: tenantId(),
    initiativeId: uuid().references(() => initiatives.id),
    seriesId: uuid().references(() => meetingSeries.id),
    followUpOfId: uuid().references((): AnyPgColumn => meetings.id),
    title: text().notNull(),
    objective: text(),
    startsAt: ts().notNull(),
    endsAt: ts().notNull(),
    timeZone: text().notNull(),
    location: text(),
    onlineUrl: text(),
    organizerId: uuid().references(() => people.id),
    status: text().notNull().default('draft'),
    materialsDueAt: ts().notNull(),
    sequence: integer().notNull().default(0),
    recurrence: text(),
    /** For an occurrence of a series: the start the rule gave it (its iCalendar RECURRENCE-ID). */
    originalStartsAt: ts(),
    invitationsSentAt: ts(),
    startedAt: ts(),
    endedAt: ts(),
    cancelledAt: ts(),
    cancelReason: text(),
    /**
     * `organization` (every key and person of the organisation sees it) or `participants` (only its
     * organizer's and participants' person-bound keys and keys with scope `confidential`): SPEC §8.
     */
    visibility: text().notNull().default('organization'),
    ...timestamps(),
  },
  (t) => [
    index('meetings_org_starts_idx').on(t.organizationId, t.startsAt, t.id),
    index('meetings_org_status_starts_idx').on(t.organizationId, t.status, t.startsAt),
    index('meetings_org_initiative_starts_idx').on(t.organizationId, t.initiativeId, t.startsAt),
    index('meetings_org_series_starts_idx').on(t.organizationId, t.seriesId, t.startsAt),
    // Search reads a common word's hits newest first from this order (src/search/queries.ts).
    index('meetings_org_created_idx').on(t.organizationId, t.createdAt, t.id),
    // One meeting per occurrence of a series: materialising twice (two workers) adds nothing.
    uniqueIndex('meetings_org_series_occurrence_key').on(t.organizationId, t.seriesId, t.originalStartsAt),
    // The follow-through rules' due scans run across organisations (the worker's scheduler) over
    // the moment columns of meetings that can still fire (src/follow-through/meeting-rules.ts);
    // GET /v1/reminders reads one organisation's by the org-leading ones.
    index('meetings_scheduled_starts_idx').on(t.startsAt).where(sql`status = 'scheduled'`),
    index('meetings_scheduled_materials_due_idx').on(t.materialsDueAt).where(sql`status = 'scheduled'`),
    index('meetings_held_ends_idx').on(t.endsAt).where(sql`status in ('scheduled', 'in_progress', 'completed')`),
    index('meetings_org_materials_due_idx').on(t.organizationId, t.materialsDueAt),
    index('meetings_org_ends_idx').on(t.organizationId, t.endsAt),
  ],
);

export const meetingParticipants = pgTable(
  'meeting_participants',
  {
    organizationId: tenantId(),
    meetingId: uuid().notNull().references(() => meetings.id, { onDelete: 'cascade' }),
    personId: uuid().notNull().references(() => people.id),
    role: text().notNull().default('required'),
    response: text().notNull().default('needs_action'),
    respondedAt: ts(),
    attended: boolean(),
    ...timestamps(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.meetingId, t.personId] }),
    index('meeting_participants_org_person_idx').on(t.organizationId, t.personId, t.meetingId),
  ],
);

export const agendaItems = pgTable(
  'agenda_items',
  {
    id: primaryId(),
    organizationId: tenantId(),
    meetingId: uuid().notNull().references(() => meetings.id, { onDelete: 'cascade' }),
    position: integer().notNull(),
    title: text().notNull(),
    description: text(),
    kind: text().notNull().default('discussion'),
    ownerId: uuid().references(() => people.id),
    durationMinutes: integer(),
    status: text().notNull().default('pending'),
    /** The agenda item this one was carried over from (follow-up meetings). */
    carriedFromId: uuid().references((): AnyPgColumn => agendaItems.id),
    /** The open issue this item was carried over for, if any. */
    issueId: uuid(),
    ...timestamps(),
  },
  (t) => [
    index('agenda_items_org_meeting_position_idx').on(t.organizationId, t.meetingId, t.position),
    uniqueIndex('agenda_items_org_carried_key').on(t.organizationId, t.meetingId, t.carriedFromId),
  ],
);
