import t from 'tap';
import ICAL from 'ical.js';
import icalendar from 'icalendar';
import { buildTestApp } from './helpers.js';
import { meetingAt, personIn, putCalendar, weekdays } from './availability-helpers.js';

const jan = (d: number, hhmm: string) => `2027-01-${String(d).padStart(2, '0')}T${hhmm}:00.000Z`;

t.test('JSON imports replace one source\'s blocks inside the window, cutting those across its edges', async (t) => {
  const api = await buildTestApp(t);
  const p = await personIn(api, 'Ada Park', 'Europe/London');
  const url = (source: string) => `/v1/people/${p.id}/busy-blocks/${source}`;
  const first = await api.put(url('google'), {
    from: '2027-01-01T00:00:00Z',
    to: '2027-02-01T00:00:00Z',
    blocks: [
      { startsAt: jan(20, '10:00'), endsAt: jan(20, '11:00') },
      { startsAt: jan(5, '10:00'), endsAt: jan(5, '11:00') },
      { startsAt: jan(30, '22:00'), endsAt: '2027-02-01T00:00:00Z' },
    ],
  });
  t.equal(first.status, 200, first.text);
  t.match(first.body, { removed: 0, blocks: [{ startsAt: jan(5, '10:00'), source: 'google' }, { startsAt: jan(20, '10:00') }, { startsAt: jan(30, '22:00'), endsAt: '2027-02-01T00:00:00.000Z' }] });
  t.equal((await api.put(url('outlook'), { from: '2027-01-01T00:00:00Z', to: '2027-02-01T00:00:00Z', blocks: [{ startsAt: jan(10, '10:00'), endsAt: jan(10, '11:00') }] })).status, 200);

  const second = await api.put(url('google'), { from: '2027-01-15T00:00:00Z', to: '2027-01-31T00:00:00Z', blocks: [{ startsAt: jan(16, '09:00'), endsAt: jan(16, '10:00') }] });
  t.equal(second.status, 200, second.text);
  t.equal(second.body.removed, 2, 'the block inside and the one reaching past the end');
  t.same(second.body.blocks.map((b: { startsAt: string }) => b.startsAt), [jan(16, '09:00')]);

  const all = await api.get(`/v1/people/${p.id}/busy-blocks?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z`);
  t.equal(all.status, 200, all.text);
  t.same(all.body.data.map((b: { source: string; startsAt: string; endsAt: string }) => `${b.source} ${b.startsAt} ${b.endsAt}`), [
    `google ${jan(5, '10:00')} ${jan(5, '11:00')}`,
    `outlook ${jan(10, '10:00')} ${jan(10, '11:00')}`,
    `google ${jan(16, '09:00')} ${jan(16, '10:00')}`,
    `google ${jan(31, '00:00')} 2027-02-01T00:00:00.000Z`,
  ], 'the other source untouched, the block across the edge keeps its part outside the window');
  const google = await api.get(`/v1/people/${p.id}/busy-blocks?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z&source=google&limit=2`);
  t.equal(google.body.data.length, 2);
  t.ok(google.body.nextCursor, 'a next page');
  t.match(google.headers.link, /rel="next"/);
  const rest = await api.get(`/v1/people/${p.id}/busy-blocks?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z&source=google&limit=2&cursor=${google.body.nextCursor}`);
  t.same(rest.body.data.map((b: { startsAt: string }) => b.startsAt), [jan(31, '00:00')]);
  t.equal(rest.body.nextCursor, null);

  const spanning = await api.put(url('outlook'), { from: '2027-01-10T10:15:00Z', to: '2027-01-10T10:45:00Z', blocks: [] });
  t.equal(spanning.body.removed, 1);
  const outlook = await api.get(`/v1/people/${p.id}/busy-blocks?from=2027-01-01T00:00:00Z&to=2027-02-01T00:00:00Z&source=outlook`);
  t.same(outlook.body.data.map((b: { startsAt: string; endsAt: string }) => [b.startsAt, b.endsAt]), [
    [jan(10, '10:00'), '2027-01-10T10:15:00.000Z'],
    ['2027-01-10T10:45:00.000Z', jan(10, '11:00')],
  ], 'a block spanning the whole window keeps both ends');

  const audit = await api.get(`/v1/audit-events?entityType=person&entityId=${p.id}`);
  const replaced = audit.body.data.filter((a: { action: string }) => a.action === 'replace_busy_blocks');
  t.equal(replaced.length, 4, 'every import is audited');
  t.match(replaced.find((a: { changes: { busyBlocksRemoved?: { before: number } } }) => a.changes.busyBlocksRemoved?.before === 2)?.changes, {
    busyBlockSource: { after: 'google' }, from: { after: '2027-01-15T00:00:00.000Z' }, busyBlocks: { after: 1 },
  });
});

