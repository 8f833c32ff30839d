import { z } from 'zod';
import type { EventTypeDef } from '../events/types.js';
import { Id, Timestamp } from '../platform/schemas.js';
import { Meeting, MeetingDetail, Participant, RsvpResponse } from './schemas.js';

const ics = z.string().describe('The iCalendar (RFC 5545) text to hand to calendar clients.');

export const InvitationSentData = z.object({
  meeting: MeetingDetail.describe('The meeting with participants, agenda and material list.'),
  resent: z.boolean().describe('True when invitations had already been sent before.'),
  ics: ics.describe('METHOD:REQUEST calendar: the meeting (for a series, the RRULE master and this occurrence).'),
});
export const MeetingUpdatedData = z.object({
  meeting: Meeting,
  scope: z.enum(['occurrence', 'series']).describe('`series`: the change applied to every occurrence not yet started.'),
  occurrenceIds: z.array(Id).describe('The meetings the change applied to.'),
  changes: z.record(z.string(), z.object({ before: z.unknown(), after: z.unknown() })).describe('Changed fields with their old and new values.'),
  responsesReset: z
    .array(z.object({ meetingId: Id, personId: Id, previousResponse: RsvpResponse }))
    .describe('Participants whose answer returned to `needs_action` because the time moved (the organizer\'s answer is kept); empty when the time did not change.'),
  ics: ics.describe('METHOD:REQUEST calendar with the raised SEQUENCE.'),
});
export const MeetingCancelledData = z.object({
  meeting: Meeting,
  reason: z.string(),
  ics: ics.describe('METHOD:CANCEL calendar (STATUS:CANCELLED, raised SEQUENCE).'),
});
export const MeetingStatusData = z.object({ meeting: Meeting });
export const ParticipantRespondedData = z.object({
  meeting: z.object({ id: Id, title: z.string(), startsAt: Timestamp, seriesId: Id.nullable(), version: z.number().int() }),
  participant: Participant,
  previousResponse: RsvpResponse,
  source: z.enum(['api', 'itip']).describe('`api`: answered through the RSVP route; `itip`: a calendar client\'s iTIP REPLY (POST /v1/calendar/itip).'),
});

const meetingExample = {
  id: '0b5f3c1e-7d0a-4f62-9a57-2f1d6c0e4a11', initiativeId: null, seriesId: null, followUpOfId: null,
  title: 'Cross-department planning', objective: 'Agree the Q3 launch plan', startsAt: '2026-03-02T09:00:00.000Z', endsAt: '2026-03-02T10:00:00.000Z',
  timeZone: 'Europe/Berlin', location: 'Room 4.12', onlineUrl: 'https://meet.example.com/q3', organizerId: '6a1d9c0e-1b2c-4d3e-8f40-5a6b7c8d9e0f',
  status: 'scheduled', visibility: 'organization', materialsDueAt: '2026-03-01T09:00:00.000Z', sequence: 1, recurrence: null, originalStartsAt: null,
  invitationsSentAt: '2026-02-20T08:00:00.000Z', startedAt: null, endedAt: null, cancelledAt: null, cancelReason: null,
  agendaMinutes: 50, overrunMinutes: 0, createdAt: '2026-02-19T08:00:00.000Z', updatedAt: '2026-02-21T08:00:00.000Z', version: 3,
};
const participantExample = {
  personId: '6a1d9c0e-1b2c-4d3e-8f40-5a6b7c8d9e0f', name: 'Mei Chen', email: 'mei.chen@example.com', departmentId: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
  role: 'chair', response: 'accepted', respondedAt: '2026-02-20T09:00:00.000Z', attended: null,
  createdAt: '2026-02-19T08:00:00.000Z', updatedAt: '2026-02-20T09:00:00.000Z', version: 2,
};
const icsExample = 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REQUEST\r\n…\r\nEND:VCALENDAR\r\n';

export const meetingEventTypes: EventTypeDef[] = [
  {
    type: 'meeting.invitation.sent',
    description: 'Invitations to a meeting were sent (or re-sent): the meeting is scheduled. Carries what an e-mail or calendar integration needs to invite the participants.',
    data: InvitationSentData,
    example: { meeting: { ...meetingExample, participants: [participantExample], agendaItems: [], materials: [] }, resent: false, ics: icsExample },
  },
  {
    type: 'meeting.updated',
    description: 'A scheduled meeting changed (time, place, link, title, …). Time, place or link changes raise `sequence`; a time change returns every participant\'s answer except the organizer\'s to `needs_action` (listed in `responsesReset`); `ics` is the updated invitation.',
    data: MeetingUpdatedData,
    example: { meeting: meetingExample, scope: 'occurrence', occurrenceIds: [meetingExample.id], changes: { startsAt: { before: '2026-03-02T08:00:00.000Z', after: '2026-03-02T09:00:00.000Z' } }, responsesReset: [{ meetingId: meetingExample.id, personId: 'c3d4e5f6-0718-4a29-b3c4-d5e6f7a8b9c0', previousResponse: 'accepted' }], ics: icsExample },
  },
  {
    type: 'meeting.cancelled',
    description: 'A meeting (or one occurrence of a series) was cancelled; `ics` is the METHOD:CANCEL message for calendars.',
    data: MeetingCancelledData,
    example: { meeting: { ...meetingExample, status: 'cancelled', sequence: 2, cancelledAt: '2026-02-25T10:00:00.000Z', cancelReason: 'Budget freeze' }, reason: 'Budget freeze', ics: icsExample },
  },
  {
    type: 'meeting.started',
    description: 'A meeting started.',
    data: MeetingStatusData,
    example: { meeting: { ...meetingExample, status: 'in_progress', startedAt: '2026-03-02T09:01:00.000Z' } },
  },
  {
    type: 'meeting.ended',
    description: 'A meeting ended: minutes, decisions and issues can now be recorded against it.',
    data: MeetingStatusData,
    example: { meeting: { ...meetingExample, status: 'completed', startedAt: '2026-03-02T09:01:00.000Z', endedAt: '2026-03-02T09:58:00.000Z' } },
  },
  {
    type: 'participant.responded',
    description: 'A participant answered the invitation (accepted, declined, tentative), through the API or from their calendar client (`source`).',
    data: ParticipantRespondedData,
    example: {
      meeting: { id: meetingExample.id, title: meetingExample.title, startsAt: meetingExample.startsAt, seriesId: null, version: 3 },
      participant: participantExample,
      previousResponse: 'needs_action',
      source: 'api',
    },
  },
];
