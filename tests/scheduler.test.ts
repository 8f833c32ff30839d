import t from 'tap';
import { and, eq, sql } from 'drizzle-orm';
import { pino } from 'pino';
import { scheduledFirings } from '../db/schema/index.js';
import { issueOverdueRule } from '../src/issues/overdue-scan.js';
import { ManualClock } from '../src/platform/clock.js';
import { openDatabase } from '../src/platform/database.js';
import { createScheduler } from '../src/platform/scheduler.js';
import { claimFirings } from '../src/platform/scheduler-claims.js';
import type { DueFiring, FiringRule, PeriodicTask } from '../src/platform/scheduler-types.js';
import { buildTestApp } from './helpers.js';
import { eventsOf, person } from './outcomes-helpers.js';
import { dueIssues, firingCounts, overdueEventsPerIssue } from './scheduler-helpers.js';

const silent = pino({ enabled: false });
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

t.test('two schedulers on two connection pools fire each of 1,000 due subjects exactly once', async (t) => {
  const api = await buildTestApp(t);
  const ids = await dueIssues(api.database.db, api.organizationId, 1000, new Date(Date.now() - HOUR));
  const pools = [openDatabase(api.database.url, { max: 3 }), openDatabase(api.database.url, { max: 3 })];
  t.teardown(() => Promise.all(pools.map((p) => p.close())));
  const clock = new ManualClock(new Date());
  const schedulers = pools.map((p) => createScheduler({ db: p.db, log: silent, clock, rules: [issueOverdueRule], tasks: [], batchSize: 50 }));

  const reports = await Promise.all(schedulers.flatMap((s) => [s.tick(), s.tick(), s.tick()]));
  t.equal(reports.reduce((n, r) => n + r.fired, 0), 1000, 'the ticks fired 1,000 between them');
  t.ok(reports.every((r) => !r.rules.issueOverdue!.error), 'no tick failed');
  t.equal((await Promise.all(schedulers.map((s) => s.tick()))).reduce((n, r) => n + r.fired, 0), 0, 'a later tick finds nothing due');

  const perIssue = await overdueEventsPerIssue(api.database.db, api.organizationId);
  t.equal(perIssue.size, 1000, 'an event for every subject');
  t.ok(ids.every((id) => perIssue.get(id) === 1), 'exactly one event per subject');
  t.same(await firingCounts(api.database.db, api.organizationId), { firings: 1000, fired: 1000, withEvent: 1000, subjects: 1000 }, 'one firing per subject, each naming its event');
});

t.test('a claim is a transaction\'s alone: a concurrent claim of the same keys waits, then gets none (or all when the first rolls back)', async (t) => {
  const api = await buildTestApp(t);
  const moment = new Date(Date.now() - HOUR);
  const ids = await dueIssues(api.database.db, api.organizationId, 10, moment);
  const firingsAt = (at: Date): DueFiring[] => ids.map((id) => ({ organizationId: api.organizationId, rule: 'testClaim', subjectType: 'issue', subjectId: id, moment: at }));
  const pools = [openDatabase(api.database.url, { max: 1 }), openDatabase(api.database.url, { max: 1 })];
  t.teardown(() => Promise.all(pools.map((p) => p.close())));
  const now = new Date();

  for (const firstCommits of [false, true]) {
    const firings = firingsAt(firstCommits ? new Date(moment.getTime() - HOUR) : moment);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let claimedFirst = -1;
    const first = pools[0]!.db
      .transaction(async (tx) => {
        claimedFirst = (await claimFirings(tx, [...firings, firings[0]!], now)).length; // a repeated key is claimed once
        await held;
        if (!firstCommits) throw new Error('crash before commit');
      })
      .catch((err: Error) => err.message);
    while (claimedFirst < 0) await new Promise((r) => setTimeout(r, 5));
    t.equal(claimedFirst, 10, 'the first transaction claims every key once');
    let secondDone = false;
    const second = pools[1]!.db.transaction((tx) => claimFirings(tx, firings, now)).finally(() => (secondDone = true));
    await new Promise((r) => setTimeout(r, 200));
    t.notOk(secondDone, 'the second claim waits for the first transaction');
    release();
    await first;
    t.equal((await second).length, firstCommits ? 0 : 10, firstCommits ? 'after a commit the keys are taken' : 'after a rollback the keys are free again');
  }
  const rows = await api.database.db.select().from(scheduledFirings).where(and(eq(scheduledFirings.organizationId, api.organizationId), eq(scheduledFirings.rule, 'testClaim')));
  t.equal(rows.length, 20, 'the keys of each round are there once each');
  t.same([...new Set(rows.map((r) => r.lateBySeconds))].sort(), [3600, 7200], 'late_by_seconds is now − moment');
});