// A calendar as clients export it: CRLF, a folded line, a VTIMEZONE with a Windows zone name,
// an IANA TZID without one, floating times, dates, DURATION, RRULE with EXDATE and a moved
// occurrence, RDATE, and events that hold no time. The person is in New York.
const ics = [
  'BEGIN:VCALENDAR', 'VERSION:2.0', 'PRODID:-//Example Corp//Calendar//EN',
  'BEGIN:VTIMEZONE', 'TZID:W. Europe Standard Time',
  'BEGIN:STANDARD', 'DTSTART:16010101T030000', 'TZOFFSETFROM:+0200', 'TZOFFSETTO:+0100', 'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10', 'END:STANDARD',
  'BEGIN:DAYLIGHT', 'DTSTART:16010101T020000', 'TZOFFSETFROM:+0100', 'TZOFFSETTO:+0200', 'RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3', 'END:DAYLIGHT',
  'END:VTIMEZONE',
  'BEGIN:VEVENT', 'UID:weekly@example.com', 'DTSTAMP:20270101T000000Z', 'SUMMARY:Weekly sync',
  'DESCRIPTION:A long description that a client folds over more than one line be', ' cause it is longer than 75 octets',
  'DTSTART;TZID=Europe/Berlin:20270301T090000', 'DTEND;TZID=Europe/Berlin:20270301T100000',
  'RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=10', 'EXDATE;TZID=Europe/Berlin:20270315T090000', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:weekly@example.com', 'DTSTAMP:20270101T000000Z', 'RECURRENCE-ID;TZID=Europe/Berlin:20270322T090000',
  'DTSTART;TZID=Europe/Berlin:20270323T150000', 'DTEND;TZID=Europe/Berlin:20270323T160000', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:edge@example.com', 'DTSTAMP:20270101T000000Z', 'DTSTART:20270228T230000Z', 'DTEND:20270301T010000Z', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:dur@example.com', 'DTSTAMP:20270101T000000Z', 'DTSTART:20270303T120000Z', 'DURATION:PT45M', 'RDATE:20270304T120000Z', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:allday@example.com', 'DTSTAMP:20270101T000000Z', 'DTSTART;VALUE=DATE:20270331', 'DTEND;VALUE=DATE:20270401', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:windows@example.com', 'DTSTAMP:20270101T000000Z', 'DTSTART;TZID=W. Europe Standard Time:20270401T100000', 'DTEND;TZID=W. Europe Standard Time:20270401T110000', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:floating@example.com', 'DTSTAMP:20270101T000000Z', 'DTSTART:20270402T090000', 'DTEND:20270402T093000', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:free@example.com', 'DTSTAMP:20270101T000000Z', 'DTSTART:20270402T150000Z', 'DTEND:20270402T160000Z', 'TRANSP:TRANSPARENT', 'END:VEVENT',
  'BEGIN:VEVENT', 'UID:gone@example.com', 'DTSTAMP:20270101T000000Z', 'DTSTART:20270402T160000Z', 'DTEND:20270402T170000Z', 'STATUS:CANCELLED', 'END:VEVENT',
  'END:VCALENDAR', '',
].join('\r\n');

