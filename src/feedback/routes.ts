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
    config: { access: 'self' },
    schema: {
      operationId: 'giveMeetingFeedback', tags, summary: "Record a participant's rating of a meeting (once per participant)",
      description:
        'Records a participant\'s rating (1 to 5) and comment once the meeting is in progress or completed. Refuses a person who is not a participant (400), a second rating by the same participant (409) and a meeting that has not started or was cancelled (409).',
      params, body: NewFeedback, response: { 201: Feedback, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => giveFeedback(rec, req.params.meetingId, req.body));
  });

  app.get('/v1/meetings/:meetingId/feedback', {
    config: { access: 'member' },
    schema: {
      operationId: 'listMeetingFeedback', tags, summary: 'List the feedback on a meeting',
      description:
        'The ratings and comments given on the meeting, oldest first. An unknown meeting is 404.',
      params, querystring: FeedbackListQuery, response: { 200: listOf(Feedback), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listFeedback(app.db, req.auth.organizationId, req.params.meetingId, req.query);
    return page(req, reply, rows, req.query.limit, createdKey, toApiFeedback);
  });
};
