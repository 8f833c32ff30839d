import t from 'tap';
import { buildTestApp, type TestApp } from './helpers.js';
import { startReceiver, type ReceiverResponse } from './helpers/webhook-receiver.js';
import { commitEvents, inProcessWorker, sleep } from './fixtures/webhook-workers.js';
import { claimDue, DEFAULT_PER_ENDPOINT } from '../src/webhooks/queue.js';
import { SuccessLog, type SuccessRecord } from '../src/webhooks/success-log.js';
import type { Test } from 'tap';

// The worker writes successful outcomes in batches and queues a few deliveries per endpoint ahead
// of its sends; these tests check that nothing is lost or recorded wrongly by either.

async function endpoint(t: Test, api: TestApp, opts: { defaultResponse?: ReceiverResponse } = {}) {
  const created = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['*'] });
  t.equal(created.status, 201);
  const receiver = await startReceiver(created.body.secret, opts);
  t.teardown(() => receiver.close());
  t.equal((await api.patch(`/v1/webhooks/${created.body.id}`, { url: receiver.url })).status, 200);
  return { id: created.body.id as string, receiver };
}

const bounds = { perEndpoint: DEFAULT_PER_ENDPOINT, prefetch: 100, held: new Map<string, number>() };

t.test('many successes completing together are written in one batch, each attempt and outcome exact', async (t) => {
  const api = await buildTestApp(t);
  const { id } = await endpoint(t, api);
  await commitEvents(api, api.organizationId, 'test.synthetic', 40);
  const { deliveries } = await claimDue(api.database.db, 'w1', 100, bounds);
  t.equal(deliveries.length, 40, 'one worker with the endpoint to itself may hold more than it sends at once');
  let statements = 0;
  const log = new SuccessLog(api.database.db, 'w1', (fn) => (statements++, fn()));
  const records: SuccessRecord[] = deliveries.map((d, i) => ({
    deliveryId: d.id, organizationId: d.organizationId, webhookId: d.webhookId, number: 1,
    status: 200 + (i % 3), durationMs: i, body: `ok ${i} ✓`,
  }));
  await Promise.all(records.map((r) => log.add(r)));
  t.equal(statements, 1, 'successes of the same moment share one statement');

  const rows = await api.database.sql`
    select d.id, d.status, d.attempts, d.total_attempts, d.lease_until, d.leased_by, d.next_attempt_at, d.last_response_status, d.last_error,
           a.number, a.response_status, a.duration_ms, a.response_body, a.error_class, a.organization_id as attempt_org
    from webhook_deliveries d join webhook_attempts a on a.delivery_id = d.id
    where d.webhook_id = ${id}`;
  t.equal(rows.length, 40, 'exactly one attempt row per delivery');
  const byId = new Map(records.map((r) => [r.deliveryId, r]));
  for (const row of rows) {
    const r = byId.get(row.id)!;
    t.match(row, {
      status: 'succeeded', attempts: 1, total_attempts: 1, lease_until: null, leased_by: null, next_attempt_at: null,
      last_response_status: r.status, last_error: null,
      number: 1, response_status: r.status, duration_ms: r.durationMs, response_body: r.body, error_class: null, attempt_org: api.organizationId,
    });
  }
  const [hook] = await api.database.sql`select last_success_at from webhooks where id = ${id}`;
  t.ok(hook!.last_success_at, 'the endpoint notes its success');
  const log2 = (await api.get(`/v1/webhooks/${id}/deliveries?limit=100`)).body.data;
  t.equal(log2.length, 40);
  t.ok(log2.every((d: { status: string; attemptCount: number }) => d.status === 'succeeded' && d.attemptCount === 1), 'the delivery log shows each once');
});

