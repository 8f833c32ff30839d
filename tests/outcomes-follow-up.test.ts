import t from 'tap';
import { buildTestApp, uniq } from './helpers.js';
import { eventsOf, person } from './outcomes-helpers.js';

type Item = { id: string; title: string; status: string; position: number; carriedFrom: { agendaItemId: string | null; issueId: string | null } | null };

t.test('follow-up meetings carry deferred/pending items and unresolved issues, once', async (t) => {
  const api = await buildTestApp(t);
  const [chair, ana, bo] = [await person(api, 'Chair'), await person(api, 'Ana'), await person(api, 'Bo')];
  const created = await api.post('/v1/meetings', {
    title: 'Vendor review', objective: 'Pick a vendor', startsAt: '2031-05-05T08:00:00Z', endsAt: '2031-05-05T09:30:00Z', timeZone: 'Europe/Berlin',
    location: 'Room 1', organizerId: chair.id,
    participants: [{ personId: chair.id, role: 'chair' }, { personId: ana.id }, { personId: bo.id, role: 'optional' }],
    agendaItems: [{ title: 'Shortlist' }, { title: 'Pricing' }, { title: 'Security review' }, { title: 'AOB' }],
  });
  t.equal(created.status, 201, created.text);
  const source = created.body;
  const [shortlist, pricing, security, aob] = source.agendaItems as Item[];
  await api.post(`/v1/meetings/${source.id}/invitations`);
  await api.post(`/v1/meetings/${source.id}/start`);
  for (const [item, status] of [[shortlist, 'discussed'], [pricing, 'deferred'], [aob, 'discussed']] as const) {
    const r = await api.patch(`/v1/meetings/${source.id}/agenda-items/${item!.id}`, { status });
    t.equal(r.status, 200, r.text);
  }
  const open = (await api.post(`/v1/meetings/${source.id}/issues`, { title: 'Ask for references', ownerId: ana.id })).body;
  const working = (await api.post(`/v1/meetings/${source.id}/issues`, { title: 'Price breakdown', ownerId: bo.id, agendaItemId: pricing!.id })).body;
  await api.patch(`/v1/issues/${working.id}`, { status: 'in_progress' });
  const done = (await api.post(`/v1/meetings/${source.id}/issues`, { title: 'Book room' })).body;
  await api.patch(`/v1/issues/${done.id}`, { status: 'resolved', resolution: 'Booked.' });
  const elsewhere = (await api.post('/v1/issues', { title: 'Unrelated' })).body;
  await api.post(`/v1/meetings/${source.id}/end`);

  const followUp = await api.post(`/v1/meetings/${source.id}/follow-up`, {});
  t.equal(followUp.status, 201, followUp.text);
  const f = followUp.body;
  t.match(f, {
    title: 'Follow-up: Vendor review', objective: 'Pick a vendor', followUpOfId: source.id, status: 'draft', location: 'Room 1', organizerId: chair.id,
    startsAt: '2031-05-12T08:00:00.000Z', endsAt: '2031-05-12T09:30:00.000Z', timeZone: 'Europe/Berlin',
  });
  const roles = (ps: { personId: string; role: string; response: string }[]) => ps.map((p) => [p.personId, p.role, p.response].join()).sort();
  t.same(roles(f.participants), roles([
    { personId: chair.id, role: 'chair', response: 'needs_action' }, { personId: ana.id, role: 'required', response: 'needs_action' }, { personId: bo.id, role: 'optional', response: 'needs_action' },
  ]), 'the same participants, invitations not yet answered');
  t.same(f.agendaItems.map((i: Item) => [i.position, i.title, i.status, i.carriedFrom]), [
    [1, 'Pricing', 'pending', { agendaItemId: pricing!.id, issueId: null }],
    [2, 'Security review', 'pending', { agendaItemId: security!.id, issueId: null }],
    [3, 'Ask for references', 'pending', { agendaItemId: null, issueId: open.id }],
    [4, 'Price breakdown', 'pending', { agendaItemId: null, issueId: working.id }],
  ]);
  for (const id of [open.id, working.id]) t.equal((await api.get(`/v1/issues/${id}`)).body.followUpMeetingId, f.id);
  for (const id of [done.id, elsewhere.id]) t.equal((await api.get(`/v1/issues/${id}`)).body.followUpMeetingId, null);
  const carried = (await eventsOf(api, 'issue.updated')).filter((e) => e.data.changes.followUpMeetingId);
  t.same(carried.map((e) => [e.data.issue.id, e.data.changes.followUpMeetingId]), [
    [open.id, { before: null, after: f.id }], [working.id, { before: null, after: f.id }],
  ]);

  // Nothing is carried twice: a second follow-up of the same meeting starts empty.
  const second = await api.post(`/v1/meetings/${source.id}/follow-up`, { title: 'Second look', startsAt: '2031-05-19T08:00:00Z' });
  t.equal(second.status, 201, second.text);
  t.match(second.body, { title: 'Second look', startsAt: '2031-05-19T08:00:00.000Z', endsAt: '2031-05-19T09:30:00.000Z', agendaItems: [] });

  // Two follow-ups requested at once from a fresh meeting: the items go to exactly one of them.
  const racer = (await api.post('/v1/meetings', {
    title: uniq('Race'), startsAt: '2031-05-06T08:00:00Z', endsAt: '2031-05-06T09:00:00Z', timeZone: 'UTC', agendaItems: [{ title: 'Once only' }],
  })).body;
  const both = await Promise.all([1, 2].map(() => api.post(`/v1/meetings/${racer.id}/follow-up`, {})));
  t.same(both.map((r) => r.status), [201, 201]);
  t.same(both.map((r) => r.body.agendaItems.length).sort(), [0, 1]);

  // The follow-up's own follow-up continues the chain from the follow-up's items.
  const next = await api.post(`/v1/meetings/${f.id}/follow-up`, { participants: [{ personId: ana.id, role: 'chair' }], agendaItems: [{ title: 'Welcome' }] });
  t.equal(next.status, 201, next.text);
  t.same(next.body.participants.map((p: { personId: string; role: string }) => [p.personId, p.role]), [[ana.id, 'chair']]);
  t.same(next.body.agendaItems.map((i: Item) => [i.title, i.carriedFrom]), [
    ['Welcome', null],
    ['Pricing', { agendaItemId: f.agendaItems[0].id, issueId: null }],
    ['Security review', { agendaItemId: f.agendaItems[1].id, issueId: null }],
    ['Ask for references', { agendaItemId: f.agendaItems[2].id, issueId: open.id }],
    ['Price breakdown', { agendaItemId: f.agendaItems[3].id, issueId: working.id }],
  ]);
  t.equal((await api.get(`/v1/issues/${open.id}`)).body.followUpMeetingId, next.body.id);
});

