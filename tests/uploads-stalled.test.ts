import t, { type Test } from 'tap';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { createTestDatabase } from './db.js';
import { freePort } from './helpers/free-port.js';
import { startServer } from './helpers/server-process.js';
import { buildTestApp, type TestApp } from './helpers.js';
import { insertMeeting, multipartBody, pdfBytes } from './materials-helpers.js';
import { startRawUpload } from './helpers/raw-upload.js';

// Stalled and trickling uploads over real sockets against the app on a real port, pool of five
// (the default of a small machine). An upload's deadline is the longer of the two time-outs below.
const DEADLINE_MS = 2000;
const env = { LIAISON_HANDLER_TIMEOUT_MS: String(DEADLINE_MS), LIAISON_REQUEST_TIMEOUT_MS: String(DEADLINE_MS) };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function listening(t: Test, extra: Record<string, string> = {}) {
  const api = await buildTestApp(t, { ...env, ...extra }, { poolSize: 5 });
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  const port = (api.app.server.address() as AddressInfo).port;
  // The observer has its own connection: the app's pool is what is under test.
  const watcher = postgres(api.database.url, { max: 1, onnotice: () => {} });
  t.teardown(() => watcher.end());
  /** The app's sessions that hold a connection for an upload: a COPY running or a transaction left open. */
  const held = async () =>
    watcher`select state, query from pg_stat_activity
      where datname = current_database() and application_name like 'liaison%'
        and (state like 'idle in transaction%' or (state = 'active' and query ilike 'copy%'))`;
  return { api, port, base: `http://127.0.0.1:${port}`, held };
}

async function waitFor(what: string, check: () => Promise<boolean>, withinMs: number) {
  const until = Date.now() + withinMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

async function timedGet(base: string, key: string, path: string) {
  const started = Date.now();
  const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${key}` } });
  await res.arrayBuffer();
  return { status: res.status, took: Date.now() - started };
}

async function assertNothingStored(t: Test, api: TestApp) {
  t.equal(await api.count('material_files'), 0, 'no stored file is left behind');
  t.equal(await api.count('material_file_chunks'), 0, 'and no piece of one');
  t.equal(await api.count('materials'), 0, 'and no material');
}

for (const variant of ['stall', 'trickle'] as const) {
  t.test(`five uploads that ${variant === 'stall' ? 'stall mid-file' : 'trickle a byte a second'} starve nobody and give their connections back at the deadline`, async (t) => {
    const { api, port, base, held } = await listening(t, { LIAISON_UPLOAD_CONCURRENCY: '5' });
    const meeting = await insertMeeting(api);
    const other = await api.newOrganization(['read']);
    const path = `/v1/meetings/${meeting.id}/materials`;
    // Three are inside the file (their COPY has begun); two sent only the request head, so their
    // transaction waits for the first part.
    const uploads = await Promise.all([0, 1, 2, 3, 4].map((i) => startRawUpload(port, path, api.key, { sentBytes: 64 * 1024, headOnly: i >= 3 })));
    t.teardown(() => uploads.forEach((u) => u.destroy()));
    if (variant === 'trickle') uploads.forEach((u) => u.trickle(1000));
    await waitFor('the uploads to begin their COPY', async () => (await held()).filter((s) => /^copy/i.test(s.query)).length === 3, 1500);

    const during = await timedGet(base, other.key, '/v1/meetings');
    t.equal(during.status, 200, "another organisation's list answers while the uploads stall");
    t.ok(during.took < 1000, `within a second (${during.took} ms)`);

    const answers = await Promise.all(uploads.map((u) => u.answer));
    for (const a of answers) {
      t.match(a, { status: 503, headers: { 'content-type': /^application\/problem\+json/, 'retry-after': /^\d+$/ }, body: { status: 503, type: '/problems/unavailable' } });
      t.ok(a.after >= DEADLINE_MS - 50 && a.after < DEADLINE_MS + 1000, `answered at the deadline (${a.after} ms)`);
    }
    const answeredAt = Date.now();
    await waitFor('the connections to be given back', async () => (await held()).length === 0, 500).catch(() => {});
    t.same(await held(), [], 'within half a second of the deadline no session is left in COPY or in a transaction');
    const closedAt = await Promise.race([Promise.all(uploads.map((u) => u.closed)), sleep(1000).then(() => [Infinity])]);
    t.ok(Math.max(...closedAt) - answeredAt < 1000, 'the server closed every stalled connection within a second, whatever the client does');

    await assertNothingStored(t, api);
    const after = await timedGet(base, api.key, `/v1/meetings/${meeting.id}/materials`);
    t.equal(after.status, 200, "the uploading organisation's own requests are served again");
    const { payload, contentType } = multipartBody([{ fileName: 'agenda.pdf', type: 'application/pdf', data: pdfBytes() }]);
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${api.key}`, 'content-type': contentType }, body: payload });
    t.equal(res.status, 201, 'and a complete upload succeeds');
  });
}

