import t, { type Test } from 'tap';
import { buildTestApp, type Answer, type TestApp } from './helpers.js';
import { findTimes, personIn, putCalendar, weekdays } from './availability-helpers.js';

// Every refusal of the availability API: its status, a problem+json naming what is wrong, and
// nothing written (no row, no audit record, no version raised).

const TABLES = ['busy_blocks', 'audit_events', 'people', 'idempotency_keys'];

async function counts(api: TestApp) {
  const out: Record<string, number> = {};
  for (const table of TABLES) out[table] = await api.count(table);
  const [org] = await api.database.sql`select version from organizations where id = ${api.organizationId}`;
  out.organizationVersion = org!.version as number;
  return out;
}

async function refused(t: Test, api: TestApp, label: string, send: () => Promise<Answer>, status: number, path?: string | RegExp) {
  const before = await counts(api);
  const res = await send();
  t.equal(res.status, status, `${label}: ${status} (got ${res.status} ${res.text.slice(0, 300)})`);
  t.equal(res.headers['content-type'], 'application/problem+json', `${label}: problem+json`);
  if (path !== undefined) {
    const paths: string[] = (res.body?.errors ?? []).map((e: { path: string }) => e.path);
    t.ok(paths.some((p) => (typeof path === 'string' ? p === path : path.test(p))), `${label}: errors[] names ${path} (${paths.join(', ')})`);
  }
  t.same(await counts(api), before, `${label}: nothing written`);
  return res;
}

const window = { from: '2027-01-11T00:00:00Z', to: '2027-01-16T00:00:00Z' };
const calendar = (...lines: string[]) => ['BEGIN:VCALENDAR', 'VERSION:2.0', ...lines, 'END:VCALENDAR'].join('\r\n');

t.test('working hours and organisation settings', async (t) => {
  const api = await buildTestApp(t);
  const p = await personIn(api, 'Hana Sato', 'Asia/Tokyo');
  const bad: [string, unknown, string][] = [
    ['a time that is not HH:MM', { mon: [['9:00', '17:00']] }, 'body.workingHours.mon[0][0]'],
    ['a range ending before it starts', { mon: [['17:00', '09:00']] }, 'body.workingHours.mon[0][1]'],
    ['24:00 as a start', { mon: [['24:00', '24:00']] }, 'body.workingHours.mon[0][0]'],
    ['overlapping ranges', { tue: [['09:00', '12:00'], ['11:00', '14:00']] }, 'body.workingHours.tue[1][0]'],
    ['ranges out of order', { tue: [['13:00', '17:00'], ['09:00', '12:00']] }, 'body.workingHours.tue[1][0]'],
    ['more than four ranges a day', { wed: [['08:00', '09:00'], ['10:00', '11:00'], ['12:00', '13:00'], ['14:00', '15:00'], ['16:00', '17:00']] }, 'body.workingHours.wed'],
    ['an unknown weekday', { monday: [['09:00', '17:00']] }, 'body.workingHours.monday'],
    ['no working hours at all', {}, 'body.workingHours'],
    ['a range of one time', { thu: [['09:00']] }, 'body.workingHours.thu[0]'],
  ];
  for (const [label, workingHours, path] of bad) {
    await refused(t, api, `PATCH person: ${label}`, () => api.patch(`/v1/people/${p.id}`, { workingHours }), 400, path);
    await refused(t, api, `POST person: ${label}`, () => api.post('/v1/people', { name: 'X', email: 'x@example.com', workingHours }), 400, path);
  }
  await refused(t, api, 'organisation: bad default working hours', () => api.patch('/v1/organization', { defaultWorkingHours: { fri: [['09:00', '09:00']] } }), 400, 'body.defaultWorkingHours.fri[0][1]');
  await refused(t, api, 'organisation: a zone that is not IANA', () => api.patch('/v1/organization', { defaultTimeZone: 'Mars/Olympus' }), 400, 'body.defaultTimeZone');
  await refused(t, api, 'organisation: an unknown field', () => api.patch('/v1/organization', { slug: 'other' }), 400, 'body.slug');
  await refused(t, api, 'organisation: stale If-Match', () => api.patch('/v1/organization', { name: 'Renamed' }, { 'if-match': '"v9"' }), 412);
  const writer = await api.keyWith(['write']);
  await refused(t, api, 'organisation: a key without admin', () => writer.patch('/v1/organization', { name: 'Renamed' }), 403);
});