t.test('time moves with the clock: nothing before the moment, a firing after it, again at a moved due date; late ones carry lateBySeconds', async (t) => {
  const api = await buildTestApp(t);
  const owner = await person(api, 'Clocked Owner');
  const dueAt = new Date(Date.now() + 3 * HOUR);
  const issue = (await api.post('/v1/issues', { title: 'Clocked', ownerId: owner.id, dueAt: dueAt.toISOString() })).body;
  const seen: { subjectId: string; lateBySeconds: number; moment: Date }[] = [];
  const watching: FiringRule = {
    ...issueOverdueRule,
    fire: (tx, rec, firings, now) => (seen.push(...firings), issueOverdueRule.fire(tx, rec, firings, now)),
  };
  const clock = new ManualClock(new Date(dueAt.getTime() - MINUTE));
  const scheduler = createScheduler({ db: api.database.db, log: silent, clock, rules: [watching], tasks: [] });

  t.equal((await scheduler.tick()).fired, 0, 'a minute before the moment nothing fires');
  clock.set(new Date(dueAt.getTime() + 1000));
  t.equal((await scheduler.tick()).fired, 1, 'just after the moment it fires');
  t.equal((await scheduler.tick()).fired, 0, 'once');
  const [first] = await eventsOf(api, 'issue.overdue');
  t.match(first!.data, { issue: { id: issue.id, overdue: true, dueAt: dueAt.toISOString() }, owner: { id: owner.id, name: 'Clocked Owner' } });

  const movedTo = new Date(dueAt.getTime() + 2 * HOUR);
  t.equal((await api.patch(`/v1/issues/${issue.id}`, { dueAt: movedTo.toISOString() })).status, 200);
  clock.set(new Date(dueAt.getTime() + HOUR));
  t.equal((await scheduler.tick()).fired, 0, 'the moved due date has not come yet');
  clock.set(new Date(movedTo.getTime() + HOUR)); // an hour late, as after an outage
  t.equal((await scheduler.tick()).fired, 1, 'the moved due date fires');
  t.match(seen, [{ subjectId: issue.id, lateBySeconds: 1 }, { subjectId: issue.id, lateBySeconds: 3600, moment: movedTo }]);

  const rows = await api.database.db.select().from(scheduledFirings).where(eq(scheduledFirings.subjectId, issue.id)).orderBy(scheduledFirings.moment);
  t.match(rows, [
    { rule: 'issueOverdue', subjectType: 'issue', moment: dueAt, status: 'fired', lateBySeconds: 1, recipients: [{ personId: owner.id, name: 'Clocked Owner', email: owner.email, reason: 'owner' }] },
    { moment: movedTo, status: 'fired', lateBySeconds: 3600 },
  ]);
  const events = await eventsOf(api, 'issue.overdue');
  t.same(rows.map((r) => r.eventId), events.map((e) => e.id), 'each firing names its event');

  // Resolved, it fires nothing more, even at a new moment.
  await api.patch(`/v1/issues/${issue.id}`, { dueAt: new Date(movedTo.getTime() + HOUR).toISOString() });
  await api.patch(`/v1/issues/${issue.id}`, { status: 'resolved', resolution: 'Done.' });
  clock.advance(24 * HOUR);
  t.equal((await scheduler.tick()).fired, 0, 'a resolved issue is not due');
});

