import t from 'tap';
import { drizzle } from 'drizzle-orm/postgres-js';
import { pino } from 'pino';
import * as schema from '../db/schema/index.js';
import { eventCatalogue } from '../src/events/catalogue.js';
import type { Db } from '../src/platform/database.js';
import { createScheduler } from '../src/platform/scheduler.js';
import { buildTestApp } from './helpers.js';
import { answer, assertCatalogued, eventById, firings, ids, invitedMeeting, person, ruleNamed, schedulerAt } from './follow-through-helpers.js';

// Each follow-through rule through the scheduler's tick on a ManualClock: who receives it, when
// it is skipped, what its subject's state suppresses, and when a late firing still goes.

const H = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

t.test('every follow-through event type is catalogued with a JSON Schema and an example that validates', async (t) => {
  const api = await buildTestApp(t);
  const types = ['participant.rsvp_reminder', 'meeting.prereads_due', 'material.read_reminder', 'meeting.starting_soon', 'minutes.overdue', 'issue.due_soon', 'issue.escalated'];
  const listed = (await api.get('/v1/event-types')).body.data as { type: string; schema: { properties?: Record<string, unknown> } }[];
  for (const type of types) {
    const def = eventCatalogue.find((d) => d.type === type)!;
    t.ok(def?.data.safeParse(def.example).success, `${type}: the example validates`);
    t.ok(listed.find((d) => d.type === type)?.schema.properties?.recipients, `${type}: GET /v1/event-types shows its schema`);
  }
  const doc = (await api.get('/openapi.json')).body;
  t.ok(types.every((type) => doc.webhooks?.[type]), 'each is an OpenAPI webhook');
});

t.test('rsvp reminders: 48 h and 24 h before, only to chairs, presenters and required participants who have not answered', async (t) => {
  const api = await buildTestApp(t);
  const [chair, presenter, agreed, declined, optional, notes] = await Promise.all(
    ['Ana Chair', 'Ben Presenter', 'Cai Agreed', 'Dora Declined', 'Eli Optional', 'Fay Notes'].map((n) => person(api, n, { timeZone: 'Asia/Shanghai' })),
  );
  const start = Date.parse('2031-03-10T09:00:00Z');
  const m = await invitedMeeting(api, {
    startsAt: iso(start), endsAt: iso(start + H), organizerId: chair!.id,
    participants: [
      { personId: chair!.id, role: 'chair' }, { personId: presenter!.id, role: 'presenter' }, { personId: agreed!.id }, { personId: declined!.id },
      { personId: optional!.id, role: 'optional' }, { personId: notes!.id, role: 'note_taker' },
    ],
  });
  await answer(api, m.id, agreed!.id, 'accepted');
  await answer(api, m.id, declined!.id, 'declined');
  // Another organisation's meeting at the same time: the scan crosses organisations, the events do not.
  const other = await api.newOrganization();
  const stranger = await person(other, 'Gus Other');
  const theirs = await invitedMeeting(other, { startsAt: iso(start), endsAt: iso(start + H), participants: [{ personId: stranger.id }] });

  const s = schedulerAt(api, iso(start - 48 * H - 1000), [ruleNamed('rsvpReminderHours')]);
  t.equal((await s.tickAt(iso(start - 48 * H - 1000))).fired, 0, 'a second early: nothing');
  t.equal((await s.tickAt(iso(start - 48 * H))).fired, 2, 'at 48 h: one event per organisation');
  const [first] = await firings(api, api.organizationId, 'rsvpReminderHours');
  t.match(first, { subjectId: m.id, moment: new Date(start - 48 * H), status: 'fired', lateBy: 0 });
  const event = await eventById(api, first!.eventId!);
  t.equal(event.type, 'participant.rsvp_reminder');
  assertCatalogued(t, event.type, event.data);
  t.same(ids(event.data.recipients), ids([chair!, presenter!].map((p) => ({ personId: p.id }))), 'the chair and the presenter: not who answered, not optional or note takers');
  t.match(event.data, {
    rule: 'rsvpReminderHours', dueAt: iso(start - 48 * H), firedAt: iso(start - 48 * H), lateBy: 0, hoursBefore: 48,
    recipients: [{ name: 'Ana Chair', email: chair!.email, timeZone: 'Asia/Shanghai', reason: 'needs_action' }, { name: 'Ben Presenter' }],
    meeting: { id: m.id, title: m.title, startsAt: iso(start), timeZone: 'Europe/Berlin', location: 'Room 4.12', onlineUrl: 'https://meet.example.com/q3', organizer: { id: chair!.id, name: 'Ana Chair' } },
  });
  const [theirFiring] = await firings(api, other.organizationId);
  t.match((await eventById(other, theirFiring!.eventId!)).data.recipients, [{ personId: stranger.id }], "the other organisation's reminder is in its own log");
  t.equal((await api.get(`/v1/events/${theirFiring!.eventId}`)).status, 404, 'and not in this one');
  t.ok(theirs.id);

  t.equal((await s.tickAt(iso(start - 48 * H + 30_000))).fired, 0, 'a moment fires once');
  await answer(api, m.id, presenter!.id, 'tentative');
  t.equal((await s.tickAt(iso(start - 24 * H + 30_000))).fired, 2);
  const again = (await firings(api, api.organizationId, 'rsvpReminderHours'))[1]!;
  t.match(again, { moment: new Date(start - 24 * H), lateBy: 30 });
  t.same(ids(again.recipients), [chair!.id], 'the presenter answered (tentative) and is left out');
  t.match((await eventById(api, again.eventId!)).data, { hoursBefore: 24, lateBy: 30 });

  // Everyone answered: the moment is recorded as skipped, no event.
  const quiet = await invitedMeeting(api, { startsAt: iso(start + 10 * H), endsAt: iso(start + 11 * H), participants: [{ personId: agreed!.id }] });
  await answer(api, quiet.id, agreed!.id, 'accepted');
  const report = await s.tickAt(iso(start - 14 * H));
  t.match(report, { fired: 0, skipped: 1 });
  t.match(await firings(api, api.organizationId, 'rsvpReminderHours'), [{}, {}, { subjectId: quiet.id, status: 'skipped', reason: 'no_recipients', eventId: null }]);
});

