import { and, eq, inArray, sql } from 'drizzle-orm';
import { preparedPerHandle, tenantFinder } from '../platform/finders.js';
import { agendaItems, meetings, people } from '../../db/schema/index.js';
import type { Database, DbOrTx } from '../platform/database.js';
import { RenderCache } from '../platform/render-cache.js';
import { BadRequest, Conflict, NotFound, UnknownReference } from '../platform/errors.js';
import { iso } from '../platform/schemas.js';
import { agendaItemJson } from '../agenda/queries.js';
import { materialSummariesJson } from './materials-summary.js';
import { meetingJson } from './json.js';
import { compactJson, isoSql } from '../platform/json-text.js';
import { viewerPlaceholders, visibleToKind, type Viewer } from '../access/viewer.js';
import type { ApiMaterialSummary, ApiMeeting, ApiMeetingDetail, ApiParticipant } from './schemas.js';
import type { ApiAgendaItem } from '../agenda/schemas.js';

export type MeetingRow = typeof meetings.$inferSelect;

const minutesBetween = (a: Date, b: Date) => Math.round((b.getTime() - a.getTime()) / 60000);

export function toApiMeeting(r: MeetingRow, agendaMinutes = 0): ApiMeeting {
  return {
    id: r.id,
    initiativeId: r.initiativeId,
    seriesId: r.seriesId,
    followUpOfId: r.followUpOfId,
    title: r.title,
    objective: r.objective,
    startsAt: iso(r.startsAt)!,
    endsAt: iso(r.endsAt)!,
    timeZone: r.timeZone,
    location: r.location,
    onlineUrl: r.onlineUrl,
    organizerId: r.organizerId,
    status: r.status as ApiMeeting['status'],
    visibility: r.visibility as ApiMeeting['visibility'],
    materialsDueAt: iso(r.materialsDueAt)!,
    sequence: r.sequence,
    recurrence: r.recurrence,
    originalStartsAt: iso(r.originalStartsAt),
    invitationsSentAt: iso(r.invitationsSentAt),
    startedAt: iso(r.startedAt),
    endedAt: iso(r.endedAt),
    cancelledAt: iso(r.cancelledAt),
    cancelReason: r.cancelReason,
    agendaMinutes,
    overrunMinutes: Math.max(0, agendaMinutes - minutesBetween(r.startsAt, r.endsAt)),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

/** The meeting of the caller's organisation, or 404. `forUpdate` locks it for the transaction. */
export const findMeeting = tenantFinder(meetings, 'Meeting', 'find_meeting');

/** Cancelled and completed meetings are part of the record: they refuse edits (409). */
export function assertMeetingEditable(meeting: Pick<MeetingRow, 'status'>): void {
  if (meeting.status === 'cancelled' || meeting.status === 'completed') {
    throw new Conflict(`The meeting is ${meeting.status}; it can no longer be changed.`);
  }
}

/** Sum of agenda time boxes per meeting, in one query. */
async function agendaMinutesOf(db: DbOrTx, organizationId: string, meetingIds: string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (meetingIds.length === 0) return out;
  const rows = await db
    .select({ meetingId: agendaItems.meetingId, minutes: sql<number>`coalesce(sum(${agendaItems.durationMinutes}), 0)::int` })
    .from(agendaItems)
    .where(and(eq(agendaItems.organizationId, organizationId), inArray(agendaItems.meetingId, meetingIds)))
    .groupBy(agendaItems.meetingId);
  for (const r of rows) out.set(r.meetingId, Number(r.minutes));
  return out;
}

export async function meetingApi(db: DbOrTx, row: MeetingRow): Promise<ApiMeeting> {
  const minutes = await agendaMinutesOf(db, row.organizationId, [row.id]);
  return toApiMeeting(row, minutes.get(row.id) ?? 0);
}

// The embedding subqueries below are correlated with the outer `meetings` row by name (drizzle
// writes unqualified columns in a one-table select, which would be ambiguous inside them).

/** Participants with the person's name, e-mail and department, as API JSON, for embedding. */
export function participantJson() {
  return sql<ApiParticipant[]>`coalesce((
    select json_agg(json_build_object(
      'personId', mp.person_id, 'name', p.name, 'email', p.email, 'departmentId', p.department_id,
      'role', mp.role, 'response', mp.response, 'respondedAt', ${isoSql('mp.responded_at')}, 'attended', mp.attended,
      'createdAt', ${isoSql('mp.created_at')}, 'updatedAt', ${isoSql('mp.updated_at')}, 'version', mp.version
    ) order by mp.created_at, p.name, mp.person_id)
    from meeting_participants mp join people p on p.id = mp.person_id and p.organization_id = mp.organization_id
    where mp.organization_id = meetings.organization_id and mp.meeting_id = meetings.id), '[]'::json)`;
}

/**
 * The xmins of every row the detail is rendered from: the meeting, its participants and their
 * people, its agenda items and materials (see RenderCache). Read by index, without building JSON.
 * The lists are not sorted: equal strings still mean equal sets of row versions, and an order
 * that changed with the plan would only cost a render.
 */
const detailFingerprint = sql<string>`meetings.xmin::text
  || '|' || coalesce((select string_agg(mp.xmin::text || '.' || p.xmin::text, ',')
       from meeting_participants mp join people p on p.id = mp.person_id and p.organization_id = mp.organization_id
       where mp.organization_id = meetings.organization_id and mp.meeting_id = meetings.id), '')
  || '|' || coalesce((select string_agg(ai.xmin::text, ',') from agenda_items ai
       where ai.organization_id = meetings.organization_id and ai.meeting_id = meetings.id), '')
  || '|' || coalesce((select string_agg(mt.xmin::text, ',') from materials mt
       where mt.organization_id = meetings.organization_id and mt.meeting_id = meetings.id), '')`;

const byOrgAndId = and(eq(meetings.organizationId, sql.placeholder('org')), eq(meetings.id, sql.placeholder('id')));

/**
 * The version and fingerprint of a meeting the viewer sees (SPEC §8), one prepared statement per
 * kind of viewer: a meeting it may not see matches no row, and so answers 404 like one that does
 * not exist, in the same round trip.
 */
const fingerprintStatements = preparedPerHandle((db) => {
  const forKind = (kind: Viewer['kind']) =>
    db.select({ version: meetings.version, fingerprint: detailFingerprint }).from(meetings)
      .where(and(byOrgAndId, visibleToKind(kind, sql.raw('meetings'))))
      .prepare(`meeting_detail_fingerprint_${kind}`);
  return { all: forKind('all'), organization: forKind('organization'), person: forKind('person') };
});

/**
 * A meeting with its participants, agenda and material summaries as API JSON text, read in one
 * statement (each relation is a JSON aggregate over its own index), so the cost does not grow
 * with the rows; with the version (ETag) and the fingerprint of what it was rendered from.
 */
const detailStatement = preparedPerHandle((db) =>
  db
    .select({
      json: meetingJson(sql`'participants', ${participantJson()}, 'agendaItems', ${agendaItemJson()}, 'materials', ${materialSummariesJson()}`),
      version: meetings.version,
      fingerprint: detailFingerprint,
    })
    .from(meetings)
    .where(byOrgAndId)
    .prepare('meeting_detail_json'),
);

const detailCaches = preparedPerHandle(() => new RenderCache<{ json: Buffer }>(32 * 1024 * 1024));

/**
 * The meeting detail (MeetingDetail) as JSON text and its version, rendered again only when a row
 * it shows changed; 404 for a meeting `viewer` may not see.
 */
export async function meetingDetailText(db: Database['db'], organizationId: string, viewer: Viewer, id: string): Promise<{ json: Buffer; version: number }> {
  const [current] = await fingerprintStatements(db)[viewer.kind].execute({ org: organizationId, id, ...viewerPlaceholders(viewer) });
  if (!current) throw new NotFound('Meeting');
  const cache = detailCaches(db);
  const hit = cache.get(id, current.fingerprint);
  if (hit) return { json: hit.json, version: current.version };
  const [row] = await detailStatement(db).execute({ org: organizationId, id });
  if (!row) throw new NotFound('Meeting');
  // Kept encoded: every answer from the cache is then sent without encoding it again.
  const json = Buffer.from(compactJson(row.json));
  cache.set(id, row.fingerprint, { json });
  return { json, version: row.version };
}

/** The meeting detail, read inside a transaction (never cached: its rows may not commit). */
export async function loadMeetingDetail(db: DbOrTx, organizationId: string, id: string): Promise<ApiMeetingDetail> {
  const [row] = await detailStatement(db).execute({ org: organizationId, id });
  if (!row) throw new NotFound('Meeting');
  return JSON.parse(row.json) as ApiMeetingDetail;
}

/** Checks meeting times: end after start, materials due no later than the start. */
export function assertMeetingTimes(startsAt: Date, endsAt: Date, materialsDueAt: Date) {
  if (endsAt <= startsAt) throw new BadRequest('endsAt must be after startsAt.', [{ path: 'body.endsAt', message: 'must be after startsAt' }]);
  if (materialsDueAt > startsAt) {
    throw new BadRequest('materialsDueAt must not be after startsAt.', [{ path: 'body.materialsDueAt', message: 'must not be after startsAt' }]);
  }
}

/** Each id must name a person of the organisation; the error names the offending list entry. */
export async function assertPeople(db: DbOrTx, organizationId: string, refs: { path: string; id: string }[]) {
  const ids = [...new Set(refs.map((r) => r.id))];
  if (ids.length === 0) return;
  const found = new Set(
    (await db.select({ id: people.id }).from(people).where(and(eq(people.organizationId, organizationId), inArray(people.id, ids)))).map((r) => r.id),
  );
  const missing = refs.find((r) => !found.has(r.id));
  if (missing) throw new UnknownReference(missing.path, 'person');
}

export { createMeeting, type CreateMeetingInput } from './create.js';
