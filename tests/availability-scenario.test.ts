import t from 'tap';
import { buildTestApp } from './helpers.js';
import { at, department, findTimes, meetingAt, personIn, putCalendar, vfreebusy, weekdays } from './availability-helpers.js';

// The case SPEC §7 is for: finance in Shanghai, marketing in Berlin, R&D in New York must meet;
// three key contacts are required, two colleagues optional. Week of Monday 11 January 2027 (no
// daylight-saving time anywhere: Shanghai UTC+8, Berlin UTC+1, New York UTC-5).
//
// Working hours, and the same in UTC:
//   finance  (Asia/Shanghai)     09:00-12:00, 13:00-18:00, 20:00-22:00  → 01-04, 05-10, 12-14 UTC
//   marketing (Europe/Berlin)    09:00-17:00                           → 08-16 UTC
//   R&D      (America/New_York)  07:00-15:00                           → 12-20 UTC
// The only time all three are at work: 12:00-14:00 UTC, Monday to Friday (20:00-22:00 in
// Shanghai, 13:00-15:00 in Berlin, 07:00-09:00 in New York). Hourly meetings on a 30-minute grid
// can start at 12:00, 12:30 and 13:00 UTC.
//
// Busy time:
//   Mon 12:00-13:00  R&D, external (imported as VFREEBUSY)           → Mon: 13:00
//   Tue 13:30-14:30  marketing, a scheduled Liaison meeting          → Tue: 12:00, 12:30
//   Wed 12:00-13:00  marketing, a meeting they declined (not busy)   → Wed: 12:00, 12:30, 13:00
//   Thu 13:30-14:00  R&D, external BUSY-TENTATIVE                    → Thu: 12:00, 12:30
//   Thu 12:00-13:00  finance, a cancelled meeting (not busy)
//   Fri 12:00-13:00  finance, a draft meeting (not busy); R&D, a FREE period (not busy)
//                                                                    → Fri: 12:00, 12:30, 13:00
// Optional: Olga (no zone or hours of her own: the organisation's Europe/Berlin, 08:00-18:00 →
// 07-17 UTC) is busy Mon 13:00-14:00 (external) and Fri 12:00-13:00 (a meeting she organises);
// Li (Asia/Shanghai, the organisation's 08:00-18:00 → 00-10 UTC) is never at work then.
// Ranked by optional attendees free (Olga, so score 0.5), then by time:
//   Tue 12:00, Tue 12:30, Wed 12:00, Wed 12:30, Wed 13:00, Thu 12:00, Thu 12:30, Fri 13:00,
// then those with nobody optional free (score 0): Mon 13:00, Fri 12:00, Fri 12:30.

const [MON, TUE, WED, THU, FRI] = ['2027-01-11', '2027-01-12', '2027-01-13', '2027-01-14', '2027-01-15'];
const window = { from: '2027-01-11T00:00:00Z', to: '2027-01-16T00:00:00Z' };

