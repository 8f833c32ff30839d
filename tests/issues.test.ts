import t from 'tap';
import { buildTestApp } from './helpers.js';
import { department, eventsOf, meetingRow, person } from './outcomes-helpers.js';

t.test('issues: open, read, list with filters, lifecycle and events', async (t) => {
  const api = await buildTestApp(t);
  const ops = await department(api, 'Operations');
  const fin = await department(api, 'Finance');
  const ana = await person(api, 'Ana', ops.id);
  const bo = await person(api, 'Bo', fin.id);
  const m = await meetingRow(api.database.db, api.organizationId, { participantIds: [ana.id, bo.id], agenda: [{ title: 'Budget' }], status: 'in_progress' });

  const standalone = await api.post('/v1/issues', { title: 'Standalone risk', kind: 'risk', ownerId: bo.id, dueAt: '2030-01-01T00:00:00Z' });
  t.equal(standalone.status, 201);
  t.match(standalone.body, {
    title: 'Standalone risk', kind: 'risk', priority: 'normal', status: 'open', ownerId: bo.id, departmentId: fin.id,
    dueAt: '2030-01-01T00:00:00.000Z', overdue: false, meetingId: null, resolution: null, version: 1,
  });
  t.equal(standalone.headers.etag, '"v1"');

  const raised = await api.post(`/v1/meetings/${m.id}/issues`, { title: 'Who pays?', kind: 'question', ownerId: ana.id, agendaItemId: m.agendaItems[0]!.id, priority: 'high' });
  t.equal(raised.status, 201);
  t.match(raised.body, { meetingId: m.id, agendaItemId: m.agendaItems[0]!.id, departmentId: ops.id, priority: 'high' });
  const id = raised.body.id as string;

  t.same((await api.get(`/v1/issues/${id}`)).body, raised.body);

  const opened = await eventsOf(api, 'issue.opened');
  t.equal(opened.length, 2);
  t.match(opened[1]!.data, { issue: { id, version: 1, title: 'Who pays?' }, owner: { id: ana.id, name: 'Ana', email: ana.email } });

  // lifecycle: open → in_progress → blocked → in_progress → resolved → open → resolved → closed
  const illegal = await api.patch(`/v1/issues/${id}`, { status: 'closed' });
  t.equal(illegal.status, 409);
  t.match(illegal.body.detail, /is open/);
  const noResolution = await api.patch(`/v1/issues/${id}`, { status: 'resolved' });
  t.equal(noResolution.status, 400);
  t.match(noResolution.body.errors, [{ path: 'body.resolution' }]);
  t.equal((await api.get(`/v1/issues/${id}`)).body.version, 1, 'refusals changed nothing');

  const started = await api.patch(`/v1/issues/${id}`, { status: 'in_progress', dueAt: '2030-02-01T00:00:00Z' }, { 'if-match': '"v1"' });
  t.equal(started.status, 200);
  t.match(started.body, { status: 'in_progress', version: 2 });
  const stale = await api.patch(`/v1/issues/${id}`, { status: 'blocked' }, { 'if-match': '"v1"' });
  t.equal(stale.status, 412);
  t.equal((await api.patch(`/v1/issues/${id}`, { status: 'blocked' })).status, 200);
  t.equal((await api.patch(`/v1/issues/${id}`, { status: 'open' })).status, 409, 'blocked cannot go back to open');
  t.equal((await api.patch(`/v1/issues/${id}`, { status: 'in_progress' })).status, 200);
  const resolved = await api.patch(`/v1/issues/${id}`, { status: 'resolved', resolution: 'Finance pays.' });
  t.equal(resolved.status, 200);
  t.match(resolved.body, { status: 'resolved', resolution: 'Finance pays.', resolvedAt: String, version: 5 });
  const reopened = await api.patch(`/v1/issues/${id}`, { status: 'open' });
  t.match(reopened.body, { status: 'open', resolution: null, resolvedAt: null });
  t.equal((await api.patch(`/v1/issues/${id}`, { status: 'resolved' })).status, 400, 're-opening cleared the resolution');
  t.equal((await api.patch(`/v1/issues/${id}`, { status: 'resolved', resolution: 'Shared 50/50.' })).status, 200);
  const closed = await api.patch(`/v1/issues/${id}`, { status: 'closed' });
  t.match(closed.body, { status: 'closed', closedAt: String, version: 8 });
  t.equal((await api.patch(`/v1/issues/${id}`, { status: 'open' })).status, 409, 'closed is final');

  const updated = await eventsOf(api, 'issue.updated');
  t.equal(updated.length, 7);
  t.match(updated[0]!.data, {
    issue: { id, status: 'in_progress', version: 2 },
    changes: { status: { before: 'open', after: 'in_progress' }, dueAt: { before: null, after: '2030-02-01T00:00:00.000Z' } },
    owner: { email: ana.email },
  });
  t.notOk('version' in updated[0]!.data.changes, 'changes list what the client changed');
  const resolvedEvents = await eventsOf(api, 'issue.resolved');
  t.equal(resolvedEvents.length, 2);
  t.match(resolvedEvents[0]!.data, { issue: { id, status: 'resolved', resolution: 'Finance pays.', version: 5 } });

  const audit = await api.get(`/v1/audit-events?entityType=issue&entityId=${id}`);
  t.equal(audit.body.data.length, 8);

  // filters
  const ids = async (qs: string) => ((await api.get(`/v1/issues?${qs}`)).body.data as { id: string }[]).map((i) => i.id);
  t.same(await ids(`meetingId=${m.id}`), [id]);
  t.same(await ids(`ownerId=${bo.id}`), [standalone.body.id]);
  t.same(await ids(`departmentId=${ops.id}`), [id]);
  t.same(await ids('status=open,in_progress'), [standalone.body.id]);
  t.same(await ids('status=closed'), [id]);
  t.same(await ids('dueBefore=2030-01-15T00:00:00Z'), [standalone.body.id]);
  t.equal((await api.get('/v1/issues?status=bogus')).status, 400);
  const pageOne = await api.get('/v1/issues?limit=1');
  t.equal(pageOne.body.data.length, 1);
  t.match(pageOne.headers.link, /rel="next"/);
  const pageTwo = await api.get(`/v1/issues?limit=1&cursor=${pageOne.body.nextCursor}`);
  t.equal(pageTwo.body.data[0].id, id);
  t.equal(pageTwo.body.nextCursor, null);
});

