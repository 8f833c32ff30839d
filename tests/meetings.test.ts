import t from 'tap';
import { buildTestApp, uniq } from './helpers.js';
import { eventsOf, meetingInput as base, person } from './meetings-helpers.js';

t.test('create with participants and agenda, read it back in one piece', async (t) => {
  const api = await buildTestApp(t);
  const chair = await person(api, 'Chair');
  const guest = await person(api, 'Guest');
  const res = await api.post('/v1/meetings', base({
    organizerId: chair.id,
    location: 'Room 1',
    onlineUrl: 'https://meet.example.com/x',
    participants: [{ personId: chair.id, role: 'chair' }, { personId: guest.id }],
    agendaItems: [
      { title: 'Intro', kind: 'information', durationMinutes: 10 },
      { title: 'Budget', kind: 'decision', ownerId: guest.id, durationMinutes: 40 },
      { title: 'AOB', durationMinutes: 20 },
    ],
  }));
  t.equal(res.status, 201, res.text);
  t.equal(res.headers.etag, '"v1"');
  t.match(res.body, {
    status: 'draft', sequence: 0, materialsDueAt: '2031-03-02T09:00:00.000Z', agendaMinutes: 70, overrunMinutes: 10,
    participants: [{ personId: chair.id, role: 'chair', response: 'needs_action', name: 'Chair' }, { personId: guest.id, role: 'required' }],
    agendaItems: [{ position: 1, title: 'Intro', kind: 'information' }, { position: 2, title: 'Budget', ownerId: guest.id }, { position: 3, title: 'AOB', kind: 'discussion', status: 'pending' }],
    materials: [],
  });
  const got = await api.get(`/v1/meetings/${res.body.id}`);
  t.equal(got.status, 200);
  t.same(got.body, res.body);

  const audit = await api.get(`/v1/audit-events?entityType=meeting&entityId=${res.body.id}`);
  t.match(audit.body.data, [{ action: 'create', entityType: 'meeting' }]);

  // A retried create with the same Idempotency-Key replays the first answer and creates nothing.
  const key = uniq('idem');
  const once = await api.post('/v1/meetings', base({ title: 'Once', participants: [{ personId: guest.id }] }), { 'idempotency-key': key });
  const meetingsAfterFirst = await api.count('meetings');
  const twice = await api.post('/v1/meetings', base({ title: 'Once', participants: [{ personId: guest.id }] }), { 'idempotency-key': key });
  t.equal(twice.status, 201);
  t.equal(twice.headers['idempotent-replayed'], 'true');
  t.same(twice.body, once.body);
  t.equal(await api.count('meetings'), meetingsAfterFirst);
});

t.test('GET meeting reads in a fixed number of queries', async (t) => {
  const api = await buildTestApp(t);
  const people = await Promise.all(Array.from({ length: 6 }, (_, i) => person(api, `P${i}`)));
  const small = await api.post('/v1/meetings', base({ participants: [{ personId: people[0]!.id }], agendaItems: [{ title: 'One' }] }));
  const big = await api.post('/v1/meetings', base({ participants: people.map((p) => ({ personId: p.id })), agendaItems: Array.from({ length: 8 }, (_, i) => ({ title: `I${i}` })) }));
  // Counts the statements the app's pool runs while serving one GET.
  const count = async (id: string) => {
    const options = (api.database.sql as unknown as { options: { debug?: unknown } }).options;
    let n = 0;
    // Only this request's reads: the once-a-minute `lastUsedAt` write of the key and the rate-limit
    // counters' sync may land anywhere.
    options.debug = (_conn: number, query: string) => {
      if (!/^\s*update api_keys|rate_limit_/i.test(query)) n++;
    };
    try {
      t.equal((await api.get(`/v1/meetings/${id}`)).status, 200);
    } finally {
      options.debug = undefined;
    }
    return n;
  };
  const a = await count(small.body.id);
  const b = await count(big.body.id);
  t.ok(a >= 1, `queries counted (${a})`);
  t.equal(b, a, 'same number of queries for 1 and 6 participants, 1 and 8 items');
});

