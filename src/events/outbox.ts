import { sql } from 'drizzle-orm';
import { events } from '../../db/schema/index.js';
import type { Tx } from '../platform/database.js';
import { fanOutToWebhooks } from '../webhooks/fan-out.js';

export const EVENTS_CHANNEL = 'liaison_events';

export interface AppendedEvent {
  id: string;
  type: string;
  occurredAt: Date;
  data: Record<string, unknown>;
}

/**
 * Appends an event to the organisation's log inside the caller's transaction, queues one delivery
 * per subscribed endpoint in the same transaction, and notifies listeners (SSE streams, delivery
 * workers) once it commits: PostgreSQL delivers NOTIFY only on commit, so a rolled-back change
 * wakes nobody and sends nothing.
 */
export async function appendEvent(tx: Tx, organizationId: string, type: string, data: Record<string, unknown>): Promise<AppendedEvent> {
  const [row] = await tx
    .insert(events)
    .values({ organizationId, type, data })
    .returning({ id: events.id, occurredAt: events.occurredAt });
  const appended = { id: row!.id, type, occurredAt: row!.occurredAt, data };
  await fanOutToWebhooks(tx, organizationId, appended);
  await tx.execute(sql`select pg_notify(${EVENTS_CHANNEL}, ${organizationId})`);
  return appended;
}
