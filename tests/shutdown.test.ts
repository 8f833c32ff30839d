import t from 'tap';
import { once } from 'node:events';
import { connect } from 'node:net';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createTestDatabase } from './db.js';
import { freePort } from './helpers/free-port.js';
import { startServer } from './helpers/server-process.js';

t.test('SIGTERM lets an in-flight request finish, serves nothing new, and exits 0', async (t) => {
  const testDb = await createTestDatabase();
  t.teardown(() => testDb.drop());
  const port = await freePort();
  const key = `lsn_${randomBytes(32).toString('base64url')}`;
  const { child, exited } = startServer({ DATABASE_URL: testDb.url, PORT: String(port), LIAISON_ROLE: 'api', LIAISON_BOOTSTRAP_KEY: key });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 200; i++) {
    if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const dept = await (await fetch(`${base}/v1/departments`, { method: 'POST', headers, body: JSON.stringify({ name: 'Slow', code: 'SLOW' }) })).json();

  // Hold the department's row lock so that the PATCH below is in flight when SIGTERM arrives.
  const sql = postgres(testDb.url, { max: 1 });
  t.teardown(() => sql.end());
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const holder = sql.begin(async (tx) => {
    await tx`select 1 from departments where id = ${dept.id} for update`;
    await released;
  });
  await new Promise((r) => setTimeout(r, 100));
  const slow = fetch(`${base}/v1/departments/${dept.id}`, { method: 'PATCH', headers, body: JSON.stringify({ name: 'Finished' }) });
  await new Promise((r) => setTimeout(r, 300));
  // A request already on its way when SIGTERM arrives (its headers half sent, so the connection is
  // not idle and stays open): it is refused as problem+json, not served and not dropped.
  const arriving = connect(port, '127.0.0.1');
  await once(arriving, 'connect');
  arriving.write(`GET /v1/departments/${dept.id} HTTP/1.1\r\nHost: 127.0.0.1\r\n`);
  await new Promise((r) => setTimeout(r, 100));
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));
  let answer = '';
  arriving.on('data', (d: Buffer) => (answer += d.toString('latin1')));
  const closed = once(arriving, 'close');
  arriving.write(`Authorization: Bearer ${key}\r\n\r\n`);
  await closed;
  t.match(answer, /^HTTP\/1\.1 503 /, 'a request arriving while draining is answered 503');
  t.match(answer, /\r\ncontent-type: application\/problem\+json/i, 'as problem+json');
  t.match(answer, /\r\nretry-after: \d+/i, 'with Retry-After');
  t.match(answer, /\r\nconnection: close/i, 'closing the connection');
  t.match(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)), { status: 503, title: String, detail: /shutting down/ });

  const late = await fetch(`${base}/v1/departments/${dept.id}`, { headers }).then((r) => r.status, () => 'refused');
  t.ok(late === 503 || late === 'refused', `a new request is not served while draining (${late})`);
  release();
  await holder;
  const finished = await slow;
  t.equal(finished.status, 200, 'the in-flight request completed');
  t.equal((await finished.json()).name, 'Finished');
  const code = await exited;
  t.equal(code, 0, 'the process exits 0');
  const [row] = await sql`select name, version from departments where id = ${dept.id}`;
  t.same({ ...row }, { name: 'Finished', version: 2 }, 'the change committed');
});
