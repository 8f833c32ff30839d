import { and, asc, inArray, sql } from 'drizzle-orm';
import { materials, meetings } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';
import { toMaterialSummary, type ApiMaterialSummary } from '../materials/summary.js';
import type { MeetingRow } from '../meetings/queries.js';
import { keyRows, personColumns, type PersonRecord } from './recipients-load.js';

// What the meeting rules read about a batch of meetings to choose recipients and build payloads:
// a fixed number of queries per batch (sent together), whatever the number of meetings.

export interface MeetingParticipant {
  person: PersonRecord;
  role: string;
  response: string;
}

export interface AgendaItemRef {
  id: string;
  title: string;
  kind: string;
  status: string;
  owner: PersonRecord | null;
}

export interface MeetingContext {
  row: MeetingRow;
  organizer: PersonRecord | null;
  participants: MeetingParticipant[];
  agendaItems: AgendaItemRef[];
  materials: ApiMaterialSummary[];
  /** `materialId/personId` of each acknowledgement of a required material (of any version). */
  acknowledged: Set<string>;
  minutes: { published: boolean; hasDraft: boolean };
}

export type ContextPart = 'participants' | 'agenda' | 'materials' | 'acknowledgements' | 'minutes';

type Key = { organizationId: string; id: string };
type Rows<T> = Promise<T[]>;

const rowsOf = <T>(q: unknown) => q as unknown as Rows<T>;

/** How loadMeetingContexts keys its answer. */
export const meetingKey = (organizationId: string, meetingId: string) => `${organizationId}/${meetingId}`;

/**
 * The meetings named by (organisation, id) with the parts asked for, keyed by `meetingKey`.
 * `lock` takes the meetings FOR SHARE (in start order, as a series edit locks them), so that a
 * cancel or a move committing meanwhile waits for the firing (and the next tick sees it)
 * instead of racing it.
 */
export async function loadMeetingContexts(db: DbOrTx, keys: Key[], parts: ContextPart[], lock = false): Promise<Map<string, MeetingContext>> {
  const out = new Map<string, MeetingContext>();
  if (keys.length === 0) return out;
  const want = new Set(parts);
  const ids = [...new Set(keys.map((k) => k.id))];
  const orgs = [...new Set(keys.map((k) => k.organizationId))];
  const none = Promise.resolve([]);
  const rowsQuery = db.select().from(meetings).where(inArray(meetings.id, ids)).orderBy(asc(meetings.startsAt), asc(meetings.id));
  const [rows, organizers, participants, agenda, materialRows, acks, minutes] = await Promise.all([
    lock ? rowsQuery.for('share') : rowsQuery,
    rowsOf<PersonRecord & { meetingId: string }>(db.execute(sql`
      select m.id as "meetingId", ${personColumns}
      from ${keyRows(keys, 'k')}
      join meetings m on m.id = k.id and m.organization_id = k.organization_id
      join people p on p.organization_id = m.organization_id and p.id = m.organizer_id
      join organizations o on o.id = p.organization_id`)),
    want.has('participants')
      ? rowsOf<PersonRecord & { meetingId: string; role: string; response: string }>(db.execute(sql`
          select mp.meeting_id as "meetingId", mp.role, mp.response, ${personColumns}
          from ${keyRows(keys, 'k')}
          join meeting_participants mp on mp.organization_id = k.organization_id and mp.meeting_id = k.id
          join people p on p.organization_id = mp.organization_id and p.id = mp.person_id
          join organizations o on o.id = p.organization_id
          order by p.name, p.id`))
      : none,
    want.has('agenda')
      ? rowsOf<AgendaItemRef & { meetingId: string }>(db.execute(sql`
          select a.meeting_id as "meetingId", a.id, a.title, a.kind, a.status,
            case when p.id is null then null else json_build_object('id', p.id, 'organizationId', p.organization_id, 'name', p.name, 'email', p.email,
              'departmentId', p.department_id, 'timeZone', coalesce(p.time_zone, o.default_time_zone)) end as owner
          from ${keyRows(keys, 'k')}
          join agenda_items a on a.organization_id = k.organization_id and a.meeting_id = k.id
          left join people p on p.organization_id = a.organization_id and p.id = a.owner_id
          left join organizations o on o.id = p.organization_id
          order by a.position`))
      : none,
    want.has('materials')
      ? db.select().from(materials).where(and(inArray(materials.organizationId, orgs), inArray(materials.meetingId, ids))).orderBy(asc(materials.createdAt), asc(materials.id))
      : none,
    want.has('acknowledgements')
      ? rowsOf<{ meetingId: string; materialId: string; personId: string }>(db.execute(sql`
          select distinct mt.meeting_id as "meetingId", a.material_id as "materialId", a.person_id as "personId"
          from ${keyRows(keys, 'k')}
          join materials mt on mt.organization_id = k.organization_id and mt.meeting_id = k.id and mt.required
          join material_acknowledgements a on a.organization_id = mt.organization_id and a.material_id = mt.id`))
      : none,
    want.has('minutes')
      ? rowsOf<{ meetingId: string; published: boolean; hasDraft: boolean }>(db.execute(sql`
          select mi.meeting_id as "meetingId", mi.published_revision > 0 as published, (mi.summary <> '' or mi.attendance <> '[]'::jsonb) as "hasDraft"
          from ${keyRows(keys, 'k')}
          join minutes mi on mi.organization_id = k.organization_id and mi.meeting_id = k.id`))
      : none,
  ]);
  const asked = new Set(keys.map((k) => meetingKey(k.organizationId, k.id)));
  for (const row of rows) {
    const key = meetingKey(row.organizationId, row.id);
    if (!asked.has(key)) continue;
    out.set(key, { row, organizer: null, participants: [], agendaItems: [], materials: [], acknowledged: new Set(), minutes: { published: false, hasDraft: false } });
  }
  const of = (organizationId: string, meetingId: string) => out.get(meetingKey(organizationId, meetingId));
  for (const p of organizers) {
    const c = of(p.organizationId, p.meetingId);
    if (c) c.organizer = p;
  }
  for (const { meetingId, role, response, ...person } of participants) of(person.organizationId, meetingId)?.participants.push({ person, role, response });
  const byMeeting = new Map([...out.values()].map((c) => [c.row.id, c]));
  for (const { meetingId, ...item } of agenda) byMeeting.get(meetingId)?.agendaItems.push(item);
  for (const m of materialRows as (typeof materials.$inferSelect)[]) {
    const c = of(m.organizationId, m.meetingId);
    if (c) c.materials.push(toMaterialSummary(m));
  }
  for (const a of acks) byMeeting.get(a.meetingId)?.acknowledged.add(`${a.materialId}/${a.personId}`);
  for (const m of minutes) {
    const c = byMeeting.get(m.meetingId);
    if (c) c.minutes = { published: m.published, hasDraft: m.hasDraft };
  }
  return out;
}
