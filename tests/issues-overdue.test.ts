import t from 'tap';
import { eq } from 'drizzle-orm';
import { issues } from '../db/schema/index.js';
import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';
import { issueOverdueRule } from '../src/issues/overdue-scan.js';
import { systemClock } from '../src/platform/clock.js';
import type { Db } from '../src/platform/database.js';
import { createScheduler } from '../src/platform/scheduler.js';
import { buildTestApp } from './helpers.js';
import { eventsOf, person } from './outcomes-helpers.js';

const past = (hours: number) => new Date(Date.now() - hours * 3600_000).toISOString();

/** One worker's scan: a scheduler tick with the overdue rule; how many it fired. */
const scanOverdueIssues = async (db: Db) =>
  (await createScheduler({ db, log: pino({ enabled: false }), clock: systemClock, rules: [issueOverdueRule], tasks: [] }).tick()).rules.issueOverdue!.fired;

t.test('the overdue scan emits issue.overdue once per due date, even with several workers', async (t) => {
  const api = await buildTestApp(t);
  const owner = await person(api, 'Late Owner');
  const late = await api.post('/v1/issues', { title: 'Late one', ownerId: owner.id, dueAt: past(2) });
  const lateToo = await api.post('/v1/issues', { title: 'Late two', dueAt: past(1) });
  const future = await api.post('/v1/issues', { title: 'Not yet', dueAt: '2099-01-01T00:00:00Z' });
  const undated = await api.post('/v1/issues', { title: 'No date' });
  const done = await api.post('/v1/issues', { title: 'Done', dueAt: past(3) });
  await api.patch(`/v1/issues/${done.body.id}`, { status: 'resolved', resolution: 'Done in time.' });
  for (const r of [late, lateToo, future, undated]) t.equal(r.status, 201);
  const other = await api.newOrganization();
  const theirs = await other.post('/v1/issues', { title: 'Their late one', dueAt: past(1) });

  t.match((await api.get('/v1/issues?overdue=true')).body.data.map((i: { id: string }) => i.id).sort(), [late.body.id, lateToo.body.id].sort());
  t.equal((await api.get('/v1/issues?overdue=false')).body.data.length, 3);

  // Four workers scanning at once: each issue is claimed by exactly one of them.
  const counts = await Promise.all([1, 2, 3, 4].map(() => scanOverdueIssues(api.database.db)));
  t.equal(counts.reduce((a, b) => a + b, 0), 3, 'three overdue issues across both organisations');
  t.equal(await scanOverdueIssues(api.database.db), 0, 'a second scan emits nothing');

  const overdue = await eventsOf(api, 'issue.overdue');
  t.equal(overdue.length, 2);
  const first = overdue.find((e) => e.data.issue.id === late.body.id)!;
  t.match(first.data, { issue: { id: late.body.id, overdue: true, status: 'open', version: 1, dueAt: late.body.dueAt }, owner: { id: owner.id, name: 'Late Owner', email: owner.email } });
  t.match(overdue.find((e) => e.data.issue.id === lateToo.body.id)!.data, { owner: null });
  t.equal((await eventsOf(other, 'issue.overdue')).length, 1, 'each organisation sees its own');
  t.equal((await eventsOf(other, 'issue.overdue'))[0]!.data.issue.id, theirs.body.id);

  // Moving the due date re-arms it; changing anything else does not.
  await api.patch(`/v1/issues/${late.body.id}`, { title: 'Late one (renamed)' });
  t.equal(await scanOverdueIssues(api.database.db), 0);
  await api.patch(`/v1/issues/${late.body.id}`, { dueAt: past(1) });
  t.equal(await scanOverdueIssues(api.database.db), 1);
  t.equal(await scanOverdueIssues(api.database.db), 0);
  const again = await eventsOf(api, 'issue.overdue');
  t.equal(again.length, 3);
  t.match(again[2]!.data.issue, { id: late.body.id, title: 'Late one (renamed)', version: 3 });
  const [row] = await api.database.db.select().from(issues).where(eq(issues.id, late.body.id));
  t.same(row!.overdueNotifiedFor, row!.dueAt);
});

t.test('the worker loop scans soon after start and stops cleanly', async (t) => {
  const api = await buildTestApp(t);
  await api.post('/v1/issues', { title: 'Overdue for the loop', dueAt: past(1) });
  const logged: unknown[] = [];
  const log = { info: (o: unknown) => logged.push(o), error: (o: unknown) => logged.push(o) };
  const task = createScheduler({ db: api.database.db, log: log as unknown as FastifyBaseLogger, clock: systemClock, rules: [issueOverdueRule], tasks: [], tickMs: 60_000 }).start();
  await new Promise((r) => setTimeout(r, 1600));
  await task.stop();
  t.equal((await eventsOf(api, 'issue.overdue')).length, 1);
  t.match(logged, [{ rule: 'issueOverdue', fired: 1 }]);
});
