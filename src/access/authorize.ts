import { UUID_PATTERN as UUID } from '../platform/schemas.js';
import { sql, type SQL } from 'drizzle-orm';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../platform/database.js';
import { HttpProblem, NotFound, UnknownReference } from '../platform/errors.js';
import type { AuthContext } from '../platform/auth.js';
import { ACCESS_RULES, isAccessRule, meetingRulePasses, type AccessRule } from './rules.js';
import { meetingVisible, viewerOf, type Viewer } from './viewer.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (src/access/rules.ts); every route of the API declares one. */
    access?: AccessRule;
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

/**
 * 404 when the path's resource belongs to a meeting the request may not see (SPEC §8: what it
 * may not see does not exist for it), as its route answers for an id that names nothing; 400 for
 * a body whose `meetingId` names such a meeting, as for one naming nothing. One query.
 */
async function hiddenFrom(db: Db, viewer: Viewer, organizationId: string, params: Params, body: unknown): Promise<HttpProblem | undefined> {
  const meeting = meetingOf(organizationId, params);
  const named = (body as { meetingId?: unknown } | null | undefined)?.meetingId;
  const bodyMeeting = typeof named === 'string' && UUID.test(named) ? named : null;
  if (!meeting && !bodyMeeting) return undefined;
  const hidden = (m: SQL | null) =>
    m ? sql`exists (select 1 from meetings m where m.organization_id = ${organizationId} and m.id = ${m} and not ${meetingVisible(viewer, sql.raw('m'))})` : sql`false`;
  const [found] = (await db.execute(sql`select ${hidden(meeting?.id ?? null)} as path, ${hidden(bodyMeeting ? sql`${bodyMeeting}::uuid` : null)} as body`)) as unknown as { path: boolean; body: boolean }[];
  if (found!.path) return new NotFound(meeting!.what);
  // A body naming a meeting it may not see gets the answer for one that names nothing (platform/references.ts).
  return found!.body ? new UnknownReference('body.meetingId', 'meeting') : undefined;
}


/**
 * Judges a person's request by its route's rule: undefined when it passes, a 403 naming the rule
 * when it does not. A target that does not exist passes here, and its route answers 404 as it
 * would for anyone. One query at most (none for `member`, `integration` and `self`).
 */
async function judgeInDatabase(db: Db, req: FastifyRequest, rule: AccessRule, auth: AuthContext): Promise<HttpProblem | undefined> {
  const params = req.params as Params;
  const org = auth.organizationId;
  const person = auth.personId!;
  if (rule === 'issue-owner' || rule === 'agenda-item-owner') {
    const row = rule === 'issue-owner'
      ? sql`select owner_id from issues where organization_id = ${org} and id = ${params.issueId!}`
      : sql`select owner_id from agenda_items where organization_id = ${org} and id = ${params.itemId!} and meeting_id = ${params.meetingId!}`;
    const [found] = (await db.execute(row)) as unknown as { owner_id: string | null }[];
    return found && found.owner_id !== person ? refusedBy(rule, auth) : undefined;
  }
  const meeting = meetingOf(org, params)?.id;
  if (!meeting) throw new Error(`rule ${rule} needs a meeting, material or decision in the path of ${req.routeOptions.url}`);
  const [standing] = (await db.execute(sql`
    select m.organizer_id is not distinct from ${person}::uuid as organizer,
           (select role from meeting_participants p where p.organization_id = m.organization_id and p.meeting_id = m.id and p.person_id = ${person}) as role
    from meetings m where m.organization_id = ${org} and m.id = ${meeting}`)) as unknown as { organizer: boolean; role: string | null }[];
  return standing && !meetingRulePasses(rule as 'participant', standing) ? refusedBy(rule, auth) : undefined;
}

function judge(db: Db, req: FastifyRequest, rule: AccessRule, auth: AuthContext): HttpProblem | Promise<HttpProblem | undefined> | undefined {
  if (rule === 'member') return undefined;
  if (rule === 'integration') return refusedBy(rule, auth);
  if (rule === 'self') {
    const named = (req.params as Params).personId ?? (req.body as { personId?: unknown } | undefined)?.personId;
    return typeof named === 'string' && named.toLowerCase() !== auth.personId ? refusedBy(rule, auth) : undefined;
  }
  return judgeInDatabase(db, req, rule, auth);
}

/**
 * The authorization layer. Every route of the API declares its rule (`config.access`); one that
 * does not stops the app from being built, so a route cannot be added without deciding who may
 * call it. A path naming something in a meeting the request may not see answers 404 (an
 * integration key with scope `confidential` sees every meeting, and costs no query here). Then a
 * request that acts as a person is judged by its route's rule (after validation, since
 * most rules read the path; `integration` before the body is read); an integration key acting as itself passes
 * (its scopes were checked when it was authenticated).
 */
export function registerAuthorization(app: FastifyInstance, db: Db) {
  app.addHook('onRoute', (route) => {
    if (!route.url.startsWith('/v1/') || route.config?.public) return;
    if (!isAccessRule(route.config?.access)) {
      const methods = Array.isArray(route.method) ? route.method.join(',') : route.method;
      throw new Error(`${methods} ${route.url} declares no access rule: set config.access to one of ${Object.keys(ACCESS_RULES).join(', ')}`);
    }
  });
  // A route closed to persons refuses before the body is read: what it was sent is moot.
  app.addHook('preParsing', (req, _reply, payload, done) => {
    const auth = req.auth;
    if (auth && auth.personId !== null && req.routeOptions.config.access === 'integration') return done(refusedBy('integration', auth));
    done(null, payload);
  });
  app.addHook('preHandler', (req, _reply, done) => {
    const auth = req.auth;
    if (!auth) return done();
    const viewer = viewerOf(auth);
    const judged = (): HttpProblem | Promise<HttpProblem | undefined> | undefined =>
      auth.personId === null ? undefined : judge(db, req, req.routeOptions.config.access!, auth);
    if (viewer.kind === 'all') {
      const refused = judged();
      if (refused instanceof Promise) return void refused.then((problem) => done(problem), done);
      return done(refused);
    }
    hiddenFrom(db, viewer, auth.organizationId, req.params as Params, req.body)
      .then((hidden) => hidden ?? judged())
      .then((problem) => done(problem), done);
  });
}
