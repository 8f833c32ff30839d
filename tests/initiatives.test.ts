import t from 'tap';
import { buildTestApp, uniq, type Caller } from './helpers.js';

async function person(api: Caller, name: string, departmentId?: string) {
  const res = await api.post('/v1/people', { name, email: `${uniq('p')}@example.com`, departmentId });
  if (res.status !== 201) throw new Error(`person: ${res.status} ${res.text}`);
  return res.body.id as string;
}
async function department(api: Caller, name: string) {
  const res = await api.post('/v1/departments', { name, code: uniq('D').replace(/[^A-Za-z0-9-]/g, '').slice(0, 30) });
  if (res.status !== 201) throw new Error(`department: ${res.status} ${res.text}`);
  return res.body.id as string;
}

t.test('initiatives: create with members in sync, read, list with filters, hand over, audit, no events', async (t) => {
  const api = await buildTestApp(t);
  const [ops, fin] = [await department(api, 'Operations'), await department(api, 'Finance')];
  const [alice, bob, carol] = [await person(api, 'Alice'), await person(api, 'Bob'), await person(api, 'Carol')];
  const events = await api.count('events');

  const created = await api.post('/v1/initiatives', {
    title: '跨部门审批提速', objective: 'Halve approval time', sponsorId: alice, ownerId: bob,
    departmentIds: [fin, ops], startDate: '2026-01-05', targetDate: '2026-06-30',
  });
  t.equal(created.status, 201, created.text);
  t.match(created.body, {
    id: String, title: '跨部门审批提速', objective: 'Halve approval time', sponsorId: alice, ownerId: bob,
    departmentIds: [fin, ops], status: 'planned', startDate: '2026-01-05', targetDate: '2026-06-30', version: 1,
  });
  t.equal(created.headers.etag, '"v1"');
  const id = created.body.id as string;
  t.same((await api.get(`/v1/initiatives/${id}`)).body, created.body);

  const members = await api.get(`/v1/initiatives/${id}/members`);
  t.equal(members.status, 200);
  t.same(members.body.data.map((m: { personId: string; role: string }) => [m.personId, m.role]).sort(), [[alice, 'sponsor'], [bob, 'owner']].sort());

  // Hand over the sponsor role: Carol (not yet a member) becomes sponsor, Alice stays as a member.
  const handed = await api.patch(`/v1/initiatives/${id}`, { sponsorId: carol }, { 'if-match': '"v1"' });
  t.equal(handed.status, 200);
  t.match(handed.body, { sponsorId: carol, version: 2 });
  const roles = async () => {
    const res = await api.get(`/v1/initiatives/${id}/members`);
    return Object.fromEntries(res.body.data.map((m: { personId: string; role: string }) => [m.personId, m.role]));
  };
  t.same(await roles(), { [alice]: 'member', [bob]: 'owner', [carol]: 'sponsor' });

  // Swap sponsor and owner in one change: the unique sponsor/owner index never sees two at once.
  const swapped = await api.patch(`/v1/initiatives/${id}`, { sponsorId: bob, ownerId: carol });
  t.equal(swapped.status, 200, swapped.text);
  t.same(await roles(), { [alice]: 'member', [bob]: 'sponsor', [carol]: 'owner' });
  // A former sponsor who is already a member is promoted, not duplicated.
  t.equal((await api.patch(`/v1/initiatives/${id}`, { sponsorId: alice })).status, 200);
  t.same(await roles(), { [alice]: 'sponsor', [bob]: 'member', [carol]: 'owner' });

  const stale = await api.patch(`/v1/initiatives/${id}`, { title: 'x' }, { 'if-match': '"v1"' });
  t.equal(stale.status, 412);

  const body = { title: 'Retried', sponsorId: alice, ownerId: bob };
  const original = await api.post('/v1/initiatives', body, { 'idempotency-key': 'ini-retry-1' });
  const again = await api.post('/v1/initiatives', body, { 'idempotency-key': 'ini-retry-1' });
  t.equal(again.status, 201);
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(again.body.id, original.body.id, 'a retried create replays the first answer');
  t.equal((await api.post('/v1/initiatives', { ...body, title: 'Other' }, { 'idempotency-key': 'ini-retry-1' })).status, 422);
  t.equal((await api.del(`/v1/initiatives/${original.body.id}`)).status, 204);

  const audit = await api.get(`/v1/audit-events?entityType=initiative&entityId=${id}`);
  t.match(audit.body.data, [
    { action: 'create', changes: { title: { before: null, after: '跨部门审批提速' }, departmentIds: { after: [fin, ops] } } },
    { action: 'update', changes: { sponsorId: { before: alice, after: carol } } },
    { action: 'update' },
    { action: 'update' },
  ]);
  const carolMember = await api.get(`/v1/initiatives/${id}/members/${carol}`);
  const memberAudit = await api.get(`/v1/audit-events?entityType=initiative_member&entityId=${carolMember.body.id}`);
  t.match(memberAudit.body.data, [
    { action: 'create', changes: { role: { before: null, after: 'sponsor' } } },
    { action: 'update', changes: { role: { before: 'sponsor', after: 'owner' } } },
  ]);
  t.equal(await api.count('events'), events, 'initiatives emit no catalogue events');

  // Listing: filters by status, department and sponsor, with keyset pages.
  const other = await api.post('/v1/initiatives', { title: 'Other', sponsorId: bob, ownerId: carol, departmentIds: [ops], status: 'active' });
  t.equal(other.status, 201);
  const ids = async (q: string) => (await api.get(`/v1/initiatives${q}`)).body.data.map((i: { id: string }) => i.id);
  t.same(await ids(''), [id, other.body.id]);
  t.same(await ids('?status=active'), [other.body.id]);
  t.same(await ids('?status=planned'), [id]);
  t.same(await ids(`?departmentId=${fin}`), [id]);
  t.same(await ids(`?departmentId=${ops}`), [id, other.body.id]);
  t.same(await ids(`?sponsorId=${bob}`), [other.body.id]);
  t.same(await ids(`?sponsorId=${carol}`), []);
  const first = await api.get('/v1/initiatives?limit=1');
  t.equal(first.body.data.length, 1);
  t.match(first.headers.link, /rel="next"/);
  const second = await api.get(`/v1/initiatives?limit=1&cursor=${first.body.nextCursor}`);
  t.same(second.body.data.map((i: { id: string }) => i.id), [other.body.id]);
  t.equal(second.body.nextCursor, null);
  t.same(second.body.data[0].departmentIds, [ops], 'departments embedded in the list');
  t.equal((await api.get('/v1/initiatives?status=paused')).status, 400);
});

