import t from 'tap';
import { pino } from 'pino';
import { issueOverdueRule } from '../src/issues/overdue-scan.js';
import { ManualClock } from '../src/platform/clock.js';
import { createScheduler } from '../src/platform/scheduler.js';
import { buildTestApp, type Answer } from './helpers.js';
import { person } from './outcomes-helpers.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
type Item = { rule: string; fireAt: string; status: string; subject: { type: string; id: string }; recipients: { personId: string; reason: string }[]; eventId?: string; skipReason?: string; lateBy?: number };
const overdueOf = (res: Answer) => (res.body.data as Item[]).filter((i) => i.rule === 'issueOverdue');

t.test('GET /v1/reminders merges what fired with what is planned, filtered, paginated and within its window', async (t) => {
  const api = await buildTestApp(t);
  const now = Date.now();
  const at = (ms: number) => new Date(now + ms).toISOString();
  const owner = await person(api, 'Reminded Owner');
  const sponsor = await person(api, 'Reminded Sponsor');
  const initiative = (await api.post('/v1/initiatives', { title: 'Reminders', objective: 'Follow through', sponsorId: sponsor.id, ownerId: owner.id })).body;
  const late = (await api.post('/v1/issues', { title: 'Already late', ownerId: owner.id, dueAt: at(-2 * HOUR) })).body;
  const soon = (await api.post('/v1/issues', { title: 'Due soon', ownerId: owner.id, dueAt: at(DAY), initiativeId: initiative.id })).body;
  const later = (await api.post('/v1/issues', { title: 'Due later', dueAt: at(3 * DAY) })).body;
  const done = (await api.post('/v1/issues', { title: 'Done early', dueAt: at(2 * DAY) })).body;
  await api.patch(`/v1/issues/${done.id}`, { status: 'resolved', resolution: 'Done before its date.' });
  const outside = (await api.post('/v1/issues', { title: 'Far off', dueAt: at(30 * DAY) })).body;
  for (const i of [initiative, late, soon, later, done, outside]) t.ok(i.id, 'created');

  const clock = new ManualClock(new Date(now));
  t.equal((await createScheduler({ db: api.database.db, log: pino({ enabled: false }), clock, rules: [issueOverdueRule], tasks: [] }).tick()).fired, 1);

  const window = `from=${encodeURIComponent(at(-DAY))}&to=${encodeURIComponent(at(7 * DAY))}`;
  const all = await api.get(`/v1/reminders?${window}`);
  t.equal(all.status, 200);
  t.match(overdueOf(all), [
    { fireAt: late.dueAt, status: 'fired', subject: { type: 'issue', id: late.id }, recipients: [{ personId: owner.id, name: 'Reminded Owner', email: owner.email, reason: 'owner' }], eventId: /^[0-9a-f-]{36}$/, lateBy: 7200 },
    { fireAt: soon.dueAt, status: 'planned', subject: { type: 'issue', id: soon.id }, recipients: [{ personId: owner.id, reason: 'owner' }] },
    { fireAt: done.dueAt, status: 'skipped', skipReason: 'issue_resolved', subject: { id: done.id }, recipients: [] },
    { fireAt: later.dueAt, status: 'planned', subject: { id: later.id }, recipients: [] },
  ]);
  t.notOk(overdueOf(all)[1]!.eventId, 'a planned reminder has no event yet');
  const fired = overdueOf(all)[0]!;
  const event = await api.get(`/v1/events/${fired.eventId}`);
  t.match(event.body, { type: 'issue.overdue', data: { issue: { id: late.id } } }, 'eventId names the event it recorded');
  const order = (all.body.data as Item[]).map((i) => [Date.parse(i.fireAt), i.rule, i.subject.id] as const);
  t.same(order, [...order].sort((a, b) => a[0] - b[0] || (a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : a[2] < b[2] ? -1 : 1)), 'in fireAt, rule, subject order');

  // Filters.
  t.same(overdueOf(await api.get(`/v1/reminders?${window}&issueId=${soon.id}`)).map((i) => i.subject.id), [soon.id]);
  t.same((await api.get(`/v1/reminders?${window}&issueId=${soon.id}`)).body.data.every((i: Item) => i.subject.id === soon.id), true, 'issueId: that issue only');
  t.same(overdueOf(await api.get(`/v1/reminders?${window}&status=fired`)).map((i) => i.subject.id), [late.id]);
  t.same(overdueOf(await api.get(`/v1/reminders?${window}&status=planned,skipped`)).map((i) => i.status), ['planned', 'skipped', 'planned'], 'a fired moment is not listed as planned');
  t.same(overdueOf(await api.get(`/v1/reminders?${window}&initiativeId=${initiative.id}`)).map((i) => i.subject.id), [soon.id], "initiativeId: the initiative's issues");
  t.same((await api.get(`/v1/reminders?${window}&meetingId=${soon.id}`)).body.data, [], 'meetingId: an issue is no meeting');
  t.same(overdueOf(await api.get(`/v1/reminders?${window}&issueId=${late.id}&status=fired`)).map((i) => i.status), ['fired']);

  // The default window is the next 14 days; moving a due date moves its reminder.
  t.same(overdueOf(await api.get('/v1/reminders')).map((i) => i.subject.id), [soon.id, done.id, later.id]);
  await api.patch(`/v1/issues/${later.id}`, { dueAt: at(20 * DAY) });
  t.same(overdueOf(await api.get('/v1/reminders')).map((i) => i.subject.id), [soon.id, done.id], 'moved out of the window');
  t.same(overdueOf(await api.get(`/v1/reminders?to=${encodeURIComponent(at(40 * DAY))}`)).map((i) => i.subject.id), [soon.id, done.id, later.id, outside.id]);

  // Pages of one walk the same list as one page.
  const wide = `from=${encodeURIComponent(at(-DAY))}&to=${encodeURIComponent(at(40 * DAY))}`;
  const whole = (await api.get(`/v1/reminders?${wide}&limit=200`)).body.data as Item[];
  t.ok(whole.length >= 5);
  const walked: Item[] = [];
  let url: string | null = `/v1/reminders?${wide}&limit=1`;
  while (url) {
    const res: Answer = await api.get(url);
    t.equal(res.status, 200);
    t.equal(res.body.data.length, 1);
    walked.push(...res.body.data);
    url = res.body.nextCursor ? `/v1/reminders?${wide}&limit=1&cursor=${res.body.nextCursor}` : null;
    if (url) t.match(res.headers.link, /rel="next"/);
    if (walked.length > whole.length) break;
  }
  t.same(walked, whole, 'a page at a time, nothing lost or repeated');
  const twoPages = await api.get(`/v1/reminders?${wide}&limit=2&status=planned`);
  const next = await api.get(`/v1/reminders?${wide}&limit=2&status=planned&cursor=${twoPages.body.nextCursor}`);
  t.ok((next.body.data as Item[]).every((i) => i.status === 'planned' && !twoPages.body.data.some((p: Item) => p.fireAt === i.fireAt && p.rule === i.rule && p.subject.id === i.subject.id)), 'a cursor with a filter continues the filtered list');
});

