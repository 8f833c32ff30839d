import t from 'tap';
import ICAL from 'ical.js';
import { buildTestApp } from './helpers.js';
import { eventsOf, meetingInput, person } from './meetings-helpers.js';
import { answerTo, invitationOf, otherCase, postItip } from './itip-helpers.js';

// An attendee accepts in their own calendar client: the REPLY it sends back updates the RSVP,
// exactly as the RSVP route would, and says so (`source: "itip"`).

t.test('a REPLY from a calendar client records the answer: folded lines, MAILTO in another case, a Chinese CN', async (t) => {
  const api = await buildTestApp(t);
  const [org, fang, bo] = [await person(api, 'Mei Chen'), await person(api, 'Wang Fang'), await person(api, 'Bo Lind')];
  const m = (await api.post('/v1/meetings', meetingInput({ organizerId: org.id, participants: [{ personId: org.id, role: 'chair' }, { personId: fang.id }, { personId: bo.id, role: 'optional' }] }))).body;
  t.equal((await api.post(`/v1/meetings/${m.id}/invitations`)).status, 200);
  const request = await invitationOf(api, m.id);

  const cn = '王芳（财务部 · 上海）Finance Business Partner for the Asia-Pacific region';
  const text = answerTo(request, { address: otherCase(fang.email), cn, partstat: 'ACCEPTED', scheme: 'MAILTO:' });
  t.match(text, /\r\n [^\r\n]/, 'the client folded a long line');
  t.match(text, /ATTENDEE;[^]*MAILTO:/, 'the scheme in capitals');
  t.ok(new ICAL.Component(ICAL.parse(text)).getFirstSubcomponent('vevent')!.getFirstProperty('attendee')!.getParameter('cn') === cn, 'ical.js reads the CN back whole');

  const res = await postItip(api, text);
  t.equal(res.status, 200, res.text);
  t.match(res.body, { method: 'REPLY', meetingIds: [m.id], participants: [{ personId: fang.id, response: 'accepted', email: fang.email }] });
  const detail = (await api.get(`/v1/meetings/${m.id}`)).body;
  t.match(detail.participants.find((p: { personId: string }) => p.personId === fang.id), { response: 'accepted', version: 2 });
  t.match(detail.participants.find((p: { personId: string }) => p.personId === bo.id), { response: 'needs_action', version: 1 }, 'nobody else answered');

  const [event] = await eventsOf(api, 'participant.responded', 1);
  t.match(event.data, { meeting: { id: m.id }, participant: { personId: fang.id, response: 'accepted' }, previousResponse: 'needs_action', source: 'itip' });
  const audit = (await api.get(`/v1/audit-events?entityType=meeting_participant&entityId=${m.id}`)).body.data.filter((a: { action: string }) => a.action === 'update');
  t.match(audit, [{ changes: { response: { before: 'needs_action', after: 'accepted' }, personId: undefined } }], 'audited like an RSVP');
  t.equal(audit.length, 1);

  // The same answer again changes nothing; another answer is recorded; the route says `api`.
  t.equal((await postItip(api, text)).status, 200);
  t.equal((await eventsOf(api, 'participant.responded', 1)).length, 1, 'no event for the same answer');
  for (const [partstat, response] of [['TENTATIVE', 'tentative'], ['DECLINED', 'declined'], ['NEEDS-ACTION', 'needs_action'], ['accepted', 'accepted']]) {
    const again = await postItip(api, answerTo(request, { address: fang.email.toUpperCase(), partstat, cn }));
    t.equal(again.status, 200, again.text);
    t.equal(again.body.participants[0].response, response, `PARTSTAT=${partstat} is ${response}`);
  }
  t.equal((await api.put(`/v1/meetings/${m.id}/participants/${bo.id}/response`, { response: 'declined' })).status, 200);
  const all = await eventsOf(api, 'participant.responded', 6);
  t.same(all.map((e: { data: { source: string; participant: { response: string } } }) => [e.data.source, e.data.participant.response]), [
    ['itip', 'accepted'], ['itip', 'tentative'], ['itip', 'declined'], ['itip', 'needs_action'], ['itip', 'accepted'], ['api', 'declined'],
  ], 'every answer with where it came from');
  const catalogue = (await api.get('/v1/event-types')).body.data.find((e: { type: string }) => e.type === 'participant.responded');
  t.same(catalogue.schema.properties.source.enum, ['api', 'itip'], 'the catalogue documents `source`');
});

t.test('a series: RECURRENCE-ID answers one occurrence, the master answers every occurrence to come', async (t) => {
  const api = await buildTestApp(t);
  const [org, fang] = [await person(api, 'Li Wei'), await person(api, 'Zhang Min')];
  const created = await api.post('/v1/meetings', meetingInput({ recurrence: 'FREQ=WEEKLY;COUNT=3', organizerId: org.id, participants: [{ personId: org.id, role: 'chair' }, { personId: fang.id }] }));
  t.equal(created.status, 201, created.text);
  const occurrences = (await api.get(`/v1/meetings?seriesId=${created.body.seriesId}`)).body.data as { id: string; startsAt: string }[];
  t.equal(occurrences.length, 3);
  t.equal((await api.post(`/v1/meetings/${occurrences[0]!.id}/invitations`)).status, 200);

  const second = await invitationOf(api, occurrences[1]!.id);
  t.match(second, /RECURRENCE-ID;TZID=Europe\/Berlin:/, 'the occurrence is named in the meeting\'s zone');
  const one = await postItip(api, answerTo(second, { address: fang.email, partstat: 'DECLINED' }));
  t.equal(one.status, 200, one.text);
  t.same(one.body.meetingIds, [occurrences[1]!.id], 'only that occurrence');

  const all = await postItip(api, answerTo(second, { address: fang.email, partstat: 'ACCEPTED', occurrence: 'master' }));
  t.equal(all.status, 200, all.text);
  t.same(all.body.meetingIds, occurrences.map((o) => o.id), 'the whole series, in order');
  for (const o of occurrences) {
    const p = (await api.get(`/v1/meetings/${o.id}/participants/${fang.id}`)).body;
    t.equal(p.response, 'accepted');
  }
  const events = await eventsOf(api, 'participant.responded', 4);
  t.same(events.map((e: { data: { meeting: { id: string }; previousResponse: string; source: string } }) => [e.data.meeting.id, e.data.previousResponse, e.data.source]), [
    [occurrences[1]!.id, 'needs_action', 'itip'],
    [occurrences[0]!.id, 'needs_action', 'itip'],
    [occurrences[1]!.id, 'declined', 'itip'],
    [occurrences[2]!.id, 'needs_action', 'itip'],
  ], 'one event per answer that changed');
  const audits = (await api.get(`/v1/audit-events?entityType=meeting_participant&entityId=${occurrences[1]!.id}`)).body.data.filter((a: { action: string }) => a.action === 'update');
  t.equal(audits.length, 2, 'each answer audited on its occurrence');
  t.equal((await postItip(api, answerTo(second, { address: fang.email, partstat: 'ACCEPTED', occurrence: 'master' }))).status, 200);
  t.equal((await eventsOf(api, 'participant.responded', 4)).length, 4, 'the same answer again changes nothing');

  // A person outside the series is not an attendee of it.
  const stranger = await person(api, 'Sam Stranger');
  t.equal((await postItip(api, answerTo(second, { address: stranger.email, occurrence: 'master' }))).status, 422);
});
