import t from 'tap';
import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { generateApiKey, hashApiKey, keyPrefix } from '../src/platform/api-key-crypto.js';
import { migrationsFolder, openDatabase, runMigrations } from '../src/platform/database.js';
import { adminUrl, withDatabase } from './db.js';
import { testEnv } from './helpers.js';

const DAY = 86_400_000;

/** The committed migrations up to and including `last` (drizzle reads the journal and the SQL files). */
function migrationsUpTo(last: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'liaison-migrations-'));
  mkdirSync(join(dir, 'meta'));
  const journal = JSON.parse(readFileSync(join(migrationsFolder, 'meta/_journal.json'), 'utf8')) as { entries: { idx: number; tag: string }[] };
  journal.entries = journal.entries.filter((e) => e.idx <= last);
  writeFileSync(join(dir, 'meta/_journal.json'), JSON.stringify(journal));
  for (const e of journal.entries) cpSync(join(migrationsFolder, `${e.tag}.sql`), join(dir, `${e.tag}.sql`));
  return dir;
}

t.test('partitioning the event and delivery tables keeps every row, and the app reads them', async (t) => {
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  const name = `liaison_mig_${randomBytes(6).toString('hex')}`;
  await admin.unsafe(`create database "${name}"`);
  const url = withDatabase(adminUrl(), name);
  const folder = migrationsUpTo(17);
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  t.teardown(async () => {
    await sql.end({ timeout: 5 });
    await admin.unsafe(`drop database if exists "${name}" with (force)`);
    await admin.end({ timeout: 5 });
    rmSync(folder, { recursive: true, force: true });
  });
  t.ok(readdirSync(folder).includes('0017_event_stream_leases.sql'));
  await migrate(drizzle(sql), { migrationsFolder: folder });

  // Data as the unpartitioned schema held it: events over four months, deliveries and attempts,
  // and a delivery whose event was already pruned.
  const database = openDatabase(url, { max: 2 });
  t.teardown(() => database.close());
  // Written in SQL: the application's schema describes the latest migration, not 0017.
  const [org] = (await sql`insert into organizations (slug, name) values ('migrated', 'migrated') returning id`) as unknown as [{ id: string }];
  const key = { secret: generateApiKey() };
  await sql`insert into api_keys (organization_id, name, prefix, key_hash, scopes) values (${org.id}, 'k', ${keyPrefix(key.secret)}, ${hashApiKey(key.secret)}, '{admin}')`;
  const [hook] = await sql`insert into webhooks (organization_id, url, event_types, secret) values (${org.id}, 'http://127.0.0.1:9/h', '{*}', 'whsec_x') returning id`;
  const times = [100, 70, 35, 1, 0].map((d) => new Date(Date.now() - d * DAY).toISOString());
  for (const at of times) {
    const [e] = await sql`insert into events (organization_id, type, occurred_at, data) values (${org.id}, 'issue.created', ${at}, ${JSON.stringify({ at })}::jsonb) returning id`;
    const [d] = await sql`
      insert into webhook_deliveries (organization_id, webhook_id, event_id, event_type, status, attempts, total_attempts, created_at)
      values (${org.id}, ${hook!.id}, ${e!.id}, 'issue.created', 'failed', 1, 1, ${at}) returning id`;
    await sql`insert into webhook_attempts (organization_id, delivery_id, number, attempted_at, response_status, duration_ms, response_body)
      values (${org.id}, ${d!.id}, 1, ${at}, 500, 12, 'nope')`;
  }
  await sql`insert into webhook_deliveries (organization_id, webhook_id, event_id, event_type, status, created_at)
    values (${org.id}, ${hook!.id}, gen_random_uuid(), 'issue.created', 'failed', ${new Date(Date.now() - 50 * DAY).toISOString()})`;
  const snapshot = async () => ({
    // The columns 0017 had (later migrations add more).
    events: await sql`select id, seq, txid, organization_id, type, occurred_at, data from events order by seq`,
    deliveries: await sql`select id, organization_id, webhook_id, event_id, event_type, status, attempts, total_attempts, next_attempt_at,
      lease_until, leased_by, last_attempt_at, last_response_status, last_error, failing_notified, created_at, updated_at from webhook_deliveries order by id`,
    attempts: await sql`select * from webhook_attempts order by id`,
  });
  const before = await snapshot();

  await runMigrations(database);
  const after = await snapshot();
  t.same(after.events, before.events, 'every event, column for column');
  t.same(after.deliveries, before.deliveries, 'every delivery');
  t.same(after.attempts, before.attempts, 'every attempt');
  const partitioned = await sql`select c.relname from pg_partitioned_table p join pg_class c on c.oid = p.partrelid order by 1`;
  t.same(partitioned.map((r) => r.relname), ['events', 'webhook_attempts', 'webhook_deliveries']);
  t.same(await sql`select tableoid::regclass::text from events where tableoid = 'events_default'::regclass`, [], 'rows sit in their months');
  const filed = await sql`
    select count(*)::int as n from webhook_deliveries d left join events e on e.id = d.event_id
    where d.event_occurred_at <> coalesce(e.occurred_at, d.created_at)`;
  t.equal(filed[0]!.n, 0, "each delivery is filed under its event's time (its own when the event is gone)");
  const [next] = await sql`insert into events (organization_id, type, data) values (${org.id}, 'issue.updated', '{}') returning seq`;
  t.ok(BigInt(next!.seq) > BigInt(before.events.at(-1)!.seq), 'the sequence carries on');
  const dup = await sql`insert into webhook_deliveries (organization_id, webhook_id, event_id, event_occurred_at, event_type)
    select organization_id, webhook_id, event_id, event_occurred_at, event_type from webhook_deliveries limit 1`.catch((e: { code?: string }) => e.code);
  t.equal(dup, '23505', 'one delivery per endpoint and event still');

  const app = await buildApp(loadConfig({ ...testEnv(), DATABASE_URL: url }), database, { logger: false });
  t.teardown(() => app.close());
  const get = async (path: string) => app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${key.secret}` } });
  const log = await get('/v1/events?limit=10');
  t.equal(log.statusCode, 200);
  t.same(log.json().data.slice(0, 5).map((e: { data: { at: string } }) => e.data.at), times, 'the event log reads the migrated events in order');
  const list = await get(`/v1/webhooks/${hook!.id}/deliveries?limit=10`);
  t.equal(list.json().data.length, 6);
  const one = list.json().data[0];
  const detail = await get(`/v1/webhooks/${hook!.id}/deliveries/${one.id}`);
  t.equal(detail.statusCode, 200);
  t.equal(detail.json().attempts.length, 1, 'with its attempt');
  t.equal(detail.json().eventId, before.deliveries.find((d) => d.id === one.id)!.event_id);
});
