import t from 'tap';
import postgres from 'postgres';
import { buildTestApp } from './helpers.js';
import { createTestDatabase } from './db.js';
import { commitEvents } from './fixtures/webhook-workers.js';
import { trafficOf } from './traffic.js';

// The event log shows an event once no older transaction that could write events is in flight;
// transactions of another database cannot, and must not hold it back, even when they end just as
// the log is read (the sessions were once read after the statement's snapshot, so such a
// transaction was in the snapshot but no longer among the sessions: about one read in fifty left
// out an event committed just before).

const READS = 600;
const WRITERS = 12;

t.test('an event is on the first read after its commit while another database commits short transactions', async (t) => {
  const api = await buildTestApp(t);
  const elsewhere = await createTestDatabase();
  const busy = postgres(elsewhere.url, { max: WRITERS, onnotice: () => {} });
  t.teardown(async () => {
    await busy.end({ timeout: 5 });
    await elsewhere.drop();
  });
  let stop = false;
  let committed = 0;
  const writers = Array.from({ length: WRITERS }, async () => {
    while (!stop) {
      await busy.begin(async (tx) => {
        await tx`select pg_current_xact_id()`;
        await tx`select pg_sleep(${Math.random() * 0.01})`;
      });
      committed++;
    }
  });
  // Every writer has had a transaction going before the first event commits.
  while (committed < WRITERS) await new Promise((r) => setTimeout(r, 5));

  let [previous] = await commitEvents(api, api.organizationId, 'test.alpha', 1);
  const missed: number[] = [];
  for (let i = 0; i < READS; i++) {
    // Committed while the other database's transactions that began before it are still going.
    const [id] = await commitEvents(api, api.organizationId, 'test.alpha', 1);
    const res = await api.get(`/v1/events?after=${previous}&limit=1`);
    if (res.status !== 200) throw new Error(`events: ${res.status} ${res.text}`);
    if (res.body.data[0]?.id !== id) missed.push(i);
    previous = id;
  }
  const during = committed;
  stop = true;
  await Promise.all(writers);
  t.ok(during > READS / 4, `the other database kept committing during the reads (${during} transactions)`);
  t.same(missed, [], `each of ${READS} events was on the read right after its commit`);
});

t.test('reading the log costs two round trips: the sessions and the page behind BEGIN, then the COMMIT', async (t) => {
  const api = await buildTestApp(t);
  await commitEvents(api, api.organizationId, 'test.alpha', 3);
  // Until the connection has prepared its statements and the key store knows the key (it starts
  // afresh once its LISTEN is up), a read costs more.
  let traffic = await trafficOf(t, api, () => api.get('/v1/events?limit=2'), 200);
  for (let i = 0; i < 20 && traffic.statements.length > 4; i++) traffic = await trafficOf(t, api, () => api.get('/v1/events?limit=2'), 200);
  t.equal(traffic.roundTrips, 2, `two round trips (${traffic.statements.join(' | ')})`);
  t.match(traffic.statements, [/^begin/, /pg_stat_get_backend_idset/, /^select id, type, occurred_at/, /^commit/], 'the sessions are read before the page');
});
