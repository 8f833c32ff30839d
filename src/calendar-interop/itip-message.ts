import { TZDate } from '@date-fns/tz';
import ICAL from 'ical.js';
import { malformed, readCalendarText, valueAt, type CalendarText } from '../availability/calendar-text.js';
import { BadRequest } from '../platform/errors.js';
import type { ApiParticipant } from '../meetings/schemas.js';
import { isTimeZone } from '../platform/schemas.js';

// An iTIP message (RFC 5546) that a calendar client sent back to the organizer, read with ical.js
// (lines unfolded and numbered by the calendar reader, so every refusal names its line). Only what
// the organizer acts on is kept: who answered, what, about which meeting, against which SEQUENCE.

export const itipMethods = ['REPLY', 'COUNTER'] as const;
export type ItipMethod = (typeof itipMethods)[number];

/** A time of the message; a floating one (no zone) is read in the meeting's zone once it is known. */
export type MessageTime = (floatingZone: string) => number;

export interface ItipEvent {
  line: number;
  uid: string;
  sequence: number;
  recurrenceId: MessageTime | null;
  /** The attendee's address, lowercased, without the scheme. */
  attendee: string;
  attendeeLine: number;
  response: ApiParticipant['response'];
  start: MessageTime | null;
  end: MessageTime | null;
  comment: string | null;
}

export interface ItipMessage {
  method: ItipMethod;
  events: ItipEvent[];
}

export const MAX_EVENTS = 50;
export const MAX_COMMENT = 2000;

const responses: Record<string, ApiParticipant['response']> = {
  ACCEPTED: 'accepted',
  DECLINED: 'declined',
  TENTATIVE: 'tentative',
  'NEEDS-ACTION': 'needs_action',
};

/** A wall-clock time in an IANA zone as an instant. */
const inIanaZone = (t: ICAL.Time, tz: string) => new TZDate(t.year, t.month - 1, t.day, t.hour, t.minute, t.second, tz).getTime();

/**
 * The instant of a DATE-TIME property: UTC; a TZID the message defines by a VTIMEZONE (ical.js
 * converts with it); a TZID that is an IANA zone; or floating, in the meeting's zone.
 */
function timeOf(cal: CalendarText, prop: ICAL.Property): MessageTime {
  return valueAt(cal, prop, (p) => {
    const t = p.getFirstValue();
    if (!(t instanceof ICAL.Time)) throw new Error('expected a date-time');
    if (t.isDate) throw new Error('a meeting time is a DATE-TIME, not a DATE');
    const tzid = p.getFirstParameter('tzid');
    if (t.zone === ICAL.Timezone.utcTimezone) {
      const at = t.toUnixTime() * 1000;
      return () => at;
    }
    if (tzid && t.zone?.tzid === tzid && t.zone !== ICAL.Timezone.localTimezone) {
      const at = t.toUnixTime() * 1000;
      return () => at;
    }
    if (tzid && isTimeZone(tzid)) {
      const at = inIanaZone(t, tzid);
      return () => at;
    }
    if (tzid) throw new Error(`TZID ${tzid.slice(0, 64)} is neither defined by a VTIMEZONE nor an IANA time zone`);
    return (zone) => inIanaZone(t, zone);
  });
}

function text(cal: CalendarText, prop: ICAL.Property | null): string | null {
  if (!prop) return null;
  const v = valueAt(cal, prop, (p) => p.getFirstValue());
  return v === null || v === undefined ? null : String(v);
}

/** `mailto:Mei.Chen%40example.com` → `mei.chen@example.com`; anything but a mailto: address is malformed. */
function addressOf(cal: CalendarText, prop: ICAL.Property): string {
  const raw = text(cal, prop) ?? '';
  const m = /^mailto:(.+)$/i.exec(raw.trim());
  if (!m) throw malformed(cal.lineOf(prop), 'ATTENDEE must be a mailto: address');
  let address = m[1]!;
  try {
    address = decodeURIComponent(address);
  } catch {
    throw malformed(cal.lineOf(prop), 'ATTENDEE is not a valid mailto: address');
  }
  return address.trim().toLowerCase();
}

