import { and, asc, eq, gte, inArray, lt, sql } from 'drizzle-orm';
import { issues, organizations, people } from '../../db/schema/index.js';
import { pino } from 'pino';
import type { Db, DbOrTx } from '../platform/database.js';
import { createScheduler } from '../platform/scheduler.js';
import type { FiringOutcome, FiringRule, PlannedFiring } from '../platform/scheduler-types.js';
import type { PersonSummary } from './meeting-context.js';
import { toApiIssue, unresolvedStatuses, type IssueRow } from './queries.js';

const RULE = 'issueOverdue';

type Owner = PersonSummary & { organizationId: string; timeZone: string | null };

/** Each owner's summary (as issue events embed it) and time zone (theirs, else the organisation's), in one query. */
async function ownersOf(db: DbOrTx, rows: Pick<IssueRow, 'organizationId' | 'ownerId'>[]): Promise<(r: Pick<IssueRow, 'organizationId' | 'ownerId'>) => Owner | null> {
  const ids = [...new Set(rows.map((r) => r.ownerId).filter((id): id is string => !!id))];
  const found =
    ids.length === 0
      ? []
      : await db
          .select({
            organizationId: people.organizationId, id: people.id, name: people.name, email: people.email, departmentId: people.departmentId,
            timeZone: sql<string | null>`coalesce(${people.timeZone}, ${organizations.defaultTimeZone})`,
          })
          .from(people)
          .innerJoin(organizations, eq(organizations.id, people.organizationId))
          .where(inArray(people.id, ids));
  const byId = new Map(found.map((p) => [p.id, p]));
  return (r) => {
    const p = r.ownerId ? byId.get(r.ownerId) : undefined;
    return p && p.organizationId === r.organizationId ? p : null;
  };
}

const recipientsOf = (owner: Owner | null) =>
  owner ? [{ personId: owner.id, name: owner.name, email: owner.email, timeZone: owner.timeZone, reason: 'owner' }] : [];

const summary = (o: Owner): PersonSummary => ({ id: o.id, name: o.name, email: o.email, departmentId: o.departmentId });

/**
 * `issue.overdue` once per due date of an unresolved issue, when the due date has passed: its
 * subject is the issue, its moment `dueAt`, so moving `dueAt` re-arms it. Fired late it still
 * makes sense (the issue is still overdue). `overdue_notified_for` keeps the issues already
 * notified for their due date out of the partial index the due query scans, so that the scan
 * costs what is due; scheduled_firings is what makes each moment fire once.
 */
export const issueOverdueRule: FiringRule = {
  rule: RULE,
  subjectType: 'issue',

  async due(tx, now, limit) {
    const rows = await tx
      .select({ organizationId: issues.organizationId, id: issues.id, dueAt: issues.dueAt })
      .from(issues)
      .where(
        and(
          // Literal SQL matching the partial index issues_overdue_scan_idx (a parameter would hide
          // the implication from the planner under a generic plan).
          sql`${issues.status} in ('open', 'in_progress', 'blocked') and ${issues.dueAt} is not null`,
          sql`${issues.overdueNotifiedFor} is distinct from ${issues.dueAt}`,
          lt(issues.dueAt, now),
          // A due date moved back to a moment that already fired does not fire it again.
          sql`not exists (select 1 from scheduled_firings f where f.organization_id = ${issues.organizationId} and f.rule = ${RULE} and f.subject_id = ${issues.id} and f.moment = ${issues.dueAt})`,
        ),
      )
      .orderBy(asc(issues.dueAt))
      .limit(limit);
    return rows.map((r) => ({ organizationId: r.organizationId, rule: RULE, subjectType: 'issue' as const, subjectId: r.id, moment: r.dueAt! }));
  },

  async fire(tx, recorderFor, firings, now) {
    // Locked, so that a change committing meanwhile waits for this firing or is seen by it.
    const current = await tx
      .select()
      .from(issues)
      .where(inArray(issues.id, firings.map((f) => f.subjectId)))
      .for('update');
    const byId = new Map(current.map((r) => [r.id, r]));
    const live = firings.map((f) => {
      const r = byId.get(f.subjectId);
      if (!r || r.organizationId !== f.organizationId || !unresolvedStatuses.includes(r.status as never)) return { r: null, reason: 'issue_resolved' };
      if (r.dueAt?.getTime() !== f.moment.getTime()) return { r: null, reason: 'due_date_moved' };
      return { r, reason: null };
    });
    const toFire = live.flatMap((l) => (l.r ? [l.r] : []));
    if (toFire.length > 0) {
      await tx.update(issues).set({ overdueNotifiedFor: sql`${issues.dueAt}` }).where(inArray(issues.id, toFire.map((r) => r.id)));
    }
    const ownerOf = await ownersOf(tx, toFire);
    const outcomes: FiringOutcome[] = [];
    for (const { r, reason } of live) {
      if (!r) {
        outcomes.push({ status: 'skipped', reason: reason! });
        continue;
      }
      const owner = ownerOf(r);
      const event = await recorderFor(r.organizationId).event('issue.overdue', { issue: toApiIssue(r, now), owner: owner && summary(owner) });
      outcomes.push({ status: 'fired', eventId: event.id, eventOccurredAt: event.occurredAt, recipients: recipientsOf(owner) });
    }
    return outcomes;
  },

  // The issue's own moment only: a meeting filter leaves nothing. Resolved and closed issues
  // show their due date as skipped.
  async planned(db, organizationId, window, filter) {
    if (filter.meetingId) return [];
    const rows = await db
      .select()
      .from(issues)
      .where(
        and(
          eq(issues.organizationId, organizationId),
          gte(issues.dueAt, window.from),
          lt(issues.dueAt, window.to),
          filter.issueId ? eq(issues.id, filter.issueId) : undefined,
          filter.initiativeId ? eq(issues.initiativeId, filter.initiativeId) : undefined,
        ),
      );
    const ownerOf = await ownersOf(db, rows);
    return rows.map((r): PlannedFiring => ({
      organizationId,
      rule: RULE,
      subjectType: 'issue',
      subjectId: r.id,
      moment: r.dueAt!,
      recipients: recipientsOf(ownerOf(r)),
      ...(unresolvedStatuses.includes(r.status as never) ? {} : { skipReason: 'issue_resolved' }),
    }));
  },
};

/**
 * One pass of the rule at `now` outside the worker's loop (scripts, tests): how many issues it
 * notified. The worker runs the rule on its scheduler.
 */
export async function scanOverdueIssues(db: Db, now = new Date()): Promise<number> {
  const scheduler = createScheduler({ db, log: pino({ enabled: false }), clock: { now: () => now }, rules: [issueOverdueRule], tasks: [] });
  const report = (await scheduler.tick()).rules[RULE]!;
  if (report.error) throw new Error(report.error);
  return report.fired;
}