t.test('atomic create: an invalid third agenda item creates nothing', async (t) => {
  const api = await buildTestApp(t);
  const p = await person(api, 'Owner');
  const counts = async () => [await api.count('meetings'), await api.count('agenda_items'), await api.count('meeting_participants'), await api.count('audit_events')];
  const before = await counts();
  const bad = await api.post('/v1/meetings', base({
    participants: [{ personId: p.id }],
    agendaItems: [{ title: 'A' }, { title: 'B' }, { title: 'C', ownerId: '3f0e8e7e-58a4-4d4b-9d55-3a3c8c8a9b10' }],
  }));
  t.equal(bad.status, 400);
  t.match(bad.body.errors, [{ path: 'body.agendaItems[2].ownerId', message: 'unknown person' }]);
  t.same(await counts(), before, 'nothing written');

  const schemaBad = await api.post('/v1/meetings', base({ agendaItems: [{ title: 'A' }, { title: 'B' }, { title: 'C', kind: 'chat' }] }));
  t.equal(schemaBad.status, 400);
  t.match(schemaBad.body.errors, [{ path: 'body.agendaItems[2].kind' }]);

  const times = await api.post('/v1/meetings', base({ endsAt: '2031-03-03T08:00:00.000Z' }));
  t.equal(times.status, 400);
  t.match(times.body.errors, [{ path: 'body.endsAt' }]);
  const due = await api.post('/v1/meetings', base({ materialsDueAt: '2031-03-03T09:30:00.000Z' }));
  t.equal(due.status, 400);
  t.match(due.body.errors, [{ path: 'body.materialsDueAt' }]);
  const tz = await api.post('/v1/meetings', base({ timeZone: 'Mars/Olympus' }));
  t.equal(tz.status, 400);
  t.match(tz.body.errors, [{ path: 'body.timeZone' }]);
  const twice = await api.post('/v1/meetings', base({ participants: [{ personId: p.id }, { personId: p.id }] }));
  t.equal(twice.status, 400);
  t.match(twice.body.errors, [{ path: 'body.participants[1].personId' }]);
  const rule = await api.post('/v1/meetings', base({ recurrence: 'FREQ=SECONDLY' }));
  t.equal(rule.status, 400);
  const unknownField = await api.post('/v1/meetings', base({ colour: 'red' }));
  t.equal(unknownField.status, 400);
  t.same(await counts(), before, 'still nothing written');
});

t.test('lifecycle state machine, 409s naming the state, edits refused once final', async (t) => {
  const api = await buildTestApp(t);
  const m = (await api.post('/v1/meetings', base())).body;
  const start = await api.post(`/v1/meetings/${m.id}/start`);
  t.equal(start.status, 409);
  t.match(start.body.detail, /draft/);
  t.equal((await api.post(`/v1/meetings/${m.id}/end`)).status, 409);

  const inv = await api.post(`/v1/meetings/${m.id}/invitations`);
  t.equal(inv.status, 200, inv.text);
  t.match(inv.body, { status: 'scheduled', invitationsSentAt: String, version: 2 });
  const again = await api.post(`/v1/meetings/${m.id}/invitations`);
  t.equal(again.status, 200, 're-sending is allowed');
  const events = await eventsOf(api, 'meeting.invitation.sent', 2);
  t.equal(events.length, 2);
  t.match(events[1].data, { resent: true, meeting: { id: m.id, version: 3 } });

  const started = await api.post(`/v1/meetings/${m.id}/start`);
  t.match(started.body, { status: 'in_progress', startedAt: String });
  const ended = await api.post(`/v1/meetings/${m.id}/end`);
  t.match(ended.body, { status: 'completed', endedAt: String });
  const audits = await api.count('audit_events');
  const edit = await api.patch(`/v1/meetings/${m.id}`, { title: 'Late change' });
  t.equal(edit.status, 409);
  t.match(edit.body.detail, /completed/);
  t.equal((await api.post(`/v1/meetings/${m.id}/cancel`, { reason: 'x' })).status, 409);
  t.equal((await api.post(`/v1/meetings/${m.id}/agenda-items`, { title: 'More' })).status, 409);
  t.equal(await api.count('audit_events'), audits, 'refusals write nothing');

  const c = (await api.post('/v1/meetings', base())).body;
  const noReason = await api.post(`/v1/meetings/${c.id}/cancel`, {});
  t.equal(noReason.status, 400);
  const cancelled = await api.post(`/v1/meetings/${c.id}/cancel`, { reason: 'Budget freeze' });
  t.match(cancelled.body, { status: 'cancelled', cancelReason: 'Budget freeze', sequence: 1 });
  t.equal((await api.post(`/v1/meetings/${c.id}/invitations`)).status, 409);
  t.equal((await api.patch(`/v1/meetings/${c.id}`, { title: 'x' })).status, 409);
  t.equal((await api.del(`/v1/meetings/${c.id}`)).status, 409, 'a sent or cancelled meeting is not deleted');

  const d = (await api.post('/v1/meetings', base())).body;
  t.equal((await api.del(`/v1/meetings/${d.id}`, { 'if-match': '"v9"' })).status, 412);
  t.equal((await api.del(`/v1/meetings/${d.id}`)).status, 204);
  t.equal((await api.get(`/v1/meetings/${d.id}`)).status, 404);
});

