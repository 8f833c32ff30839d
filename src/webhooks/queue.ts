import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
import type { Metrics } from '../platform/metrics.js';

/** How long a claim is owned without renewal; an expired lease means the worker died. */
export const LEASE_MS = 5_000;
export const DELIVERY_CHANNEL = 'liaison_deliveries';
export const DEFAULT_PER_ENDPOINT = 4;

/** The assignments that take a queued delivery out of the queue as `skipped` (replay recovers it). */
export const SKIP_QUEUED = sql`status = 'skipped', next_attempt_at = null, lease_until = null, leased_by = null, updated_at = now()`;

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
  actor: { keyId: string | null; personId: string | null };
}

interface ClaimRow {
  /** claimDue: how many of the endpoint's rows the claim had room for. */
  room: number | null;
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
  actor_key_id: string | null;
  actor_person_id: string | null;
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
  actor: { keyId: r.actor_key_id, personId: r.actor_person_id },
});

// Data-modifying statements must sit in a top-level WITH, so the claim's CTEs come first.
const withSending = (ctes: SQL, claimed: SQL, recursive = false) => sql`
  with ${recursive ? sql`recursive ` : sql``}${ctes} claimed as (${claimed})
  select c.room, c.id, c.organization_id, c.webhook_id, c.event_id, c.event_type, c.attempts, c.total_attempts, c.failing_notified,
         w.url, w.enabled, w.secret, w.previous_secret, w.previous_secret_expires_at, e.occurred_at, e.data,
         e.actor_key_id, e.actor_person_id
  from claimed c join webhooks w on w.id = c.webhook_id
  -- the event's time is its partition key: the join reads one partition
  join events e on e.id = c.event_id and e.occurred_at = c.event_occurred_at`;

/** What a claim took, and the endpoints that filled all their room (they may have more due). */
export interface ClaimResult {
  deliveries: ClaimedDelivery[];
  saturated: Set<string>;
}

/** How a claim bounds each endpoint's deliveries. */
export interface ClaimBounds {
  /** Sends in flight per endpoint, across all workers. */
  perEndpoint: number;
  /** Extra deliveries this worker may hold queued for an endpoint no other worker holds any of. */
  prefetch: number;
  /** Per endpoint id, the deliveries this worker holds unsent or sending (not those only being recorded). */
  held: ReadonlyMap<string, number>;
}

/**
 * Claims up to `limit` due deliveries. Rows are locked with SKIP LOCKED so concurrent workers
 * never claim the same row, and leased so that no other worker takes them while this one holds them.
 *
 * The claim walks endpoints, not the whole queue: the distinct endpoints with pending rows are
 * found by a skip scan of `webhook_deliveries_endpoint_due_idx` (one index descent each), and only
 * as many of each endpoint's due rows as it has room for are read, oldest first. A backlog behind
 * busy endpoints is never scanned: the cost follows the number of endpoints with pending work, not
 * the queue's length (a scan of the whole backlog per claim is what capped throughput).
 *
 * Room per endpoint: other workers' live leases all count as sends in flight; this worker's own
 * count comes from `held` (its leased rows whose outcome is only being recorded no longer occupy
 * a slot). When no other worker holds any of an endpoint's deliveries, this worker may claim up to
 * `prefetch` more than it can send at once and queue them, so a finished send is followed by the
 * next at once instead of after a claim round trip; its queued rows count as busy for the other
 * workers, which therefore claim none for that endpoint. Concurrent claimers can overshoot the
 * bound slightly, never undercut it.
 */
