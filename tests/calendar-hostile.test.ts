import t, { type Test } from 'tap';
import ICAL from 'ical.js';
import icalendar from 'icalendar';
import { buildTestApp, type TestApp } from './helpers.js';
import { eventsOf, meetingInput, person } from './meetings-helpers.js';

// Hostile names, titles and places through every calendar the service emits (a meeting's
// REQUEST, the invitation and cancellation events' calendars, a person's PUBLISH feed), read
// back by two independent parsers: ical.js and `icalendar` (its own RFC 5545 parser). Each must
// see the real addresses and the exact text, and nothing a name or title tried to add.

type Person = Awaited<ReturnType<typeof person>>;

// What a client must read back from stored text: line breaks as `\n`, and without the control
// characters RFC 5545 allows nowhere in a calendar.
// eslint-disable-next-line no-control-regex
const readable = (s: string) => s.replace(/\r\n|\r/g, '\n').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
// RFC 6868, decoded here independently of the service's encoder: `icalendar` does not know it.
const rfc6868 = (s: string) => s.replace(/\^(['n^])/g, (_, c: string) => (c === "'" ? '"' : c === 'n' ? '\n' : '^'));

const hostileNames = [
  'Bob":mailto:attacker@evil.example;X-A="',
  'John "JJ" Smith',
  'Ann; Lee, Jr.: ^up^ \\back\\slash\\',
  'Eve\r\nATTENDEE;CN=Mallory:mailto:mallory@evil.example\u0007',
  '王小明 😀 Zoë\tand tab',
];
const title = `${'Q3 sync; budget, \\scope\\ 跨部门协调会😀'.repeat(4)}\r\nATTENDEE:mailto:attacker@evil.example`;
const location = 'Room "A"; Floor 2, \\East\\ — 会议室 🏢\r\nLOCATION;X-Y="a":mailto:attacker@evil.example';
const objective = `Line one; with, punctuation \\ and "quotes"\nLine two: 二号 😀\r\nDESCRIPTION:injected\n${'长'.repeat(120)}`;
const agendaTitle = 'Item; one, \\ "x" ^^\rORGANIZER:mailto:attacker@evil.example';
const onlineUrl = 'https://meet.example.com/j/1?a=1;b=2,c';

/** Every physical line CRLF-ended, at most 75 octets, and valid UTF-8 on its own (a fold never splits a character). */
function checkLines(t: Test, bytes: Buffer) {
  const text = bytes.toString('latin1');
  t.ok(text.endsWith('\r\n'), 'the last line ends with CRLF');
  t.notOk(/\r(?!\n)|(?<!\r)\n/.test(text), 'no bare CR or LF');
  const lines = text.slice(0, -2).split('\r\n').map((l) => Buffer.from(l, 'latin1'));
  const long = lines.filter((l) => l.length > 75);
  t.same(long.map((l) => l.toString()), [], 'no line over 75 octets');
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const broken = lines.filter((l) => {
    try {
      decoder.decode(l);
      return false;
    } catch {
      return true;
    }
  });
  t.same(broken.map((l) => l.toString('hex')), [], 'no folded line splits a UTF-8 sequence');
  t.ok(lines.some((l) => l[0] === 0x20), 'long values were folded');
}

interface Read {
  method: string;
  props: string[];
  summary: string;
  location: string;
  description: string;
  url: string;
  start: Date;
  organizer: { value: string; cn: string; params: string[] };
  attendees: { value: string; cn: string; params: string[] }[];
}

function readWithIcalJs(text: string): Read {
  const cal = new ICAL.Component(ICAL.parse(text));
  for (const z of cal.getAllSubcomponents('vtimezone')) {
    const tz = new ICAL.Timezone(z);
    ICAL.TimezoneService.register(tz, tz.tzid);
  }
  const events = cal.getAllSubcomponents('vevent');
  if (events.length !== 1) throw new Error(`expected one VEVENT, got ${events.length}`);
  const ev = events[0]!;
  const address = (p: ICAL.Property) => ({
    value: String(p.getFirstValue()),
    cn: String(p.getParameter('cn')),
    params: Object.keys(p.toJSON()[1] as object).sort(),
  });
  return {
    method: String(cal.getFirstPropertyValue('method')),
    props: ev.getAllProperties().map((p) => p.name.toUpperCase()),
    summary: String(ev.getFirstPropertyValue('summary')),
    location: String(ev.getFirstPropertyValue('location')),
    description: String(ev.getFirstPropertyValue('description')),
    url: String(ev.getFirstPropertyValue('url')),
    start: (ev.getFirstPropertyValue('dtstart') as ICAL.Time).toJSDate(),
    organizer: address(ev.getFirstProperty('organizer')!),
    attendees: ev.getAllProperties('attendee').map(address),
  };
}

function readWithIcalendar(text: string): Read & { rawCn: string[] } {
  const cal = icalendar.parse_calendar(text);
  const events = cal.getComponents('VEVENT');
  if (events.length !== 1) throw new Error(`expected one VEVENT, got ${events.length}`);
  const ev = events[0]!;
  const one = (name: string) => {
    const list = ev.getProperties(name);
    if (list.length !== 1) throw new Error(`expected one ${name}, got ${list.length}`);
    return list[0]!;
  };
  const address = (p: { value: unknown; parameters: Record<string, string> }) => ({
    value: String(p.value),
    cn: rfc6868(p.parameters.CN ?? ''),
    params: Object.keys(p.parameters).map((k) => k.toLowerCase()).sort(),
  });
  return {
    method: String(cal.getPropertyValue('METHOD')),
    props: Object.entries(ev.properties).flatMap(([name, list]) => list.map(() => name)),
    summary: String(one('SUMMARY').value),
    location: String(one('LOCATION').value),
    description: String(one('DESCRIPTION').value),
    url: String(one('URL').value),
    start: one('DTSTART').value as Date,
    organizer: address(one('ORGANIZER')),
    attendees: ev.getProperties('ATTENDEE').map(address),
    rawCn: [one('ORGANIZER'), ...ev.getProperties('ATTENDEE')].map((p) => p.parameters.CN ?? ''),
  };
}

async function rawGet(api: TestApp, url: string): Promise<Buffer> {
  const res = await api.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${api.key}` } });
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${res.body}`);
  return res.rawPayload;
}

t.test('hostile names, titles and places stay text in every calendar, for two independent parsers', async (t) => {
  const api = await buildTestApp(t);
  const people: Person[] = [];
  for (const name of hostileNames) people.push(await person(api, name));
  const [organizer, quoted] = people as [Person, Person];
  const created = await api.post('/v1/meetings', meetingInput({
    title, objective, location, onlineUrl,
    // A zone without daylight saving: `icalendar` reads only VTIMEZONEs built from RRULEs, and
    // zone rules are not what this test is about.
    timeZone: 'Asia/Shanghai',
    organizerId: organizer.id,
    participants: people.map((p, i) => ({ personId: p.id, role: i === 0 ? 'chair' : 'required' })),
    agendaItems: [{ title: agendaTitle, durationMinutes: 15 }],
  }));
  t.equal(created.status, 201, created.text);
  const m = created.body;
  const stored = { title: m.title as string, location: m.location as string, objective: m.objective as string, agenda: m.agendaItems[0].title as string };
  t.match(stored.title, /\r\nATTENDEE:mailto:attacker@evil\.example$/, 'the API kept the hostile text as given');

  const calendars: [string, string, Buffer][] = [];
  calendars.push(['meeting calendar', 'REQUEST', await rawGet(api, `/v1/meetings/${m.id}/calendar.ics`)]);
  t.equal((await api.post(`/v1/meetings/${m.id}/invitations`)).status, 200);
  const [sent] = await eventsOf(api, 'meeting.invitation.sent', 1);
  calendars.push(['invitation event', 'REQUEST', Buffer.from(sent.data.ics, 'utf8')]);
  for (const p of [organizer, quoted]) {
    calendars.push([`feed of ${p.name}`, 'PUBLISH', await rawGet(api, `/v1/people/${p.id}/calendar.ics?from=2031-03-01T00:00:00Z&to=2031-03-10T00:00:00Z`)]);
  }
  t.equal((await api.post(`/v1/meetings/${m.id}/cancel`, { reason: 'Injected; "quoted"\r\nMETHOD:PUBLISH' })).status, 200);
  const [cancelled] = await eventsOf(api, 'meeting.cancelled', 1);
  calendars.push(['cancellation event', 'CANCEL', Buffer.from(cancelled.data.ics, 'utf8')]);

  const expectedAttendees = people.map((p) => ({ value: `mailto:${p.email}`, cn: readable(p.name) })).sort((a, b) => a.value.localeCompare(b.value));
  const expectedProps = {
    UID: 1, SEQUENCE: 1, DTSTAMP: 1, DTSTART: 1, DTEND: 1, SUMMARY: 1, LOCATION: 1, DESCRIPTION: 1, ORGANIZER: 1, ATTENDEE: people.length, URL: 1, STATUS: 1,
  };
  for (const [label, method, bytes] of calendars) {
    await t.test(label, async (t) => {
      checkLines(t, bytes);
      const text = bytes.toString('utf8');
      for (const [parser, reader] of [['ical.js', readWithIcalJs], ['icalendar', readWithIcalendar]] as const) {
        await t.test(parser, async (t) => {
          const read = reader(text);
          t.equal(read.method, method, 'METHOD');
          t.same(read.organizer, { value: `mailto:${organizer.email}`, cn: readable(organizer.name), params: ['cn'] }, "the organizer's real address and whole name");
          t.same(
            read.attendees.map((a) => ({ value: a.value, cn: a.cn })).sort((a, b) => a.value.localeCompare(b.value)),
            expectedAttendees,
            "every attendee's real address and whole name, no one added",
          );
          for (const a of read.attendees) t.same(a.params.filter((p) => !['cn', 'partstat', 'role', 'rsvp'].includes(p)), [], `no parameter added to ${a.value}`);
          t.notOk([read.organizer, ...read.attendees].some((a) => a.value.includes('@evil.example')), 'no attacker address is an address');
          t.equal(read.summary, readable(stored.title), 'SUMMARY');
          t.equal(read.location, readable(stored.location), 'LOCATION');
          t.ok(read.description.startsWith(`${readable(stored.objective)}\n\nAgenda:\n1. ${readable(stored.agenda)} (15 min)`), 'DESCRIPTION');
          t.equal(read.url, onlineUrl, 'URL as given, nothing escaped in it');
          t.equal(read.start.toISOString(), m.startsAt, 'DTSTART');
          const counts: Record<string, number> = {};
          for (const p of read.props) counts[p] = (counts[p] ?? 0) + 1;
          t.same(counts, expectedProps, 'exactly the properties the service writes, none injected');
        });
      }
      await t.test('parameter encoding, as written', async (t) => {
        const { rawCn } = readWithIcalendar(text);
        t.ok(rawCn.every((cn) => !cn.includes('"')), 'no quote inside a parameter value');
        t.ok(rawCn.includes("John ^'JJ^' Smith"), 'quotes in a name are RFC 6868-encoded');
      });
    });
  }
});
