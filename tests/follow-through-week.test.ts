import t from 'tap';
import { issueOverdueRule } from '../src/issues/overdue-scan.js';
import { followThroughRules } from '../src/follow-through/rules.js';
import type { FiringRule } from '../src/platform/scheduler-types.js';
import { buildTestApp, type Caller } from './helpers.js';
import { startReceiver } from './helpers/webhook-receiver.js';
import { inProcessWorker } from './fixtures/webhook-workers.js';
import { crossDepartmentCast, person } from './meetings-helpers.js';
import { answer, assertCatalogued, eventById, firings, ids, schedulerAt } from './follow-through-helpers.js';

// The end-to-end week of SPEC §6: a weekly cross-department series, its issue and its initiative,
// with the scheduler on a controlled clock and the real webhook delivery worker. Each step moves
// the clock to a moment and checks exactly what fired there; at the end every firing is found
// once in GET /v1/events, once among the verified deliveries and once in GET /v1/reminders.

// Every time-driven rule, as the worker composes them.
const rules: FiringRule[] = [issueOverdueRule, ...followThroughRules];
const TYPES = [
  'participant.rsvp_reminder', 'meeting.prereads_due', 'material.read_reminder', 'meeting.starting_soon', 'minutes.overdue',
  'issue.due_soon', 'issue.overdue', 'issue.escalated', 'initiative.report.ready',
];

type Reminder = { rule: string; fireAt: string; status: string; subject: { type: string; id: string }; eventId?: string; skipReason?: string };

async function allPages(api: Caller, url: string): Promise<any[]> { // eslint-disable-line @typescript-eslint/no-explicit-any
  const out = [];
  for (let next: string | null = url; next; ) {
    const res = await api.get(next);
    if (res.status !== 200) throw new Error(`${url}: ${res.status} ${res.text}`);
    out.push(...res.body.data);
    next = res.body.nextCursor ? `${url}${url.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(res.body.nextCursor)}` : null;
  }
  return out;
}