t.test('initiative refusals: references, leads, dates, unknown fields; nothing written', async (t) => {
  const api = await buildTestApp(t);
  const dept = await department(api, 'Legal');
  const [alice, bob] = [await person(api, 'Alice'), await person(api, 'Bob')];
  const foreign = await api.newOrganization();
  const foreignPerson = await person(foreign, 'Stranger');
  const foreignDept = await department(foreign, 'Elsewhere');
  const counts = async () => [await api.count('initiatives'), await api.count('initiative_members'), await api.count('initiative_departments'), await api.count('audit_events')];
  const before = await counts();
  const base = { title: 'Refused', sponsorId: alice, ownerId: bob };

  const badDept = await api.post('/v1/initiatives', { ...base, departmentIds: [dept, foreignDept] });
  t.equal(badDept.status, 400);
  t.match(badDept.body.errors, [{ path: 'body.departmentIds[1]', message: 'unknown department' }]);
  const badSponsor = await api.post('/v1/initiatives', { ...base, sponsorId: foreignPerson });
  t.equal(badSponsor.status, 400);
  t.match(badSponsor.body.errors, [{ path: 'body.sponsorId' }]);
  const badOwner = await api.post('/v1/initiatives', { ...base, ownerId: '7d1b0b8e-3c51-4a3a-9a53-1f0b8b0c1d2e' });
  t.match(badOwner.body.errors, [{ path: 'body.ownerId' }]);
  const same = await api.post('/v1/initiatives', { ...base, ownerId: alice });
  t.equal(same.status, 400);
  t.match(same.body.errors, [{ path: 'body.ownerId', message: /differ/ }]);
  const dates = await api.post('/v1/initiatives', { ...base, startDate: '2026-05-01', targetDate: '2026-04-30' });
  t.match(dates.body.errors, [{ path: 'body.targetDate' }]);
  const dup = await api.post('/v1/initiatives', { ...base, departmentIds: [dept, dept] });
  t.equal(dup.status, 400);
  const missing = await api.post('/v1/initiatives', { title: 'No leads' });
  t.equal(missing.status, 400);
  t.match(missing.body.errors, [{ path: 'body.sponsorId' }, { path: 'body.ownerId' }]);
  const unknown = await api.post('/v1/initiatives', { ...base, budget: 5 });
  t.match(unknown.body.errors, [{ path: 'body.budget', message: 'unknown field' }]);
  const done = await api.post('/v1/initiatives', { ...base, status: 'completed' });
  t.equal(done.status, 400, 'an initiative starts planned or active');
  t.same(await counts(), before, 'no refused request wrote anything');

  const created = await api.post('/v1/initiatives', { ...base, departmentIds: [dept] });
  const id = created.body.id as string;
  const patchSame = await api.patch(`/v1/initiatives/${id}`, { ownerId: alice });
  t.equal(patchSame.status, 400, 'owner cannot become the sponsor too');
  const patchDept = await api.patch(`/v1/initiatives/${id}`, { departmentIds: [foreignDept] });
  t.match(patchDept.body.errors, [{ path: 'body.departmentIds[0]' }]);
  const patchDates = await api.patch(`/v1/initiatives/${id}`, { targetDate: '2020-01-01', startDate: '2020-02-01' });
  t.equal(patchDates.status, 400);
  t.same((await api.get(`/v1/initiatives/${id}`)).body, created.body, 'refused patches changed nothing');

  // Tenancy: another organisation sees nothing.
  t.equal((await foreign.get(`/v1/initiatives/${id}`)).status, 404);
  t.equal((await foreign.patch(`/v1/initiatives/${id}`, { title: 'x' })).status, 404);
  t.equal((await foreign.get(`/v1/initiatives/${id}/goals`)).status, 404);
  t.equal((await foreign.get(`/v1/initiatives/${id}/members`)).status, 404);
  t.equal((await foreign.post(`/v1/initiatives/${id}/goals`, { title: 'g', metric: 'm', baseline: 0, target: 1 })).status, 404);
  t.same((await foreign.get('/v1/initiatives')).body.data, []);
  const reader = await api.keyWith(['read']);
  t.equal((await reader.get(`/v1/initiatives/${id}`)).status, 200);
  t.equal((await reader.patch(`/v1/initiatives/${id}`, { title: 'x' })).status, 403);
});

