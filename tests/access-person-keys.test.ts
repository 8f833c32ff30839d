import t from 'tap';
import { buildTestApp, uniq } from './helpers.js';
import { callerWith as as, newPerson as person, problem } from './access-helpers.js';

// Person-bound keys (SPEC §8): created by an admin for a person of the organisation, listed with
// their person, attributed to that person in the audit log, and refused once the person is gone.

t.test('an admin creates a person-bound key; the listing and the key itself name its person', async (t) => {
  const api = await buildTestApp(t);
  const ines = await person(api);
  const created = await api.post('/v1/api-keys', { name: 'Ines laptop', scopes: ['read', 'write'], personId: ines.id });
  t.equal(created.status, 201, created.text);
  t.match(created.body, { name: 'Ines laptop', scopes: ['read', 'write'], personId: ines.id, revokedAt: null, secret: /^lsn_/ });
  const integration = await api.post('/v1/api-keys', { name: 'chat bot', scopes: ['read'] });
  t.equal(integration.body.personId, null, 'a key without personId is an integration key');

  const list = await api.get('/v1/api-keys?limit=200');
  t.equal(list.status, 200);
  const byId = new Map((list.body.data as { id: string; personId: string | null }[]).map((k) => [k.id, k]));
  t.equal(byId.get(created.body.id)?.personId, ines.id, 'listed with its person');
  t.equal(byId.get(integration.body.id)?.personId, null, 'the integration key is listed with personId null');

  const [row] = await api.database.sql`select person_id from api_keys where id = ${created.body.id}`;
  t.equal(row!.person_id, ines.id, 'the row stores the person');
  const audit = await api.get(`/v1/audit-events?entityType=api_key&entityId=${created.body.id}`);
  t.match(audit.body.data, [{ action: 'create', changes: { personId: { before: null, after: ines.id } } }], 'the creation is audited with the person');
  t.notOk(audit.text.includes(created.body.secret), 'the audit record holds no secret');
});

t.test('refusals: only admin mints person-bound keys, the person must be of the organisation, and nothing is written', async (t) => {
  const api = await buildTestApp(t);
  const other = await api.newOrganization();
  const ines = await person(api);
  const theirs = await person(other, 'Someone Else');
  const writer = await api.keyWith(['read', 'write']);
  const before = await api.count('api_keys');
  const auditsBefore = await api.count('audit_events');

  problem(t, await writer.post('/v1/api-keys', { name: 'x', scopes: ['read'], personId: ines.id }), 403, 'a write key');
  const unknown = await api.post('/v1/api-keys', { name: 'x', scopes: ['read'], personId: '00000000-0000-4000-8000-000000000000' });
  problem(t, unknown, 400, 'an unknown person');
  t.match(unknown.body.errors, [{ path: 'body.personId' }], 'errors[] names body.personId');
  const foreign = await api.post('/v1/api-keys', { name: 'x', scopes: ['read'], personId: theirs.id });
  problem(t, foreign, 400, "another organisation's person");
  t.match(foreign.body.errors, [{ path: 'body.personId' }], 'the same answer as for an unknown person');
  problem(t, await api.post('/v1/api-keys', { name: 'x', scopes: ['read'], personId: 'not-a-uuid' }), 400, 'a malformed person id');
  const actAs = await api.post('/v1/api-keys', { name: 'x', scopes: ['read', 'act_as'], personId: ines.id });
  problem(t, actAs, 400, 'act_as on a person-bound key');
  t.match(actAs.body.errors, [{ path: 'body.scopes' }], 'errors[] names body.scopes');

  t.equal(await api.count('api_keys'), before, 'no key was written');
  t.equal(await api.count('audit_events'), auditsBefore, 'no audit record was written');
});

t.test("a person-bound key's writes are audited with its person, and its events carry it", async (t) => {
  const api = await buildTestApp(t);
  const ines = await person(api);
  const created = await api.post('/v1/api-keys', { name: 'Ines', scopes: ['read', 'write'], personId: ines.id });
  const inesKey = as(api, created.body.secret);
  const issue = await inesKey.post('/v1/issues', { title: 'Budget gap', ownerId: ines.id });
  t.equal(issue.status, 201, issue.text);
  const other = await api.post('/v1/issues', { title: 'Headcount', ownerId: ines.id });
  const changed = await inesKey.patch(`/v1/issues/${other.body.id}`, { title: 'Headcount freeze' });
  t.equal(changed.status, 200, changed.text);

  const audit = await api.get(`/v1/audit-events?entityId=${other.body.id}`);
  t.match(audit.body.data.filter((r: { action: string }) => r.action === 'update'), [{ action: 'update', actor: { keyId: created.body.id, personId: ines.id }, actorKeyId: created.body.id }]);
  const events = await api.get('/v1/events?type=issue.opened');
  const opened = (events.body.data as { data: { issue?: { id: string } }; actor: unknown }[]).find((e) => e.data.issue?.id === issue.body.id);
  t.ok(opened, 'issue.opened is in the log');
  t.same(opened?.actor, { keyId: created.body.id, personId: ines.id }, 'the event carries the person');

  const mine = await api.get(`/v1/audit-events?actorPersonId=${ines.id}`);
  t.same(
    (mine.body.data as { entityId: string }[]).map((r) => r.entityId).sort(),
    [issue.body.id, other.body.id].sort(),
    'actorPersonId lists what the person did and nothing else',
  );
});

