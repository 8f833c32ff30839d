import t from 'tap';
import { buildTestApp } from './helpers.js';
import { listen, openStream, type Frame } from './helpers/sse-client.js';
import { commitEvents, sleep } from './fixtures/webhook-workers.js';
import { pruneExpired } from '../src/events/retention.js';

const ids = (frames: Frame[]) => frames.map((f) => f.id);

t.test('two streams, one resumed with Last-Event-ID: each sees every event of its organisation exactly once', async (t) => {
  const api = await buildTestApp(t);
  const base = await listen(api);
  const other = await api.newOrganization();
  const steady = await openStream(t, base, api.key);
  const resumed = await openStream(t, base, api.key);
  const foreign = await openStream(t, base, other.key);
  t.equal(steady.status, 200);
  t.match(steady.headers['content-type'], /^text\/event-stream/);
  t.equal(steady.headers['cache-control'], 'no-store');

  const batch1 = await commitEvents(api, api.organizationId, 'test.alpha', 5, 2);
  const otherBatch = await commitEvents(api, other.organizationId, 'test.alpha', 3, 1);
  await resumed.waitFor(5);
  const lastSeen = resumed.frames.at(-1)!.id!;
  resumed.close();
  await resumed.closed;

  const batch2 = await commitEvents(api, api.organizationId, 'test.beta', 5, 3);
  await commitEvents(api, other.organizationId, 'test.beta', 2, 2);
  const again = await openStream(t, base, api.key, '/v1/events/stream', { 'last-event-id': lastSeen });
  t.equal(again.status, 200);
  await again.waitFor(5);
  const batch3 = await commitEvents(api, api.organizationId, 'test.alpha', 3, 1);

  const all = [...batch1, ...batch2, ...batch3];
  t.same(ids(await steady.waitFor(13)), all, 'the steady stream: all 13, in log order');
  t.same([...ids(resumed.frames), ...ids(await again.waitFor(8))], all, 'the resumed stream: no gap, no duplicate');
  t.same(ids(await foreign.waitFor(5)), [...otherBatch, ...foreign.frames.slice(3).map((f) => f.id)], 'the other organisation');
  await sleep(300);
  t.equal(steady.frames.length, 13, 'nothing more arrived');
  t.equal(again.frames.length, 8);
  t.equal(foreign.frames.length, 5, 'none of another organisation');
  t.notOk(foreign.frames.some((f) => all.includes(f.id!)));

  const log = (await api.get('/v1/events?limit=200')).body.data;
  t.same(log.map((e: { id: string }) => e.id), all, 'streams follow the order of GET /v1/events');
  t.same(steady.frames[0]!.data, log[0], 'a frame carries the event as the log serves it');
  t.equal(steady.frames[0]!.event, 'test.alpha');
});

t.test('events from any connection reach open streams promptly; types filter; refusals', async (t) => {
  const api = await buildTestApp(t);
  const base = await listen(api);
  const betas = await openStream(t, base, api.key, '/v1/events/stream?types=test.beta');
  const everything = await openStream(t, base, api.key);
  await sleep(100);
  const latencies: number[] = [];
  for (let i = 0; i < 5; i++) {
    await commitEvents(api, api.organizationId, i % 2 ? 'test.alpha' : 'test.beta', 1);
    const committed = Date.now();
    await everything.waitFor(i + 1);
    latencies.push(Math.max(0, everything.frames[i]!.at - committed));
  }
  t.comment(`commit-to-stream latency (ms): ${latencies.join(', ')}`);
  t.ok(Math.min(...latencies) < 100, 'delivered through LISTEN/NOTIFY, not a poll');
  await sleep(100);
  t.same(betas.frames.map((f) => f.event), ['test.beta', 'test.beta', 'test.beta'], 'only the requested types');

  const badHeader = await openStream(t, base, api.key, '/v1/events/stream', { 'last-event-id': 'not-an-id' });
  t.equal(badHeader.status, 400);
  const unknown = await openStream(t, base, api.key, '/v1/events/stream', { 'last-event-id': '00000000-0000-4000-8000-000000000000' });
  t.equal(unknown.status, 400);
  const other = await api.newOrganization();
  const foreignResume = await openStream(t, base, other.key, '/v1/events/stream', { 'last-event-id': everything.frames[0]!.id! });
  t.equal(foreignResume.status, 400, "another organisation's event id resumes nothing");
  t.equal((await openStream(t, base, 'lsn_wrong')).status, 401);
});

t.test('retention: events older than the retention period are pruned with their deliveries', async (t) => {
  const api = await buildTestApp(t);
  const [old, recent] = await commitEvents(api, api.organizationId, 'test.alpha', 2, 2);
  await api.database.sql`update events set occurred_at = now() - interval '31 days' where id = ${old!}`;
  t.equal((await pruneExpired(api.database.db, 30)).deleted, 1);
  t.equal((await api.get(`/v1/events/${old}`)).status, 404);
  t.equal((await api.get(`/v1/events/${recent}`)).status, 200);
});
