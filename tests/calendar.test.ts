import t from 'tap';
import ICAL from 'ical.js';
import { buildTestApp } from './helpers.js';
import { eventsOf, meetingInput, parseIcs, person } from './meetings-helpers.js';

t.test('a meeting\'s calendar: every property a calendar client needs, and its cancellation', async (t) => {
  const api = await buildTestApp(t);
  const chair = await person(api, 'Li Wei');
  const guest = await person(api, 'Guest');
  const m = (await api.post('/v1/meetings', meetingInput({
    title: '跨部门协调会',
    objective: 'Settle the rollout; owners, dates',
    timeZone: 'Asia/Shanghai',
    onlineUrl: 'https://meet.example.com/abc',
    organizerId: chair.id,
    participants: [{ personId: chair.id, role: 'chair' }, { personId: guest.id, role: 'optional' }],
    agendaItems: [{ title: 'Status', durationMinutes: 10 }, { title: 'Risks; blockers', durationMinutes: 20 }],
  }))).body;

  const res = await api.get(`/v1/meetings/${m.id}/calendar.ics`);
  t.equal(res.status, 200);
  t.match(res.headers['content-type'], /^text\/calendar; charset=utf-8/);
  t.match(res.headers['content-disposition'], /attachment; filename="meeting-.*\.ics"/);
  t.match(res.text, /\r\n/, 'CRLF line endings');
  let ics = parseIcs(res.text);
  t.equal(ics.method, 'REQUEST');
  t.same(ics.timezones, ['Asia/Shanghai']);
  t.equal(ics.events.length, 1);
  let ev = ics.events[0]!;
  t.match(ev, {
    uid: `${m.id}@liaison`, sequence: 0, status: 'TENTATIVE', summary: '跨部门协调会', tzid: 'Asia/Shanghai',
    url: 'https://meet.example.com/abc', location: 'https://meet.example.com/abc', rrule: null, recurrenceId: null,
  });
  t.equal(ev.start.toISOString(), m.startsAt);
  t.equal(ev.end.toISOString(), m.endsAt);
  t.match(ev.description, /Settle the rollout; owners, dates[\s\S]*1\. Status \(10 min\)\n2\. Risks; blockers \(20 min\)[\s\S]*Join: https:\/\/meet\.example\.com\/abc/);
  t.match(ev.organizer, new RegExp(`mailto:${chair.email}`, 'i'));
  const byName = (e: typeof ev, cn: string) => e.attendees.find((a) => a.cn === cn);
  t.equal(ev.attendees.length, 2);
  t.match(byName(ev, 'Li Wei'), { role: 'CHAIR', partstat: 'ACCEPTED', email: chair.email.toLowerCase() }, 'the organizer has nothing to answer');
  t.match(byName(ev, 'Guest'), { role: 'OPT-PARTICIPANT', partstat: 'NEEDS-ACTION' });
  t.match(res.text, /DTSTART;TZID=Asia\/Shanghai:20310303T170000/, 'wall-clock time in the meeting\'s zone');

  await api.post(`/v1/meetings/${m.id}/invitations`);
  await api.put(`/v1/meetings/${m.id}/participants/${guest.id}/response`, { response: 'accepted' });
  await api.patch(`/v1/meetings/${m.id}`, { location: 'Room 8' });
  ev = parseIcs((await api.get(`/v1/meetings/${m.id}/calendar.ics`)).text).events[0]!;
  t.match(ev, { status: 'CONFIRMED', sequence: 1, location: 'Room 8' });
  t.equal(byName(ev, 'Guest')!.partstat, 'ACCEPTED');
  t.equal(ev.uid, `${m.id}@liaison`, 'the UID is stable across changes');

  await api.post(`/v1/meetings/${m.id}/cancel`, { reason: 'Moved into the quarterly review' });
  const cancel = parseIcs((await api.get(`/v1/meetings/${m.id}/calendar.ics`)).text);
  t.equal(cancel.method, 'CANCEL');
  t.match(cancel.events[0], { uid: `${m.id}@liaison`, status: 'CANCELLED', sequence: 2 });
  const [event] = await eventsOf(api, 'meeting.cancelled', 1);
  t.same(parseIcs(event.data.ics).events[0]!.sequence, 2);

  const other = await api.newOrganization();
  t.equal((await other.get(`/v1/meetings/${m.id}/calendar.ics`)).status, 404);
});

