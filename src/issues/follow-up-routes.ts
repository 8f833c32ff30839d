import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';

import { mutate } from '../platform/mutation.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { MeetingDetail, NewMeeting } from '../meetings/schemas.js';
import { createFollowUp } from '../meetings/follow-up.js';

// The overrides a follow-up accepts: anything of a new meeting except a recurrence.
const FollowUpMeeting = NewMeeting.omit({ recurrence: true })
  .partial()
  .meta({
    id: 'FollowUpMeeting',
    description: 'Overrides for the follow-up. By default it has the same initiative, participants, place and length, a week after the meeting it follows.',
  });

/** POST /v1/meetings/{meetingId}/follow-up: the next meeting, with what this one left open carried onto its agenda. */
export const followUpRoutes: FastifyPluginAsyncZod = async (app) => {
  app.post('/v1/meetings/:meetingId/follow-up', {
    config: { access: 'integration' },
    schema: {
      operationId: 'createFollowUpMeeting', tags: ['Meetings'],
      summary: 'Create the follow-up meeting, carrying over deferred and pending agenda items and unresolved issues',
      description:
        'Creates the next meeting (by default the same initiative, participants, place and length, one week later, titled `Follow-up: …`) and carries the pending and deferred agenda items and the unresolved issues onto it, each linked to where it came from. Every field overrides a default, so the body may be left out. Refuses what creating a meeting refuses (400); an unknown meeting is 404.',
      params: z.object({ meetingId: Id }), body: FollowUpMeeting, response: { 201: MeetingDetail, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => createFollowUp(rec, req.params.meetingId, req.body));
  });
};