t.test('GET /v1/reminders refuses a window that is too long, empty or malformed, and a bad cursor or status (400)', async (t) => {
  const api = await buildTestApp(t);
  const tables = ['scheduled_firings', 'events', 'audit_events'];
  const before = await Promise.all(tables.map((x) => api.count(x)));
  const cases = [
    ['from=2031-01-01T00:00:00Z&to=2031-04-02T00:00:00Z', 'querystring.to'], // 91 days
    ['from=2031-01-01T00:00:00Z', null], // the default 14 days is fine
    ['from=2031-01-01T00:00:00Z&to=2031-01-01T00:00:00Z', 'querystring.to'],
    ['from=2031-01-02T00:00:00Z&to=2031-01-01T00:00:00Z', 'querystring.to'],
    ['to=2031-01-01', 'to'],
    ['from=yesterday', 'from'],
    ['status=sent', 'status'],
    ['issueId=not-a-uuid', 'issueId'],
    ['cursor=bm90LWEtY3Vyc29y', 'querystring.cursor'],
    [`cursor=${Buffer.from(JSON.stringify(['x', 'issueOverdue', 'y'])).toString('base64url')}`, 'querystring.cursor'],
    ['limit=201', 'limit'],
  ] as const;
  for (const [query, path] of cases) {
    const res = await api.get(`/v1/reminders?${query}`);
    if (path === null) {
      t.equal(res.status, 200, query);
      continue;
    }
    t.equal(res.status, 400, query);
    t.match(res.headers['content-type'], /application\/problem\+json/);
    t.match(res.body, { status: 400, errors: [{ path: new RegExp(path.replace('.', '\\.')) }] }, query);
  }
  const ninety = await api.get('/v1/reminders?from=2031-01-01T00:00:00Z&to=2031-04-01T00:00:00Z');
  t.equal(ninety.status, 200, 'exactly 90 days is allowed');
  t.same(await Promise.all(tables.map((x) => api.count(x))), before, 'a listing writes nothing');
  const unauthenticated = await api.inject({ method: 'GET', url: '/v1/reminders' });
  t.equal(unauthenticated.status, 401);
});

