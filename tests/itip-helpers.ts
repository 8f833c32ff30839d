import ICAL from 'ical.js';
import type { Caller } from './helpers.js';

// iTIP messages built the way a calendar client answers an invitation: it reads the REQUEST it
// received (ical.js), and sends back, for the same UID (and RECURRENCE-ID), a VEVENT naming only
// its own user as ATTENDEE with the answer, or with the time it proposes instead (COUNTER).

export interface ClientAnswer {
  /** The attendee's address as the client writes it (any case). */
  address: string;
  cn?: string;
  partstat?: string;
  method?: 'REPLY' | 'COUNTER' | string;
  /** Default: the REQUEST's SEQUENCE. */
  sequence?: number;
  /** COUNTER: the proposed time, written in UTC. */
  start?: string;
  end?: string;
  comment?: string;
  /** Which VEVENT of the REQUEST to answer: the override of this occurrence (its RECURRENCE-ID), or the master. */
  occurrence?: 'override' | 'master';
  uid?: string;
  scheme?: string;
}

const utc = (iso: string) => ICAL.Time.fromJSDate(new Date(iso), true);

export function answerTo(requestIcs: string, a: ClientAnswer): string {
  const request = new ICAL.Component(ICAL.parse(requestIcs));
  const events = request.getAllSubcomponents('vevent');
  const source = a.occurrence === 'master'
    ? events.find((e) => !e.hasProperty('recurrence-id'))!
    : (events.find((e) => e.hasProperty('recurrence-id')) ?? events[0]!);
  const cal = new ICAL.Component(['vcalendar', [], []]);
  cal.addPropertyWithValue('prodid', '-//Example Corp.//Mail Client 16.0//EN');
  cal.addPropertyWithValue('version', '2.0');
  cal.addPropertyWithValue('method', a.method ?? 'REPLY');
  for (const tz of request.getAllSubcomponents('vtimezone')) cal.addSubcomponent(new ICAL.Component(JSON.parse(JSON.stringify(tz.toJSON()))));
  const ev = new ICAL.Component('vevent');
  ev.addPropertyWithValue('uid', a.uid ?? String(source.getFirstPropertyValue('uid')));
  ev.addPropertyWithValue('dtstamp', ICAL.Time.fromJSDate(new Date(), true));
  ev.addPropertyWithValue('sequence', a.sequence ?? Number(source.getFirstPropertyValue('sequence') ?? 0));
  for (const name of ['recurrence-id', 'organizer', 'summary']) {
    const prop = source.getFirstProperty(name);
    if (prop) ev.addProperty(new ICAL.Property(JSON.parse(JSON.stringify(prop.toJSON()))));
  }
  if (a.start && a.end) {
    ev.addPropertyWithValue('dtstart', utc(a.start));
    ev.addPropertyWithValue('dtend', utc(a.end));
  } else {
    for (const name of ['dtstart', 'dtend']) ev.addProperty(new ICAL.Property(JSON.parse(JSON.stringify(source.getFirstProperty(name)!.toJSON()))));
  }
  const attendee = new ICAL.Property('attendee');
  attendee.setValue(`${a.scheme ?? 'mailto:'}${a.address}`);
  attendee.setParameter('partstat', a.partstat ?? 'ACCEPTED');
  if (a.cn) attendee.setParameter('cn', a.cn);
  ev.addProperty(attendee);
  if (a.comment) ev.addPropertyWithValue('comment', a.comment);
  cal.addSubcomponent(ev);
  return cal.toString();
}

export const postItip = (api: Caller, text: string, headers: Record<string, string> = {}) =>
  api.request('POST', '/v1/calendar/itip', text, { 'content-type': 'text/calendar; charset=utf-8', ...headers });

/** The meeting's invitation as its attendees' clients received it. */
export async function invitationOf(api: Caller, meetingId: string): Promise<string> {
  const res = await api.get(`/v1/meetings/${meetingId}/calendar.ics`);
  if (res.status !== 200) throw new Error(`calendar: ${res.status} ${res.text}`);
  return res.text;
}

/** `Wang.Fang-1@Example.com` for `wang.fang-1@example.com`: the same address in another case. */
export const otherCase = (email: string) => email.replace(/^(.)/, (c) => c.toUpperCase()).replace(/@(.+)$/, (_m, d: string) => `@${d.toUpperCase()}`);
