import t from 'tap';
import { pino } from 'pino';
import { issueOverdueRule } from '../src/issues/overdue-scan.js';
import { ManualClock } from '../src/platform/clock.js';
import { createScheduler } from '../src/platform/scheduler.js';
import { extendSeries } from '../src/meetings/series-horizon.js';
import { buildTestApp, uniq, type Caller, type TestApp } from './helpers.js';
import { callerWith, problem } from './access-helpers.js';
import { eventsOf, meetingInput, person } from './meetings-helpers.js';

// Confidential meetings (SPEC §8): a meeting of visibility `participants` exists only for its
// organizer's and participants' person-bound keys and for keys with scope `confidential`.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const at = (d: Date | number) => new Date(d).toISOString();

async function key(api: TestApp, body: Record<string, unknown>): Promise<Caller> {
  const res = await api.post('/v1/api-keys', { name: uniq('key'), ...body });
  if (res.status !== 201) throw new Error(`api key: ${res.status} ${res.text}`);
  return callerWith(api, res.body.secret);
}

const listed = async (c: Caller, query = '') => {
  const res = await c.get(`/v1/meetings?limit=200${query}`);
  if (res.status !== 200) throw new Error(`list: ${res.status} ${res.text}`);
  return (res.body.data as { id: string }[]).map((m) => m.id);
};

async function cast(api: TestApp) {
  const organizer = await person(api, 'Hana HR');
  const [p1, p2, outsider] = [await person(api, 'Pia One'), await person(api, 'Pat Two'), await person(api, 'Olaf Outside')];
  return {
    organizer, p1, p2, outsider,
    confidentialKey: await key(api, { scopes: ['read', 'confidential'] }),
    integrationKey: await key(api, { scopes: ['read', 'write'] }),
    participantKey: await key(api, { scopes: ['read', 'write'], personId: p1.id }),
    organizerKey: await key(api, { scopes: ['read', 'write'], personId: organizer.id }),
    outsiderKey: await key(api, { scopes: ['read', 'write'], personId: outsider.id }),
  };
}

t.test('a participants-only meeting: who sees it in the list, the detail, the agenda and the calendar feed', async (t) => {
  const api = await buildTestApp(t);
  const c = await cast(api);
  const hr = await api.post('/v1/meetings', meetingInput({
    title: 'HR: performance case', visibility: 'participants', organizerId: c.organizer.id,
    participants: [{ personId: c.p1.id }, { personId: c.p2.id }], agendaItems: [{ title: 'The case' }],
  }));
  t.equal(hr.status, 201, hr.text);
  t.equal(hr.body.visibility, 'participants', 'the created meeting says its visibility');
  const open = await api.post('/v1/meetings', meetingInput({ title: 'All hands', organizerId: c.organizer.id, participants: [{ personId: c.p1.id }] }));
  t.equal(open.body.visibility, 'organization', 'organization by default');

  for (const [who, caller] of [['admin', api], ['confidential-scoped key', c.confidentialKey], ['participant', c.participantKey], ['organizer', c.organizerKey]] as const) {
    const ids = await listed(caller);
    t.ok(ids.includes(hr.body.id), `${who} lists it`);
    t.ok(ids.includes(open.body.id), `${who} lists the open meeting`);
    const detail = await caller.get(`/v1/meetings/${hr.body.id}`);
    t.equal(detail.status, 200, `${who} reads the detail`);
    t.equal(detail.body.visibility, 'participants');
  }
  const agenda = await c.participantKey.get(`/v1/meetings/${hr.body.id}/agenda-items`);
  t.equal(agenda.status, 200, 'a participant reads the agenda');
  t.equal(agenda.body.data?.[0]?.title ?? agenda.body[0]?.title, 'The case');
  t.ok((await listed(c.participantKey, `&participantId=${c.p1.id}`)).includes(hr.body.id), 'with a filter too');

  for (const [who, caller] of [['integration key without confidential', c.integrationKey], ['unrelated person', c.outsiderKey]] as const) {
    const ids = await listed(caller);
    t.notOk(ids.includes(hr.body.id), `${who} does not list it`);
    t.ok(ids.includes(open.body.id), `${who} still lists the open meeting`);
    t.notOk((await listed(caller, `&participantId=${c.p1.id}`)).includes(hr.body.id), `${who}: not with a filter either`);
    problem(t, await caller.get(`/v1/meetings/${hr.body.id}`), 404, `${who}: the detail`);
    const feed = await caller.get(`/v1/people/${c.p1.id}/calendar.ics?from=2031-01-01T00:00:00Z&to=2031-06-01T00:00:00Z`);
    t.equal(feed.status, 200, `${who} reads the participant's feed`);
    t.notOk(feed.text.includes('HR: performance case'), `${who}: the feed leaves the meeting out`);
    t.ok(feed.text.includes('All hands'), `${who}: the feed still has the open meeting`);
  }
  const participantFeed = await c.participantKey.get(`/v1/people/${c.p1.id}/calendar.ics?from=2031-01-01T00:00:00Z&to=2031-06-01T00:00:00Z`);
  t.ok(participantFeed.text.includes('HR: performance case'), 'the participant\'s own key sees it in the feed');
  const adminFeed = await api.get(`/v1/people/${c.p2.id}/calendar.ics?from=2031-01-01T00:00:00Z&to=2031-06-01T00:00:00Z`);
  t.ok(adminFeed.text.includes('HR: performance case'), 'so does the admin key');

  problem(t, await api.post('/v1/meetings', meetingInput({ visibility: 'secret' })), 400, 'an unknown visibility on create');
  problem(t, await api.patch(`/v1/meetings/${hr.body.id}`, { visibility: 'private' }), 400, 'an unknown visibility on update');
  problem(t, await api.patch(`/v1/meetings/${hr.body.id}`, { visibility: null }), 400, 'a null visibility');
});

