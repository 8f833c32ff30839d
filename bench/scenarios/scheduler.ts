import postgres from 'postgres';
import { drizzle } from 'drizzle-orm/postgres-js';
import { pino } from 'pino';
import type { BenchContext, Row, Scenario } from '../context.js';
import * as schema from '../../db/schema/index.js';
import { followThroughRules } from '../../src/follow-through/rules.js';
import { issueOverdueRule } from '../../src/issues/overdue-scan.js';
import { ManualClock } from '../../src/platform/clock.js';
import type { Db } from '../../src/platform/database.js';
import { createScheduler, type TickReport } from '../../src/platform/scheduler.js';
import type { FiringRule } from '../../src/platform/scheduler-types.js';

// Scheduler: with SCHEDULER_ROWS (default 100,000) meetings and as many issues in the
// organisation, spread over 60 days either side of the scheduler's clock, the cost of a tick with
// nothing due (target: under 10 ms of database time) and of one with 1,000 due firings (target:
// under 2 s), with every rule the worker composes. The clock stands 400 days ahead of the real
// one, so the API process's own scheduler (real clock) finds none of this due.

const ROWS = Number(process.env.SCHEDULER_ROWS ?? 100_000);
const PEOPLE = 200;
const DUE = 1000;
const IDLE_TICKS = 30;
const DAY = 86_400_000;
const SPAN_S = 120 * 86_400;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const p99 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.99))]!;

/**
 * Time spent in queries as the client sees it (sent to answered: execution, planning and the
 * round trip), and as the server reports executing them (auto_explain's duration of each
 * statement, without planning), in total and by the rule whose due query or batch was running.
 */
interface QueryTime { ms: number; queries: number; serverMs: number; byRule: Map<string, number>; rule: string }
const resetTime = (t: QueryTime) => Object.assign(t, { ms: 0, queries: 0, serverMs: 0, byRule: new Map(), rule: '(scheduler)' });

/** What the server reports about each statement of the session: its execution time, credited to the rule running. */
function onNotice(spent: QueryTime) {
  return (n: postgres.Notice) => {
    const m = /^duration: ([\d.]+) ms/.exec(String(n.message));
    if (!m) return;
    spent.serverMs += Number(m[1]);
    spent.byRule.set(spent.rule, (spent.byRule.get(spent.rule) ?? 0) + Number(m[1]));
  };
}

/**
 * The client the scheduler's drizzle view uses, prepared as in production (platform/database.ts),
 * timing each query from the moment drizzle hands it over to its answer. postgres.js runs a query
 * one tick after its first `then`, so observing it here does not change how drizzle sends it.
 */
function timedClient(client: postgres.Sql, spent: QueryTime): postgres.Sql {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'unsafe') {
        return (query: string, params?: unknown[], options?: object) => {
          const q = target.unsafe(query, params as never, { ...options, prepare: true });
          const t0 = performance.now();
          const done = () => ((spent.ms += performance.now() - t0), spent.queries++);
          q.then(done, done);
          return q;
        };
      }
      if (prop === 'begin' || prop === 'savepoint') {
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.Sql) => unknown;
          return (target as unknown as Record<string, (...a: unknown[]) => unknown>)[prop]!(...args, (tx: postgres.Sql) => fn(timedClient(tx, spent)));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** People, then ROWS meetings (past ones completed or cancelled, coming ones scheduled, two participants each) and ROWS issues. */
