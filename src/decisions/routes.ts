import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { createdKey, listOf, page } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { viewerOf } from '../access/viewer.js';
import { getDecision, listDecisions, withStances } from './queries.js';
import { Decision, DecisionListQuery, DecisionPatch, NewDecision } from './schemas.js';
import { recordDecision, updateDecision } from './service.js';

const decisionParams = z.object({ decisionId: Id });

export const decisionRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Decisions'];
  app.post('/v1/meetings/:meetingId/decisions', {
    config: { access: 'decision-recorder' },
    schema: {
      operationId: 'recordDecision', tags, summary: 'Record a decision of a meeting',
      description:
        'Records a decision of the meeting with its statement, rationale, agenda item, supporters and objections, and emits `decision.recorded`; with `supersedesId` the older decision becomes `superseded` (`decision.superseded`). Refuses a cancelled meeting (409), supporters and objectors who are not distinct participants of the meeting (400), an agenda item of another meeting (400), a `supersedesId` that names no decision (400) and one that is no longer active (409).',
      params: z.object({ meetingId: Id }), body: NewDecision, response: { 201: Decision, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => recordDecision(rec, req.params.meetingId, req.body));
  });

  app.get('/v1/decisions', {
    config: { access: 'member' },
    schema: {
      operationId: 'listDecisions', tags, summary: 'List decisions',
      description:
        'Lists decisions, oldest first, with their supporters and objections; `meetingId`, `initiativeId` and `status` narrow the list. Decisions of a meeting the caller may not see (visibility `participants`) are left out. A malformed filter or `cursor` is 400.',
      querystring: DecisionListQuery, response: { 200: listOf(Decision), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listDecisions(app.db, req.auth.organizationId, viewerOf(req.auth), req.query);
    const result = page(req, reply, rows, req.query.limit, createdKey, (r) => r);
    return { data: await withStances(app.db, req.auth.organizationId, result.data), nextCursor: result.nextCursor };
  });

  app.get('/v1/decisions/:decisionId', {
    config: { access: 'member' },
    schema: {
      operationId: 'getDecision', tags, summary: 'Get a decision',
      description:
        'Returns one decision with its supporters, objections and `ETag`. An unknown id, or another organisation\'s, is 404.',
      params: decisionParams, response: { 200: Decision, ...errorResponses },
    },
  }, async (req, reply) => {
    const decision = await getDecision(app.db, req.auth.organizationId, req.params.decisionId);
    setEtag(reply, decision);
    return decision;
  });

  app.patch('/v1/decisions/:decisionId', {
    config: { access: 'decision-recorder' },
    schema: {
      operationId: 'updateDecision', tags, summary: 'Edit, revoke or make a decision supersede another',
      description:
        'Edits an active decision, revokes it (`status: revoked` with a `reason`) or makes it supersede another active one; emits `decision.updated` or `decision.revoked`. Refuses a superseded or revoked decision and a second `supersedesId` (409), a `reason` without revoking and revoking without a `reason` (400), a decision superseding itself (400) and a stale `If-Match` (412).',
      params: decisionParams, body: DecisionPatch, response: { 200: Decision, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateDecision(rec, req.params.decisionId, req.body, (v) => checkIfMatch(req, v)));
  });
};