t.test('VEVENTs: recurrences, zones, floating times and dates, and what holds no time', async (t) => {
  const api = await buildTestApp(t);
  const p = await personIn(api, 'Nia Cole', 'America/New_York');
  const res = await putCalendar(api, p.id, 'exchange', ics, '?from=2027-03-01T00:00:00Z&to=2027-04-05T00:00:00Z');
  t.equal(res.status, 200, res.text);
  t.same(res.body.blocks.map((b: { startsAt: string; endsAt: string }) => `${b.startsAt} ${b.endsAt}`), [
    '2027-03-01T00:00:00.000Z 2027-03-01T01:00:00.000Z', // cut at the window's start
    '2027-03-01T08:00:00.000Z 2027-03-01T09:00:00.000Z', // 09:00 Berlin, winter time
    '2027-03-03T12:00:00.000Z 2027-03-03T12:45:00.000Z', // DURATION
    '2027-03-04T12:00:00.000Z 2027-03-04T12:45:00.000Z', // RDATE, same duration
    '2027-03-08T08:00:00.000Z 2027-03-08T09:00:00.000Z', // (15 March: EXDATE)
    '2027-03-23T14:00:00.000Z 2027-03-23T15:00:00.000Z', // 22 March moved to the 23rd, 15:00 Berlin
    '2027-03-29T07:00:00.000Z 2027-03-29T08:00:00.000Z', // 09:00 Berlin, summer time since the 28th
    '2027-03-31T04:00:00.000Z 2027-04-01T04:00:00.000Z', // an all-day date, the person's day (EDT)
    '2027-04-01T08:00:00.000Z 2027-04-01T09:00:00.000Z', // the VTIMEZONE's rules, summer time
    '2027-04-02T13:00:00.000Z 2027-04-02T13:30:00.000Z', // floating 09:00, the person's zone (EDT)
  ]);
  t.notMatch(JSON.stringify(await api.get(`/v1/people/${p.id}/busy-blocks?from=2027-03-01T00:00:00Z&to=2027-04-05T00:00:00Z`)), /Weekly sync/, 'no title kept');

  const recurring = ['BEGIN:VCALENDAR', 'VERSION:2.0', 'BEGIN:VEVENT', 'UID:daily@example.com', 'DTSTART:20270301T090000Z', 'DTEND:20270301T093000Z', 'RRULE:FREQ=DAILY;UNTIL=20270305T090000Z', 'END:VEVENT', 'END:VCALENDAR'].join('\r\n');
  const daily = await putCalendar(api, p.id, 'exchange', recurring, '?from=2027-03-01T00:00:00Z&to=2027-04-05T00:00:00Z');
  t.equal(daily.status, 200, daily.text);
  t.equal(daily.body.removed, 10, 'the earlier import of the source is replaced');
  t.same(daily.body.blocks.map((b: { startsAt: string }) => b.startsAt.slice(0, 10)), ['2027-03-01', '2027-03-02', '2027-03-03', '2027-03-04', '2027-03-05'], 'UNTIL is inclusive');
});

