import { date, index, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { people } from './directory.js';
import { primaryId, tenantId, timestamps } from './columns.js';

export const initiatives = pgTable(
  'initiatives',
  {
    id: primaryId(),
    organizationId: tenantId(),
    title: text().notNull(),
    objective: text(),
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
