import t from 'tap';
import { goalProgress } from '../src/initiatives/goals.js';
import { buildTestApp, uniq, type Caller } from './helpers.js';

async function initiative(api: Caller) {
  const person = async (name: string) => (await api.post('/v1/people', { name, email: `${uniq('p')}@example.com` })).body.id as string;
  const res = await api.post('/v1/initiatives', { title: uniq('goals'), sponsorId: await person('S'), ownerId: await person('O') });
  return res.body.id as string;
}

t.test('progress: increasing, reducing, clamped, undefined', async (t) => {
  t.equal(goalProgress(10, 20, 15), 0.5);
  t.equal(goalProgress(50, 10, 30), 0.5, 'a goal that reduces progresses as the value falls');
  t.equal(goalProgress(50, 10, 60), 0, 'worse than the baseline clamps to 0');
  t.equal(goalProgress(50, 10, 5), 1, 'beyond the target clamps to 1');
  t.equal(goalProgress(10, 20, 25), 1);
  t.equal(goalProgress(10, 20, 0), 0);
  t.equal(goalProgress(7, 7, 7), null, 'target = baseline is undefined, not a division by zero');
  t.equal(goalProgress(10, 20, null), null);
  t.equal(goalProgress(-10, 10, 0), 0.5, 'negative baselines');
});

t.test('goals: create, progress, measurements as a dated trend, refusals', async (t) => {
  const api = await buildTestApp(t);
  const id = await initiative(api);
  const url = `/v1/initiatives/${id}/goals`;

  const reduce = await api.post(url, {
    title: '缩短审批时间', metric: 'approval time', unit: 'days', baseline: 50, target: 10, current: 30,
    dueDate: '2026-06-30', measuredAt: '2026-01-10T09:00:00Z',
  });
  t.equal(reduce.status, 201, reduce.text);
  t.match(reduce.body, {
    initiativeId: id, title: '缩短审批时间', metric: 'approval time', unit: 'days', baseline: 50, target: 10, current: 30,
    progress: 0.5, measuredAt: '2026-01-10T09:00:00.000Z', dueDate: '2026-06-30', version: 1,
  });
  t.equal(reduce.headers.etag, '"v1"');
  const gurl = `${url}/${reduce.body.id}`;

  const flat = await api.post(url, { title: 'Flat', metric: 'm', baseline: 7, target: 7, current: 7 });
  t.match(flat.body, { progress: null });
  const unmeasured = await api.post(url, { title: 'Unmeasured', metric: 'm', baseline: 0, target: 100 });
  t.match(unmeasured.body, { current: null, progress: null, measuredAt: null, unit: null, dueDate: null });
  t.same((await api.get(`${url}/${unmeasured.body.id}/measurements`)).body.data, [], 'no measurement without a value');

  const worse = await api.patch(gurl, { current: 60, measuredAt: '2026-02-10T09:00:00Z' }, { 'if-match': '"v1"' });
  t.equal(worse.status, 200, worse.text);
  t.match(worse.body, { current: 60, progress: 0, version: 2, measuredAt: '2026-02-10T09:00:00.000Z' });
  const better = await api.patch(gurl, { current: 4 });
  t.match(better.body, { current: 4, progress: 1 });
  const now = Date.parse(better.body.measuredAt);
  t.ok(Math.abs(now - Date.now()) < 60_000, 'measuredAt defaults to now');
  const renamed = await api.patch(gurl, { title: 'Approval time', current: 4 });
  t.match(renamed.body, { title: 'Approval time', version: 4, measuredAt: better.body.measuredAt }, 'the same current is not a new measurement');

  const trend = await api.get(`${gurl}/measurements`);
  t.equal(trend.status, 200);
  t.same(trend.body.data.map((m: { value: number; measuredAt: string }) => [m.value, m.measuredAt]), [
    [30, '2026-01-10T09:00:00.000Z'],
    [60, '2026-02-10T09:00:00.000Z'],
    [4, better.body.measuredAt],
  ]);
  const page1 = await api.get(`${gurl}/measurements?limit=2`);
  const page2 = await api.get(`${gurl}/measurements?limit=2&cursor=${page1.body.nextCursor}`);
  t.same(page2.body.data.map((m: { value: number }) => m.value), [4]);

  // Refusals, none of which writes a measurement.
  const before = await api.count('goal_measurements');
  const future = await api.patch(gurl, { current: 5, measuredAt: '2099-01-01T00:00:00Z' });
  t.equal(future.status, 400);
  t.match(future.body.errors, [{ path: 'body.measuredAt', message: /future/ }]);
  const backwards = await api.patch(gurl, { current: 5, measuredAt: '2026-01-01T00:00:00Z' });
  t.match(backwards.body.errors, [{ path: 'body.measuredAt', message: /previous/ }]);
  const alone = await api.patch(gurl, { measuredAt: '2026-03-01T00:00:00Z' });
  t.match(alone.body.errors, [{ path: 'body.measuredAt' }]);
  t.equal((await api.patch(gurl, { current: 'five' })).status, 400);
  t.equal((await api.patch(gurl, { current: 1e300 })).status, 400);
  t.equal((await api.post(url, { title: 'x', metric: 'm', baseline: 1 })).status, 400, 'target is required');
  t.equal((await api.post(url, { title: 'x', metric: 'm', baseline: 1, target: 2, progress: 0.5 })).status, 400, 'progress is derived');
  t.equal(await api.count('goal_measurements'), before);

  const cleared = await api.patch(gurl, { current: null });
  t.match(cleared.body, { current: null, progress: null });
  const last = await api.get(`${gurl}/measurements`);
  t.equal(last.body.data.at(-1).value, null, 'clearing the value is kept in the trend too');

  const list = await api.get(url);
  t.same(list.body.data.map((g: { id: string }) => g.id), [reduce.body.id, flat.body.id, unmeasured.body.id]);
  const audit = await api.get(`/v1/audit-events?entityType=goal&entityId=${reduce.body.id}`);
  t.match(audit.body.data[1], { action: 'update', changes: { current: { before: 30, after: 60 }, progress: { before: 0.5, after: 0 } } });

  const other = await initiative(api);
  t.equal((await api.get(`/v1/initiatives/${other}/goals/${reduce.body.id}`)).status, 404, 'a goal is found only under its initiative');
  t.equal((await api.get(`/v1/initiatives/${other}/goals/${reduce.body.id}/measurements`)).status, 404);
  const foreign = await api.newOrganization();
  t.equal((await foreign.get(gurl)).status, 404);
  t.equal((await foreign.patch(gurl, { current: 1 })).status, 404);

  t.equal((await api.del(gurl, { 'if-match': '"v1"' })).status, 412);
  t.equal((await api.del(gurl)).status, 204);
  t.equal((await api.get(gurl)).status, 404);
});
