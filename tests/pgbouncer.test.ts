import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import { loadConfig } from '../src/config.js';
import { adminUrl } from './db.js';
import { buildTestApp, uniq, type TestApp } from './helpers.js';
import { findPgBouncer, startPgBouncer, type PgBouncer } from './helpers/pgbouncer.js';
import { weeklySeriesScenario } from './scenarios/meetings-series.js';
import { invitationFlowScenario, minutesFlowScenario } from './scenarios/webhook-flows.js';
import { keyRevocationScenario } from './scenarios/key-revocation.js';

// SPEC §5: behind PgBouncer in transaction mode (LIAISON_DB_POOLER=transaction) the service still
// works. A real pgbouncer fronts the PostgreSQL the tests use (the machine's, or the embedded one)
// with fewer server connections than the app has clients, so transactions really move between
// server connections: a prepared statement or a session setting would not survive that.

t.test('LIAISON_DB_POOLER=transaction needs a direct URL and a pooler to be behind', async (t) => {
  const pooler = 'postgres://liaison@127.0.0.1:6432/liaison';
  const direct = 'postgres://liaison@127.0.0.1:5432/liaison';
  t.throws(() => loadConfig({ DATABASE_URL: pooler, LIAISON_DB_POOLER: 'transaction' }), { message: /invalid setting LIAISON_DB_DIRECT_URL: is required when LIAISON_DB_POOLER=transaction/ });
  t.throws(() => loadConfig({ DATABASE_URL: pooler, LIAISON_DB_POOLER: 'transaction', LIAISON_DB_DIRECT_URL: pooler }), { message: /LIAISON_DB_DIRECT_URL: .*not the pooler/ });
  t.throws(() => loadConfig({ LIAISON_DB_POOLER: 'transaction', LIAISON_DB_DIRECT_URL: direct }), { message: /invalid setting LIAISON_DB_POOLER: transaction needs DATABASE_URL/ });
  t.throws(() => loadConfig({ DATABASE_URL: pooler, LIAISON_DB_POOLER: 'session' }), { message: /invalid setting LIAISON_DB_POOLER/ });
  t.throws(() => loadConfig({ DATABASE_URL: pooler, LIAISON_DB_POOLER: 'transaction', LIAISON_DB_DIRECT_URL: 'not a url' }), { message: /invalid setting LIAISON_DB_DIRECT_URL/ });
  t.match(loadConfig({ DATABASE_URL: pooler, LIAISON_DB_POOLER: 'transaction', LIAISON_DB_DIRECT_URL: direct }), { dbPooler: 'transaction', dbDirectUrl: direct });
  t.match(loadConfig({ DATABASE_URL: direct }), { dbPooler: 'none', dbDirectUrl: direct }, 'without a pooler the database URL is the direct one');
});

const binary = findPgBouncer();
const missing = 'pgbouncer is not installed (apt-get install -y pgbouncer; .ci/run installs it)';

