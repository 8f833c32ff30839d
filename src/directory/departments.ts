import { and, eq, sql } from 'drizzle-orm';
import { departments, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { BadRequest, Conflict } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { tenantFinder } from '../platform/finders.js';
import { assertReferences } from '../platform/references.js';
import { iso } from '../platform/schemas.js';
import type { DepartmentPatch, NewDepartment } from './schemas.js';
import { insertReturning } from '../platform/built-once.js';

const insertDepartments = insertReturning(departments);

type Row = typeof departments.$inferSelect;

export function toApiDepartment(r: Row) {
  return {
    id: r.id,
    name: r.name,
    code: r.code,
    description: r.description,
    concerns: r.concerns,
    parentId: r.parentId,
    leadId: r.leadId,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

export const findDepartment = tenantFinder(departments, 'Department', 'find_department');

export async function listDepartments(db: DbOrTx, organizationId: string, q: { limit: number; cursor?: string; parentId?: string }) {
  return db
    .select()
    .from(departments)
    .where(
      and(
        eq(departments.organizationId, organizationId),
        q.parentId ? eq(departments.parentId, q.parentId) : undefined,
        afterCreated(departments.createdAt, departments.id, q.cursor),
      ),
    )
    .orderBy(departments.createdAt, departments.id)
    .limit(q.limit + 1);
}

async function assertCodeFree(db: DbOrTx, organizationId: string, code: string, exceptId?: string) {
  const [clash] = await db
    .select({ id: departments.id })
    .from(departments)
    .where(and(eq(departments.organizationId, organizationId), sql`lower(${departments.code}) = lower(${code})`));
  if (clash && clash.id !== exceptId) throw new Conflict(`A department with code "${code}" already exists.`);
}

/** A department cannot sit below itself or below one of its own descendants. */
async function assertNoCycle(db: DbOrTx, organizationId: string, id: string, parentId: string) {
  const rows = await db.execute(sql`
    with recursive up(id, parent_id) as (
      select id, parent_id from departments where organization_id = ${organizationId} and id = ${parentId}
      union all
      select d.id, d.parent_id from departments d join up on d.id = up.parent_id where d.organization_id = ${organizationId}
    ) select 1 from up where id = ${id} limit 1`);
  if (rows.length > 0) throw new BadRequest('parentId would make the department its own ancestor.', [{ path: 'body.parentId', message: 'creates a cycle' }]);
}

async function assertRefs(rec: ChangeRecorder, input: DepartmentPatch) {
  await assertReferences(rec.tx, rec.organizationId, [
    { path: 'body.parentId', table: departments, id: input.parentId, what: 'department' },
    { path: 'body.leadId', table: people, id: input.leadId, what: 'person' },
  ]);
}

export async function createDepartment(rec: ChangeRecorder, input: NewDepartment) {
  await assertRefs(rec, input);
  await assertCodeFree(rec.tx, rec.organizationId, input.code);
  const [row] = await insertDepartments(rec.tx, { ...input, organizationId: rec.organizationId });
  const api = toApiDepartment(row!);
  await rec.audit({ action: 'create', entityType: 'department', entityId: api.id, after: api });
  return api;
}

export async function updateDepartment(rec: ChangeRecorder, id: string, patch: DepartmentPatch, checkVersion: (v: number) => void) {
  const current = await findDepartment(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  await assertRefs(rec, patch);
  if (patch.code !== undefined) await assertCodeFree(rec.tx, rec.organizationId, patch.code, id);
  if (patch.parentId) await assertNoCycle(rec.tx, rec.organizationId, id, patch.parentId);
  const [row] = await rec.tx
    .update(departments)
    .set({ ...patch, updatedAt: new Date(), version: current.version + 1 })
    .where(eq(departments.id, id))
    .returning();
  const before = toApiDepartment(current);
  const after = toApiDepartment(row!);
  await rec.audit({ action: 'update', entityType: 'department', entityId: id, before, after });
  return after;
}

export async function deleteDepartment(rec: ChangeRecorder, id: string, checkVersion: (v: number) => void) {
  const current = await findDepartment(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  const [refs] = (await rec.tx.execute(sql`
    select (select count(*) from departments where organization_id = ${rec.organizationId} and parent_id = ${id})::int as children,
           (select count(*) from people where organization_id = ${rec.organizationId} and department_id = ${id})::int as members`)) as unknown as [
    { children: number; members: number },
  ];
  if (refs!.children > 0 || refs!.members > 0) {
    throw new Conflict(`The department still has ${refs!.children} sub-department(s) and ${refs!.members} member(s); move them first.`);
  }
  await rec.tx.delete(departments).where(eq(departments.id, id));
  await rec.audit({ action: 'delete', entityType: 'department', entityId: id, before: toApiDepartment(current) });
}
