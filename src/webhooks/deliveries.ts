import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { webhookAttempts, webhookDeliveries } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { Conflict, NotFound } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { iso } from '../platform/schemas.js';
import { typeFilter } from '../events/queries.js';
import { DELIVERY_CHANNEL } from './queue.js';
import { assertEventTypes, findWebhook } from './subscriptions.js';
import type { Replay } from './schemas.js';

type DeliveryRow = typeof webhookDeliveries.$inferSelect;
type AttemptRow = typeof webhookAttempts.$inferSelect;

/** Most deliveries one replay queues; the answer says when more matched. */
export const REPLAY_CAP = 10_000;

function toApiAttempt(a: AttemptRow) {
  return {
    number: a.number,
    attemptedAt: iso(a.attemptedAt)!,
    responseStatus: a.responseStatus,
    durationMs: a.durationMs,
    responseBody: a.responseBody,
    errorClass: a.errorClass as 'dns' | 'connect' | 'tls' | 'timeout' | 'blocked' | 'http' | null,
    error: a.error,
    nextAttemptAt: iso(a.nextAttemptAt),
  };
}

export function toApiDelivery(d: DeliveryRow, attempts: AttemptRow[]) {
  return {
    id: d.id,
    webhookId: d.webhookId,
    eventId: d.eventId,
    eventType: d.eventType,
    status: d.status as 'pending' | 'succeeded' | 'failed' | 'skipped',
    attemptCount: d.totalAttempts,
    nextAttemptAt: iso(d.nextAttemptAt),
    lastAttemptAt: iso(d.lastAttemptAt),
    lastResponseStatus: d.lastResponseStatus,
    lastError: d.lastError,
    attempts: attempts.map(toApiAttempt),
    createdAt: iso(d.createdAt)!,
    updatedAt: iso(d.updatedAt)!,
  };
}

/** Each delivery with its attempts: one query for the page and one for all their attempts. */
export async function withAttempts(db: DbOrTx, organizationId: string, rows: DeliveryRow[]) {
  if (rows.length === 0) return [];
  const attempts = await db
    .select()
    .from(webhookAttempts)
    .where(and(eq(webhookAttempts.organizationId, organizationId), inArray(webhookAttempts.deliveryId, rows.map((r) => r.id))))
    .orderBy(asc(webhookAttempts.deliveryId), asc(webhookAttempts.number));
  const byDelivery = new Map<string, AttemptRow[]>();
  for (const a of attempts) byDelivery.set(a.deliveryId, [...(byDelivery.get(a.deliveryId) ?? []), a]);
  return rows.map((r) => ({ row: r, attempts: byDelivery.get(r.id) ?? [] }));
}

export async function listDeliveries(
  db: DbOrTx,
  organizationId: string,
  webhookId: string,
  q: { limit: number; cursor?: string; status?: string; eventType?: string; from?: string; to?: string },
) {
  await findWebhook(db, organizationId, webhookId);
  const d = webhookDeliveries;
  const rows = await db
    .select()
    .from(d)
    .where(
      and(
        eq(d.organizationId, organizationId),
        eq(d.webhookId, webhookId),
        q.status ? eq(d.status, q.status) : undefined,
        q.eventType ? eq(d.eventType, q.eventType) : undefined,
        q.from ? gte(d.createdAt, new Date(q.from)) : undefined,
        q.to ? lt(d.createdAt, new Date(q.to)) : undefined,
        afterCreated(d.createdAt, d.id, q.cursor),
      ),
    )
    .orderBy(d.createdAt, d.id)
    .limit(q.limit + 1);
  return withAttempts(db, organizationId, rows);
}

export async function findDelivery(db: DbOrTx, organizationId: string, webhookId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = db
    .select()
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.organizationId, organizationId), eq(webhookDeliveries.webhookId, webhookId), eq(webhookDeliveries.id, id)));
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  if (!row) throw new NotFound('Delivery');
  return row;
}

export async function getDelivery(db: DbOrTx, organizationId: string, webhookId: string, id: string) {
  const [one] = await withAttempts(db, organizationId, [await findDelivery(db, organizationId, webhookId, id)]);
  return toApiDelivery(one!.row, one!.attempts);
}

async function assertEnabled(rec: ChangeRecorder, webhookId: string) {
  const w = await findWebhook(rec.tx, rec.organizationId, webhookId);
  if (!w.enabled) throw new Conflict('The webhook is disabled; enable it (PATCH enabled: true) before sending to it again.');
  return w;
}