t.test('busy-block imports', async (t) => {
  const api = await buildTestApp(t);
  const p = await personIn(api, 'Leo Hart', 'Europe/Paris');
  const url = `/v1/people/${p.id}/busy-blocks/google`;
  const block = (s: string, e: string) => ({ startsAt: s, endsAt: e });
  await refused(t, api, 'a window over 400 days', () => api.put(url, { from: '2027-01-01T00:00:00Z', to: '2028-02-06T00:00:00Z', blocks: [] }), 400, 'body.to');
  await refused(t, api, 'a window ending before it starts', () => api.put(url, { from: '2027-01-02T00:00:00Z', to: '2027-01-01T00:00:00Z', blocks: [] }), 400, 'body.to');
  await refused(t, api, 'a block outside the window', () => api.put(url, { ...window, blocks: [block('2027-01-10T23:00:00Z', '2027-01-11T01:00:00Z')] }), 400, 'body.blocks[0]');
  await refused(t, api, 'a block ending before it starts', () => api.put(url, { ...window, blocks: [block('2027-01-12T10:00:00Z', '2027-01-12T11:00:00Z'), block('2027-01-12T11:00:00Z', '2027-01-12T10:00:00Z')] }), 400, 'body.blocks[1].endsAt');
  const many = Array.from({ length: 5001 }, (_, i) => block(new Date(Date.parse(window.from) + i * 60_000).toISOString(), new Date(Date.parse(window.from) + i * 60_000 + 30_000).toISOString()));
  await refused(t, api, '5,001 blocks', () => api.put(url, { ...window, blocks: many }), 400, 'body.blocks');
  await refused(t, api, 'an invalid source name', () => api.put(`/v1/people/${p.id}/busy-blocks/Not%20A%20Source`, { ...window, blocks: [] }), 400, 'params.source');
  await refused(t, api, 'a JSON import with the window in the query', () => api.put(`${url}?from=2027-01-11T00:00:00Z`, { ...window, blocks: [] }), 400, 'querystring.from');
  await refused(t, api, 'text/plain', () => api.request('PUT', url, 'busy', { 'content-type': 'text/plain' }), 415);
  await refused(t, api, 'JSON null', () => api.put(url, null), 400, 'body');
  const other = await api.newOrganization();
  const theirs = await personIn(other, 'Theo Other', 'UTC');
  await refused(t, api, "another organisation's person", () => api.put(`/v1/people/${theirs.id}/busy-blocks/google`, { ...window, blocks: [] }), 404);
  await refused(t, api, "another organisation's person, as a calendar", () => putCalendar(api, theirs.id, 'google', 'not a calendar at all'), 404);
  t.equal((await api.get(`/v1/people/${theirs.id}/busy-blocks`)).status, 404, 'nor are their blocks listed');
  t.equal((await api.get(`/v1/people/${theirs.id}/free-busy`)).status, 404, 'nor their free/busy');

  const q = '?from=2027-01-11T00:00:00Z&to=2027-01-16T00:00:00Z';
  const malformed: [string, string, number][] = [
    ['a line without a colon', calendar('BEGIN:VEVENT', 'DTSTART:20270111T090000Z', 'this is not a content line', 'END:VEVENT'), 5],
    ['a date that does not decode', calendar('BEGIN:VEVENT', 'UID:x', 'DTSTART:2027XX11T090000Z', 'DTEND:20270111T100000Z', 'END:VEVENT'), 5],
    ['a component never closed', ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'DTSTART:20270111T090000Z'].join('\r\n'), 3],
    ['an END:VCALENDAR inside a VEVENT', calendar('BEGIN:VEVENT', 'DTSTART:20270111T090000Z'), 5],
    ['an END closing something else', calendar('BEGIN:VEVENT', 'DTSTART:20270111T090000Z', 'END:VTODO'), 5],
    ['a TZID nobody defines', calendar('BEGIN:VEVENT', 'DTSTART;TZID=Nowhere/Special:20270111T090000', 'DTEND;TZID=Nowhere/Special:20270111T100000', 'END:VEVENT'), 4],
    ['an event ending before it starts', calendar('BEGIN:VEVENT', 'DTSTART:20270111T100000Z', 'DTEND:20270111T090000Z', 'END:VEVENT'), 5],
    ['a VEVENT without DTSTART', calendar('BEGIN:VEVENT', 'UID:x', 'END:VEVENT'), 3],
    ['an invalid RRULE', calendar('BEGIN:VEVENT', 'DTSTART:20270111T090000Z', 'DTEND:20270111T100000Z', 'RRULE:FREQ=SOMETIMES', 'END:VEVENT'), 6],
    ['not a calendar', 'Hello, I am not a calendar', 1],
  ];
  for (const [label, text, line] of malformed) {
    const res = await refused(t, api, `calendar: ${label}`, () => putCalendar(api, p.id, 'google', text, q), 400, 'body');
    t.match(res.body.detail, new RegExp(`line ${line}\\b`), `calendar: ${label}: names line ${line} (${res.body.detail})`);
  }
  const everyMinute = calendar('BEGIN:VEVENT', 'DTSTART:20270111T000000Z', 'DTEND:20270111T000030Z', 'RRULE:FREQ=MINUTELY', 'END:VEVENT');
  await refused(t, api, 'a rule expanding past 5,000 blocks', () => putCalendar(api, p.id, 'google', everyMinute, q), 400, 'body.blocks');
  const events = calendar('BEGIN:VEVENT', 'DTSTART:20270111T090000Z', 'DTEND:20270111T100000Z', 'END:VEVENT');
  await refused(t, api, 'VEVENTs without a window', () => putCalendar(api, p.id, 'google', events), 400, 'querystring.from');
  await refused(t, api, 'a calendar window over 400 days', () => putCalendar(api, p.id, 'google', events, '?from=2027-01-01T00:00:00Z&to=2028-03-01T00:00:00Z'), 400, 'querystring.to');
  t.equal((await putCalendar(api, p.id, 'google', events, q)).status, 200, 'the same calendar with a window is taken');
});

