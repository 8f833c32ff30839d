import t from 'tap';
import { buildTestApp, type TestApp } from './helpers.js';

// Sweeps every operation of the live OpenAPI document, so that a route added later cannot forget
// a rule: authentication, scopes, closed request bodies, problem answers, no-store.

interface Operation {
  method: string;
  path: string;
  url: string;
  tags: string[];
  hasBody: boolean;
  /** False for a body taken only in another type (an iTIP message is text/calendar). */
  jsonBody: boolean;
}

const FILLER_ID = '5b0e7c4e-8a3c-4d6e-9f21-0c1d2e3f4a5b';

function operations(api: TestApp): Operation[] {
  const doc = api.app.swagger() as { paths: Record<string, Record<string, { tags?: string[]; requestBody?: { content?: Record<string, unknown> } }>> };
  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/')) continue;
    for (const [method, op] of Object.entries(item)) {
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => (/^(n|revision|version)$/.test(name) ? '1' : FILLER_ID));
      ops.push({ method: method.toUpperCase(), path, url, tags: op.tags ?? [], hasBody: Boolean(op.requestBody), jsonBody: Boolean(op.requestBody?.content?.['application/json']) });
    }
  }
  return ops;
}

t.test('every /v1 operation refuses a missing or unknown key with the same 401 problem', async (t) => {
  const api = await buildTestApp(t);
  const ops = operations(api);
  t.ok(ops.length >= 10, `${ops.length} operations swept`);
  for (const op of ops) {
    for (const headers of [{}, { authorization: 'Bearer lsn_unknown' }, { authorization: 'Basic Zm9vOmJhcg==' }]) {
      const res = await api.inject({ method: op.method as 'GET', url: op.url, headers: { ...headers, 'content-type': 'application/json' }, payload: op.hasBody ? '{}' : undefined });
      t.equal(res.status, 401, `${op.method} ${op.path} without a valid key`);
      t.equal(res.headers['content-type'], 'application/problem+json', `${op.method} ${op.path} answers problem+json`);
      t.equal(res.headers['cache-control'], 'no-store');
    }
  }
});

t.test('every /v1 operation refuses a key that lacks its scope with 403', async (t) => {
  const api = await buildTestApp(t);
  const webhooksOnly = await api.keyWith(['webhooks']);
  const readOnly = await api.keyWith(['read']);
  for (const op of operations(api)) {
    const isWebhookAdmin = op.tags.includes('Webhooks');
    const caller = isWebhookAdmin ? readOnly : webhooksOnly;
    const res = await caller.request(op.method, op.url, op.hasBody ? {} : undefined);
    t.equal(res.status, 403, `${op.method} ${op.path} with a key lacking its scope`);
    t.match(res.body, { type: '/problems/forbidden', status: 403 });
  }
});

t.test('every operation with a body refuses unknown and server-owned fields (mass assignment)', async (t) => {
  const api = await buildTestApp(t);
  for (const op of operations(api).filter((o) => o.hasBody)) {
    const res = await api.request(op.method, op.url, { id: FILLER_ID, organizationId: FILLER_ID, version: 9, createdAt: '2020-01-01T00:00:00Z', zzUnknown: true });
    if (res.status === 415) continue; // multipart-only operations
    t.equal(res.status, 400, `${op.method} ${op.path} refuses unknown fields`);
    const paths = (res.body.errors ?? []).map((e: { path: string }) => e.path);
    t.ok(paths.includes('body.zzUnknown'), `${op.method} ${op.path} names the unknown field (${paths.join(', ')})`);
    for (const owned of ['organizationId', 'createdAt']) t.ok(paths.includes(`body.${owned}`), `${op.method} ${op.path} refuses body.${owned}`);
  }
});

t.test('every /v1 operation answers a malformed JSON body or a wrong id with a 4xx problem', async (t) => {
  const api = await buildTestApp(t);
  for (const op of operations(api)) {
    if (op.hasBody) {
      const res = await api.request(op.method, op.url, '{"broken": ', { 'content-type': 'application/json' });
      t.equal(res.status, op.jsonBody ? 400 : 415, `${op.method} ${op.path} refuses malformed JSON (${op.jsonBody ? 'a JSON route' : 'JSON is not its type'})`);
    }
    if (op.path.includes('{')) {
      const bad = op.path.replace(/\{(\w+)\}/g, 'not-an-id');
      const res = await api.request(op.method, bad, op.hasBody ? {} : undefined);
      t.ok(res.status === 400 || res.status === 404, `${op.method} ${op.path} with a malformed id is ${res.status}`);
      t.equal(res.headers['content-type'], 'application/problem+json');
    }
  }
});
