import t from 'tap';
import { buildTestApp, type TestApp } from './helpers.js';
import { ensureEventPartitions, pruneExpired, PARTITIONED_TABLES } from '../src/events/retention.js';
import { ensurePartitions, monthPartitions } from '../src/platform/partitions.js';

const DAY = 86_400_000;
const month = (d: Date) => `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
const monthsFrom = (d: Date, n: number) => new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + n, 1));

async function partitionOf(api: TestApp, table: string, id: string): Promise<string | undefined> {
  const [row] = await api.database.sql.unsafe(`select tableoid::regclass::text as name from ${table} where id = $1`, [id]);
  return row?.name as string | undefined;
}

/** An event at `at` with one delivery and one attempt filed under the same time. */
async function eventAt(api: TestApp, time: Date): Promise<{ event: string; delivery: string; attempt: string }> {
  const sql = api.database.sql;
  const at = time.toISOString();
  const [e] = await sql`insert into events (organization_id, type, occurred_at, data) values (${api.organizationId}, 'test.alpha', ${at}, '{}') returning id`;
  const [d] = await sql`
    insert into webhook_deliveries (organization_id, webhook_id, event_id, event_occurred_at, event_type, status, created_at)
    values (${api.organizationId}, gen_random_uuid(), ${e!.id}, ${at}, 'test.alpha', 'succeeded', ${at}) returning id`;
  const [a] = await sql`
    insert into webhook_attempts (organization_id, delivery_id, number, attempted_at, duration_ms, response_status)
    values (${api.organizationId}, ${d!.id}, 1, ${at}, 5, 200) returning id`;
  return { event: e!.id, delivery: d!.id, attempt: a!.id };
}

t.test('partitions are made ahead, each once, by several workers at once; rows of a month not made yet move into it', async (t) => {
  const api = await buildTestApp(t);
  const later = monthsFrom(new Date(), 24);
  const wanted = [0, 1, 2].map((n) => month(monthsFrom(later, n)));
  // Four workers at once, each on its own connection of the pool.
  const made = await Promise.all([0, 1, 2, 3].map(() => ensureEventPartitions(api.database.db, later)));
  t.equal(made.reduce((a, b) => a + b, 0), PARTITIONED_TABLES.length * 3, 'three months per table, made once between them');
  for (const table of PARTITIONED_TABLES) {
    const names = (await monthPartitions(api.database.db, table)).map((p) => p.name);
    for (const m of wanted) t.equal(names.filter((n) => n === `${table}_p${m}`).length, 1, `${table}_p${m}`);
  }
  t.equal(await ensureEventPartitions(api.database.db, later), 0, 'a second pass makes nothing');

  // A write for a month nobody made yet lands in the default partition instead of failing...
  const stray = await eventAt(api, new Date(monthsFrom(later, 5).getTime() + 3 * DAY));
  t.equal(await partitionOf(api, 'events', stray.event), 'events_default');
  // ...and moves into its month when the month is made.
  t.equal(await ensurePartitions(api.database.db, PARTITIONED_TABLES, 0, monthsFrom(later, 5)), 3);
  const m = month(monthsFrom(later, 5));
  t.equal(await partitionOf(api, 'events', stray.event), `events_p${m}`);
  t.equal(await partitionOf(api, 'webhook_deliveries', stray.delivery), `webhook_deliveries_p${m}`);
  t.equal(await partitionOf(api, 'webhook_attempts', stray.attempt), `webhook_attempts_p${m}`);
  t.equal(await api.count('events_default'), 0);
  t.equal((await api.get(`/v1/events/${stray.event}`)).status, 200, 'the moved event reads as before');
});

t.test('retention drops the months wholly before the cutoff and deletes the remaining expired rows', async (t) => {
  const api = await buildTestApp(t);
  const real = new Date();
  // Mid-month, so that the cutoff 30 days earlier falls inside a month with rows either side of it.
  const now = new Date(Date.UTC(real.getUTCFullYear(), real.getUTCMonth(), 15, 12));
  const cutoff = new Date(now.getTime() - 30 * DAY);
  await ensurePartitions(api.database.db, PARTITIONED_TABLES, 4, monthsFrom(now, -4));
  const old = await eventAt(api, new Date(cutoff.getTime() - 40 * DAY));
  const edge = await eventAt(api, new Date(cutoff.getTime() - DAY));
  const kept = await eventAt(api, new Date(cutoff.getTime() + DAY));
  const recent = await eventAt(api, new Date(now.getTime() - 3_600_000));
  const stray = await eventAt(api, new Date(now.getTime() - 300 * DAY)); // no partition: in the default
  t.equal(await partitionOf(api, 'events', stray.event), 'events_default');
  const oldMonth = month(new Date(cutoff.getTime() - 40 * DAY));
  const edgeMonth = month(cutoff);

  const { deleted, dropped } = await pruneExpired(api.database.db, 30, now);
  for (const table of PARTITIONED_TABLES) {
    t.ok(dropped.includes(`${table}_p${oldMonth}`), `${table}_p${oldMonth} dropped whole`);
    const left = (await monthPartitions(api.database.db, table)).map((p) => p.name);
    t.notOk(left.includes(`${table}_p${oldMonth}`));
    t.ok(left.includes(`${table}_p${edgeMonth}`), 'the month the cutoff falls in stays');
  }
  t.equal(deleted, 2, 'the expired event of the boundary month and the one in the default, row by row');
  for (const [table, key] of [['events', 'event'], ['webhook_deliveries', 'delivery'], ['webhook_attempts', 'attempt']] as const) {
    for (const gone of [old, edge, stray]) t.equal(await partitionOf(api, table, gone[key]), undefined, `expired ${key} removed`);
    for (const stays of [kept, recent]) t.ok(await partitionOf(api, table, stays[key]), `${key} within retention kept`);
  }
  t.equal((await api.get(`/v1/events/${kept.event}`)).status, 200);
  t.same(await pruneExpired(api.database.db, 30, now), { deleted: 0, dropped: [] }, 'a second pass finds nothing');
});
