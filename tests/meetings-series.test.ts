import t from 'tap';
import { buildTestApp } from './helpers.js';
import { meetingInput, parseIcs, person } from './meetings-helpers.js';
import { extendSeries } from '../src/meetings/series-horizon.js';

const DAY = 24 * 3600 * 1000;
const at = (d: Date) => d.toISOString();

/** A Monday 10:00 UTC at least a day ahead. */
function nextMonday(): Date {
  const d = new Date(Date.now() + 2 * DAY);
  d.setUTCHours(10, 0, 0, 0);
  while (d.getUTCDay() !== 1) d.setTime(d.getTime() + DAY);
  return d;
}

t.test('series: occurrences over a rolling 90-day horizon, extended by the worker exactly once', async (t) => {
  const api = await buildTestApp(t);
  const p = await person(api, 'Ana');
  const start = nextMonday();
  const res = await api.post('/v1/meetings', meetingInput({
    startsAt: at(start), endsAt: at(new Date(start.getTime() + 3600e3)), timeZone: 'UTC', recurrence: 'RRULE:FREQ=WEEKLY;BYDAY=MO', participants: [{ personId: p.id }],
  }));
  t.equal(res.status, 201, res.text);
  const seriesId = res.body.seriesId;
  t.equal(res.body.recurrence, 'FREQ=WEEKLY;BYDAY=MO', 'stored without the RRULE: prefix');
  const list = async () => (await api.get(`/v1/meetings?seriesId=${seriesId}&limit=200`)).body.data as { id: string; startsAt: string; status: string; sequence: number; title: string }[];
  const initial = await list();
  const horizon = Math.max(Date.now(), start.getTime()) + 90 * DAY;
  t.equal(initial.length, Math.floor((horizon - start.getTime() - 1) / (7 * DAY)) + 1, 'every weekly occurrence within 90 days');
  t.ok(initial.every((m, i) => m.startsAt === at(new Date(start.getTime() + i * 7 * DAY))));
  t.equal((await api.get(`/v1/meetings/${initial[3]!.id}`)).body.participants.length, 1, 'occurrences get the series participants');

  await api.post(`/v1/meetings/${initial[0]!.id}/invitations`);
  const later = new Date(Date.now() + 21 * DAY);
  const created = await extendSeries(api.database.db, later);
  t.equal(created, 3, 'three more weeks come into the horizon');
  t.equal(await extendSeries(api.database.db, later), 0, 'running again adds nothing');
  const extended = await list();
  t.equal(extended.length, initial.length + 3);
  t.same(extended.slice(-3).map((m) => m.status), ['scheduled', 'scheduled', 'scheduled'], 'the series invitation covers new occurrences');
  const [row] = await api.database.sql`select count(*)::int as n from meeting_participants where meeting_id = ${extended.at(-1)!.id}`;
  t.equal(row!.n, 1);
});

t.test('series: rule validation, editing the series applies to occurrences not yet started, COUNT ends it', async (t) => {
  const api = await buildTestApp(t);
  const start = nextMonday();
  const base = { startsAt: at(start), endsAt: at(new Date(start.getTime() + 3600e3)), timeZone: 'UTC' };
  const before = await api.count('meetings');
  const offRule = await api.post('/v1/meetings', meetingInput({ ...base, recurrence: 'FREQ=WEEKLY;BYDAY=TU' }));
  t.equal(offRule.status, 400);
  t.match(offRule.body.errors, [{ path: 'body.recurrence', message: /not an occurrence/ }]);
  for (const bad of ['FREQ=MINUTELY', 'FREQ=WEEKLY;DTSTART=20310101T000000Z', 'nonsense', 'FREQ=DAILY;COUNT=0']) {
    t.equal((await api.post('/v1/meetings', meetingInput({ ...base, recurrence: bad }))).status, 400, bad);
  }
  t.equal(await api.count('meetings'), before, 'no meeting from a refused rule');
  t.equal(await api.count('meeting_series'), 0);

  const res = await api.post('/v1/meetings', meetingInput({ ...base, recurrence: 'FREQ=WEEKLY;COUNT=4', title: 'Weekly sync' }));
  const seriesId = res.body.seriesId;
  const occ = (await api.get(`/v1/meetings?seriesId=${seriesId}`)).body.data;
  t.equal(occ.length, 4);
  await api.post(`/v1/meetings/${occ[1].id}/cancel`, { reason: 'Holiday' });
  const edit = await api.patch(`/v1/meetings/${occ[0].id}?scope=series`, { title: 'Weekly sync (ops)', location: 'Room 2' });
  t.equal(edit.status, 200, edit.text);
  const after = (await api.get(`/v1/meetings?seriesId=${seriesId}`)).body.data;
  t.same(after.map((m: { title: string }) => m.title), ['Weekly sync (ops)', 'Weekly sync', 'Weekly sync (ops)', 'Weekly sync (ops)'], 'the cancelled occurrence keeps its record');
  t.same(after.map((m: { sequence: number }) => m.sequence), [0, 1, 0, 0], 'drafts do not raise SEQUENCE');
  const one = await api.patch(`/v1/meetings/${occ[3].id}`, { title: 'Last one' });
  t.equal(one.status, 200);
  t.same((await api.get(`/v1/meetings?seriesId=${seriesId}`)).body.data.map((m: { title: string }) => m.title).slice(2), ['Weekly sync (ops)', 'Last one'], 'one occurrence alone');

  // Moving one occurrence keeps its RECURRENCE-ID (its place in the rule).
  const moved = await api.patch(`/v1/meetings/${occ[2].id}`, { startsAt: at(new Date(start.getTime() + 14 * DAY + 2 * 3600e3)) });
  t.match(moved.body, { originalStartsAt: at(new Date(start.getTime() + 14 * DAY)), startsAt: at(new Date(start.getTime() + 14 * DAY + 2 * 3600e3)) });
  const ics = parseIcs((await api.get(`/v1/meetings/${occ[2].id}/calendar.ics`)).text);
  const override = ics.events.find((e) => e.recurrenceId)!;
  t.equal(override.recurrenceId!.toISOString(), at(new Date(start.getTime() + 14 * DAY)));
  t.equal(override.start.toISOString(), moved.body.startsAt);
  t.same(ics.events.find((e) => e.rrule)!.exdates.map((d) => d.toISOString()), [occ[1].startsAt], 'the cancelled occurrence is excluded from the rule');

  t.equal(await extendSeries(api.database.db, new Date(Date.now() + 400 * DAY)), 0, 'COUNT=4: nothing after the fourth');
  const [s] = await api.database.sql`select exhausted from meeting_series where id = ${seriesId}`;
  t.equal(s!.exhausted, true);
});