t.test('a rule that throws stops neither the others nor the tasks; a failing batch rolls back alone', async (t) => {
  const api = await buildTestApp(t);
  const ids = await dueIssues(api.database.db, api.organizationId, 5, new Date(Date.now() - HOUR));
  const clock = new ManualClock(new Date());
  const brokenDue: FiringRule = { ...issueOverdueRule, rule: 'brokenDue', due: async () => { throw new Error('due failed'); } };
  // Claims and records an event, then fails: the claim and the event roll back together.
  const brokenFire: FiringRule = {
    ...issueOverdueRule,
    rule: 'brokenFire',
    due: async (_tx, now) => [{ organizationId: api.organizationId, rule: 'brokenFire', subjectType: 'issue', subjectId: ids[0]!, moment: new Date(now.getTime() - MINUTE) }],
    fire: async (_tx, recorderFor) => {
      await recorderFor(api.organizationId).event('issue.overdue', { issue: { id: 'from-the-broken-rule' }, owner: null });
      throw new Error('fire failed');
    },
  };
  let fires = 0;
  const failsSecondBatch: FiringRule = {
    ...issueOverdueRule,
    fire: (tx, rec, firings, now) => {
      if (++fires === 2) throw new Error('second batch failed');
      return issueOverdueRule.fire(tx, rec, firings, now);
    },
  };
  let taskRuns = 0;
  const task: PeriodicTask = { name: 'counting', everyMs: HOUR, run: async () => ++taskRuns };
  const failing: PeriodicTask = { name: 'failing', everyMs: HOUR, run: async () => { throw new Error('task failed'); } };
  const logged: { msg: string; rule?: string }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void logged.push(JSON.parse(line)) });
  const scheduler = createScheduler({ db: api.database.db, log, clock, rules: [brokenDue, brokenFire, failsSecondBatch], tasks: [failing, task], batchSize: 2 });

  const first = await scheduler.tick();
  t.match(first.rules, {
    brokenDue: { fired: 0, error: 'due failed' },
    brokenFire: { fired: 0, error: 'fire failed' },
    issueOverdue: { fired: 2, batches: 1, error: 'second batch failed' },
  });
  t.same(first.tasks, { failing: { error: 'task failed' }, counting: { count: 1 } }, 'a failing task does not stop the next');
  t.ok(logged.some((l) => l.rule === 'brokenDue' && /failed/.test(l.msg)), 'the failure is logged with its rule');
  t.equal((await firingCounts(api.database.db, api.organizationId)).firings, 2, 'the first batch stayed committed, the second rolled back');
  t.equal((await firingCounts(api.database.db, api.organizationId, 'brokenFire')).firings, 0, 'the broken rule claimed nothing');
  t.equal((await overdueEventsPerIssue(api.database.db, api.organizationId)).get('from-the-broken-rule'), undefined, 'nor recorded its event');

  clock.advance(30 * MINUTE);
  const second = await scheduler.tick();
  t.equal(second.rules.issueOverdue!.fired, 3, 'the next tick fires what the failed batch left');
  t.same(second.tasks, {}, 'tasks wait for their interval');
  clock.advance(30 * MINUTE);
  t.same((await scheduler.tick()).tasks, { failing: { error: 'task failed' }, counting: { count: 2 } }, 'and run again after it');
  const perIssue = await overdueEventsPerIssue(api.database.db, api.organizationId);
  t.ok(ids.every((id) => perIssue.get(id) === 1), 'every issue once');
});

t.test('start() ticks on its interval and stop() waits for the tick in progress', async (t) => {
  const api = await buildTestApp(t);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let started = 0;
  let finished = 0;
  const slow: PeriodicTask = { name: 'slow', everyMs: 0, run: async () => (started++, await gate, ++finished) };
  const loop = createScheduler({ db: api.database.db, log: silent, clock: new ManualClock(new Date()), rules: [], tasks: [slow], tickMs: 100 }).start();
  while (started === 0) await new Promise((r) => setTimeout(r, 5));
  let stopped = false;
  const stopping = loop.stop().then(() => (stopped = true));
  await new Promise((r) => setTimeout(r, 100));
  t.notOk(stopped, 'stop() waits while the tick runs');
  release();
  await stopping;
  t.equal(finished, 1, 'the tick in progress finished');
  await new Promise((r) => setTimeout(r, 250));
  t.equal(started, 1, 'no tick after stop()');
});

t.test('the due query of the overdue rule costs what is due, not the table', async (t) => {
  const api = await buildTestApp(t);
  await dueIssues(api.database.db, api.organizationId, 300, new Date(Date.now() - HOUR));
  const scheduler = createScheduler({ db: api.database.db, log: silent, clock: new ManualClock(new Date()), rules: [issueOverdueRule], tasks: [] });
  t.equal((await scheduler.tick()).fired, 300);
  await api.database.db.execute(sql`analyze issues`);
  const plan = (await api.database.db.execute(sql`explain (format json)
    select id from issues where status in ('open', 'in_progress', 'blocked') and due_at is not null
      and overdue_notified_for is distinct from due_at and due_at < now() order by due_at limit 200`)) as unknown as { 'QUERY PLAN': unknown }[];
  t.match(JSON.stringify(plan), /issues_overdue_scan_idx/, 'the partial index of what is still to notify is scanned');
});