t.test('uploads beyond LIAISON_UPLOAD_CONCURRENCY are refused at once with 503 and Retry-After, before the body is read', async (t) => {
  const { api, port, base, held } = await listening(t, { LIAISON_UPLOAD_CONCURRENCY: '2' });
  const meeting = await insertMeeting(api);
  const path = `/v1/meetings/${meeting.id}/materials`;
  const stalled = await Promise.all([0, 1].map(() => startRawUpload(port, path, api.key, { sentBytes: 1024 })));
  t.teardown(() => stalled.forEach((u) => u.destroy()));
  await waitFor('both uploads to begin their COPY', async () => (await held()).length === 2, 1500);

  const third = await startRawUpload(port, path, api.key, { sentBytes: 0, headOnly: true });
  t.teardown(() => third.destroy());
  const refused = await third.answer;
  t.match(refused, { status: 503, headers: { 'content-type': /^application\/problem\+json/, 'retry-after': /^[1-9]\d*$/ }, body: { status: 503, detail: /uploads/ } });
  t.ok(refused.after < 500, `refused at once (${refused.after} ms), not at the deadline`);
  const closed = await Promise.race([third.closed.then(() => true), sleep(1000).then(() => false)]);
  t.ok(closed, 'and the connection is closed rather than left waiting for a body nobody reads');
  t.equal((await held()).length, 2, 'the refused upload never took a connection');

  const link = await fetch(`${base}${path}`, { method: 'POST', headers: { authorization: `Bearer ${api.key}`, 'content-type': 'application/json' }, body: JSON.stringify({ title: 'Notes', url: 'https://example.com/notes' }) });
  t.equal(link.status, 201, 'a link (not an upload) is still shared meanwhile');

  await Promise.all(stalled.map((u) => u.answer));
  await waitFor('the slots to be free', async () => (await held()).length === 0, 500);
  const fourth = await startRawUpload(port, path, api.key, { sentBytes: 1024, fileBytes: 4096 });
  t.teardown(() => fourth.destroy());
  fourth.finish();
  t.match(await fourth.answer, { status: 201, body: { kind: 'file', sizeBytes: 4096 } }, 'once they expired, the slots are free again');
});

t.test("the app's connections carry statement and idle-in-transaction time-outs, the server's own guard", async (t) => {
  const { api, held } = await listening(t);
  for (const [name, pool] of [['api', () => api.database.sql], ['uploads', () => api.database.uploads.sql]] as const) {
    const [row] = await pool()`select current_setting('statement_timeout') as statement, current_setting('idle_in_transaction_session_timeout') as idle`;
    t.not(row!.statement, '0', `${name}: statement_timeout is set (${row!.statement})`);
    t.not(row!.idle, '0', `${name}: idle_in_transaction_session_timeout is set (${row!.idle})`);
  }
  // Should the application itself ever hang inside a transaction, PostgreSQL ends the session at
  // the upload deadline, and postgres.js fails the transaction rather than waiting for ever.
  const started = Date.now();
  const hung = api.database.uploads.sql.begin(async (tx) => {
    await tx`select 1`;
    await new Promise(() => {});
  });
  await t.rejects(hung, 'a transaction left idle is ended by the server');
  const took = Date.now() - started;
  t.ok(took >= DEADLINE_MS - 100 && took < DEADLINE_MS + 1500, `at the upload deadline (${took} ms)`);
  t.same(await held(), [], 'and its session is gone');
  const [{ ok }] = await api.database.uploads.sql`select true as ok`;
  t.equal(ok, true, 'the pool opens a new connection afterwards');
});

t.test('SIGTERM with stalled uploads in flight: they are answered and let go, and the process exits promptly', async (t) => {
  const testDb = await createTestDatabase();
  t.teardown(() => testDb.drop());
  const port = await freePort();
  const key = `lsn_${randomBytes(32).toString('base64url')}`;
  // The default deadlines (an upload's is 30 s): the drain, not the deadline, must end the uploads.
  const { child, exited } = startServer({ DATABASE_URL: testDb.url, PORT: String(port), LIAISON_ROLE: 'api', LIAISON_BOOTSTRAP_KEY: key });
  t.teardown(() => void (child.exitCode === null && child.kill('SIGKILL')));
  const served = () => fetch(`http://127.0.0.1:${port}/v1/meetings`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.ok, () => false);
  await waitFor('the server to serve its first key', served, 20_000);

  const watcher = postgres(testDb.url, { max: 1, onnotice: () => {} });
  t.teardown(() => watcher.end());
  const [meeting] = await watcher`
    insert into meetings (organization_id, title, starts_at, ends_at, time_zone, materials_due_at, status)
    select id, 'Drain', now() + interval '2 days', now() + interval '2 days 1 hour', 'Europe/Berlin', now() + interval '1 day', 'draft' from organizations
    returning id`;
  const uploads = await Promise.all([0, 1, 2].map(() => startRawUpload(port, `/v1/meetings/${meeting!.id}/materials`, key, { sentBytes: 64 * 1024 })));
  t.teardown(() => uploads.forEach((u) => u.destroy()));
  const copies = async () => (await watcher`select 1 from pg_stat_activity where datname = current_database() and application_name like 'liaison%' and query ilike 'copy%' and state = 'active'`).length;
  await waitFor('the uploads to begin their COPY', async () => (await copies()) === 3, 5000);

  const signalled = Date.now();
  child.kill('SIGTERM');
  const code = await Promise.race([exited, sleep(10_000).then(() => 'still running')]);
  const took = Date.now() - signalled;
  t.equal(code, 0, 'the process exits 0');
  t.ok(took < 5000, `within a few seconds of SIGTERM (${took} ms)`);
  for (const a of await Promise.all(uploads.map((u) => u.answer.catch((err: Error) => err.message)))) {
    t.match(a, { status: 503, headers: { 'retry-after': /^\d+$/ } }, 'a stalled upload is answered 503 with Retry-After, to retry elsewhere');
  }
  const [left] = await watcher`select count(*)::int as n from pg_stat_activity where datname = current_database() and application_name like 'liaison%'`;
  t.equal(left!.n, 0, 'no connection of the server is left');
  t.equal((await watcher`select count(*)::int as n from material_files`)[0]!.n, 0, 'and no half-stored file');
});
