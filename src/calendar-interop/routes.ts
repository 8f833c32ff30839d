import { z } from 'zod';
import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch } from '../platform/etag.js';
import { HttpProblem, Problem } from '../platform/errors.js';
import { mutate } from '../platform/mutation.js';
import { ActionBody } from '../platform/optional-body.js';
import { createdKey, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { findMeeting } from '../meetings/queries.js';
import { applyItip } from './itip.js';
import { MAX_COMMENT, MAX_EVENTS, readItipMessage } from './itip-message.js';
import { ItipOutcome, TimeProposal, TimeProposalDecision, TimeProposalStatus } from './schemas.js';
import { acceptProposal, declineProposal, listProposals, toApiProposal } from './time-proposals.js';

const CALENDAR = 'text/calendar';
const tags = ['Calendar'];
const ifMatch = (req: Parameters<typeof checkIfMatch>[0]) => (v: number) => checkIfMatch(req, v);

const mediaType = (req: FastifyRequest) => (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();

/** Only iCalendar is read here; anything else is 415 before the body is read (after the access rule). */
async function calendarOnly(req: FastifyRequest, _reply: unknown, payload: unknown) {
  if (mediaType(req) !== CALENDAR) throw new HttpProblem(415, 'Send the iTIP message as text/calendar, as it arrived.');
  return payload;
}

const itipErrors = {
  ...errorResponses,
  422: {
    description: 'The ATTENDEE takes no part in the meeting, a COUNTER names a whole series, or the Idempotency-Key was used with a different request.',
    content: { 'application/problem+json': { schema: Problem } },
  },
};

const proposalParams = z.object({ meetingId: Id, proposalId: Id });

export const calendarInteropRoutes: FastifyPluginAsyncZod = async (app) => {
  // Registered in this plugin only: no other route of it reads text/calendar bodies.
  app.addContentTypeParser(CALENDAR, { parseAs: 'string' }, (_req, body, done) => done(null, body));

  app.post('/v1/calendar/itip', {
    config: { access: 'integration' },
    preParsing: calendarOnly,
    schema: {
      operationId: 'receiveItipMessage', tags, summary: 'Take in an attendee\'s iTIP REPLY or COUNTER from their calendar client',
      description:
        'An inbound-mail integration hands over the `text/calendar` part a calendar client sent back to the organizer (RFC 5546). Matched by `UID` (`<meetingId>@liaison`, or `<seriesId>@liaison` with `RECURRENCE-ID` for an occurrence of a series) and by the one `ATTENDEE` (its `mailto:` address, in any case, against the people taking part). ' +
        '`METHOD:REPLY` records the answer (`PARTSTAT` ACCEPTED, DECLINED, TENTATIVE, NEEDS-ACTION) as the RSVP route does, emitting `participant.responded` with `source: "itip"` when it changed; a reply to the whole series (no `RECURRENCE-ID`) answers every occurrence not yet started. ' +
        '`METHOD:COUNTER` records the proposed time (`DTSTART` with `DTEND` or `DURATION`, and `COMMENT`) as a time proposal and emits `meeting.time_proposed`; the organizer accepts or declines it. ' +
        `Refuses: a malformed calendar, a missing \`UID\` or \`ATTENDEE\`, a second \`ATTENDEE\`, a \`PARTSTAT\` other than those four, a \`COMMENT\` over ${MAX_COMMENT} characters, more than ${MAX_EVENTS} VEVENTs, and any METHOD but REPLY and COUNTER (400, naming the line); a \`UID\` that names no meeting of the organisation, another organisation\'s included (404); an attendee who takes no part (422); a \`SEQUENCE\` older than the invitation\'s, or a cancelled or completed meeting (409); another content type (415). Nothing is written on a refusal.`,
      body: z.string().meta({
        content: { [CALENDAR]: { schema: { type: 'string', description: 'The iTIP message as received: an RFC 5545 calendar with METHOD:REPLY or METHOD:COUNTER (at most the body size limit).' } } },
      }),
      response: { 200: ItipOutcome.describe('REPLY: the answers recorded.'), 201: ItipOutcome.describe('COUNTER: the proposal recorded.'), ...itipErrors },
    },
  }, async (req, reply) => {
    const message = readItipMessage(req.body);
    return mutate(req, reply, message.method === 'COUNTER' ? 201 : 200, (rec) => applyItip(rec, message));
  });

  app.get('/v1/meetings/:meetingId/time-proposals', {
    config: { access: 'member' },
    schema: {
      operationId: 'listTimeProposals', tags, summary: 'The times attendees proposed for a meeting',
      description: 'The proposals attendees sent by iTIP COUNTER, in the order they arrived, a page at a time; `status` keeps those `proposed`, `accepted` or `declined`. An unknown meeting is 404.',
      params: z.object({ meetingId: Id }),
      querystring: z.object({ status: TimeProposalStatus.optional(), ...pageQuery }),
      response: { 200: listOf(TimeProposal), ...errorResponses },
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    await findMeeting(app.db, org, req.params.meetingId);
    const rows = await listProposals(app.db, org, req.params.meetingId, req.query);
    return page(req, reply, rows, req.query.limit, (r) => createdKey(r.r), (r) => toApiProposal(r.r, r.p));
  });

  app.post('/v1/meetings/:meetingId/time-proposals/:proposalId/accept', {
    config: { access: 'integration' },
    schema: {
      operationId: 'acceptTimeProposal', tags, summary: 'Accept a proposed time: the meeting moves there',
      description:
        'Moves the meeting to the proposed time as a PATCH of `startsAt` and `endsAt` would: `sequence` raised once invitations are out, every answer but the organizer\'s back to `needs_action`, and `meeting.updated` with the new METHOD:REQUEST calendar. Takes no body, or `{}`. `If-Match` names the meeting\'s version (412 when stale). A proposal already accepted or declined, or a cancelled or completed meeting, is 409; an unknown meeting or proposal 404.',
      params: proposalParams, body: ActionBody, response: { 200: TimeProposalDecision, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => acceptProposal(rec, req.params.meetingId, req.params.proposalId, ifMatch(req)));
  });

  app.post('/v1/meetings/:meetingId/time-proposals/:proposalId/decline', {
    config: { access: 'integration' },
    schema: {
      operationId: 'declineTimeProposal', tags, summary: 'Decline a proposed time (METHOD:DECLINECOUNTER)',
      description:
        'Records that the organizer keeps the meeting\'s time: the meeting does not change, and `meeting.time_proposal.declined` carries the METHOD:DECLINECOUNTER calendar to send to the attendee who proposed. Takes no body, or `{}`. `If-Match` names the meeting\'s version (412 when stale). A proposal already accepted or declined, or a cancelled or completed meeting, is 409; an unknown meeting or proposal 404.',
      params: proposalParams, body: ActionBody, response: { 200: TimeProposalDecision, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => declineProposal(rec, req.params.meetingId, req.params.proposalId, ifMatch(req)));
  });
};
