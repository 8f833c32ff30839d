import t from 'tap';
import { Webhook } from 'standardwebhooks';
import { buildTestApp, type TestApp } from './helpers.js';
import { startReceiver, type Receiver, type ReceiverResponse } from './helpers/webhook-receiver.js';
import { appendEvent } from '../src/events/outbox.js';
import { commitEvents, inProcessWorker, sleep } from './fixtures/webhook-workers.js';
import type { Test } from 'tap';

/** A receiver and an endpoint subscribed to every event type, pointing at it. */
async function endpoint(t: Test, api: TestApp, eventTypes = ['*'], opts: { defaultResponse?: ReceiverResponse } = {}) {
  const created = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes });
  t.equal(created.status, 201);
  const receiver = await startReceiver(created.body.secret, opts);
  t.teardown(() => receiver.close());
  const patched = await api.patch(`/v1/webhooks/${created.body.id}`, { url: receiver.url });
  t.equal(patched.status, 200);
  return { id: created.body.id as string, secret: created.body.secret as string, receiver };
}

const deliveriesOf = async (api: TestApp, id: string, query = '') => (await api.get(`/v1/webhooks/${id}/deliveries${query}`)).body.data;

t.test('500, 500, then 200: three attempts with the same webhook-id and body, each verifiable', async (t) => {
  const api = await buildTestApp(t);
  const { id, receiver } = await endpoint(t, api);
  receiver.respondWith({ status: 500, body: 'first' }, { status: 500, body: 'second' }, { status: 200, body: 'ok' });
  await inProcessWorker(t, api);
  const [eventId] = await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  const got = await receiver.waitFor(3, 10_000);
  t.same(got.map((r) => r.id), [eventId, eventId, eventId]);
  t.same(got.map((r) => r.verified), [true, true, true]);
  t.equal(new Set(got.map((r) => r.body)).size, 1, 'the same body every time');
  const event = (await api.get(`/v1/events/${eventId}`)).body;
  t.same(got[0]!.parsed, { type: 'test.synthetic', timestamp: event.timestamp, data: { n: 0, version: 1 }, actor: { keyId: null, personId: null } });
  const gaps = [got[1]!.receivedAt.getTime() - got[0]!.receivedAt.getTime(), got[2]!.receivedAt.getTime() - got[1]!.receivedAt.getTime()];
  t.ok(gaps[0]! >= 750 && gaps[1]! >= 1500, `retries follow the 1s,2s schedule with jitter (${gaps.join(', ')} ms)`);
  await sleep(300);
  const [delivery] = await deliveriesOf(api, id);
  t.match(delivery, {
    eventId, status: 'succeeded', attemptCount: 3, nextAttemptAt: null, lastResponseStatus: 200,
    attempts: [
      { number: 1, responseStatus: 500, responseBody: 'first', errorClass: 'http', nextAttemptAt: String },
      { number: 2, responseStatus: 500, responseBody: 'second', errorClass: 'http' },
      { number: 3, responseStatus: 200, responseBody: 'ok', errorClass: null, nextAttemptAt: null },
    ],
  });
  const metrics = (await api.inject({ method: 'GET', url: '/metrics' })).text;
  t.match(metrics, /liaison_webhook_deliveries_total\{outcome="retrying"\} 2/);
  t.match(metrics, /liaison_webhook_deliveries_total\{outcome="succeeded"\} 1/);
  t.match(metrics, /liaison_webhook_queue_depth 0/);
  t.match(metrics, /liaison_webhook_attempt_duration_seconds_count 3/);
});

t.test('a receiver that hangs hits the time-out and is retried', async (t) => {
  const api = await buildTestApp(t, { LIAISON_WEBHOOK_TIMEOUT_MS: '500' });
  const { id, receiver } = await endpoint(t, api);
  receiver.respondWith({ hang: true });
  await inProcessWorker(t, api);
  const [eventId] = await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  const got = await receiver.waitFor(2, 10_000);
  t.same(got.map((r) => r.id), [eventId, eventId]);
  await sleep(300);
  const [delivery] = await deliveriesOf(api, id);
  t.match(delivery, { status: 'succeeded', attempts: [{ number: 1, errorClass: 'timeout', responseStatus: null }, { number: 2, responseStatus: 204 }] });
  t.ok(delivery.attempts[0].durationMs >= 450 && delivery.attempts[0].durationMs < 2000, 'gave up at the time-out');
});

