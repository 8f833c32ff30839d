import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { tenantFinder } from '../platform/finders.js';
import { departments, goals, initiativeDepartments, initiativeMembers, initiatives, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { BadRequest, Conflict, NotFound } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { assertAllReferences, assertReferences } from '../platform/references.js';
import { iso } from '../platform/schemas.js';
import { toApiGoal } from './goals.js';
import { syncLeadMembers, toApiMember } from './members.js';
import type { InitiativePatch, initiativeStatuses, NewInitiative } from './schemas.js';
import { insertReturning } from '../platform/built-once.js';

const insertInitiatives = insertReturning(initiatives);

type Row = typeof initiatives.$inferSelect;
type Status = (typeof initiativeStatuses)[number];

export function toApiInitiative(r: Row, departmentIds: string[]) {
  return {
    id: r.id,
    title: r.title,
    objective: r.objective,
    sponsorId: r.sponsorId,
    ownerId: r.ownerId,
    departmentIds,
    status: r.status as Status,
    startDate: r.startDate,
    targetDate: r.targetDate,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

/** The department ids of several initiatives in one query (no query per row). */
export async function departmentIdsOf(db: DbOrTx, organizationId: string, ids: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return out;
  const rows = await db
    .select({ initiativeId: initiativeDepartments.initiativeId, departmentId: initiativeDepartments.departmentId })
    .from(initiativeDepartments)
    .where(and(eq(initiativeDepartments.organizationId, organizationId), inArray(initiativeDepartments.initiativeId, ids)))
    .orderBy(asc(initiativeDepartments.initiativeId), asc(initiativeDepartments.position));
  for (const r of rows) out.get(r.initiativeId)!.push(r.departmentId);
  return out;
}

export const findInitiative = tenantFinder(initiatives, 'Initiative', 'find_initiative');

export async function getInitiative(db: DbOrTx, organizationId: string, id: string) {
  const row = await findInitiative(db, organizationId, id);
  return toApiInitiative(row, (await departmentIdsOf(db, organizationId, [id])).get(id)!);
}

export async function listInitiatives(
  db: DbOrTx,
  organizationId: string,
  q: { limit: number; cursor?: string; status?: string; departmentId?: string; sponsorId?: string },
) {
  const rows = await db
    .select()
    .from(initiatives)
    .where(
      and(
        eq(initiatives.organizationId, organizationId),
        q.status ? eq(initiatives.status, q.status) : undefined,
        q.sponsorId ? eq(initiatives.sponsorId, q.sponsorId) : undefined,
        q.departmentId
          ? sql`exists (select 1 from ${initiativeDepartments} d where d.organization_id = ${organizationId}
                  and d.department_id = ${q.departmentId} and d.initiative_id = ${initiatives.id})`
          : undefined,
        afterCreated(initiatives.createdAt, initiatives.id, q.cursor),
      ),
    )
    .orderBy(initiatives.createdAt, initiatives.id)
    .limit(q.limit + 1);
  const depts = await departmentIdsOf(db, organizationId, rows.map((r) => r.id));
  return rows.map((r) => ({ row: r, departmentIds: depts.get(r.id)! }));
}

const transitions: Record<string, string[]> = {
  planned: ['active', 'cancelled'],
  active: ['completed', 'cancelled'],
  completed: [],
  cancelled: [],
};

function assertTransition(from: string, to: string | undefined) {
  if (to === undefined || to === from) return;
  if (!transitions[from]!.includes(to)) throw new Conflict(`The initiative is ${from}; it cannot become ${to}.`);
}

function assertDates(start: string | null | undefined, target: string | null | undefined) {
  if (start && target && target < start) {
    throw new BadRequest('targetDate is before startDate.', [{ path: 'body.targetDate', message: 'must not be before startDate' }]);
  }
}

function assertDistinctLeads(sponsorId: string | null, ownerId: string | null) {
  if (sponsorId && sponsorId === ownerId) {
    throw new BadRequest('The sponsor and the owner must be different people.', [{ path: 'body.ownerId', message: 'must differ from sponsorId' }]);
  }
}

async function assertRefs(rec: ChangeRecorder, input: InitiativePatch) {
  await assertReferences(rec.tx, rec.organizationId, [
    { path: 'body.sponsorId', table: people, id: input.sponsorId, what: 'person' },
    { path: 'body.ownerId', table: people, id: input.ownerId, what: 'person' },
  ]);
  if (input.departmentIds) await assertAllReferences(rec.tx, rec.organizationId, 'body.departmentIds', departments, input.departmentIds, 'department');
}

async function replaceDepartments(rec: ChangeRecorder, initiativeId: string, ids: string[]) {
  await rec.tx
    .delete(initiativeDepartments)
    .where(and(eq(initiativeDepartments.organizationId, rec.organizationId), eq(initiativeDepartments.initiativeId, initiativeId)));
  if (ids.length === 0) return;
  await rec.tx
    .insert(initiativeDepartments)
    .values(ids.map((departmentId, position) => ({ organizationId: rec.organizationId, initiativeId, departmentId, position })));
}

export async function createInitiative(rec: ChangeRecorder, input: NewInitiative) {
  assertDistinctLeads(input.sponsorId, input.ownerId);
  assertDates(input.startDate, input.targetDate);
  await assertRefs(rec, input);
  const { departmentIds = [], ...fields } = input;
  const [row] = await insertInitiatives(rec.tx, { ...fields, organizationId: rec.organizationId });
  await replaceDepartments(rec, row!.id, departmentIds);
  const api = toApiInitiative(row!, departmentIds);
  await rec.audit({ action: 'create', entityType: 'initiative', entityId: api.id, after: api });
  await syncLeadMembers(rec, row!.id, { sponsorId: input.sponsorId, ownerId: input.ownerId });
  return api;
}

export async function updateInitiative(rec: ChangeRecorder, id: string, patch: InitiativePatch, checkVersion: (v: number) => void) {
  const current = await findInitiative(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  assertTransition(current.status, patch.status);
  assertDistinctLeads(patch.sponsorId ?? current.sponsorId, patch.ownerId ?? current.ownerId);
  assertDates(patch.startDate === undefined ? current.startDate : patch.startDate, patch.targetDate === undefined ? current.targetDate : patch.targetDate);
  await assertRefs(rec, patch);
  const beforeDepts = (await departmentIdsOf(rec.tx, rec.organizationId, [id])).get(id)!;
  const { departmentIds, ...fields } = patch;
  const [row] = await rec.tx
    .update(initiatives)
    .set({ ...fields, updatedAt: new Date(), version: current.version + 1 })
    .where(eq(initiatives.id, id))
    .returning();
  if (departmentIds) await replaceDepartments(rec, id, departmentIds);
  const before = toApiInitiative(current, beforeDepts);
  const after = toApiInitiative(row!, departmentIds ?? beforeDepts);
  await rec.audit({ action: patch.status && patch.status !== current.status ? patch.status : 'update', entityType: 'initiative', entityId: id, before, after });
  await syncLeadMembers(rec, id, { sponsorId: row!.sponsorId, ownerId: row!.ownerId });
  return after;
}

/**
 * Refused while meetings or issues refer to the initiative (cancel it instead); its goals,
 * measurements, members and department links go with it, each audited.
 */
export async function deleteInitiative(rec: ChangeRecorder, id: string, checkVersion: (v: number) => void) {
  const current = await findInitiative(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  const [refs] = (await rec.tx.execute(sql`
    select (select count(*) from meetings where organization_id = ${rec.organizationId} and initiative_id = ${id})::int as meetings`)) as unknown as [
    { meetings: number },
  ];
  if (refs!.meetings > 0) throw new Conflict(`${refs!.meetings} meeting(s) belong to this initiative; cancel it instead of deleting it.`);
  const depts = (await departmentIdsOf(rec.tx, rec.organizationId, [id])).get(id)!;
  const members = await rec.tx
    .select()
    .from(initiativeMembers)
    .where(and(eq(initiativeMembers.organizationId, rec.organizationId), eq(initiativeMembers.initiativeId, id)));
  const goalRows = await rec.tx
    .select()
    .from(goals)
    .where(and(eq(goals.organizationId, rec.organizationId), eq(goals.initiativeId, id)));
  // Issues (another module's table) still pointing here make the foreign key refuse: 409.
  await rec.tx.delete(initiatives).where(eq(initiatives.id, id));
  for (const m of members) await rec.audit({ action: 'delete', entityType: 'initiative_member', entityId: m.id, before: toApiMember(m) });
  for (const g of goalRows) await rec.audit({ action: 'delete', entityType: 'goal', entityId: g.id, before: toApiGoal(g) });
  await rec.audit({ action: 'delete', entityType: 'initiative', entityId: id, before: toApiInitiative(current, depts) });
}