t.test('a person\'s calendar: their meetings in a window, refusals', async (t) => {
  const api = await buildTestApp(t);
  const ana = await person(api, 'Ana');
  const bo = await person(api, 'Bo');
  const mk = (day: number, who: string[], organizerId?: string) =>
    api.post('/v1/meetings', meetingInput({
      startsAt: `2031-06-${String(day).padStart(2, '0')}T09:00:00.000Z`, endsAt: `2031-06-${String(day).padStart(2, '0')}T10:00:00.000Z`,
      participants: who.map((personId) => ({ personId })), organizerId,
    }));
  const a1 = (await mk(2, [ana.id])).body;
  const both = (await mk(3, [ana.id, bo.id])).body;
  await mk(4, [bo.id]);
  const organised = (await mk(5, [bo.id], ana.id)).body;
  await mk(28, [ana.id]);

  const feed = await api.get(`/v1/people/${ana.id}/calendar.ics?from=2031-06-01T00:00:00Z&to=2031-06-10T00:00:00Z`);
  t.equal(feed.status, 200);
  const ics = parseIcs(feed.text);
  t.equal(ics.method, 'PUBLISH');
  t.same(ics.events.map((e) => e.uid), [a1.id, both.id, organised.id].map((id) => `${id}@liaison`));

  t.equal((await api.get(`/v1/people/${ana.id}/calendar.ics?from=2031-06-10T00:00:00Z&to=2031-06-01T00:00:00Z`)).status, 400);
  t.equal((await api.get(`/v1/people/${ana.id}/calendar.ics?from=2031-01-01T00:00:00Z&to=2033-01-01T00:00:00Z`)).status, 400);
  const other = await api.newOrganization();
  t.equal((await other.get(`/v1/people/${ana.id}/calendar.ics`)).status, 404);
  const empty = parseIcs((await api.get(`/v1/people/${bo.id}/calendar.ics?from=2030-01-01T00:00:00Z&to=2030-02-01T00:00:00Z`)).text);
  t.equal(empty.events.length, 0);
});

t.test('RSVP: asked in a REQUEST of those whose answer is open, never of the organizer', async (t) => {
  const api = await buildTestApp(t);
  const chair = await person(api, 'Chair');
  const ana = await person(api, 'Ana');
  const bo = await person(api, 'Bo');
  const outsider = await person(api, 'Organiser only');
  const m = (await api.post('/v1/meetings', meetingInput({
    organizerId: chair.id,
    participants: [{ personId: chair.id, role: 'chair' }, { personId: ana.id }, { personId: bo.id, role: 'optional' }],
  }))).body;
  // Per attendee address: [PARTSTAT, RSVP], read by ical.js.
  const answers = (text: string) => {
    const [ev] = new ICAL.Component(ICAL.parse(text)).getAllSubcomponents('vevent');
    return Object.fromEntries(ev!.getAllProperties('attendee').map((p) => [
      String(p.getFirstValue()).replace(/^mailto:/, ''), [p.getParameter('partstat'), p.getParameter('rsvp') ?? null],
    ]));
  };
  const request = async () => answers((await api.get(`/v1/meetings/${m.id}/calendar.ics`)).text);

  t.same(await request(), {
    [chair.email]: ['ACCEPTED', null],
    [ana.email]: ['NEEDS-ACTION', 'TRUE'],
    [bo.email]: ['NEEDS-ACTION', 'TRUE'],
  }, 'everyone but the organizer is asked to answer');

  await api.put(`/v1/meetings/${m.id}/participants/${ana.id}/response`, { response: 'accepted' });
  await api.put(`/v1/meetings/${m.id}/participants/${bo.id}/response`, { response: 'tentative' });
  t.same(await request(), {
    [chair.email]: ['ACCEPTED', null],
    [ana.email]: ['ACCEPTED', null],
    [bo.email]: ['TENTATIVE', null],
  }, 'an answer given is not asked for again');

  await api.put(`/v1/meetings/${m.id}/participants/${chair.id}/response`, { response: 'declined' });
  t.same((await request())[chair.email], ['DECLINED', null], "the organizer's own decline is kept");

  await api.put(`/v1/meetings/${m.id}/participants/${ana.id}/response`, { response: 'needs_action' });
  const feed = await api.get(`/v1/people/${ana.id}/calendar.ics?from=2031-03-01T00:00:00Z&to=2031-03-10T00:00:00Z`);
  t.same(Object.values(answers(feed.text)).map(([, rsvp]) => rsvp), [null, null, null], 'a PUBLISH feed expects no reply');
  t.same((await request())[ana.email], ['NEEDS-ACTION', 'TRUE'], 'a reopened answer is asked for again');

  // An organizer who is not a participant is the ORGANIZER only.
  const other = (await api.post('/v1/meetings', meetingInput({ organizerId: outsider.id, participants: [{ personId: ana.id }] }))).body;
  const otherIcs = (await api.get(`/v1/meetings/${other.id}/calendar.ics`)).text;
  t.same(answers(otherIcs), { [ana.email]: ['NEEDS-ACTION', 'TRUE'] });
  t.equal(new ICAL.Component(ICAL.parse(otherIcs)).getFirstSubcomponent('vevent')!.getFirstPropertyValue('organizer'), `mailto:${outsider.email}`);

  await api.post(`/v1/meetings/${m.id}/cancel`, { reason: 'Not needed' });
  const cancel = (await api.get(`/v1/meetings/${m.id}/calendar.ics`)).text;
  t.match(cancel, /METHOD:CANCEL/);
  t.same(Object.values(answers(cancel)).map(([, rsvp]) => rsvp), [null, null, null], 'a CANCEL expects no reply');
});
