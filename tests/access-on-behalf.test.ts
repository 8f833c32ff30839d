import t from 'tap';
import { buildTestApp, uniq, type TestApp } from './helpers.js';
import { callerWith, newPerson, problem } from './access-helpers.js';
import { startReceiver } from './helpers/webhook-receiver.js';
import { inProcessWorker } from './fixtures/webhook-workers.js';

// Acting on behalf of a person (SPEC §8): an integration key with `act_as` sends
// `Liaison-On-Behalf-Of`, and the audit record, the event log and the webhook delivery say who.

const HEADER = 'liaison-on-behalf-of';
const code = () => uniq('D').replace(/[^A-Za-z0-9]/g, '').slice(0, 30);

t.test('an act_as key acts as the person: audit, event log and a delivered webhook carry actor { keyId, personId }', async (t) => {
  const api = await buildTestApp(t);
  const hook = await api.post('/v1/webhooks', { url: 'http://127.0.0.1:9/', eventTypes: ['issue.opened'] });
  const receiver = await startReceiver(hook.body.secret);
  t.teardown(() => receiver.close());
  await api.patch(`/v1/webhooks/${hook.body.id}`, { url: receiver.url });
  await inProcessWorker(t, api);

  const mei = await newPerson(api, 'Mei Chen');
  const key = await api.post('/v1/api-keys', { name: 'assistant', scopes: ['read', 'write', 'act_as'] });
  t.equal(key.status, 201, key.text);
  t.equal(key.body.personId, null, 'an act_as key is an integration key');
  const assistant = callerWith(api, key.body.secret);

  const opened = await assistant.post('/v1/issues', { title: 'Who signs off?', ownerId: mei.id }, { [HEADER]: mei.id });
  t.equal(opened.status, 201, opened.text);
  const plain = await assistant.post('/v1/issues', { title: 'Without the header', ownerId: mei.id });
  t.equal(plain.status, 201, plain.text);

  const audit = await api.get(`/v1/audit-events?entityId=${opened.body.id}`);
  t.match(audit.body.data, [{ action: 'create', actor: { keyId: key.body.id, personId: mei.id }, actorKeyId: key.body.id }], 'the audit record names the person');
  const plainAudit = await api.get(`/v1/audit-events?entityId=${plain.body.id}`);
  t.same(plainAudit.body.data[0].actor, { keyId: key.body.id, personId: null }, 'without the header the key acts as itself');

  const log = (await api.get('/v1/events?type=issue.opened')).body.data as { id: string; timestamp: string; data: { issue: { id: string } }; actor: unknown }[];
  const event = log.find((e) => e.data.issue.id === opened.body.id)!;
  t.same(event.actor, { keyId: key.body.id, personId: mei.id }, 'the logged event carries the actor');
  t.same(log.find((e) => e.data.issue.id === plain.body.id)!.actor, { keyId: key.body.id, personId: null });
  const single = await api.get(`/v1/events/${event.id}`);
  t.same(single.body.actor, event.actor, 'so does GET /v1/events/{eventId}');

  const got = await receiver.waitFor(2, 10_000);
  const delivered = got.find((r) => r.id === event.id)!;
  t.ok(delivered, 'the event was delivered');
  t.equal(delivered.verified, true, 'the delivery verifies with standardwebhooks');
  t.same(delivered.parsed, { type: 'issue.opened', timestamp: event.timestamp, data: event.data, actor: { keyId: key.body.id, personId: mei.id } }, 'the body is the logged envelope, actor included');

  const filtered = await api.get(`/v1/audit-events?actorPersonId=${mei.id}`);
  t.same(filtered.body.data.map((r: { entityId: string }) => r.entityId), [opened.body.id], 'actorPersonId lists only what was done as the person');
  problem(t, await api.get('/v1/audit-events?actorPersonId=nope'), 400, 'a malformed actorPersonId');
});

t.test('admin includes act_as; a read on behalf of a person is admitted too', async (t) => {
  const api = await buildTestApp(t);
  const mei = await newPerson(api);
  const res = await api.get('/v1/departments', { [HEADER]: mei.id });
  t.equal(res.status, 200, 'the admin key may act on behalf of a person');
  const dept = await api.post('/v1/issues', { title: 'Legal review', ownerId: mei.id }, { [HEADER]: mei.id.toUpperCase() });
  t.equal(dept.status, 201, 'an upper-case id names the same person');
  const audit = await api.get(`/v1/audit-events?entityId=${dept.body.id}`);
  t.equal(audit.body.data[0].actor.personId, mei.id);
});

