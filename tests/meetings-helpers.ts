import { uniq, type Caller } from './helpers.js';

export async function person(api: Caller, name: string, departmentId: string | null = null) {
  const res = await api.post('/v1/people', { name, email: `${uniq(name.toLowerCase().replace(/\W/g, ''))}@example.com`, departmentId });
  if (res.status !== 201) throw new Error(`person: ${res.status} ${res.text}`);
  return res.body as { id: string; name: string; email: string; departmentId: string | null };
}

/** The end-to-end scenarios' cast: three departments and people from each. */
export async function crossDepartmentCast(api: Caller) {
  const dept = async (name: string) => (await api.post('/v1/departments', { name, code: uniq(name.slice(0, 3)).slice(0, 30) })).body.id as string;
  const [sales, ops, finance] = [await dept('Sales'), await dept('Operations'), await dept('Finance')];
  return {
    sales, ops, finance,
    chair: await person(api, 'Mei Chen', sales),
    notes: await person(api, 'Omar Haddad', ops),
    presenter: await person(api, 'Fiona Berg', finance),
    sales2: await person(api, 'Sam Price', sales),
  };
}

/**
 * The organisation's events of a type, waiting until at least `atLeast` are readable: the log
 * shows an event once every older transaction of the database has finished (the app's worker
 * and scheduler write in it too), so a just-committed event can take a moment to appear.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function eventsOf(api: Caller, type: string, atLeast: number): Promise<any[]> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await api.get(`/v1/events?type=${type}&limit=200`);
    if (res.status !== 200) throw new Error(`events: ${res.status} ${res.text}`);
    if (res.body.data.length >= atLeast || Date.now() > deadline) return res.body.data;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const meetingInput = (extra: Record<string, unknown> = {}) => ({
  title: uniq('Planning'),
  objective: 'Agree the launch plan',
  startsAt: '2031-03-03T09:00:00.000Z',
  endsAt: '2031-03-03T10:00:00.000Z',
  timeZone: 'Europe/Berlin',
  ...extra,
});

import ICAL from 'ical.js';

export interface ParsedEvent {
  uid: string;
  sequence: number;
  status: string | null;
  summary: string | null;
  description: string | null;
  location: string | null;
  url: string | null;
  tzid: string | null;
  start: Date;
  end: Date;
  rrule: string | null;
  exdates: Date[];
  recurrenceId: Date | null;
  organizer: string | null;
  attendees: { email: string; role: string; partstat: string; cn: string }[];
}

/**
 * Parses a calendar the way calendar clients do (ical.js, with the VTIMEZONEs it carries
 * registered), so times are checked as instants, not as text.
 */
export function parseIcs(text: string): { method: string | null; timezones: string[]; events: ParsedEvent[] } {
  const cal = new ICAL.Component(ICAL.parse(text));
  const timezones = cal.getAllSubcomponents('vtimezone').map((z) => {
    const tz = new ICAL.Timezone(z);
    ICAL.TimezoneService.register(tz, tz.tzid);
    return tz.tzid;
  });
  const str = (v: unknown) => (v === null || v === undefined ? null : String(v));
  const events = cal.getAllSubcomponents('vevent').map((ve) => {
    const ev = new ICAL.Event(ve);
    const dtstart = ve.getFirstProperty('dtstart')!;
    const rec = ve.getFirstPropertyValue('recurrence-id') as ICAL.Time | null;
    return {
      uid: ev.uid,
      sequence: ev.sequence,
      status: str(ve.getFirstPropertyValue('status')),
      summary: str(ev.summary),
      description: str(ev.description),
      location: str(ev.location),
      url: str(ve.getFirstPropertyValue('url')),
      tzid: str(dtstart.getParameter('tzid')),
      start: ev.startDate.toJSDate(),
      end: ev.endDate.toJSDate(),
      rrule: str(ve.getFirstPropertyValue('rrule')),
      exdates: ve.getAllProperties('exdate').flatMap((p) => p.getValues().map((v) => (v as ICAL.Time).toJSDate())),
      recurrenceId: rec ? rec.toJSDate() : null,
      organizer: str(ve.getFirstPropertyValue('organizer')),
      attendees: ve.getAllProperties('attendee').map((p) => ({
        email: String(p.getFirstValue()).replace(/^mailto:/i, '').toLowerCase(),
        role: String(p.getParameter('role')),
        partstat: String(p.getParameter('partstat')),
        cn: String(p.getParameter('cn')),
      })),
    };
  });
  return { method: str(cal.getFirstPropertyValue('method')), timezones, events };
}
