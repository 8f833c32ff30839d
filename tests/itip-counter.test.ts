import t from 'tap';
import ICAL from 'ical.js';
import { buildTestApp } from './helpers.js';
import { eventsOf, meetingInput, parseIcs, person } from './meetings-helpers.js';
import { answerTo, invitationOf, otherCase, postItip } from './itip-helpers.js';

// An attendee proposes another time from their calendar client (COUNTER); the organizer accepts
// it (the meeting moves, as a PATCH of its times would) or declines it (DECLINECOUNTER).

const answersOf = async (api: Awaited<ReturnType<typeof buildTestApp>>, meetingId: string) =>
  Object.fromEntries(((await api.get(`/v1/meetings/${meetingId}`)).body.participants as { personId: string; response: string }[]).map((p) => [p.personId, p.response]));

t.test('COUNTER → proposal; accept moves the meeting, raises SEQUENCE, asks everyone but the organizer again', async (t) => {
  const api = await buildTestApp(t);
  const [org, fang, bo] = [await person(api, 'Mei Chen'), await person(api, 'Wang Fang'), await person(api, 'Bo Lind')];
  const input = meetingInput({ organizerId: org.id, participants: [{ personId: org.id, role: 'chair' }, { personId: fang.id }, { personId: bo.id, role: 'optional' }] });
  const m = (await api.post('/v1/meetings', input)).body;
  t.equal((await api.post(`/v1/meetings/${m.id}/invitations`)).status, 200);
  for (const [id, response] of [[org.id, 'accepted'], [bo.id, 'tentative']]) t.equal((await api.put(`/v1/meetings/${m.id}/participants/${id}/response`, { response })).status, 200);
  const request = await invitationOf(api, m.id);

  const comment = '周一上午是月末结账，能否改到下午？The month-end close takes the whole morning in Shanghai.';
  const counter = answerTo(request, { method: 'COUNTER', address: otherCase(fang.email), cn: '王芳', partstat: 'TENTATIVE', start: '2031-03-03T13:00:00Z', end: '2031-03-03T14:30:00Z', comment });
  t.match(counter, /\r\n [^\r\n]/, 'folded');
  const res = await postItip(api, counter);
  t.equal(res.status, 201, res.text);
  const proposal = res.body.proposal;
  t.match(res.body, { method: 'COUNTER', meetingIds: [m.id] });
  t.match(proposal, { meetingId: m.id, personId: fang.id, name: 'Wang Fang', startsAt: '2031-03-03T13:00:00.000Z', endsAt: '2031-03-03T14:30:00.000Z', comment, status: 'proposed', sequence: 0, decidedAt: null, version: 1 });
  t.same(await answersOf(api, m.id), { [org.id]: 'accepted', [fang.id]: 'needs_action', [bo.id]: 'tentative' }, 'a proposal is no answer and moves nothing');
  const listed = await api.get(`/v1/meetings/${m.id}/time-proposals`);
  t.equal(listed.status, 200, listed.text);
  t.same(listed.body, { data: [proposal], nextCursor: null });
  const [proposed] = await eventsOf(api, 'meeting.time_proposed', 1);
  t.match(proposed.data, { meeting: { id: m.id, sequence: 0, startsAt: input.startsAt }, proposal: { id: proposal.id, status: 'proposed' } });

  const stale = await api.post(`/v1/meetings/${m.id}/time-proposals/${proposal.id}/accept`, {}, { 'if-match': '"v1"' });
  t.equal(stale.status, 412, 'If-Match names the meeting\'s version');
  const current = await api.get(`/v1/meetings/${m.id}`);
  const accepted = await api.post(`/v1/meetings/${m.id}/time-proposals/${proposal.id}/accept`, undefined, { 'if-match': String(current.headers.etag) });
  t.equal(accepted.status, 200, accepted.text);
  t.match(accepted.body, {
    proposal: { id: proposal.id, status: 'accepted', version: 2 },
    meeting: { id: m.id, startsAt: '2031-03-03T13:00:00.000Z', endsAt: '2031-03-03T14:30:00.000Z', sequence: 1 },
  });
  t.ok(accepted.body.proposal.decidedAt, 'decided at');
  t.same(await answersOf(api, m.id), { [org.id]: 'accepted', [fang.id]: 'needs_action', [bo.id]: 'needs_action' }, 'answers back to needs_action, the organizer\'s aside');
  const [updated] = await eventsOf(api, 'meeting.updated', 1);
  t.match(updated.data, { meeting: { id: m.id, sequence: 1 }, changes: { startsAt: { before: input.startsAt, after: '2031-03-03T13:00:00.000Z' } }, responsesReset: [{ personId: bo.id, previousResponse: 'tentative' }] });
  const invite = parseIcs(updated.data.ics).events[0]!;
  t.match(invite, { sequence: 1, start: new Date('2031-03-03T13:00:00Z'), end: new Date('2031-03-03T14:30:00Z') }, 'the new REQUEST');

  // Decided is decided; and the old SEQUENCE no longer proposes anything.
  t.equal((await api.post(`/v1/meetings/${m.id}/time-proposals/${proposal.id}/accept`)).status, 409);
  t.equal((await api.post(`/v1/meetings/${m.id}/time-proposals/${proposal.id}/decline`)).status, 409);
  t.equal((await postItip(api, counter)).status, 409, 'a COUNTER against SEQUENCE 0 is stale now');
  const again = await postItip(api, answerTo(await invitationOf(api, m.id), { address: fang.email, partstat: 'ACCEPTED' }));
  t.equal(again.status, 200, 'the REPLY to the new REQUEST is taken');
  t.equal((await api.get(`/v1/meetings/${m.id}/time-proposals?status=proposed`)).body.data.length, 0);
});