t.test('late firings: within a day and before the start only; several due at once send the latest', async (t) => {
  const api = await buildTestApp(t);
  const guest = await person(api, 'Hana Guest');
  const start = Date.parse('2031-04-10T09:00:00Z');
  const meeting = (offsetH: number) => invitedMeeting(api, { startsAt: iso(start + offsetH * H), endsAt: iso(start + offsetH * H + H), participants: [{ personId: guest.id }] });
  const a = await meeting(0);
  const s = schedulerAt(api, iso(start - 21 * H), [ruleNamed('rsvpReminderHours'), ruleNamed('startingSoonMinutes')]);
  // The worker was down from before the 48 h moment (27 h ago: beyond the look-back) until now.
  await s.tickAt(iso(start - 21 * H));
  const fired = await firings(api, api.organizationId);
  t.match(fired, [{ rule: 'rsvpReminderHours', subjectId: a.id, moment: new Date(start - 24 * H), status: 'fired', lateBy: 3 * 3600 }], 'the 24 h reminder goes 3 h late; the 48 h one is too old');
  t.equal(fired.length, 1);
  t.match((await eventById(api, fired[0]!.eventId!)).data, { lateBy: 10800, dueAt: iso(start - 24 * H), firedAt: iso(start - 21 * H) });

  // Two offsets due at once: the earlier is superseded by the later.
  t.equal((await api.put('/v1/follow-through-policy', { rsvpReminderHours: [30, 24] })).status, 200);
  const b = await meeting(24);
  await s.tickAt(iso(start + 24 * H - 23 * H));
  const ofB = (await firings(api, api.organizationId)).filter((f) => f.subjectId === b.id);
  t.equal(ofB.length, 2);
  t.match(ofB, [
    { moment: new Date(start - 6 * H), status: 'skipped', reason: 'superseded' },
    { moment: new Date(start), status: 'fired' },
  ]);

  // After the start nothing before-the-start goes: starting_soon 45 min late is skipped.
  const c = await meeting(48);
  await s.tickAt(iso(start + 48 * H + 30 * 60_000));
  t.match((await firings(api, api.organizationId, 'startingSoonMinutes')).filter((f) => f.subjectId === c.id), [{ status: 'skipped', reason: 'too_late', lateBy: 45 * 60 }]);
  // A few seconds late is the tick's own delay: it goes even at the start itself.
  t.equal((await api.put('/v1/follow-through-policy', { startingSoonMinutes: [0] })).status, 200);
  const d = await meeting(72);
  await s.tickAt(iso(start + 72 * H + 20_000));
  t.match((await firings(api, api.organizationId, 'startingSoonMinutes')).filter((f) => f.subjectId === d.id), [{ status: 'fired', lateBy: 20 }]);
});

