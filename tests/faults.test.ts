import t from 'tap';
import postgres from 'postgres';
import { buildTestApp } from './helpers.js';
import { startDbProxy } from './helpers/db-proxy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('database cut mid-run: 503 with Retry-After, readiness follows, full recovery, nothing half-written', async (t) => {
  let proxy!: Awaited<ReturnType<typeof startDbProxy>>;
  let realUrl = '';
  const api = await buildTestApp(t, { LIAISON_HANDLER_TIMEOUT_MS: '3000' }, {
    connectVia: async (url) => {
      realUrl = url;
      proxy = await startDbProxy(url);
      return proxy.url;
    },
  });
  t.teardown(() => proxy.close());
  const direct = postgres(realUrl, { max: 1 });
  t.teardown(() => direct.end());

  const dept = await api.post('/v1/departments', { name: 'Before', code: 'BEFORE' });
  t.equal(dept.status, 201);
  t.equal((await api.inject({ method: 'GET', url: '/readyz' })).status, 200);

  proxy.set('cut');
  const read = await api.get(`/v1/departments/${dept.body.id}`);
  t.equal(read.status, 503, 'a read while the database is gone is 503');
  t.equal(read.headers['content-type'], 'application/problem+json');
  t.ok(Number(read.headers['retry-after']) > 0, 'with Retry-After');
  t.notMatch(read.text, /ECONN|postgres|select|stack/i, 'no internals leak');
  const write = await api.post('/v1/departments', { name: 'During', code: 'DURING' });
  t.equal(write.status, 503);
  const ready = await api.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.status, 503, '/readyz reports the outage');
  t.equal((await api.inject({ method: 'GET', url: '/healthz' })).status, 200, '/healthz stays 200');

  proxy.set('pass');
  let recovered = 0;
  for (let i = 0; i < 50 && recovered !== 200; i++) {
    recovered = (await api.inject({ method: 'GET', url: '/readyz' })).status;
    if (recovered !== 200) await sleep(100);
  }
  t.equal(recovered, 200, 'ready again without a restart');
  const after = await api.post('/v1/departments', { name: 'After', code: 'AFTER' });
  t.equal(after.status, 201, 'writes work again');
  const codes = (await direct`select code from departments order by code`).map((r) => r.code);
  t.same(codes, ['AFTER', 'BEFORE'], 'the refused write left nothing behind');
  const [{ n }] = await direct`select count(*)::int as n from audit_events where entity_type = 'department'`;
  t.equal(n, 2, 'and no audit record');
});

t.test('a database that stops answering (black hole) is bounded by the request deadline', async (t) => {
  let proxy!: Awaited<ReturnType<typeof startDbProxy>>;
  const api = await buildTestApp(t, { LIAISON_HANDLER_TIMEOUT_MS: '1000' }, {
    connectVia: async (url) => (proxy = await startDbProxy(url)).url,
  });
  t.teardown(() => proxy.close());
  const dept = await api.post('/v1/departments', { name: 'Hole', code: 'HOLE' });
  proxy.set('blackhole');
  const started = Date.now();
  const res = await api.get(`/v1/departments/${dept.body.id}`);
  const took = Date.now() - started;
  t.equal(res.status, 503);
  t.ok(took < 3000, `answered within the deadline (${took} ms)`);
  proxy.set('pass');
});

t.test('pool exhaustion fails fast instead of queueing for ever', async (t) => {
  const api = await buildTestApp(t, { LIAISON_HANDLER_TIMEOUT_MS: '800' }, { poolSize: 1 });
  // Hold the only pooled connection in a transaction that sleeps.
  const holder = api.database.sql.begin(async (tx) => {
    await tx`select pg_sleep(2)`;
  });
  await sleep(100);
  const started = Date.now();
  const res = await api.post('/v1/departments', { name: 'Queued', code: 'QUEUED' });
  t.equal(res.status, 503, 'answered 503 while no connection is free');
  t.ok(Date.now() - started < 1800, 'within the deadline, not after the pool freed up');
  await holder;
});
