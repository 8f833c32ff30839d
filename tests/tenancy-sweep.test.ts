import t from 'tap';
import { buildTestApp } from './helpers.js';
import { fill, fixtures, generator, idFields, KIND, NUMERIC_PARAMS, operations, recorder, resolver, rowCounts, snapshot } from './sweep-helpers.js';

// Sweeps every operation of the live OpenAPI document with another organisation's ids, in the path
// (404, and the other organisation's rows unchanged) and in the body (400 naming the field, and
// nothing written), so that a route added later cannot forget the tenancy rule. A path parameter
// or body id field with no fixture here fails the sweep instead of being skipped.

/* eslint-disable @typescript-eslint/no-explicit-any */
t.test('another organisation\'s ids in the path answer 404 and leave its rows unchanged, on every operation', async (t) => {
  const api = await buildTestApp(t);
  const other = await api.newOrganization();
  const [mine, theirs] = [await fixtures(t, api, 'A'), await fixtures(t, other, 'B')];
  const { ops, doc } = operations(api);
  const make = generator(resolver(doc), mine);
  const seen: { op: string; text: string }[] = [];
  const send = recorder(seen);

  const names = new Set(ops.flatMap((o) => o.params).filter((p) => !NUMERIC_PARAMS.has(p)));
  for (const name of names) t.ok(KIND[name], `path parameter {${name}} has a fixture in the sweep`);
  t.ok(ops.filter((o) => o.params.length).length >= 40, 'the sweep sees the routes with ids');

  const before = await snapshot(other, theirs);
  t.equal(Object.values(before).filter((v) => (v as { status: number }).status !== 200).length, 0, 'every fixture of B reads back 200 by B');
  let checked = 0;
  for (const op of ops) {
    const idParams = op.params.filter((p) => !NUMERIC_PARAMS.has(p) && KIND[p]);
    if (!idParams.length) continue;
    const body = op.jsonBody ? make(op.jsonBody, '') : op.method === 'POST' ? {} : undefined;
    const foreign = Object.fromEntries(idParams.map((p) => [p, theirs[KIND[p]!] as string]));
    const own = Object.fromEntries(idParams.map((p) => [p, mine[KIND[p]!] as string]));
    // Every id foreign, then (for nested routes) each id foreign in turn under A's own parents.
    const variants = [foreign, ...(idParams.length > 1 ? idParams.map((p) => ({ ...own, [p]: foreign[p]! })) : [])];
    for (const variant of variants) {
      const url = fill(op.path, variant);
      const label = `${op.method} ${op.path} with B's ${idParams.filter((p) => variant[p] === foreign[p]).join(', ')}`;
      const res = await send(api, op.method, url, body, label);
      t.equal(res.status, 404, `${label}: 404 (got ${res.status} ${res.status !== 404 ? res.text.slice(0, 200) : ''})`);
      if (res.status !== 404) continue;
      t.equal(res.headers['content-type'], 'application/problem+json', `${label}: problem+json`);
      checked++;
    }
    if (op.method !== 'GET') t.same(await snapshot(other, theirs), before, `${op.method} ${op.path}: B's rows unchanged`);
  }
  t.ok(checked >= 50, `${checked} foreign-path requests answered 404`);
  t.same(await snapshot(other, theirs), before, "B's rows unchanged after the whole sweep");

  // A's own GETs, lists included, for the no-secret check below.
  for (const op of ops.filter((o) => o.method === 'GET' && !o.path.includes('/stream'))) {
    const idParams = op.params.filter((p) => !NUMERIC_PARAMS.has(p));
    const url = fill(op.path, Object.fromEntries(idParams.map((p) => [p, mine[KIND[p]!] as string])));
    await send(api, 'GET', url, undefined, `GET ${op.path} (own)`);
  }
  // The create and rotate answers are the only ones that show a secret: the detector below finds them.
  const rotated = await api.post(`/v1/webhooks/${mine.webhookId}/rotate-secret`);
  t.equal(rotated.status, 200, 'the secret rotates');
  t.match(rotated.text, /whsec_/, 'the rotate answer shows the new secret');
  t.ok(mine.secrets.some((s) => s.startsWith('whsec_')), 'the create answer showed the webhook secret');
  for (const url of ['/v1/webhooks', `/v1/webhooks/${mine.webhookId}`, '/v1/api-keys']) await send(api, 'GET', url, undefined, `GET ${url} after rotation`);
  const hashes = (await api.database.sql<{ key_hash: string }[]>`select key_hash from api_keys`).map((r) => r.key_hash);
  const webhookSecrets = (await api.database.sql<{ secret: string }[]>`select secret from webhooks`).map((r) => r.secret);
  t.ok(hashes.length >= 4 && webhookSecrets.length >= 2, 'there are hashes and secrets to look for');
  const forbidden = [...hashes, ...webhookSecrets, ...mine.secrets, ...theirs.secrets, 'whsec_'].filter((s) => s && s.length >= 6);
  const leaks = seen.flatMap(({ op, text }) => forbidden.filter((s) => text.includes(s)).map((s) => `${op} contains ${s.slice(0, 10)}…`));
  t.same(leaks, [], `no answer among ${seen.length} contains a key hash, key secret or webhook secret`);
});

