import { index, integer, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { people } from './directory.js';
import { meetings } from './meetings.js';
import { primaryId, tenantId, timestamps, ts } from './columns.js';

// A new time an attendee proposed for a meeting (an iTIP COUNTER, RFC 5546 §3.2.7), until the
// organizer accepts it (the meeting moves) or declines it (a DECLINECOUNTER goes back). `sequence`
// is the meeting's SEQUENCE the proposal answered, so a later reader sees whether it still fits.
export const meetingTimeProposals = pgTable(
  'meeting_time_proposals',
  {
    id: primaryId(),
    organizationId: tenantId(),
    meetingId: uuid()
      .notNull()
      .references(() => meetings.id, { onDelete: 'cascade' }),
    personId: uuid()
      .notNull()
      .references(() => people.id),
    startsAt: ts().notNull(),
    endsAt: ts().notNull(),
    comment: text(),
    /** `proposed`, then `accepted` or `declined`. */
    status: text().notNull().default('proposed'),
    sequence: integer().notNull(),
    decidedAt: ts(),
    ...timestamps(),
  },
  (t) => [index('meeting_time_proposals_org_meeting_created_idx').on(t.organizationId, t.meetingId, t.createdAt, t.id)],
);