t.test("deleting a person revokes the person's keys: 401 from then on, the key still shows whose it was", async (t) => {
  const api = await buildTestApp(t);
  const ines = await person(api);
  const created = await api.post('/v1/api-keys', { name: 'Ines', scopes: ['read'], personId: ines.id });
  const inesKey = as(api, created.body.secret);
  t.equal((await inesKey.get('/v1/departments')).status, 200, 'the key works while its person exists');

  const deleted = await api.del(`/v1/people/${ines.id}`);
  t.equal(deleted.status, 204, deleted.text);
  // This process hears of the revocation by its wake-up hint, or its revocation poll within a second.
  let status = 0;
  for (let i = 0; i < 40 && status !== 401; i++) {
    status = (await inesKey.get('/v1/departments')).status;
    if (status !== 401) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(status, 401, 'the key is refused once its person is deleted');
  problem(t, await inesKey.get('/v1/departments'), 401, 'and stays refused');

  const listed = (await api.get('/v1/api-keys?limit=200')).body.data.find((k: { id: string }) => k.id === created.body.id);
  t.match(listed, { personId: ines.id, revokedAt: String }, 'listed as revoked, still naming its person');
  const audit = await api.get(`/v1/audit-events?entityType=api_key&entityId=${created.body.id}`);
  t.match(audit.body.data.at(-1), { action: 'revoke', changes: { revokedAt: { before: null } } }, 'the revocation is audited');

  // A process that never saw the key finds it refused by its first lookup too.
  const fresh = await api.anotherProcess();
  const res = await fresh.inject({ method: 'GET', url: '/v1/departments', headers: { authorization: `Bearer ${created.body.secret}` } });
  t.equal(res.statusCode, 401, 'another process refuses it');
});

t.test('a person-bound key whose person vanished without its revocation names nobody (401)', async (t) => {
  const api = await buildTestApp(t);
  const ines = await person(api);
  const created = await api.post('/v1/api-keys', { name: 'Ines', scopes: ['read'], personId: ines.id });
  // The person's row removed behind the service's back: the key must not become an integration key.
  await api.database.sql`delete from people where id = ${ines.id}`;
  const fresh = await api.anotherProcess();
  const res = await fresh.inject({ method: 'GET', url: '/v1/departments', headers: { authorization: `Bearer ${created.body.secret}` } });
  t.equal(res.statusCode, 401, 'refused as an unknown key');
});

t.test('revoking a person-bound key leaves the person alone; deleting the person fails as before when others name it', async (t) => {
  const api = await buildTestApp(t);
  const ines = await person(api);
  const created = await api.post('/v1/api-keys', { name: 'Ines', scopes: ['read', 'write'], personId: ines.id });
  const inesKey = as(api, created.body.secret);
  t.equal((await api.del(`/v1/api-keys/${created.body.id}`)).status, 204);
  problem(t, await inesKey.get('/v1/departments'), 401, 'the revoked key');
  t.equal((await api.get(`/v1/people/${ines.id}`)).status, 200, 'the person is still there');

  // A person who owns an issue cannot be deleted (409), and the key bound to them stays valid.
  const second = await api.post('/v1/api-keys', { name: 'Ines again', scopes: ['read'], personId: ines.id });
  t.equal((await api.post('/v1/issues', { title: 'Open point', ownerId: ines.id })).status, 201);
  const refused = await api.del(`/v1/people/${ines.id}`);
  problem(t, refused, 409, 'deleting an issue owner');
  const [row] = await api.database.sql`select revoked_at from api_keys where id = ${second.body.id}`;
  t.equal(row!.revoked_at, null, 'the refused deletion revoked nothing');
  t.equal((await as(api, second.body.secret).get('/v1/departments')).status, 200, 'the key still works');
});
