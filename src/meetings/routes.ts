import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { listOf, pageQuery, pageText } from '../platform/pagination.js';
import { sendJsonText } from '../platform/json-text.js';
import { errorResponses, Id, Timestamp } from '../platform/schemas.js';
import { createMeeting } from './create.js';
import { cancelMeeting, endMeeting, sendInvitations, startMeeting } from './lifecycle.js';
import { listMeetings, startKey } from './list.js';
import { meetingDetailText } from './queries.js';
import { deleteMeeting } from './delete.js';
import { updateMeeting } from './update.js';
import { CancelMeeting, Meeting, MeetingDetail, MeetingPatch, MeetingStatus, NewMeeting } from './schemas.js';
import { participantRoutes } from './participant-routes.js';
import { calendarRoutes } from './calendar-routes.js';

const params = z.object({ meetingId: Id });
const ifMatch = (req: Parameters<typeof checkIfMatch>[0]) => (v: number) => checkIfMatch(req, v);

export const meetingRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Meetings'];

  app.get('/v1/meetings', {
    schema: {
      operationId: 'listMeetings', tags, summary: 'List meetings in start order',
      querystring: z.object({
        ...pageQuery,
        from: Timestamp.optional().describe('Meetings starting at or after this time.'),
        to: Timestamp.optional().describe('Meetings starting before this time.'),
        status: MeetingStatus.optional(),
        initiativeId: Id.optional(),
        participantId: Id.optional().describe('Meetings this person takes part in.'),
        departmentId: Id.optional().describe('Meetings with a participant from this department.'),
        seriesId: Id.optional().describe('The occurrences of one series.'),
      }),
      response: { 200: listOf(Meeting), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listMeetings(app.db, req.auth.organizationId, req.query);
    return sendJsonText(reply, pageText(req, reply, rows, req.query.limit, startKey));
  });

  app.post('/v1/meetings', {
    schema: {
      operationId: 'createMeeting', tags, summary: 'Create a meeting (with participants and agenda; with `recurrence`, a series)',
      body: NewMeeting,
      response: { 201: MeetingDetail, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => createMeeting(rec, req.body));
  });

  app.get('/v1/meetings/:meetingId', {
    schema: {
      operationId: 'getMeeting', tags, summary: 'Get a meeting with its participants, agenda and materials',
      params, response: { 200: MeetingDetail, ...errorResponses },
    },
  }, async (req, reply) => {
    const meeting = await meetingDetailText(app.db, req.auth.organizationId, req.params.meetingId);
    setEtag(reply, meeting);
    return sendJsonText(reply, meeting.json);
  });

  app.patch('/v1/meetings/:meetingId', {
    schema: {
      operationId: 'updateMeeting', tags, summary: 'Update a meeting (or, with scope=series, every occurrence not yet started)',
      params,
      querystring: z.object({
        scope: z.enum(['occurrence', 'series']).default('occurrence').describe('`series`: apply to this and every later occurrence of the series not yet started.'),
      }),
      body: MeetingPatch,
      response: { 200: Meeting, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateMeeting(rec, req.params.meetingId, req.body, req.query.scope, ifMatch(req)));
  });

  app.delete('/v1/meetings/:meetingId', {
    schema: {
      operationId: 'deleteMeeting', tags, summary: 'Delete a draft meeting (one that was sent out is cancelled instead)',
      params, response: { 204: z.undefined().describe('Deleted'), ...errorResponses },
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => deleteMeeting(rec, req.params.meetingId, ifMatch(req)));
    return reply.send(undefined);
  });

  app.post('/v1/meetings/:meetingId/invitations', {
    schema: {
      operationId: 'sendMeetingInvitations', tags, summary: 'Send (or re-send) the invitations: draft → scheduled',
      params, body: z.strictObject({}).optional(), response: { 200: MeetingDetail, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => sendInvitations(rec, req.params.meetingId, ifMatch(req)));
  });

  app.post('/v1/meetings/:meetingId/cancel', {
    schema: { operationId: 'cancelMeeting', tags, summary: 'Cancel a meeting (one occurrence of a series)', params, body: CancelMeeting, response: { 200: Meeting, ...errorResponses } },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => cancelMeeting(rec, req.params.meetingId, req.body.reason, ifMatch(req)));
  });

  app.post('/v1/meetings/:meetingId/start', {
    schema: { operationId: 'startMeeting', tags, summary: 'Start a scheduled meeting', params, body: z.strictObject({}).optional(), response: { 200: Meeting, ...errorResponses } },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => startMeeting(rec, req.params.meetingId, ifMatch(req)));
  });

  app.post('/v1/meetings/:meetingId/end', {
    schema: { operationId: 'endMeeting', tags, summary: 'End a meeting in progress', params, body: z.strictObject({}).optional(), response: { 200: Meeting, ...errorResponses } },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => endMeeting(rec, req.params.meetingId, ifMatch(req)));
  });

  await app.register(participantRoutes);
  await app.register(calendarRoutes);
};