// eslint-disable-next-line no-control-regex
const rfc6868 = (s: string) => s.replace(/\^(['n^])/g, (_, c: string) => (c === "'" ? '"' : c === 'n' ? '\n' : '^'));

t.test('free/busy as VFREEBUSY, read by ical.js and by icalendar: busy and unavailable, no titles', async (t) => {
  const api = await buildTestApp(t);
  const name = 'Bob":mailto:attacker@evil.example;X-A="; 王小明 ^x^';
  const p = await personIn(api, name, 'Europe/Berlin', weekdays(['09:00', '17:00']));
  await meetingAt(api, '2027-01-12T09:00:00Z', '2027-01-12T10:00:00Z', [{ personId: p.id }]);
  t.equal((await api.put(`/v1/people/${p.id}/busy-blocks/cal`, { from: '2027-01-12T00:00:00Z', to: '2027-01-13T00:00:00Z', blocks: [{ startsAt: '2027-01-12T09:30:00Z', endsAt: '2027-01-12T11:00:00Z' }, { startsAt: '2027-01-12T18:00:00Z', endsAt: '2027-01-12T19:00:00Z' }] })).status, 200);
  const window = 'from=2027-01-12T00:00:00Z&to=2027-01-13T00:00:00Z';
  const json = await api.get(`/v1/people/${p.id}/free-busy?${window}`);
  const expected = [
    ['2027-01-12T00:00:00.000Z', '2027-01-12T08:00:00.000Z', 'busy_unavailable'],
    ['2027-01-12T09:00:00.000Z', '2027-01-12T11:00:00.000Z', 'busy'],
    ['2027-01-12T16:00:00.000Z', '2027-01-12T18:00:00.000Z', 'busy_unavailable'],
    ['2027-01-12T18:00:00.000Z', '2027-01-12T19:00:00.000Z', 'busy'],
    ['2027-01-12T19:00:00.000Z', '2027-01-13T00:00:00.000Z', 'busy_unavailable'],
  ];
  t.same(json.body.busy.map((b: { startsAt: string; endsAt: string; kind: string }) => [b.startsAt, b.endsAt, b.kind]), expected, 'the meeting and the overlapping block merged; an evening block is busy, the rest of the evening unavailable');

  const res = await api.get(`/v1/people/${p.id}/free-busy?${window}`, { accept: 'text/calendar' });
  t.equal(res.status, 200, res.text);
  t.match(res.headers['content-type'], /^text\/calendar; charset=utf-8/);
  t.notMatch(res.text, /SUMMARY|Busy-|attacker@evil\.example:/, 'no title, and the name stays a name');
  const fbtype: Record<string, string> = { busy: 'BUSY', busy_unavailable: 'BUSY-UNAVAILABLE' };
  const utc = (iso: string) => new Date(iso).getTime();

  const cal = new ICAL.Component(ICAL.parse(res.text));
  t.equal(cal.getFirstPropertyValue('method'), 'PUBLISH');
  const vfb = cal.getFirstSubcomponent('vfreebusy')!;
  t.equal((vfb.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate().getTime(), utc('2027-01-12T00:00:00Z'));
  const organizer = vfb.getFirstProperty('organizer')!;
  t.equal(organizer.getFirstValue(), `mailto:${p.email}`);
  t.equal(organizer.getParameter('cn'), name, 'ical.js decodes the RFC 6868 name');
  const periods = vfb.getAllProperties('freebusy').map((prop) => {
    const period = prop.getFirstValue() as ICAL.Period;
    return [period.start.toJSDate().getTime(), period.getEnd().toJSDate().getTime(), prop.getParameter('fbtype')];
  });
  t.same(periods, expected.map(([s, e, k]) => [utc(s!), utc(e!), fbtype[k!]]), 'ical.js reads every period with its FBTYPE');

  const other = icalendar.parse_calendar(res.text);
  const fb2 = other.getComponents('VFREEBUSY')[0]!;
  const org2 = fb2.getProperties('ORGANIZER')[0]!;
  t.equal(rfc6868(String(org2.parameters.CN)), name, 'icalendar reads the same name');
  t.equal(String(org2.value).toLowerCase(), `mailto:${p.email}`);
  const lines = fb2.getProperties('FREEBUSY').map((prop) => `${prop.parameters.FBTYPE}`);
  t.same(lines, expected.map(([, , k]) => fbtype[k!]));

  const notAcceptable = await api.get(`/v1/people/${p.id}/free-busy?${window}`, { accept: 'image/png' });
  t.equal(notAcceptable.status, 406);
  t.equal(notAcceptable.headers['content-type'], 'application/problem+json');
});

t.test('working hours on people and the organisation\'s defaults', async (t) => {
  const api = await buildTestApp(t);
  const org = await api.get('/v1/organization');
  t.equal(org.status, 200, org.text);
  t.match(org.body, { defaultTimeZone: 'UTC', defaultWorkingHours: weekdays(['09:00', '17:00']), version: 1 });
  t.equal(org.headers.etag, '"v1"');
  const hours = { mon: [['08:00', '12:00'], ['13:00', '24:00']], sat: [['10:00', '14:00']] };
  const p = await personIn(api, 'Kim Lee', 'Asia/Seoul', hours as never);
  const got = await api.get(`/v1/people/${p.id}`);
  t.same(got.body.workingHours, hours);
  const cleared = await api.patch(`/v1/people/${p.id}`, { workingHours: null });
  t.equal(cleared.status, 200, cleared.text);
  t.equal(cleared.body.workingHours, null, 'null: the organisation\'s apply');

  const patched = await api.patch('/v1/organization', { defaultTimeZone: 'Asia/Seoul', defaultWorkingHours: weekdays(['10:00', '18:00']) }, { 'if-match': '"v1"' });
  t.equal(patched.status, 200, patched.text);
  t.match(patched.body, { defaultTimeZone: 'Asia/Seoul', version: 2 });
  const fb = await api.get(`/v1/people/${p.id}/free-busy?from=2027-01-11T00:00:00Z&to=2027-01-12T00:00:00Z`);
  // Monday 10:00-18:00 in Seoul (UTC+9) is 01:00-09:00 UTC.
  t.same(fb.body.busy.map((b: { startsAt: string; endsAt: string }) => [b.startsAt, b.endsAt]), [
    ['2027-01-11T00:00:00.000Z', '2027-01-11T01:00:00.000Z'],
    ['2027-01-11T09:00:00.000Z', '2027-01-12T00:00:00.000Z'],
  ]);
  const audit = await api.get(`/v1/audit-events?entityType=organization&entityId=${api.organizationId}`);
  t.match(audit.body.data[0], { action: 'update', changes: { defaultTimeZone: { before: 'UTC', after: 'Asia/Seoul' }, version: { before: 1, after: 2 } } });
  const reset = await api.patch('/v1/organization', { defaultWorkingHours: null, defaultTimeZone: null });
  t.match(reset.body, { defaultTimeZone: 'UTC', defaultWorkingHours: weekdays(['09:00', '17:00']), version: 3 });
});
