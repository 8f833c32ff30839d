import t from 'tap';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createTestDatabase } from './db.js';
import { freePort } from './helpers/free-port.js';

t.test('SIGTERM lets an in-flight request finish, serves nothing new, and exits 0', async (t) => {
  const testDb = await createTestDatabase();
  t.teardown(() => testDb.drop());
  const port = await freePort();
  const key = `lsn_${randomBytes(32).toString('base64url')}`;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: { ...process.env, DATABASE_URL: testDb.url, PORT: String(port), LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn', LIAISON_ROLE: 'api', LIAISON_BOOTSTRAP_KEY: key },
    stdio: ['ignore', process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore', 'inherit'],
  });
  const exited = once(child, 'exit');
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
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 300));

  const late = await fetch(`${base}/v1/departments/${dept.id}`, { headers }).then((r) => r.status, () => 'refused');
  t.ok(late === 503 || late === 'refused', `a new request is not served while draining (${late})`);
  release();
  await holder;
  const finished = await slow;
  t.equal(finished.status, 200, 'the in-flight request completed');
  t.equal((await finished.json()).name, 'Finished');
  const [code] = await exited;
  t.equal(code, 0, 'the process exits 0');
  const [row] = await sql`select name, version from departments where id = ${dept.id}`;
  t.same({ ...row }, { name: 'Finished', version: 2 }, 'the change committed');
});
