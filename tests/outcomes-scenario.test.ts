import t from 'tap';
import { buildTestApp } from './helpers.js';
import { eventsOf } from './outcomes-helpers.js';
import { crossDepartmentCast } from './meetings-helpers.js';
import { scanOverdueIssues } from '../src/issues/overdue-scan.js';
import { decisionEventTypes } from '../src/decisions/events.js';
import { issueEventTypes } from '../src/issues/events.js';
import { minutesEventTypes } from '../src/minutes/events.js';

// The outcomes half of the issue's end-to-end walk, continuing the meetings scenario: the weekly
// cross-department launch meeting is held, its decisions, issues and minutes are recorded, a
// follow-up is scheduled with what was left open, and an issue nobody resolves becomes overdue.
t.test('a launch meeting from start to follow-up and an overdue issue, end to end', async (t) => {
  const api = await buildTestApp(t);
  const { sales, ops, finance, chair, notes, presenter, sales2 } = await crossDepartmentCast(api);
  const ok = (res: { status: number; text: string }, status = 200) => t.equal(res.status, status, res.text.slice(0, 300));

  // A previous meeting decided who carries the budget.
  const kickoff = (await api.post('/v1/meetings', {
    title: 'Launch kickoff', startsAt: '2031-02-24T09:00:00Z', endsAt: '2031-02-24T10:00:00Z', timeZone: 'Europe/Berlin',
    participants: [{ personId: chair.id, role: 'chair' }, { personId: presenter.id }],
  })).body;
  for (const step of ['invitations', 'start']) ok(await api.post(`/v1/meetings/${kickoff.id}/${step}`));
  const oldDecision = await api.post(`/v1/meetings/${kickoff.id}/decisions`, { title: 'Launch budget', statement: 'Finance carries the launch budget alone.', supporters: [presenter.id] });
  ok(oldDecision, 201);
  ok(await api.post(`/v1/meetings/${kickoff.id}/end`));

  // The weekly series of the meetings scenario; its first occurrence is held.
  const created = await api.post('/v1/meetings', {
    title: 'Launch coordination', objective: 'Agree the Q2 launch plan across sales, operations and finance',
    startsAt: '2031-03-03T09:00:00.000Z', endsAt: '2031-03-03T10:00:00.000Z', timeZone: 'Europe/Berlin', organizerId: chair.id,
    recurrence: 'FREQ=WEEKLY;BYDAY=MO;COUNT=4',
    participants: [{ personId: chair.id, role: 'chair' }, { personId: notes.id, role: 'note_taker' }, { personId: presenter.id, role: 'presenter' }, { personId: sales2.id }],
    agendaItems: [
      { title: 'Budget approval', kind: 'decision', durationMinutes: 15, ownerId: presenter.id },
      { title: 'Goals and metrics', kind: 'information', durationMinutes: 10, ownerId: chair.id },
      { title: 'Sales forecast', kind: 'discussion', durationMinutes: 15, ownerId: sales2.id },
      { title: 'Operations capacity', kind: 'discussion', durationMinutes: 15, ownerId: notes.id },
    ],
  });
  ok(created, 201);
  const m = created.body;
  const [budgetItem, goalsItem, forecastItem, capacityItem] = m.agendaItems as { id: string }[];
  ok(await api.post(`/v1/meetings/${m.id}/invitations`));
  const started = await api.post(`/v1/meetings/${m.id}/start`);
  ok(started);
  t.equal(started.body.status, 'in_progress');

  // Two decisions: one new, one replacing the kickoff's.
  const launchDate = await api.post(`/v1/meetings/${m.id}/decisions`, {
    title: 'Launch date', statement: 'We launch on 2 June in DACH first.', supporters: [chair.id, sales2.id], objections: [{ personId: notes.id, note: 'Warehouse needs two more weeks.' }],
  });
  ok(launchDate, 201);
  const sharedBudget = await api.post(`/v1/meetings/${m.id}/decisions`, {
    title: 'Shared launch budget', statement: 'Sales and Finance share the launch budget 50/50.', rationale: 'Sales owns the campaign costs.',
    agendaItemId: budgetItem!.id, supporters: [presenter.id, chair.id], supersedesId: oldDecision.body.id,
  });
  ok(sharedBudget, 201);
  const recorded = await eventsOf(api, 'decision.recorded');
  t.same(recorded.map((e) => [e.data.decision.id, e.data.decision.meetingId, e.data.decision.version]), [
    [oldDecision.body.id, kickoff.id, 1], [launchDate.body.id, m.id, 1], [sharedBudget.body.id, m.id, 1],
  ]);
  t.match(recorded[1]!.data.decision, { supporters: [chair.id, sales2.id], objections: [{ personId: notes.id, note: 'Warehouse needs two more weeks.' }], status: 'active' });
  const superseded = await eventsOf(api, 'decision.superseded');
  t.equal(superseded.length, 1);
  t.match(superseded[0]!.data, {
    decision: { id: oldDecision.body.id, meetingId: kickoff.id, status: 'superseded', supersededById: sharedBudget.body.id, version: 2 },
    supersededBy: { id: sharedBudget.body.id, supersedesId: oldDecision.body.id, agendaItemId: budgetItem!.id },
  });

  // Three issues, owned in three departments.
  const regions = (await api.post(`/v1/meetings/${m.id}/issues`, { title: 'Confirm launch regions', kind: 'question', ownerId: sales2.id, dueAt: '2031-03-08T17:00:00Z', agendaItemId: forecastItem!.id })).body;
  const capacity = (await api.post(`/v1/meetings/${m.id}/issues`, { title: 'Warehouse capacity plan', kind: 'risk', priority: 'high', ownerId: notes.id, dueAt: '2031-03-20T17:00:00Z' })).body;
  const costCentre = (await api.post(`/v1/meetings/${m.id}/issues`, { title: 'Open the launch cost centre', ownerId: presenter.id, dueAt: '2031-03-06T17:00:00Z', agendaItemId: budgetItem!.id })).body;
  const opened = await eventsOf(api, 'issue.opened');
  t.same(opened.map((e) => [e.data.issue.id, e.data.issue.departmentId, e.data.owner.email]), [
    [regions.id, sales, sales2.email], [capacity.id, ops, notes.email], [costCentre.id, finance, presenter.email],
  ]);
  t.match(opened[1]!.data.issue, { meetingId: m.id, kind: 'risk', priority: 'high', status: 'open', dueAt: '2031-03-20T17:00:00.000Z', version: 1 });

  for (const [item, status] of [[budgetItem, 'discussed'], [goalsItem, 'discussed'], [forecastItem, 'deferred']] as const) {
    ok(await api.patch(`/v1/meetings/${m.id}/agenda-items/${item!.id}`, { status }));
  }

  // Minutes: revision 1, then a correction as revision 2.
  const url = `/v1/meetings/${m.id}/minutes`;
  const draft = {
    summary: '## Launch coordination\n- Launch on 2 June (DACH first).\n- Budget shared 50/50.',
    attendance: [{ personId: chair.id, present: true }, { personId: notes.id, present: true }, { personId: presenter.id, present: true }, { personId: sales2.id, present: false }],
    acknowledgements: [{ personId: presenter.id, note: 'Thanks for the cost model.' }],
  };
  ok(await api.put(url, draft, { 'if-match': '"v0"' }));
  ok(await api.post(`${url}/publish`), 201);
  let published = await eventsOf(api, 'minutes.published');
  t.equal(published.length, 1);
  t.match(published[0]!.data, {
    meetingId: m.id, revision: 1, version: 1, meeting: { id: m.id, title: 'Launch coordination', timeZone: 'Europe/Berlin', status: 'in_progress' },
    summary: draft.summary,
    acknowledgements: [{ personId: presenter.id, name: 'Fiona Berg', note: 'Thanks for the cost model.' }],
    decisions: [
      { id: launchDate.body.id, title: 'Launch date', supporters: [{ name: 'Mei Chen', email: chair.email }, { name: 'Sam Price' }], objections: [{ name: 'Omar Haddad', email: notes.email }] },
      { id: sharedBudget.body.id, supersedesId: oldDecision.body.id, supporters: [{ name: 'Fiona Berg' }, { name: 'Mei Chen' }] },
    ],
    issues: [
      { id: regions.id, owner: { name: 'Sam Price', email: sales2.email }, department: { id: sales, name: 'Sales' }, dueAt: '2031-03-08T17:00:00.000Z' },
      { id: capacity.id, owner: { name: 'Omar Haddad', email: notes.email }, department: { id: ops, name: 'Operations' }, dueAt: '2031-03-20T17:00:00.000Z' },
      { id: costCentre.id, owner: { name: 'Fiona Berg', email: presenter.email }, department: { id: finance, name: 'Finance' }, dueAt: '2031-03-06T17:00:00.000Z' },
    ],
  });
  const attendance = published[0]!.data.attendance as { id: string; name: string; email: string; role: string; present: boolean }[];
  t.same(attendance.map((a) => `${a.name} <${a.email}> ${a.role} ${a.present}`).sort(), [
    `Fiona Berg <${presenter.email}> presenter true`, `Mei Chen <${chair.email}> chair true`,
    `Omar Haddad <${notes.email}> note_taker true`, `Sam Price <${sales2.email}> required false`,
  ]);
  const participants = (await api.get(`/v1/meetings/${m.id}`)).body.participants as { personId: string; attended: boolean | null }[];
  t.same(Object.fromEntries(participants.map((p) => [p.personId, p.attended])), { [chair.id]: true, [notes.id]: true, [presenter.id]: true, [sales2.id]: false });

  ok(await api.put(url, { ...draft, summary: `${draft.summary}\n- Correction: DACH and the Nordics.` }, { 'if-match': '"v2"' }));
  const second = await api.post(`${url}/publish`);
  ok(second, 201);
  published = await eventsOf(api, 'minutes.published');
  t.same(published.map((e) => [e.data.revision, e.data.changedFields]), [[1, ['summary', 'attendance', 'acknowledgements', 'decisions', 'issues']], [2, ['summary']]]);
  t.match(published[1]!.data.summary, /Nordics/);
  t.notMatch((await api.get(`${url}/revisions/1`)).body.summary, /Nordics/, 'revision 1 is unchanged');

  // The follow-up, scheduled before the meeting closes, takes what was left open.
  const followUp = await api.post(`/v1/meetings/${m.id}/follow-up`, { startsAt: '2031-03-05T09:00:00Z' });
  ok(followUp, 201);
  const f = followUp.body;
  t.match(f, { followUpOfId: m.id, title: 'Follow-up: Launch coordination', startsAt: '2031-03-05T09:00:00.000Z', endsAt: '2031-03-05T10:00:00.000Z', seriesId: null });
  t.equal(f.participants.length, 4);
  t.same(f.agendaItems.map((i: { title: string; carriedFrom: unknown }) => [i.title, i.carriedFrom]), [
    ['Sales forecast', { agendaItemId: forecastItem!.id, issueId: null }],
    ['Operations capacity', { agendaItemId: capacityItem!.id, issueId: null }],
    ['Confirm launch regions', { agendaItemId: null, issueId: regions.id }],
    ['Warehouse capacity plan', { agendaItemId: null, issueId: capacity.id }],
    ['Open the launch cost centre', { agendaItemId: null, issueId: costCentre.id }],
  ]);
  const carried = (await eventsOf(api, 'issue.updated')).filter((e) => e.data.changes.followUpMeetingId);
  t.same(carried.map((e) => [e.data.issue.id, e.data.issue.version, e.data.changes.followUpMeetingId.after]), [
    [regions.id, 2, f.id], [capacity.id, 2, f.id], [costCentre.id, 2, f.id],
  ]);

  // Finance resolves its issue; the meeting ends.
  ok(await api.patch(`/v1/issues/${costCentre.id}`, { status: 'in_progress' }));
  const refused = await api.patch(`/v1/issues/${costCentre.id}`, { status: 'resolved' });
  t.equal(refused.status, 400, 'resolving needs a resolution');
  ok(await api.patch(`/v1/issues/${costCentre.id}`, { status: 'resolved', resolution: 'Cost centre 4711 opened.' }, { 'if-match': '"v3"' }));
  const resolved = await eventsOf(api, 'issue.resolved');
  t.equal(resolved.length, 1);
  t.match(resolved[0]!.data, { issue: { id: costCentre.id, status: 'resolved', resolution: 'Cost centre 4711 opened.', version: 4 }, owner: { email: presenter.email } });
  ok(await api.post(`/v1/meetings/${m.id}/end`));
  t.equal((await api.get(`/v1/meetings/${f.id}`)).body.agendaItems.length, 5, 'ending carries nothing twice');

  // On 10 March the scan finds one overdue issue (regions, due 8 March); capacity is due later.
  const now = new Date('2031-03-10T00:00:00Z');
  t.equal(await scanOverdueIssues(api.database.db, now), 1);
  t.equal(await scanOverdueIssues(api.database.db, now), 0, 'exactly once');
  const overdue = await eventsOf(api, 'issue.overdue');
  t.equal(overdue.length, 1);
  t.match(overdue[0]!.data, {
    issue: { id: regions.id, status: 'open', overdue: true, dueAt: '2031-03-08T17:00:00.000Z', followUpMeetingId: f.id, version: 2 },
    owner: { id: sales2.id, name: 'Sam Price', email: sales2.email, departmentId: sales },
  });

  // Every payload emitted is what the catalogue declares.
  for (const def of [...decisionEventTypes, ...issueEventTypes, ...minutesEventTypes]) {
    for (const e of await eventsOf(api, def.type)) {
      const parsed = def.data.safeParse(e.data);
      t.ok(parsed.success, `${def.type} payload matches its schema ${parsed.success ? '' : JSON.stringify(parsed.error.issues[0])}`);
    }
  }
  const search = await api.get(`/v1/search?q=${encodeURIComponent('launch budget')}`);
  t.same(search.body.data.map((h: { id: string }) => h.id).sort(), [oldDecision.body.id, sharedBudget.body.id].sort());
});