t.test('a moved start re-arms; cancelled and completed meetings fire nothing more', async (t) => {
  const api = await buildTestApp(t);
  const guest = await person(api, 'Ivo Guest');
  const start = Date.parse('2031-05-10T09:00:00Z');
  const m = await invitedMeeting(api, { startsAt: iso(start), endsAt: iso(start + H), participants: [{ personId: guest.id }] });
  const s = schedulerAt(api, iso(start - 24 * H), [ruleNamed('rsvpReminderHours'), ruleNamed('startingSoonMinutes'), ruleNamed('minutesDueHours')]);
  t.equal((await s.tickAt(iso(start - 24 * H))).fired, 1);
  // Moved a day later on the same morning: the 24 h reminder is planned anew for the new start.
  const moved = await api.patch(`/v1/meetings/${m.id}`, { startsAt: iso(start + 24 * H), endsAt: iso(start + 25 * H) });
  t.equal(moved.status, 200);
  t.equal((await s.tickAt(iso(start - 24 * H + 60_000))).fired, 0, 'the old moment is not fired again');
  t.equal((await s.tickAt(iso(start))).fired, 1, 'the new 24 h moment fires');
  t.match(await firings(api, api.organizationId, 'rsvpReminderHours'), [{ moment: new Date(start - 24 * H) }, { moment: new Date(start) }]);
  const planned = await ruleNamed('startingSoonMinutes').planned(api.database.db, api.organizationId, { from: new Date(start), to: new Date(start + 48 * H) }, { meetingId: m.id });
  t.match(planned, [{ moment: new Date(start + 24 * H - 15 * 60_000), recipients: [{ personId: guest.id, reason: 'participant' }] }]);
  t.notOk(planned[0]!.skipReason);

  t.equal((await api.post(`/v1/meetings/${m.id}/cancel`, { reason: 'Budget freeze' })).status, 200);
  t.equal((await s.tickAt(iso(start + 24 * H - 15 * 60_000))).fired, 0, 'cancelled: no starting_soon');
  t.equal((await s.tickAt(iso(start + 49 * H))).fired, 0, 'cancelled: no minutes.overdue');
  const after = await ruleNamed('startingSoonMinutes').planned(api.database.db, api.organizationId, { from: new Date(start), to: new Date(start + 48 * H) }, { meetingId: m.id });
  t.match(after, [{ skipReason: 'meeting_cancelled' }], 'GET /v1/reminders material: the pending moment shows as skipped');

  // Held and completed early (in real time): nothing before the start goes any more.
  const held = await invitedMeeting(api, { startsAt: iso(start + 100 * H), endsAt: iso(start + 101 * H), participants: [{ personId: guest.id }] });
  t.equal((await api.post(`/v1/meetings/${held.id}/start`)).status, 200);
  t.equal((await api.post(`/v1/meetings/${held.id}/end`)).status, 200);
  t.equal((await s.tickAt(iso(start + 100 * H - 15 * 60_000))).fired, 0, 'completed: no starting_soon');
  t.equal((await s.tickAt(iso(start + 76 * H))).fired, 0, 'completed: no rsvp reminder');
  t.equal((await firings(api, api.organizationId)).filter((f) => f.subjectId === held.id).length, 0, 'nothing recorded: the scans do not see them');
});