t.test('a batch that fails is written row by row: one bad row does not cost the others', async (t) => {
  const api = await buildTestApp(t);
  const { id } = await endpoint(t, api);
  await commitEvents(api, api.organizationId, 'test.synthetic', 5);
  const { deliveries } = await claimDue(api.database.db, 'w1', 100, bounds);
  const log = new SuccessLog(api.database.db, 'w1');
  const results = await Promise.allSettled(
    deliveries.map((d, i) => log.add({
      deliveryId: d.id, organizationId: d.organizationId, webhookId: d.webhookId, number: 1, status: 200, durationMs: 1,
      // PostgreSQL text cannot hold NUL: this row's write fails.
      body: i === 2 ? 'bad \u0000 body' : 'fine',
    })),
  );
  t.same(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
  const rows = await api.database.sql`
    select d.id, d.status, d.leased_by, (select count(*)::int from webhook_attempts a where a.delivery_id = d.id) as logged
    from webhook_deliveries d where d.webhook_id = ${id}`;
  const bad = deliveries[2]!.id;
  for (const row of rows) {
    if (row.id === bad) t.match(row, { status: 'pending', leased_by: 'w1', logged: 0 }, 'the failed row stays leased: its lease runs out and it is sent again');
    else t.match(row, { status: 'succeeded', leased_by: null, logged: 1 });
  }
});

t.test('a success recorded after the lease was lost is logged but leaves the new holder its delivery', async (t) => {
  const api = await buildTestApp(t);
  const { id } = await endpoint(t, api);
  await commitEvents(api, api.organizationId, 'test.synthetic', 2);
  const { deliveries } = await claimDue(api.database.db, 'w1', 100, bounds);
  const [lost, kept] = deliveries;
  await api.database.sql`update webhook_deliveries set leased_by = 'w2' where id = ${lost!.id}`;
  const log = new SuccessLog(api.database.db, 'w1');
  const record = (d: typeof lost) => ({ deliveryId: d!.id, organizationId: d!.organizationId, webhookId: d!.webhookId, number: 1, status: 204, durationMs: 3, body: '' });
  await Promise.all([log.add(record(lost)), log.add(record(kept))]);
  const rows = await api.database.sql`
    select d.id, d.status, d.leased_by, (select count(*)::int from webhook_attempts a where a.delivery_id = d.id) as logged
    from webhook_deliveries d where d.webhook_id = ${id}`;
  t.match(rows.find((r) => r.id === lost!.id), { status: 'pending', leased_by: 'w2', logged: 1 });
  t.match(rows.find((r) => r.id === kept!.id), { status: 'succeeded', leased_by: null, logged: 1 });
});

t.test('another worker holding an endpoint leaves a claimer only its free sending slots, with no prefetch', async (t) => {
  const api = await buildTestApp(t);
  const { id } = await endpoint(t, api);
  await commitEvents(api, api.organizationId, 'test.synthetic', 20);
  const first = await claimDue(api.database.db, 'w1', 2, bounds);
  t.equal(first.deliveries.length, 2);
  t.notOk(first.saturated.has(id), 'the claim limit, not the endpoint, stopped it');
  const second = await claimDue(api.database.db, 'w2', 100, bounds);
  t.equal(second.deliveries.length, DEFAULT_PER_ENDPOINT - 2, 'w2 may send only on the slots w1 leaves');
  t.ok(second.saturated.has(id), 'w2 filled all the room it had');
  const third = await claimDue(api.database.db, 'w1', 100, { ...bounds, held: new Map([[id, 2]]) });
  t.equal(third.deliveries.length, 0, 'w1, holding two, now sees the endpoint fully busy');
  const freed = await claimDue(api.database.db, 'w1', 100, { ...bounds, held: new Map([[id, 1]]) });
  t.equal(freed.deliveries.length, 1, 'once one of its sends is over (only being recorded), w1 may start another');
  const fourth = await claimDue(api.database.db, 'w3', 100, bounds);
  t.equal(fourth.deliveries.length, 0, 'a third worker gets nothing');
});

t.test('the worker delivers a backlog to several endpoints exactly once, with every attempt logged', async (t) => {
  const api = await buildTestApp(t, { LIAISON_WEBHOOK_RETRY_SCHEDULE: '100ms,100ms,100ms' });
  const a = await endpoint(t, api);
  const b = await endpoint(t, api);
  // c fails its first three requests (500), then accepts: queued deliveries behind a failure are
  // handed back and claimed again, never lost or sent twice after succeeding.
  const c = await endpoint(t, api);
  c.receiver.respondWith({ status: 500 }, { status: 500 }, { status: 500 });
  const ids = await commitEvents(api, api.organizationId, 'test.synthetic', 300);
  await inProcessWorker(t, api);
  await a.receiver.waitFor(300, 30_000);
  await b.receiver.waitFor(300, 30_000);
  await c.receiver.waitFor(303, 30_000);
  await sleep(500);
  for (const [name, e] of Object.entries({ a, b })) {
    const got = e.receiver.received.map((r) => r.id);
    t.equal(got.length, 300, `${name}: nothing sent twice`);
    t.same([...new Set(got)].sort(), [...ids].sort(), `${name}: every event`);
  }
  for (const [name, e] of Object.entries({ a, b })) {
    t.ok(e.receiver.connections <= 2 * DEFAULT_PER_ENDPOINT, `${name}: connections are kept alive and reused (${e.receiver.connections} for 300 deliveries)`);
  }
  t.equal(c.receiver.received.length, 303, 'c: three failures and one success per event');
  t.same([...new Set(c.receiver.received.map((r) => r.id))].sort(), [...ids].sort());
  const [row] = await api.database.sql`
    select count(*) filter (where status = 'succeeded')::int as ok, count(*)::int as total,
           count(*) filter (where lease_until is not null or leased_by is not null)::int as leased,
           (select count(*)::int from webhook_attempts where organization_id = ${api.organizationId}) as attempts,
           (select count(*)::int from webhook_attempts where organization_id = ${api.organizationId} and response_status = 500) as failed
    from webhook_deliveries where organization_id = ${api.organizationId}`;
  t.same(row, { ok: 900, total: 900, leased: 0, attempts: 903, failed: 3 });
  const metrics = (await api.inject({ method: 'GET', url: '/metrics' })).text;
  t.match(metrics, /liaison_webhook_deliveries_total\{outcome="succeeded"\} 900/);
  t.match(metrics, /liaison_webhook_deliveries_total\{outcome="retrying"\} 3/);
});

t.test('stop hands queued deliveries back at once and finishes the ones being sent', async (t) => {
  const api = await buildTestApp(t, { LIAISON_WEBHOOK_TIMEOUT_MS: '1000' });
  const slow = await endpoint(t, api, { defaultResponse: { status: 200, delayMs: 400 } });
  await commitEvents(api, api.organizationId, 'test.synthetic', 12);
  const worker = await inProcessWorker(t, api);
  await slow.receiver.waitFor(DEFAULT_PER_ENDPOINT, 5_000);
  const [held] = await api.database.sql`select count(*)::int as n from webhook_deliveries where leased_by is not null`;
  t.ok(held!.n > DEFAULT_PER_ENDPOINT, `more held (${held!.n}) than sending`);
  t.equal(slow.receiver.received.length, DEFAULT_PER_ENDPOINT, 'never more than four sent at once');
  await worker.stop();
  const rows = await api.database.sql`select status, leased_by, lease_until from webhook_deliveries order by status`;
  const succeeded = rows.filter((r) => r.status === 'succeeded').length;
  t.equal(succeeded, slow.receiver.received.length, 'every delivery that was sent is recorded');
  t.ok(rows.every((r) => r.leased_by === null && r.lease_until === null), 'nothing is left leased');
  t.equal(rows.filter((r) => r.status === 'pending').length, 12 - succeeded, 'the rest wait for the next worker');
});
