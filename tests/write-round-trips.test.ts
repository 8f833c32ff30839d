import t, { type Test } from 'tap';
import postgres from 'postgres';
import { buildTestApp, type TestApp } from './helpers.js';
import { department, person } from './outcomes-helpers.js';
import { EVENTS_CHANNEL } from '../src/events/outbox.js';
import { trafficOf } from './traffic.js';

async function issueSetUp(t: Test) {
  const api = await buildTestApp(t);
  const ops = await department(api, 'Operations');
  const ana = await person(api, 'Ana', ops.id);
  // A disabled endpoint subscribed to the event: its delivery is queued as skipped.
  const hook = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/never', eventTypes: ['issue.*'] });
  t.equal((await api.patch(`/v1/webhooks/${hook.body.id}`, { enabled: false }, { 'if-match': '"v1"' })).status, 200);
  return { api, ops, ana, hook: hook.body as { id: string } };
}

// Before the change recorder buffered and pipelined: 10 round trips (12 statements with the
// pg_notify inside the transaction) without a key, 13 with one. Then 4: BEGIN, the reference
// checks with the owner's summary, the insert, and the recorded changes with the COMMIT. Now
// BEGIN goes out with the reference checks (the patched postgres.js `begin`): 3.
const MOST_ROUND_TRIPS = 3;
const MOST_ROUND_TRIPS_WITH_KEY = 4;

t.test('POST /v1/issues (owner, department, one subscribed endpoint) costs a fixed number of round trips', async (t) => {
  const { api, ops, ana, hook } = await issueSetUp(t);
  const body = (n: number) => ({ title: `Risk ${n}`, ownerId: ana.id, departmentId: ops.id });
  // Warm every pooled connection: each prepares its statements once (a statement not yet prepared
  // is described first, which postgres.js does not pipeline).
  for (let round = 0; round < 2; round++) {
    await Promise.all(Array.from({ length: 8 }, (_, i) => api.post('/v1/issues', body(0), { 'idempotency-key': `warm-${round}-${i}-${Date.now()}` })));
    await Promise.all(Array.from({ length: 8 }, () => api.post('/v1/issues', body(0))));
  }

  const listener = postgres(api.database.url, { max: 1, onnotice: () => {} });
  t.teardown(() => listener.end({ timeout: 1 }));
  const hints: string[] = [];
  await listener.listen(EVENTS_CHANNEL, (payload) => hints.push(payload));

  const plain = await trafficOf(t, api, () => api.post('/v1/issues', body(1)), 201);
  t.comment(`without Idempotency-Key: ${plain.roundTrips} round trips, ${plain.statements.length} statements\n  ${plain.statements.join('\n  ')}`);
  t.ok(plain.roundTrips <= MOST_ROUND_TRIPS, `at most ${MOST_ROUND_TRIPS} round trips (${plain.roundTrips})`);
  t.equal(plain.notifiesInTransactions, 0, 'no NOTIFY inside the write transaction');

  const keyed = await trafficOf(t, api, () => api.post('/v1/issues', body(2), { 'idempotency-key': `k-${Date.now()}` }), 201);
  t.comment(`with Idempotency-Key: ${keyed.roundTrips} round trips, ${keyed.statements.length} statements\n  ${keyed.statements.join('\n  ')}`);
  t.ok(keyed.roundTrips <= MOST_ROUND_TRIPS_WITH_KEY, `at most ${MOST_ROUND_TRIPS_WITH_KEY} round trips with an Idempotency-Key (${keyed.roundTrips})`);
  t.equal(keyed.notifiesInTransactions, 0, 'no NOTIFY inside the write transaction');
  // The stored answer is read once the key's lock is held, or a holder that commits in between goes unseen.
  const lockAt = keyed.statements.findIndex((s) => s.includes('pg_try_advisory_xact_lock'));
  // (statements are shown cut at 80 characters: the read is known by its columns)
  const readAt = keyed.statements.findIndex((s) => s.startsWith('select "organization_id", "key", "request_hash"'));
  t.ok(lockAt >= 0 && readAt > lockAt, `the key's lock is taken before its stored answer is read (statements ${lockAt} and ${readAt})`);

  // The hint still goes out, after the commit.
  for (let i = 0; i < 100 && hints.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  t.ok(hints.length >= 1 && hints.every((h) => h === api.organizationId), `woken with the organisation after commit (${hints.length} hints)`);

  // Every guarantee is still there: the row, its audit record, its event and the skipped delivery.
  const [issue] = (await api.get('/v1/issues?limit=200')).body.data.filter((i: { title: string }) => i.title === 'Risk 2');
  t.ok(issue, 'the issue exists');
  const audits = (await api.get(`/v1/audit-events?entityType=issue&entityId=${issue.id}`)).body.data;
  t.match(audits, [{ action: 'create', entityId: issue.id, requestId: String }]);
  const events = (await api.get('/v1/events?types=issue.opened&limit=200')).body.data.filter((e: { data: { issue: { id: string } } }) => e.data.issue.id === issue.id);
  t.equal(events.length, 1, 'its event');
  t.match(events[0].data, { owner: { id: ana.id, name: 'Ana' } });
  const deliveries = (await api.get(`/v1/webhooks/${hook.id}/deliveries?limit=200`)).body.data.filter((d: { eventId: string }) => d.eventId === events[0].id);
  t.match(deliveries, [{ status: 'skipped', eventType: 'issue.opened' }], 'the disabled endpoint got a skipped delivery');
});

t.test('the round trips do not grow with the payload: a meeting with many agenda items and participants', async (t) => {
  const { api, ana } = await issueSetUp(t);
  const people = [ana, ...(await Promise.all(Array.from({ length: 5 }, (_, i) => person(api, `P${i}`))))];
  const meeting = (n: number, items: number, who: typeof people) => ({
    title: `M${n}`, startsAt: '2031-01-01T10:00:00Z', endsAt: '2031-01-01T11:00:00Z', timeZone: 'UTC',
    participants: who.map((p) => ({ personId: p.id })), agendaItems: Array.from({ length: items }, (_, i) => ({ title: `I${i}` })),
  });
  await api.post('/v1/meetings', meeting(0, 1, people.slice(0, 1)));
  const small = await trafficOf(t, api, () => api.post('/v1/meetings', meeting(1, 1, people.slice(0, 1))), 201);
  const big = await trafficOf(t, api, () => api.post('/v1/meetings', meeting(2, 8, people)), 201);
  t.comment(`1 item, 1 participant: ${small.roundTrips} round trips; 8 items, 6 participants: ${big.roundTrips}`);
  t.equal(big.roundTrips, small.roundTrips, 'the same number of round trips');
  t.equal(big.notifiesInTransactions + small.notifiesInTransactions, 0);
});
