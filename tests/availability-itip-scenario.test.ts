import t from 'tap';
import { buildTestApp } from './helpers.js';
import { at, department, findTimes, personIn, putCalendar, vfreebusy, weekdays } from './availability-helpers.js';
import { eventsOf, parseIcs } from './meetings-helpers.js';
import { answerTo, otherCase, postItip } from './itip-helpers.js';

// The end-to-end case of SPEC §7: finance in Shanghai, marketing in Berlin, R&D in New York must
// meet; three key contacts are required, two colleagues optional, R&D's external calendar is
// imported as VFREEBUSY. find-times proposes the real overlap of the three working days; the
// meeting is booked at the first candidate and invited; the calendars answer by iTIP: finance
// accepts (REPLY), R&D proposes another time (COUNTER), and the organizer accepts the proposal.
//
// Week of Monday 11 January 2027 (Shanghai UTC+8, Berlin UTC+1, New York UTC-5). At work:
//   finance   (Asia/Shanghai)     09:00-12:00, 13:00-18:00, 20:00-22:00 → 12-14 UTC in the evening
//   marketing (Europe/Berlin)     09:00-17:00                           → 08-16 UTC
//   R&D       (America/New_York)  07:00-15:00                           → 12-20 UTC
// All three: 12:00-14:00 UTC. R&D is busy Monday 12:00-13:00 (external), so hour-long slots on a
// 30-minute grid are Mon 13:00 and Tue-Fri 12:00, 12:30, 13:00. The optional colleagues: Olga
// (Berlin, the organisation's 08:00-18:00 → 07-17 UTC) is free then, except Monday 13:00-14:00
// (external); Li (Shanghai, 08:00-18:00 → 00-10 UTC) is never at work then.

const [MON, TUE, WED] = ['2027-01-11', '2027-01-12', '2027-01-13'];
const window = { from: '2027-01-11T00:00:00Z', to: '2027-01-16T00:00:00Z' };

