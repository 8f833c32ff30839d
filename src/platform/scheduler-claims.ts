import { sql } from 'drizzle-orm';
import type { Tx } from './database.js';
import type { DueFiring, FiringOutcome } from './scheduler-types.js';

export type ClaimedFiring = DueFiring & { lateBySeconds: number };

const keyOf = (f: { organizationId: string; rule: string; subjectId: string; moment: Date }) =>
  `${f.organizationId}/${f.rule}/${f.subjectId}/${f.moment.getTime()}`;

/** Whole seconds from the moment to now; never negative. */
export const lateBySeconds = (moment: Date, now: Date) => Math.max(0, Math.floor((now.getTime() - moment.getTime()) / 1000));

/**
 * Takes a rule's advisory lock for the rest of the transaction if no other transaction holds it
 * (transaction-level, so it works behind a transaction pooler). Several workers then claim
 * different rules' batches instead of waiting on each other's inserts. It is an optimisation:
 * the key of scheduled_firings alone keeps a moment from firing twice.
 *
 * The same statement turns JIT compilation off for the transaction: every statement of a batch is
 * bounded by the batch, and a due query whose estimate crosses jit_above_cost (a join over offsets
 * the planner cannot see) would otherwise spend tens of milliseconds compiling for a few rows.
 */
export function tryRuleLock(tx: Tx, rule: string): Promise<boolean> {
  return (tx.execute(sql`select set_config('jit', 'off', true) as jit, pg_try_advisory_xact_lock(hashtextextended(${`liaison_scheduler:${rule}`}, 0)) as locked`) as unknown as Promise<{ locked: boolean }[]>).then(
    (rows) => rows[0]!.locked,
  );
}

/**
 * Inserts the firings into scheduled_firings (provisionally `skipped`, until `recordOutcomes`
 * writes what firing them did) and returns those this transaction inserted, in the order given,
 * each once. A key already there (fired before, or inserted by a concurrent transaction: that
 * insert waits for the other to end, then conflicts if it committed) is not this transaction's
 * to fire, and is left out.
 */
export async function claimFirings(tx: Tx, firings: DueFiring[], now: Date): Promise<ClaimedFiring[]> {
  if (firings.length === 0) return [];
  const rows = firings.map((f) => ({
    organization_id: f.organizationId,
    rule: f.rule,
    subject_type: f.subjectType,
    subject_id: f.subjectId,
    moment: f.moment.toISOString(),
    late_by_seconds: lateBySeconds(f.moment, now),
  }));
  const inserted = (await tx.execute(sql`
    insert into scheduled_firings (organization_id, rule, subject_type, subject_id, moment, status, reason, fired_at, late_by_seconds)
    select organization_id, rule, subject_type, subject_id, moment, 'skipped', 'claimed', ${now.toISOString()}::timestamptz, late_by_seconds
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as f(organization_id uuid, rule text, subject_type text, subject_id uuid, moment timestamptz, late_by_seconds integer)
    on conflict do nothing
    returning organization_id as "organizationId", rule, subject_id as "subjectId", moment`)) as unknown as { organizationId: string; rule: string; subjectId: string; moment: string | Date }[];
  const ours = new Set(inserted.map((r) => keyOf({ ...r, moment: new Date(r.moment) })));
  const claimed: ClaimedFiring[] = [];
  for (const f of firings) {
    const key = keyOf(f);
    if (!ours.delete(key)) continue; // not ours, or a duplicate of one already taken
    claimed.push({ ...f, lateBySeconds: lateBySeconds(f.moment, now) });
  }
  return claimed;
}

/** Writes each claimed firing's outcome (status, reason, event, recipients) onto its row, in one statement. */
export async function recordOutcomes(tx: Tx, claimed: ClaimedFiring[], outcomes: FiringOutcome[]): Promise<void> {
  if (claimed.length === 0) return;
  const rows = claimed.map((f, i) => {
    const o = outcomes[i]!;
    return {
      organization_id: f.organizationId,
      rule: f.rule,
      subject_id: f.subjectId,
      moment: f.moment.toISOString(),
      status: o.status,
      reason: o.status === 'skipped' ? o.reason : null,
      event_id: o.status === 'fired' ? o.eventId : null,
      event_occurred_at: o.status === 'fired' ? o.eventOccurredAt.toISOString() : null,
      recipients: o.status === 'fired' ? o.recipients : [],
    };
  });
  await tx.execute(sql`
    update scheduled_firings f
    set status = o.status, reason = o.reason, event_id = o.event_id, event_occurred_at = o.event_occurred_at, recipients = o.recipients
    from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
      as o(organization_id uuid, rule text, subject_id uuid, moment timestamptz, status text, reason text, event_id uuid, event_occurred_at timestamptz, recipients jsonb)
    where f.organization_id = o.organization_id and f.rule = o.rule and f.subject_id = o.subject_id and f.moment = o.moment`);
}
