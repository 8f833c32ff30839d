import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { listOf, page } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { getDraft, getRevision, listRevisions, saveDraft, toApiRevision } from './draft.js';
import { publishMinutes } from './publish.js';
import { MinutesDraft, MinutesDraftContent, MinutesRevision, RevisionListQuery } from './schemas.js';

const params = z.object({ meetingId: Id });

export const minutesRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Minutes'];
  app.get('/v1/meetings/:meetingId/minutes', {
    schema: { operationId: 'getMinutesDraft', tags, summary: 'Get the draft minutes of a meeting', params, response: { 200: MinutesDraft, ...errorResponses } },
  }, async (req, reply) => {
    const draft = await getDraft(app.db, req.auth.organizationId, req.params.meetingId);
    setEtag(reply, draft);
    return draft;
  });

  app.put('/v1/meetings/:meetingId/minutes', {
    schema: {
      operationId: 'saveMinutesDraft', tags, summary: 'Replace the draft minutes (If-Match "v0" when creating)',
      params, body: MinutesDraftContent, response: { 200: MinutesDraft, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => saveDraft(rec, req.params.meetingId, req.body, (v) => checkIfMatch(req, v)));
  });

  app.post('/v1/meetings/:meetingId/minutes/publish', {
    schema: {
      operationId: 'publishMinutes', tags, summary: 'Publish the draft as the next immutable revision',
      params, body: z.strictObject({}).optional(), response: { 201: MinutesRevision, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => publishMinutes(rec, req.params.meetingId, (v) => checkIfMatch(req, v)));
  });

  app.get('/v1/meetings/:meetingId/minutes/revisions', {
    schema: {
      operationId: 'listMinutesRevisions', tags, summary: 'List the published revisions, oldest first',
      params, querystring: RevisionListQuery, response: { 200: listOf(MinutesRevision), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listRevisions(app.db, req.auth.organizationId, req.params.meetingId, req.query);
    return page(req, reply, rows, req.query.limit, (r) => [r.revision], toApiRevision);
  });

  app.get('/v1/meetings/:meetingId/minutes/revisions/:revision', {
    schema: {
      operationId: 'getMinutesRevision', tags, summary: 'Get a published revision',
      params: params.extend({ revision: z.coerce.number().int().min(1).max(1_000_000) }), response: { 200: MinutesRevision, ...errorResponses },
    },
  }, async (req, reply) => {
    const revision = await getRevision(app.db, req.auth.organizationId, req.params.meetingId, req.params.revision);
    setEtag(reply, revision);
    return revision;
  });
};