async function load(sql: postgres.Sql, org: string, t0: Date) {
  const at = `'${t0.toISOString()}'::timestamptz`;
  await sql.unsafe(`
    insert into people (organization_id, name, email, time_zone)
    select '${org}', 'Bench person ' || g, 'bench.scheduler.' || g || '@example.com', 'Europe/Berlin' from generate_series(1, ${PEOPLE}) g`);
  const people = (await sql.unsafe(`select array_agg(id) as ids from people where organization_id = '${org}'`))[0]!.ids as string[];
  const pick = (expr: string) => `('{${people.join(',')}}'::uuid[])[1 + (${expr}) % ${PEOPLE}]`;
  await sql.begin(async (tx) => {
    await tx`set local synchronous_commit = off`;
    await tx.unsafe(`
      with m as (
        select g, ${at} + ((g - ${ROWS / 2}) * ${SPAN_S / ROWS}) * interval '1 second' as starts from generate_series(1, ${ROWS}) g)
      insert into meetings (organization_id, title, starts_at, ends_at, time_zone, organizer_id, status, materials_due_at, invitations_sent_at, started_at, ended_at, cancelled_at)
      select '${org}', 'Bench meeting ' || g, starts, starts + interval '1 hour', 'Europe/Berlin', ${pick('g')},
        case when starts >= ${at} then 'scheduled' when g % 20 = 0 then 'cancelled' else 'completed' end,
        starts - interval '1 day', starts - interval '7 days',
        case when starts < ${at} and g % 20 <> 0 then starts end, case when starts < ${at} and g % 20 <> 0 then starts + interval '1 hour' end,
        case when starts < ${at} and g % 20 = 0 then starts - interval '2 days' end
      from m`);
    await tx.unsafe(`
      insert into meeting_participants (organization_id, meeting_id, person_id, role, response)
      select m.organization_id, m.id, ${pick('abs(hashtext(m.id::text)) + k')}, case when k = 0 then 'chair' else 'required' end, case when k = 0 then 'accepted' else 'needs_action' end
      from meetings m, generate_series(0, 1) k where m.organization_id = '${org}'
      on conflict do nothing`);
    // Past due: most resolved; the open rest is what the catch-up tick notifies.
    await tx.unsafe(`
      with i as (
        select g, ${at} + ((g - ${ROWS / 2}) * ${SPAN_S / ROWS}) * interval '1 second' as due from generate_series(1, ${ROWS}) g)
      insert into issues (organization_id, title, owner_id, due_at, status, resolution, resolved_at)
      select '${org}', 'Bench issue ' || g, ${pick('g')}, due,
        case when due < ${at} and g % 10 <> 0 then 'resolved' else 'open' end,
        case when due < ${at} and g % 10 <> 0 then 'Done.' end, case when due < ${at} and g % 10 <> 0 then due end
      from i`);
  });
  for (const table of ['people', 'meetings', 'meeting_participants', 'issues']) await sql.unsafe(`vacuum analyze ${table}`);
}