t.test('issues: refusals write nothing', async (t) => {
  const api = await buildTestApp(t);
  const ana = await person(api, 'Ana');
  const m = await meetingRow(api.database.db, api.organizationId, { participantIds: [ana.id], agenda: [{ title: 'A' }] });
  const other = await meetingRow(api.database.db, api.organizationId, { agenda: [{ title: 'Elsewhere' }] });
  const cancelled = await meetingRow(api.database.db, api.organizationId, { status: 'cancelled' });
  const theirs = await api.newOrganization();
  const theirPerson = await person(theirs, 'Theirs');
  const theirMeeting = await meetingRow(api.database.db, theirs.organizationId);
  const before = await api.count('issues');
  const events = await api.count('events');

  const cases: [string, string, unknown, number, string?][] = [
    ['POST', '/v1/issues', { title: 'x', ownerId: theirPerson.id }, 400, 'body.ownerId'],
    ['POST', '/v1/issues', { title: 'x', meetingId: theirMeeting.id }, 400, 'body.meetingId'],
    ['POST', '/v1/issues', { title: 'x', agendaItemId: m.agendaItems[0]!.id }, 400, 'body.agendaItemId'],
    ['POST', '/v1/issues', { title: 'x', departmentId: '3f0e8e7e-58a4-4d4b-9d55-3a3c8c8a9b10' }, 400, 'body.departmentId'],
    ['POST', '/v1/issues', { title: 'x', initiativeId: '3f0e8e7e-58a4-4d4b-9d55-3a3c8c8a9b10' }, 400, 'body.initiativeId'],
    ['POST', '/v1/issues', { title: 'x', status: 'resolved' }, 400, 'body.status'],
    ['POST', '/v1/issues', { title: 'x', kind: 'wish' }, 400, 'body.kind'],
    ['POST', '/v1/issues', { title: 'x'.repeat(301) }, 400, 'body.title'],
    ['POST', `/v1/meetings/${m.id}/issues`, { title: 'x', agendaItemId: other.agendaItems[0]!.id }, 400, 'body.agendaItemId'],
    ['POST', `/v1/meetings/${m.id}/issues`, { title: 'x', meetingId: m.id }, 400, 'body.meetingId'],
    ['POST', `/v1/meetings/${theirMeeting.id}/issues`, { title: 'x' }, 404],
    ['POST', `/v1/meetings/${cancelled.id}/issues`, { title: 'x' }, 409],
  ];
  for (const [method, url, body, status, path] of cases) {
    const res = await api.request(method, url, body);
    t.equal(res.status, status, `${method} ${url} ${JSON.stringify(body)}`);
    if (path) t.match(res.body.errors, [{ path }], path);
  }
  t.equal(await api.count('issues'), before, 'no issue written');
  t.equal(await api.count('events'), events, 'no event written');

  const mine = await api.post('/v1/issues', { title: 'Mine' });
  const theirIssue = await theirs.post('/v1/issues', { title: 'Theirs' });
  t.equal((await api.get(`/v1/issues/${theirIssue.body.id}`)).status, 404);
  t.equal((await api.patch(`/v1/issues/${theirIssue.body.id}`, { title: 'Hijack' })).status, 404);
  t.equal((await api.patch(`/v1/issues/${mine.body.id}`, { agendaItemId: m.agendaItems[0]!.id })).status, 400, 'an issue without a meeting names no agenda item');
  t.equal((await api.patch(`/v1/issues/${mine.body.id}`, { followUpMeetingId: m.id })).status, 400, 'followUpMeetingId is read-only');
  t.same((await api.get('/v1/issues')).body.data.map((i: { id: string }) => i.id), [mine.body.id], 'lists are scoped to the organisation');
  t.equal((await api.keyWith(['read'])).key.length > 0, true);
  const reader = await api.keyWith(['read']);
  t.equal((await reader.post('/v1/issues', { title: 'no' })).status, 403);

  // A retried POST replays the first answer: one issue, one issue.opened.
  const opened = await api.count('events');
  const once = await api.post('/v1/issues', { title: 'Retried' }, { 'idempotency-key': 'retry-issue-1' });
  const twice = await api.post('/v1/issues', { title: 'Retried' }, { 'idempotency-key': 'retry-issue-1' });
  t.same(twice.body, once.body);
  t.equal(twice.headers['idempotent-replayed'], 'true');
  t.equal(await api.count('events'), opened + 1);
});
