import t from 'tap';
import { buildTestApp, uniq } from './helpers.js';

t.test('departments: create, read, list, update, delete with every convention', async (t) => {
  const api = await buildTestApp(t);
  const code = uniq('D').slice(0, 30).replace(/[^A-Za-z0-9-]/g, '');

  const created = await api.post('/v1/departments', { name: 'Finance', code, description: 'Budgets', concerns: 'Quarter close' });
  t.equal(created.status, 201);
  t.match(created.body, { id: String, name: 'Finance', code, description: 'Budgets', concerns: 'Quarter close', parentId: null, leadId: null, version: 1 });
  t.equal(created.headers.etag, '"v1"');
  t.equal(created.headers['cache-control'], 'no-store');
  const id = created.body.id as string;

  const got = await api.get(`/v1/departments/${id}`);
  t.equal(got.status, 200);
  t.same(got.body, created.body);

  const dup = await api.post('/v1/departments', { name: 'Other', code: code.toLowerCase() });
  t.equal(dup.status, 409, 'codes are unique case-insensitively');
  t.match(dup.body, { type: '/problems/conflict', status: 409, detail: /already exists/ });

  const stale = await api.patch(`/v1/departments/${id}`, { name: 'Finance & Control' }, { 'if-match': '"v7"' });
  t.equal(stale.status, 412);
  const fresh = await api.patch(`/v1/departments/${id}`, { name: 'Finance & Control' }, { 'if-match': '"v1"' });
  t.equal(fresh.status, 200);
  t.match(fresh.body, { name: 'Finance & Control', version: 2 });
  t.equal(fresh.headers.etag, '"v2"');

  const audit = await api.get(`/v1/audit-events?entityType=department&entityId=${id}`);
  t.equal(audit.status, 200);
  t.match(audit.body.data, [
    { action: 'create', entityType: 'department', entityId: id, changes: { name: { before: null, after: 'Finance' } } },
    { action: 'update', changes: { name: { before: 'Finance', after: 'Finance & Control' }, version: { before: 1, after: 2 } } },
  ]);
  t.equal(audit.body.data[1].requestId.length > 0, true);

  const del = await api.del(`/v1/departments/${id}`);
  t.equal(del.status, 204);
  t.equal((await api.get(`/v1/departments/${id}`)).status, 404);
});

t.test('refusals answer problem+json and write nothing', async (t) => {
  const api = await buildTestApp(t);
  const before = await api.count('departments');
  const audits = await api.count('audit_events');

  const unknownField = await api.post('/v1/departments', { name: 'X', code: 'X1', id: '00000000-0000-0000-0000-000000000000' });
  t.equal(unknownField.status, 400);
  t.equal(unknownField.headers['content-type'], 'application/problem+json');
  t.match(unknownField.body, { type: '/problems/invalid-request', status: 400, errors: [{ path: 'body.id', message: 'unknown field' }], requestId: String });

  const invalid = await api.post('/v1/departments', { name: '', code: 'bad code!' });
  t.equal(invalid.status, 400);
  t.match(invalid.body.errors, [{ path: 'body.name' }, { path: 'body.code' }]);

  const malformed = await api.request('POST', '/v1/departments', '{"name": ', { 'content-type': 'application/json' });
  t.equal(malformed.status, 400);
  t.match(malformed.body, { detail: /not valid JSON/ });

  const wrongType = await api.request('POST', '/v1/departments', 'name=x', { 'content-type': 'application/x-www-form-urlencoded' });
  t.equal(wrongType.status, 415);
  t.equal(wrongType.body.type, '/problems/unsupported-media-type');

  const huge = await api.post('/v1/departments', { name: 'x'.repeat(2 * 1024 * 1024), code: 'BIG' });
  t.equal(huge.status, 413);

  const tooLong = await api.post('/v1/departments', { name: 'x'.repeat(201), code: 'LONG' });
  t.equal(tooLong.status, 400);

  const badRef = await api.post('/v1/departments', { name: 'Y', code: 'Y1', parentId: '3f0e8e7e-58a4-4d4b-9d55-3a3c8c8a9b10' });
  t.equal(badRef.status, 400);
  t.match(badRef.body.errors, [{ path: 'body.parentId' }]);

  t.equal(await api.count('departments'), before, 'no department written');
  t.equal(await api.count('audit_events'), audits, 'no audit record written');

  const notFound = await api.get('/v1/nothing-here');
  t.equal(notFound.status, 404);
  t.equal(notFound.body.type, '/problems/not-found');

  const wrongMethod = await api.request('PUT', '/v1/departments');
  t.equal(wrongMethod.status, 405);
  t.equal(wrongMethod.headers.allow, 'GET, HEAD, POST');

  const badId = await api.get('/v1/departments/not-a-uuid');
  t.equal(badId.status, 400);
  t.match(badId.body.errors, [{ path: 'params.departmentId' }]);

  const badCursor = await api.get('/v1/departments?cursor=%%%');
  t.equal(badCursor.status, 400);
  const badLimit = await api.get('/v1/departments?limit=500');
  t.equal(badLimit.status, 400);
});

