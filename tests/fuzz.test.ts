import t from 'tap';
import fc from 'fast-check';
import { buildTestApp, type TestApp, BOOKKEEPING_TABLES } from './helpers.js';

// Property-based fuzzing of every operation with a JSON body or a query string, from the live
// OpenAPI document: valid, almost-valid and hostile inputs must never produce a 5xx, every refusal
// is problem+json, and a refused request changes no row.

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; items?: Schema; enum?: unknown[]; format?: string; anyOf?: Schema[]; minimum?: number; maximum?: number; $ref?: string };

const hostile = fc.oneof(
  fc.constant('x'.repeat(100_000)),
  fc.constant('nul\u0000byte'),
  fc.constant('\ud800 lone surrogate'),
  fc.constant({ __proto__: { polluted: true } }),
  fc.constant(JSON.parse('{"__proto__": {"admin": true}}')),
  fc.constant(Array.from({ length: 10_000 }, (_, i) => i)),
  fc.constant(1e308),
  fc.constant(-1),
  fc.constant(2 ** 53 + 1),
  fc.constant('+275760-09-13T00:00:00Z'),
  fc.constant('0000-00-00T25:61:00Z'),
  fc.constant(null),
  fc.constant(true),
  fc.constant(nest(200)),
  fc.string(),
  fc.integer(),
);

function nest(depth: number): unknown {
  let v: unknown = 'deep';
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

function resolve(schema: Schema, doc: { components?: { schemas?: Record<string, Schema> } }): Schema {
  if (schema.$ref) return resolve(doc.components!.schemas![schema.$ref.split('/').pop()!]!, doc);
  if (schema.anyOf) return resolve(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0]!, doc);
  return schema;
}

/** A plausible value for a schema, so that fuzzed fields sit inside otherwise well-formed bodies. */
function plausible(raw: Schema, doc: object, depth = 0): fc.Arbitrary<unknown> {
  const schema = resolve(raw, doc as never);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  const type = Array.isArray(schema.type) ? schema.type.find((x) => x !== 'null') : schema.type;
  switch (type) {
    case 'string':
      if (schema.format === 'uuid') return fc.uuid();
      if (schema.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true }).map((d) => d.toISOString());
      if (schema.format === 'date') return fc.constant('2027-03-01');
      if (schema.format === 'email') return fc.constant('fuzz@example.com');
      if (schema.format === 'uri') return fc.constant('https://example.com/x');
      return fc.string({ maxLength: 20 });
    case 'integer':
      return fc.integer({ min: schema.minimum ?? -10, max: Math.min(schema.maximum ?? 100, 100) });
    case 'number':
      return fc.double({ noNaN: true, min: -1000, max: 1000 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return depth > 3 ? fc.constant([]) : fc.array(plausible(schema.items ?? {}, doc, depth + 1), { maxLength: 3 });
    case 'object': {
      if (depth > 3 || !schema.properties) return fc.constant({});
      const entries = Object.entries(schema.properties).map(([k, s]) => [k, plausible(s, doc, depth + 1)] as const);
      return fc.record(Object.fromEntries(entries), { requiredKeys: [] });
    }
    default:
      return fc.anything({ maxDepth: 1 });
  }
}

/** A body: a plausible object with some fields replaced by hostile values (or a wholly hostile body). */
function bodies(schema: Schema, doc: object): fc.Arbitrary<unknown> {
  const resolved = resolve(schema, doc as never);
  const keys = Object.keys(resolved.properties ?? {});
  if (keys.length === 0) keys.push('x');
  return fc.oneof(
    plausible(resolved, doc),
    fc.tuple(plausible(resolved, doc), fc.subarray(keys, { minLength: 1, maxLength: Math.min(3, keys.length) }), fc.array(hostile, { minLength: 3, maxLength: 3 })).map(
      ([base, picked, values]) => ({ ...(base as object), ...Object.fromEntries(picked.map((k, i) => [k, values[i]])) }),
    ),
    hostile,
  );
}

async function rowCounts(api: TestApp, tables: string[]): Promise<string> {
  const expr = tables.map((tbl) => `(select count(*) from "${tbl}")`).join(' || \',\' || ');
  const [row] = await api.database.sql.unsafe(`select ${expr} as counts`);
  return row!.counts as string;
}

t.test('fuzzed bodies and query strings never cause a 5xx or a partial write', async (t) => {
  const api = await buildTestApp(t);
  const doc = api.app.swagger() as { paths: Record<string, Record<string, any>>; components: object };
  const tables = (await api.database.sql`select tablename from pg_tables where schemaname = 'public' and tablename <> all(${['idempotency_keys', ...BOOKKEEPING_TABLES]})`).map((r) => r.tablename as string);
  // Real parents for path ids, so that bodies reach the handlers and not only the 404 check.
  const person = (await api.post('/v1/people', { name: 'Fuzz', email: 'fuzz-owner@example.com' })).body;
  const meeting = (await api.post('/v1/meetings', { title: 'Fuzz', startsAt: '2027-03-01T09:00:00Z', endsAt: '2027-03-01T10:00:00Z', timeZone: 'UTC', participants: [{ personId: person.id, role: 'chair' }] })).body;
  const ids: Record<string, string> = { meetingId: meeting?.id, personId: person.id };
  let requests = 0;
  let counts = await rowCounts(api, tables);
  for (const [path, item] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/')) continue;
    for (const [method, op] of Object.entries(item)) {
      const url = path.replace(/\{(\w+)\}/g, (_m, name: string) => ids[name] ?? '5b0e7c4e-8a3c-4d6e-9f21-0c1d2e3f4a5b');
      const bodySchema = op.requestBody?.content?.['application/json']?.schema;
      const query = (op.parameters ?? []).filter((p: { in: string }) => p.in === 'query');
      if (!bodySchema && query.length === 0) continue;
      if (path.endsWith('/stream')) continue; // a live stream never ends; covered by its own tests
      await fc.assert(
        fc.asyncProperty(bodySchema ? bodies(bodySchema, doc) : fc.constant(undefined), fc.array(fc.tuple(fc.constantFrom(...(query.length ? query.map((p: { name: string }) => p.name) : ['x'])), fc.oneof(fc.string(), hostile.map(String))), { maxLength: 3 }), async (body, params) => {
          const qs = new URLSearchParams(params.map(([k, v]) => [k, String(v).slice(0, 5000)])).toString();
          const res = await api.request(method.toUpperCase(), qs ? `${url}?${qs}` : url, body === undefined ? (bodySchema ? null : undefined) : body);
          requests++;
          if (res.status >= 500) throw new Error(`${method.toUpperCase()} ${path} answered ${res.status}: ${res.text.slice(0, 300)} for ${JSON.stringify(body)?.slice(0, 300)}`);
          if (res.status >= 400) {
            if (res.headers['content-type'] !== 'application/problem+json') throw new Error(`${method} ${path} ${res.status} is not problem+json`);
            const after = await rowCounts(api, tables);
            if (after !== counts) throw new Error(`${method.toUpperCase()} ${path} refused with ${res.status} but changed rows`);
          } else if (method !== 'get') {
            counts = await rowCounts(api, tables);
          }
        }),
        { numRuns: Number(process.env.FUZZ_RUNS ?? 6), seed: Number(process.env.FUZZ_SEED ?? 20261126) },
      );
    }
  }
  t.ok(requests > 100, `${requests} fuzzed requests, none answered 5xx or wrote on refusal`);
});
