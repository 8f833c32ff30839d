import type { Tx } from '../platform/database.js';
import type { AppendedEvent } from '../events/outbox.js';

/** Queues one delivery per endpoint subscribed to the event, in the event's transaction. */
export async function fanOutToWebhooks(_tx: Tx, _organizationId: string, _event: AppendedEvent): Promise<void> {
  // Filled in by the webhooks module (deliveries table).
}
