import t, { type Test } from 'tap';
import { buildTestApp, type Answer, type TestApp } from './helpers.js';
import { meetingInput, person } from './meetings-helpers.js';
import { answerTo, invitationOf, postItip, type ClientAnswer } from './itip-helpers.js';

// Every refusal of POST /v1/calendar/itip and of the proposal decisions: its status, a
// problem+json saying where, and nothing written (no answer, proposal, audit record or event).

const TABLES = ['meeting_time_proposals', 'audit_events', 'events', 'idempotency_keys'];

async function state(api: TestApp) {
  const out: Record<string, unknown> = {};
  for (const table of TABLES) out[table] = await api.count(table);
  out.participants = await api.database.sql`select meeting_id, person_id, response, version from meeting_participants order by 1, 2`;
  out.meetings = await api.database.sql`select id, version, sequence, starts_at from meetings order by 1`;
  return out;
}

async function refused(t: Test, api: TestApp, label: string, send: () => Promise<Answer>, status: number, detail?: RegExp) {
  const before = await state(api);
  const res = await send();
  t.equal(res.status, status, `${label}: ${status} (got ${res.status} ${res.text.slice(0, 300)})`);
  t.equal(res.headers['content-type'], 'application/problem+json', `${label}: problem+json`);
  if (detail) t.match(res.body.detail, detail, `${label}: says where (${res.body.detail})`);
  t.same(await state(api), before, `${label}: nothing written`);
  return res;
}

t.test('REPLY and COUNTER refusals', async (t) => {
  const api = await buildTestApp(t);
  const [org, fang, stranger] = [await person(api, 'Mei Chen'), await person(api, 'Wang Fang'), await person(api, 'Sam Stranger')];
  const m = (await api.post('/v1/meetings', meetingInput({ organizerId: org.id, participants: [{ personId: org.id, role: 'chair' }, { personId: fang.id }] }))).body;
  t.equal((await api.post(`/v1/meetings/${m.id}/invitations`)).status, 200);
  const request = await invitationOf(api, m.id);
  const reply = (extra: Partial<ClientAnswer> = {}) => answerTo(request, { address: fang.email, partstat: 'ACCEPTED', ...extra });
  const lines = reply().split('\r\n');
  const lineOf = (re: RegExp, text = reply()) => text.split('\r\n').findIndex((l) => re.test(l)) + 1;

  await refused(t, api, 'unknown UID', () => postItip(api, reply({ uid: '0b5f3c1e-7d0a-4f62-9a57-2f1d6c0e4a11@liaison' })), 404, /UID/);
  await refused(t, api, 'a UID Liaison never wrote', () => postItip(api, reply({ uid: '040000008200E00074C5B7101A82E008@outlook.com' })), 404);
  const other = await api.newOrganization();
  await refused(t, api, "another organisation's meeting", () => postItip(other, reply()), 404);
  await refused(t, api, 'unknown attendee', () => postItip(api, reply({ address: 'nobody@example.com' })), 422, /nobody@example\.com.*line \d+/);
  await refused(t, api, 'a person of the organisation who takes no part', () => postItip(api, reply({ address: stranger.email })), 422);
  await refused(t, api, 'COUNTER by an unknown attendee', () => postItip(api, reply({ method: 'COUNTER', address: 'nobody@example.com', start: '2031-03-03T12:00:00Z', end: '2031-03-03T13:00:00Z' })), 422);

  const bad: [string, string, RegExp][] = [
    ['a line without a colon', lines.map((l) => (l.startsWith('SUMMARY') ? 'SUMMARY no colon here' : l)).join('\r\n'), new RegExp(`line ${lineOf(/^SUMMARY/)}\\b`)],
    ['a DTSTART that is no date', reply({ method: 'COUNTER', start: '2031-03-03T12:00:00Z', end: '2031-03-03T13:00:00Z' }).replace(/DTSTART:\d+T\d+Z/, 'DTSTART:tomorrow'), /line \d+: DTSTART/],
    ['no METHOD', lines.filter((l) => !l.startsWith('METHOD')).join('\r\n'), /line 1\b.*METHOD/],
    ['METHOD:REQUEST', reply({ method: 'REQUEST' }), new RegExp(`METHOD:REQUEST \\(line ${lineOf(/^METHOD/)}\\)`)],
    ['METHOD:REFRESH', reply({ method: 'REFRESH' }), /REPLY or COUNTER/],
    ['no ATTENDEE', lines.filter((l) => !l.startsWith('ATTENDEE')).join('\r\n'), /ATTENDEE/],
    ['two ATTENDEEs', lines.flatMap((l) => (l.startsWith('ATTENDEE') ? [l, 'ATTENDEE;PARTSTAT=ACCEPTED:mailto:other@example.com'] : [l])).join('\r\n'), new RegExp(`line ${lineOf(/^ATTENDEE/) + 1}\\b`)],
    ['PARTSTAT=DELEGATED', reply({ partstat: 'DELEGATED' }), /DELEGATED/],
    ['no UID', lines.filter((l) => !l.startsWith('UID')).join('\r\n'), /UID/],
    ['a COUNTER without an end', reply({ method: 'COUNTER', start: '2031-03-03T12:00:00Z', end: '2031-03-03T13:00:00Z' }).replace(/DTEND:[^\r\n]+\r\n/, ''), /DTEND or a DURATION/],
    ['a COUNTER ending before it starts', reply({ method: 'COUNTER', start: '2031-03-03T12:00:00Z', end: '2031-03-03T11:00:00Z' }), /end after it starts/],
    ['an END that closes nothing open', reply().replace('END:VEVENT', 'END:VTODO'), /END:VTODO/],
    ['not a calendar', 'Hello, I accept!', /line 1\b/],
    ['a COMMENT too long', reply({ comment: 'x'.repeat(2001) }), /COMMENT/],
  ];
  for (const [label, text, where] of bad) {
    const res = await refused(t, api, label, () => postItip(api, text), 400, where);
    t.match(res.body.errors, [{ path: 'body', message: /^line \d+/ }], `${label}: errors[] names the line`);
  }
  await refused(t, api, 'JSON instead of a calendar', () => api.post('/v1/calendar/itip', { method: 'REPLY' }), 415);
  await refused(t, api, 'text/plain', () => api.request('POST', '/v1/calendar/itip', reply(), { 'content-type': 'text/plain' }), 415);
  const reader = await api.keyWith(['read']);
  await refused(t, api, 'a key without write', () => postItip(reader, reply()), 403);

  // SEQUENCE: the meeting moved after the invitation went out.
  t.equal((await api.patch(`/v1/meetings/${m.id}`, { startsAt: '2031-03-03T10:00:00.000Z', endsAt: '2031-03-03T11:00:00.000Z' })).status, 200);
  await refused(t, api, 'stale SEQUENCE', () => postItip(api, reply()), 409, /SEQUENCE 0.*SEQUENCE 1/);
  await refused(t, api, 'stale COUNTER', () => postItip(api, reply({ method: 'COUNTER', start: '2031-03-03T12:00:00Z', end: '2031-03-03T13:00:00Z' })), 409);
  const moved = await invitationOf(api, m.id);
  t.equal((await postItip(api, answerTo(moved, { address: fang.email, partstat: 'ACCEPTED' }))).status, 200, 'the current SEQUENCE is taken');

  // A cancelled meeting answers nothing more.
  t.equal((await api.post(`/v1/meetings/${m.id}/cancel`, { reason: 'Merged into the quarterly review' })).status, 200);
  const cancelled = await invitationOf(api, m.id);
  await refused(t, api, 'a cancelled meeting', () => postItip(api, answerTo(cancelled, { address: fang.email, partstat: 'DECLINED' })), 409, /cancelled/);
});

