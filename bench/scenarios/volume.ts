import postgres from 'postgres';
import { randomUUID } from 'node:crypto';
import { drizzle } from 'drizzle-orm/postgres-js';
import { sql as drizzleSql, TransactionRollbackError } from 'drizzle-orm';
import { measure } from '../harness.js';
import type { BenchContext, Row, Scenario } from '../context.js';
import { claimDue } from '../../src/webhooks/queue.js';
import { readEvents } from '../../src/events/queries.js';
import { ALL } from '../../src/access/viewer.js';
import { PARTITIONED_TABLES, pruneExpired } from '../../src/events/retention.js';
import { ensurePartitions } from '../../src/platform/partitions.js';
import type { Db } from '../../src/platform/database.js';

// Volume: the three costs that must not grow with the event and delivery tables (the event log's
// first page, a delivery claim, a retention pass) measured on the empty database, then again with
// VOLUME_ROWS (default 5 million) events and as many deliveries loaded, spread over the 30-day
// retention window and two older months. Ratios are loaded cost / empty cost (target ≤ 2).
// Opt-in: `npm run bench volume` (the load takes a few minutes).

const ROWS = Number(process.env.VOLUME_ROWS ?? 5_000_000);
const CHUNKS = 20;
const SPAN_DAYS = 90;
const RETENTION_DAYS = 30;
const ENDPOINTS = 20;
const DUE_PER_ENDPOINT = 20;
const CLAIMS = 200;
const DAY = 86_400_000;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

async function timed(n: number, run: () => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  return ms;
}

/**
 * Claims against a queue of ENDPOINTS × DUE_PER_ENDPOINT due deliveries that only this
 * transaction sees (never committed, so the API's own delivery worker cannot take them), each
 * claim rolled back to a savepoint so every claim finds the same queue.
 */
async function claimCosts(db: Db, orgId: string, endpoints: string[], n: number): Promise<number[]> {
  let ms: number[] = [];
  await db
    .transaction(async (tx) => {
      await tx.execute(drizzleSql.raw(`
        insert into webhooks (id, organization_id, url, event_types, secret)
        select id, '${orgId}', 'http://127.0.0.1:9/volume', '{*}', 'whsec_volume' from unnest('{${endpoints.join(',')}}'::uuid[]) id`));
      await tx.execute(drizzleSql.raw(`
        with e as (
          insert into events (organization_id, type, occurred_at, data)
          select '${orgId}', 'volume.due', now() - g * interval '1 millisecond', '{}' from generate_series(1, ${ENDPOINTS * DUE_PER_ENDPOINT}) g
          returning id, occurred_at)
        insert into webhook_deliveries (organization_id, webhook_id, event_id, event_occurred_at, event_type, next_attempt_at)
        select '${orgId}', ('{${endpoints.join(',')}}'::uuid[])[1 + n % ${ENDPOINTS}], id, occurred_at, 'volume.due', now() - interval '1 second'
        from (select *, row_number() over () as n from e) e`));
      ms = await timed(n, () =>
        tx
          .transaction(async (sp) => {
            const got = await claimDue(sp, 'volume-bench', 100, { perEndpoint: 4, prefetch: 0, held: new Map() });
            if (got.deliveries.length === 0) throw new Error('the claim found nothing to claim');
            sp.rollback();
          })
          .catch((err) => {
            if (!(err instanceof TransactionRollbackError)) throw err;
          }),
      );
      tx.rollback();
    })
    .catch((err) => {
      if (!(err instanceof TransactionRollbackError)) throw err;
    });
  return ms;
}

/** Bulk history: events over SPAN_DAYS across ten organisations, one delivery each (one in 200 a retry due tomorrow). */
async function load(sql: postgres.Sql, orgId: string, endpoints: string[], now: Date) {
  const orgs = [orgId, ...Array.from({ length: 9 }, () => randomUUID())];
  const per = Math.ceil(ROWS / CHUNKS);
  const startMs = now.getTime() - SPAN_DAYS * DAY;
  const stepMs = (SPAN_DAYS * DAY) / ROWS;
  for (let c = 0; c < CHUNKS; c++) {
    const from = c * per;
    const to = Math.min(ROWS, from + per) - 1;
    await sql.begin(async (tx) => {
      await tx`set local synchronous_commit = off`;
      await tx.unsafe(`
        with e as (
          insert into events (organization_id, type, occurred_at, data)
          select ('{${orgs.join(',')}}'::uuid[])[1 + g % 10], 'issue.updated',
                 to_timestamp((${startMs} + g::float8 * ${stepMs}) / 1000.0), jsonb_build_object('issue', jsonb_build_object('id', gen_random_uuid(), 'n', g))
          from generate_series(${from}, ${to}) g
          returning id, organization_id, occurred_at, (data->'issue'->>'n')::bigint as g)
        insert into webhook_deliveries (organization_id, webhook_id, event_id, event_occurred_at, event_type, status, attempts, total_attempts,
                                        next_attempt_at, last_attempt_at, last_response_status, created_at, updated_at)
        select organization_id, ('{${endpoints.join(',')}}'::uuid[])[1 + g % ${ENDPOINTS}], id, occurred_at, 'issue.updated',
               case when g % 200 = 0 then 'pending' else 'succeeded' end, 1, 1,
               case when g % 200 = 0 then now() + interval '1 day' end, occurred_at, case when g % 200 = 0 then 503 else 200 end, occurred_at, occurred_at
        from e`);
    });
    process.stdout.write(`volume: loaded ${to + 1} events and deliveries\n`);
  }
  await sql`vacuum analyze events`;
  await sql`vacuum analyze webhook_deliveries`;
}