t.test('PATCH: sequence and meeting.updated only for a scheduled meeting\'s time, place or link', async (t) => {
  const api = await buildTestApp(t);
  const m = (await api.post('/v1/meetings', base())).body;
  const draftEdit = await api.patch(`/v1/meetings/${m.id}`, { startsAt: '2031-03-03T10:00:00.000Z' });
  t.match(draftEdit.body, { sequence: 0, endsAt: '2031-03-03T11:00:00.000Z', materialsDueAt: '2031-03-02T10:00:00.000Z', version: 2 });
  t.equal((await eventsOf(api, 'meeting.updated', 0)).length, 0, 'drafts are nobody\'s business yet');
  await api.post(`/v1/meetings/${m.id}/invitations`);
  const stale = await api.patch(`/v1/meetings/${m.id}`, { location: 'Room 9' }, { 'if-match': '"v2"' });
  t.equal(stale.status, 412);
  const moved = await api.patch(`/v1/meetings/${m.id}`, { location: 'Room 9' }, { 'if-match': '"v3"' });
  t.match(moved.body, { sequence: 1, location: 'Room 9', version: 4 });
  const retitled = await api.patch(`/v1/meetings/${m.id}`, { title: 'Renamed' });
  t.match(retitled.body, { sequence: 1, title: 'Renamed' });
  const ev = await eventsOf(api, 'meeting.updated', 2);
  t.equal(ev.length, 2);
  t.match(ev[0].data, { scope: 'occurrence', changes: { location: { before: null, after: 'Room 9' }, sequence: { before: 0, after: 1 } }, meeting: { version: 4 }, ics: /SEQUENCE:1/ });
  t.match(ev[1].data, { changes: { title: { after: 'Renamed' } } });
  const bad = await api.patch(`/v1/meetings/${m.id}`, { endsAt: '2031-03-03T09:00:00.000Z' });
  t.equal(bad.status, 400);
  const series = await api.patch(`/v1/meetings/${m.id}?scope=series`, { title: 'x' });
  t.equal(series.status, 400, 'scope=series needs a series');
});

t.test('list: filters, keyset order by start, pagination', async (t) => {
  const api = await buildTestApp(t);
  const d1 = (await api.post('/v1/departments', { name: 'Sales', code: uniq('S').slice(0, 20) })).body;
  const d2 = (await api.post('/v1/departments', { name: 'Ops', code: uniq('O').slice(0, 20) })).body;
  const a = await person(api, 'Ana', d1.id);
  const b = await person(api, 'Bo', d2.id);
  const ids: string[] = [];
  for (let i = 0; i < 5; i++) {
    const at = new Date(Date.UTC(2031, 4, 10 - i, 9));
    const res = await api.post('/v1/meetings', base({ startsAt: at.toISOString(), endsAt: new Date(at.getTime() + 3600e3).toISOString(), participants: [{ personId: i % 2 ? a.id : b.id }] }));
    ids.unshift(res.body.id);
  }
  const all: string[] = [];
  let url = '/v1/meetings?limit=2';
  for (;;) {
    const res = await api.get(url);
    t.equal(res.status, 200);
    all.push(...res.body.data.map((m: { id: string }) => m.id));
    if (!res.body.nextCursor) break;
    url = `/v1/meetings?limit=2&cursor=${res.body.nextCursor}`;
  }
  t.same(all, ids, 'start order across pages');
  const byPerson = await api.get(`/v1/meetings?participantId=${a.id}`);
  t.equal(byPerson.body.data.length, 2);
  const byDept = await api.get(`/v1/meetings?departmentId=${d2.id}`);
  t.equal(byDept.body.data.length, 3);
  const window = await api.get('/v1/meetings?from=2031-05-07T00:00:00Z&to=2031-05-09T00:00:00Z');
  t.equal(window.body.data.length, 2);
  t.equal((await api.get('/v1/meetings?status=scheduled')).body.data.length, 0);
  t.equal((await api.get('/v1/meetings?status=nope')).status, 400);
  t.equal((await api.get('/v1/meetings?cursor=garbage')).status, 400);

  const other = await api.newOrganization();
  t.equal((await other.get(`/v1/meetings/${ids[0]}`)).status, 404);
  t.equal((await other.get('/v1/meetings')).body.data.length, 0);
  t.equal((await other.patch(`/v1/meetings/${ids[0]}`, { title: 'x' })).status, 404);
  t.equal((await other.post(`/v1/meetings/${ids[0]}/invitations`)).status, 404);
  const foreignRef = await other.post('/v1/meetings', base({ organizerId: a.id }));
  t.equal(foreignRef.status, 400);
  t.match(foreignRef.body.errors, [{ path: 'body.organizerId' }]);
});

