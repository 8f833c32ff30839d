import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';

export const API_VERSION = '1.0.0';

/** Hooks that add to the finished document (the event catalogue adds the top-level `webhooks`). */
export type DocumentExtension = (doc: Record<string, unknown>) => void;

const refPattern = /"#\/components\/schemas\/([\w.-]+)"/g;
const refsIn = (v: unknown) => new Set([...JSON.stringify(v).matchAll(refPattern)].map((m) => m[1]!));
const withoutClosedness = (v: unknown) => JSON.stringify(v, (k, x) => (k === 'additionalProperties' ? undefined : x)).replace(/Input"/g, '"');

/**
 * The type provider emits an `XInput` twin of every registered shape for request positions. Point
 * request references at `X` wherever that loses nothing (X is not used elsewhere, or the two differ
 * only in closedness), then drop every component nothing reaches, so that generated SDKs get one
 * type per shape.
 */
export function mergeInputTwins(doc: Record<string, unknown>) {
  const schemas = (doc.components as { schemas?: Record<string, unknown> } | undefined)?.schemas;
  if (!schemas) return;
  const closure = (start: Iterable<string>) => {
    const seen = new Set<string>();
    const queue = [...start];
    while (queue.length) {
      const n = queue.pop()!;
      if (seen.has(n) || !schemas[n]) continue;
      seen.add(n);
      queue.push(...refsIn(schemas[n]));
    }
    return seen;
  };
  const reached = closure(refsIn({ paths: doc.paths, webhooks: doc.webhooks }));
  const renames = new Map<string, string>();
  for (const name of reached) {
    if (!name.endsWith('Input')) continue;
    const base = name.slice(0, -'Input'.length);
    if (!schemas[base] || !reached.has(base)) {
      schemas[base] = schemas[name];
      renames.set(name, base);
    } else if (withoutClosedness(schemas[base]) === withoutClosedness(schemas[name])) {
      renames.set(name, base);
    }
  }
  const rewritten = JSON.parse(
    JSON.stringify({ paths: doc.paths, webhooks: doc.webhooks, schemas }).replace(refPattern, (m, n: string) =>
      renames.has(n) ? `"#/components/schemas/${renames.get(n)}"` : m,
    ),
  ) as { paths: unknown; webhooks: unknown; schemas: Record<string, unknown> };
  // Keep only what the document reaches.
  const reachable = new Set<string>();
  const queue = [...refsIn({ paths: rewritten.paths, webhooks: rewritten.webhooks })];
  while (queue.length) {
    const n = queue.pop()!;
    if (reachable.has(n) || !rewritten.schemas[n]) continue;
    reachable.add(n);
    queue.push(...refsIn(rewritten.schemas[n]));
  }
  doc.paths = rewritten.paths;
  if (rewritten.webhooks !== undefined) doc.webhooks = rewritten.webhooks;
  (doc.components as { schemas: Record<string, unknown> }).schemas = Object.fromEntries(
    Object.entries(rewritten.schemas).filter(([n]) => reachable.has(n)),
  );
}

const tagDescriptions: Record<string, string> = {
  Operations: 'Health, readiness and metrics.',
  'API keys': 'Keys that authenticate clients, with scopes.',
  Departments: 'Departments, their functions and concerns.',
  People: 'People and key contacts.',
  Initiatives: 'Cross-department efforts a leader asked for: goals, members, report.',
  Meetings: 'Meetings, series, lifecycle, participants and calendars.',
  Agenda: 'Ordered agenda items with owners and time boxes.',
  Materials: 'Pre-read materials, their versions and read acknowledgements.',
  Minutes: 'Minutes drafts and published revisions.',
  Decisions: 'Decisions with rationale, supporters and objections.',
  Issues: 'Open questions, actions and risks with owners and due dates.',
  Feedback: 'Meeting feedback.',
  Search: 'Full-text search across meetings, decisions, issues and materials.',
  Reports: 'Leader and effectiveness reports.',
  Events: 'The event log, live stream and event catalogue.',
  Webhooks: 'Webhook subscriptions and deliveries.',
  Audit: 'Who changed what, when.',
};

/** Lists every tag the operations use, in a stable order, with its description. */
export function declareTags(doc: Record<string, unknown>) {
  const used = new Set<string>();
  for (const item of Object.values((doc.paths ?? {}) as Record<string, Record<string, { tags?: string[] }>>)) {
    for (const op of Object.values(item)) for (const tag of op.tags ?? []) used.add(tag);
  }
  doc.tags = [...used].sort().map((name) => ({ name, description: tagDescriptions[name] ?? name }));
}

export async function registerOpenApi(app: FastifyInstance, extensions: DocumentExtension[] = []) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Liaison API',
        version: API_VERSION,
        description:
          'Meeting management for cross-department work: goals, people, meetings with agendas and pre-reads, decisions and open issues, and signed webhooks for integrations.',
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key: `Authorization: Bearer lsn_…`' } },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: createJsonSchemaTransform({ skipList: ['/docs', '/docs/*', '/docs/static/*', '/docs/json', '/docs/yaml', '/openapi.json'] }),
    transformObject: (input) => {
      const doc = jsonSchemaTransformObject(input) as Record<string, unknown>;
      for (const extend of extensions) extend(doc);
      mergeInputTwins(doc);
      declareTags(doc);
      return doc as never;
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: true }, staticCSP: true });
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
}