t.test('prereads due: at materialsDueAt, to the organizer and the owners of discussion and decision items without material', async (t) => {
  const api = await buildTestApp(t);
  const [organizer, withDoc, without, informer] = await Promise.all(['Jo Organizer', 'Kim Documented', 'Lea Missing', 'Max Informs'].map((n) => person(api, n)));
  const start = Date.parse('2031-06-10T09:00:00Z');
  const m = await invitedMeeting(api, {
    startsAt: iso(start), endsAt: iso(start + H), organizerId: organizer!.id, participants: [{ personId: organizer!.id, role: 'chair' }],
    agendaItems: [
      { title: 'Launch plan', kind: 'discussion', ownerId: withDoc!.id },
      { title: 'Logistics budget', kind: 'decision', ownerId: without!.id },
      { title: 'Team news', kind: 'information', ownerId: informer!.id },
      { title: 'Open question', kind: 'discussion' },
    ],
  });
  const detail = (await api.get(`/v1/meetings/${m.id}`)).body;
  const [plan, budget, , question] = detail.agendaItems as { id: string }[];
  const doc = await api.post(`/v1/meetings/${m.id}/materials`, { title: 'Plan v2', url: 'https://docs.example.com/plan', agendaItemId: plan!.id });
  t.equal(doc.status, 201);
  await api.database.sql`update materials set late = true where id = ${doc.body.id}`; // shared after the deadline (in real time it is not)

  // An initiative that turned the rule off: its meeting is never due.
  const sponsor = await person(api, 'Nia Sponsor');
  const quiet = await api.post('/v1/initiatives', { title: 'Quiet', sponsorId: sponsor.id, ownerId: organizer!.id, departmentIds: [], status: 'active' });
  t.equal(quiet.status, 201);
  t.equal((await api.put(`/v1/initiatives/${quiet.body.id}/follow-through-policy`, { prereadsDue: false })).status, 200);
  await invitedMeeting(api, { startsAt: iso(start), endsAt: iso(start + H), initiativeId: quiet.body.id, organizerId: organizer!.id, agendaItems: [{ title: 'x', kind: 'decision', ownerId: without!.id }] });

  const s = schedulerAt(api, iso(start - 24 * H), [ruleNamed('prereadsDue')]);
  t.equal((await s.tickAt(iso(start - 24 * H - 1000))).fired, 0);
  t.equal((await s.tickAt(iso(start - 24 * H))).fired, 1, 'one meeting: the other initiative turned it off');
  const [f] = await firings(api, api.organizationId, 'prereadsDue');
  const event = await eventById(api, f!.eventId!);
  t.equal(event.type, 'meeting.prereads_due');
  assertCatalogued(t, event.type, event.data);
  t.match(event.data, {
    rule: 'prereadsDue', dueAt: iso(start - 24 * H),
    recipients: [{ personId: organizer!.id, reason: 'organizer' }, { personId: without!.id, reason: 'agenda_item_owner' }],
    materials: [{ id: doc.body.id, title: 'Plan v2', agendaItemId: plan!.id, late: true }],
    missing: [
      { agendaItemId: budget!.id, title: 'Logistics budget', kind: 'decision', owner: { id: without!.id, name: 'Lea Missing' } },
      { agendaItemId: question!.id, title: 'Open question', kind: 'discussion', owner: null },
    ],
  });
  t.equal(event.data.recipients.length, 2, 'not the owner of the covered item nor of the information item');
  t.equal(event.data.missing.length, 2);
});

