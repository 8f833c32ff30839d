import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
import { merge, type Interval } from './intervals.js';
import { DEFAULT_WORKING_HOURS, type WorkingHours } from './working-hours.js';

// What availability is computed from, for any number of people at once, in two statements sent
// together (one round trip): the people with their effective zone and working hours, and their
// busy time (the Liaison meetings they attend and their external blocks, merged). Never a
// statement per person or per slot.

export interface AvailabilityPerson {
  id: string;
  name: string;
  email: string;
  timeZone: string;
  workingHours: WorkingHours;
}

export interface Availability {
  people: Map<string, AvailabilityPerson>;
  /** Per person: busy time inside the window, sorted and merged (touching spans joined). */
  busy: Map<string, Interval[]>;
}

/**
 * How far before the window a meeting may start and still be found: the window scan stays on
 * meetings_org_starts_idx, bounded by the window. A meeting running longer than this (no meeting
 * does) would be missed at the window's start.
 */
const MEETING_LOOKBACK = '31 days';

/** Meetings that hold time: sent and not cancelled. Drafts hold none until invitations go out. */
const HOLDING = sql.raw(`('scheduled', 'in_progress', 'completed')`);

// Epoch milliseconds (date_part is float8, cheaper than extract's numeric).
const epochMs = (column: string) => sql.raw(`(date_part('epoch', ${column}) * 1000)`);

/** A uuid[] parameter: one bind value however many ids (they were validated as UUIDs). */
const uuidArray = (ids: string[]) => sql`${`{${ids.join(',')}}`}::uuid[]`;

export async function loadAvailability(db: DbOrTx, organizationId: string, ids: string[], from: Date, to: Date): Promise<Availability> {
  const list = uuidArray([...new Set(ids)]);
  const f = sql`${from.toISOString()}::timestamptz`;
  const t = sql`${to.toISOString()}::timestamptz`;
  const meetingTimes = sql`m.status in ${HOLDING} and m.starts_at < ${t} and m.starts_at > ${f} - interval '${sql.raw(MEETING_LOOKBACK)}' and m.ends_at > ${f}`;
  const [people, spans] = (await Promise.all([
    db.execute(sql`
      select p.id, p.name, p.email,
             coalesce(p.time_zone, o.default_time_zone, 'UTC') as time_zone,
             coalesce(p.working_hours, o.default_working_hours) as working_hours
      from people p join organizations o on o.id = p.organization_id
      where p.organization_id = ${organizationId} and p.id = any(${list})`),
    // Meetings attended (not declined) or organised, and external blocks, sent as one line of
    // epoch-millisecond spans per person (a row per person, not per meeting or block: reading
    // rows costs more than the query), merged here.
    db.execute(sql`
      with busy(person_id, s, e) as (
        select mp.person_id, m.starts_at, m.ends_at
        from meeting_participants mp
        join meetings m on m.organization_id = mp.organization_id and m.id = mp.meeting_id
        where mp.organization_id = ${organizationId} and mp.person_id = any(${list}) and mp.response <> 'declined' and ${meetingTimes}
        union all
        select m.organizer_id, m.starts_at, m.ends_at
        from meetings m
        where m.organization_id = ${organizationId} and m.organizer_id = any(${list}) and ${meetingTimes}
        union all
        select b.person_id, b.starts_at, b.ends_at
        from busy_blocks b
        where b.organization_id = ${organizationId} and b.person_id = any(${list}) and b.ends_at > ${f} and b.starts_at < ${t}
      )
      select person_id, string_agg(${epochMs('s')}::bigint || '/' || ${epochMs('e')}::bigint, ',' order by s) as spans
      from busy group by person_id`),
  ])) as unknown as [
    { id: string; name: string; email: string; time_zone: string; working_hours: WorkingHours | null }[],
    { person_id: string; spans: string }[],
  ];
  const found = new Map<string, AvailabilityPerson>();
  for (const p of people) {
    found.set(p.id, { id: p.id, name: p.name, email: p.email, timeZone: p.time_zone, workingHours: p.working_hours ?? DEFAULT_WORKING_HOURS });
  }
  const lo = from.getTime();
  const hi = to.getTime();
  const busy = new Map<string, Interval[]>();
  for (const id of found.keys()) busy.set(id, []);
  for (const row of spans) {
    if (!found.has(row.person_id)) continue;
    const list = row.spans.split(',').map((span): Interval => {
      const slash = span.indexOf('/');
      return [Math.max(Number(span.slice(0, slash)), lo), Math.min(Number(span.slice(slash + 1)), hi)];
    });
    busy.set(row.person_id, merge(list));
  }
  return { people: found, busy };
}
