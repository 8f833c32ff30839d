import t from 'tap';
import { buildTestApp } from './helpers.js';
import { meetingInput, parseIcs, person } from './meetings-helpers.js';

// Times and zones in calendars. A calendar says when a meeting is in the meeting's zone, whatever zone the server process runs
// in. ical-generator writes a TZID time from the local fields of the Date it is given, so the
// process's own zone (and its daylight-saving gap) must not leak in. New York springs forward on
// 2031-03-09 at 02:00: 02:30 does not exist there, while in Berlin it is an ordinary hour.
process.env.TZ = 'America/New_York';

t.test('times in the meeting\'s zone, whatever the process\'s zone', async (t) => {
  t.equal(new Date('2031-03-09T12:00:00Z').getTimezoneOffset(), 240, 'the process runs in New York time');
  const api = await buildTestApp(t);
  const chair = await person(api, 'Chair');
  const input = meetingInput({
    startsAt: '2031-03-09T01:30:00.000Z', // 02:30 in Berlin
    endsAt: '2031-03-09T02:30:00.000Z',
    timeZone: 'Europe/Berlin',
    organizerId: chair.id,
    participants: [{ personId: chair.id, role: 'chair' }],
  });
  const m = (await api.post('/v1/meetings', input)).body;
  const utc = (await api.post('/v1/meetings', { ...input, timeZone: 'UTC' })).body;

  const calendars = [
    (await api.get(`/v1/meetings/${m.id}/calendar.ics`)).text,
    (await api.get(`/v1/people/${chair.id}/calendar.ics?from=2031-03-08T00:00:00Z&to=2031-03-10T00:00:00Z`)).text,
  ];
  for (const text of calendars) {
    t.match(text, /DTSTART;TZID=Europe\/Berlin:20310309T023000\r\n/, 'the Berlin wall-clock time as written');
    t.match(text, /DTEND;TZID=Europe\/Berlin:20310309T033000\r\n/);
    const events = parseIcs(text).events;
    t.same(events.map((e) => [e.start.toISOString(), e.end.toISOString()]), events.map(() => [input.startsAt, input.endsAt]), 'the same instants, read back');
  }
  const utcEvent = parseIcs((await api.get(`/v1/meetings/${utc.id}/calendar.ics`)).text).events[0]!;
  t.same([utcEvent.start.toISOString(), utcEvent.end.toISOString()], [input.startsAt, input.endsAt], 'a meeting held in UTC too');
});

t.test('a series held in UTC: every TZID it writes names a VTIMEZONE it carries', async (t) => {
  const api = await buildTestApp(t);
  const ana = await person(api, 'Ana');
  const input = meetingInput({
    startsAt: '2031-03-03T09:00:00.000Z', endsAt: '2031-03-03T10:00:00.000Z', timeZone: 'UTC',
    recurrence: 'FREQ=WEEKLY;COUNT=3', participants: [{ personId: ana.id }],
  });
  const created = await api.post('/v1/meetings', input);
  t.equal(created.status, 201, created.text);
  const occ = (await api.get(`/v1/meetings?seriesId=${created.body.seriesId}`)).body.data as { id: string; startsAt: string }[];
  t.equal((await api.post(`/v1/meetings/${occ[1]!.id}/cancel`, { reason: 'Holiday' })).status, 200);

  const text = (await api.get(`/v1/people/${ana.id}/calendar.ics?from=2031-03-01T00:00:00Z&to=2031-03-31T00:00:00Z`)).text;
  const zones = [...text.matchAll(/^TZID:(.+)\r$/gm)].map((x) => x[1]);
  const used = [...new Set([...text.matchAll(/;TZID=([^;:]+)/g)].map((x) => x[1]))];
  t.same(used.filter((tz) => !zones.includes(tz)), [], 'no TZID without its VTIMEZONE (RFC 5545 §3.2.19)');
  const master = parseIcs(text).events.find((e) => e.rrule)!;
  t.same(master.exdates.map((d) => d.toISOString()), [occ[1]!.startsAt], 'the cancelled occurrence is excluded');
});