t.test('free/busy and find-times', async (t) => {
  const api = await buildTestApp(t);
  const a = await personIn(api, 'Ana Silva', 'America/Sao_Paulo', weekdays(['09:00', '18:00']));
  const b = await personIn(api, 'Ben Okafor', 'Africa/Lagos');
  const other = await api.newOrganization();
  const theirs = await personIn(other, 'Tess Other', 'UTC');
  await refused(t, api, 'free/busy over 62 days', () => api.get(`/v1/people/${a.id}/free-busy?from=2027-01-01T00:00:00Z&to=2027-03-05T00:00:00Z`), 400, 'querystring.to');
  await refused(t, api, 'free/busy ending before it starts', () => api.get(`/v1/people/${a.id}/free-busy?from=2027-01-02T00:00:00Z&to=2027-01-01T00:00:00Z`), 400, 'querystring.to');

  const base = { required: [a.id], optional: [b.id], durationMinutes: 60, ...window };
  const cases: [string, Record<string, unknown>, string][] = [
    ['a window over 62 days', { ...base, to: '2027-03-15T00:00:00Z' }, 'body.to'],
    ['a window ending before it starts', { ...base, to: '2027-01-10T00:00:00Z' }, 'body.to'],
    ['a window shorter than the meeting', { ...base, to: '2027-01-11T00:30:00Z' }, 'body.to'],
    ['a duration under 5 minutes', { ...base, durationMinutes: 4 }, 'body.durationMinutes'],
    ['a duration over a day', { ...base, durationMinutes: 1441 }, 'body.durationMinutes'],
    ['a granularity under 5 minutes', { ...base, granularityMinutes: 4 }, 'body.granularityMinutes'],
    ['a granularity over 2 hours', { ...base, granularityMinutes: 121 }, 'body.granularityMinutes'],
    ['minimumOptional over 1', { ...base, minimumOptional: 1.5 }, 'body.minimumOptional'],
    ['nobody required', { ...base, required: [] }, 'body.required'],
    ['a person listed twice', { ...base, optional: [a.id] }, 'body.optional[0]'],
    ['over 100 attendees', { ...base, optional: Array.from({ length: 100 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`) }, 'body.optional'],
    ['an unknown person', { ...base, optional: [b.id, '00000000-0000-4000-8000-000000000001'] }, 'body.optional[1]'],
    ["another organisation's person", { ...base, required: [a.id, theirs.id] }, 'body.required[1]'],
    ["another organisation's person, with a bad window too", { ...base, required: [theirs.id], to: base.from }, 'body.required[0]'],
    ['an unknown field', { ...base, attendees: [] }, 'body.attendees'],
  ];
  for (const [label, body, path] of cases) await refused(t, api, `find-times: ${label}`, () => findTimes(api, body), 400, path);
  const reader = await api.keyWith(['read']);
  const ok = await findTimes(reader, base);
  t.equal(ok.status, 200, `a read key may look for times (${ok.text.slice(0, 200)})`);
  const keyed = await reader.post('/v1/scheduling/find-times', base, { 'idempotency-key': 'ft-1' });
  const again = await reader.post('/v1/scheduling/find-times', base, { 'idempotency-key': 'ft-1' });
  t.same(again.body, keyed.body, 'Idempotency-Key replays the first answer');
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal((await reader.post('/v1/scheduling/find-times', { ...base, durationMinutes: 30 }, { 'idempotency-key': 'ft-1' })).status, 422, 'the same key with another body is 422');
});