t.test('finance, marketing and R&D across three zones: only the real overlap, ranked, then booked', async (t) => {
  const api = await buildTestApp(t);
  const org = await api.patch('/v1/organization', { defaultTimeZone: 'Europe/Berlin', defaultWorkingHours: weekdays(['08:00', '18:00']) });
  t.equal(org.status, 200, org.text);

  const [finance, marketing, rnd] = [await department(api, 'Finance'), await department(api, 'Marketing'), await department(api, 'Research')];
  const fin = await personIn(api, 'Wang Fang', 'Asia/Shanghai', weekdays(['09:00', '12:00'], ['13:00', '18:00'], ['20:00', '22:00']), finance);
  const mkt = await personIn(api, 'Greta Vogel', 'Europe/Berlin', weekdays(['09:00', '17:00']), marketing);
  const dev = await personIn(api, 'Dana Brooks', 'America/New_York', weekdays(['07:00', '15:00']), rnd);
  const olga = await personIn(api, 'Olga Weiss', null, null, marketing);
  const li = await personIn(api, 'Li Na', 'Asia/Shanghai', null, finance);

  const imported = await putCalendar(api, dev.id, 'exchange', vfreebusy(window.from, window.to, [
    { start: at(MON, '12:00'), end: at(MON, '13:00') },
    { start: at(THU, '13:30'), end: at(THU, '14:00'), fbtype: 'BUSY-TENTATIVE' },
    { start: at(FRI, '12:00'), end: at(FRI, '14:00'), fbtype: 'FREE' },
  ]));
  t.equal(imported.status, 200, imported.text);
  t.match(imported.body, { personId: dev.id, source: 'exchange', from: '2027-01-11T00:00:00.000Z', to: '2027-01-16T00:00:00.000Z', removed: 0 });
  t.same(imported.body.blocks.map((b: { startsAt: string }) => b.startsAt), [at(MON, '12:00'), at(THU, '13:30')], 'BUSY and BUSY-TENTATIVE kept, FREE left out');
  const olgaBlock = await api.put(`/v1/people/${olga.id}/busy-blocks/google`, { ...window, blocks: [{ startsAt: at(MON, '13:00'), endsAt: at(MON, '14:00') }] });
  t.equal(olgaBlock.status, 200, olgaBlock.text);

  await meetingAt(api, at(TUE, '13:30'), at(TUE, '14:30'), [{ personId: mkt.id }]);
  const declined = await meetingAt(api, at(WED, '12:00'), at(WED, '13:00'), [{ personId: mkt.id }]);
  t.equal((await api.put(`/v1/meetings/${declined.id}/participants/${mkt.id}/response`, { response: 'declined' })).status, 200);
  const cancelled = await meetingAt(api, at(THU, '12:00'), at(THU, '13:00'), [{ personId: fin.id }]);
  t.equal((await api.post(`/v1/meetings/${cancelled.id}/cancel`, { reason: 'Moved' })).status, 200);
  await meetingAt(api, at(FRI, '12:00'), at(FRI, '13:00'), [{ personId: fin.id }], { draft: true });
  await meetingAt(api, at(FRI, '12:00'), at(FRI, '13:00'), [], { organizerId: olga.id });

  const request = { required: [fin.id, mkt.id, dev.id], optional: [olga.id, li.id], durationMinutes: 60, granularityMinutes: 30, ...window, limit: 20 };
  const found = await findTimes(api, request);
  t.equal(found.status, 200, found.text);
  const starts = found.body.candidates.map((c: { startsAt: string }) => c.startsAt);
  t.same(starts, [
    at(TUE, '12:00'), at(TUE, '12:30'), at(WED, '12:00'), at(WED, '12:30'), at(WED, '13:00'), at(THU, '12:00'), at(THU, '12:30'), at(FRI, '13:00'),
    at(MON, '13:00'), at(FRI, '12:00'), at(FRI, '12:30'),
  ], 'the overlap of the three working days, minus busy time, ranked by optional attendees then time');
  t.equal(found.body.emptyReason, null);
  t.same(found.body.candidates.map((c: { score: number }) => c.score), [0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0, 0, 0]);
  t.same(found.body.candidates[0], {
    startsAt: at(TUE, '12:00'),
    endsAt: at(TUE, '13:00'),
    score: 0.5,
    attendees: [
      { personId: fin.id, required: true, available: true, reason: null },
      { personId: mkt.id, required: true, available: true, reason: null },
      { personId: dev.id, required: true, available: true, reason: null },
      { personId: olga.id, required: false, available: true, reason: null },
      { personId: li.id, required: false, available: false, reason: 'outside_working_hours' },
    ],
  }, 'every attendee with availability and reason');
  t.match(found.body.candidates[8].attendees.slice(3), [{ personId: olga.id, available: false, reason: 'busy' }, { personId: li.id, available: false, reason: 'outside_working_hours' }]);

  const atLeastHalf = await findTimes(api, { ...request, minimumOptional: 0.5 });
  t.same(atLeastHalf.body.candidates.map((c: { startsAt: string }) => c.startsAt), starts.slice(0, 8), 'minimumOptional keeps the slots with half the optional attendees');
  const everyone = await findTimes(api, { ...request, minimumOptional: 1 });
  t.same(everyone.body, { candidates: [], emptyReason: 'too_few_optional' }, 'nobody finds Li at work then');
  const firstTwo = await findTimes(api, { ...request, limit: 2 });
  t.same(firstTwo.body.candidates.map((c: { startsAt: string }) => c.startsAt), starts.slice(0, 2), '`limit` keeps the best');

  // The meeting is created from the first candidate with an ordinary POST /v1/meetings.
  const best = found.body.candidates[0];
  const meeting = await api.post('/v1/meetings', {
    title: 'Quarter close across departments',
    startsAt: best.startsAt,
    endsAt: best.endsAt,
    timeZone: 'Europe/Berlin',
    organizerId: mkt.id,
    participants: [
      { personId: mkt.id, role: 'chair' },
      { personId: fin.id, role: 'required' },
      { personId: dev.id, role: 'required' },
      { personId: olga.id, role: 'optional' },
      { personId: li.id, role: 'optional' },
    ],
  });
  t.equal(meeting.status, 201, meeting.text);
  t.match(meeting.body, { startsAt: at(TUE, '12:00'), endsAt: at(TUE, '13:00'), status: 'draft' });
  t.same(await findTimes(api, request).then((r) => r.body.candidates[0].startsAt), at(TUE, '12:00'), 'a draft holds no time yet');
  const sent = await api.post(`/v1/meetings/${meeting.body.id}/invitations`);
  t.equal(sent.status, 200, sent.text);
  t.equal(sent.body.status, 'scheduled');
  const after = await findTimes(api, request);
  t.same(after.body.candidates.slice(0, 3).map((c: { startsAt: string }) => c.startsAt), [at(WED, '12:00'), at(WED, '12:30'), at(WED, '13:00')], 'once invited, Tuesday is taken');

  const finBusy = await api.get(`/v1/people/${fin.id}/free-busy?from=${TUE}T00:00:00Z&to=${WED}T00:00:00Z`);
  t.equal(finBusy.status, 200, finBusy.text);
  t.same(finBusy.body, {
    personId: fin.id,
    from: `${TUE}T00:00:00.000Z`,
    to: `${WED}T00:00:00.000Z`,
    timeZone: 'Asia/Shanghai',
    busy: [
      { startsAt: at(TUE, '00:00'), endsAt: at(TUE, '01:00'), kind: 'busy_unavailable' },
      { startsAt: at(TUE, '04:00'), endsAt: at(TUE, '05:00'), kind: 'busy_unavailable' },
      { startsAt: at(TUE, '10:00'), endsAt: at(TUE, '12:00'), kind: 'busy_unavailable' },
      { startsAt: at(TUE, '12:00'), endsAt: at(TUE, '13:00'), kind: 'busy' },
      { startsAt: at(TUE, '14:00'), endsAt: `${WED}T00:00:00.000Z`, kind: 'busy_unavailable' },
    ],
  }, 'the booked meeting is busy, the Shanghai lunch and night are unavailable');
  t.notMatch(finBusy.text, /Quarter close/, 'no title in free/busy');
});

