import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

import { mutate } from '../platform/mutation.js';
import { createdKey, listOf, page } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { Feedback, FeedbackListQuery, NewFeedback } from './schemas.js';
import { giveFeedback, listFeedback, toApiFeedback } from './service.js';

const params = z.object({ meetingId: Id });

export const feedbackRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Feedback'];
  app.post('/v1/meetings/:meetingId/feedback', {
    schema: {
      operationId: 'giveMeetingFeedback', tags, summary: "Record a participant's rating of a meeting (once per participant)",
      params, body: NewFeedback, response: { 201: Feedback, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => giveFeedback(rec, req.params.meetingId, req.body));
  });

  app.get('/v1/meetings/:meetingId/feedback', {
    schema: {
      operationId: 'listMeetingFeedback', tags, summary: 'List the feedback on a meeting',
      params, querystring: FeedbackListQuery, response: { 200: listOf(Feedback), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listFeedback(app.db, req.auth.organizationId, req.params.meetingId, req.query);
    return page(req, reply, rows, req.query.limit, createdKey, toApiFeedback);
  });
};
