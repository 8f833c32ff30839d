import t from 'tap';
import { spawnWorker, sleep } from './fixtures/webhook-workers.js';
import { buildTestApp } from './helpers.js';
import { dueIssues, firingCounts, overdueEventsPerIssue } from './scheduler-helpers.js';

const SUBJECTS = 3000;

t.test('kill -9 of a worker mid-tick loses no firing and duplicates none', async (t) => {
  const api = await buildTestApp(t);
  const ids = await dueIssues(api.database.db, api.organizationId, SUBJECTS, new Date(Date.now() - 3_600_000));
  const counts = () => firingCounts(api.database.db, api.organizationId);

  // A worker process on the real clock, killed once some of its batches have committed.
  const first = spawnWorker(t, api, { LIAISON_SCHEDULER_TICK_MS: '200' });
  const started = Date.now();
  let atKill = await counts();
  while (atKill.firings === 0) {
    if (Date.now() - started > 60_000) throw new Error(`the worker fired nothing in 60 s:\n${first.output()}`);
    await sleep(5);
    atKill = await counts();
  }
  t.comment(`first firings after ${Date.now() - started} ms`);
  first.child.kill('SIGKILL');
  await first.exited;
  const afterKill = await counts();
  t.ok(afterKill.firings < SUBJECTS, `killed mid-tick: ${afterKill.firings} of ${SUBJECTS} fired`);
  t.equal(afterKill.withEvent, afterKill.firings, 'every committed firing has its event: nothing half-recorded');
  t.equal([...(await overdueEventsPerIssue(api.database.db, api.organizationId)).values()].reduce((a, b) => a + b, 0), afterKill.firings, 'and no event without its firing');

  // Another worker takes over and fires the rest.
  const second = spawnWorker(t, api, { LIAISON_SCHEDULER_TICK_MS: '200' });
  const resumed = Date.now();
  while ((await counts()).firings < SUBJECTS) {
    if (Date.now() - resumed > 120_000) throw new Error(`the second worker did not finish:\n${second.output()}`);
    await sleep(100);
  }
  t.comment(`the second worker finished after ${Date.now() - resumed} ms`);
  await sleep(500); // a further tick of its own would show a duplicate
  second.child.kill('SIGTERM');
  t.equal(await second.exited, 0, 'the second worker drains and exits cleanly');

  t.same(await counts(), { firings: SUBJECTS, fired: SUBJECTS, withEvent: SUBJECTS, subjects: SUBJECTS });
  const perIssue = await overdueEventsPerIssue(api.database.db, api.organizationId);
  t.equal(perIssue.size, SUBJECTS, 'every subject fired');
  t.ok(ids.every((id) => perIssue.get(id) === 1), 'each exactly once');
});