/** The plans of the event log's first page, an SSE catch-up and a claim, as auto_explain reports them. */
async function plans(url: string, orgId: string, endpoints: string[]): Promise<string[]> {
  const out: string[] = [];
  const client = postgres(url, { max: 1, onnotice: (n) => out.push(String(n.message)) });
  try {
    const db = drizzle(client, { casing: 'snake_case' }) as unknown as Db;
    await client.unsafe(`load 'auto_explain'`);
    for (const [k, v] of Object.entries({ log_min_duration: '0', log_analyze: 'on', log_buffers: 'on', log_timing: 'off', log_nested_statements: 'on', log_level: 'notice' })) {
      await client.unsafe(`set auto_explain.${k} = '${v}'`);
    }
    const first = await readEvents(db, orgId, ALL, { limit: 50 });
    const middle = first[25]!;
    await readEvents(db, orgId, ALL, { after: [middle.txid, middle.seq], limit: 1000 });
    await claimCosts(db, orgId, endpoints, 1);
  } finally {
    await client.end();
  }
  // Keep the plans of the three statements (auto_explain also reports the fixture's statements).
  return out.filter((p) => /order by events\.txid|claimed as \(/.test(p));
}

async function costs(ctx: BenchContext, db: Db, endpoints: string[], label: string, now: Date) {
  await measure('warm-up', { url: `${ctx.api}/v1/events?limit=50`, headers: ctx.headers, duration: 2, connections: 8 });
  const page = await measure(`volume ${label}: GET /v1/events first page`, { url: `${ctx.api}/v1/events?limit=50`, headers: ctx.headers, duration: 8, connections: 8 });
  const claim = await claimCosts(db, ctx.organizationId, endpoints, CLAIMS);
  const retention = await timed(5, () => pruneExpired(db, RETENTION_DAYS, now));
  return { page, claim, retention };
}

export const volume: Scenario = async (ctx) => {
  const client = postgres(ctx.databaseUrl, { max: 2, onnotice: () => {} });
  const db = drizzle(client, { casing: 'snake_case' }) as unknown as Db;
  const endpoints = Array.from({ length: ENDPOINTS }, () => randomUUID());
  const now = new Date();
  try {
    // The months the load fills, made before the empty measurement so both see the same partitions.
    await ensurePartitions(db, PARTITIONED_TABLES, 4, new Date(now.getTime() - SPAN_DAYS * DAY));
    // A full first page in both measurements, so that they differ by the history behind it only.
    await ctx.sql.unsafe(`
      insert into events (organization_id, type, occurred_at, data)
      select '${ctx.organizationId}', 'issue.updated', now() - g * interval '1 second', jsonb_build_object('issue', jsonb_build_object('id', gen_random_uuid(), 'n', g))
      from generate_series(1, 60) g`);
    const empty = await costs(ctx, db, endpoints, 'empty', now);

    // The empty passes dropped the old months again: the worker's ensurePartitions makes them as
    // a load of history needs them (otherwise they would land in the default partitions).
    await ensurePartitions(db, PARTITIONED_TABLES, 4, new Date(now.getTime() - SPAN_DAYS * DAY));
    const t0 = performance.now();
    await load(ctx.sql, ctx.organizationId, endpoints, now);
    const loadSeconds = (performance.now() - t0) / 1000;
    for (const p of await plans(ctx.databaseUrl, ctx.organizationId, endpoints)) process.stdout.write(`${p}\n\n`);

    // The first pass after the load catches up: it drops the months wholly expired and deletes the
    // expired rows of the boundary month. Steady passes (hourly) then find little to do: the
    // ratio compares those; a pass an hour later deletes one hour of expired history.
    const catchUp = await timed(1, () => pruneExpired(db, RETENTION_DAYS, now));
    // What autovacuum does after a large delete: without it every later pass walks the dead entries.
    await ctx.sql`vacuum analyze events`;
    await ctx.sql`vacuum analyze webhook_deliveries`;
    const loaded = await costs(ctx, db, endpoints, `${(ROWS / 1e6).toFixed(1)}M loaded`, now);
    const hourLater = await timed(1, () => pruneExpired(db, RETENTION_DAYS, new Date(now.getTime() + 3_600_000)));

    const costRow = (name: string, e: number[], l: number[], note = ''): Row[] => [
      { name: `volume empty: ${name}`, requestsPerSec: 1000 / median(e), p50: +median(e).toFixed(2), p99: +p99(e).toFixed(2), errors: 0, non2xx: 0 },
      {
        name: `volume loaded: ${name}`, requestsPerSec: 1000 / median(l), p50: +median(l).toFixed(2), p99: +p99(l).toFixed(2), errors: 0, non2xx: 0,
        ratio: median(l) / median(e), target: 'cost ≤ 2× empty', note,
      },
    ];
    const pageNote = `ratio = empty req/s / loaded req/s; load took ${loadSeconds.toFixed(0)} s`;
    return [
      empty.page,
      { ...loaded.page, ratio: empty.page.requestsPerSec / loaded.page.requestsPerSec, target: 'cost ≤ 2× empty', note: pageNote },
      ...costRow('claim (ms per claim)', empty.claim, loaded.claim),
      ...costRow('retention pass (ms)', empty.retention, loaded.retention,
        `catch-up pass after the load ${catchUp[0]!.toFixed(0)} ms; a pass one hour later ${hourLater[0]!.toFixed(0)} ms`),
    ];
  } finally {
    await client.end();
  }
};