t.test('status machine: planned → active → completed; planned|active → cancelled; 409 otherwise', async (t) => {
  const api = await buildTestApp(t);
  const [alice, bob] = [await person(api, 'Alice'), await person(api, 'Bob')];
  const make = async () => (await api.post('/v1/initiatives', { title: uniq('i'), sponsorId: alice, ownerId: bob })).body.id as string;
  const to = (id: string, status: string) => api.patch(`/v1/initiatives/${id}`, { status });

  const a = await make();
  const skip = await to(a, 'completed');
  t.equal(skip.status, 409);
  t.match(skip.body, { type: '/problems/conflict', detail: /is planned; it cannot become completed/ });
  t.equal((await to(a, 'active')).status, 200);
  t.equal((await to(a, 'active')).status, 200, 'staying in the same state is no change');
  t.equal((await to(a, 'planned')).status, 409);
  const completed = await to(a, 'completed');
  t.match(completed.body, { status: 'completed' });
  const after = await to(a, 'cancelled');
  t.equal(after.status, 409);
  t.match(after.body.detail, /is completed/);
  const audit = await api.get(`/v1/audit-events?entityType=initiative&entityId=${a}`);
  t.same(audit.body.data.map((e: { action: string }) => e.action), ['create', 'active', 'update', 'completed']);

  const b = await make();
  t.equal((await to(b, 'cancelled')).status, 200, 'planned → cancelled');
  t.equal((await to(b, 'active')).status, 409, 'cancelled is final');
  const c = await make();
  await to(c, 'active');
  t.equal((await to(c, 'cancelled')).status, 200, 'active → cancelled');
});