t.test('read reminders name the required materials each participant has not acknowledged', async (t) => {
  const api = await buildTestApp(t);
  const [readAll, readOne, readNone, declined] = await Promise.all(['Ola Read', 'Pia Half', 'Quin None', 'Rui Declined'].map((n) => person(api, n)));
  const start = Date.parse('2031-07-10T09:00:00Z');
  const m = await invitedMeeting(api, { startsAt: iso(start), endsAt: iso(start + H), participants: [readAll, readOne, readNone, declined].map((p) => ({ personId: p!.id })) });
  await answer(api, m.id, declined!.id, 'declined');
  const share = async (title: string, required: boolean) => (await api.post(`/v1/meetings/${m.id}/materials`, { title, url: `https://docs.example.com/${title}`, required })).body.id as string;
  const [one, two] = [await share('one', true), await share('two', true)];
  await share('extra', false);
  const ack = async (material: string, personId: string) => t.equal((await api.post(`/v1/materials/${material}/acknowledgements`, { personId })).status, 201);
  await ack(one, readAll!.id);
  await ack(two, readAll!.id);
  await ack(one, readOne!.id);
  // Without required materials there is nothing to remind of.
  const bare = await invitedMeeting(api, { startsAt: iso(start), endsAt: iso(start + H), participants: [{ personId: readNone!.id }] });

  const s = schedulerAt(api, iso(start - 12 * H), [ruleNamed('prereadReminderHours')]);
  t.match(await s.tickAt(iso(start - 12 * H)), { fired: 1, skipped: 1 });
  const recorded = await firings(api, api.organizationId);
  t.match(recorded.find((f) => f.subjectId === bare.id), { status: 'skipped', reason: 'no_required_materials' });
  const event = await eventById(api, recorded.find((f) => f.subjectId === m.id)!.eventId!);
  assertCatalogued(t, 'material.read_reminder', event.data);
  t.same(ids(event.data.recipients), [readOne!.id, readNone!.id].sort(), 'not who read everything, not who declined');
  t.ok(event.data.recipients.every((r: { reason: string }) => r.reason === 'unread_materials'));
  t.same(event.data.materials.map((x: { id: string }) => x.id), [one, two], 'the required materials only');
  t.same(
    Object.fromEntries(event.data.unread.map((u: { personId: string; materialIds: string[] }) => [u.personId, u.materialIds])),
    { [readOne!.id]: [two], [readNone!.id]: [one, two] },
  );
});

t.test('starting soon goes to every participant who has not declined', async (t) => {
  const api = await buildTestApp(t);
  const people = await Promise.all(['Sia Yes', 'Tom Maybe', 'Uma Silent', 'Vic No'].map((n) => person(api, n)));
  const start = Date.parse('2031-08-10T09:00:00Z');
  const m = await invitedMeeting(api, { startsAt: iso(start), endsAt: iso(start + H), participants: people.map((p) => ({ personId: p.id, role: 'optional' })) });
  await answer(api, m.id, people[0]!.id, 'accepted');
  await answer(api, m.id, people[1]!.id, 'tentative');
  await answer(api, m.id, people[3]!.id, 'declined');
  const s = schedulerAt(api, iso(start - 15 * 60_000), [ruleNamed('startingSoonMinutes')]);
  t.equal((await s.tickAt(iso(start - 15 * 60_000))).fired, 1);
  const event = await eventById(api, (await firings(api, api.organizationId))[0]!.eventId!);
  assertCatalogued(t, 'meeting.starting_soon', event.data);
  t.same(ids(event.data.recipients), people.slice(0, 3).map((p) => p.id).sort());
  t.match(event.data, { minutesBefore: 15, meeting: { onlineUrl: 'https://meet.example.com/q3' } });
});

t.test('minutes overdue: 24 h after the planned end with nothing published, to the note takers and the organizer', async (t) => {
  const api = await buildTestApp(t);
  const [organizer, notes, other] = await Promise.all(['Wen Organizer', 'Xia Notes', 'Yan Other'].map((n) => person(api, n)));
  const end = Date.parse('2031-09-10T10:00:00Z');
  const body = { startsAt: iso(end - H), endsAt: iso(end), organizerId: organizer!.id, participants: [{ personId: notes!.id, role: 'note_taker' }, { personId: other!.id }] };
  const pending = await invitedMeeting(api, body);
  const published = await invitedMeeting(api, body);
  t.equal((await api.post(`/v1/meetings/${published.id}/start`)).status, 200);
  t.equal((await api.put(`/v1/meetings/${published.id}/minutes`, { summary: 'Agreed.', attendance: [] })).status, 200);
  t.equal((await api.post(`/v1/meetings/${published.id}/minutes/publish`)).status, 201);
  const drafted = await invitedMeeting(api, body);
  t.equal((await api.post(`/v1/meetings/${drafted.id}/start`)).status, 200);
  t.equal((await api.put(`/v1/meetings/${drafted.id}/minutes`, { summary: 'Half written', attendance: [] })).status, 200);

  const s = schedulerAt(api, iso(end + 24 * H - 1000), [ruleNamed('minutesDueHours')]);
  t.equal((await s.tickAt(iso(end + 24 * H - 1000))).fired, 0);
  // Two hours late (an outage): it still goes, the minutes are still missing.
  t.equal((await s.tickAt(iso(end + 26 * H))).fired, 2, 'not the meeting with published minutes');
  const recorded = await firings(api, api.organizationId);
  t.same(recorded.map((f) => f.subjectId).sort(), [pending.id, drafted.id].sort());
  for (const f of recorded) {
    const event = await eventById(api, f.eventId!);
    assertCatalogued(t, 'minutes.overdue', event.data);
    t.match(event.data, {
      hoursAfterEnd: 24, lateBy: 7200, draftStarted: f.subjectId === drafted.id,
      recipients: [{ personId: notes!.id, reason: 'note_taker' }, { personId: organizer!.id, reason: 'organizer' }],
    });
    t.equal(event.data.recipients.length, 2);
  }
});