t.test('a week of a cross-department series: reminders, nudges, escalation and the digest, each once', async (t) => {
  const api = await buildTestApp(t);
  const hook = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: TYPES });
  t.equal(hook.status, 201);
  const receiver = await startReceiver(hook.body.secret);
  t.teardown(() => receiver.close());
  t.equal((await api.patch(`/v1/webhooks/${hook.body.id}`, { url: receiver.url })).status, 200);
  await inProcessWorker(t, api);

  const { sales, ops, finance, chair, notes, presenter, sales2 } = await crossDepartmentCast(api);
  const optional = await person(api, 'Olga Ivanova', ops);
  const sponsor = await person(api, 'Jonas Weber', finance);
  const initiative = (await api.post('/v1/initiatives', { title: 'Q2 launch', sponsorId: sponsor.id, ownerId: chair.id, departmentIds: [sales, ops, finance], status: 'active' })).body;
  t.equal((await api.put('/v1/follow-through-policy', { reportDigest: { rrule: 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0', timeZone: 'Europe/Berlin' } })).status, 200);

  // Wednesdays 10:00 in Berlin (09:00Z in March), from 5 March 2031.
  const created = await api.post('/v1/meetings', {
    title: 'Launch coordination', startsAt: '2031-03-05T09:00:00.000Z', endsAt: '2031-03-05T10:00:00.000Z', timeZone: 'Europe/Berlin',
    location: 'HQ 4.12', onlineUrl: 'https://meet.example.com/launch', organizerId: chair.id, initiativeId: initiative.id, recurrence: 'FREQ=WEEKLY;BYDAY=WE;COUNT=3',
    participants: [
      { personId: chair.id, role: 'chair' }, { personId: notes.id, role: 'note_taker' }, { personId: presenter.id, role: 'presenter' },
      { personId: sales2.id }, { personId: optional.id, role: 'optional' },
    ],
    agendaItems: [
      { title: 'Goals and metrics', kind: 'information', ownerId: chair.id },
      { title: 'Sales forecast', kind: 'discussion', ownerId: sales2.id },
      { title: 'Budget approval', kind: 'decision', ownerId: presenter.id },
    ],
  });
  t.equal(created.status, 201, created.text);
  const m1 = created.body;
  t.equal((await api.post(`/v1/meetings/${m1.id}/invitations`)).status, 200);
  const m2 = (await api.get(`/v1/meetings?seriesId=${m1.seriesId}`)).body.data[1];
  t.equal(m2.startsAt, '2031-03-12T09:00:00.000Z');
  const forecastItem = m1.agendaItems.find((i: { title: string }) => i.title === 'Sales forecast');
  const budgetItem = m1.agendaItems.find((i: { title: string }) => i.title === 'Budget approval');
  const forecast = (await api.post(`/v1/meetings/${m1.id}/materials`, { title: 'Forecast', url: 'https://docs.example.com/forecast', agendaItemId: forecastItem.id, required: true })).body;
  await answer(api, m1.id, chair.id, 'accepted');
  await answer(api, m1.id, notes.id, 'accepted');
  const issue = (await api.post(`/v1/meetings/${m1.id}/issues`, { title: 'Confirm the logistics budget', kind: 'action', ownerId: presenter.id, dueAt: '2031-03-07T17:00:00.000Z', initiativeId: initiative.id })).body;
  t.ok(issue.id);

  const s = schedulerAt(api, '2031-03-03T07:00:00Z', rules);
  const seen = new Set<string>();
  type Fired = { rule: string; subjectId: string; eventId: string; recipients: { personId: string; reason: string }[] };
  const fired: Fired[] = [];
  /** Moves the clock to `at`, ticks, and checks that exactly these (rule, subject) fired there; returns them. */
  const step = async (at: string, expected: [rule: string, subjectId: string][]) => {
    await s.tickAt(at);
    const fresh = (await firings(api, api.organizationId)).filter((f) => !seen.has(`${f.rule}/${f.subjectId}/${f.moment.toISOString()}`));
    for (const f of fresh) seen.add(`${f.rule}/${f.subjectId}/${f.moment.toISOString()}`);
    t.same(fresh.map((f) => [f.rule, f.subjectId, f.status]).sort(), expected.map(([r, id]) => [r, id, 'fired']).sort(), `at ${at}: ${expected.map((e) => e[0]).join(', ') || 'nothing'}`);
    const out = fresh.map((f) => ({ rule: f.rule, subjectId: f.subjectId, eventId: f.eventId!, recipients: f.recipients }));
    fired.push(...out);
    return Object.fromEntries(out.map((f) => [f.rule, f]));
  };

  // Monday: the leader's digest; then the first RSVP reminder, 48 h ahead, to who has not answered.
  const digest1 = await step('2031-03-03T08:00:00Z', [['reportDigest', initiative.id]]);
  t.same(ids(digest1.reportDigest!.recipients), [sponsor.id, chair.id].sort());
  const h48 = await step('2031-03-03T09:00:00Z', [['rsvpReminderHours', m1.id]]);
  t.same(ids(h48.rsvpReminderHours!.recipients), [presenter.id, sales2.id].sort(), 'not the chair or note taker who answered, not the optional guest');
  await answer(api, m1.id, presenter.id, 'accepted');
  await answer(api, m1.id, optional.id, 'declined');

  // Tuesday 10:00 Berlin: the 24 h reminder and the pre-reads deadline, naming the item with no material.
  const tue = await step('2031-03-04T09:00:00Z', [['rsvpReminderHours', m1.id], ['prereadsDue', m1.id]]);
  t.same(ids(tue.rsvpReminderHours!.recipients), [sales2.id]);
  const prereads = await eventById(api, tue.prereadsDue!.eventId);
  t.match(prereads.data, {
    recipients: [{ personId: chair.id, reason: 'organizer' }, { personId: presenter.id, reason: 'agenda_item_owner' }],
    materials: [{ id: forecast.id, late: false }], missing: [{ agendaItemId: budgetItem.id, title: 'Budget approval', owner: { id: presenter.id } }],
  });
  t.equal(prereads.data.missing.length, 1);
  for (const p of [chair, presenter]) t.equal((await api.post(`/v1/materials/${forecast.id}/acknowledgements`, { personId: p.id })).status, 201);

  const read = await step('2031-03-04T21:00:00Z', [['prereadReminderHours', m1.id]]);
  t.same(ids(read.prereadReminderHours!.recipients), [notes.id, sales2.id].sort(), 'who has not acknowledged, not who declined');
  const soon = await step('2031-03-05T08:45:00Z', [['startingSoonMinutes', m1.id]]);
  t.same(ids(soon.startingSoonMinutes!.recipients), [chair.id, notes.id, presenter.id, sales2.id].sort());
  t.equal((await api.post(`/v1/meetings/${m1.id}/start`)).status, 200);
  t.equal((await api.post(`/v1/meetings/${m1.id}/end`)).status, 200);

  // The issue: due soon, overdue (the existing event), escalated to the sponsor three days on.
  t.same(ids((await step('2031-03-05T17:00:00Z', [['issueDueSoonHours', issue.id]])).issueDueSoonHours!.recipients), [presenter.id]);
  t.same(ids((await step('2031-03-06T10:00:00Z', [['minutesDueHours', m1.id]])).minutesDueHours!.recipients), [notes.id, chair.id].sort(), 'nothing was published');
  await step('2031-03-07T17:00:01Z', [['issueOverdue', issue.id]]);
  await step('2031-03-10T08:00:00Z', [['reportDigest', initiative.id]]);

  // The next occurrence moves a day later before its first reminder: its reminders move with it.
  t.equal((await api.patch(`/v1/meetings/${m2.id}`, { startsAt: '2031-03-13T09:00:00.000Z', endsAt: '2031-03-13T10:00:00.000Z' })).status, 200);
  await step('2031-03-10T09:00:00Z', []);
  const escalated = await step('2031-03-10T17:00:00Z', [['issueEscalationHours', issue.id]]);
  t.match(escalated.issueEscalationHours!.recipients, [{ personId: sponsor.id, reason: 'sponsor' }, { personId: chair.id, reason: 'initiative_owner' }]);
  t.same(ids((await step('2031-03-11T09:00:00Z', [['rsvpReminderHours', m2.id]])).rsvpReminderHours!.recipients), [chair.id, presenter.id, sales2.id].sort());
  // Then it is cancelled: what was pending is skipped and nothing more fires.
  t.equal((await api.post(`/v1/meetings/${m2.id}/cancel`, { reason: 'Launch slipped' })).status, 200);
  for (const at of ['2031-03-12T09:00:00Z', '2031-03-12T21:00:00Z', '2031-03-13T08:45:00Z', '2031-03-14T10:00:00Z']) await step(at, []);
  t.equal(fired.length, 12);

  // Every payload is what the catalogue says; every firing is one event of the log...
  for (const f of fired) {
    const e = await eventById(api, f.eventId);
    assertCatalogued(t, e.type, e.data);
  }
  const deadline = Date.now() + 30_000;
  let logged: { id: string; type: string }[] = [];
  while ((logged = await allPages(api, `/v1/events?type=${TYPES.join(',')}&limit=200`)).length < fired.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  t.same(logged.map((e) => e.id).sort(), fired.map((f) => f.eventId).sort(), 'GET /v1/events: each firing once, nothing else');

  // ...one verified delivery...
  const got = await receiver.waitFor(fired.length, 30_000);
  await new Promise((r) => setTimeout(r, 300));
  t.ok(got.every((r) => r.verified), 'every delivery verifies with standardwebhooks');
  t.same(receiver.received.map((r) => r.id).sort(), fired.map((f) => f.eventId).sort(), 'each delivered once, under its event id');
  for (const r of receiver.received) t.equal((r.parsed as { type: string }).type, logged.find((e) => e.id === r.id)!.type);

  // ...and one fired reminder in GET /v1/reminders, next to the cancelled meeting's skipped ones.
  const listed = (await allPages(api, '/v1/reminders?from=2031-03-03T00:00:00Z&to=2031-03-15T00:00:00Z&limit=200')) as Reminder[];
  for (const f of fired) {
    const rows = listed.filter((r) => r.eventId === f.eventId);
    t.match(rows, [{ rule: f.rule, status: 'fired', subject: { id: f.subjectId } }], `${f.rule} is listed as fired once`);
    t.equal(rows.length, 1);
  }
  t.same(
    listed.filter((r) => r.subject.id === m2.id && r.status !== 'fired').map((r) => [r.rule, r.fireAt, r.status, r.skipReason]),
    [
      ['prereadsDue', '2031-03-12T09:00:00.000Z', 'skipped', 'meeting_cancelled'],
      ['rsvpReminderHours', '2031-03-12T09:00:00.000Z', 'skipped', 'meeting_cancelled'],
      ['prereadReminderHours', '2031-03-12T21:00:00.000Z', 'skipped', 'meeting_cancelled'],
      ['startingSoonMinutes', '2031-03-13T08:45:00.000Z', 'skipped', 'meeting_cancelled'],
      ['minutesDueHours', '2031-03-14T10:00:00.000Z', 'skipped', 'meeting_cancelled'],
    ],
    'the moved meeting shows its new moments only, skipped once it was cancelled',
  );
  t.notOk(listed.some((r) => r.subject.id === m2.id && r.fireAt === '2031-03-10T09:00:00.000Z'), 'the moment before the move is gone');
});
