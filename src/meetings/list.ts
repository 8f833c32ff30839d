import { and, asc, eq, gte, lt, or, sql, type SQL } from 'drizzle-orm';
import { meetings } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';
import { decodeCursor } from '../platform/pagination.js';
import type { MeetingRow } from './queries.js';

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

/** `(startsAt, id) > cursor`: the keyset of the list, served by meetings_org_starts_idx. */
function afterStart(cursor: string | undefined): SQL | undefined {
  const c = decodeCursor(cursor, 2);
  if (!c) return undefined;
  const at = new Date(c[0] as string);
  if (Number.isNaN(at.getTime()) || typeof c[1] !== 'string' || !/^[0-9a-f-]{36}$/i.test(c[1])) decodeCursor('!', 2);
  return sql`(${meetings.startsAt}, ${meetings.id}) > (${at.toISOString()}::timestamptz, ${c[1]}::uuid)`;
}

export const startKey = (r: MeetingRow) => [r.startsAt.toISOString(), r.id];

/** Meetings a person takes part in (participant) — via meeting_participants_org_person_idx. */
export const withParticipant = (organizationId: string, personId: string) =>
  sql`${meetings.id} in (select mp.meeting_id from meeting_participants mp where mp.organization_id = ${organizationId} and mp.person_id = ${personId})`;

/** Meetings with a participant from the department (people_org_department_idx, then the above). */
const withDepartment = (organizationId: string, departmentId: string) =>
  sql`${meetings.id} in (select mp.meeting_id from people p join meeting_participants mp on mp.organization_id = p.organization_id and mp.person_id = p.id
        where p.organization_id = ${organizationId} and p.department_id = ${departmentId})`;

export async function listMeetings(db: DbOrTx, organizationId: string, q: MeetingListQuery): Promise<MeetingRow[]> {
  return db
    .select()
    .from(meetings)
    .where(
      and(
        eq(meetings.organizationId, organizationId),
        q.from ? gte(meetings.startsAt, new Date(q.from)) : undefined,
        q.to ? lt(meetings.startsAt, new Date(q.to)) : undefined,
        q.status ? eq(meetings.status, q.status) : undefined,
        q.initiativeId ? eq(meetings.initiativeId, q.initiativeId) : undefined,
        q.seriesId ? eq(meetings.seriesId, q.seriesId) : undefined,
        q.participantId ? withParticipant(organizationId, q.participantId) : undefined,
        q.departmentId ? withDepartment(organizationId, q.departmentId) : undefined,
        afterStart(q.cursor),
      ),
    )
    .orderBy(asc(meetings.startsAt), asc(meetings.id))
    .limit(q.limit + 1);
}

/** A person's meetings in a window (as participant or organiser), at most `limit`. */
export async function personMeetings(db: DbOrTx, organizationId: string, personId: string, from: Date, to: Date, limit: number): Promise<MeetingRow[]> {
  return db
    .select()
    .from(meetings)
    .where(
      and(
        eq(meetings.organizationId, organizationId),
        gte(meetings.startsAt, from),
        lt(meetings.startsAt, to),
        or(withParticipant(organizationId, personId), eq(meetings.organizerId, personId)),
      ),
    )
    .orderBy(asc(meetings.startsAt), asc(meetings.id))
    .limit(limit);
}
