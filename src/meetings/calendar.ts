import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus, type ICalCalendar, type ICalEventData } from 'ical-generator';
import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import { agendaItems, meetingParticipants, meetings, meetingSeries, people } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';
import type { ApiAgendaItem } from '../agenda/schemas.js';
import { toApiAgendaItem, type AgendaItemRow } from '../agenda/queries.js';
import type { MeetingRow } from './queries.js';
import { wallString } from './recurrence.js';
import { vtimezone } from './vtimezone.js';

// How Liaison meetings appear in calendars. A standalone meeting is one VEVENT (UID
// `<meetingId>@liaison`). A series is one VEVENT with the RRULE (UID `<seriesId>@liaison`, its own
// SEQUENCE, EXDATE for cancelled occurrences) plus, for each occurrence shown, an override VEVENT
// with the same UID and RECURRENCE-ID = the start the rule gave it: that is how calendar clients
// receive a recurring meeting whose occurrences each have their own agenda, time and answers.

export type CalendarMethod = 'REQUEST' | 'CANCEL' | 'PUBLISH';
type SeriesRow = typeof meetingSeries.$inferSelect;
interface Attendee { personId: string; name: string; email: string; role: string; response: string }

export interface CalendarData {
  meetings: MeetingRow[];
  series: Map<string, SeriesRow & { cancelled: Date[] }>;
  attendees: Map<string, Attendee[]>;
  agenda: Map<string, ApiAgendaItem[]>;
  people: Map<string, { name: string; email: string }>;
}

const roles: Record<string, ICalAttendeeRole> = {
  chair: ICalAttendeeRole.CHAIR,
  optional: ICalAttendeeRole.OPT,
};
const partstat: Record<string, ICalAttendeeStatus> = {
  accepted: ICalAttendeeStatus.ACCEPTED,
  declined: ICalAttendeeStatus.DECLINED,
  tentative: ICalAttendeeStatus.TENTATIVE,
  needs_action: ICalAttendeeStatus.NEEDSACTION,
};
const statusOf = (s: string) => (s === 'cancelled' ? ICalEventStatus.CANCELLED : s === 'draft' ? ICalEventStatus.TENTATIVE : ICalEventStatus.CONFIRMED);

const exdate = (dates: Date[], tz: string) =>
  dates.length ? `\r\nEXDATE;TZID=${tz}:${dates.map((d) => wallString(d, tz).replace(/[-:]/g, '')).join(',')}` : '';

export const meetingUid = (id: string) => `${id}@liaison`;

/** Everything the calendars of these meetings need, in a fixed number of queries. */
export async function loadCalendarData(db: DbOrTx, organizationId: string, rows: MeetingRow[]): Promise<CalendarData> {
  const ids = rows.map((m) => m.id);
  const seriesIds = [...new Set(rows.map((m) => m.seriesId).filter((s): s is string => !!s))];
  const none = Promise.resolve([]);
  const [parts, items, seriesRows, cancelled] = await Promise.all([
    ids.length
      ? db
          .select({ meetingId: meetingParticipants.meetingId, personId: meetingParticipants.personId, role: meetingParticipants.role, response: meetingParticipants.response, name: people.name, email: people.email })
          .from(meetingParticipants)
          .innerJoin(people, eq(people.id, meetingParticipants.personId))
          .where(and(eq(meetingParticipants.organizationId, organizationId), inArray(meetingParticipants.meetingId, ids)))
          .orderBy(meetingParticipants.createdAt, people.name)
      : none,
    ids.length
      ? db.select().from(agendaItems).where(and(eq(agendaItems.organizationId, organizationId), inArray(agendaItems.meetingId, ids))).orderBy(agendaItems.position)
      : none,
    seriesIds.length ? db.select().from(meetingSeries).where(and(eq(meetingSeries.organizationId, organizationId), inArray(meetingSeries.id, seriesIds))) : none,
    seriesIds.length
      ? db
          .select({ seriesId: meetings.seriesId, originalStartsAt: meetings.originalStartsAt })
          .from(meetings)
          .where(and(eq(meetings.organizationId, organizationId), inArray(meetings.seriesId, seriesIds), eq(meetings.status, 'cancelled'), isNotNull(meetings.originalStartsAt)))
      : none,
  ]);
  const organizerIds = [...new Set([...rows.map((m) => m.organizerId), ...(seriesRows as SeriesRow[]).map((s) => s.organizerId)].filter((x): x is string => !!x))];
  const organizers = organizerIds.length
    ? await db.select({ id: people.id, name: people.name, email: people.email }).from(people).where(and(eq(people.organizationId, organizationId), inArray(people.id, organizerIds)))
    : [];
  const data: CalendarData = { meetings: rows, series: new Map(), attendees: new Map(), agenda: new Map(), people: new Map(organizers.map((p) => [p.id, p])) };
  for (const s of seriesRows as SeriesRow[]) data.series.set(s.id, { ...s, cancelled: [] });
  for (const c of cancelled as { seriesId: string; originalStartsAt: Date }[]) data.series.get(c.seriesId)?.cancelled.push(c.originalStartsAt);
  for (const p of parts as (Attendee & { meetingId: string })[]) {
    const list = data.attendees.get(p.meetingId) ?? [];
    list.push(p);
    data.attendees.set(p.meetingId, list);
  }
  for (const i of items as AgendaItemRow[]) {
    const list = data.agenda.get(i.meetingId) ?? [];
    list.push(toApiAgendaItem(i));
    data.agenda.set(i.meetingId, list);
  }
  return data;
}

