import { sql, type SQL } from 'drizzle-orm';
import type { EventSubscriber } from '../events/outbox.js';
import type { VisibilityFollower } from '../events/meeting-visibility.js';
import { SKIP_QUEUED } from './queue.js';
import { TARGETED_EVENT_TYPES } from './events.js';

const targeted = sql.join([...TARGETED_EVENT_TYPES].map((t) => sql`${t}`), sql`, `);

/**
 * Queues one delivery per endpoint subscribed to each appended event, in the statement that
 * appends them (registered with the event log at composition), so a committed change always has
 * its deliveries and a rolled-back one has none. An endpoint subscribes with `*`, the type itself
 * or a `prefix.*` above it (subscriptions.ts: patternsMatching). Disabled endpoints get a `skipped`
 * row that `replay` can recover. `webhook.test` is queued by the test route for its one endpoint;
 * `webhook.failing`/`webhook.disabled` skip the endpoint they are about. An event about a confidential
 * meeting (its `confidential_meeting_id`, SPEC §8) goes only to endpoints with `include_confidential`.
 */
export const fanOutToWebhooks: EventSubscriber = (appended: SQL) => sql`
  insert into webhook_deliveries (organization_id, webhook_id, event_id, event_occurred_at, event_type, status, next_attempt_at)
  select w.organization_id, w.id, e.id, e.occurred_at, e.type,
         case when w.enabled then 'pending' else 'skipped' end,
         case when w.enabled then now() end
  from ${appended} e join webhooks w on w.organization_id = e.organization_id
  where e.type <> 'webhook.test'
    and exists (select from unnest(w.event_types) p where p = '*' or p = e.type or (right(p, 2) = '.*' and starts_with(e.type, left(p, -1))))
    and (e.type not in (${targeted}) or w.id::text is distinct from e.data->'webhook'->>'id')
    and (e.confidential_meeting_id is null or w.include_confidential)`;

/**
 * What is still queued to endpoints without `include_confidential` about events that have just
 * become confidential (their meeting was made so) is skipped, in the statement that marks them
 * (registered with the event log at composition), as when an endpoint turns
 * `includeConfidential` off (subscriptions.ts).
 */
export const skipNewlyConfidential: VisibilityFollower = (changed: SQL) => sql`
  update webhook_deliveries d set ${SKIP_QUEUED}
  from ${changed} c join webhooks w on w.organization_id = c.organization_id and not w.include_confidential
  where c.confidential_meeting_id is not null and d.organization_id = c.organization_id and d.webhook_id = w.id
    and d.event_id = c.id and d.event_occurred_at = c.occurred_at and d.status = 'pending'`;
