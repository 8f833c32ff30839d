import { sql } from 'drizzle-orm';
import type { Tx } from '../platform/database.js';
import type { AppendedEvent } from '../events/outbox.js';
import { TARGETED_EVENT_TYPES } from './events.js';
import { patternsMatching } from './subscriptions.js';

/**
 * Queues one delivery per endpoint subscribed to the event, in the event's transaction, so a
 * committed change always has its deliveries and a rolled-back one has none. Disabled endpoints get
 * a `skipped` row that `replay` can recover. `webhook.test` is queued by the test route for its one
 * endpoint; `webhook.failing`/`webhook.disabled` skip the endpoint they are about.
 */
export async function fanOutToWebhooks(tx: Tx, organizationId: string, event: AppendedEvent): Promise<void> {
  if (event.type === 'webhook.test') return;
  const about = TARGETED_EVENT_TYPES.has(event.type) ? ((event.data.webhook as { id?: string } | undefined)?.id ?? null) : null;
  const patterns = `{${patternsMatching(event.type).map((p) => `"${p}"`).join(',')}}`;
  await tx.execute(sql`
    insert into webhook_deliveries (organization_id, webhook_id, event_id, event_type, status, next_attempt_at)
    select organization_id, id, ${event.id}, ${event.type},
           case when enabled then 'pending' else 'skipped' end,
           case when enabled then now() end
    from webhooks
    where organization_id = ${organizationId} and event_types && ${patterns}::text[]
      ${about ? sql`and id <> ${about}` : sql``}`);
}
