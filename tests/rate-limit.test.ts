import t from 'tap';
import { loadConfig } from '../src/config.js';
import { buildTestApp, type TestApp } from './helpers.js';

// Windows of an hour, so that a run never straddles the start of a new one (see awayFromWindowEdge).
const HOUR = 3_600_000;

/** Waits out the last seconds of a window, in which the counts would start again from zero. */
async function awayFromWindowEdge(windowMs: number) {
  const left = windowMs - (Date.now() % windowMs);
  if (left < 30_000) await new Promise((r) => setTimeout(r, left + 100));
}

/** Counts the statements a pool runs whose text matches `pattern`, while `fn` runs. */
async function statements(a: TestApp, pattern: RegExp, fn: () => Promise<void>): Promise<number> {
  const options = (a.database.sql as unknown as { options: { debug?: unknown } }).options;
  let n = 0;
  options.debug = (_conn: number, query: string) => {
    if (pattern.test(query)) n++;
  };
  try {
    await fn();
  } finally {
    options.debug = undefined;
  }
  return n;
}

t.test('the limit per key holds across two processes sharing the database (within 10 %)', async (t) => {
  const env = { LIAISON_RATE_LIMIT: '200/hour' };
  const a = await buildTestApp(t, env);
  const b = await a.anotherProcess(env);
  const [{ n: peers }] = (await a.database.sql`select count(*)::int as n from rate_limit_peers`) as unknown as [{ n: number }];
  t.equal(peers, 2, 'both processes take part');
  await awayFromWindowEdge(HOUR);
  const headers = { authorization: `Bearer ${a.key}` };
  const statuses: number[] = [];
  let limited;
  // One at a time, alternating, then in concurrent bursts that land on both processes at once.
  for (let i = 0; i < 200; i++) {
    const res = await (i % 2 ? b.inject({ method: 'GET', url: '/v1/departments', headers }) : a.app.inject({ method: 'GET', url: '/v1/departments', headers }));
    statuses.push(res.statusCode);
    if (res.statusCode === 429) limited ??= res;
  }
  for (let burst = 0; burst < 10; burst++) {
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? b : a.app).inject({ method: 'GET', url: '/v1/departments', headers })),
    );
    for (const res of answers) {
      statuses.push(res.statusCode);
      if (res.statusCode === 429) limited ??= res;
    }
  }
  const accepted = statuses.filter((s) => s === 200).length;
  t.same([...new Set(statuses)].sort(), [200, 429], 'each answer is a success or a refusal');
  t.ok(accepted >= 180 && accepted <= 220, `400 requests, 200 allowed: ${accepted} accepted`);
  t.ok(limited, 'the excess is refused');
  t.match(limited!.headers['content-type'], /^application\/problem\+json/);
  t.match(JSON.parse(limited!.body), { type: '/problems/rate-limited', status: 429, detail: /200 requests per/ });
  t.ok(Number(limited!.headers['retry-after']) > 0, 'with Retry-After');
  // What each process counted reaches the shared counter (refusals are not counted).
  let stored = 0;
  for (let i = 0; i < 50 && stored !== accepted; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const [row] = (await a.database.sql`select coalesce(sum(count), 0)::int as n from rate_limit_key_windows where organization_id = ${a.organizationId}`) as unknown as [{ n: number }];
    stored = row.n;
  }
  t.equal(stored, accepted, 'the shared counter holds exactly what was admitted');
});

t.test('counting costs no round trip per request: one batched statement every few tens of milliseconds', async (t) => {
  const api = await buildTestApp(t);
  const n = await statements(api, /rate_limit_key_windows/, async () => {
    for (let i = 0; i < 100; i++) t.equal((await api.get('/v1/departments')).status, 200);
  });
  t.ok(n >= 1, `the counts were synchronised (${n} statements)`);
  t.ok(n < 25, `far fewer statements than requests (${n} for 100)`);
});