t.test('the list query uses the organisation/start index', async (t) => {
  const api = await buildTestApp(t);
  const org = api.organizationId;
  await api.database.sql`
    insert into meetings (organization_id, title, starts_at, ends_at, time_zone, materials_due_at)
    select ${org}, 'm' || g, now() + g * interval '1 hour', now() + g * interval '1 hour' + interval '30 minutes', 'UTC', now()
    from generate_series(1, 5000) g`;
  await api.database.sql`analyze meetings`;
  const plan = await api.database.sql.unsafe(
    `explain select * from meetings where organization_id = $1 and starts_at >= now() and starts_at < now() + interval '3 days' order by starts_at, id limit 51`,
    [org],
  );
  const text = plan.map((r) => Object.values(r)[0]).join('\n');
  t.match(text, /Index Scan using meetings_org_starts_idx/, text);

  // The participant filter reads a person's participations through their index, not every row.
  // (A person in 5 meetings of 5,000, beside one in all of them: for one in many, a walk of the start index probing each
  // meeting's participants is as good, and which of the two the planner takes is a matter of cost.)
  const p = await person(api, 'Occasional');
  const everywhere = await person(api, 'Everywhere');
  await api.database.sql`
    insert into meeting_participants (organization_id, meeting_id, person_id)
    select ${org}::uuid, id, ${everywhere.id}::uuid from meetings where organization_id = ${org}
    union all
    select ${org}::uuid, id, ${p.id}::uuid from meetings where organization_id = ${org} and title like 'm%000'`;
  await api.database.sql`analyze meeting_participants`;
  const plan2 = await api.database.sql.unsafe(
    `explain select * from meetings where organization_id = $1 and id in (select mp.meeting_id from meeting_participants mp where mp.organization_id = $1 and mp.person_id = $2)
     order by starts_at, id limit 51`,
    [org, p.id],
  );
  const text2 = plan2.map((r) => Object.values(r)[0]).join('\n');
  t.match(text2, /meeting_participants_org_person_idx/, text2);
  t.notMatch(text2, /Seq Scan/, text2);
});

t.test('the meeting JSON rendered in SQL equals the process\'s own mapping of the row', async (t) => {
  const api = await buildTestApp(t);
  const chair = await person(api, 'Chair');
  const { findMeeting, toApiMeeting } = await import('../src/meetings/queries.js');
  const compare = async (id: string, agendaMinutes: number, label: string) => {
    const row = await findMeeting(api.database.db, api.organizationId, id);
    const mapped = toApiMeeting(row, agendaMinutes);
    const { participants, agendaItems, materials, ...detail } = (await api.get(`/v1/meetings/${id}`)).body;
    t.ok(Array.isArray(participants) && Array.isArray(agendaItems) && Array.isArray(materials), `${label}: detail embeds its relations`);
    t.same(detail, mapped, `${label}: detail`);
    const listed = (await api.get(`/v1/meetings?from=${row.startsAt.toISOString()}&limit=200`)).body.data.find((m: { id: string }) => m.id === id);
    t.same(listed, mapped, `${label}: list item`);
  };
  // Every nullable field set, an agenda longer than the meeting, odd seconds and milliseconds.
  const full = (await api.post('/v1/meetings', base({
    startsAt: '2031-05-05T09:00:07.123Z', endsAt: '2031-05-05T09:45:07.456Z', organizerId: chair.id, location: 'Room 7',
    onlineUrl: 'https://meet.example.com/q', materialsDueAt: '2031-05-04T08:59:59.999Z',
    agendaItems: [{ title: 'A', durationMinutes: 30 }, { title: 'B', durationMinutes: 25 }, { title: 'C' }],
  }))).body;
  await api.post(`/v1/meetings/${full.id}/invitations`);
  await api.post(`/v1/meetings/${full.id}/start`);
  await api.post(`/v1/meetings/${full.id}/end`);
  await compare(full.id, 55, 'completed, overrunning');
  const bare = (await api.post('/v1/meetings', base({ objective: null, startsAt: '2031-05-06T09:00:00Z', endsAt: '2031-05-06T10:00:00Z' }))).body;
  await compare(bare.id, 0, 'draft, nulls');
  const series = (await api.post('/v1/meetings', base({ startsAt: '2031-05-07T09:00:00Z', endsAt: '2031-05-07T10:00:00Z', recurrence: 'FREQ=WEEKLY;COUNT=2' }))).body;
  await api.post(`/v1/meetings/${series.id}/cancel`, { reason: 'Holiday — 假期' });
  await compare(series.id, 0, 'cancelled occurrence of a series');
});