t.test('issue rules: due soon to the owner, escalated to the sponsor and owner, or the department lead', async (t) => {
  const api = await buildTestApp(t);
  const [owner, lead, sponsor, initiativeOwner] = await Promise.all(['Zoe Owner', 'Abe Lead', 'Bea Sponsor', 'Cy Lead'].map((n) => person(api, n)));
  const dept = await api.post('/v1/departments', { name: 'Logistics', code: `LOG${Date.now() % 100000}`, leadId: lead!.id });
  t.equal(dept.status, 201);
  t.equal((await api.patch(`/v1/people/${owner!.id}`, { departmentId: dept.body.id })).status, 200);
  const initiative = await api.post('/v1/initiatives', { title: 'Q3 launch', sponsorId: sponsor!.id, ownerId: initiativeOwner!.id, departmentIds: [], status: 'active' });
  const due = Date.parse('2031-10-10T17:00:00Z');
  const issue = async (extra: Record<string, unknown>) => {
    const res = await api.post('/v1/issues', { title: 'Confirm the budget', kind: 'action', ownerId: owner!.id, dueAt: iso(due), ...extra });
    if (res.status !== 201) throw new Error(res.text);
    return res.body.id as string;
  };
  const inInitiative = await issue({ initiativeId: initiative.body.id });
  const alone = await issue({});
  const resolved = await issue({});
  t.equal((await api.patch(`/v1/issues/${resolved}`, { status: 'resolved', resolution: 'Done' })).status, 200);
  const unowned = await issue({ ownerId: null });

  const s = schedulerAt(api, iso(due - 48 * H), [ruleNamed('issueDueSoonHours'), ruleNamed('issueEscalationHours')]);
  t.match(await s.tickAt(iso(due - 48 * H)), { fired: 2, skipped: 1 }, 'not the resolved one; the unowned one is skipped');
  const soon = await firings(api, api.organizationId, 'issueDueSoonHours');
  t.match(soon.find((f) => f.subjectId === unowned), { status: 'skipped', reason: 'no_recipients' });
  const event = await eventById(api, soon.find((f) => f.subjectId === inInitiative)!.eventId!);
  assertCatalogued(t, 'issue.due_soon', event.data);
  t.match(event.data, { hoursBefore: 48, recipients: [{ personId: owner!.id, reason: 'owner' }], issue: { id: inInitiative, dueAt: iso(due), overdue: false }, owner: { id: owner!.id, name: 'Zoe Owner' } });

  // The due date moves: a new moment; and after the due time a due_soon no longer goes.
  t.equal((await api.patch(`/v1/issues/${alone}`, { dueAt: iso(due + 10 * H) })).status, 200);
  t.equal((await s.tickAt(iso(due - 38 * H))).fired, 1, 'the moved issue is due soon again');
  t.equal((await api.put('/v1/follow-through-policy', { issueDueSoonHours: [48, 2] })).status, 200);
  await s.tickAt(iso(due + 60_000));
  t.match((await firings(api, api.organizationId, 'issueDueSoonHours')).filter((f) => f.moment.getTime() === due - 2 * H), [{ status: 'skipped', reason: 'too_late' }]);

  t.equal((await s.tickAt(iso(due + 72 * H - 1000))).fired, 0);
  t.match(await s.tickAt(iso(due + 72 * H)), { fired: 1, skipped: 1 });
  const escalated = await firings(api, api.organizationId, 'issueEscalationHours');
  t.match(escalated.find((f) => f.subjectId === inInitiative), { recipients: [{ personId: sponsor!.id, reason: 'sponsor' }, { personId: initiativeOwner!.id, reason: 'initiative_owner' }] });
  t.match(escalated.find((f) => f.subjectId === unowned), { status: 'skipped', reason: 'no_recipients' }, 'no initiative and no owner: nobody to escalate to');
  const e2 = await eventById(api, escalated.find((f) => f.subjectId === inInitiative)!.eventId!);
  assertCatalogued(t, 'issue.escalated', e2.data);
  t.match(e2.data, { hoursOverdue: 72, initiative: { id: initiative.body.id, title: 'Q3 launch' }, issue: { overdue: true } });
  t.equal((await s.tickAt(iso(due + 82 * H))).fired, 1, 'the issue without an initiative (due 10 h later) goes to the department lead');
  t.match((await firings(api, api.organizationId, 'issueEscalationHours')).find((f) => f.subjectId === alone), { recipients: [{ personId: lead!.id, reason: 'department_lead' }] });
  t.notOk((await firings(api, api.organizationId)).some((f) => f.subjectId === resolved), 'the resolved issue fired nothing');
});

