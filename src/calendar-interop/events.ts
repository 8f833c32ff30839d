import { z } from 'zod';
import type { EventTypeDef } from '../events/types.js';
import { Meeting } from '../meetings/schemas.js';
import { TimeProposal } from './schemas.js';

export const TimeProposedData = z.object({
  meeting: Meeting.describe('The meeting as it stands (the proposal has not moved it).'),
  proposal: TimeProposal,
});
export const TimeProposalDeclinedData = z.object({
  meeting: Meeting,
  proposal: TimeProposal,
  ics: z.string().describe('METHOD:DECLINECOUNTER calendar for the attendee who proposed: the meeting keeps its time and SEQUENCE.'),
});

const meetingExample = {
  id: '0b5f3c1e-7d0a-4f62-9a57-2f1d6c0e4a11', initiativeId: null, seriesId: null, followUpOfId: null,
  title: 'Cross-department planning', objective: 'Agree the Q3 launch plan', startsAt: '2026-03-02T09:00:00.000Z', endsAt: '2026-03-02T10:00:00.000Z',
  timeZone: 'Europe/Berlin', location: 'Room 4.12', onlineUrl: null, organizerId: '6a1d9c0e-1b2c-4d3e-8f40-5a6b7c8d9e0f',
  status: 'scheduled', visibility: 'organization', materialsDueAt: '2026-03-01T09:00:00.000Z', sequence: 1, recurrence: null, originalStartsAt: null,
  invitationsSentAt: '2026-02-20T08:00:00.000Z', startedAt: null, endedAt: null, cancelledAt: null, cancelReason: null,
  agendaMinutes: 50, overrunMinutes: 0, createdAt: '2026-02-19T08:00:00.000Z', updatedAt: '2026-02-21T08:00:00.000Z', version: 3,
};
export const proposalExample = {
  id: 'f1e2d3c4-b5a6-4978-8a9b-0c1d2e3f4a5b', meetingId: meetingExample.id, personId: 'c3d4e5f6-0718-4a29-b3c4-d5e6f7a8b9c0',
  name: '王芳', email: 'wang.fang@example.com', startsAt: '2026-03-02T13:00:00.000Z', endsAt: '2026-03-02T14:00:00.000Z',
  comment: 'The morning clashes with the month-end close.', status: 'proposed', sequence: 1, decidedAt: null,
  createdAt: '2026-02-21T09:00:00.000Z', updatedAt: '2026-02-21T09:00:00.000Z', version: 1,
};

export const calendarInteropEventTypes: EventTypeDef[] = [
  {
    type: 'meeting.time_proposed',
    description: 'An attendee proposed another time for a meeting (an iTIP COUNTER from their calendar client). The organizer accepts it (the meeting moves: `meeting.updated`) or declines it (`meeting.time_proposal.declined`).',
    data: TimeProposedData,
    example: { meeting: meetingExample, proposal: proposalExample },
  },
  {
    type: 'meeting.time_proposal.declined',
    description: 'The organizer declined an attendee\'s proposed time; `ics` is the METHOD:DECLINECOUNTER message to send to that attendee.',
    data: TimeProposalDeclinedData,
    example: {
      meeting: meetingExample,
      proposal: { ...proposalExample, status: 'declined', decidedAt: '2026-02-21T10:00:00.000Z', version: 2 },
      ics: 'BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:DECLINECOUNTER\r\n…\r\nEND:VCALENDAR\r\n',
    },
  },
];
