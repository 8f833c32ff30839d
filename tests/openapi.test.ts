import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { generateOpenApi } from '../src/openapi-write.js';
import { buildTestApp } from './helpers.js';

const run = promisify(execFile);
const committedPath = new URL('../openapi/openapi.json', import.meta.url);
const generatedDir = new URL('./.generated/', import.meta.url);

t.test('the committed OpenAPI document is the one the code describes', async (t) => {
  const generated = await generateOpenApi();
  const committed = readFileSync(committedPath, 'utf8');
  t.equal(generated, committed, 'openapi/openapi.json is stale: run `npm run openapi` and commit it');
});

t.test('every operation reads well in a generated SDK', async (t) => {
  const doc = JSON.parse(readFileSync(committedPath, 'utf8'));
  t.equal(doc.openapi, '3.1.0');
  const ids = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`;
      t.ok(op.operationId, `${where} has an operationId`);
      t.notOk(ids.has(op.operationId), `${where}: operationId ${op.operationId} is unique`);
      ids.add(op.operationId);
      t.ok(op.tags?.length, `${where} has a tag`);
      t.ok(op.summary, `${where} has a summary`);
      const statuses = Object.keys(op.responses);
      t.ok(statuses.some((s) => /^[45]/.test(s)), `${where} declares its error responses`);
      // A range key (`4XX`) gives generated clients no type for the answer (orval's fails tsc --strict).
      t.same(statuses.filter((s) => !/^[1-5]\d\d$/.test(s)), [], `${where} declares concrete statuses only`);
      // The description says what the operation refuses, and every status it names is declared.
      const named = [...new Set(String(op.description ?? '').match(/\b[45]\d\d\b/g) ?? [])];
      t.ok(named.length > 0, `${where}: the description names what it refuses`);
      t.same(named.filter((s) => !statuses.includes(s)), [], `${where}: the statuses its description names are declared`);
      if (path.startsWith('/v1/')) {
        t.notOk(op.security && op.security.length === 0, `${where} requires an API key`);
        t.ok(op.responses['401'] && op.responses['403'], `${where} declares 401 and 403`);
      }
    }
  }
  t.notMatch(JSON.stringify(doc), /"\w+Input"/, 'no XInput twins leak into the document');
  for (const [type, item] of Object.entries(doc.webhooks as Record<string, { post: { operationId: string } }>)) {
    const id = item.post.operationId;
    t.notOk(ids.has(id), `webhook ${type}: operationId ${id} is unique`);
    ids.add(id);
    t.notMatch(id, /Webhook$/, `webhook ${type}: the operationId does not end in Webhook (generators add that)`);
  }
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  t.equal(doc.info.version, pkg.version, 'info.version is the package version');
  t.ok(doc.info.contact?.name, 'info.contact names who maintains the API');
});

t.test('non-JSON answers are declared with the media type they are sent with', async (t) => {
  const api = await buildTestApp(t);
  const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
  const doc = JSON.parse(readFileSync(committedPath, 'utf8'));
  const person = await api.post('/v1/people', { name: 'Cal', email: 'cal@example.test' });
  const meeting = await api.post('/v1/meetings', { title: 'Plan', startsAt: '2031-01-06T09:00:00Z', endsAt: '2031-01-06T10:00:00Z', timeZone: 'UTC', organizerId: person.body.id });
  const owner = await api.post('/v1/people', { name: 'Owen', email: 'owen@example.test' });
  const initiative = await api.post('/v1/initiatives', { title: 'Launch', objective: 'Ship it', sponsorId: person.body.id, ownerId: owner.body.id });
  const cases: [path: string, url: string, accept?: string][] = [
    ['/metrics', '/metrics'],
    ['/v1/meetings/{meetingId}/calendar.ics', `/v1/meetings/${meeting.body.id}/calendar.ics`],
    ['/v1/people/{personId}/calendar.ics', `/v1/people/${person.body.id}/calendar.ics`],
    ['/v1/initiatives/{initiativeId}/report', `/v1/initiatives/${initiative.body.id}/report`, 'text/markdown'],
    ['/v1/events/stream', '/v1/events/stream', 'text/event-stream'],
  ];
  for (const [path, url, accept] of cases) {
    const declared = Object.keys(doc.paths[path].get.responses['200'].content);
    const abort = new AbortController();
    const res = await fetch(`${address}${url}`, { headers: { authorization: `Bearer ${api.key}`, ...(accept ? { accept } : {}) }, signal: abort.signal });
    const sent = String(res.headers.get('content-type')).split(';')[0]!.trim();
    abort.abort(); // the event stream never ends
    t.equal(res.status, 200, `GET ${path}`);
    t.ok(declared.includes(sent), `GET ${path} sends ${sent}, declared as one of ${declared.join(', ')}`);
    t.notOk(sent.includes('json') || declared.every((d) => d.includes('json')), `GET ${path} is not declared as JSON, so generated clients do not parse it as JSON`);
  }
});

t.test('the document lints clean with Redocly (recommended) and Spectral (spectral:oas)', async (t) => {
  const redocly = await run('npx', ['redocly', 'lint', 'openapi/openapi.json', '--extends', 'recommended', '--format', 'json'], { maxBuffer: 50e6 }).catch((e) => e);
  const report = JSON.parse(redocly.stdout);
  t.equal(report.totals.errors, 0, `redocly errors: ${JSON.stringify(report.problems?.filter((p: any) => p.severity === 'error').slice(0, 3))}`);
  mkdirSync(generatedDir, { recursive: true });
  const ruleset = new URL('spectral.yaml', generatedDir);
  writeFileSync(ruleset, 'extends: ["spectral:oas"]\n');
  const spectral = await run('npx', ['spectral', 'lint', 'openapi/openapi.json', '--ruleset', ruleset.pathname, '--format', 'json', '--quiet'], { maxBuffer: 50e6 }).catch((e) => e);
  t.match(spectral.stdout, /^\s*\[/, `spectral ran and printed its report (${spectral.stderr ?? ''})`);
  const results = JSON.parse(spectral.stdout) as { severity: number; code: string; message: string }[];
  t.same(results.filter((r) => r.severity === 0), [], 'spectral reports no errors');
  t.same(results.filter((r) => r.severity === 1).map((r) => `${r.code}: ${r.message}`), [], 'spectral reports no warnings');
});

t.test('a client generated with openapi-typescript + openapi-fetch drives the API over HTTP', async (t) => {
  const api = await buildTestApp(t);
  const address = await api.app.listen({ port: 0, host: '127.0.0.1' });
  mkdirSync(generatedDir, { recursive: true });
  const ast = await openapiTS(new URL('file://' + committedPath.pathname));
  writeFileSync(new URL('api.d.ts', generatedDir), astToString(ast));
  writeFileSync(
    new URL('client-flow.ts', generatedDir),
    `import createClient from 'openapi-fetch';
import type { paths } from './api.js';

export async function clientFlow(baseUrl: string, key: string) {
  const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${key}\` } });
  const created = await client.POST('/v1/departments', { body: { name: 'Legal', code: 'LEGAL', concerns: 'Contract risk' } });
  if (!created.data) throw new Error('create failed: ' + JSON.stringify(created.error));
  const listed = await client.GET('/v1/departments', { params: { query: { limit: 10 } } });
  const got = await client.GET('/v1/departments/{departmentId}', { params: { path: { departmentId: created.data.id } } });
  const missing = await client.GET('/v1/departments/{departmentId}', { params: { path: { departmentId: '6f1c2b1e-4a7e-4c1e-9d55-3a3c8c8a9b10' } } });
  return { created: created.data, listed: listed.data?.data.map((d) => d.code) ?? [], got: got.data?.name, missingStatus: missing.response.status, missingType: missing.error?.type };
}
`,
  );
  const tsc = await run('npx', ['tsc', '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', new URL('client-flow.ts', generatedDir).pathname]).catch((e) => e);
  t.equal(tsc.stdout + (tsc.stderr ?? ''), '', 'the generated client type-checks');
  const { clientFlow } = await import(new URL('client-flow.ts', generatedDir).href);
  const result = await clientFlow(address, api.key);
  t.match(result, { created: { name: 'Legal', code: 'LEGAL', version: 1 }, listed: ['LEGAL'], got: 'Legal', missingStatus: 404, missingType: '/problems/not-found' });
});
