import { and, eq, inArray, sql } from 'drizzle-orm';
import { initiativeMembers, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { Conflict, NotFound } from '../platform/errors.js';
import { decodeCursor } from '../platform/pagination.js';
import { assertReferences } from '../platform/references.js';
import { iso } from '../platform/schemas.js';
import type { MemberPatch, NewMember } from './schemas.js';

type Row = typeof initiativeMembers.$inferSelect;
type Role = 'sponsor' | 'owner' | 'liaison' | 'member';

export function toApiMember(r: Row) {
  return {
    id: r.id,
    initiativeId: r.initiativeId,
    personId: r.personId,
    role: r.role as Role,
    responsibility: r.responsibility,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

const memberWhere = (organizationId: string, initiativeId: string) =>
  and(eq(initiativeMembers.organizationId, organizationId), eq(initiativeMembers.initiativeId, initiativeId));

export async function findMember(db: DbOrTx, organizationId: string, initiativeId: string, personId: string, opts: { forUpdate?: boolean } = {}) {
  const q = db.select().from(initiativeMembers).where(and(memberWhere(organizationId, initiativeId), eq(initiativeMembers.personId, personId)));
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  if (!row) throw new NotFound('Initiative member');
  return row;
}

export async function listMembers(db: DbOrTx, organizationId: string, initiativeId: string, q: { limit: number; cursor?: string; role?: string }) {
  const c = decodeCursor(q.cursor, 2);
  return db
    .select()
    .from(initiativeMembers)
    .where(
      and(
        memberWhere(organizationId, initiativeId),
        q.role ? eq(initiativeMembers.role, q.role) : undefined,
        c ? sql`(${initiativeMembers.createdAt}, ${initiativeMembers.personId}) > (${c[0]}::timestamptz, ${c[1]}::uuid)` : undefined,
      ),
    )
    .orderBy(initiativeMembers.createdAt, initiativeMembers.personId)
    .limit(q.limit + 1);
}

export const memberKey = (r: Row) => [r.createdAt.toISOString(), r.personId];

/**
 * Keeps the `sponsor` and `owner` members equal to the initiative's `sponsorId` and `ownerId`:
 * a previous holder who is no longer named stays in the team as a `member` (with their
 * responsibility), the newly named person is promoted if already a member or added otherwise.
 * Demotions run before promotions so that a swap never holds two sponsors at once (the partial
 * unique index would refuse it). Each membership changed is audited once, with its final state.
 */
export async function syncLeadMembers(rec: ChangeRecorder, initiativeId: string, leads: { sponsorId: string | null; ownerId: string | null }) {
  const wanted = new Map<string, Role>();
  if (leads.sponsorId) wanted.set(leads.sponsorId, 'sponsor');
  if (leads.ownerId) wanted.set(leads.ownerId, 'owner');
  const ids = [...wanted.keys()];
  const rows = await rec.tx
    .select()
    .from(initiativeMembers)
    .where(
      and(
        memberWhere(rec.organizationId, initiativeId),
        ids.length ? sql`(${initiativeMembers.role} in ('sponsor', 'owner') or ${inArray(initiativeMembers.personId, ids)})` : sql`${initiativeMembers.role} in ('sponsor', 'owner')`,
      ),
    )
    .for('update');
  const before = new Map(rows.map((r) => [r.personId, r]));
  const after = new Map<string, Row>();
  const now = new Date();

  for (const r of rows) {
    if ((r.role === 'sponsor' || r.role === 'owner') && wanted.get(r.personId) !== r.role) {
      const [row] = await rec.tx
        .update(initiativeMembers)
        .set({ role: 'member', updatedAt: now, version: r.version + 1 })
        .where(and(memberWhere(rec.organizationId, initiativeId), eq(initiativeMembers.personId, r.personId)))
        .returning();
      after.set(r.personId, row!);
    }
  }
  for (const [personId, role] of wanted) {
    const existing = after.get(personId) ?? before.get(personId);
    if (existing?.role === role) continue;
    if (existing) {
      const [row] = await rec.tx
        .update(initiativeMembers)
        .set({ role, updatedAt: now, version: (before.get(personId)?.version ?? 0) + 1 })
        .where(and(memberWhere(rec.organizationId, initiativeId), eq(initiativeMembers.personId, personId)))
        .returning();
      after.set(personId, row!);
    } else {
      const [row] = await rec.tx.insert(initiativeMembers).values({ organizationId: rec.organizationId, initiativeId, personId, role }).returning();
      after.set(personId, row!);
    }
  }
  for (const [personId, row] of after) {
    const prior = before.get(personId);
    await rec.audit({
      action: prior ? 'update' : 'create',
      entityType: 'initiative_member',
      entityId: row.id,
      before: prior ? toApiMember(prior) : null,
      after: toApiMember(row),
    });
  }
}

function assertNotLead(role: string, verb: string) {
  if (role === 'sponsor' || role === 'owner') {
    throw new Conflict(`This member is the initiative's ${role}; ${verb} by naming another ${role} on the initiative (${role}Id).`);
  }
}

export async function addMember(rec: ChangeRecorder, initiativeId: string, input: NewMember) {
  if (input.role === 'sponsor' || input.role === 'owner') {
    throw new Conflict(`The initiative already has its ${input.role}; make this person the ${input.role} by setting ${input.role}Id on the initiative.`);
  }
  await assertReferences(rec.tx, rec.organizationId, [{ path: 'body.personId', table: people, id: input.personId, what: 'person' }]);
  const [row] = await rec.tx
    .insert(initiativeMembers)
    .values({ organizationId: rec.organizationId, initiativeId, personId: input.personId, role: input.role, responsibility: input.responsibility })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new Conflict('This person is already a member of the initiative; change their role or responsibility instead.');
  const api = toApiMember(row);
  await rec.audit({ action: 'create', entityType: 'initiative_member', entityId: row.id, after: api });
  return api;
}

export async function updateMember(rec: ChangeRecorder, initiativeId: string, personId: string, patch: MemberPatch, checkVersion: (v: number) => void) {
  const current = await findMember(rec.tx, rec.organizationId, initiativeId, personId, { forUpdate: true });
  checkVersion(current.version);
  if (patch.role !== undefined && patch.role !== current.role) {
    assertNotLead(current.role, 'hand the role over');
    if (patch.role === 'sponsor' || patch.role === 'owner') {
      throw new Conflict(`The initiative already has its ${patch.role}; make this person the ${patch.role} by setting ${patch.role}Id on the initiative.`);
    }
  }
  const [row] = await rec.tx
    .update(initiativeMembers)
    .set({ ...patch, updatedAt: new Date(), version: current.version + 1 })
    .where(and(memberWhere(rec.organizationId, initiativeId), eq(initiativeMembers.personId, personId)))
    .returning();
  const after = toApiMember(row!);
  await rec.audit({ action: 'update', entityType: 'initiative_member', entityId: row!.id, before: toApiMember(current), after });
  return after;
}

export async function removeMember(rec: ChangeRecorder, initiativeId: string, personId: string, checkVersion: (v: number) => void) {
  const current = await findMember(rec.tx, rec.organizationId, initiativeId, personId, { forUpdate: true });
  checkVersion(current.version);
  assertNotLead(current.role, 'remove them');
  await rec.tx.delete(initiativeMembers).where(and(memberWhere(rec.organizationId, initiativeId), eq(initiativeMembers.personId, personId)));
  await rec.audit({ action: 'delete', entityType: 'initiative_member', entityId: current.id, before: toApiMember(current) });
}