t.test('decline answers with a DECLINECOUNTER that ical.js reads; the meeting stays as it is', async (t) => {
  const api = await buildTestApp(t);
  const [org, fang] = [await person(api, 'Mei "Chair" Chen'), await person(api, 'Wang Fang')];
  await api.patch(`/v1/people/${fang.id}`, { name: '王芳 (Finance; Shanghai)' });
  const m = (await api.post('/v1/meetings', meetingInput({ organizerId: org.id, participants: [{ personId: org.id, role: 'chair' }, { personId: fang.id }] }))).body;
  t.equal((await api.post(`/v1/meetings/${m.id}/invitations`)).status, 200);
  const before = (await api.get(`/v1/meetings/${m.id}`)).body;

  // A client that writes the proposal in its own zone, with a DURATION.
  const request = await invitationOf(api, m.id);
  const text = answerTo(request, { method: 'COUNTER', address: fang.email, partstat: 'TENTATIVE' })
    .replace(/DTSTART;TZID=Europe\/Berlin:[0-9T]+\r\nDTEND;TZID=Europe\/Berlin:[0-9T]+/, 'DTSTART;TZID=Asia/Shanghai:20310303T200000\r\nDURATION:PT45M');
  t.match(text, /Asia\/Shanghai/);
  const res = await postItip(api, text, { 'idempotency-key': 'inbound-mail-4711' });
  t.equal(res.status, 201, res.text);
  t.match(res.body.proposal, { startsAt: '2031-03-03T12:00:00.000Z', endsAt: '2031-03-03T12:45:00.000Z', comment: null }, 'read in its TZID');
  // The mail integration delivers the same message twice: one proposal.
  const replayed = await postItip(api, text, { 'idempotency-key': 'inbound-mail-4711' });
  t.equal(replayed.status, 201);
  t.equal(replayed.headers['idempotent-replayed'], 'true');
  t.same(replayed.body, res.body);
  t.equal((await api.get(`/v1/meetings/${m.id}/time-proposals`)).body.data.length, 1);
  t.equal((await postItip(api, text.replace('PT45M', 'PT50M'), { 'idempotency-key': 'inbound-mail-4711' })).status, 422, 'another message under the same key');

  const declined = await api.post(`/v1/meetings/${m.id}/time-proposals/${res.body.proposal.id}/decline`);
  t.equal(declined.status, 200, declined.text);
  t.match(declined.body, { proposal: { status: 'declined', version: 2 }, meeting: { id: m.id, version: before.version, sequence: 0, startsAt: before.startsAt } });
  const after = (await api.get(`/v1/meetings/${m.id}`)).body;
  t.same(after, before, 'the meeting did not change');
  t.equal((await eventsOf(api, 'meeting.updated', 0)).length, 0);

  const [event] = await eventsOf(api, 'meeting.time_proposal.declined', 1);
  t.match(event.data, { meeting: { id: m.id }, proposal: { id: res.body.proposal.id, status: 'declined' } });
  const cal = new ICAL.Component(ICAL.parse(event.data.ics));
  t.equal(cal.getFirstPropertyValue('method'), 'DECLINECOUNTER');
  const ev = cal.getFirstSubcomponent('vevent')!;
  t.equal(ev.getFirstPropertyValue('uid'), `${m.id}@liaison`);
  t.equal(ev.getFirstPropertyValue('sequence'), 0);
  const attendees = ev.getAllProperties('attendee');
  t.equal(attendees.length, 1, 'the attendee who proposed');
  t.equal(attendees[0]!.getParameter('cn'), '王芳 (Finance; Shanghai)', 'the name survives the encoder');
  t.equal(String(attendees[0]!.getFirstValue()), `mailto:${fang.email}`);
  t.match(String(ev.getFirstProperty('organizer')!.getFirstValue()), `mailto:${org.email}`);
  t.match(parseIcs(event.data.ics).events[0], { start: new Date(before.startsAt), end: new Date(before.endsAt) }, 'the time that stands');
  t.same((await api.get(`/v1/meetings/${m.id}/time-proposals?status=declined`)).body.data.map((p: { id: string }) => p.id), [res.body.proposal.id]);
});