t.test("B's ids inside A's request bodies answer 400 naming the field, and nothing is written", async (t) => {
  const api = await buildTestApp(t);
  const other = await api.newOrganization();
  const [mine, theirs] = [await fixtures(t, api, 'A'), await fixtures(t, other, 'B')];
  const { ops, doc } = operations(api);
  const resolve = resolver(doc);
  const make = generator(resolve, mine);
  const seen: { op: string; text: string }[] = [];
  const send = recorder(seen);
  let swept = 0;
  for (const op of ops.filter((o) => o.jsonBody)) {
    const fields = idFields(resolve, op.jsonBody!);
    for (const field of fields) {
      const kind = KIND[field.name];
      t.ok(kind, `${op.method} ${op.path}: body field ${field.path.join('.')} has a fixture in the sweep`);
      if (!kind) continue;
      const body = make(op.jsonBody!, '') as Record<string, any>;
      // Walk to the field, creating the optional objects and one array element on the way.
      let schema = resolve(op.jsonBody!)!;
      let target: any = body;
      for (let i = 0; i < field.path.length - 1; i++) {
        const step = field.path[i]!;
        if (step === '[]') continue;
        const prop = resolve(schema.properties?.[step]) ?? {};
        if (field.path[i + 1] === '[]') {
          const items = resolve(prop.items)!;
          if (!Array.isArray(target[step]) || !target[step].length) target[step] = [make(items, step)];
          target = target[step][0];
          schema = items;
        } else {
          target[step] ??= make(prop, step);
          target = target[step];
          schema = prop;
        }
      }
      const foreignId = theirs[kind] as string;
      target[field.name] = field.isArray ? [foreignId] : foreignId;
      const ownIds = Object.fromEntries(op.params.filter((p) => !NUMERIC_PARAMS.has(p)).map((p) => [p, mine[KIND[p]!] as string]));
      if (op.path.endsWith('/feedback')) ownIds.meetingId = mine.startedMeetingId;
      const url = fill(op.path, ownIds);
      const label = `${op.method} ${op.path} with B's ${kind} in body.${field.path.join('.')}`;
      const counts = await rowCounts(api);
      const mineBefore = await snapshot(api, mine);
      const theirsBefore = await snapshot(other, theirs);
      const res = await send(api, op.method, url, body, label);
      t.equal(res.status, 400, `${label}: 400 (got ${res.status} ${res.status !== 400 ? res.text.slice(0, 300) : ''})`);
      const paths: string[] = (res.body?.errors ?? []).map((e: { path: string }) => String(e.path));
      const top = `body.${field.path[0]}`;
      t.ok(
        paths.some((p) => p.startsWith(top) && p.includes(field.name)),
        `${label}: errors[] names the field (${paths.join(', ') || 'no errors[]'})`,
      );
      t.same(await rowCounts(api), counts, `${label}: no row written`);
      t.same(await snapshot(api, mine), mineBefore, `${label}: A's rows unchanged`);
      t.same(await snapshot(other, theirs), theirsBefore, `${label}: B's rows unchanged`);
      swept++;
    }
  }
  t.ok(swept >= 25, `${swept} body id fields swept`);
  const forbidden = [...mine.secrets, ...theirs.secrets, 'whsec_'];
  t.same(seen.filter(({ text }) => forbidden.some((s) => text.includes(s))).map((s) => s.op), [], 'no refusal echoes a secret');
});