t.test('members: one sponsor and one owner, others added, changed and removed', async (t) => {
  const api = await buildTestApp(t);
  const [alice, bob, carol, dan] = [await person(api, 'Alice'), await person(api, 'Bob'), await person(api, 'Carol'), await person(api, 'Dan')];
  const id = (await api.post('/v1/initiatives', { title: 'Team', sponsorId: alice, ownerId: bob })).body.id as string;
  const url = `/v1/initiatives/${id}/members`;

  const added = await api.post(url, { personId: carol, role: 'liaison', responsibility: '对接财务部' });
  t.equal(added.status, 201);
  t.match(added.body, { initiativeId: id, personId: carol, role: 'liaison', responsibility: '对接财务部', version: 1 });
  t.equal((await api.post(url, { personId: carol })).status, 409, 'already a member');
  const second = await api.post(url, { personId: dan, role: 'sponsor' });
  t.equal(second.status, 409, 'a second sponsor is refused');
  t.match(second.body.detail, /sponsorId/);
  t.equal((await api.post(url, { personId: dan, role: 'owner' })).status, 409);
  const foreign = await person(await api.newOrganization(), 'Stranger');
  const bad = await api.post(url, { personId: foreign });
  t.equal(bad.status, 400);
  t.match(bad.body.errors, [{ path: 'body.personId', message: 'unknown person' }]);
  t.equal((await api.post(url, { personId: dan, role: 'chair' })).status, 400);

  const plain = await api.post(url, { personId: dan });
  t.match(plain.body, { role: 'member', responsibility: null });
  const changed = await api.patch(`${url}/${dan}`, { role: 'liaison', responsibility: 'Budget' }, { 'if-match': '"v1"' });
  t.equal(changed.status, 200);
  t.match(changed.body, { role: 'liaison', responsibility: 'Budget', version: 2 });
  t.equal((await api.patch(`${url}/${dan}`, { role: 'member' }, { 'if-match': '"v1"' })).status, 412);
  t.equal((await api.patch(`${url}/${dan}`, { role: 'owner' })).status, 409, 'cannot become owner by member edit');
  t.equal((await api.patch(`${url}/${alice}`, { role: 'member' })).status, 409, 'the sponsor cannot be demoted here');
  const resp = await api.patch(`${url}/${alice}`, { responsibility: 'Reports to the board' });
  t.match(resp.body, { role: 'sponsor', responsibility: 'Reports to the board' }, 'the sponsor may get a responsibility');
  t.equal((await api.del(`${url}/${bob}`)).status, 409, 'the owner cannot be removed');
  t.equal((await api.del(`${url}/${dan}`)).status, 204);
  t.equal((await api.get(`${url}/${dan}`)).status, 404);
  t.same((await api.get(`${url}?role=liaison`)).body.data.map((m: { personId: string }) => m.personId), [carol]);
  const lead = await api.get(`${url}?role=sponsor`);
  t.equal(lead.body.data.length, 1);
  t.equal((await api.get(`/v1/initiatives/${id}/members/${foreign}`)).status, 404);
});

t.test('delete: refused while a meeting belongs to the initiative; otherwise goals and members go too', async (t) => {
  const api = await buildTestApp(t);
  const [alice, bob] = [await person(api, 'Alice'), await person(api, 'Bob')];
  const id = (await api.post('/v1/initiatives', { title: 'Gone', sponsorId: alice, ownerId: bob })).body.id as string;
  const goal = await api.post(`/v1/initiatives/${id}/goals`, { title: 'g', metric: 'm', baseline: 0, target: 10, current: 3 });
  t.equal(goal.status, 201);
  const kept = (await api.post('/v1/initiatives', { title: 'Kept', sponsorId: alice, ownerId: bob })).body.id as string;
  await api.database.sql`insert into meetings (organization_id, initiative_id, title, starts_at, ends_at, time_zone, materials_due_at)
    values (${api.organizationId}, ${kept}, 'm', now(), now() + interval '1 hour', 'UTC', now())`;
  const refused = await api.del(`/v1/initiatives/${kept}`);
  t.equal(refused.status, 409);
  t.match(refused.body.detail, /1 meeting/);
  const tracked = (await api.post('/v1/initiatives', { title: 'Tracked', sponsorId: alice, ownerId: bob })).body.id as string;
  await api.database.sql`insert into issues (organization_id, title, initiative_id) values (${api.organizationId}, 'i', ${tracked})`;
  t.equal((await api.del(`/v1/initiatives/${tracked}`)).status, 409, 'an issue still refers to it');
  t.equal((await api.get(`/v1/initiatives/${tracked}`)).status, 200, 'and nothing was deleted');
  t.equal((await api.get(`/v1/initiatives/${tracked}/members`)).body.data.length, 2);

  t.equal((await api.del(`/v1/initiatives/${id}`, { 'if-match': '"v9"' })).status, 412);
  t.equal((await api.del(`/v1/initiatives/${id}`)).status, 204);
  t.equal((await api.get(`/v1/initiatives/${id}`)).status, 404);
  const [left] = await api.database.sql`select
    (select count(*) from goals where initiative_id = ${id})::int as goals,
    (select count(*) from goal_measurements where goal_id = ${goal.body.id})::int as measurements,
    (select count(*) from initiative_members where initiative_id = ${id})::int as members`;
  t.same(left, { goals: 0, measurements: 0, members: 0 });
  const audit = await api.get(`/v1/audit-events?entityType=goal&entityId=${goal.body.id}`);
  t.same(audit.body.data.map((e: { action: string }) => e.action), ['create', 'delete']);
});
