import ICAL from 'ical.js';
import { uniq, type Answer, type Caller } from './helpers.js';

export type Hours = Record<string, [string, string][]>;

/** Monday to Friday, the same ranges each day. */
export const weekdays = (...ranges: [string, string][]): Hours => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri'].map((d) => [d, ranges]));

export async function personIn(api: Caller, name: string, timeZone: string | null, workingHours: Hours | null = null, departmentId: string | null = null) {
  const res = await api.post('/v1/people', { name, email: `${uniq(name.toLowerCase().replace(/\W/g, ''))}@example.com`, timeZone, workingHours, departmentId });
  if (res.status !== 201) throw new Error(`person: ${res.status} ${res.text}`);
  return res.body as { id: string; name: string; email: string };
}

export async function department(api: Caller, name: string) {
  const res = await api.post('/v1/departments', { name, code: uniq(name.slice(0, 3)).replace(/[^A-Za-z0-9]/g, '').slice(0, 30) });
  if (res.status !== 201) throw new Error(`department: ${res.status} ${res.text}`);
  return res.body.id as string;
}

/** A meeting, with invitations sent unless `draft`. */
export async function meetingAt(api: Caller, startsAt: string, endsAt: string, participants: { personId: string; role?: string }[], opts: { organizerId?: string; draft?: boolean } = {}) {
  const res = await api.post('/v1/meetings', { title: uniq('Busy'), startsAt, endsAt, timeZone: 'UTC', organizerId: opts.organizerId ?? null, participants });
  if (res.status !== 201) throw new Error(`meeting: ${res.status} ${res.text}`);
  if (!opts.draft) {
    const sent = await api.post(`/v1/meetings/${res.body.id}/invitations`);
    if (sent.status !== 200) throw new Error(`invitations: ${sent.status} ${sent.text}`);
  }
  return res.body as { id: string };
}

/** A VFREEBUSY built with ical.js, the way a calendar client publishes busy time. */
export function vfreebusy(from: string, to: string, periods: { start: string; end: string; fbtype?: string }[]): string {
  const cal = new ICAL.Component(['vcalendar', [], []]);
  cal.addPropertyWithValue('prodid', '-//Test client//EN');
  cal.addPropertyWithValue('version', '2.0');
  cal.addPropertyWithValue('method', 'PUBLISH');
  const fb = new ICAL.Component('vfreebusy');
  fb.addPropertyWithValue('uid', uniq('fb'));
  fb.addPropertyWithValue('dtstamp', ICAL.Time.fromJSDate(new Date(), true));
  fb.addPropertyWithValue('dtstart', ICAL.Time.fromJSDate(new Date(from), true));
  fb.addPropertyWithValue('dtend', ICAL.Time.fromJSDate(new Date(to), true));
  for (const p of periods) {
    const prop = new ICAL.Property('freebusy');
    prop.setValue(ICAL.Period.fromData({ start: ICAL.Time.fromJSDate(new Date(p.start), true), end: ICAL.Time.fromJSDate(new Date(p.end), true), duration: undefined as never }));
    if (p.fbtype) prop.setParameter('fbtype', p.fbtype);
    fb.addProperty(prop);
  }
  cal.addSubcomponent(fb);
  return cal.toString();
}

export function putCalendar(api: Caller, personId: string, source: string, text: string, query = ''): Promise<Answer> {
  return api.request('PUT', `/v1/people/${personId}/busy-blocks/${source}${query}`, text, { 'content-type': 'text/calendar; charset=utf-8' });
}

export const findTimes = (api: Caller, body: Record<string, unknown>) => api.post('/v1/scheduling/find-times', body);

/** `2027-01-12T12:00:00.000Z` from ('2027-01-12', '12:00'). */
export const at = (day: string, hhmm: string) => `${day}T${hhmm}:00.000Z`;
