import { index, pgTable, uuid } from 'drizzle-orm/pg-core';
import { primaryId, tenantId, ts } from './columns.js';

// One row per open SSE stream (GET /v1/events/stream), so that the streams of an API key are
// counted across every API process sharing the database (LIAISON_STREAMS_PER_KEY). The process
// holding a stream renews its row while the stream is open and deletes it when the stream ends;
// the rows of a process that died lapse at `expiresAt`.
export const eventStreamLeases = pgTable(
  'event_stream_leases',
  {
    id: primaryId(),
    organizationId: tenantId(),
    apiKeyId: uuid().notNull(),
    openedAt: ts().notNull().defaultNow(),
    expiresAt: ts().notNull(),
  },
  (t) => [index('event_stream_leases_key_idx').on(t.organizationId, t.apiKeyId, t.expiresAt)],
);
