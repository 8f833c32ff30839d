import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { ActionBody } from '../platform/optional-body.js';
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
import { viewerOf } from '../access/viewer.js';

const params = z.object({ meetingId: Id });
const ifMatch = (req: Parameters<typeof checkIfMatch>[0]) => (v: number) => checkIfMatch(req, v);

export const meetingRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Meetings'];

  app.get('/v1/meetings', {
    config: { access: 'member' },
    schema: {
      operationId: 'listMeetings', tags, summary: 'List meetings in start order',
      description:
        'Lists meetings in start order, a page at a time; narrowed by start window (`from` inclusive, `to` exclusive), `status`, `initiativeId`, a participant, a participant\'s department or a series. Confidential meetings (visibility `participants`) the caller may not see are left out. A malformed filter or `cursor` is 400.',
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
    const rows = await listMeetings(app.db, req.auth.organizationId, viewerOf(req.auth), req.query);
    return sendJsonText(reply, pageText(req, reply, rows, req.query.limit, startKey));
  });

  app.post('/v1/meetings', {
    config: { access: 'integration' },
    schema: {
      operationId: 'createMeeting', tags, summary: 'Create a meeting (with participants and agenda; with `recurrence`, a series)',
      description:
        'Creates a draft meeting with its participants (role `required` unless given) and agenda in one atomic write; with `recurrence` (an RRULE) it creates a series and materialises its occurrences. `materialsDueAt` defaults to 24 h before the start. Refuses, naming the field and creating nothing (400): `endsAt` not after `startsAt`, `materialsDueAt` after the start, a person listed twice, an organizer, participant, agenda owner or initiative that names nothing in the organisation, and a `startsAt` that is not the first occurrence of the rule.',
      body: NewMeeting,
      response: { 201: MeetingDetail, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => createMeeting(rec, req.body));
  });

  app.get('/v1/meetings/:meetingId', {
    config: { access: 'member', visibilityInQuery: true },
    schema: {
      operationId: 'getMeeting', tags, summary: 'Get a meeting with its participants, agenda and materials',
      description:
        'Returns the meeting with its participants, agenda items and material summaries, and its `ETag`. An unknown id, or another organisation\'s, is 404.',
      params, response: { 200: MeetingDetail, ...errorResponses },
    },
  }, async (req, reply) => {
    const meeting = await meetingDetailText(app.db, req.auth.organizationId, viewerOf(req.auth), req.params.meetingId);
    setEtag(reply, meeting);
    return sendJsonText(reply, meeting.json);
  });

  app.patch('/v1/meetings/:meetingId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'updateMeeting', tags, summary: 'Update a meeting (or, with scope=series, every occurrence not yet started)',
      description:
        'Changes the fields given; with `scope=series` also every later occurrence of the series not yet started. Once invitations are out, a new time, place or link raises `sequence`, a new time returns the attendees\' answers to `needs_action` (the organizer\'s aside), and `meeting.updated` carries the new calendar. Refuses a cancelled or completed meeting (409), `scope=series` outside a series (400), times out of order or references that name nothing (400) and a stale `If-Match` (412).',
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
    config: { access: 'integration' },
    schema: {
      operationId: 'deleteMeeting', tags, summary: 'Delete a draft meeting (one that was sent out is cancelled instead)',
      description:
        'Deletes a draft meeting with its agenda and participants. A meeting that was sent out, started, ended or cancelled belongs to the record and is refused (409: cancel it instead); a stale `If-Match` is 412, an unknown meeting 404.',
      params, response: { 204: z.undefined().describe('Deleted'), ...errorResponses },
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => deleteMeeting(rec, req.params.meetingId, ifMatch(req)));
    return reply.send(undefined);
  });

  app.post('/v1/meetings/:meetingId/invitations', {
    config: { access: 'integration' },
    schema: {
      operationId: 'sendMeetingInvitations', tags, summary: 'Send (or re-send) the invitations: draft → scheduled',
      description:
        'Sends the invitations: a draft becomes scheduled (a scheduled meeting sends them again) and `meeting.invitation.sent` carries the meeting, its participants, agenda, materials and the iCalendar REQUEST. For an occurrence, the series\' later draft occurrences are scheduled with it. Takes no body, or `{}` (anything else is 400). Refused with 409 once the meeting is in progress, completed or cancelled; a stale `If-Match` is 412.',
      params, body: ActionBody, response: { 200: MeetingDetail, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => sendInvitations(rec, req.params.meetingId, ifMatch(req)));
  });

  app.post('/v1/meetings/:meetingId/cancel', {
    config: { access: 'integration' },
    schema: {
      operationId: 'cancelMeeting', tags, summary: 'Cancel a meeting (one occurrence of a series)',
      description:
        'Cancels one meeting (an occurrence of a series leaves the others as they are), raises `sequence` and emits `meeting.cancelled` with the reason and the iCalendar CANCEL. A `reason` is required (400). A completed or already cancelled meeting is 409; a stale `If-Match` is 412.',
      params, body: CancelMeeting, response: { 200: Meeting, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => cancelMeeting(rec, req.params.meetingId, req.body.reason, ifMatch(req)));
  });

  app.post('/v1/meetings/:meetingId/start', {
    config: { access: 'integration' },
    schema: {
      operationId: 'startMeeting', tags, summary: 'Start a scheduled meeting',
      description:
        'Marks a scheduled meeting as in progress and emits `meeting.started`. Takes no body, or `{}` (anything else is 400). Refused with 409 unless the meeting is scheduled; a stale `If-Match` is 412.',
      params, body: ActionBody, response: { 200: Meeting, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => startMeeting(rec, req.params.meetingId, ifMatch(req)));
  });

  app.post('/v1/meetings/:meetingId/end', {
    config: { access: 'integration' },
    schema: {
      operationId: 'endMeeting', tags, summary: 'End a meeting in progress',
      description:
        'Completes a meeting in progress and emits `meeting.ended`; in a series, the agenda items left pending or deferred and the unresolved issues move to the next occurrence. Takes no body, or `{}` (anything else is 400). Refused with 409 unless the meeting is in progress; a stale `If-Match` is 412.',
      params, body: ActionBody, response: { 200: Meeting, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => endMeeting(rec, req.params.meetingId, ifMatch(req)));
  });

  await app.register(participantRoutes);
  await app.register(calendarRoutes);
};
