import t from 'tap';
import { sql } from 'drizzle-orm';
import { buildTestApp } from './helpers.js';
import { department, eventsOf, meetingRow, person, setMeetingStatus } from './outcomes-helpers.js';
import { MinutesRevision } from '../src/minutes/schemas.js';

t.test('minutes: draft under If-Match, publish revisions, immutable history', async (t) => {
  const api = await buildTestApp(t);
  const db = api.database.db;
  const fin = await department(api, 'Finance');
  const [ana, bo, cy] = [await person(api, 'Ana', fin.id), await person(api, 'Bo'), await person(api, 'Cy')];
  const m = await meetingRow(db, api.organizationId, { participantIds: [ana.id, bo.id], agenda: [{ title: 'Budget' }], status: 'scheduled' });
  const url = `/v1/meetings/${m.id}/minutes`;

  const empty = await api.get(url);
  t.equal(empty.status, 200);
  t.same(empty.body, { meetingId: m.id, summary: '', attendance: [], acknowledgements: [], publishedRevision: null, createdAt: null, updatedAt: null, version: 0 });
  t.equal(empty.headers.etag, '"v0"');

  const draft = { summary: '# Budget\nAgreed to share.', attendance: [{ personId: ana.id, present: true }, { personId: bo.id, present: false }], acknowledgements: [{ personId: cy.id, note: 'Thanks for the numbers.' }] };
  t.equal((await api.put(url, draft, { 'if-match': '"v3"' })).status, 412);
  const saved = await api.put(url, draft, { 'if-match': '"v0"' });
  t.equal(saved.status, 200, saved.text);
  t.match(saved.body, { ...draft, publishedRevision: null, version: 1, createdAt: String });
  t.equal((await api.put(url, draft, { 'if-match': '"v0"' })).status, 412, 'the draft exists now');

  const early = await api.post(`${url}/publish`);
  t.equal(early.status, 409, 'a scheduled meeting has no minutes to publish');
  t.match(early.body.detail, /scheduled/);
  t.equal(await api.count('minutes_revisions'), 0);

  await setMeetingStatus(db, m.id, 'in_progress');
  const decision = (await api.post(`/v1/meetings/${m.id}/decisions`, { title: 'Share', statement: 'Split 60/40.', supporters: [ana.id], objections: [{ personId: bo.id, note: 'No.' }] })).body;
  const issue = (await api.post(`/v1/meetings/${m.id}/issues`, { title: 'Confirm cost centre', ownerId: ana.id, dueAt: '2026-03-10T17:00:00Z' })).body;

  const first = await api.post(`${url}/publish`, {}, { 'if-match': '"v1"' });
  t.equal(first.status, 201, first.text);
  t.match(first.body, {
    meetingId: m.id, revision: 1, version: 1, meeting: { id: m.id, title: m.title, status: 'in_progress' },
    summary: draft.summary,
    attendance: [{ id: ana.id, name: 'Ana', email: ana.email, departmentId: fin.id, present: true }, { id: bo.id, present: false }],
    acknowledgements: [{ personId: cy.id, name: 'Cy', note: 'Thanks for the numbers.' }],
    decisions: [{ id: decision.id, statement: 'Split 60/40.', supporters: [{ id: ana.id, email: ana.email }], objections: [{ personId: bo.id, name: 'Bo', note: 'No.' }] }],
    issues: [{ id: issue.id, owner: { id: ana.id, name: 'Ana', email: ana.email }, department: { id: fin.id, name: 'Finance' }, dueAt: '2026-03-10T17:00:00.000Z', status: 'open' }],
    changedFields: ['summary', 'attendance', 'acknowledgements', 'decisions', 'issues'],
  });
  const [published] = await eventsOf(api, 'minutes.published');
  t.same(published!.data, first.body, 'the event carries the whole revision');
  t.ok(MinutesRevision.safeParse(published!.data).success, 'and matches the catalogue schema');
  const participants = (await db.execute(sql`select person_id, attended from meeting_participants where meeting_id = ${m.id} order by person_id`)) as unknown as { person_id: string; attended: boolean }[];
  t.same(Object.fromEntries(participants.map((p) => [p.person_id, p.attended])), { [ana.id]: true, [bo.id]: false }, 'attendance recorded');
  t.match((await api.get(url)).body, { publishedRevision: 1, version: 2 });

  t.equal((await api.post(`${url}/publish`)).status, 409, 'nothing changed since revision 1');

  // A correction: revision 2 says what changed; revision 1 stays as it was.
  await api.patch(`/v1/issues/${issue.id}`, { dueAt: '2026-03-12T17:00:00Z' });
  const corrected = await api.put(url, { ...draft, summary: '# Budget\nAgreed to share 60/40.' }, { 'if-match': '"v2"' });
  t.equal(corrected.status, 200);
  const second = await api.post(`${url}/publish`);
  t.equal(second.status, 201);
  t.match(second.body, { revision: 2, version: 2, changedFields: ['summary', 'issues'], issues: [{ dueAt: '2026-03-12T17:00:00.000Z' }] });
  t.same((await api.get(`${url}/revisions/1`)).body, first.body, 'published revisions never change');
  t.equal((await api.get(`${url}/revisions/1`)).headers.etag, '"v1"');
  t.same((await api.get(`${url}/revisions/2`)).body, second.body);
  t.equal((await api.get(`${url}/revisions/3`)).status, 404);
  t.equal((await api.get(`${url}/revisions/0`)).status, 400);
  const listed = await api.get(`${url}/revisions?limit=1`);
  t.same(listed.body.data.map((r: { revision: number }) => r.revision), [1]);
  t.same((await api.get(`${url}/revisions?cursor=${listed.body.nextCursor}`)).body.data.map((r: { revision: number }) => r.revision), [2]);
  const events = await eventsOf(api, 'minutes.published');
  t.same(events.map((e) => [e.data.revision, e.data.changedFields]), [[1, first.body.changedFields], [2, ['summary', 'issues']]]);

  // The database itself refuses to change a published revision, or to delete its meeting.
  await t.rejects(db.execute(sql`update minutes_revisions set content = '{}' where meeting_id = ${m.id}`), { cause: { message: /immutable/ } });
  await t.rejects(db.execute(sql`delete from minutes_revisions where meeting_id = ${m.id}`), { cause: { message: /immutable/ } });
  await t.rejects(db.execute(sql`delete from meetings where id = ${m.id}`));
});

