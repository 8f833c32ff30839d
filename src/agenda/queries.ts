import { and, asc, eq, sql } from 'drizzle-orm';
import { agendaItems, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { NotFound } from '../platform/errors.js';
import { assertReferences } from '../platform/references.js';
import { iso } from '../platform/schemas.js';
import { isoSql } from '../platform/json-text.js';
import type { ApiAgendaItem, NewAgendaItem } from './schemas.js';

export type AgendaItemRow = typeof agendaItems.$inferSelect;

export function toApiAgendaItem(r: AgendaItemRow): ApiAgendaItem {
  return {
    id: r.id,
    meetingId: r.meetingId,
    position: r.position,
    title: r.title,
    description: r.description,
    kind: r.kind as ApiAgendaItem['kind'],
    ownerId: r.ownerId,
    durationMinutes: r.durationMinutes,
    status: r.status as ApiAgendaItem['status'],
    carriedFrom: r.carriedFromId || r.issueId ? { agendaItemId: r.carriedFromId, issueId: r.issueId } : null,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

/** The agenda of a meeting in position order as API JSON, for embedding in one query. */
export function agendaItemJson() {
  return sql<ApiAgendaItem[]>`coalesce((
    select json_agg(json_build_object(
      'id', ai.id, 'meetingId', ai.meeting_id, 'position', ai.position, 'title', ai.title, 'description', ai.description,
      'kind', ai.kind, 'ownerId', ai.owner_id, 'durationMinutes', ai.duration_minutes, 'status', ai.status,
      'carriedFrom', case when ai.carried_from_id is null and ai.issue_id is null then null
                          else json_build_object('agendaItemId', ai.carried_from_id, 'issueId', ai.issue_id) end,
      'createdAt', ${isoSql('ai.created_at')}, 'updatedAt', ${isoSql('ai.updated_at')}, 'version', ai.version
    ) order by ai.position, ai.id)
    from agenda_items ai
    where ai.organization_id = meetings.organization_id and ai.meeting_id = meetings.id), '[]'::json)`;
}

export async function listAgenda(db: DbOrTx, organizationId: string, meetingId: string): Promise<AgendaItemRow[]> {
  return db
    .select()
    .from(agendaItems)
    .where(and(eq(agendaItems.organizationId, organizationId), eq(agendaItems.meetingId, meetingId)))
    .orderBy(asc(agendaItems.position), asc(agendaItems.id));
}

export async function findAgendaItem(db: DbOrTx, organizationId: string, meetingId: string, id: string, opts: { forUpdate?: boolean } = {}) {
  const q = db
    .select()
    .from(agendaItems)
    .where(and(eq(agendaItems.organizationId, organizationId), eq(agendaItems.meetingId, meetingId), eq(agendaItems.id, id)));
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  if (!row) throw new NotFound('Agenda item');
  return row;
}

/** An agenda item as other modules create it (carry-over sets where it came from). */
export type AgendaItemInput = Omit<NewAgendaItem, 'position'> & { carriedFromId?: string | null; issueId?: string | null };

/**
 * Adds items to a meeting's agenda after its last position, or from 1-based `at` on (moving the
 * items from there down). The caller holds the meeting's row lock, so positions stay contiguous. Owners must be people of the organisation (400 otherwise,
 * naming `${path}[i].ownerId`).
 */
export async function appendAgendaItems(rec: ChangeRecorder, meetingId: string, items: AgendaItemInput[], path = 'body.agendaItems', at?: number): Promise<ApiAgendaItem[]> {
  if (items.length === 0) return [];
  for (const [i, item] of items.entries()) {
    await assertReferences(rec.tx, rec.organizationId, [{ path: `${path}[${i}].ownerId`, table: people, id: item.ownerId, what: 'person' }]);
  }
  const [{ last }] = (await rec.tx.execute(
    sql`select coalesce(max(position), 0)::int as last from agenda_items where organization_id = ${rec.organizationId} and meeting_id = ${meetingId}`,
  )) as unknown as [{ last: number }];
  const first = at !== undefined && at <= last ? at : last + 1;
  if (first <= last) {
    await rec.tx.execute(sql`update agenda_items set position = position + ${items.length}
      where organization_id = ${rec.organizationId} and meeting_id = ${meetingId} and position >= ${first}`);
  }
  const rows = await rec.tx
    .insert(agendaItems)
    .values(items.map((item, i) => ({ ...item, organizationId: rec.organizationId, meetingId, position: first + i })))
    .returning();
  const out = rows.map(toApiAgendaItem);
  for (const item of out) await rec.audit({ action: 'create', entityType: 'agenda_item', entityId: item.id, after: item });
  return out;
}
