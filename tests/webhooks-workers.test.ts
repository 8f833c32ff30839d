import t from 'tap';
import { buildTestApp } from './helpers.js';
import { startReceiver } from './helpers/webhook-receiver.js';
import { commitEvents, inProcessWorker, spawnWorker, waitForListeners } from './fixtures/webhook-workers.js';
import type { TestApp } from './helpers.js';
import type { Test } from 'tap';

async function endpoint(t: Test, api: TestApp) {
  const created = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['*'] });
  const receiver = await startReceiver(created.body.secret);
  t.teardown(() => receiver.close());
  await api.patch(`/v1/webhooks/${created.body.id}`, { url: receiver.url });
  return { id: created.body.id as string, receiver };
}

t.test('kill -9 of a worker process mid-delivery: a second worker delivers the event once the lease runs out', async (t) => {
  const api = await buildTestApp(t);
  const { id, receiver } = await endpoint(t, api);
  receiver.respondWith({ hang: true });
  const first = spawnWorker(t, api);
  await waitForListeners(api, 1);
  const [eventId] = await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  const [inFlight] = await receiver.waitFor(1, 10_000);
  t.equal(inFlight!.id, eventId);
  await new Promise((r) => setTimeout(r, 2500)); // longer than a renewal period: the lease is being kept alive
  const [leased] = await api.database.sql`select lease_until > now() as held from webhook_deliveries where event_id = ${eventId}`;
  t.equal(leased!.held, true, 'the living worker renews its lease past the first expiry');
  first.child.kill('SIGKILL');
  t.equal(await first.exited, null, 'killed by the signal');
  const killedAt = Date.now();
  await inProcessWorker(t, api); // the second worker: in the test process, to keep the test quick

  const got = await receiver.waitFor(2, 20_000);
  t.equal(got[1]!.id, eventId, 'the same webhook-id');
  t.equal(got[1]!.body, got[0]!.body, 'the same body');
  t.equal(got[1]!.verified, true);
  t.ok(Date.now() - killedAt < 12_000, `re-delivered within seconds (${Date.now() - killedAt} ms)`);
  await new Promise((r) => setTimeout(r, 300));
  t.match((await api.get(`/v1/webhooks/${id}/deliveries`)).body.data, [{ eventId, status: 'succeeded', attemptCount: 1 }]);
});

t.test('two worker processes deliver 1,000 events to one endpoint exactly once each', async (t) => {
  const api = await buildTestApp(t);
  const { id, receiver } = await endpoint(t, api);
  // The workers start while the events are committed, so most of them wait as a backlog: the
  // receipt window then measures delivery throughput rather than how fast the test commits.
  spawnWorker(t, api);
  spawnWorker(t, api);
  const started = Date.now();
  const ids = await commitEvents(api, api.organizationId, 'test.synthetic', 1000, 100);
  const committed = Date.now();
  await waitForListeners(api, 2);
  const got = await receiver.waitFor(1000, 60_000);
  const first = Math.min(...got.map((r) => r.receivedAt.getTime()));
  const last = Math.max(...got.map((r) => r.receivedAt.getTime()));
  await new Promise((r) => setTimeout(r, 1500));
  const received = receiver.received.map((r) => r.id);
  t.equal(received.length, 1000, 'no event sent twice');
  t.equal(new Set(received).size, 1000);
  t.same([...new Set(received)].sort(), [...ids].sort(), 'every event arrived');
  t.ok(got.every((r) => r.verified), 'every delivery verifies');
  const [row] = await api.database.sql`
    select count(*) filter (where status = 'succeeded')::int as ok, count(*)::int as total,
           (select count(*)::int from webhook_attempts where organization_id = ${api.organizationId}) as attempts
    from webhook_deliveries where webhook_id = ${id}`;
  t.same(row, { ok: 1000, total: 1000, attempts: 1000 });
  t.comment(
    `1,000 deliveries received over ${last - first} ms (${Math.round(1000 / ((last - first) / 1000))}/s); ` +
      `commits took ${committed - started} ms; first receipt ${first - started} ms after the first commit`,
  );
});

t.test('SIGTERM drains: the delivery in progress finishes and is recorded before the worker exits', async (t) => {
  const api = await buildTestApp(t);
  const { id, receiver } = await endpoint(t, api);
  receiver.respondWith({ status: 200, delayMs: 1500 });
  const t0 = Date.now();
  const worker = spawnWorker(t, api);
  await waitForListeners(api, 1);
  const t1 = Date.now();
  const [eventId] = await commitEvents(api, api.organizationId, 'test.synthetic', 1);
  await receiver.waitFor(1, 10_000);
  worker.child.kill('SIGTERM');
  t.equal(await worker.exited, 0, 'a clean exit');
  t.comment(`start ${t1 - t0} ms, deliver and drain ${Date.now() - t1} ms`);
  t.match((await api.get(`/v1/webhooks/${id}/deliveries`)).body.data, [{ eventId, status: 'succeeded', attemptCount: 1, lastResponseStatus: 200 }]);
  t.equal(receiver.received.length, 1);
});
