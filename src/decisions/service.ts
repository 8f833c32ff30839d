import { and, eq } from 'drizzle-orm';
import { decisions, decisionStances } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import { diffFields } from '../platform/changes.js';
import { BadRequest, Conflict } from '../platform/errors.js';
import { assertReferences } from '../platform/references.js';
import { findMeeting } from '../meetings/queries.js';
import { assertAgendaItemOfMeeting, assertParticipants } from '../issues/meeting-context.js';
import { findDecision, stancesOf, toApiDecision, type DecisionRow, type Stances } from './queries.js';
import type { ApiDecision, DecisionPatch, NewDecision } from './schemas.js';
import { insertReturning } from '../platform/built-once.js';

const insertDecisions = insertReturning(decisions);

/** Supporters and objectors must be distinct participants of the meeting (400 naming the entry). */
async function checkStances(rec: ChangeRecorder, meetingId: string, s: Stances) {
  const seen = new Map<string, string>();
  const refs: { path: string; id: string }[] = [];
  const add = (path: string, id: string) => {
    if (seen.has(id)) throw new BadRequest(`${path} names a person already listed at ${seen.get(id)}.`, [{ path, message: 'listed twice' }]);
    seen.set(id, path);
    refs.push({ path, id });
  };
  s.supporters.forEach((id, i) => add(`body.supporters[${i}]`, id));
  s.objections.forEach((o, i) => add(`body.objections[${i}].personId`, o.personId));
  await assertParticipants(rec.tx, rec.organizationId, meetingId, refs);
}

async function writeStances(rec: ChangeRecorder, decisionId: string, s: Stances) {
  await rec.tx.delete(decisionStances).where(and(eq(decisionStances.organizationId, rec.organizationId), eq(decisionStances.decisionId, decisionId)));
  const rows = [
    ...s.supporters.map((personId) => ({ personId, objects: false, note: null })),
    ...s.objections.map((o) => ({ personId: o.personId, objects: true, note: o.note })),
  ].map((r, position) => ({ ...r, position, organizationId: rec.organizationId, decisionId }));
  if (rows.length) await rec.tx.insert(decisionStances).values(rows);
}

const stancesFrom = (input: Pick<NewDecision, 'supporters' | 'objections'>, current?: Stances): Stances => ({
  supporters: input.supporters ?? current?.supporters ?? [],
  objections: input.objections?.map((o) => ({ personId: o.personId, note: o.note ?? null })) ?? current?.objections ?? [],
});

/**
 * Locks and checks the decision `oldId` that `selfId` (absent for a new decision) will supersede:
 * not itself (400), of this organisation (400), still active (409).
 */
async function lockSupersedable(rec: ChangeRecorder, oldId: string, selfId?: string): Promise<DecisionRow> {
  const path = 'body.supersedesId';
  if (oldId === selfId) throw new BadRequest('A decision cannot supersede itself.', [{ path, message: 'names this decision' }]);
  await assertReferences(rec.tx, rec.organizationId, [{ path, table: decisions, id: oldId, what: 'decision' }]);
  const old = await findDecision(rec.tx, rec.organizationId, oldId, { forUpdate: true });
  if (old.status !== 'active') throw new Conflict(`The decision to supersede is already ${old.status}; only an active decision can be superseded.`);
  return old;
}

/** Marks `old` superseded by `by`, in the caller's transaction. */
async function markSuperseded(rec: ChangeRecorder, old: DecisionRow, by: ApiDecision) {
  const now = new Date();
  const [row] = await rec.tx
    .update(decisions)
    .set({ status: 'superseded', supersededById: by.id, updatedAt: now, version: old.version + 1 })
    .where(eq(decisions.id, old.id))
    .returning();
  const stances = (await stancesOf(rec.tx, rec.organizationId, [old.id])).get(old.id)!;
  const before = toApiDecision(old, stances);
  const after = toApiDecision(row!, stances);
  await rec.audit({ action: 'update', entityType: 'decision', entityId: old.id, before, after });
  await rec.event('decision.superseded', { decision: after, supersededBy: by });
}

