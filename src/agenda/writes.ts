import { and, eq, gt, sql } from 'drizzle-orm';
import { agendaItems, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import { BadRequest } from '../platform/errors.js';
import { assertReferences } from '../platform/references.js';
import { assertMeetingEditable, findMeeting } from '../meetings/queries.js';
import { appendAgendaItems, findAgendaItem, listAgenda, toApiAgendaItem } from './queries.js';
import type { AgendaItemPatch, ApiAgendaItem, NewAgendaItem } from './schemas.js';

const inMeeting = (org: string, meetingId: string) => and(eq(agendaItems.organizationId, org), eq(agendaItems.meetingId, meetingId));

/** Adds an item at `position` (1-based; default last), moving the items from there down by one. */
export async function addAgendaItem(rec: ChangeRecorder, meetingId: string, input: NewAgendaItem): Promise<ApiAgendaItem> {
  const meeting = await findMeeting(rec.tx, rec.organizationId, meetingId, { forUpdate: true });
  assertMeetingEditable(meeting);
  const { position, ...item } = input;
  await assertReferences(rec.tx, rec.organizationId, [{ path: 'body.ownerId', table: people, id: item.ownerId, what: 'person' }]);
  const [created] = await appendAgendaItems(rec, meetingId, [item], 'body', position);
  return created!;
}

export async function updateAgendaItem(rec: ChangeRecorder, meetingId: string, id: string, patch: AgendaItemPatch, checkVersion: (v: number) => void): Promise<ApiAgendaItem> {
  const meeting = await findMeeting(rec.tx, rec.organizationId, meetingId);
  // Marking items discussed or deferred is how a meeting is run and wrapped up, so status alone
  // may still change once it is completed; anything else follows the meeting's edit rule.
  const statusOnly = Object.keys(patch).every((k) => k === 'status');
  if (!(statusOnly && meeting.status === 'completed')) assertMeetingEditable(meeting);
  const current = await findAgendaItem(rec.tx, rec.organizationId, meetingId, id, { forUpdate: true });
  checkVersion(current.version);
  await assertReferences(rec.tx, rec.organizationId, [{ path: 'body.ownerId', table: people, id: patch.ownerId, what: 'person' }]);
  const [row] = await rec.tx
    .update(agendaItems)
    .set({ ...patch, updatedAt: new Date(), version: current.version + 1 })
    .where(and(eq(agendaItems.organizationId, rec.organizationId), eq(agendaItems.id, id)))
    .returning();
  const after = toApiAgendaItem(row!);
  await rec.audit({ action: 'update', entityType: 'agenda_item', entityId: id, before: toApiAgendaItem(current), after });
  return after;
}

export async function deleteAgendaItem(rec: ChangeRecorder, meetingId: string, id: string, checkVersion: (v: number) => void) {
  const meeting = await findMeeting(rec.tx, rec.organizationId, meetingId, { forUpdate: true });
  assertMeetingEditable(meeting);
  const current = await findAgendaItem(rec.tx, rec.organizationId, meetingId, id, { forUpdate: true });
  checkVersion(current.version);
  await rec.tx.delete(agendaItems).where(and(eq(agendaItems.organizationId, rec.organizationId), eq(agendaItems.id, id)));
  await rec.tx
    .update(agendaItems)
    .set({ position: sql`${agendaItems.position} - 1` })
    .where(and(inMeeting(rec.organizationId, meetingId), gt(agendaItems.position, current.position)));
  await rec.audit({ action: 'delete', entityType: 'agenda_item', entityId: id, before: toApiAgendaItem(current) });
}

/** Reorders the whole agenda in one statement; `itemIds` must list every item exactly once. */
export async function reorderAgenda(rec: ChangeRecorder, meetingId: string, itemIds: string[]): Promise<ApiAgendaItem[]> {
  const meeting = await findMeeting(rec.tx, rec.organizationId, meetingId, { forUpdate: true });
  assertMeetingEditable(meeting);
  const current = await listAgenda(rec.tx, rec.organizationId, meetingId);
  const known = new Set(current.map((i) => i.id));
  const seen = new Set<string>();
  for (const [i, itemId] of itemIds.entries()) {
    if (!known.has(itemId)) throw new BadRequest('itemIds names an item that is not on this agenda.', [{ path: `body.itemIds[${i}]`, message: 'not an item of this agenda' }]);
    if (seen.has(itemId)) throw new BadRequest('itemIds lists an item twice.', [{ path: `body.itemIds[${i}]`, message: 'listed twice' }]);
    seen.add(itemId);
  }
  const missing = current.filter((i) => !seen.has(i.id));
  if (missing.length) {
    throw new BadRequest(`itemIds must list every item of the agenda; ${missing.length} missing.`, [{ path: 'body.itemIds', message: `missing ${missing.map((m) => m.id).join(', ')}` }]);
  }
  const values = sql.join(itemIds.map((id, i) => sql`(${id}::uuid, ${i + 1}::int)`), sql`, `);
  await rec.tx.execute(sql`
    update agenda_items a set position = v.pos, updated_at = now(), version = a.version + 1
    from (values ${values}) as v(id, pos)
    where a.organization_id = ${rec.organizationId} and a.meeting_id = ${meetingId} and a.id = v.id and a.position <> v.pos`);
  const after = await listAgenda(rec.tx, rec.organizationId, meetingId);
  const before = new Map(current.map((i) => [i.id, i]));
  for (const item of after) {
    const old = before.get(item.id)!;
    if (old.position !== item.position) await rec.audit({ action: 'update', entityType: 'agenda_item', entityId: item.id, before: toApiAgendaItem(old), after: toApiAgendaItem(item) });
  }
  return after.map(toApiAgendaItem);
}
