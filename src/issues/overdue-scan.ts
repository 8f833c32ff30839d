import { and, asc, inArray, lt, sql } from 'drizzle-orm';
import { issues } from '../../db/schema/index.js';
import { recordInTransaction } from '../platform/changes.js';
import type { Db } from '../platform/database.js';
import type { BackgroundTask, WorkerContext } from '../worker.js';
import { personSummaries } from './meeting-context.js';
import { toApiIssue } from './queries.js';

const SCAN_INTERVAL_MS = 30_000;
const BATCH = 200;

/**
 * Emits `issue.overdue` for every unresolved issue past its due date that has not been notified
 * for that due date yet, and returns how many it emitted. Each batch claims its issues with
 * `FOR UPDATE SKIP LOCKED` and marks them (`overdue_notified_for = due_at`) in the transaction
 * that appends their events, so several workers scanning at once emit each event exactly once,
 * and a crash before commit leaves the issues to be claimed again. Moving `dueAt` re-arms it.
 */
export async function scanOverdueIssues(db: Db, now = new Date()): Promise<number> {
  let emitted = 0;
  for (;;) {
    const n = await recordInTransaction(db, async (tx, recorderFor) => {
      const due = await tx
        .select({ id: issues.id })
        .from(issues)
        .where(
          and(
            // Literal SQL matching the partial index issues_overdue_scan_idx (a parameter would hide
            // the implication from the planner under a generic plan).
            sql`${issues.status} in ('open', 'in_progress', 'blocked') and ${issues.dueAt} is not null`,
            sql`${issues.overdueNotifiedFor} is distinct from ${issues.dueAt}`,
            lt(issues.dueAt, now),
          ),
        )
        .orderBy(asc(issues.dueAt))
        .limit(BATCH)
        .for('update', { skipLocked: true });
      if (due.length === 0) return 0;
      const rows = await tx
        .update(issues)
        .set({ overdueNotifiedFor: sql`${issues.dueAt}` })
        .where(inArray(issues.id, due.map((d) => d.id)))
        .returning();
      const byOrg = new Map<string, typeof rows>();
      for (const r of rows) byOrg.set(r.organizationId, [...(byOrg.get(r.organizationId) ?? []), r]);
      for (const [org, list] of byOrg) {
        const owners = await personSummaries(tx, org, list.map((r) => r.ownerId));
        const rec = recorderFor({ organizationId: org, actorKeyId: null, requestId: null });
        for (const r of list) {
          await rec.event('issue.overdue', { issue: toApiIssue(r, now), owner: (r.ownerId && owners.get(r.ownerId)) || null });
        }
      }
      return rows.length;
    });
    emitted += n;
    if (n < BATCH) return emitted;
  }
}

/** The worker loop: scans every 30 s; stop() waits for a scan in progress to commit. */
export async function startOverdueScan(ctx: WorkerContext): Promise<BackgroundTask> {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<void> | null = null;
  const tick = () => {
    running = scanOverdueIssues(ctx.database.db)
      .then((n) => {
        if (n > 0) ctx.log.info({ emitted: n }, 'issue.overdue emitted');
      })
      .catch((err: unknown) => ctx.log.error({ err }, 'overdue scan failed'))
      .finally(() => {
        running = null;
        if (!stopped) timer = setTimeout(tick, SCAN_INTERVAL_MS);
      });
  };
  timer = setTimeout(tick, 1000);
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