if (!binary && process.env.CI) {
  t.fail(`${missing}: CI must run the PgBouncer tests`);
} else if (!binary) {
  t.test('the service behind PgBouncer in transaction mode', { skip: missing }, () => {});
} else {
  const POOL_SIZE = 4;
  let bouncer: PgBouncer;
  t.before(async () => {
    bouncer = await startPgBouncer(binary, adminUrl(), { poolSize: POOL_SIZE });
  });
  t.teardown(() => bouncer?.close());
  const observer = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  t.teardown(() => observer.end({ timeout: 5 }));

  const throughBouncer = (t: Test) => buildTestApp(t, { LIAISON_DB_POOLER: 'transaction' }, { connectVia: (url) => bouncer.via(url) });

  /**
   * What PgBouncer logs from now on. Dropping a test database at teardown ends its server
   * connections, which PgBouncer logs as warnings: only what comes before is the app's doing.
   */
  const logFrom = () => {
    const from = bouncer.output().length;
    return () => bouncer.output().slice(from);
  };

  /** The backends of the app's database, and which of them are PgBouncer's server connections. */
  async function connectionsOf(api: TestApp) {
    const name = new URL(api.database.directUrl).pathname.slice(1);
    const backends = await observer<{ pid: number; application_name: string; query: string }[]>`
      select pid, application_name, query from pg_stat_activity where datname = ${name} and backend_type = 'client backend'`;
    const servers = (await bouncer.admin('show servers')).filter((s) => s.database === name);
    const pooled = new Set(servers.map((s) => Number(s.remote_pid)));
    return { name, servers, direct: backends.filter((b) => !pooled.has(b.pid)), pooled: backends.filter((b) => pooled.has(b.pid)) };
  }

  t.test('the weekly series walk, through PgBouncer', async (t) => {
    const log = logFrom();
    const api = await throughBouncer(t);
    t.equal(api.database.pooler, 'transaction');
    await weeklySeriesScenario(t, api);

    // More requests at once than PgBouncer has server connections, so transactions share them,
    // some failing on the server (a taken department code: unique violation, 409) between others.
    const burst = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        i % 4 === 0
          ? api.post('/v1/departments', { name: `Twin ${i}`, code: 'TWIN' })
          : i % 2
            ? api.get('/v1/meetings?limit=5')
            : api.post('/v1/people', { name: `Burst ${i}`, email: `${uniq('burst')}@example.com` }),
      ),
    );
    const statuses = burst.map((r) => r.status);
    t.same(statuses.filter((s, i) => i % 4 !== 0 && s !== (i % 2 ? 200 : 201)), [], 'every read and every new person succeeded');
    t.same(statuses.filter((_, i) => i % 4 === 0).sort(), [201, ...Array(9).fill(409)], 'one department got the code; the others are 409');
    t.equal((await api.get('/v1/departments?limit=200')).body.data.filter((d: { code: string }) => d.code === 'TWIN').length, 1);

    const { name, servers, direct, pooled } = await connectionsOf(api);
    const [pool] = (await bouncer.admin('show pools')).filter((p) => p.database === name);
    t.match(pool, { pool_mode: 'transaction' });
    const clients = (await bouncer.admin('show clients')).filter((c) => c.database === name);
    t.ok(servers.length >= 1 && servers.length <= POOL_SIZE, `PgBouncer opened ${servers.length} server connections (at most ${POOL_SIZE})`);
    t.ok(clients.length > servers.length, `the app's ${clients.length} connections shared PgBouncer's ${servers.length}`);
    t.equal(pooled.length, servers.length, "every one of PgBouncer's server connections is a backend of the app's database");
    // The only connection that bypasses the pooler is the one LISTEN holds (the API-key store's).
    t.match(direct, [{ application_name: 'liaison-listen', query: /^listen /i }]);
    t.notMatch(log(), /WARNING|ERROR/, 'PgBouncer logged no warning or error (a server message it could not place, say)');
  });

  t.test('webhook deliveries, signed and verified, through PgBouncer', async (t) => {
    await t.test('the invitation flow', async (t) => invitationFlowScenario(t, await throughBouncer(t)));
    await t.test('the minutes flow', async (t) => {
      const api = await throughBouncer(t);
      await minutesFlowScenario(t, api);
      // The worker listens too, on the same one direct connection.
      const { direct } = await connectionsOf(api);
      t.equal(direct.length, 1, 'one direct connection carries every LISTEN');
    });
  });

  t.test('a key revoked in one process stops in another at once: NOTIFY reaches LISTEN on the direct connection', async (t) => {
    await keyRevocationScenario(t, await throughBouncer(t));
  });

  t.test('transactions get the statement and idle time-outs; nothing is sent that PgBouncer refuses', async (t) => {
    const log = logFrom();
    const api = await throughBouncer(t);
    const settings = await api.database.db.transaction(async (tx) =>
      tx.execute<{ statement_timeout: string; idle: string }>(
        sql`select current_setting('statement_timeout') as statement_timeout, current_setting('idle_in_transaction_session_timeout') as idle`,
      ),
    );
    t.match([...settings], [{ statement_timeout: '15s', idle: '15s' }]);
    const uploads = await api.database.uploads.db.transaction(async (tx) =>
      tx.execute<{ statement_timeout: string }>(sql`select current_setting('statement_timeout') as statement_timeout`),
    );
    t.match([...uploads], [{ statement_timeout: `${api.config.uploadTimeoutMs / 1000}s` }], 'the uploads pool has its own, longer deadline');
    t.notMatch(log(), /unsupported startup parameter|WARNING|ERROR/, 'PgBouncer logged no refusal, warning or error');
  });
}
