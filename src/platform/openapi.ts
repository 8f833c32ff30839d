import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { createJsonSchemaTransform, jsonSchemaTransformObject } from 'fastify-type-provider-zod';
import { bodyMayBeOmitted } from './optional-body.js';

/** The document's `info.version` is the package's version, so an SDK names the release it was built from. */
export const API_VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

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
  Calendar: 'iCalendar (RFC 5545) exports of meetings and of a person\'s meetings, and iTIP (RFC 5546) replies and counter-proposals from calendar clients.',
  Goals: 'Measurable goals of an initiative and their dated measurements.',
  'Initiative members': 'The team of an initiative: sponsor, owner, liaisons and members.',
  Participants: 'The people taking part in a meeting, their RSVP answers and attendance.',
  Search: 'Full-text search across meetings, decisions, issues and materials.',
  Reports: 'Leader and effectiveness reports.',
  Events: 'The event log, live stream and event catalogue.',
  Webhooks: 'Webhook subscriptions and deliveries.',
  Audit: 'Who changed what, when.',
  Organization: 'The organisation\'s settings: name, default time zone and working hours.',
  Availability: 'Working hours, external busy time, free/busy and finding a time across time zones.',
};

// Set per operation by the route transform below and turned into `requestBody.required: false`:
// @fastify/swagger declares every body required, but a body whose fields are all optional may be
// left out (see optional-body.ts), and SDKs should let callers leave it out.
const OPTIONAL_BODY = 'x-liaison-optional-body';

const zodTransform = createJsonSchemaTransform({ skipList: ['/docs', '/docs/*', '/docs/static/*', '/docs/json', '/docs/yaml', '/openapi.json'] });
const routeTransform: typeof zodTransform = (input) => {
  const out = zodTransform(input);
  if (bodyMayBeOmitted(input.schema?.body)) (out.schema as Record<string, unknown>)[OPTIONAL_BODY] = true;
  // Who may call it (config.access, src/access/rules.ts), as an extension SDKs and the docs can read.
  const access = (input.route as { config?: { access?: string } } | undefined)?.config?.access;
  if (access) (out.schema as Record<string, unknown>)['x-liaison-access'] = access;
  return out;
};

type Operation = { requestBody?: { required?: boolean }; [OPTIONAL_BODY]?: boolean };

/** Turns the route transform's marker into `requestBody.required: false`, and drops the marker. */
function markOptionalBodies(doc: Record<string, unknown>) {
  for (const item of Object.values((doc.paths ?? {}) as Record<string, Record<string, Operation>>)) {
    for (const op of Object.values(item)) {
      if (!op[OPTIONAL_BODY]) continue;
      delete op[OPTIONAL_BODY];
      if (op.requestBody) op.requestBody.required = false;
    }
  }
}

/** Lists every tag the operations use, in a stable order, with its description. */
export function declareTags(doc: Record<string, unknown>) {
  const used = new Set<string>();
  for (const item of Object.values((doc.paths ?? {}) as Record<string, Record<string, { tags?: string[] }>>)) {
    for (const op of Object.values(item)) for (const tag of op.tags ?? []) used.add(tag);
  }
  doc.tags = [...used].sort().map((name) => ({ name, description: tagDescriptions[name] ?? name }));
}

/**
 * What the documentation page may load: its own scripts, styles and the API, nothing inline or
 * from elsewhere. Unlike the UI's default it has no `upgrade-insecure-requests`, which would send
 * every asset of a page opened as http://host:3000/docs (any host but localhost) to https and
 * leave it blank.
 */
const docsContentSecurityPolicy = {
  'default-src': "'self'",
  'base-uri': "'self'",
  'connect-src': "'self'",
  'font-src': ["'self'", 'data:'],
  'form-action': "'self'",
  'frame-ancestors': "'self'",
  'img-src': ["'self'", 'data:'],
  'object-src': "'none'",
  'script-src': "'self'",
  'script-src-attr': "'none'",
  'style-src': "'self'",
};

export async function registerOpenApi(app: FastifyInstance, extensions: DocumentExtension[] = []) {
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Liaison API',
        version: API_VERSION,
        description:
          'Meeting management for cross-department work: goals, people, meetings with agendas and pre-reads, decisions and open issues, and signed webhooks for integrations.',
        contact: { name: 'Liaison maintainers' },
        license: { name: 'Proprietary', identifier: 'LicenseRef-Proprietary' },
      },
      servers: [{ url: '/', description: 'This server' }],
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', description: 'API key: `Authorization: Bearer lsn_…`' } },
      },
      security: [{ bearerAuth: [] }],
    },
    transform: routeTransform,
    transformObject: (input) => {
      const doc = jsonSchemaTransformObject(input) as Record<string, unknown>;
      markOptionalBodies(doc);
      for (const extend of extensions) extend(doc);
      mergeInputTwins(doc);
      declareTags(doc);
      return doc as never;
    },
  });
  // The documentation is public: a browser opens it with no key (trying a request from it takes
  // one, through Authorize). Every route registered in this context, the UI's static files and
  // `/docs/json` included, is marked public at registration, so that auth and the rate limiter,
  // which read `config.public`, need no list of documentation URLs.
  await app.register(async (docs) => {
    docs.addHook('onRoute', (route) => {
      route.config = { ...route.config, public: true };
    });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      // BaseLayout: the standalone top bar only adds a logo whose inline <style> the policy refuses.
      uiConfig: { deepLinking: true, layout: 'BaseLayout', validatorUrl: null },
      staticCSP: docsContentSecurityPolicy,
    });
    docs.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  });
}