t.test('detail and list reads are never stale, whoever changed the rows they show', async (t) => {
  const api = await buildTestApp(t);
  const dept = (await api.post('/v1/departments', { name: uniq('Dept'), code: uniq('D').slice(-12) })).body;
  const chair = await person(api, 'Chair', dept.id);
  const m = (await api.post('/v1/meetings', base({ startsAt: '2032-01-05T09:00:00Z', endsAt: '2032-01-05T10:00:00Z', participants: [{ personId: chair.id, role: 'chair' }], agendaItems: [{ title: 'One', durationMinutes: 20 }] }))).body;
  const detail = async () => (await api.get(`/v1/meetings/${m.id}`)).body;
  const listed = async () => (await api.get('/v1/meetings?from=2032-01-05T00:00:00Z&to=2032-01-06T00:00:00Z')).body.data.find((x: { id: string }) => x.id === m.id);
  t.match(await detail(), { title: m.title, participants: [{ name: 'Chair', response: 'needs_action' }], agendaMinutes: 20 });
  t.match(await listed(), { title: m.title, agendaMinutes: 20 });
  t.match(await detail(), { title: m.title }, 'a second read (served from the render cache) is the same');

  // Changes through the API: the meeting, a participant's answer, the person, the agenda, a material.
  await api.patch(`/v1/meetings/${m.id}`, { title: 'Renamed' });
  await api.put(`/v1/meetings/${m.id}/participants/${chair.id}/response`, { response: 'accepted' });
  await api.patch(`/v1/people/${chair.id}`, { name: 'Chair Renamed' });
  await api.post(`/v1/meetings/${m.id}/agenda-items`, { title: 'Two', durationMinutes: 50 });
  await api.post(`/v1/meetings/${m.id}/materials`, { title: 'Pre-read', url: 'https://docs.example.com/a' });
  t.match(await detail(), { title: 'Renamed', participants: [{ name: 'Chair Renamed', response: 'accepted' }], agendaMinutes: 70, overrunMinutes: 10, materials: [{ title: 'Pre-read' }] });
  t.match(await listed(), { title: 'Renamed', agendaMinutes: 70, overrunMinutes: 10 });

  // Changes made outside this process (another instance, an operator's SQL) show at once too.
  await api.database.sql`update people set name = 'Changed in SQL' where id = ${chair.id}`;
  await api.database.sql`update meetings set location = 'Room SQL' where id = ${m.id}`;
  await api.database.sql`delete from agenda_items where meeting_id = ${m.id} and title = 'Two'`;
  await api.database.sql`delete from materials where meeting_id = ${m.id}`;
  const after = await detail();
  t.match(after, { location: 'Room SQL', participants: [{ name: 'Changed in SQL' }], agendaMinutes: 20, overrunMinutes: 0 });
  t.equal(after.agendaItems.length, 1);
  t.same(after.materials, []);
  t.match(await listed(), { location: 'Room SQL', agendaMinutes: 20 });
  await api.database.sql`delete from meeting_participants where meeting_id = ${m.id}`;
  t.same((await detail()).participants, []);
  await api.database.sql`delete from meetings where id = ${m.id}`;
  t.equal((await api.get(`/v1/meetings/${m.id}`)).status, 404);
  t.equal(await listed(), undefined);
});