t.test('a batch costs the same few queries whether one meeting or twenty are due', async (t) => {
  const api = await buildTestApp(t);
  // Statements inside the scheduler's transactions (the wake-up sent after a commit is not the tick's).
  let queries = 0;
  const counting = new Proxy(api.database.sql, {
    get(target, prop) {
      if (prop === 'begin') {
        return (fn: (tx: unknown) => unknown) =>
          target.begin((tx) => fn(new Proxy(tx, { get: (x, k) => (k === 'unsafe' ? (q: string, p?: unknown[], o?: object) => (queries++, x.unsafe(q, p as never, o)) : Reflect.get(x, k, x)) })));
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  const db = drizzle(counting, { schema, casing: 'snake_case' }) as unknown as Db;
  const scheduler = createScheduler({ db, log: pino({ enabled: false }), clock: { now: () => clock }, rules: [ruleNamed('prereadReminderHours'), ruleNamed('issueEscalationHours')], tasks: [] });
  let clock = new Date();
  const guest = await person(api, 'Ida Guest');
  const lead = await person(api, 'Jan Lead');
  const dept = await api.post('/v1/departments', { name: 'Sales', code: `S${Date.now() % 100000}`, leadId: lead.id });
  t.equal((await api.patch(`/v1/people/${guest.id}`, { departmentId: dept.body.id })).status, 200);
  const start = Date.parse('2031-11-10T09:00:00Z');
  const setUp = async (n: number, at: number) => {
    for (let i = 0; i < n; i++) {
      const m = await invitedMeeting(api, { startsAt: iso(at), endsAt: iso(at + H), participants: [{ personId: guest.id }] });
      t.equal((await api.post(`/v1/meetings/${m.id}/materials`, { title: 'Read me', url: 'https://docs.example.com/r', required: true })).status, 201);
      t.equal((await api.post('/v1/issues', { title: `Issue ${i}`, ownerId: guest.id, dueAt: iso(at) })).status, 201);
    }
  };
  await setUp(1, start);
  await setUp(20, start + 200 * H);
  const tickAt = async (at: number) => {
    clock = new Date(at);
    queries = 0;
    const report = await scheduler.tick();
    return { fired: report.fired, queries };
  };
  const one = await tickAt(start - 12 * H);
  const twenty = await tickAt(start + 188 * H);
  t.same([one.fired, twenty.fired], [1, 20]);
  t.equal(twenty.queries, one.queries, `read reminders: ${one.queries} queries for one meeting and for twenty`);
  const oneIssue = await tickAt(start + 72 * H);
  const twentyIssues = await tickAt(start + 272 * H);
  t.same([oneIssue.fired, twentyIssues.fired], [1, 20]);
  t.equal(twentyIssues.queries, oneIssue.queries, `escalations: ${oneIssue.queries} queries for one issue and for twenty`);
});
