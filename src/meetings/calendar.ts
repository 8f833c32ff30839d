import { TZDate } from '@date-fns/tz';
import ical, { ICalAttendeeRole, ICalAttendeeStatus, ICalCalendarMethod, ICalEventStatus, type ICalCalendar, type ICalEventData } from 'ical-generator';
import { and, eq, inArray, isNotNull } from 'drizzle-orm';
import { agendaItems, meetingParticipants, meetings, meetingSeries, people } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';
import { finishCalendar, mailtoAddress, paramValue, recurValue, textValue, uriValue } from '../platform/icalendar-text.js';
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

// A time in the meeting's zone. For a TZID time, ical-generator writes the local fields of the
// Date it is given, i.e. those of the server process's zone, unless it is a TZDate: with a plain
// Date or wall-clock string a meeting would move with the process's TZ (or its DST gap).
const inZone = (instant: Date, tz: string) => new TZDate(instant.getTime(), tz);

// The EXDATE line, written with the rule as raw text, in the form ical-generator gives the
// master's DTSTART: UTC for the zone `UTC` (for which it writes no TZID and no VTIMEZONE).
const stamp = (wall: string) => wall.slice(0, 19).replace(/[-:]/g, '');
function exdate(dates: Date[], tz: string): string {
  if (!dates.length) return '';
  if (tz === 'UTC') return `\r\nEXDATE:${dates.map((d) => `${stamp(d.toISOString())}Z`).join(',')}`;
  return `\r\nEXDATE;TZID=${tz}:${dates.map((d) => stamp(wallString(d, tz))).join(',')}`;
}

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

interface EventSource { title: string; objective: string | null; location: string | null; onlineUrl: string | null; organizerId: string | null; timeZone: string }
type Event = ReturnType<ICalCalendar['createEvent']>;

/** A person as ical-generator writes them: CN from the name (the address when no name is left), the address. */
function calAddress(p: { name: string; email: string }) {
  return { name: paramValue(p.name) || mailtoAddress(p.email), email: mailtoAddress(p.email) };
}

// Every value a person typed passes through the encoder in platform/icalendar-text.ts on its way
// to ical-generator; nothing else reaches a calendar.
function common(data: CalendarData, src: EventSource, agenda: ApiAgendaItem[]): Partial<ICalEventData> {
  const organizer = src.organizerId ? data.people.get(src.organizerId) : undefined;
  const description = describe(src.objective, agenda, src.onlineUrl);
  const location = src.location ?? src.onlineUrl;
  return {
    summary: textValue(src.title),
    description: description ? textValue(description) : null,
    location: location ? textValue(location) : null,
    url: src.onlineUrl ? uriValue(src.onlineUrl) : null,
    timezone: src.timeZone,
    organizer: organizer ? calAddress(organizer) : null,
  };
}

/**
 * The attendees. RSVP=TRUE asks the attendee's client for a REPLY (RFC 5545 §3.2.17), so it is
 * written only in a REQUEST and only for someone whose answer is still open; a PUBLISH or a
 * CANCEL expects no reply from anyone. The organizer, when also a participant, is listed (clients
 * show who attends) but never as someone who still has to answer: in iTIP the organizer sends the
 * REQUEST and collects the REPLYs, so a REQUEST asking them for one would have their own client
 * show them an invitation to their own meeting. An open answer of theirs is written ACCEPTED
 * (as calendar servers list an organizer); one they gave (declined, tentative) stays as given.
 */
function addAttendees(ev: Event, list: Attendee[], organizerId: string | null, method: CalendarMethod) {
  for (const a of list) {
    const isOrganizer = a.personId === organizerId;
    const status = isOrganizer && a.response === 'needs_action' ? ICalAttendeeStatus.ACCEPTED : (partstat[a.response] ?? ICalAttendeeStatus.NEEDSACTION);
    const rsvp = method === 'REQUEST' && !isOrganizer && status === ICalAttendeeStatus.NEEDSACTION ? true : null;
    ev.createAttendee({ ...calAddress(a), role: roles[a.role] ?? ICalAttendeeRole.REQ, status, rsvp });
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
    const series = m.seriesId ? data.series.get(m.seriesId) : undefined;
    if (series && !mastersDone.has(series.id) && method !== 'CANCEL') {
      mastersDone.add(series.id);
      const master = cal.createEvent({
        ...common(data, series, []),
        id: meetingUid(series.id),
        sequence: series.sequence,
        stamp: series.updatedAt,
        start: inZone(series.firstStartsAt, series.timeZone),
        end: inZone(new Date(series.firstStartsAt.getTime() + series.durationMinutes * 60000), series.timeZone),
        // Raw text: ical-generator writes it as given, which keeps every part of the stored rule.
        repeating: `RRULE:${recurValue(series.recurrence)}${exdate(series.cancelled, series.timeZone)}`,
      });
      addAttendees(master, attendees, series.organizerId, method);
    }
    const ev = cal.createEvent({
      ...common(data, m, data.agenda.get(m.id) ?? []),
      id: meetingUid(series ? series.id : m.id),
      sequence: m.sequence,
      stamp: m.updatedAt,
      start: inZone(m.startsAt, tz),
      end: inZone(m.endsAt, tz),
      status: statusOf(m.status),
      // The start the rule gave the occurrence names it within the series.
      ...(series && m.originalStartsAt ? { recurrenceId: inZone(m.originalStartsAt, tz) } : {}),
    });
    addAttendees(ev, attendees, m.organizerId, method);
  }
  return finishCalendar(cal.toString());
}
