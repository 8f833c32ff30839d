import { UUID_PATTERN as UUID } from '../platform/schemas.js';
import { sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../platform/database.js';
import { HttpProblem, NotFound, UnknownReference } from '../platform/errors.js';
import type { AuthContext } from '../platform/auth.js';
import { ACCESS_RULES, isAccessRule, meetingRulePasses, type AccessRule } from './rules.js';
import { meetingVisible, viewerOf, type Viewer } from './viewer.js';
import { routeConfigOf } from '../platform/route-config.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (src/access/rules.ts); every route of the API declares one. */
    access?: AccessRule;
    /**
     * The handler's own query reads the path's meeting only where the request's viewer sees it
     * (viewer.ts `visibleToKind`) and answers 404 otherwise, so the layer does not look the
     * meeting up first: one round trip instead of two. Only under `member`, whose judgement reads
     * nothing of the meeting; the access sweep holds such a route to its 404 like every other.
     */
    visibilityInQuery?: boolean;
  }
}

type Params = Partial<Record<'meetingId' | 'itemId' | 'materialId' | 'decisionId' | 'issueId' | 'personId', string>>;

/** A refusal naming the rule the request's person did not meet. */
export function refusedBy(rule: AccessRule, auth: AuthContext): HttpProblem {
  const as = auth.onBehalfOf ? 'on behalf of whom this key acts' : 'to whom this key is bound';
  return new HttpProblem(403, `Rule \`${rule}\` allows this to ${ACCESS_RULES[rule]}; this request acts as person ${auth.personId}, ${as}.`);
}

/**
 * The meeting the path's resource belongs to, with the name its route's 404 uses: the path's
 * meeting, or the one its material, decision or issue belongs to (null for an issue raised in no
 * meeting); null for a path that names none.
 */
function meetingOf(organizationId: string, params: Params): { what: string; id: SQL } | null {
  if (params.meetingId) return { what: 'Meeting', id: sql`${params.meetingId}::uuid` };
  if (params.materialId) return { what: 'Material', id: sql`(select meeting_id from materials where organization_id = ${organizationId} and id = ${params.materialId})` };
  if (params.decisionId) return { what: 'Decision', id: sql`(select meeting_id from decisions where organization_id = ${organizationId} and id = ${params.decisionId})` };
  if (params.issueId) return { what: 'Issue', id: sql`(select meeting_id from issues where organization_id = ${organizationId} and id = ${params.issueId})` };
  return null;
}

const MEETING_RULES = new Set<AccessRule>(['participant', 'minutes-editor', 'decision-recorder']);

interface Standing {
  path_hidden?: boolean;
  body_hidden?: boolean;
  /** The owner rules: whether the path's issue or agenda item exists, and its owner. */
  target_found?: boolean;
  owner_id?: string | null;
  /** The meeting rules: whether the path's meeting exists, and what the person is to it. */
  meeting_found?: boolean;
  organizer?: boolean | null;
  role?: string | null;
}

/** Whether the meeting `m` (an id, or a subquery naming one) exists and `viewer` may not see it. */
const hiddenFrom = (viewer: Viewer, organizationId: string, m: SQL) =>
  sql`exists (select 1 from meetings m where m.organization_id = ${organizationId} and m.id = ${m} and not ${meetingVisible(viewer, sql.raw('m'))})`;

/**
 * Everything the layer must know of the database about one request, as the columns of one
 * statement (null when it needs nothing, as for a key that sees every meeting under `member`):
 * whether the path's resource, or the body's `meetingId`, belongs to a meeting the viewer may not
 * see; and, for a person under an owner or meeting rule, its standing.
 */