export const scheduler: Scenario = async (ctx: BenchContext) => {
  const spent = resetTime({} as QueryTime);
  // One connection (a batch uses one anyway), so that auto_explain, loaded in its session, sees every statement.
  const client = postgres(ctx.databaseUrl, { max: 1, onnotice: onNotice(spent) });
  await client.unsafe(`load 'auto_explain'`);
  await client.unsafe(`set auto_explain.log_level = notice; set auto_explain.log_format = json`);
  // Rendering the plans costs the client time: on only for the ticks that measure the server.
  const explaining = (on: boolean) => client.unsafe(`set auto_explain.log_min_duration = ${on ? 0 : -1}`);
  const db = drizzle(timedClient(client, spent), { schema, casing: 'snake_case' }) as unknown as Db;
  // Each rule's due query marks whose statements follow (the lock is sent just before it).
  const rules = [issueOverdueRule, ...followThroughRules].map((r): FiringRule => ({ ...r, due: (tx, now, limit) => ((spent.rule = r.rule), r.due(tx, now, limit)) }));
  const t0 = new Date(Math.ceil((Date.now() + 400 * DAY) / 60_000) * 60_000);
  const clock = new ManualClock(t0);
  const s = createScheduler({ db, log: pino({ level: 'warn' }), clock, rules, tasks: [] });
  const tick = async () => {
    resetTime(spent);
    const start = performance.now();
    const report = await s.tick();
    return { report, wall: performance.now() - start, db: spent.ms, queries: spent.queries, server: spent.serverMs, byRule: new Map(spent.byRule) };
  };
  const failures = (r: TickReport) => Object.entries(r.rules).filter(([, x]) => x.error).map(([n, x]) => `${n}: ${x.error}`);
  try {
    const started = performance.now();
    await load(ctx.sql, ctx.organizationId, t0);
    const loadSeconds = (performance.now() - started) / 1000;
    process.stdout.write(`scheduler: loaded ${ROWS} meetings and ${ROWS} issues in ${loadSeconds.toFixed(0)} s; rules: ${rules.map((r) => r.rule).join(', ')}\n`);

    // Catch up with what the loaded history makes due (e.g. the open past-due issues), tick by tick.
    let caughtUp = 0;
    const catchStart = performance.now();
    for (let i = 0; i < 100; i++) {
      const { report } = await tick();
      if (failures(report).length) throw new Error(`scheduler bench: a rule failed: ${failures(report).join('; ')}`);
      caughtUp += report.fired + report.skipped;
      if (report.fired + report.skipped === 0) break;
    }
    const catchUpSeconds = (performance.now() - catchStart) / 1000;

    const idle: Awaited<ReturnType<typeof tick>>[] = [];
    // At the caught-up moment (moments lie a minute or two apart: a later one could come due).
    const explained: Awaited<ReturnType<typeof tick>>[] = [];
    for (const [on, into] of [[false, idle], [true, explained]] as const) {
      await explaining(on);
      for (let i = 0; i < IDLE_TICKS; i++) {
        const r = await tick();
        if (r.report.fired + r.report.skipped > 0) throw new Error(`scheduler bench: an idle tick fired ${r.report.fired + r.report.skipped}`);
        into.push(r);
      }
    }
    await explaining(false);

    // 1,000 open issues with owners, due within the second before the next tick.
    clock.advance(60_000);
    const dueAt = clock.now().getTime() - 1000;
    await ctx.sql.unsafe(`
      insert into issues (organization_id, title, owner_id, due_at)
      select '${ctx.organizationId}', 'Due now ' || g, (select id from people where organization_id = '${ctx.organizationId}' order by id limit 1 offset g % ${PEOPLE}),
        to_timestamp((${dueAt} + g / 2.0) / 1000.0)
      from generate_series(1, ${DUE}) g`);
    await ctx.sql`analyze issues`;
    const busy = await tick();
    if (failures(busy.report).length) throw new Error(`scheduler bench: a rule failed: ${failures(busy.report).join('; ')}`);
    const fired = busy.report.fired;
    const perRule = Object.entries(busy.report.rules).filter(([, r]) => r.fired + r.skipped > 0).map(([n, r]) => `${n} ${r.fired}`).join(', ');

    const walls = idle.map((r) => r.wall);
    const dbs = idle.map((r) => r.db);
    const servers = explained.map((r) => r.server);
    const perRuleIdle = rules.map((r) => `${r.rule} ${median(explained.map((i) => i.byRule.get(r.rule) ?? 0)).toFixed(2)}`).join(', ');
    process.stdout.write(`scheduler: idle tick, server execution time per rule (ms, median): ${perRuleIdle}\n`);
    const line = (name: string, ms: number[], target: string, note: string): Row => ({
      name, requestsPerSec: 1000 / median(ms), p50: +median(ms).toFixed(2), p99: +p99(ms).toFixed(2), errors: 0, non2xx: 0, target, note,
    });
    return [
      line('scheduler idle tick: server execution (ms)', servers, 'under 10 ms', `auto_explain durations, planning excluded; ${rules.length} rules`),
      line('scheduler idle tick: query time (ms)', dbs, 'under 10 ms', `client-side, sent to answered, round trips included; ${idle[0]!.queries} queries a tick`),
      line('scheduler idle tick: wall time (ms)', walls, 'under 10 ms of database time', `catch-up after the load: ${caughtUp} firings in ${catchUpSeconds.toFixed(1)} s`),
      line(`scheduler tick with ${DUE} due (ms)`, [busy.wall], 'under 2 s', `fired ${fired} (${perRule}); query time ${busy.db.toFixed(0)} ms in ${busy.queries} queries`),
    ];
  } finally {
    await client.end();
  }
};
