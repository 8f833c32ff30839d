import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
import type { Metrics } from '../platform/metrics.js';

/** How long a claim is owned without renewal; an expired lease means the worker died. */
export const LEASE_MS = 5_000;
export const DELIVERY_CHANNEL = 'liaison_deliveries';
export const DEFAULT_PER_ENDPOINT = 4;

/** A delivery claimed for one attempt, with what sending it needs. */
export interface ClaimedDelivery {
  id: string;
  organizationId: string;
  webhookId: string;
  eventId: string;
  eventType: string;
  attempts: number;
  totalAttempts: number;
  failingNotified: boolean;
  url: string;
  enabled: boolean;
  secret: string;
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
  occurredAt: Date;
  data: Record<string, unknown>;
}

interface ClaimRow {
  id: string;
  organization_id: string;
  webhook_id: string;
  event_id: string;
  event_type: string;
  attempts: number;
  total_attempts: number;
  failing_notified: boolean;
  url: string;
  enabled: boolean;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: string | Date | null;
  occurred_at: string | Date;
  data: Record<string, unknown>;
}

const toClaimed = (r: ClaimRow): ClaimedDelivery => ({
  id: r.id,
  organizationId: r.organization_id,
  webhookId: r.webhook_id,
  eventId: r.event_id,
  eventType: r.event_type,
  attempts: r.attempts,
  totalAttempts: r.total_attempts,
  failingNotified: r.failing_notified,
  url: r.url,
  enabled: r.enabled,
  secret: r.secret,
  previousSecret: r.previous_secret,
  previousSecretExpiresAt: r.previous_secret_expires_at ? new Date(r.previous_secret_expires_at) : null,
  occurredAt: new Date(r.occurred_at),
  data: r.data,
});

// Data-modifying statements must sit in a top-level WITH, so the claim's CTEs come first.
const withSending = (ctes: SQL, claimed: SQL) => sql`
  with ${ctes} claimed as (${claimed})
  select c.id, c.organization_id, c.webhook_id, c.event_id, c.event_type, c.attempts, c.total_attempts, c.failing_notified,
         w.url, w.enabled, w.secret, w.previous_secret, w.previous_secret_expires_at, e.occurred_at, e.data
  from claimed c join webhooks w on w.id = c.webhook_id join events e on e.id = c.event_id`;

/**
 * Claims up to `limit` due deliveries. Rows are locked with SKIP LOCKED so concurrent workers
 * never claim the same row, and leased so that no other worker takes them while this one sends.
 * Endpoints that already have `perEndpoint` deliveries in flight (in any process) are left out
 * before the LIMIT, so one slow endpoint's backlog cannot fill every claim; concurrent claimers
 * can overshoot the bound slightly, never undercut it.
 */
export async function claimDue(db: DbOrTx, workerId: string, limit: number, perEndpoint = DEFAULT_PER_ENDPOINT): Promise<ClaimedDelivery[]> {
  const lease = `${LEASE_MS} milliseconds`;
  const rows = (await db.execute(withSending(sql`
    busy as (
      select webhook_id from webhook_deliveries
      where status = 'pending' and lease_until > now()
      group by webhook_id having count(*) >= ${perEndpoint}
    ),
    candidates as (
      select id, webhook_id, next_attempt_at from webhook_deliveries
      where status = 'pending' and next_attempt_at <= now()
        and (lease_until is null or lease_until <= now())
        and webhook_id not in (select webhook_id from busy)
        -- a delivery queued while its endpoint was being deleted is left for pruning
        and exists (select 1 from webhooks w where w.id = webhook_id)
      order by next_attempt_at
      limit ${limit * 4}
      for update skip locked
    ),
    inflight as (
      select webhook_id, count(*)::int as n from webhook_deliveries
      where status = 'pending' and lease_until > now() and webhook_id in (select webhook_id from candidates)
      group by webhook_id
    ),
    chosen as (
      select c.id from (
        select id, webhook_id, next_attempt_at, row_number() over (partition by webhook_id order by next_attempt_at, id) as rn from candidates
      ) c left join inflight f on f.webhook_id = c.webhook_id
      where c.rn <= ${perEndpoint} - coalesce(f.n, 0)
      order by c.next_attempt_at
      limit ${limit}
    ),`, sql`
    update webhook_deliveries d set lease_until = now() + ${lease}::interval, leased_by = ${workerId}, updated_at = now()
    from chosen where d.id = chosen.id
    returning d.*`))) as unknown as ClaimRow[];
  return rows.map(toClaimed);
}

/** Claims one given delivery (the test route sends its own delivery at once). */
export async function claimOne(db: DbOrTx, workerId: string, organizationId: string, id: string, leaseMs: number): Promise<ClaimedDelivery | null> {
  const rows = (await db.execute(withSending(sql``, sql`
    update webhook_deliveries set lease_until = now() + ${`${leaseMs} milliseconds`}::interval, leased_by = ${workerId}, updated_at = now()
    where organization_id = ${organizationId} and id = ${id} and status = 'pending'
    returning *`))) as unknown as ClaimRow[];
  return rows[0] ? toClaimed(rows[0]) : null;
}

/** Keeps the leases of deliveries still in flight, so only a dead worker's leases run out. */
export async function renewLeases(db: DbOrTx, workerId: string, ids: string[]) {
  if (ids.length === 0) return;
  await db.execute(sql`
    update webhook_deliveries set lease_until = now() + ${`${LEASE_MS} milliseconds`}::interval
    where id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)}) and leased_by = ${workerId} and status = 'pending'`);
}

/** Deliveries claimed for an endpoint that was disabled meanwhile are kept as skipped. */
export async function markSkipped(db: DbOrTx, workerId: string, id: string) {
  await db.execute(sql`
    update webhook_deliveries set status = 'skipped', lease_until = null, leased_by = null, next_attempt_at = null, updated_at = now()
    where id = ${id} and leased_by = ${workerId} and status = 'pending'`);
}

/** Queue depth and the age of the oldest due delivery, for /metrics. */
export async function queueGauges(db: DbOrTx): Promise<{ depth: number; oldestDueSeconds: number }> {
  const [row] = (await db.execute(sql`
    select count(*)::int as depth,
           coalesce(extract(epoch from now() - min(next_attempt_at) filter (where next_attempt_at <= now())), 0)::float8 as oldest
    from webhook_deliveries where status = 'pending'`)) as unknown as [{ depth: number; oldest: number }];
  return { depth: row.depth, oldestDueSeconds: Math.max(0, row.oldest) };
}

/** The /metrics callback: queue gauges are read from the database when scraped. */
export async function refreshQueueGauges(db: DbOrTx, metrics: Metrics) {
  const g = await queueGauges(db);
  metrics.queueDepth.set(g.depth);
  metrics.oldestDueAge.set(g.oldestDueSeconds);
}