t.test('410 Gone disables the endpoint, tells the others, and later events are skipped until replay', async (t) => {
  const api = await buildTestApp(t);
  const gone = await endpoint(t, api);
  const watcher = await endpoint(t, api, ['webhook.*']);
  gone.receiver.respondWith({ status: 410 });
  await inProcessWorker(t, api);
  const [first] = await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  const [notice] = await watcher.receiver.waitFor(1, 5_000);
  t.match(notice!.parsed, { type: 'webhook.disabled', data: { webhook: { id: gone.id, enabled: false, version: 3 }, reason: /410/ } });
  t.equal(notice!.verified, true);
  const hook = (await api.get(`/v1/webhooks/${gone.id}`)).body;
  t.match(hook, { enabled: false, disabledReason: /410 Gone/ });
  t.equal(gone.receiver.received.length, 1, 'no retry after 410');

  const [second] = await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  await sleep(1500);
  t.equal(gone.receiver.received.length, 1, 'a disabled endpoint is not sent to');
  t.match(await deliveriesOf(api, gone.id), [{ eventId: first, status: 'failed' }, { eventId: second, status: 'skipped', attempts: [] }]);
  t.match(await deliveriesOf(api, gone.id, '?status=skipped'), [{ eventId: second }]);
  t.equal((await deliveriesOf(api, gone.id, '?status=skipped')).length, 1, 'status filter');

  const since = new Date(Date.now() - 60_000).toISOString();
  const refused = await api.post(`/v1/webhooks/${gone.id}/replay`, { since });
  t.equal(refused.status, 409, 'replay to a disabled endpoint is refused');
  await api.patch(`/v1/webhooks/${gone.id}`, { enabled: true });
  const replay = await api.post(`/v1/webhooks/${gone.id}/replay`, { since });
  t.equal(replay.status, 202);
  t.same(replay.body, { queued: 2, capped: false }, 'failed and skipped deliveries are queued again');
  const got = await gone.receiver.waitFor(3, 5_000);
  t.same(got.slice(1).map((r) => r.id).sort(), [first, second].sort(), 'the same webhook-id as the first time');
  await sleep(300);
  const again = await api.post(`/v1/webhooks/${gone.id}/replay`, { since });
  t.same(again.body, { queued: 0, capped: false }, 'nothing left to recover');
  const all = await api.post(`/v1/webhooks/${gone.id}/replay`, { since, all: true, types: ['webhook.*'] });
  t.same(all.body, { queued: 0, capped: false }, 'types filter: no webhook.* events reached this endpoint');
  t.equal((await api.post(`/v1/webhooks/${gone.id}/replay`, { since, types: ['nope'] })).status, 400);
});

t.test('secret rotation: two valid signatures during the overlap, only the new one after it', async (t) => {
  const api = await buildTestApp(t);
  const { id, secret: oldSecret, receiver } = await endpoint(t, api);
  await inProcessWorker(t, api);
  const rotated = await api.post(`/v1/webhooks/${id}/rotate-secret`, { overlapSeconds: 2 });
  const newSecret = rotated.body.secret as string;
  await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  const [during] = await receiver.waitFor(1, 5_000);
  const headers = (r: typeof during) => ({ 'webhook-id': r!.id!, 'webhook-timestamp': r!.timestamp!, 'webhook-signature': r!.signature! });
  t.equal(during!.signature!.split(' ').length, 2);
  t.doesNotThrow(() => new Webhook(oldSecret).verify(during!.body, headers(during)), 'old secret verifies during the overlap');
  t.doesNotThrow(() => new Webhook(newSecret).verify(during!.body, headers(during)), 'new secret verifies during the overlap');
  await sleep(2100);
  await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  const [, after] = await receiver.waitFor(2, 5_000);
  t.equal(after!.signature!.split(' ').length, 1);
  t.throws(() => new Webhook(oldSecret).verify(after!.body, headers(after)), 'old secret no longer verifies');
  t.doesNotThrow(() => new Webhook(newSecret).verify(after!.body, headers(after)));
});

t.test('a rolled-back change sends nothing; a committed one is delivered', async (t) => {
  const api = await buildTestApp(t);
  const { id, receiver } = await endpoint(t, api);
  await inProcessWorker(t, api);
  await t.rejects(
    api.database.db.transaction(async (tx) => {
      await appendEvent(tx, api.organizationId, 'test.synthetic', { n: 'rolled back', version: 1 });
      throw new Error('the change fails');
    }),
  );
  const [kept] = await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  const [got] = await receiver.waitFor(1, 5_000);
  t.equal(got!.id, kept);
  await sleep(1200);
  t.equal(receiver.received.length, 1, 'only the committed event arrived');
  t.equal((await deliveriesOf(api, id)).length, 1);
});