t.test('auth: 401 for missing, unknown and revoked keys; 403 for a missing scope; other organisations are 404', async (t) => {
  const api = await buildTestApp(t);
  const none = await api.inject({ method: 'GET', url: '/v1/departments' });
  t.equal(none.status, 401);
  t.equal(none.headers['www-authenticate'], 'Bearer realm="liaison"');
  const unknown = await api.inject({ method: 'GET', url: '/v1/departments', headers: { authorization: 'Bearer lsn_nope' } });
  t.same(unknown.body.detail, none.body.detail, 'the same answer for missing and unknown keys');

  const reader = await api.keyWith(['read']);
  t.equal((await reader.get('/v1/departments')).status, 200);
  const refused = await reader.post('/v1/departments', { name: 'R', code: 'R1' });
  t.equal(refused.status, 403);
  t.match(refused.body, { type: '/problems/forbidden', detail: /write/ });
  t.equal((await reader.get('/v1/api-keys')).status, 403);

  const created = await api.post('/v1/api-keys', { name: 'temp', scopes: ['read'] });
  t.equal(created.status, 201);
  t.match(created.body, { secret: /^lsn_/, prefix: created.body.secret.slice(0, 12), scopes: ['read'] });
  const temp = created.body.secret as string;
  const use = await api.inject({ method: 'GET', url: '/v1/departments', headers: { authorization: `Bearer ${temp}` } });
  t.equal(use.status, 200);
  const listed = await api.get('/v1/api-keys');
  t.notOk(JSON.stringify(listed.body).includes(temp), 'secrets are never listed');
  t.notOk(JSON.stringify(listed.body).includes('hash'), 'hashes are never listed');
  t.equal((await api.del(`/v1/api-keys/${created.body.id}`)).status, 204);
  const revoked = await api.inject({ method: 'GET', url: '/v1/departments', headers: { authorization: `Bearer ${temp}` } });
  t.equal(revoked.status, 401, 'revocation takes effect on the next request');

  const other = await api.newOrganization();
  const theirs = await other.post('/v1/departments', { name: 'Theirs', code: 'TH' });
  t.equal(theirs.status, 201);
  t.equal((await api.get(`/v1/departments/${theirs.body.id}`)).status, 404);
  t.equal((await api.patch(`/v1/departments/${theirs.body.id}`, { name: 'Mine' })).status, 404);
  t.equal((await api.del(`/v1/departments/${theirs.body.id}`)).status, 404);
  const crossRef = await api.post('/v1/people', { name: 'P', email: 'p@example.com', departmentId: theirs.body.id });
  t.equal(crossRef.status, 400);
  t.match(crossRef.body.errors, [{ path: 'body.departmentId', message: 'unknown department' }]);
  t.equal((await other.get(`/v1/departments/${theirs.body.id}`)).body.name, 'Theirs', 'their row is unchanged');
});

