import { and, eq, sql } from 'drizzle-orm';
import { departments, people } from '../../db/schema/index.js';
import { revokeKeysOfPerson } from '../access/api-keys.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { Conflict } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { tenantFinder } from '../platform/finders.js';
import { assertReferences } from '../platform/references.js';
import { iso } from '../platform/schemas.js';
import type { NewPerson, PersonPatch } from './schemas.js';
import { insertReturning } from '../platform/built-once.js';

const insertPeople = insertReturning(people);

type Row = typeof people.$inferSelect;

export function toApiPerson(r: Row) {
  return {
    id: r.id,
    name: r.name,
    email: r.email,
    departmentId: r.departmentId,
    title: r.title,
    timeZone: r.timeZone,
    keyContact: r.keyContact,
    workingHours: r.workingHours ?? null,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

export const findPerson = tenantFinder(people, 'Person', 'find_person');

export async function listPeople(
  db: DbOrTx,
  organizationId: string,
  q: { limit: number; cursor?: string; departmentId?: string; keyContact?: boolean },
) {
  return db
    .select()
    .from(people)
    .where(
      and(
        eq(people.organizationId, organizationId),
        q.departmentId ? eq(people.departmentId, q.departmentId) : undefined,
        q.keyContact === undefined ? undefined : eq(people.keyContact, q.keyContact),
        afterCreated(people.createdAt, people.id, q.cursor),
      ),
    )
    .orderBy(people.createdAt, people.id)
    .limit(q.limit + 1);
}

async function assertEmailFree(db: DbOrTx, organizationId: string, email: string, exceptId?: string) {
  const [clash] = await db
    .select({ id: people.id })
    .from(people)
    .where(and(eq(people.organizationId, organizationId), sql`lower(${people.email}) = lower(${email})`));
  if (clash && clash.id !== exceptId) throw new Conflict(`A person with email ${email} already exists.`);
}

export async function createPerson(rec: ChangeRecorder, input: NewPerson) {
  await assertReferences(rec.tx, rec.organizationId, [{ path: 'body.departmentId', table: departments, id: input.departmentId, what: 'department' }]);
  await assertEmailFree(rec.tx, rec.organizationId, input.email);
  const [row] = await insertPeople(rec.tx, { ...input, organizationId: rec.organizationId });
  const api = toApiPerson(row!);
  await rec.audit({ action: 'create', entityType: 'person', entityId: api.id, after: api });
  return api;
}

export async function updatePerson(rec: ChangeRecorder, id: string, patch: PersonPatch, checkVersion: (v: number) => void) {
  const current = await findPerson(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  await assertReferences(rec.tx, rec.organizationId, [{ path: 'body.departmentId', table: departments, id: patch.departmentId, what: 'department' }]);
  if (patch.email !== undefined) await assertEmailFree(rec.tx, rec.organizationId, patch.email, id);
  const [row] = await rec.tx
    .update(people)
    .set({ ...patch, updatedAt: new Date(), version: current.version + 1 })
    .where(eq(people.id, id))
    .returning();
  const after = toApiPerson(row!);
  await rec.audit({ action: 'update', entityType: 'person', entityId: id, before: toApiPerson(current), after });
  return after;
}

/**
 * Deleting a person that other records still name is refused (409): the foreign keys of every
 * referencing table make the database itself refuse, and the problem handler turns that into 409.
 * Its person-bound API keys are revoked with it.
 */
export async function deletePerson(rec: ChangeRecorder, id: string, checkVersion: (v: number) => void) {
  const current = await findPerson(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  const [lead] = await rec.tx
    .select({ code: departments.code })
    .from(departments)
    .where(and(eq(departments.organizationId, rec.organizationId), eq(departments.leadId, id)))
    .limit(1);
  if (lead) throw new Conflict(`The person leads department ${lead.code}; name another lead first.`);
  // Keys bound to the person go with it: revoked (and audited), never left acting as nobody.
  await revokeKeysOfPerson(rec, id);
  await rec.tx.delete(people).where(eq(people.id, id));
  await rec.audit({ action: 'delete', entityType: 'person', entityId: id, before: toApiPerson(current) });
}
