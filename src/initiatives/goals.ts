import { and, eq, sql } from 'drizzle-orm';
import { goalMeasurements, goals } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { BadRequest, NotFound } from '../platform/errors.js';
import { afterCreated, decodeCursor } from '../platform/pagination.js';
import { iso } from '../platform/schemas.js';
import type { GoalPatch, NewGoal } from './schemas.js';

type Row = typeof goals.$inferSelect;

/**
 * Share of the way from baseline to target, clamped to [0, 1]. Dividing by (target − baseline)
 * keeps its sign, so a goal that reduces something (target below baseline) progresses as the value
 * falls. Undefined (null) with no measurement or when target equals baseline.
 */
export function goalProgress(baseline: number, target: number, current: number | null): number | null {
  if (current === null || target === baseline) return null;
  const raw = (current - baseline) / (target - baseline);
  return Math.min(1, Math.max(0, raw));
}

export function toApiGoal(r: Row) {
  return {
    id: r.id,
    initiativeId: r.initiativeId,
    title: r.title,
    metric: r.metric,
    unit: r.unit,
    baseline: r.baseline,
    target: r.target,
    current: r.current,
    measuredAt: iso(r.measuredAt),
    progress: goalProgress(r.baseline, r.target, r.current),
    dueDate: r.dueDate,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

export function toApiMeasurement(r: typeof goalMeasurements.$inferSelect) {
  return { id: r.id, goalId: r.goalId, value: r.value, measuredAt: iso(r.measuredAt)! };
}

export async function findGoal(db: DbOrTx, organizationId: string, initiativeId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = db
    .select()
    .from(goals)
    .where(and(eq(goals.organizationId, organizationId), eq(goals.initiativeId, initiativeId), eq(goals.id, id)));
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  if (!row) throw new NotFound('Goal');
  return row;
}

export async function listGoals(db: DbOrTx, organizationId: string, initiativeId: string, q: { limit: number; cursor?: string }) {
  return db
    .select()
    .from(goals)
    .where(and(eq(goals.organizationId, organizationId), eq(goals.initiativeId, initiativeId), afterCreated(goals.createdAt, goals.id, q.cursor)))
    .orderBy(goals.createdAt, goals.id)
    .limit(q.limit + 1);
}

export async function listMeasurements(db: DbOrTx, organizationId: string, goalId: string, q: { limit: number; cursor?: string }) {
  const c = decodeCursor(q.cursor, 2);
  return db
    .select()
    .from(goalMeasurements)
    .where(
      and(
        eq(goalMeasurements.organizationId, organizationId),
        eq(goalMeasurements.goalId, goalId),
        c ? sql`(${goalMeasurements.measuredAt}, ${goalMeasurements.id}) > (${c[0]}::timestamptz, ${c[1]}::uuid)` : undefined,
      ),
    )
    .orderBy(goalMeasurements.measuredAt, goalMeasurements.id)
    .limit(q.limit + 1);
}

export const measurementKey = (r: typeof goalMeasurements.$inferSelect) => [r.measuredAt.toISOString(), r.id];

// A little slack for clients whose clocks run ahead of ours.
const FUTURE_SLACK_MS = 5 * 60 * 1000;

function measurementTime(given: string | undefined, previous: Date | null): Date {
  const at = given ? new Date(given) : new Date();
  if (at.getTime() > Date.now() + FUTURE_SLACK_MS) {
    throw new BadRequest('measuredAt is in the future.', [{ path: 'body.measuredAt', message: 'must not be in the future' }]);
  }
  if (previous && at < previous) {
    throw new BadRequest(`measuredAt is before the previous measurement (${previous.toISOString()}).`, [
      { path: 'body.measuredAt', message: 'must not be before the previous measurement' },
    ]);
  }
  return at;
}

function assertMeasuredAtUse(input: { current?: number | null; measuredAt?: string }, changes: boolean) {
  if (input.measuredAt !== undefined && !changes) {
    throw new BadRequest('measuredAt dates a new value of current; send it together with a changed current.', [
      { path: 'body.measuredAt', message: 'only with a changed current' },
    ]);
  }
}

export async function createGoal(rec: ChangeRecorder, initiativeId: string, input: NewGoal) {
  const { measuredAt: givenAt, ...fields } = input;
  const measured = fields.current !== undefined && fields.current !== null;
  assertMeasuredAtUse(input, measured);
  const at = measured ? measurementTime(givenAt, null) : null;
  const [row] = await rec.tx
    .insert(goals)
    .values({ ...fields, organizationId: rec.organizationId, initiativeId, measuredAt: at })
    .returning();
  if (measured) {
    await rec.tx.insert(goalMeasurements).values({ organizationId: rec.organizationId, goalId: row!.id, value: row!.current, measuredAt: at! });
  }
  const api = toApiGoal(row!);
  await rec.audit({ action: 'create', entityType: 'goal', entityId: api.id, after: api });
  return api;
}

export async function updateGoal(rec: ChangeRecorder, initiativeId: string, id: string, patch: GoalPatch, checkVersion: (v: number) => void) {
  const current = await findGoal(rec.tx, rec.organizationId, initiativeId, id, { forUpdate: true });
  checkVersion(current.version);
  const { measuredAt: givenAt, ...fields } = patch;
  const changes = fields.current !== undefined && fields.current !== current.current;
  assertMeasuredAtUse(patch, changes);
  const at = changes ? measurementTime(givenAt, current.measuredAt) : current.measuredAt;
  const [row] = await rec.tx
    .update(goals)
    .set({ ...fields, measuredAt: at, updatedAt: new Date(), version: current.version + 1 })
    .where(eq(goals.id, id))
    .returning();
  if (changes) {
    await rec.tx.insert(goalMeasurements).values({ organizationId: rec.organizationId, goalId: id, value: row!.current, measuredAt: at! });
  }
  const after = toApiGoal(row!);
  await rec.audit({ action: 'update', entityType: 'goal', entityId: id, before: toApiGoal(current), after });
  return after;
}

export async function deleteGoal(rec: ChangeRecorder, initiativeId: string, id: string, checkVersion: (v: number) => void) {
  const current = await findGoal(rec.tx, rec.organizationId, initiativeId, id, { forUpdate: true });
  checkVersion(current.version);
  // Its measurements go with it (cascade): they mean nothing without the goal.
  await rec.tx.delete(goals).where(eq(goals.id, id));
  await rec.audit({ action: 'delete', entityType: 'goal', entityId: id, before: toApiGoal(current) });
}
