import { index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { people } from './directory.js';
import { primaryId, tenantId, ts } from './columns.js';

/** Working hours as stored: per weekday, `[start, end]` wall-clock ranges (`HH:MM`) in a zone. */
export type StoredWorkingHours = Partial<Record<'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun', string[][]>>;

// Busy time a calendar integration reports for a person (SPEC §7), per `source` (one calendar
// account, say): each import replaces that source's blocks inside its window. The blocks are a
// mirror of the person's own calendar, so they go with the person.
//
// Window reads (`ends_at > from and starts_at < to`) walk the index from `from` on: what lies
// ahead of a window, never the history behind it, however long a block lasts.
export const busyBlocks = pgTable(
  'busy_blocks',
  {
    id: primaryId(),
    organizationId: tenantId(),
    personId: uuid()
      .notNull()
      .references(() => people.id, { onDelete: 'cascade' }),
    source: text().notNull(),
    startsAt: ts().notNull(),
    endsAt: ts().notNull(),
    createdAt: ts().notNull().defaultNow(),
  },
  (t) => [
    index('busy_blocks_org_person_ends_idx').on(t.organizationId, t.personId, t.endsAt, t.startsAt),
    index('busy_blocks_org_person_source_ends_idx').on(t.organizationId, t.personId, t.source, t.endsAt),
  ],
);