t.test('series occurrences (also materialised later) and follow-ups inherit the visibility', async (t) => {
  const api = await buildTestApp(t);
  const c = await cast(api);
  const start = new Date(Date.now() + 2 * DAY);
  start.setUTCHours(10, 0, 0, 0);
  const series = await api.post('/v1/meetings', meetingInput({
    title: 'HR weekly', visibility: 'participants', organizerId: c.organizer.id, participants: [{ personId: c.p1.id }],
    startsAt: at(start), endsAt: at(start.getTime() + HOUR), timeZone: 'UTC', recurrence: 'FREQ=WEEKLY',
  }));
  t.equal(series.status, 201, series.text);
  const [stored] = await api.database.sql`select visibility from meeting_series where id = ${series.body.seriesId}`;
  t.equal(stored!.visibility, 'participants', 'the series template keeps it');
  const occurrences = async (c2: Caller) => (await c2.get(`/v1/meetings?seriesId=${series.body.seriesId}&limit=200`)).body.data as { id: string; visibility: string }[];
  const initial = await occurrences(api);
  t.ok(initial.length > 5);
  t.ok(initial.every((m) => m.visibility === 'participants'), 'every occurrence is confidential');
  t.same(await occurrences(c.integrationKey), [], 'none is listed without scope confidential');
  t.equal((await occurrences(c.participantKey)).length, initial.length, 'the participant lists them all');

  await extendSeries(api.database.db, new Date(Date.now() + 21 * DAY));
  const extended = await occurrences(api);
  t.ok(extended.length > initial.length, 'the worker materialised more');
  t.ok(extended.every((m) => m.visibility === 'participants'), 'occurrences materialised later are confidential too');

  const followUp = await api.post(`/v1/meetings/${initial[0]!.id}/follow-up`, {});
  t.equal(followUp.status, 201, followUp.text);
  t.equal(followUp.body.visibility, 'participants', 'a follow-up inherits the visibility');
  problem(t, await c.integrationKey.get(`/v1/meetings/${followUp.body.id}`), 404, 'and is hidden like it');
  const plain = await api.post('/v1/meetings', meetingInput({ organizerId: c.organizer.id }));
  const plainFollowUp = await api.post(`/v1/meetings/${plain.body.id}/follow-up`, {});
  t.equal(plainFollowUp.body.visibility, 'organization');

  // scope=series changes the template too.
  const opened = await api.patch(`/v1/meetings/${initial[1]!.id}?scope=series`, { visibility: 'organization' });
  t.equal(opened.status, 200, opened.text);
  const [template] = await api.database.sql`select visibility from meeting_series where id = ${series.body.seriesId}`;
  t.equal(template!.visibility, 'organization', 'the template follows scope=series');
  const after = await occurrences(api);
  t.ok(after.every((m) => m.visibility === 'organization'), 'every occurrence not yet started changed');
  t.equal(after.length, extended.length);
  t.ok((await occurrences(c.integrationKey)).length === after.length, 'and is listed to everyone again');
});

