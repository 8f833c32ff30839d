import t, { type Test } from 'tap';
import postgres from 'postgres';
import { buildTestApp, type TestApp } from './helpers.js';
import { listen, openStream } from './helpers/sse-client.js';
import { startReceiver } from './helpers/webhook-receiver.js';
import { inProcessWorker } from './fixtures/webhook-workers.js';
import { EVENTS_CHANNEL } from '../src/events/outbox.js';
import { KEY_CHANNEL, REVOCATION_POLL_MS } from '../src/platform/key-store.js';
import { dropWakeUps } from '../src/platform/wake-ups.js';
import { DELIVERY_CHANNEL } from '../src/webhooks/queue.js';

// Every wake-up hint of this process is dropped: whatever reaches a listener below got there by its
// poll, the fallback a lost NOTIFY leaves. Each test also listens itself and checks that no hint was
// sent at all, so none of them can pass by a hint that slipped through.
dropWakeUps(true);
t.teardown(() => dropWakeUps(false));

/** Every hint sent on the database from now on, whoever sends it. */
async function hintsHeard(t: Test, api: TestApp): Promise<string[]> {
  const listener = postgres(api.database.url, { max: 1, onnotice: () => {} });
  t.teardown(() => listener.end({ timeout: 1 }));
  const heard: string[] = [];
  for (const channel of [EVENTS_CHANNEL, DELIVERY_CHANNEL, KEY_CHANNEL]) await listener.listen(channel, (p) => heard.push(`${channel} ${p}`));
  return heard;
}

const issue = (api: TestApp, title: string) => api.post('/v1/issues', { title });

t.test('with every hint dropped, a write is still delivered to a webhook receiver (the worker polls)', async (t) => {
  const api = await buildTestApp(t);
  const heard = await hintsHeard(t, api);
  const created = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['issue.*'] });
  const receiver = await startReceiver(created.body.secret);
  t.teardown(() => receiver.close());
  t.equal((await api.patch(`/v1/webhooks/${created.body.id}`, { url: receiver.url })).status, 200);
  await inProcessWorker(t, api);

  const opened = await issue(api, 'Delivered without a hint');
  t.equal(opened.status, 201);
  const started = Date.now();
  const [got] = await receiver.waitFor(1, 5_000);
  t.comment(`received ${Date.now() - started} ms after the commit`);
  t.ok(got!.verified, 'signed (Standard Webhooks)');
  t.match(got!.parsed, { type: 'issue.opened', data: { issue: { id: opened.body.id } } });
  t.same(heard, [], 'no wake-up hint was sent');
});

t.test('with every hint dropped, an open event stream still receives the event (the hub polls)', async (t) => {
  const api = await buildTestApp(t);
  const heard = await hintsHeard(t, api);
  const base = await listen(api);
  const stream = await openStream(t, base, api.key, '/v1/events/stream?types=issue.opened');
  t.equal(stream.status, 200);
  await new Promise((r) => setTimeout(r, 200));

  const opened = await issue(api, 'Streamed without a hint');
  const started = Date.now();
  // Well under the 15 s heartbeat, which also re-reads: only the poll can bring it this soon.
  const [frame] = await stream.waitFor(1, 3_000);
  t.comment(`streamed ${Date.now() - started} ms after the commit`);
  t.match(frame!.data, { type: 'issue.opened', data: { issue: { id: opened.body.id } } });

  const second = await issue(api, 'And the next one');
  const frames = await stream.waitFor(2, 3_000);
  t.match(frames[1]!.data, { data: { issue: { id: second.body.id } } }, 'and every later one, in order');
  t.same(heard, [], 'no wake-up hint was sent');
});

t.test('with every hint dropped, a key revoked in one process is refused by another within the poll', async (t) => {
  const a = await buildTestApp(t);
  const heard = await hintsHeard(t, a);
  const b = await a.anotherProcess();
  const created = await a.post('/v1/api-keys', { name: 'shared', scopes: ['read'] });
  const headers = { authorization: `Bearer ${created.body.secret}` };
  const statusIn = async (app: typeof b) => (await app.inject({ method: 'GET', url: '/v1/departments', headers })).statusCode;
  t.equal(await statusIn(b), 200, 'the other process has the key cached');

  t.equal((await a.del(`/v1/api-keys/${created.body.id}`)).status, 204);
  const revoked = Date.now();
  t.equal(await statusIn(a.app), 401, 'the revoking process refuses it at once');
  let status = 200;
  while (status === 200 && Date.now() - revoked < 10_000) {
    status = await statusIn(b);
    if (status === 200) await new Promise((r) => setTimeout(r, 20));
  }
  const took = Date.now() - revoked;
  t.equal(status, 401, 'the other process refuses it');
  const bound = 2 * REVOCATION_POLL_MS + 500;
  t.ok(took <= bound, `within ${bound} ms (${took} ms), not the cache's 60 s`);
  t.same(heard, [], 'no wake-up hint was sent');
});
