import t from 'tap';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '../src/config.js';
import { insertApiKey } from '../src/access/api-keys.js';
import { buildTestApp } from './helpers.js';
import { keyRevocationScenario } from './scenarios/key-revocation.js';

t.test('revoking a key in one process stops it in another process at once (NOTIFY)', async (t) => {
  await keyRevocationScenario(t, await buildTestApp(t), 20);
});

t.test('a wrong key costs one lookup, not one per request; a key made later with that secret works at once', async (t) => {
  const a = await buildTestApp(t);
  const b = await a.anotherProcess();
  const secret = `lsn_${randomBytes(32).toString('base64url')}`;
  const headers = { authorization: `Bearer ${secret}` };
  const options = (a.database.sql as unknown as { options: { debug?: unknown } }).options;
  let lookups = 0;
  options.debug = (_conn: number, query: string) => {
    if (/from api_keys where key_hash/.test(query)) lookups++;
  };
  try {
    for (let i = 0; i < 10; i++) t.equal((await a.inject({ method: 'GET', url: '/v1/departments', headers })).status, 401);
  } finally {
    options.debug = undefined;
  }
  t.equal(lookups, 1, 'the unknown secret is looked up once');
  t.equal((await b.inject({ method: 'GET', url: '/v1/departments', headers })).statusCode, 401, 'the other process remembers it as unknown too');

  // As with LIAISON_BOOTSTRAP_KEY: the secret was tried before its key existed.
  await insertApiKey(a.database.db, a.organizationId, { name: 'fixed', scopes: ['read'], secret });
  const statusIn = async (app: typeof b) => {
    let status = 401;
    for (let i = 0; i < 20 && status === 401; i++) {
      status = (await app.inject({ method: 'GET', url: '/v1/departments', headers })).statusCode;
      if (status === 401) await new Promise((r) => setTimeout(r, 10));
    }
    return status;
  };
  t.equal(await statusIn(a.app), 200, 'this process accepts it within milliseconds');
  t.equal(await statusIn(b), 200, 'and so does the other');
});

t.test('keys record lastUsedAt and are listed without secrets; admin scope needed to manage keys', async (t) => {
  const api = await buildTestApp(t);
  const created = await api.post('/v1/api-keys', { name: 'reader', scopes: ['read'] });
  t.equal(created.headers['cache-control'], 'no-store');
  const reader = { authorization: `Bearer ${created.body.secret}` };
  t.equal((await api.inject({ method: 'GET', url: '/v1/people', headers: reader })).status, 200);
  let listed;
  for (let i = 0; i < 20; i++) {
    listed = (await api.get('/v1/api-keys')).body.data.find((k: { id: string }) => k.id === created.body.id);
    if (listed.lastUsedAt) break;
    await new Promise((r) => setTimeout(r, 25));
  }
  t.match(listed, { name: 'reader', lastUsedAt: String, revokedAt: null });
  t.notOk('secret' in listed);
  t.equal((await api.inject({ method: 'POST', url: '/v1/api-keys', headers: { ...reader, 'content-type': 'application/json' }, payload: '{"name":"x","scopes":["admin"]}' })).status, 403, 'a read key cannot mint keys');
  const badScope = await api.post('/v1/api-keys', { name: 'x', scopes: ['root'] });
  t.equal(badScope.status, 400);
  t.match(badScope.body.errors, [{ path: 'body.scopes[0]' }]);
  const replay = await api.post('/v1/api-keys', { name: 'once', scopes: ['read'] }, { 'idempotency-key': 'k-once' });
  t.equal(replay.status, 201);
  const again = await api.post('/v1/api-keys', { name: 'once', scopes: ['read'] }, { 'idempotency-key': 'k-once' });
  t.equal(again.status, 409, 'a key creation is not replayed: its secret is never stored');
  const [{ n }] = (await api.database.sql`select count(*)::int as n from idempotency_keys where response_body::text like '%lsn_%'`) as unknown as [{ n: number }];
  t.equal(n, 0, 'no secret in stored answers');
  t.equal((await api.del('/v1/api-keys/00000000-0000-4000-8000-000000000000')).status, 404);
});

t.test('rate limit per key answers 429 with Retry-After', async (t) => {
  const api = await buildTestApp(t, { LIAISON_RATE_LIMIT: '3/minute' });
  const statuses = [];
  for (let i = 0; i < 4; i++) statuses.push((await api.get('/v1/departments')).status);
  t.same(statuses, [200, 200, 200, 429]);
  const limited = await api.get('/v1/departments');
  t.match(limited.body, { type: '/problems/rate-limited', status: 429 });
  t.ok(Number(limited.headers['retry-after']) > 0);
  const other = await api.keyWith(['read']);
  t.equal((await other.get('/v1/departments')).status, 200, 'another key has its own budget');
  t.equal((await api.inject({ method: 'GET', url: '/healthz' })).status, 200, 'health is not limited');
});

t.test('configuration errors name the variable', async (t) => {
  t.throws(() => loadConfig({ PORT: 'abc' }), /PORT/);
  t.throws(() => loadConfig({ LIAISON_ROLE: 'both' }), /LIAISON_ROLE/);
  t.throws(() => loadConfig({ LIAISON_WEBHOOK_RETRY_SCHEDULE: '5 minutes' }), /LIAISON_WEBHOOK_RETRY_SCHEDULE/);
  t.throws(() => loadConfig({ LIAISON_BOOTSTRAP_KEY: 'short' }), /LIAISON_BOOTSTRAP_KEY/);
  t.match(loadConfig({}), { port: 3000, role: 'all', rateLimit: { max: 1200, timeWindowMs: 60000 } });
  t.throws(() => loadConfig({ LIAISON_RATE_LIMIT: '10 per minute' }), /LIAISON_RATE_LIMIT/);
  t.throws(() => loadConfig({ LIAISON_DB_POOL_SIZE: '1' }), /LIAISON_DB_POOL_SIZE/);
  t.throws(() => loadConfig({ LIAISON_VERIFY_JSON_TEXT: 'yes' }), /LIAISON_VERIFY_JSON_TEXT/);
  t.equal(loadConfig({}).verifyJsonText, false, 'off unless asked for');
  t.equal(loadConfig({ LIAISON_DB_POOL_SIZE: '12' }).dbPoolSize, 12);
  const { availableParallelism } = await import('node:os');
  t.equal(loadConfig({}).dbPoolSize, Math.min(10, 2 * availableParallelism() + 1), 'twice the cores plus one by default');
});