function describe(objective: string | null, agenda: ApiAgendaItem[], onlineUrl: string | null): string {
  const parts: string[] = [];
  if (objective) parts.push(objective);
  if (agenda.length) {
    parts.push(['Agenda:', ...agenda.map((a) => `${a.position}. ${a.title}${a.durationMinutes ? ` (${a.durationMinutes} min)` : ''}`)].join('\n'));
  }
  if (onlineUrl) parts.push(`Join: ${onlineUrl}`);
  return parts.join('\n\n');
}

function common(data: CalendarData, src: { title: string; objective: string | null; location: string | null; onlineUrl: string | null; organizerId: string | null; timeZone: string }, agenda: ApiAgendaItem[]): Partial<ICalEventData> {
  const organizer = src.organizerId ? data.people.get(src.organizerId) : undefined;
  return {
    summary: src.title,
    description: describe(src.objective, agenda, src.onlineUrl) || null,
    location: src.location ?? src.onlineUrl ?? null,
    url: src.onlineUrl,
    timezone: src.timeZone,
    organizer: organizer ? { name: organizer.name, email: organizer.email } : null,
  };
}

function addAttendees(ev: ReturnType<ICalCalendar['createEvent']>, list: Attendee[]) {
  for (const a of list) {
    ev.createAttendee({ name: a.name, email: a.email, role: roles[a.role] ?? ICalAttendeeRole.REQ, status: partstat[a.response] ?? ICalAttendeeStatus.NEEDSACTION, rsvp: true });
  }
}

/**
 * The iCalendar text for these meetings. With METHOD:CANCEL only the cancelled meetings'
 * VEVENTs are written (for a series occurrence, the override alone), as RFC 5546 prescribes.
 */
export function renderCalendar(data: CalendarData, method: CalendarMethod): string {
  const cal = ical({ prodId: { company: 'Liaison', product: 'Liaison API', language: 'EN' }, method: ICalCalendarMethod[method] });
  cal.timezone({ name: null, generator: vtimezone });
  const mastersDone = new Set<string>();
  for (const m of data.meetings) {
    const tz = m.timeZone;
    const attendees = data.attendees.get(m.id) ?? [];
    const agenda = data.agenda.get(m.id) ?? [];
    const series = m.seriesId ? data.series.get(m.seriesId) : undefined;
    if (series && !mastersDone.has(series.id) && method !== 'CANCEL') {
      mastersDone.add(series.id);
      const master = cal.createEvent({
        ...common(data, series, []),
        id: meetingUid(series.id),
        sequence: series.sequence,
        stamp: series.updatedAt,
        start: wallString(series.firstStartsAt, series.timeZone),
        end: wallString(new Date(series.firstStartsAt.getTime() + series.durationMinutes * 60000), series.timeZone),
        timezone: series.timeZone,
        // Raw text: ical-generator writes it as given, which keeps every part of the stored rule.
        repeating: `RRULE:${series.recurrence}${exdate(series.cancelled, series.timeZone)}`,
      } as ICalEventData);
      addAttendees(master, attendees);
    }
    const ev = cal.createEvent({
      ...common(data, m, agenda),
      id: meetingUid(series ? series.id : m.id),
      sequence: m.sequence,
      stamp: m.updatedAt,
      start: wallString(m.startsAt, tz),
      end: wallString(m.endsAt, tz),
      status: statusOf(m.status),
      ...(series && m.originalStartsAt ? { recurrenceId: wallString(m.originalStartsAt, series.timeZone) } : {}),
    } as ICalEventData);
    addAttendees(ev, attendees);
  }
  return cal.toString();
}
