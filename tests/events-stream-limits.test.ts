import net from 'node:net';
import t from 'tap';
import { appendEvent } from '../src/events/outbox.js';
import { DRAIN_TIMEOUT_MS } from '../src/events/event-stream.js';
import { StreamLeases } from '../src/events/stream-leases.js';
import { buildTestApp, type TestApp } from './helpers.js';
import { listen, openStream } from './helpers/sse-client.js';
import { commitEvents, sleep } from './fixtures/webhook-workers.js';

/** An opening the server refuses: its status, headers and problem body. */
async function refusedOpening(base: string, key: string) {
  const res = await fetch(`${base}/v1/events/stream`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream' } });
  if (res.status === 200) {
    // Admitted after all: the body is an endless stream, so leave it rather than wait for its end.
    await res.body?.cancel();
    return { status: res.status, headers: res.headers, body: {} };
  }
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

async function waitUntil(what: string, check: () => Promise<boolean>, timeoutMs = 5000) {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting until ${what}`);
    await sleep(25);
  }
}

const leaseCount = (api: TestApp) => api.count('event_stream_leases');

/** A second API process on the same database, as `--scale api=2` would run it, listening. */
async function secondProcess(api: TestApp, env: Record<string, string>) {
  const app = await api.anotherProcess(env, 3);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return { app, base: `http://127.0.0.1:${(app.server.address() as net.AddressInfo).port}` };
}

t.test('streams per key are capped across API processes; a closed stream frees its place', async (t) => {
  const api = await buildTestApp(t, { LIAISON_STREAMS_PER_KEY: '3' });
  const base = await listen(api);
  const second = await secondProcess(api, { LIAISON_STREAMS_PER_KEY: '3' });

  const open = [await openStream(t, base, api.key), await openStream(t, base, api.key), await openStream(t, second.base, api.key)];
  t.same(open.map((s) => s.status), [200, 200, 200], 'three streams, over two processes');
  for (const where of [base, second.base]) {
    const refused = await refusedOpening(where, api.key);
    t.equal(refused.status, 429, 'the fourth is refused, whichever process it reaches');
    t.match(refused.headers.get('content-type'), /^application\/problem\+json/);
    t.equal(refused.headers.get('retry-after'), '30');
    t.match(refused.body, { type: '/problems/rate-limited', status: 429, detail: /already has 3 event streams open.*LIAISON_STREAMS_PER_KEY/ });
  }
  const otherKey = await api.keyWith(['read']);
  t.equal((await openStream(t, base, otherKey.key)).status, 200, 'the cap is per key');
  t.equal(await leaseCount(api), 4);

  open[0]!.close();
  await waitUntil('the closed stream gave its place back', async () => (await leaseCount(api)) === 3);
  const again = await openStream(t, second.base, api.key);
  t.equal(again.status, 200, 'a place freed in one process is taken in the other');
  t.equal((await refusedOpening(base, api.key)).status, 429, 'and the key is at its cap again');

  // Streams still deliver: the cap changes nothing for those admitted.
  const [id] = await commitEvents(api, api.organizationId, 'test.alpha', 1);
  for (const s of [open[1]!, open[2]!, again]) t.equal((await s.waitFor(1))[0]!.id, id);

  await second.app.close();
  t.equal(await leaseCount(api), 2, "a process that shuts down deletes its streams' leases");
});

t.test('the default is 20 streams per key', async (t) => {
  const api = await buildTestApp(t);
  t.equal(api.config.streamsPerKey, 20);
  const base = await listen(api);
  const streams = await Promise.all(Array.from({ length: 20 }, () => openStream(t, base, api.key)));
  t.same(streams.map((s) => s.status), Array(20).fill(200));
  t.equal((await refusedOpening(base, api.key)).status, 429, 'the 21st is refused');
  t.equal(await leaseCount(api), 20);
});

t.test("a dead process's leases lapse; leases of open streams are renewed", async (t) => {
  const api = await buildTestApp(t, { LIAISON_STREAMS_PER_KEY: '1' });
  const base = await listen(api);
  // A lease nobody renews, as a process killed with -9 leaves it.
  const [key] = await api.database.sql<{ id: string }[]>`select id from api_keys where organization_id = ${api.organizationId}`;
  await api.database.sql`insert into event_stream_leases (organization_id, api_key_id, expires_at) values (${api.organizationId}, ${key!.id}, now() + interval '1 second')`;
  t.equal((await refusedOpening(base, api.key)).status, 429, 'the lease counts while it lasts');
  await sleep(1100);
  t.equal((await openStream(t, base, api.key)).status, 200, 'and not once it has lapsed');
  t.equal(await leaseCount(api), 1, 'the lapsed lease is gone');

  const leases = new StreamLeases(api.database.db, 5);
  const mine = await leases.acquire(api.organizationId, key!.id);
  t.ok(mine);
  await api.database.sql`update event_stream_leases set expires_at = now() + interval '1 second' where id = ${mine!}`;
  leases.renew();
  await leases.settled();
  const [row] = await api.database.sql<{ left: number }[]>`select extract(epoch from expires_at - now())::float8 as left from event_stream_leases where id = ${mine!}`;
  t.ok(row!.left > 50, `renewed to about a minute ahead (${row!.left.toFixed(1)} s)`);
  leases.release(mine!);
  await leases.settled();
  t.equal(await leaseCount(api), 1);
});

t.test('a client that never reads: the server holds little for it, drops it, and frees its place', async (t) => {
  const api = await buildTestApp(t, { LIAISON_STREAMS_PER_KEY: '1' });
  const base = await listen(api);
  const serverSockets: net.Socket[] = [];
  api.app.server.on('connection', (s: net.Socket) => serverSockets.push(s));

  // A raw socket that reads the response head and then nothing more.
  const client = net.connect(Number(new URL(base).port), '127.0.0.1');
  t.teardown(() => client.destroy());
  await new Promise((r) => client.once('connect', r));
  client.write(`GET /v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${api.key}\r\nAccept: text/event-stream\r\n\r\n`);
  const head = await new Promise<string>((resolve) => client.once('data', (chunk) => resolve(chunk.toString('latin1'))));
  client.pause();
  t.match(head, /^HTTP\/1\.1 200 /);
  const server = serverSockets.find((s) => s.remotePort === client.localPort)!;
  t.ok(server, 'the server side of the connection');

  // What the server buffers for the client, after every write the response makes to its socket.
  let mostBuffered = 0;
  const write = server.write.bind(server) as (...args: unknown[]) => boolean;
  server.write = ((...args: unknown[]) => {
    const ok = write(...args);
    mostBuffered = Math.max(mostBuffered, server.writableLength);
    return ok;
  }) as typeof server.write;
  const closed = new Promise<number>((resolve) => server.once('close', () => resolve(Date.now())));

  const bulky = 'x'.repeat(16 * 1024);
  const started = Date.now();
  // ~6.4 MiB in one commit: far more than the kernel's socket buffers absorb.
  await api.database.db.transaction(async (tx) => {
    for (let i = 0; i < 400; i++) await appendEvent(tx, api.organizationId, 'test.bulky', { bulky, version: 1 });
  });
  t.equal((await refusedOpening(base, api.key)).status, 429, 'the stalled stream holds the key’s one place meanwhile');

  const closedAt = await Promise.race([closed, sleep(DRAIN_TIMEOUT_MS + 10_000).then(() => null)]);
  t.ok(closedAt, 'the server ended the stream');
  t.ok(closedAt! - started >= DRAIN_TIMEOUT_MS - 500, `after the drain time-out (${closedAt! - started} ms)`);
  t.comment(`most buffered for the stalled client: ${mostBuffered} bytes`);
  t.ok(mostBuffered > 0 && mostBuffered < 128 * 1024, `the server held at most ~the socket's high-water mark and one frame (${mostBuffered} bytes)`);
  t.equal(server.destroyed, true);
  await waitUntil('the stalled stream gave its place back', async () => (await leaseCount(api)) === 0);
  t.equal((await openStream(t, base, api.key)).status, 200, 'a new stream of the key is admitted');
});

t.test('a backlog larger than the socket buffers is streamed at the pace the client reads', async (t) => {
  const api = await buildTestApp(t);
  const base = await listen(api);
  const [before] = await commitEvents(api, api.organizationId, 'test.marker', 1);
  const bulky = 'y'.repeat(16 * 1024);
  const backlog: string[] = [];
  await api.database.db.transaction(async (tx) => {
    for (let i = 0; i < 300; i++) backlog.push((await appendEvent(tx, api.organizationId, 'test.bulky', { bulky, n: i, version: 1 })).id);
  });
  // A slow start: the client takes nothing for half a second, then reads as fast as it can.
  const resumed = await openStream(t, base, api.key, '/v1/events/stream', { 'last-event-id': before! });
  resumed.res.pause();
  await sleep(500);
  resumed.res.resume();
  const frames = await resumed.waitFor(300, 30_000);
  t.same(frames.map((f) => f.id), backlog, 'all 4.8 MiB arrived, in order, on one connection');
  t.equal(resumed.res.socket.destroyed, false, 'the stream is still open');
});