t.test('emptyReason says why nothing fits, and respectWorkingHours=false looks at busy time only', async (t) => {
  const api = await buildTestApp(t);
  const fin = await personIn(api, 'Zhou Min', 'Asia/Shanghai', weekdays(['09:00', '18:00'], ['20:00', '22:00']));
  const nyc = await personIn(api, 'Sam Ortiz', 'America/New_York', weekdays(['09:00', '17:00']));
  const dev = await personIn(api, 'Ravi Rao', 'America/New_York', weekdays(['07:00', '15:00']));
  // Shanghai 20:00-22:00 is 12:00-14:00 UTC; New York 09:00 is 14:00 UTC: they touch, never overlap.
  const none = await findTimes(api, { required: [fin.id, nyc.id], durationMinutes: 30, ...window });
  t.same(none.body, { candidates: [], emptyReason: 'no_common_working_hours' });
  t.equal((await api.put(`/v1/people/${dev.id}/busy-blocks/cal`, { ...window, blocks: [{ startsAt: at(MON, '12:00'), endsAt: at(MON, '20:00') }] })).status, 200);
  const busy = await findTimes(api, { required: [dev.id], durationMinutes: 60, from: at(MON, '00:00'), to: at(TUE, '00:00') });
  t.same(busy.body, { candidates: [], emptyReason: 'all_busy' });
  const anyHour = await findTimes(api, { required: [fin.id, nyc.id], durationMinutes: 60, granularityMinutes: 60, from: at(MON, '00:00'), to: at(MON, '03:00'), respectWorkingHours: false });
  t.same(anyHour.body.candidates.map((c: { startsAt: string }) => c.startsAt), [at(MON, '00:00'), at(MON, '01:00'), at(MON, '02:00')]);
});