t.test("GET /v1/reminders never shows another organisation's subjects, fired or planned", async (t) => {
  const api = await buildTestApp(t);
  const other = await api.newOrganization();
  const soon = new Date(Date.now() + DAY).toISOString();
  const ours = (await api.post('/v1/issues', { title: 'Ours', dueAt: soon })).body;
  const theirs = (await other.post('/v1/issues', { title: 'Theirs', dueAt: soon })).body;
  const theirLate = (await other.post('/v1/issues', { title: 'Their late one', dueAt: new Date(Date.now() - HOUR).toISOString() })).body;
  await createScheduler({ db: api.database.db, log: pino({ enabled: false }), clock: new ManualClock(new Date()), rules: [issueOverdueRule], tasks: [] }).tick();
  const window = `from=${encodeURIComponent(new Date(Date.now() - DAY).toISOString())}`;

  t.same(overdueOf(await api.get(`/v1/reminders?${window}`)).map((i) => i.subject.id), [ours.id]);
  t.same(overdueOf(await other.get(`/v1/reminders?${window}`)).map((i) => i.subject.id), [theirLate.id, theirs.id]);
  for (const id of [theirs.id, theirLate.id]) {
    const res = await api.get(`/v1/reminders?${window}&issueId=${id}`);
    t.equal(res.status, 200);
    t.same(res.body.data, [], "another organisation's issue id lists nothing");
  }
});

t.test("GET /v1/reminders?meetingId lists that meeting's reminders only, with their recipients", async (t) => {
  const api = await buildTestApp(t);
  const organizer = await person(api, 'Organizer');
  const guest = await person(api, 'Guest');
  const startsAt = new Date(Date.now() + 3 * DAY);
  const create = (title: string) =>
    api.post('/v1/meetings', { title, startsAt: startsAt.toISOString(), endsAt: new Date(startsAt.getTime() + HOUR).toISOString(), timeZone: 'Europe/Berlin', organizerId: organizer.id });
  const meeting = (await create('Reminded meeting')).body;
  const other = (await create('Another meeting')).body;
  for (const m of [meeting, other]) {
    t.equal((await api.post(`/v1/meetings/${m.id}/participants`, { personId: guest.id, role: 'required' })).status, 201);
    t.equal((await api.post(`/v1/meetings/${m.id}/invitations`)).status, 200);
  }
  const res = await api.get(`/v1/reminders?meetingId=${meeting.id}`);
  t.equal(res.status, 200, res.text.slice(0, 300));
  const items = res.body.data as Item[];
  t.ok(items.length > 0, `the meeting has reminders: ${[...new Set(items.map((i) => i.rule))].join(', ')}`);
  t.ok(items.every((i) => i.subject.type === 'meeting' && i.subject.id === meeting.id), 'all of them its own');
  t.ok(items.every((i) => i.status !== 'fired' && !i.eventId && Date.parse(i.fireAt) < startsAt.getTime() + 2 * DAY), `none fired yet, around its time: ${items.map((i) => `${i.rule} ${i.status} ${i.skipReason ?? ''}`).join('; ')}`);
  const all = (await api.get('/v1/reminders?limit=200')).body.data as Item[];
  t.ok(all.some((i) => i.subject.id === other.id), "without the filter the other meeting's are listed too");
});