/** Sends a delivery again now, as a new round of the schedule; its `webhook-id` stays the event id. */
export async function retryDelivery(rec: ChangeRecorder, webhookId: string, id: string) {
  const w = await assertEnabled(rec, webhookId);
  const current = await findDelivery(rec.tx, rec.organizationId, webhookId, id, { forUpdate: true });
  if (!w.includeConfidential) {
    // The event's meeting may have become confidential since it was queued (SPEC §8).
    const [event] = (await rec.tx.execute(sql`select confidential_meeting_id from events
      where organization_id = ${rec.organizationId} and id = ${current.eventId} and occurred_at = ${current.eventOccurredAt.toISOString()}::timestamptz`)) as unknown as { confidential_meeting_id: string | null }[];
    if (event?.confidential_meeting_id) {
      throw new Conflict('The event is about a confidential meeting, and this endpoint does not receive those (includeConfidential is false).');
    }
  }
  if (current.status === 'pending' && current.leaseUntil && current.leaseUntil > new Date()) {
    throw new Conflict('The delivery is being attempted right now (status pending); retry after it finishes.');
  }
  const [row] = await rec.tx
    .update(webhookDeliveries)
    .set({ status: 'pending', attempts: 0, nextAttemptAt: sql`now()`, failingNotified: false, leaseUntil: null, leasedBy: null, updatedAt: new Date() })
    .where(eq(webhookDeliveries.id, id))
    .returning();
  rec.wake(DELIVERY_CHANNEL, rec.organizationId); // once committed: workers claim it at once
  await rec.audit({ action: 'retry', entityType: 'webhook_delivery', entityId: id, before: { status: current.status }, after: { status: 'pending' } });
  const [one] = await withAttempts(rec.tx, rec.organizationId, [row!]);
  return toApiDelivery(one!.row, one!.attempts);
}

/**
 * Queues the endpoint's matching events again: by default those whose delivery failed or was
 * skipped; with `all`, every event in the window that the endpoint subscribes to, including ones
 * it never had a delivery for. Events about a confidential meeting only for an endpoint with
 * `includeConfidential` (as the fan-out). One statement, capped at REPLAY_CAP.
 */
export async function replayEvents(rec: ChangeRecorder, webhookId: string, input: Replay) {
  if (input.types) assertEventTypes(input.types, 'body.types');
  await assertEnabled(rec, webhookId);
  const w = await findWebhook(rec.tx, rec.organizationId, webhookId);
  const subscribed = typeFilter(w.eventTypes);
  const wanted = typeFilter(input.types);
  const statuses = input.all ? sql`d.status is distinct from 'pending'` : sql`d.status in ('failed', 'skipped')`;
  const rows = (await rec.tx.execute(sql`
    with matching as (
      select e.id, e.type, e.occurred_at from events e
      left join webhook_deliveries d on d.organization_id = e.organization_id and d.webhook_id = ${webhookId} and d.event_id = e.id
        and d.event_occurred_at = e.occurred_at
      where e.organization_id = ${rec.organizationId} and e.occurred_at >= ${input.since}::timestamptz
        ${input.until ? sql`and e.occurred_at < ${input.until}::timestamptz` : sql``}
        ${subscribed ? sql`and ${subscribed}` : sql``} ${wanted ? sql`and ${wanted}` : sql``}
        and e.type <> 'webhook.test' and ${statuses} ${w.includeConfidential ? sql`` : sql`and e.confidential_meeting_id is null`}
        and not (e.type in ('webhook.failing', 'webhook.disabled') and e.data->'webhook'->>'id' = ${webhookId}::text) ${input.all ? sql`` : sql`and d.id is not null`}
      order by e.txid, e.seq
      limit ${REPLAY_CAP + 1}
    ), queued as (
      insert into webhook_deliveries (organization_id, webhook_id, event_id, event_occurred_at, event_type, status, next_attempt_at)
      select ${rec.organizationId}, ${webhookId}, id, occurred_at, type, 'pending', now() from (select * from matching limit ${REPLAY_CAP}) m
      on conflict (organization_id, webhook_id, event_id, event_occurred_at) do update
        set status = 'pending', attempts = 0, next_attempt_at = now(), failing_notified = false, lease_until = null, leased_by = null, updated_at = now()
      returning 1
    )
    select (select count(*) from queued)::int as queued, (select count(*) from matching)::int as matched`)) as unknown as [{ queued: number; matched: number }];
  const { queued, matched } = rows[0];
  rec.wake(DELIVERY_CHANNEL, rec.organizationId); // once committed: workers claim it at once
  await rec.audit({ action: 'replay', entityType: 'webhook', entityId: webhookId, after: { since: input.since, until: input.until ?? null, types: input.types ?? null, all: input.all, queued } });
  return { queued, capped: matched > REPLAY_CAP };
}