t.test('idempotency: replay, 422 on another body, 409 while in flight', async (t) => {
  const api = await buildTestApp(t);
  const key = uniq('idem');
  const first = await api.post('/v1/departments', { name: 'Ops', code: 'OPS' }, { 'idempotency-key': key });
  t.equal(first.status, 201);
  const again = await api.post('/v1/departments', { name: 'Ops', code: 'OPS' }, { 'idempotency-key': key });
  t.equal(again.status, 201);
  t.same(again.body, first.body);
  t.equal(again.headers['idempotent-replayed'], 'true');
  t.equal(again.headers.etag, '"v1"', 'a replay carries the ETag too');
  t.equal(await api.count('departments'), 1);
  const other = await api.post('/v1/departments', { name: 'Ops2', code: 'OPS2' }, { 'idempotency-key': key });
  t.equal(other.status, 422);

  const org2 = await api.newOrganization();
  const sameKeyOtherOrg = await org2.post('/v1/departments', { name: 'Ops', code: 'OPS' }, { 'idempotency-key': key });
  t.equal(sameKeyOtherOrg.status, 201, 'keys are scoped by organisation');
  t.not(sameKeyOtherOrg.body.id, first.body.id);

  const burstKey = uniq('burst');
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => api.post('/v1/departments', { name: 'Burst', code: 'BURST' }, { 'idempotency-key': burstKey })),
  );
  const created = answers.filter((a) => a.status === 201);
  t.ok(created.length >= 1, 'at least one succeeds');
  t.ok(answers.every((a) => a.status === 201 || a.status === 409), 'others are 409 while in flight');
  t.ok(created.every((a) => a.body.id === created[0]!.body.id), 'every success is the same record');
  const [{ n }] = (await api.database.sql`select count(*)::int as n from departments where code = 'BURST'`) as unknown as [{ n: number }];
  t.equal(n, 1);
});

t.test('people: unique email, department link, cycle and reference refusals, pagination', async (t) => {
  const api = await buildTestApp(t);
  const a = (await api.post('/v1/departments', { name: 'A', code: 'A' })).body;
  const b = (await api.post('/v1/departments', { name: 'B', code: 'B', parentId: a.id })).body;
  const cycle = await api.patch(`/v1/departments/${a.id}`, { parentId: b.id });
  t.equal(cycle.status, 400);
  t.match(cycle.body.errors, [{ path: 'body.parentId', message: 'creates a cycle' }]);

  const alice = await api.post('/v1/people', { name: 'Alice', email: 'Alice@Example.com', departmentId: a.id, keyContact: true, timeZone: 'Europe/Berlin' });
  t.equal(alice.status, 201);
  t.match(alice.body, { email: 'alice@example.com', keyContact: true, timeZone: 'Europe/Berlin' });
  t.equal((await api.post('/v1/people', { name: 'Al', email: 'ALICE@example.com' })).status, 409);
  t.equal((await api.post('/v1/people', { name: 'Tz', email: 'tz@example.com', timeZone: 'Mars/Base' })).status, 400);

  t.equal((await api.patch(`/v1/departments/${a.id}`, { leadId: alice.body.id })).status, 200);
  const leadDelete = await api.del(`/v1/people/${alice.body.id}`);
  t.equal(leadDelete.status, 409);
  const deptDelete = await api.del(`/v1/departments/${a.id}`);
  t.equal(deptDelete.status, 409);
  t.match(deptDelete.body.detail, /sub-department/);

  for (let i = 0; i < 5; i++) await api.post('/v1/people', { name: `P${i}`, email: `p${i}@example.com` });
  const seen: string[] = [];
  let url = '/v1/people?limit=2';
  for (;;) {
    const res = await api.get(url);
    t.equal(res.status, 200);
    seen.push(...res.body.data.map((p: { id: string }) => p.id));
    if (!res.body.nextCursor) {
      t.notOk(res.headers.link);
      break;
    }
    t.match(res.headers.link, /rel="next"/);
    url = /<([^>]+)>/.exec(String(res.headers.link))![1]!;
  }
  t.equal(seen.length, 6);
  t.equal(new Set(seen).size, 6, 'no duplicates across pages');
  const keyContacts = await api.get(`/v1/people?keyContact=true`);
  t.same(keyContacts.body.data.map((p: { name: string }) => p.name), ['Alice']);
});