t.test('refusals: no act_as 403, person-bound key 403, malformed, unknown or foreign id 400; nothing written', async (t) => {
  const api = await buildTestApp(t);
  const other = await api.newOrganization();
  const mei = await newPerson(api);
  const theirs = await newPerson(other, 'Not Ours');
  const writer = await api.keyWith(['read', 'write']);
  const actor = callerWith(api, (await api.post('/v1/api-keys', { name: 'assistant', scopes: ['read', 'write', 'act_as'] })).body.secret);
  const bound = callerWith(api, (await api.post('/v1/api-keys', { name: 'Mei', scopes: ['read', 'write'], personId: mei.id })).body.secret);
  const body = () => ({ name: 'Ops', code: code() });
  const counts = async () => [await api.count('departments'), await api.count('audit_events'), await api.count('events')];
  const before = await counts();

  const noScope = await writer.post('/v1/departments', body(), { [HEADER]: mei.id });
  problem(t, noScope, 403, 'a key without act_as');
  t.match(noScope.body.detail, /act_as/, 'the refusal names the scope');
  problem(t, await writer.get('/v1/departments', { [HEADER]: mei.id }), 403, 'a read without act_as');
  problem(t, await writer.post('/v1/departments', body(), { [HEADER]: 'not-a-uuid' }), 403, 'the scope is checked before the id');

  const fromBound = await bound.post('/v1/departments', body(), { [HEADER]: mei.id });
  problem(t, fromBound, 403, 'a person-bound key, even naming its own person');
  t.match(fromBound.body.detail, /person-bound/);

  for (const [value, what] of [
    ['not-a-uuid', 'a malformed id'],
    ['00000000-0000-4000-8000-000000000000', 'an unknown person'],
    [theirs.id, "another organisation's person"],
    ['', 'an empty header'],
  ] as const) {
    const res = await actor.post('/v1/departments', body(), { [HEADER]: value });
    problem(t, res, 400, what);
    t.match(res.body.errors, [{ path: `headers.${HEADER}` }], `${what}: errors[] names the header`);
  }
  // The same for a key this process does not know yet (the person is looked up with the key).
  const fresh = callerWith(api, (await api.post('/v1/api-keys', { name: 'fresh', scopes: ['read', 'write', 'act_as'] })).body.secret);
  const afterKey = await counts();
  problem(t, await fresh.post('/v1/departments', body(), { [HEADER]: theirs.id }), 400, 'a foreign person, with the first use of a key');
  t.same(await counts(), afterKey, 'no department, audit record or event was written by any refusal');
  t.ok(afterKey[1]! > before[1]!, 'only the key creation itself was audited');
  t.same(afterKey[0], before[0], 'no department was created');
});

t.test('a deleted person can no longer be acted on behalf of', async (t) => {
  const api = await buildTestApp(t);
  const mei = await newPerson(api);
  const actor = callerWith(api, (await api.post('/v1/api-keys', { name: 'assistant', scopes: ['read', 'act_as'] })).body.secret);
  t.equal((await actor.get('/v1/departments', { [HEADER]: mei.id })).status, 200, 'admitted while the person exists');
  t.equal((await api.del(`/v1/people/${mei.id}`)).status, 204);
  // The deletion's hint makes this process forget the person (within the cache's lifetime if it is lost).
  let status = 0;
  for (let i = 0; i < 40 && status !== 400; i++) {
    status = (await actor.get('/v1/departments', { [HEADER]: mei.id })).status;
    if (status !== 400) await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(status, 400, 'the header naming a deleted person is 400');
});

/** The statements the app's pool sends while `request` is served (the lastUsedAt write and rate-limit sync left out). */
async function statementsOf(api: TestApp, request: () => Promise<unknown>): Promise<string[]> {
  const options = (api.database.sql as unknown as { options: { debug?: unknown } }).options;
  const seen: string[] = [];
  options.debug = (_conn: number, query: string) => {
    if (!/^\s*update api_keys|rate_limit_|pg_notify/i.test(query)) seen.push(query.replace(/\s+/g, ' ').trim());
  };
  try {
    await request();
  } finally {
    options.debug = undefined;
  }
  return seen;
}

t.test('the header costs no query once seen, and shares the key lookup the first time', async (t) => {
  const api = await buildTestApp(t);
  const mei = await newPerson(api);
  const actor = callerWith(api, (await api.post('/v1/api-keys', { name: 'assistant', scopes: ['read', 'act_as'] })).body.secret);
  // The key's creation sends a hint that makes every process forget it once heard: let it arrive first.
  await new Promise((r) => setTimeout(r, 300));
  const first = await statementsOf(api, async () => t.equal((await actor.get('/v1/departments', { [HEADER]: mei.id })).status, 200));
  const lookups = first.filter((q) => /\bpeople\b/.test(q));
  t.equal(lookups.length, 1, `one statement reads people on a key's first use (${lookups.join(' | ')})`);
  t.match(lookups[0], /api_keys/, 'and it is the key lookup itself');
  const warm = await statementsOf(api, async () => t.equal((await actor.get('/v1/departments', { [HEADER]: mei.id })).status, 200));
  const plain = await statementsOf(api, async () => t.equal((await actor.get('/v1/departments')).status, 200));
  t.same(warm, plain, 'a known key acting on behalf of a known person sends exactly what it sends without the header');
  t.same(warm.filter((q) => /\bpeople\b|api_keys/.test(q)), [], 'neither the key nor the person is looked up again');
});