function standingQuery(req: FastifyRequest, viewer: Viewer, rule: AccessRule | null, auth: AuthContext): SQL | null {
  // The common case first, without building anything (hooks run on every request).
  if (viewer.kind === 'all' && rule === null) return null;
  const params = req.params as Params;
  const org = auth.organizationId;
  const columns: SQL[] = [];
  if (viewer.kind !== 'all') {
    const path = routeConfigOf(req).visibilityInQuery ? null : meetingOf(org, params);
    if (path) columns.push(sql`${hiddenFrom(viewer, org, path.id)} as path_hidden`);
    const named = (req.body as { meetingId?: unknown } | null | undefined)?.meetingId;
    if (typeof named === 'string' && UUID.test(named)) columns.push(sql`${hiddenFrom(viewer, org, sql`${named}::uuid`)} as body_hidden`);
  }
  const person = auth.personId;
  if (person !== null && (rule === 'issue-owner' || rule === 'agenda-item-owner')) {
    const target = rule === 'issue-owner'
      ? sql`from issues t where t.organization_id = ${org} and t.id = ${params.issueId!}`
      : sql`from agenda_items t where t.organization_id = ${org} and t.id = ${params.itemId!} and t.meeting_id = ${params.meetingId!}`;
    columns.push(sql`exists (select 1 ${target}) as target_found, (select t.owner_id ${target}) as owner_id`);
  }
  if (person !== null && rule !== null && MEETING_RULES.has(rule)) {
    const named = meetingOf(org, params);
    if (!named) throw new Error(`rule ${rule} needs a meeting, material or decision in the path of ${req.routeOptions.url}`);
    const m = sql`from meetings m where m.organization_id = ${org} and m.id = ${named.id}`;
    columns.push(sql`exists (select 1 ${m}) as meeting_found,
      (select m.organizer_id is not distinct from ${person}::uuid ${m}) as organizer,
      (select p.role from meeting_participants p where p.organization_id = ${org} and p.meeting_id = ${named.id} and p.person_id = ${person}::uuid) as role`);
  }
  return columns.length === 0 ? null : sql`select ${sql.join(columns, sql`, `)}`;
}

/**
 * The layer's answer for one request: 404 when the path's resource belongs to a meeting the
 * request may not see (SPEC §8: what it may not see does not exist for it), as its route answers
 * for an id that names nothing; 400 for a body `meetingId` naming such a meeting, as for one
 * naming nothing (platform/references.ts); then, for a person, a 403 naming the route's rule when
 * it does not meet it. A target that does not exist passes, and its route answers 404 as it would
 * for anyone.
 */
function verdict(req: FastifyRequest, rule: AccessRule | null, auth: AuthContext, standing: Standing): HttpProblem | undefined {
  if (standing.path_hidden) return new NotFound(meetingOf(auth.organizationId, req.params as Params)!.what);
  if (standing.body_hidden) return new UnknownReference('body.meetingId', 'meeting');
  if (rule === null || rule === 'member') return undefined;
  if (rule === 'integration') return refusedBy(rule, auth);
  if (rule === 'self') {
    const named = (req.params as Params).personId ?? (req.body as { personId?: unknown } | undefined)?.personId;
    return typeof named === 'string' && named.toLowerCase() !== auth.personId ? refusedBy(rule, auth) : undefined;
  }
  if (rule === 'issue-owner' || rule === 'agenda-item-owner') {
    return standing.target_found && standing.owner_id !== auth.personId ? refusedBy(rule, auth) : undefined;
  }
  const passes = meetingRulePasses(rule as 'participant', { organizer: standing.organizer === true, role: standing.role ?? null });
  return standing.meeting_found && !passes ? refusedBy(rule, auth) : undefined;
}

/**
 * The authorization layer. Every route of the API declares its rule (`config.access`); one that
 * does not stops the app from being built, so a route cannot be added without deciding who may
 * call it. A path naming something in a meeting the request may not see answers 404, unless the
 * route's own query does (`visibilityInQuery`). Then a request that acts as a person is judged by
 * its route's rule (after validation, since most rules read the path; `integration` before the
 * body is read); an integration key acting as itself passes (its scopes were checked when it was
 * authenticated). Whatever the layer needs of the database is one statement, and none at all for
 * a key that sees every meeting under a rule that reads nothing.
 */
export function registerAuthorization(app: FastifyInstance, db: Db) {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/') || route.config?.public) return;
    if (!isAccessRule(route.config?.access)) {
      const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
      throw new Error(`${methods} ${route.url} declares no access rule: set config.access to one of ${Object.keys(ACCESS_RULES).join(', ')}`);
    }
    if (route.config.visibilityInQuery && route.config.access !== 'member') {
      throw new Error(`${route.url}: visibilityInQuery is for routes under \`member\` only, not \`${route.config.access}\``);
    }
  });
  // A route closed to persons refuses before the body is read: what it was sent is moot.
  app.addHook('preParsing', (req, _reply, payload, done) => {
    const auth = req.auth;
    if (auth && auth.personId !== null && routeConfigOf(req).access === 'integration') return done(refusedBy('integration', auth));
    done(null, payload);
  });
  app.addHook('preHandler', (req, _reply, done) => {
    const auth = req.auth;
    if (!auth) return done();
    // An integration key acting as itself passes every rule (its scopes were checked when it was authenticated).
    const rule = auth.personId === null ? null : routeConfigOf(req).access!;
    const query = standingQuery(req, viewerOf(auth), rule, auth);
    if (!query) return done(verdict(req, rule, auth, {}));
    (db.execute(query) as unknown as Promise<Standing[]>).then(([standing]) => done(verdict(req, rule, auth, standing!)), done);
  });
}