/** Records a decision of a meeting (not a cancelled one); with `supersedesId`, supersedes the older one. */
export async function recordDecision(rec: ChangeRecorder, meetingId: string, input: NewDecision): Promise<ApiDecision> {
  const meeting = await findMeeting(rec.tx, rec.organizationId, meetingId);
  if (meeting.status === 'cancelled') throw new Conflict('The meeting is cancelled; decisions cannot be recorded in it.');
  await assertAgendaItemOfMeeting(rec.tx, rec.organizationId, meetingId, input.agendaItemId, 'body.agendaItemId');
  const stances = stancesFrom(input);
  await checkStances(rec, meetingId, stances);
  const old = input.supersedesId ? await lockSupersedable(rec, input.supersedesId) : null;
  const [row] = await insertDecisions(rec.tx, {
    organizationId: rec.organizationId,
    meetingId,
    agendaItemId: input.agendaItemId ?? null,
    initiativeId: meeting.initiativeId,
    title: input.title,
    statement: input.statement,
    rationale: input.rationale ?? null,
    decidedAt: input.decidedAt ? new Date(input.decidedAt) : new Date(),
    supersedesId: input.supersedesId ?? null,
  });
  await writeStances(rec, row!.id, stances);
  const api = toApiDecision(row!, stances);
  await rec.audit({ action: 'create', entityType: 'decision', entityId: api.id, after: api });
  await rec.event('decision.recorded', { decision: api });
  if (old) await markSuperseded(rec, old, api);
  return api;
}

/** Edits an active decision, revokes it (with a reason) or makes it supersede another. */
export async function updateDecision(rec: ChangeRecorder, id: string, patch: DecisionPatch, checkVersion: (v: number) => void): Promise<ApiDecision> {
  const current = await findDecision(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  const { status, reason, supporters, objections, supersedesId, decidedAt, ...fields } = patch;
  if (reason !== undefined && status !== 'revoked') throw new BadRequest('`reason` is only for revoking (`status: revoked`).', [{ path: 'body.reason', message: 'only with status revoked' }]);
  if (status === 'revoked' && !reason) throw new BadRequest('Revoking a decision needs a `reason`.', [{ path: 'body.reason', message: 'required to revoke' }]);
  if (supersedesId === id) throw new BadRequest('A decision cannot supersede itself.', [{ path: 'body.supersedesId', message: 'names this decision' }]);
  if (current.status !== 'active') throw new Conflict(`The decision is ${current.status}; it can no longer be changed.`);
  if (supersedesId !== undefined && current.supersedesId && current.supersedesId !== supersedesId) {
    throw new Conflict('The decision already supersedes another decision.');
  }
  await assertAgendaItemOfMeeting(rec.tx, rec.organizationId, current.meetingId, fields.agendaItemId, 'body.agendaItemId');
  const replacing = supersedesId !== undefined && supersedesId !== current.supersedesId;
  const old = replacing ? await lockSupersedable(rec, supersedesId, id) : null;
  const currentStances = (await stancesOf(rec.tx, rec.organizationId, [id])).get(id)!;
  const stances = stancesFrom({ supporters, objections }, currentStances);
  if (supporters !== undefined || objections !== undefined) {
    await checkStances(rec, current.meetingId, stances);
    await writeStances(rec, id, stances);
  }
  const now = new Date();
  const [row] = await rec.tx
    .update(decisions)
    .set({
      ...fields,
      ...(decidedAt ? { decidedAt: new Date(decidedAt) } : {}),
      ...(supersedesId !== undefined ? { supersedesId } : {}),
      ...(status === 'revoked' ? { status, revocationReason: reason, revokedAt: now } : {}),
      updatedAt: now,
      version: current.version + 1,
    })
    .where(eq(decisions.id, id))
    .returning();
  const before = toApiDecision(current, currentStances);
  const after = toApiDecision(row!, stances);
  await rec.audit({ action: 'update', entityType: 'decision', entityId: id, before, after });
  const { version: _v, ...changes } = diffFields(before, after);
  if (Object.keys(changes).length) await rec.event('decision.updated', { decision: after, changes });
  if (status === 'revoked') await rec.event('decision.revoked', { decision: after });
  if (old) await markSuperseded(rec, old, after);
  return after;
}
