import type { FastifyBaseLogger } from 'fastify';
import { recordInTransaction, type ChangeRecorder } from './changes.js';
import type { Clock } from './clock.js';
import type { Db } from './database.js';
import { claimFirings, recordOutcomes, tryRuleLock } from './scheduler-claims.js';
import type { FiringRule, PeriodicTask } from './scheduler-types.js';
import type { BackgroundTask } from './tasks.js';

/** Firings one transaction claims and fires at most. */
export const FIRING_BATCH = 200;

export interface RuleReport {
  fired: number;
  skipped: number;
  /** Batches committed. */
  batches: number;
  /** Another worker held the rule's lock: it was left to them this tick. */
  busy: boolean;
  /** The rule failed: its failing batch rolled back (those before it stay committed). */
  error?: string;
}

export interface TickReport {
  /** The clock's reading the tick ran at. */
  now: Date;
  fired: number;
  skipped: number;
  rules: Record<string, RuleReport>;
  /** The periodic tasks that were due and ran: the count each returned, or why it failed. */
  tasks: Record<string, { count: number } | { error: string }>;
}

export interface SchedulerOptions {
  db: Db;
  log: FastifyBaseLogger;
  clock: Clock;
  rules: FiringRule[];
  tasks: PeriodicTask[];
  /** Interval of `start()`'s ticks (LIAISON_SCHEDULER_TICK_MS). */
  tickMs?: number;
  batchSize?: number;
}

export interface Scheduler {
  /** Runs the periodic tasks that are due and fires what is due of every rule; one tick at a time. */
  tick(): Promise<TickReport>;
  /** Ticks now, then `tickMs` after each tick ends; stop() waits for a tick in progress. */
  start(): BackgroundTask;
}

// The rules the composition registers, so that GET /v1/reminders knows them in an API process.
const registry = new Map<string, FiringRule>();

/** Registers rules by name (again is harmless; another rule of a name already taken is a fault). */
export function registerFiringRules(...rules: FiringRule[]) {
  for (const r of rules) {
    const known = registry.get(r.rule);
    if (known && known !== r) throw new Error(`registerFiringRules: two rules are named ${r.rule}`);
    registry.set(r.rule, r);
  }
}

export const registeredFiringRules = (): FiringRule[] => [...registry.values()];

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * The one clock-driven loop of the worker role. Each tick fires every rule's due moments, a
 * batch per transaction: the batch's keys are inserted into scheduled_firings (only what this
 * transaction inserted is its to fire), the rule records its events, the rows get their
 * outcomes, and all of it commits together with the events' deliveries, or rolls back together.
 * A crash therefore loses nothing (the moment is still due) and fires nothing twice (the key is
 * there). A rule that fails is logged; its failing batch rolls back and the others go on.
 * Then the periodic tasks whose interval has passed (by the same clock) run.
 */
export function createScheduler(opts: SchedulerOptions): Scheduler {
  const { db, log, clock } = opts;
  const batchSize = opts.batchSize ?? FIRING_BATCH;
  const names = opts.rules.map((r) => r.rule);
  if (new Set(names).size !== names.length) throw new Error(`createScheduler: rule names repeat: ${names.join(', ')}`);
  const lastRun = new Map<string, number>();

  async function fireRule(rule: FiringRule, now: Date): Promise<RuleReport> {
    const report: RuleReport = { fired: 0, skipped: 0, batches: 0, busy: false };
    try {
      for (;;) {
        const batch = await recordInTransaction(db, async (tx, recorderOf) => {
          // Sent together with the due query: one round trip when nothing is due.
          const locked = tryRuleLock(tx, rule.rule);
          locked.catch(() => {});
          const due = await rule.due(tx, now, batchSize);
          if (!(await locked)) return null;
          const claimed = await claimFirings(tx, due, now);
          if (claimed.length === 0) return { due: due.length, fired: 0, skipped: 0 };
          const recorders = new Map<string, ChangeRecorder>();
          const recorderFor = (organizationId: string) => {
            let rec = recorders.get(organizationId);
            if (!rec) recorders.set(organizationId, (rec = recorderOf({ organizationId, actorKeyId: null, actorPersonId: null, requestId: null })));
            return rec;
          };
          const outcomes = await rule.fire(tx, recorderFor, claimed, now);
          if (outcomes.length !== claimed.length) throw new Error(`rule ${rule.rule} answered ${outcomes.length} outcomes for ${claimed.length} firings`);
          await recordOutcomes(tx, claimed, outcomes);
          const fired = outcomes.filter((o) => o.status === 'fired').length;
          return { due: due.length, fired, skipped: outcomes.length - fired };
        });
        if (!batch) {
          report.busy = true;
          break;
        }
        if (batch.fired + batch.skipped > 0) report.batches++;
        report.fired += batch.fired;
        report.skipped += batch.skipped;
        // A short batch was the last; a batch with nothing claimed would find the same again.
        if (batch.due < batchSize || batch.fired + batch.skipped === 0) break;
      }
    } catch (err) {
      report.error = message(err);
      log.error({ err, rule: rule.rule }, 'scheduled rule failed; its batch rolled back');
    }
    if (report.fired + report.skipped > 0) log.info({ rule: rule.rule, fired: report.fired, skipped: report.skipped }, 'scheduled firings recorded');
    return report;
  }

  async function runTasks(now: Date, report: TickReport) {
    for (const task of opts.tasks) {
      const last = lastRun.get(task.name);
      if (last !== undefined && now.getTime() - last < task.everyMs) continue;
      lastRun.set(task.name, now.getTime());
      try {
        const count = await task.run({ db, log, now });
        report.tasks[task.name] = { count };
        if (count > 0) log.info({ task: task.name, count }, 'periodic task done');
      } catch (err) {
        report.tasks[task.name] = { error: message(err) };
        log.error({ err, task: task.name }, 'periodic task failed');
      }
    }
  }

  async function runTick(): Promise<TickReport> {
    const now = clock.now();
    const report: TickReport = { now, fired: 0, skipped: 0, rules: {}, tasks: {} };
    // Rules first: their moments are what must be on time; maintenance can wait a little.
    for (const rule of opts.rules) {
      const r = await fireRule(rule, now);
      report.rules[rule.rule] = r;
      report.fired += r.fired;
      report.skipped += r.skipped;
    }
    await runTasks(now, report);
    return report;
  }

  let tail: Promise<unknown> = Promise.resolve();
  const tick = (): Promise<TickReport> => {
    const run = tail.then(runTick, runTick);
    tail = run.catch(() => {});
    return run;
  };

  return {
    tick,
    start() {
      const tickMs = opts.tickMs ?? 15_000;
      let stopped = false;
      let timer: NodeJS.Timeout | null = null;
      let running: Promise<unknown> | null = null;
      const loop = () => {
        timer = null;
        running = tick()
          .catch((err: unknown) => log.error({ err }, 'scheduler tick failed'))
          .finally(() => {
            running = null;
            if (!stopped) timer = setTimeout(loop, tickMs);
          });
      };
      timer = setTimeout(loop, 0);
      return {
        async stop() {
          stopped = true;
          if (timer) clearTimeout(timer);
          await running;
        },
      };
    },
  };
}