t.test('follow-up refusals write nothing', async (t) => {
  const api = await buildTestApp(t);
  const ana = await person(api, 'Ana');
  const source = (await api.post('/v1/meetings', {
    title: uniq('Source'), startsAt: '2031-05-05T08:00:00Z', endsAt: '2031-05-05T09:00:00Z', timeZone: 'UTC',
    participants: [{ personId: ana.id }], agendaItems: [{ title: 'Open point' }],
  })).body;
  await api.post(`/v1/meetings/${source.id}/issues`, { title: 'Open issue' });
  const theirs = await api.newOrganization();
  const theirPerson = await person(theirs, 'Theirs');
  const [meetings, items, events] = [await api.count('meetings'), await api.count('agenda_items'), await api.count('events')];
  const url = `/v1/meetings/${source.id}/follow-up`;
  const cases: [string, unknown, number, string?][] = [
    [url, { startsAt: '2031-05-12T08:00:00Z', endsAt: '2031-05-12T07:00:00Z' }, 400, 'body.endsAt'],
    [url, { recurrence: 'FREQ=WEEKLY' }, 400, 'body.recurrence'],
    [url, { participants: [{ personId: theirPerson.id }] }, 400, 'body.participants[0].personId'],
    [url, { initiativeId: '3f0e8e7e-58a4-4d4b-9d55-3a3c8c8a9b10' }, 400, 'body.initiativeId'],
    [url, { title: '' }, 400, 'body.title'],
    [`/v1/meetings/3f0e8e7e-58a4-4d4b-9d55-3a3c8c8a9b10/follow-up`, {}, 404],
  ];
  for (const [u, body, status, path] of cases) {
    const res = await api.post(u, body);
    t.equal(res.status, status, `${u} ${JSON.stringify(body)}`);
    if (path) t.match(res.body.errors, [{ path }], path);
  }
  t.equal((await theirs.post(url, {})).status, 404, "another organisation's meeting");
  t.same([await api.count('meetings'), await api.count('agenda_items'), await api.count('events')], [meetings, items, events], 'nothing written');
});

