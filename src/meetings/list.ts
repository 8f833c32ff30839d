import { and, asc, eq, gte, lt, or, sql } from 'drizzle-orm';
import { meetings } from '../../db/schema/index.js';
import type { Database, DbOrTx } from '../platform/database.js';
import { decodeCursor } from '../platform/pagination.js';
import type { MeetingRow } from './queries.js';
import { agendaMinutesSql, meetingRowJson, scheduledMinutesSql, withAgendaFigures } from './json.js';
import { RenderCache } from '../platform/render-cache.js';
import { compactJson } from '../platform/json-text.js';
import { preparedPerHandle } from '../platform/finders.js';
import { rawStatement } from '../platform/raw-statement.js';
import { meetingVisible, viewerPlaceholders, visibleToKind, type Viewer } from '../access/viewer.js';

export interface MeetingListQuery {
  limit: number;
  cursor?: string;
  from?: string;
  to?: string;
  status?: string;
  initiativeId?: string;
  participantId?: string;
  departmentId?: string;
  seriesId?: string;
}

/** A listed meeting: its API JSON and its keyset position. */
export interface ListedMeeting {
  json: string;
  /** As PostgreSQL writes a timestamptz (drizzle leaves timestamps to its own mapping). */
  startsAt: string;
  id: string;
}

export const startKey = (r: ListedMeeting) => [new Date(r.startsAt).toISOString(), r.id];

/** Meetings a person takes part in (participant) — via meeting_participants_org_person_idx. */
export const withParticipant = (organizationId: unknown, personId: unknown) =>
  sql`${meetings.id} in (select mp.meeting_id from meeting_participants mp where mp.organization_id = ${organizationId} and mp.person_id = ${personId})`;

/** Meetings with a participant from the department (people_org_department_idx, then the above). */
const withDepartment = (organizationId: unknown, departmentId: unknown) =>
  sql`${meetings.id} in (select mp.meeting_id from people p join meeting_participants mp on mp.organization_id = p.organization_id and mp.person_id = p.id
        where p.organization_id = ${organizationId} and p.department_id = ${departmentId})`;

const filters = ['from', 'to', 'status', 'initiativeId', 'seriesId', 'participantId', 'departmentId', 'cursor'] as const;
type Filter = (typeof filters)[number];
const p = (name: string) => sql.placeholder(name);

/**
 * The list's conditions over placeholders, for the filters present: the statements are built
 * and prepared once per combination of filters (building a drizzle query costs more CPU than
 * PostgreSQL spends on a page), and `(startsAt, id) > cursor` is the keyset, served with the
 * window by meetings_org_starts_idx.
 */
function conditions(present: Set<Filter>, viewer: Viewer['kind']) {
  const has = (f: Filter) => present.has(f);
  return and(
    eq(meetings.organizationId, p('org')),
    visibleToKind(viewer, sql.raw('meetings')),
    has('from') ? gte(meetings.startsAt, p('from')) : undefined,
    has('to') ? lt(meetings.startsAt, p('to')) : undefined,
    has('status') ? eq(meetings.status, p('status')) : undefined,
    has('initiativeId') ? eq(meetings.initiativeId, p('initiativeId')) : undefined,
    has('seriesId') ? eq(meetings.seriesId, p('seriesId')) : undefined,
    has('participantId') ? withParticipant(p('org'), p('participantId')) : undefined,
    has('departmentId') ? withDepartment(p('org'), p('departmentId')) : undefined,
    has('cursor') ? sql`(${meetings.startsAt}, ${meetings.id}) > (${p('cursorAt')}::timestamptz, ${p('cursorId')}::uuid)` : undefined,
  );
}

const pageKeys = {
  id: meetings.id,
  startsAt: meetings.startsAt,
  xmin: sql<string>`meetings.xmin::text`.as('xmin'),
  agendaMinutes: agendaMinutesSql.as('agenda_minutes'),
};
interface PageKeys {
  id: string;
  starts_at: string;
  xmin: string;
  agenda_minutes: number;
}