t.test('requests without a valid key are limited per client address, before any key lookup', async (t) => {
  const env = { LIAISON_RATE_LIMIT_UNAUTHENTICATED: '20/hour' };
  const api = await buildTestApp(t, env);
  const b = await api.anotherProcess(env);
  await awayFromWindowEdge(HOUR);
  // No key, a wrong key, a scheme that is not Bearer.
  const attempt = (i: number): Record<string, string> =>
    [{}, { authorization: `Bearer lsn_wrong-${i}-00000000000000000000000` }, { authorization: 'Basic Zm9vOmJhcg==' }][i % 3]!;
  // The key of this test app is known (cached) to be valid before the address spends its budget.
  t.equal((await api.get('/v1/departments')).status, 200);
  const statuses: number[] = [];
  for (let i = 0; i < 30; i++) {
    // Alternating between the two processes: the budget is the address's, not each process's.
    statuses.push((await (i % 2 ? b : api.app).inject({ method: 'GET', url: '/v1/departments', headers: attempt(i) })).statusCode);
  }
  // Each process may count one request the other has not heard of yet (src/platform/shared-counters.ts).
  const refused401 = statuses.filter((s) => s === 401).length;
  t.ok(refused401 >= 20 && refused401 <= 21, `20 answered 401, give or take one (${refused401})`);
  t.same(statuses.slice(-5), [429, 429, 429, 429, 429], 'then 429');

  const limited = await api.inject({ method: 'GET', url: '/v1/departments', headers: { authorization: 'Bearer lsn_another-wrong-key-000000000000000' } });
  t.equal(limited.status, 429);
  t.match(limited.headers['content-type'], /^application\/problem\+json/);
  t.match(limited.body, { type: '/problems/rate-limited', title: 'Too many requests', status: 429, detail: /without a valid API key/ });
  t.ok(Number(limited.headers['retry-after']) > 0, 'with Retry-After');

  const lookups = await statements(api, /from api_keys/, async () => {
    for (let i = 0; i < 10; i++) {
      const res = await api.inject({ method: 'GET', url: '/v1/people', headers: { authorization: `Bearer lsn_flood-${i}-000000000000000000000000` } });
      t.equal(res.status, 429);
    }
  });
  t.equal(lookups, 0, 'past the budget, a flood of wrong keys costs no key lookup');

  t.equal((await api.get('/v1/departments')).status, 200, 'a key known to be valid is still served from that address');
  const other = await api.inject({ method: 'GET', url: '/v1/departments', remoteAddress: '192.0.2.7' });
  t.equal(other.status, 401, 'another address has its own budget');
  t.equal((await api.inject({ method: 'GET', url: '/healthz' })).status, 200, 'public routes are not limited');
});

t.test('IPv6 clients are counted per /64', async (t) => {
  const api = await buildTestApp(t, { LIAISON_RATE_LIMIT_UNAUTHENTICATED: '3/hour' });
  await awayFromWindowEdge(HOUR);
  const from = (remoteAddress: string) => api.inject({ method: 'GET', url: '/v1/departments', remoteAddress });
  const statuses = [];
  for (const host of ['1', '2', '3', 'ffff:1']) statuses.push((await from(`2001:db8:0:1::${host}`)).status);
  t.same(statuses, [401, 401, 401, 429], 'addresses of one /64 share a budget');
  t.equal((await from('2001:db8:0:2::1')).status, 401, 'the next /64 has its own');
});

t.test('windows long over and processes long gone are pruned', async (t) => {
  const env = { LIAISON_RATE_LIMIT: '200/hour', LIAISON_RATE_LIMIT_UNAUTHENTICATED: '20/minute' };
  const a = await buildTestApp(t, env);
  const sql = a.database.sql;
  const org = a.organizationId;
  await sql`insert into rate_limit_key_windows values
    (${org}, gen_random_uuid(), date_trunc('hour', now()) - interval '2 hours', 7),
    (${org}, gen_random_uuid(), date_trunc('hour', now()), 7)`;
  await sql`insert into rate_limit_address_windows values ('192.0.2.1', date_trunc('hour', now()) - interval '2 hours', 7)`;
  await sql`insert into rate_limit_peers values (gen_random_uuid(), now() - interval '10 minutes')`;
  // A process prunes on its first tick after it starts.
  await a.anotherProcess(env);
  let left: readonly object[] = [];
  for (let i = 0; i < 50; i++) {
    left = await sql`select 'key' as t, count from rate_limit_key_windows where organization_id = ${org}
      union all select 'address', count from rate_limit_address_windows
      union all select 'peer', 0 from rate_limit_peers where seen_at < now() - interval '1 minute'`;
    if (left.length === 1) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  t.same(left, [{ t: 'key', count: 7 }], 'only the window still running is kept');
});

t.test('the unauthenticated limit is a setting', async (t) => {
  t.match(loadConfig({}), { unauthenticatedRateLimit: { max: 300, timeWindowMs: 60_000 } });
  t.match(loadConfig({ LIAISON_RATE_LIMIT_UNAUTHENTICATED: '5/second' }), { unauthenticatedRateLimit: { max: 5, timeWindowMs: 1000 } });
  t.throws(() => loadConfig({ LIAISON_RATE_LIMIT_UNAUTHENTICATED: 'lots' }), /LIAISON_RATE_LIMIT_UNAUTHENTICATED/);
});
