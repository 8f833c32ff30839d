import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { createdKey, listOf, page } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { getDecision, listDecisions, withStances } from './queries.js';
import { Decision, DecisionListQuery, DecisionPatch, NewDecision } from './schemas.js';
import { recordDecision, updateDecision } from './service.js';

const decisionParams = z.object({ decisionId: Id });

export const decisionRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Decisions'];
  app.post('/v1/meetings/:meetingId/decisions', {
    schema: {
      operationId: 'recordDecision', tags, summary: 'Record a decision of a meeting',
      params: z.object({ meetingId: Id }), body: NewDecision, response: { 201: Decision, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => recordDecision(rec, req.params.meetingId, req.body));
  });

  app.get('/v1/decisions', {
    schema: {
      operationId: 'listDecisions', tags, summary: 'List decisions',
      querystring: DecisionListQuery, response: { 200: listOf(Decision), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listDecisions(app.db, req.auth.organizationId, req.query);
    const result = page(req, reply, rows, req.query.limit, createdKey, (r) => r);
    return { data: await withStances(app.db, req.auth.organizationId, result.data), nextCursor: result.nextCursor };
  });

  app.get('/v1/decisions/:decisionId', {
    schema: { operationId: 'getDecision', tags, summary: 'Get a decision', params: decisionParams, response: { 200: Decision, ...errorResponses } },
  }, async (req, reply) => {
    const decision = await getDecision(app.db, req.auth.organizationId, req.params.decisionId);
    setEtag(reply, decision);
    return decision;
  });

  app.patch('/v1/decisions/:decisionId', {
    schema: {
      operationId: 'updateDecision', tags, summary: 'Edit, revoke or make a decision supersede another',
      params: decisionParams, body: DecisionPatch, response: { 200: Decision, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateDecision(rec, req.params.decisionId, req.body, (v) => checkIfMatch(req, v)));
  });
};