function buildStatements(db: Database['db'], present: Set<Filter>, viewer: Viewer['kind']) {
  const where = conditions(present, viewer);
  const inOrder = [asc(meetings.startsAt), asc(meetings.id)];
  return {
    keys: rawStatement<PageKeys>(db, db.select(pageKeys).from(meetings).where(where).orderBy(...inOrder).limit(p('limit'))),
    rendered: rawStatement<PageKeys & { json: string; scheduled_minutes: number }>(
      db,
      db
        .select({ ...pageKeys, json: meetingRowJson.as('json'), scheduledMinutes: scheduledMinutesSql.as('scheduled_minutes') })
        .from(meetings)
        .where(where)
        .orderBy(...inOrder)
        .limit(p('limit')),
    ),
  };
}

const statementsPerHandle = preparedPerHandle(() => new Map<string, ReturnType<typeof buildStatements>>());
const rowCaches = preparedPerHandle(() => new RenderCache<{ json: string; scheduledMinutes: number }>(32 * 1024 * 1024));

function cursorValues(cursor: string | undefined) {
  const c = decodeCursor(cursor, 2);
  if (!c) return {};
  const at = new Date(c[0] as string);
  if (Number.isNaN(at.getTime()) || typeof c[1] !== 'string' || !/^[0-9a-f-]{36}$/i.test(c[1])) decodeCursor('!', 2);
  return { cursorAt: at.toISOString(), cursorId: c[1] as string };
}

/**
 * A page of meetings (`limit + 1` rows for the probe). The page's rows come with their xmin and
 * agenda minutes only; each row's JSON is taken from the render cache when the row is unchanged
 * (see RenderCache), and rendered by PostgreSQL otherwise, in a second statement over the same
 * conditions whose rows then make the page.
 */
export async function listMeetings(db: Database['db'], organizationId: string, viewer: Viewer, q: MeetingListQuery): Promise<ListedMeeting[]> {
  const present = new Set(filters.filter((f) => q[f] !== undefined));
  const name = `${viewer.kind}:${filters.map((f) => (present.has(f) ? '1' : '0')).join('')}`;
  const statements = statementsPerHandle(db);
  let prepared = statements.get(name);
  if (!prepared) statements.set(name, (prepared = buildStatements(db, present, viewer.kind)));
  const params = { ...q, ...cursorValues(q.cursor), org: organizationId, limit: q.limit + 1, ...viewerPlaceholders(viewer) };

  const cache = rowCaches(db);
  const page = await prepared.keys(params);
  const cached = page.map((r) => cache.get(r.id, r.xmin));
  if (cached.every((c) => c !== undefined)) {
    return page.map((r, i) => ({ id: r.id, startsAt: r.starts_at, json: withAgendaFigures(cached[i]!.json, r.agenda_minutes, cached[i]!.scheduledMinutes) }));
  }
  const rendered = await prepared.rendered(params);
  return rendered.map((r) => {
    const json = compactJson(r.json);
    cache.set(r.id, r.xmin, { json, scheduledMinutes: r.scheduled_minutes });
    return { id: r.id, startsAt: r.starts_at, json: withAgendaFigures(json, r.agenda_minutes, r.scheduled_minutes) };
  });
}

/**
 * A person's meetings in a window (as participant or organiser), at most `limit`; those the
 * viewer may not see (SPEC §8) are left out.
 */
export async function personMeetings(db: DbOrTx, organizationId: string, viewer: Viewer, personId: string, from: Date, to: Date, limit: number): Promise<MeetingRow[]> {
  return db
    .select()
    .from(meetings)
    .where(
      and(
        eq(meetings.organizationId, organizationId),
        gte(meetings.startsAt, from),
        lt(meetings.startsAt, to),
        or(withParticipant(organizationId, personId), eq(meetings.organizerId, personId)),
        meetingVisible(viewer, sql.raw('meetings')),
      ),
    )
    .orderBy(asc(meetings.startsAt), asc(meetings.id))
    .limit(limit);
}
