import { z } from 'zod';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { meetingParticipants, people } from '../../db/schema/index.js';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { decodeCursor, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { findMeeting } from './queries.js';
import { addParticipant, findParticipant, removeParticipant, respond, toApiParticipant, updateParticipant } from './participants.js';
import { NewParticipant, Participant, ParticipantPatch, RsvpAnswer } from './schemas.js';

const meetingParams = z.object({ meetingId: Id });
const params = z.object({ meetingId: Id, personId: Id });
const ifMatch = (req: Parameters<typeof checkIfMatch>[0]) => (v: number) => checkIfMatch(req, v);

export const participantRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Participants'];

  app.get('/v1/meetings/:meetingId/participants', {
    config: { access: 'member' },
    schema: {
      operationId: 'listParticipants', tags, summary: 'List the participants of a meeting',
      description:
        'The meeting\'s participants in the order they were added, each with role, RSVP response and attendance. An unknown meeting is 404.',
      params: meetingParams, querystring: z.object(pageQuery), response: { 200: listOf(Participant), ...errorResponses },
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    await findMeeting(app.db, org, req.params.meetingId);
    const c = decodeCursor(req.query.cursor, 2);
    const rows = await app.db
      .select({ p: meetingParticipants, person: { name: people.name, email: people.email, departmentId: people.departmentId } })
      .from(meetingParticipants)
      .innerJoin(people, eq(people.id, meetingParticipants.personId))
      .where(and(
        eq(meetingParticipants.organizationId, org),
        eq(meetingParticipants.meetingId, req.params.meetingId),
        c ? sql`(${meetingParticipants.createdAt}, ${meetingParticipants.personId}) > (${String(c[0])}::timestamptz, ${String(c[1])}::uuid)` : undefined,
      ))
      .orderBy(asc(meetingParticipants.createdAt), asc(meetingParticipants.personId))
      .limit(req.query.limit + 1);
    return page(req, reply, rows, req.query.limit, (r) => [r.p.createdAt.toISOString(), r.p.personId], (r) => toApiParticipant(r.p, r.person));
  });

  app.post('/v1/meetings/:meetingId/participants', {
    config: { access: 'integration' },
    schema: {
      operationId: 'addParticipant', tags, summary: 'Add a participant (409 when already one)',
      description:
        'Adds a person to the meeting (role `required` unless given, response `needs_action`). Refuses a person already taking part (409), a cancelled or completed meeting (409) and a `personId` that names no person of the organisation (400).',
      params: meetingParams, body: NewParticipant, response: { 201: Participant, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => addParticipant(rec, req.params.meetingId, req.body));
  });

  app.get('/v1/meetings/:meetingId/participants/:personId', {
    config: { access: 'member' },
    schema: {
      operationId: 'getParticipant', tags, summary: 'Get a participant',
      description:
        'Returns one participant with its `ETag`. 404 when the meeting is unknown or the person does not take part in it.',
      params, response: { 200: Participant, ...errorResponses },
    },
  }, async (req, reply) => {
    const { p, person } = await findParticipant(app.db, req.auth.organizationId, req.params.meetingId, req.params.personId);
    const api = toApiParticipant(p, person);
    setEtag(reply, api);
    return api;
  });

  app.patch('/v1/meetings/:meetingId/participants/:personId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'updateParticipant', tags, summary: 'Change a participant\'s role or record attendance',
      description:
        'Changes a participant\'s role or records whether they `attended`. A new role is refused once the meeting is cancelled or completed (409); attendance is refused before the meeting has started (409). A stale `If-Match` is 412; a person who does not take part 404.',
      params, body: ParticipantPatch, response: { 200: Participant, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateParticipant(rec, req.params.meetingId, req.params.personId, req.body, ifMatch(req)));
  });

  app.delete('/v1/meetings/:meetingId/participants/:personId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'removeParticipant', tags, summary: 'Remove a participant',
      description:
        'Removes a person from the meeting. Refused once the meeting is cancelled or completed (409); a stale `If-Match` is 412, a person who does not take part 404.',
      params, response: { 204: z.undefined().describe('Removed'), ...errorResponses },
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => removeParticipant(rec, req.params.meetingId, req.params.personId, ifMatch(req)));
    return reply.send(undefined);
  });

  app.put('/v1/meetings/:meetingId/participants/:personId/response', {
    config: { access: 'self' },
    schema: {
      operationId: 'respondToInvitation', tags, summary: 'Record a participant\'s RSVP answer',
      description:
        'Records a participant\'s answer (`accepted`, `declined`, `tentative` or `needs_action`) and emits `participant.responded` when it changed; the same answer again changes nothing. Refused once the meeting is cancelled or completed (409); a stale `If-Match` is 412, a person who does not take part 404.',
      params, body: RsvpAnswer, response: { 200: Participant, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => respond(rec, req.params.meetingId, req.params.personId, req.body.response, ifMatch(req)));
  });
};
