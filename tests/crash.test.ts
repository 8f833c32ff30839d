import t from 'tap';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { createTestDatabase } from './db.js';
import { freePort } from './helpers/free-port.js';
import { startReceiver, type Receiver } from './helpers/webhook-receiver.js';

// `kill -9` of the whole server (API and worker in one process) after a change committed and
// before its webhooks were delivered: a new process on the same database delivers them, once
// per endpoint, signed so that a Standard Webhooks receiver verifies them.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startServer(databaseUrl: string, key: string) {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
      LIAISON_ROLE: 'all',
      LIAISON_BOOTSTRAP_KEY: key,
      LIAISON_RATE_LIMIT: '100000/minute',
      LIAISON_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32',
      LIAISON_WEBHOOK_RETRY_SCHEDULE: '1s,2s,4s,8s',
      LIAISON_WEBHOOK_TIMEOUT_MS: '60000',
    },
    stdio: ['ignore', 'ignore', process.env.TEST_LOG_LEVEL ? 'inherit' : 'ignore'],
  });
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (child.exitCode !== null) throw new Error('the server exited before it was ready');
    if (await fetch(`${base}/readyz`).then((r) => r.ok, () => false)) break;
    if (i > 300) throw new Error('the server was not ready within 30 s');
    await sleep(100);
  }
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  return { child, exited, call };
}

t.test('kill -9 between commit and delivery: after a restart every endpoint gets the event exactly once', async (t) => {
  const testDb = await createTestDatabase();
  t.teardown(() => testDb.drop());
  const key = `lsn_${randomBytes(32).toString('base64url')}`;
  const first = await startServer(testDb.url, key);
  t.teardown(() => void (first.child.exitCode === null && first.child.signalCode === null && first.child.kill('SIGKILL')));

  // Endpoint 1 accepts the first attempt and never answers (in flight at the kill); endpoint 2
  // is not listening yet (its receiver starts only after the kill, on the port it names).
  const laterPort = await freePort();
  const hook1 = await first.call('POST', '/v1/webhooks', { url: 'http://127.0.0.1:9/one', eventTypes: ['issue.opened'] });
  const hook2 = await first.call('POST', '/v1/webhooks', { url: `http://127.0.0.1:${laterPort}/two`, eventTypes: ['issue.opened'] });
  t.equal(hook1.status, 201);
  t.equal(hook2.status, 201);
  const hanging = await startReceiver(hook1.body.secret, { defaultResponse: { status: 204 } });
  t.teardown(() => hanging.close());
  hanging.respondWith({ hang: true });
  t.equal((await first.call('PATCH', `/v1/webhooks/${hook1.body.id}`, { url: hanging.url })).status, 200);

  const issue = await first.call('POST', '/v1/issues', { title: 'Survives a crash' });
  t.equal(issue.status, 201, 'the change committed');
  await hanging.waitFor(1, 20_000); // the first attempt is in flight, unanswered
  first.child.kill('SIGKILL');
  const [, signal] = await first.exited;
  t.equal(signal, 'SIGKILL', 'the whole process was killed');
  const sql = postgres(testDb.url, { max: 1, onnotice: () => {} });
  t.teardown(() => sql.end({ timeout: 5 }));
  const pending = await sql<{ status: string }[]>`select status from webhook_deliveries`;
  t.equal(pending.length, 2, 'a delivery per endpoint was recorded with the change');
  t.notOk(pending.some((d) => d.status === 'succeeded'), `none delivered at the kill (${pending.map((d) => d.status).join(', ')})`);

  const later = await startReceiverOn(hook2.body.secret, laterPort);
  t.teardown(() => later.close());

  const second = await startServer(testDb.url, key);
  t.teardown(async () => {
    if (second.child.exitCode === null && second.child.signalCode === null) {
      second.child.kill('SIGTERM');
      await second.exited;
    }
  });
  const got1 = await hanging.waitFor(2, 45_000);
  const got2 = await later.waitFor(1, 45_000);
  await sleep(3000); // nothing more may arrive
  t.equal(hanging.received.length, 2, 'endpoint 1: the unanswered attempt and one delivery, nothing more');
  t.equal(later.received.length, 1, 'endpoint 2: exactly one delivery');
  t.equal(got1[1]!.id, got1[0]!.id, 'endpoint 1: the same webhook-id across the crash');
  for (const r of [...got1, ...got2]) {
    t.equal(r.verified, true, 'verifies with standardwebhooks');
    t.match(r.parsed, { type: 'issue.opened', data: { issue: { id: issue.body.id } } }, 'the committed change');
  }
  for (const hook of [hook1, hook2]) {
    const deliveries = await second.call('GET', `/v1/webhooks/${hook.body.id}/deliveries`);
    t.equal(deliveries.status, 200);
    t.equal(deliveries.body.data.length, 1, 'one delivery per endpoint');
    t.match(deliveries.body.data[0], { status: 'succeeded' });
  }
});

/** The test receiver, on a port chosen before it listens (the endpoint already names it). */
async function startReceiverOn(secret: string, port: number): Promise<Receiver> {
  // startReceiver listens on an ephemeral port: a loopback forwarder on the chosen port leads to it.
  const receiver = await startReceiver(secret, { defaultResponse: { status: 204 } });
  const sockets = new Set<Socket>();
  const forwarder = createServer((socket) => {
    const upstream = connect(receiver.port, '127.0.0.1');
    for (const s of [socket, upstream]) {
      sockets.add(s);
      s.on('error', () => {});
      s.on('close', () => sockets.delete(s));
    }
    socket.pipe(upstream).pipe(socket);
  });
  await new Promise<void>((resolve, reject) => {
    forwarder.once('error', reject);
    forwarder.listen(port, '127.0.0.1', () => resolve());
  });
  return Object.assign(Object.create(receiver) as Receiver, {
    received: receiver.received,
    waitFor: receiver.waitFor,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => forwarder.close(r));
      await receiver.close();
    },
  });
}
