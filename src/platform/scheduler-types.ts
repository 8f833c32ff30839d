import type { FastifyBaseLogger } from 'fastify';
import type { ChangeRecorder } from './changes.js';
import type { Db, Tx } from './database.js';

/** What a scheduled piece of work is given each time it runs. */
export interface ScheduleContext {
  db: Db;
  log: FastifyBaseLogger;
  /** The scheduler clock's reading for this tick: the only "now" a task or rule may use. */
  now: Date;
}

/**
 * Maintenance that runs every `everyMs` in the worker role (the series horizon, event retention
 * and partitions): it must be safe when several workers run it at once (SKIP LOCKED or
 * idempotent). Returns a count for the log (0 when there was nothing to do).
 */
export interface PeriodicTask {
  name: string;
  everyMs: number;
  run(ctx: ScheduleContext): Promise<number>;
}

/** One moment a rule fires for one subject: the key that makes it fire at most once. */
export interface DueFiring {
  organizationId: string;
  /** The rule's name: its policy field (`rsvpReminderHours`, …, or `issueOverdue`). */
  rule: string;
  subjectType: 'meeting' | 'issue' | 'initiative';
  subjectId: string;
  /** The moment the firing is for (`dueAt` in the event). */
  moment: Date;
}

/** What firing one due moment recorded, or why it was skipped instead. */
export type FiringOutcome =
  | { status: 'fired'; eventId: string; eventOccurredAt: Date; recipients: unknown[] }
  | { status: 'skipped'; reason: string };

/**
 * A time-driven rule a domain registers with the scheduler: it names the subjects that are due
 * and what firing one records. The scheduler keeps (organization, rule, subject, moment) unique
 * in `scheduled_firings`, inserted in the transaction that records the rule's event, so several
 * workers and crashes never fire a moment twice or lose it.
 */
export interface FiringRule {
  rule: string;
  subjectType: DueFiring['subjectType'];
  /**
   * Up to `limit` firings whose moment is at or before `now`, not yet in scheduled_firings, whose
   * subject is still live (not cancelled, completed or resolved). It must cost what is due (a
   * range scan on an index over the moment column), not the size of the tables.
   */
  due(tx: Tx, now: Date, limit: number): Promise<DueFiring[]>;
  /**
   * Records the rule's events for the firings this transaction claimed (already inserted in
   * scheduled_firings by the scheduler), one outcome per firing in the same order. `lateBySeconds`
   * is how long after its moment each fires; a rule skips what no longer makes sense late.
   */
  fire(tx: Tx, recorderFor: (organizationId: string) => ChangeRecorder, firings: (DueFiring & { lateBySeconds: number })[], now: Date): Promise<FiringOutcome[]>;
  /**
   * GET /v1/reminders: the moments this rule has for one organisation's subjects in [from, to),
   * computed from the current state (a moved meeting's moments move), with the recipients they
   * would go to now. A subject that was cancelled, completed or resolved yields its remaining
   * moments with `skipReason`. Bounded queries: no query per subject.
   */
  planned(db: Db, organizationId: string, window: { from: Date; to: Date }, filter: ReminderFilter): Promise<PlannedFiring[]>;
}

/**
 * The filters of GET /v1/reminders a rule can narrow its subjects by; the recorded firings are
 * narrowed the same way (src/follow-through/reminders-schedule.ts), and moments of other subjects
 * that `planned` returns are dropped for `meetingId` and `issueId`.
 */
export interface ReminderFilter {
  /** Only that meeting's own moments (subject type `meeting`). */
  meetingId?: string;
  /** Only that issue's own moments (subject type `issue`). */
  issueId?: string;
  /** The initiative's own moments and those of its meetings and issues (`initiative_id`). */
  initiativeId?: string;
}

export interface PlannedFiring extends DueFiring {
  recipients: unknown[];
  /** Set when the moment will not fire (its subject was cancelled, completed or resolved). */
  skipReason?: string;
}