t.test('after 4 failed attempts the other endpoints hear webhook.failing; exhausted deliveries fail, retry sends again', async (t) => {
  const api = await buildTestApp(t, { LIAISON_WEBHOOK_RETRY_SCHEDULE: '100ms,100ms,100ms,100ms' });
  const failing = await endpoint(t, api, ['*'], { defaultResponse: { status: 502, body: 'bad gateway' } });
  const watcher = await endpoint(t, api, ['webhook.failing']);
  await inProcessWorker(t, api);
  const [eventId] = await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  const [notice] = await watcher.receiver.waitFor(1, 10_000);
  t.match(notice!.parsed, { type: 'webhook.failing', data: { webhook: { id: failing.id }, eventId, eventType: 'test.synthetic', attempts: 4, lastResponseStatus: 502 } });
  await failing.receiver.waitFor(5, 10_000);
  await sleep(500);
  t.equal(failing.receiver.received.length, 5, 'the first attempt and 4 retries, then no more');
  t.equal(watcher.receiver.received.length, 1, 'webhook.failing is sent once per event');
  const [delivery] = await deliveriesOf(api, failing.id, '?eventType=test.synthetic');
  t.match(delivery, { status: 'failed', attemptCount: 5, nextAttemptAt: null, lastResponseStatus: 502 });
  t.equal((await deliveriesOf(api, failing.id)).length, 1, 'webhook.failing itself is not sent to the failing endpoint');
  t.match((await api.get(`/v1/webhooks/${failing.id}`)).body, { enabled: true }, 'one exhausted delivery of a new endpoint does not disable it');

  failing.receiver.respondWith({ status: 200 });
  const retried = await api.post(`/v1/webhooks/${failing.id}/deliveries/${delivery.id}/retry`);
  t.equal(retried.status, 202);
  t.match(retried.body, { id: delivery.id, status: 'pending' });
  const got = await failing.receiver.waitFor(6, 5_000);
  t.equal(got[5]!.id, eventId, 'a manual retry keeps the webhook-id');
  await sleep(300);
  t.match((await api.get(`/v1/webhooks/${failing.id}/deliveries/${delivery.id}`)).body, { status: 'succeeded', attemptCount: 6 });
  const other = await api.newOrganization();
  t.equal((await other.post(`/v1/webhooks/${failing.id}/deliveries/${delivery.id}/retry`)).status, 404);
});

t.test('SSRF at connect time: addresses allowed at subscription but not by the worker are never connected to', async (t) => {
  const api = await buildTestApp(t, { LIAISON_WEBHOOK_ALLOW_CIDRS: '127.0.0.0/8,::1/128,169.254.169.254/32,10.0.0.1/32' });
  const receiver = await startReceiver('whsec_' + Buffer.alloc(32, 7).toString('base64'));
  t.teardown(() => receiver.close());
  const urls = [
    `http://169.254.169.254:${receiver.port}/`,
    `http://10.0.0.1:${receiver.port}/`,
    `http://[::1]:${receiver.port}/`,
    `http://[::ffff:127.0.0.1]:${receiver.port}/`,
    `http://localhost:${receiver.port}/`,
    receiver.url,
  ];
  const ids: string[] = [];
  for (const url of urls) {
    const res = await api.post('/v1/webhooks', { url, eventTypes: ['*'] });
    t.equal(res.status, 201, url);
    ids.push(res.body.id);
  }
  // The worker's operator allows nothing: as if each name now resolved somewhere forbidden.
  await inProcessWorker(t, api, { webhookAllowCidrs: '' });
  await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  await sleep(1500);
  t.equal(receiver.connections, 0, 'the receiver saw no connection');
  for (const [i, id] of ids.entries()) {
    const [delivery] = await deliveriesOf(api, id);
    t.match(delivery?.attempts?.[0], { errorClass: 'blocked', responseStatus: null, error: /refusing to connect/ }, urls[i]);
  }
});

t.test('per-endpoint concurrency: a hanging endpoint holds at most 4 deliveries and does not starve another', async (t) => {
  const api = await buildTestApp(t, { LIAISON_WEBHOOK_TIMEOUT_MS: '1500' });
  const slow = await endpoint(t, api, ['*'], { defaultResponse: { hang: true } });
  const fast = await endpoint(t, api);
  await inProcessWorker(t, api);
  await commitEvents(api, api.organizationId, 'test.synthetic', 10);
  await fast.receiver.waitFor(10, 1_200);
  t.equal(slow.receiver.received.length, 4, 'four in flight at once, the rest wait');
});

t.test('an endpoint whose deliveries keep failing with no success for 5 days is disabled', async (t) => {
  const api = await buildTestApp(t, { LIAISON_WEBHOOK_RETRY_SCHEDULE: '100ms' });
  const dead = await endpoint(t, api, ['*'], { defaultResponse: { status: 503 } });
  const watcher = await endpoint(t, api, ['webhook.disabled']);
  await api.database.sql`update webhooks set created_at = now() - interval '6 days', last_success_at = now() - interval '6 days' where id = ${dead.id}`;
  await inProcessWorker(t, api);
  await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  const [notice] = await watcher.receiver.waitFor(1, 5_000);
  t.match(notice!.parsed, { type: 'webhook.disabled', data: { webhook: { id: dead.id, enabled: false }, reason: /5 days/ } });
  t.match((await api.get(`/v1/webhooks/${dead.id}`)).body, { enabled: false, disabledReason: /5 days/ });
  t.equal(dead.receiver.received.length, 2, 'the first attempt and its one retry');
  const audit = (await api.get(`/v1/audit-events?entityType=webhook&entityId=${dead.id}`)).body.data;
  t.match(audit.at(-1), { action: 'disable', actorKeyId: null, changes: { enabled: { before: true, after: false } } });
});