t.test('minutes: refusals write nothing', async (t) => {
  const api = await buildTestApp(t);
  const db = api.database.db;
  const [ana, outsider] = [await person(api, 'Ana'), await person(api, 'Outsider')];
  const m = await meetingRow(db, api.organizationId, { participantIds: [ana.id], status: 'in_progress' });
  const cancelled = await meetingRow(db, api.organizationId, { status: 'cancelled' });
  const theirs = await api.newOrganization();
  const theirMeeting = await meetingRow(db, theirs.organizationId, { status: 'in_progress' });
  const theirPerson = await person(theirs, 'Theirs');
  const url = `/v1/meetings/${m.id}/minutes`;
  const ok = { summary: 'x', attendance: [{ personId: ana.id, present: true }] };
  const cases: [string, string, unknown, number, string?][] = [
    ['PUT', url, { ...ok, attendance: [{ personId: outsider.id, present: true }] }, 400, 'body.attendance[0].personId'],
    ['PUT', url, { ...ok, attendance: [{ personId: ana.id, present: true }, { personId: ana.id, present: false }] }, 400, 'body.attendance[1].personId'],
    ['PUT', url, { ...ok, acknowledgements: [{ personId: theirPerson.id, note: 'hi' }] }, 400, 'body.acknowledgements[0].personId'],
    ['PUT', url, { ...ok, extra: 1 }, 400, 'body.extra'],
    ['PUT', url, { ...ok, summary: 'x'.repeat(100_001) }, 400, 'body.summary'],
    ['PUT', url, { attendance: [] }, 400, 'body.summary'],
    ['PUT', `/v1/meetings/${cancelled.id}/minutes`, ok, 409],
    ['PUT', `/v1/meetings/${theirMeeting.id}/minutes`, ok, 404],
    ['GET', `/v1/meetings/${theirMeeting.id}/minutes`, undefined, 404],
    ['POST', `/v1/meetings/${theirMeeting.id}/minutes/publish`, {}, 404],
    ['POST', `${url}/publish`, {}, 409],
    ['GET', `/v1/meetings/${theirMeeting.id}/minutes/revisions`, undefined, 404],
  ];
  for (const [method, u, body, status, path] of cases) {
    const res = await api.request(method, u, body);
    t.equal(res.status, status, `${method} ${u} ${JSON.stringify(body)?.slice(0, 80)}`);
    if (path) t.match(res.body.errors, [{ path }], path);
  }
  t.equal(await api.count('minutes'), 0);
  t.equal(await api.count('minutes_revisions'), 0);
  t.equal(await api.count('events'), 0);
});