t.test('changing the visibility is audited and emits meeting.updated', async (t) => {
  const api = await buildTestApp(t);
  const c = await cast(api);
  const m = await api.post('/v1/meetings', meetingInput({ organizerId: c.organizer.id, participants: [{ personId: c.p1.id }] }));
  t.equal((await api.post(`/v1/meetings/${m.body.id}/invitations`)).status, 200);
  t.ok((await listed(c.integrationKey)).includes(m.body.id));
  const patched = await api.patch(`/v1/meetings/${m.body.id}`, { visibility: 'participants' });
  t.equal(patched.status, 200, patched.text);
  t.equal(patched.body.visibility, 'participants');
  t.notOk((await listed(c.integrationKey)).includes(m.body.id), 'hidden from then on');
  problem(t, await c.integrationKey.get(`/v1/meetings/${m.body.id}`), 404, 'the detail too');

  const audit = await api.get(`/v1/audit-events?entityId=${m.body.id}`);
  t.equal(audit.status, 200);
  const update = (audit.body.data as { action: string; entityType: string; changes: Record<string, unknown> }[])
    .find((a) => a.action === 'update' && a.entityType === 'meeting' && 'visibility' in a.changes);
  t.match(update?.changes, { visibility: { before: 'organization', after: 'participants' } }, 'the audit record has the change, before and after');

  const updates = (await eventsOf(api, 'meeting.updated', 1)).filter((e) => e.data.meeting.id === m.body.id);
  t.equal(updates.length, 1, 'meeting.updated was emitted');
  t.match(updates[0]!.data, { meeting: { visibility: 'participants' }, changes: { visibility: { before: 'organization', after: 'participants' } } });
});

t.test('GET /v1/reminders leaves out reminders about a confidential meeting and issues raised in it', async (t) => {
  const api = await buildTestApp(t);
  const c = await cast(api);
  const now = Date.now();
  const starts = new Date(now + 3 * DAY);
  starts.setUTCMinutes(0, 0, 0);
  const input = (title: string, visibility: string) => meetingInput({
    title, visibility, organizerId: c.organizer.id, participants: [{ personId: c.p1.id }],
    startsAt: at(starts), endsAt: at(starts.getTime() + HOUR), timeZone: 'UTC', materialsDueAt: at(starts.getTime() - DAY),
  });
  const hr = (await api.post('/v1/meetings', input('HR reminders', 'participants'))).body;
  const open = (await api.post('/v1/meetings', input('Open reminders', 'organization'))).body;
  for (const m of [hr, open]) t.equal((await api.post(`/v1/meetings/${m.id}/invitations`)).status, 200);
  const late = await api.post(`/v1/meetings/${hr.id}/issues`, { title: 'Confidential action', ownerId: c.p1.id, dueAt: at(now - 2 * HOUR) });
  t.equal(late.status, 201, late.text);
  const openLate = await api.post(`/v1/meetings/${open.id}/issues`, { title: 'Open action', ownerId: c.p1.id, dueAt: at(now - 2 * HOUR) });
  const soon = await api.post(`/v1/meetings/${hr.id}/issues`, { title: 'Confidential soon', ownerId: c.p1.id, dueAt: at(now + DAY) });
  const clock = new ManualClock(new Date(now));
  await createScheduler({ db: api.database.db, log: pino({ enabled: false }), clock, rules: [issueOverdueRule], tasks: [] }).tick();

  const window = `from=${encodeURIComponent(at(now - DAY))}&to=${encodeURIComponent(at(now + 7 * DAY))}&limit=200`;
  const subjects = async (caller: Caller) => {
    const res = await caller.get(`/v1/reminders?${window}`);
    if (res.status !== 200) throw new Error(`reminders: ${res.status} ${res.text}`);
    return res.body.data as { subject: { id: string }; status: string }[];
  };
  const hidden = [hr.id, late.body.id, soon.body.id];
  for (const [who, caller] of [['admin', api], ['confidential-scoped key', c.confidentialKey], ['participant', c.participantKey]] as const) {
    const items = await subjects(caller);
    t.ok(items.some((i) => i.subject.id === hr.id), `${who}: the meeting's planned reminders`);
    t.ok(items.some((i) => i.subject.id === late.body.id && i.status === 'fired'), `${who}: the fired overdue reminder of its issue`);
    t.ok(items.some((i) => i.subject.id === soon.body.id && i.status === 'planned'), `${who}: the planned one`);
  }
  for (const [who, caller] of [['integration key without confidential', c.integrationKey], ['unrelated person', c.outsiderKey]] as const) {
    const items = await subjects(caller);
    t.notOk(items.some((i) => hidden.includes(i.subject.id)), `${who}: nothing about the confidential meeting`);
    t.ok(items.some((i) => i.subject.id === open.id), `${who}: the open meeting's reminders remain`);
    t.ok(items.some((i) => i.subject.id === openLate.body.id && i.status === 'fired'), `${who}: the open issue's fired reminder remains`);
    const asked = await caller.get(`/v1/reminders?${window}&meetingId=${hr.id}`);
    t.ok(asked.status === 404 || (asked.status === 200 && asked.body.data.length === 0), `${who}: not even asked for by meetingId (${asked.status})`);
  }
});