t.test('find a time across Shanghai, Berlin and New York, book it, and let the calendars answer', async (t) => {
  const api = await buildTestApp(t);
  t.equal((await api.patch('/v1/organization', { defaultTimeZone: 'Europe/Berlin', defaultWorkingHours: weekdays(['08:00', '18:00']) })).status, 200);
  const [finance, marketing, rnd] = [await department(api, 'Finance'), await department(api, 'Marketing'), await department(api, 'Research')];
  const fin = await personIn(api, '王芳', 'Asia/Shanghai', weekdays(['09:00', '12:00'], ['13:00', '18:00'], ['20:00', '22:00']), finance);
  const mkt = await personIn(api, 'Greta Vogel', 'Europe/Berlin', weekdays(['09:00', '17:00']), marketing);
  const dev = await personIn(api, 'Dana Brooks', 'America/New_York', weekdays(['07:00', '15:00']), rnd);
  const olga = await personIn(api, 'Olga Weiss', null, null, marketing);
  const li = await personIn(api, 'Li Na', 'Asia/Shanghai', null, finance);
  for (const p of [fin, mkt, dev]) t.equal((await api.patch(`/v1/people/${p.id}`, { keyContact: true })).status, 200);

  const imported = await putCalendar(api, dev.id, 'exchange', vfreebusy(window.from, window.to, [{ start: at(MON, '12:00'), end: at(MON, '13:00') }]));
  t.equal(imported.status, 200, imported.text);
  t.equal((await api.put(`/v1/people/${olga.id}/busy-blocks/google`, { ...window, blocks: [{ startsAt: at(MON, '13:00'), endsAt: at(MON, '14:00') }] })).status, 200);

  const found = await findTimes(api, { required: [fin.id, mkt.id, dev.id], optional: [olga.id, li.id], durationMinutes: 60, granularityMinutes: 30, ...window, limit: 20 });
  t.equal(found.status, 200, found.text);
  const days = [TUE, WED, '2027-01-14', '2027-01-15'];
  t.same(found.body.candidates.map((c: { startsAt: string }) => c.startsAt), [...days.flatMap((d) => ['12:00', '12:30', '13:00'].map((h) => at(d, h))), at(MON, '13:00')],
    'only inside all three working days, Olga free first, then by time');
  t.same(found.body.candidates.map((c: { score: number }) => c.score), [...Array(12).fill(0.5), 0]);

  // Booked at the first candidate, with an ordinary POST /v1/meetings, and invited.
  const best = found.body.candidates[0];
  const created = await api.post('/v1/meetings', {
    title: '跨部门季度结算 / Quarter close across departments',
    startsAt: best.startsAt,
    endsAt: best.endsAt,
    timeZone: 'Europe/Berlin',
    organizerId: mkt.id,
    participants: [{ personId: mkt.id, role: 'chair' }, { personId: fin.id }, { personId: dev.id }, { personId: olga.id, role: 'optional' }, { personId: li.id, role: 'optional' }],
  });
  t.equal(created.status, 201, created.text);
  const id = created.body.id as string;
  const partstats = (others: string) => Object.fromEntries([mkt, fin, dev, olga, li].map((p) => [p.email.toLowerCase(), p === mkt ? 'ACCEPTED' : others]));
  const sent = await api.post(`/v1/meetings/${id}/invitations`);
  t.equal(sent.status, 200, sent.text);
  t.match(sent.body, { status: 'scheduled', sequence: 0, startsAt: at(TUE, '12:00') });
  const [invitation] = await eventsOf(api, 'meeting.invitation.sent', 1);
  const request = invitation.data.ics as string;
  t.same(Object.fromEntries(parseIcs(request).events[0]!.attendees.map((a) => [a.email, a.partstat])), partstats('NEEDS-ACTION'), 'the organizer listed as attending, the others asked');
  t.equal((await api.put(`/v1/meetings/${id}/participants/${mkt.id}/response`, { response: 'accepted' })).status, 200, 'the organizer answers in Liaison');

  // Finance accepts in her mail client; R&D proposes Wednesday (the third candidate of that day).
  const accepted = await postItip(api, answerTo(request, { address: otherCase(fin.email), cn: '王芳（财务部）', partstat: 'ACCEPTED' }));
  t.equal(accepted.status, 200, accepted.text);
  const wednesday = found.body.candidates.find((c: { startsAt: string }) => c.startsAt === at(WED, '13:00'));
  const counter = await postItip(api, answerTo(request, { method: 'COUNTER', address: dev.email, cn: 'Dana Brooks', partstat: 'TENTATIVE', start: wednesday.startsAt, end: wednesday.endsAt, comment: 'Tuesday 7am is our stand-up; Wednesday 8am New York works.' }));
  t.equal(counter.status, 201, counter.text);
  t.equal((await api.put(`/v1/meetings/${id}/participants/${olga.id}/response`, { response: 'tentative' })).status, 200);

  const answers = async () => Object.fromEntries(((await api.get(`/v1/meetings/${id}`)).body.participants as { personId: string; response: string }[]).map((p) => [p.personId, p.response]));
  t.same(await answers(), { [mkt.id]: 'accepted', [fin.id]: 'accepted', [dev.id]: 'needs_action', [olga.id]: 'tentative', [li.id]: 'needs_action' }, 'before the move');
  const responded = await eventsOf(api, 'participant.responded', 3);
  t.same(responded.map((e: { data: { participant: { personId: string }; source: string } }) => [e.data.participant.personId, e.data.source]), [[mkt.id, 'api'], [fin.id, 'itip'], [olga.id, 'api']]);
  t.same((await api.get(`/v1/meetings/${id}/time-proposals`)).body.data.map((p: { personId: string; startsAt: string; status: string; sequence: number }) => [p.personId, p.startsAt, p.status, p.sequence]),
    [[dev.id, at(WED, '13:00'), 'proposed', 0]]);

  // The organizer accepts the proposal: the meeting moves, SEQUENCE 1, and everyone is asked again.
  const decision = await api.post(`/v1/meetings/${id}/time-proposals/${counter.body.proposal.id}/accept`);
  t.equal(decision.status, 200, decision.text);
  t.match(decision.body, { proposal: { status: 'accepted' }, meeting: { startsAt: at(WED, '13:00'), endsAt: at(WED, '14:00'), sequence: 1, status: 'scheduled' } });
  t.same(await answers(), { [mkt.id]: 'accepted', [fin.id]: 'needs_action', [dev.id]: 'needs_action', [olga.id]: 'needs_action', [li.id]: 'needs_action' }, 'after the move: the organizer\'s answer aside, all back to needs_action');
  const [updated] = await eventsOf(api, 'meeting.updated', 1);
  t.same(updated.data.responsesReset.map((r: { personId: string; previousResponse: string }) => [r.personId, r.previousResponse]).sort(), [[fin.id, 'accepted'], [olga.id, 'tentative']].sort());
  const moved = parseIcs(updated.data.ics).events[0]!;
  t.match(moved, { sequence: 1, start: new Date(at(WED, '13:00')), end: new Date(at(WED, '14:00')) });
  t.same(Object.fromEntries(moved.attendees.map((a) => [a.email, a.partstat])), partstats('NEEDS-ACTION'), 'everyone but the organizer asked again');
  t.match(updated.data.ics, /RSVP=TRUE/, 'the new REQUEST asks for replies');

  // Finance's client still answering the first invitation is refused; its answer to the new one counts.
  t.equal((await postItip(api, answerTo(request, { address: fin.email, partstat: 'ACCEPTED' }))).status, 409, 'SEQUENCE 0 is stale');
  const again = await postItip(api, answerTo(updated.data.ics, { address: fin.email, partstat: 'ACCEPTED' }));
  t.equal(again.status, 200, again.text);
  t.equal((await answers())[fin.id], 'accepted');

  // Free/busy shows the new time for the attendees, with no title.
  const busy = await api.get(`/v1/people/${dev.id}/free-busy?from=${WED}T12:00:00Z&to=${WED}T15:00:00Z`);
  t.equal(busy.status, 200, busy.text);
  t.match(busy.body.busy, [{ startsAt: at(WED, '13:00'), endsAt: at(WED, '14:00'), kind: 'busy' }]);
  t.notMatch(busy.text, /Quarter|季度/);
});