t.test('the next occurrence of a series gets the carry-over when the previous one ends', async (t) => {
  const api = await buildTestApp(t);
  const ana = await person(api, 'Ana');
  const created = await api.post('/v1/meetings', {
    title: uniq('Weekly'), startsAt: '2031-06-02T08:00:00Z', endsAt: '2031-06-02T09:00:00Z', timeZone: 'UTC', recurrence: 'FREQ=WEEKLY;COUNT=3',
    participants: [{ personId: ana.id }], agendaItems: [{ title: 'Done today' }, { title: 'Needs more time' }],
  });
  t.equal(created.status, 201, created.text);
  const first = created.body;
  const occurrences = (await api.get(`/v1/meetings?seriesId=${first.seriesId}`)).body.data as { id: string }[];
  t.equal(occurrences.length, 3);
  const [, secondId, thirdId] = occurrences.map((o) => o.id);
  t.equal((await api.post(`/v1/meetings/${first.id}/invitations`)).status, 200);
  t.equal((await api.post(`/v1/meetings/${first.id}/start`)).status, 200);
  await api.patch(`/v1/meetings/${first.id}/agenda-items/${first.agendaItems[0].id}`, { status: 'discussed' });
  await api.patch(`/v1/meetings/${first.id}/agenda-items/${first.agendaItems[1].id}`, { status: 'deferred' });
  const issue = (await api.post(`/v1/meetings/${first.id}/issues`, { title: 'Chase the supplier', ownerId: ana.id })).body;
  const ended = await api.post(`/v1/meetings/${first.id}/end`);
  t.equal(ended.status, 200, ended.text);

  const second = (await api.get(`/v1/meetings/${secondId}`)).body;
  t.same(second.agendaItems.map((i: Item) => [i.title, i.carriedFrom]), [
    ['Needs more time', { agendaItemId: first.agendaItems[1].id, issueId: null }],
    ['Chase the supplier', { agendaItemId: null, issueId: issue.id }],
  ]);
  t.equal((await api.get(`/v1/issues/${issue.id}`)).body.followUpMeetingId, secondId);

  // The chain continues: the second occurrence ends with the issue still open.
  t.equal((await api.post(`/v1/meetings/${secondId}/start`)).status, 200);
  t.equal((await api.post(`/v1/meetings/${secondId}/end`)).status, 200);
  const third = (await api.get(`/v1/meetings/${thirdId}`)).body;
  t.same(third.agendaItems.map((i: Item) => [i.title, i.carriedFrom?.issueId ?? null]), [['Needs more time', null], ['Chase the supplier', issue.id]]);
  t.equal((await api.get(`/v1/issues/${issue.id}`)).body.followUpMeetingId, thirdId);
});
