import { z } from 'zod';
import { Id, resourceMeta, Timestamp } from '../platform/schemas.js';
import { Meeting, Participant } from '../meetings/schemas.js';

export const timeProposalStatuses = ['proposed', 'accepted', 'declined'] as const;
export const TimeProposalStatus = z.enum(timeProposalStatuses).meta({ id: 'TimeProposalStatus' });

export const TimeProposal = z
  .object({
    ...resourceMeta,
    meetingId: Id,
    personId: Id.describe('Who proposed the time (the attendee of the COUNTER).'),
    name: z.string(),
    email: z.string(),
    startsAt: Timestamp.describe('The proposed start.'),
    endsAt: Timestamp.describe('The proposed end.'),
    comment: z.string().nullable().describe('The COMMENT the attendee sent with the proposal.'),
    status: TimeProposalStatus,
    sequence: z.number().int().describe('The meeting\'s SEQUENCE the proposal answered.'),
    decidedAt: Timestamp.nullable().describe('When the organizer accepted or declined it.'),
  })
  .meta({ id: 'TimeProposal' });

export const ItipReplyOutcome = z
  .object({
    method: z.literal('REPLY'),
    meetingIds: z.array(Id).describe('The meetings the answer was recorded for (several for a reply to a whole series).'),
    participants: z.array(Participant).describe('The answering attendee as participant of each of those meetings, in the same order.'),
  })
  .meta({ id: 'ItipReplyOutcome' });

export const ItipCounterOutcome = z
  .object({
    method: z.literal('COUNTER'),
    meetingIds: z.array(Id).describe('The meeting the proposal is for.'),
    proposal: TimeProposal,
  })
  .meta({ id: 'ItipCounterOutcome' });

export const ItipOutcome = z.discriminatedUnion('method', [ItipReplyOutcome, ItipCounterOutcome]).meta({ id: 'ItipOutcome' });

export const TimeProposalDecision = z
  .object({
    proposal: TimeProposal,
    meeting: Meeting.describe('The meeting after the decision (moved when the proposal was accepted).'),
  })
  .meta({ id: 'TimeProposalDecision' });

export type ApiTimeProposal = z.infer<typeof TimeProposal>;
export type ApiItipOutcome = z.infer<typeof ItipOutcome>;
export type ApiTimeProposalDecision = z.infer<typeof TimeProposalDecision>;