t.test('proposal decisions and a series COUNTER', async (t) => {
  const api = await buildTestApp(t);
  const [org, fang] = [await person(api, 'Mei Chen'), await person(api, 'Wang Fang')];
  const m = (await api.post('/v1/meetings', meetingInput({ organizerId: org.id, participants: [{ personId: fang.id }] }))).body;
  t.equal((await api.post(`/v1/meetings/${m.id}/invitations`)).status, 200);
  const counter = await postItip(api, answerTo(await invitationOf(api, m.id), { method: 'COUNTER', address: fang.email, start: '2031-03-03T12:00:00Z', end: '2031-03-03T13:00:00Z' }));
  t.equal(counter.status, 201, counter.text);
  const id = counter.body.proposal.id as string;
  const other = await api.newOrganization();
  await refused(t, api, "another organisation's proposal", () => other.post(`/v1/meetings/${m.id}/time-proposals/${id}/accept`), 404);
  await refused(t, api, "another organisation's list", () => other.get(`/v1/meetings/${m.id}/time-proposals`), 404);
  await refused(t, api, 'an unknown proposal', () => api.post(`/v1/meetings/${m.id}/time-proposals/0b5f3c1e-7d0a-4f62-9a57-2f1d6c0e4a11/decline`), 404);
  await refused(t, api, 'stale If-Match on accept', () => api.post(`/v1/meetings/${m.id}/time-proposals/${id}/accept`, {}, { 'if-match': '"v1"' }), 412);
  await refused(t, api, 'stale If-Match on decline', () => api.post(`/v1/meetings/${m.id}/time-proposals/${id}/decline`, {}, { 'if-match': '"v1"' }), 412);
  await refused(t, api, 'a body on accept', () => api.post(`/v1/meetings/${m.id}/time-proposals/${id}/accept`, { startsAt: 'now' }), 400);
  await refused(t, api, 'a bad status filter', () => api.get(`/v1/meetings/${m.id}/time-proposals?status=maybe`), 400);

  const series = await api.post('/v1/meetings', meetingInput({ recurrence: 'FREQ=WEEKLY;COUNT=2', organizerId: org.id, participants: [{ personId: fang.id }] }));
  t.equal((await api.post(`/v1/meetings/${series.body.id}/invitations`)).status, 200);
  const seriesInvite = await invitationOf(api, series.body.id);
  await refused(t, api, 'a COUNTER for a whole series', () => postItip(api, answerTo(seriesInvite, { method: 'COUNTER', occurrence: 'master', address: fang.email, start: '2031-03-03T12:00:00Z', end: '2031-03-03T13:00:00Z' })), 422, /series/);
  await refused(t, api, 'a RECURRENCE-ID the series never had', () => postItip(api, answerTo(seriesInvite, { address: fang.email }).replace(/RECURRENCE-ID;TZID=Europe\/Berlin:\d{8}T\d{6}/, 'RECURRENCE-ID;TZID=Europe/Berlin:20310304T090000')), 404, /RECURRENCE-ID/);
  t.equal((await postItip(api, answerTo(seriesInvite, { method: 'COUNTER', address: fang.email, start: '2031-03-03T12:00:00Z', end: '2031-03-03T13:00:00Z' }))).status, 201, 'a COUNTER for one occurrence is taken');
});