// Daylight-saving time: the United States move their clocks on 14 March 2027, the European Union
// on 28 March. Berlin and New York both work 09:00-17:00 local:
//   8-12 March   Berlin UTC+1 08-16, New York UTC-5 14-22 → 14:00-16:00 UTC: starts 14:00, 15:00
//  15-26 March   Berlin UTC+1 08-16, New York UTC-4 13-21 → 13:00-16:00 UTC: 13:00, 14:00, 15:00
//  29 Mar-2 Apr  Berlin UTC+2 07-15, New York UTC-4 13-21 → 13:00-15:00 UTC: 13:00, 14:00
t.test('across the March daylight-saving changes, which the US and the EU make on different dates', async (t) => {
  const api = await buildTestApp(t);
  const ber = await personIn(api, 'Jonas Keller', 'Europe/Berlin', weekdays(['09:00', '17:00']));
  const nyc = await personIn(api, 'Ella Stone', 'America/New_York', weekdays(['09:00', '17:00']));
  const res = await findTimes(api, { required: [ber.id, nyc.id], durationMinutes: 60, granularityMinutes: 60, from: '2027-03-08T00:00:00Z', to: '2027-04-03T00:00:00Z', limit: 50 });
  t.equal(res.status, 200, res.text);
  const days = (dates: string[], hours: string[]) => dates.flatMap((d) => hours.map((h) => at(d, h)));
  const range = (month: string, first: number, last: number) => Array.from({ length: last - first + 1 }, (_, i) => `2027-${month}-${String(first + i).padStart(2, '0')}`);
  t.same(res.body.candidates.map((c: { startsAt: string }) => c.startsAt), [
    ...days(range('03', 8, 12), ['14:00', '15:00']),
    ...days(range('03', 15, 19), ['13:00', '14:00', '15:00']),
    ...days(range('03', 22, 26), ['13:00', '14:00', '15:00']),
    ...days([...range('03', 29, 31), ...range('04', 1, 2)], ['13:00', '14:00']),
  ]);

  // New York's free/busy moves by an hour in UTC across its change, Berlin's does not yet.
  const free = async (id: string) => {
    const fb = await api.get(`/v1/people/${id}/free-busy?from=2027-03-12T00:00:00Z&to=2027-03-16T00:00:00Z`);
    t.equal(fb.status, 200, fb.text);
    const gaps: string[] = [];
    let cursor = fb.body.from;
    for (const p of fb.body.busy) {
      if (p.startsAt > cursor) gaps.push(`${cursor}/${p.startsAt}`);
      cursor = p.endsAt;
    }
    return gaps;
  };
  t.same(await free(nyc.id), ['2027-03-12T14:00:00.000Z/2027-03-12T22:00:00.000Z', '2027-03-15T13:00:00.000Z/2027-03-15T21:00:00.000Z']);
  t.same(await free(ber.id), ['2027-03-12T08:00:00.000Z/2027-03-12T16:00:00.000Z', '2027-03-15T08:00:00.000Z/2027-03-15T16:00:00.000Z']);
});