function readEvent(cal: CalendarText, ev: ICAL.Component, method: ItipMethod): ItipEvent {
  const line = cal.lineOf(ev);
  const uid = text(cal, ev.getFirstProperty('uid'));
  if (!uid) throw malformed(line, 'the VEVENT needs a UID');
  const attendees = ev.getAllProperties('attendee');
  if (attendees.length === 0) throw malformed(line, `a ${method} names the attendee who sends it in one ATTENDEE`);
  if (attendees.length > 1) throw malformed(cal.lineOf(attendees[1]!), `a ${method} names only the attendee who sends it (RFC 5546): one ATTENDEE`);
  const attendee = attendees[0]!;
  const partstat = String(attendee.getFirstParameter('partstat') ?? 'NEEDS-ACTION').toUpperCase();
  const response = responses[partstat];
  if (method === 'REPLY' && !response) {
    throw malformed(cal.lineOf(attendee), `PARTSTAT=${partstat.slice(0, 40)} is not an answer Liaison records (ACCEPTED, DECLINED, TENTATIVE or NEEDS-ACTION)`);
  }
  const seqProp = ev.getFirstProperty('sequence');
  const sequence = seqProp ? valueAt(cal, seqProp, (p) => p.getFirstValue()) : 0;
  if (!Number.isInteger(sequence) || (sequence as number) < 0) throw malformed(cal.lineOf(seqProp!), 'SEQUENCE must be a non-negative integer');
  const rid = ev.getFirstProperty('recurrence-id');
  const commentProp = ev.getFirstProperty('comment');
  const comment = text(cal, commentProp);
  if (comment && comment.length > MAX_COMMENT) throw malformed(cal.lineOf(commentProp!), `COMMENT holds at most ${MAX_COMMENT} characters`);

  let start: MessageTime | null = null;
  let end: MessageTime | null = null;
  if (method === 'COUNTER') {
    const dtstart = ev.getFirstProperty('dtstart');
    if (!dtstart) throw malformed(line, 'a COUNTER proposes a time: the VEVENT needs a DTSTART');
    start = timeOf(cal, dtstart);
    const dtend = ev.getFirstProperty('dtend');
    const duration = ev.getFirstProperty('duration');
    if (dtend) end = timeOf(cal, dtend);
    else if (duration) {
      const ms = valueAt(cal, duration, (p) => (p.getFirstValue() as ICAL.Duration).toSeconds() * 1000);
      const s = start;
      end = (zone) => s(zone) + ms;
    } else throw malformed(line, 'a COUNTER proposes a time: the VEVENT needs a DTEND or a DURATION');
    const [s, e] = [start('UTC'), end('UTC')];
    if (!(e > s)) throw malformed(dtend ? cal.lineOf(dtend) : cal.lineOf(duration!), 'the proposed time must end after it starts');
  }
  return {
    line,
    uid,
    sequence: sequence as number,
    recurrenceId: rid ? timeOf(cal, rid) : null,
    attendee: addressOf(cal, attendee),
    attendeeLine: cal.lineOf(attendee),
    response: response ?? 'needs_action',
    start,
    end,
    comment,
  };
}

/** Reads the message; anything malformed, or a method other than REPLY and COUNTER, is 400 naming the line. */
export function readItipMessage(body: string): ItipMessage {
  const cal = readCalendarText(body);
  const top = cal.lineOf(cal.calendar);
  const methodProp = cal.calendar.getFirstProperty('method');
  if (!methodProp) throw malformed(top, 'an iTIP message needs a METHOD (REPLY or COUNTER)');
  const method = String(text(cal, methodProp) ?? '').toUpperCase();
  if (!(itipMethods as readonly string[]).includes(method)) {
    const line = cal.lineOf(methodProp);
    throw new BadRequest(`METHOD:${method.slice(0, 40)} (line ${line}) is not a message for the organizer that Liaison takes: send REPLY or COUNTER.`, [
      { path: 'body', message: `line ${line}: METHOD must be REPLY or COUNTER` },
    ]);
  }
  const vevents = cal.calendar.getAllSubcomponents('vevent');
  if (vevents.length === 0) throw malformed(top, `the ${method} carries no VEVENT`);
  if (method === 'COUNTER' && vevents.length > 1) throw malformed(cal.lineOf(vevents[1]!), 'a COUNTER proposes one time: one VEVENT');
  if (vevents.length > MAX_EVENTS) throw malformed(cal.lineOf(vevents[MAX_EVENTS]!), `a REPLY holds at most ${MAX_EVENTS} VEVENTs`);
  const events = vevents.map((ev) => readEvent(cal, ev, method as ItipMethod));
  const other = events.find((e) => e.uid !== events[0]!.uid || e.attendee !== events[0]!.attendee);
  if (other) throw malformed(other.line, 'every VEVENT of one message answers the same UID for the same ATTENDEE');
  return { method: method as ItipMethod, events };
}