export async function claimDue(db: DbOrTx, workerId: string, limit: number, bounds: ClaimBounds): Promise<ClaimResult> {
  const lease = `${LEASE_MS} milliseconds`;
  const held = JSON.stringify(Object.fromEntries(bounds.held));
  const rows = (await db.execute(withSending(sql`
    endpoints as (
      (select webhook_id from webhook_deliveries where status = 'pending' order by webhook_id limit 1)
      union all
      select (select d.webhook_id from webhook_deliveries d where d.status = 'pending' and d.webhook_id > e.webhook_id order by d.webhook_id limit 1)
      from endpoints e where e.webhook_id is not null
    ),
    occupancy as (
      select e.webhook_id,
        (select count(*)::int from webhook_deliveries l
          where l.webhook_id = e.webhook_id and l.status = 'pending' and l.lease_until is not null and l.lease_until > now()
            and l.leased_by is distinct from ${workerId}) as others,
        coalesce((${held}::jsonb ->> e.webhook_id::text)::int, 0) as mine
      from endpoints e
      -- a delivery queued while its endpoint was being deleted is left for pruning
      where e.webhook_id is not null and exists (select 1 from webhooks w where w.id = e.webhook_id)
    ),
    free as materialized (
      select webhook_id,
        case when others = 0 then ${bounds.perEndpoint}::int + ${bounds.prefetch}::int - mine
             else ${bounds.perEndpoint}::int - others - mine end as n
      from occupancy
    ),
    candidates as (
      select c.id, c.event_occurred_at, c.next_attempt_at, f.n as room from free f cross join lateral (
        select d.id, d.event_occurred_at, d.next_attempt_at from webhook_deliveries d
        where d.webhook_id = f.webhook_id and d.status = 'pending' and d.next_attempt_at <= now()
          and (d.lease_until is null or d.lease_until <= now())
        order by d.next_attempt_at
        limit f.n
        for update skip locked
      ) c
      where f.n > 0
    ),
    chosen as (
      select id, event_occurred_at, room from candidates order by next_attempt_at limit ${limit}
    ),`, sql`
    update webhook_deliveries d set lease_until = now() + ${lease}::interval, leased_by = ${workerId}, updated_at = now()
    from chosen where d.id = chosen.id and d.event_occurred_at = chosen.event_occurred_at
    returning d.*, chosen.room`, true))) as unknown as ClaimRow[];
  const got = new Map<string, number>();
  for (const r of rows) got.set(r.webhook_id, (got.get(r.webhook_id) ?? 0) + 1);
  const saturated = new Set(rows.filter((r) => got.get(r.webhook_id) === r.room).map((r) => r.webhook_id));
  return { deliveries: rows.map(toClaimed), saturated };
}

/** Claims one given delivery (the test route sends its own delivery at once). */
export async function claimOne(db: DbOrTx, workerId: string, organizationId: string, id: string, leaseMs: number): Promise<ClaimedDelivery | null> {
  const rows = (await db.execute(withSending(sql``, sql`
    update webhook_deliveries set lease_until = now() + ${`${leaseMs} milliseconds`}::interval, leased_by = ${workerId}, updated_at = now()
    where organization_id = ${organizationId} and id = ${id} and status = 'pending'
    returning *, null::int as room`))) as unknown as ClaimRow[];
  return rows[0] ? toClaimed(rows[0]) : null;
}

/** Keeps the leases of deliveries still in flight, so only a dead worker's leases run out. */
export async function renewLeases(db: DbOrTx, workerId: string, ids: string[]) {
  if (ids.length === 0) return;
  // One array parameter (ids are uuids, safe in an array literal): one prepared statement for any count.
  await db.execute(sql`
    update webhook_deliveries set lease_until = now() + ${`${LEASE_MS} milliseconds`}::interval
    where id = any(${`{${ids.join(',')}}`}::uuid[]) and leased_by = ${workerId} and status = 'pending'`);
}

/** Hands deliveries this worker claimed but will not send back to the queue, due at once. */
export async function releaseLeases(db: DbOrTx, workerId: string, ids: string[]) {
  if (ids.length === 0) return;
  await db.execute(sql`
    update webhook_deliveries set lease_until = null, leased_by = null, updated_at = now()
    where id = any(${`{${ids.join(',')}}`}::uuid[]) and leased_by = ${workerId} and status = 'pending'`);
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
