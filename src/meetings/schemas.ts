import { z } from 'zod';
import { Id, optionalText, resourceMeta, text, Timestamp, timeZone } from '../platform/schemas.js';
import { AgendaItem, NewAgendaItem } from '../agenda/schemas.js';
import { MaterialSummary, type ApiMaterialSummary } from '../materials/summary.js';
import { validRecurrence } from './recurrence.js';

export const meetingStatuses = ['draft', 'scheduled', 'in_progress', 'completed', 'cancelled'] as const;
export const MeetingStatus = z.enum(meetingStatuses).meta({ id: 'MeetingStatus' });
export const participantRoles = ['chair', 'note_taker', 'presenter', 'required', 'optional'] as const;
export const ParticipantRole = z.enum(participantRoles).meta({ id: 'ParticipantRole' });
export const rsvpResponses = ['needs_action', 'accepted', 'declined', 'tentative'] as const;
export const RsvpResponse = z.enum(rsvpResponses).meta({ id: 'RsvpResponse' });

export const meetingVisibilities = ['organization', 'participants'] as const;
export const MeetingVisibility = z
  .enum(meetingVisibilities)
  .describe(
    'Who may see the meeting (SPEC §8). `organization` (the default): everyone in the organisation. `participants`: a confidential meeting; it and everything in it (agenda, materials, minutes, decisions, feedback, issues raised in it, calendar entries, search hits) exist only for its organizer\'s and participants\' person-bound keys and for integration keys with scope `confidential`; for others it is absent from every list, search, feed and report detail (aggregate counts only).',
  )
  .meta({ id: 'MeetingVisibility' });

const httpUrl = z
  .url({ protocol: /^https?$/ })
  .max(2000)
  .describe('An http(s) link, e.g. the video call.');

export const Recurrence = z
  .string()
  .max(500)
  .refine(validRecurrence, 'must be an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO;COUNT=12 (no DTSTART; DAILY or less frequent)')
  .describe('RFC 5545 RRULE (without DTSTART; the rule starts at `startsAt` in `timeZone`).');

export const NewParticipant = z
  .strictObject({
    personId: Id,
    role: ParticipantRole.optional().describe('Defaults to `required`.'),
  })
  .meta({ id: 'NewParticipant' });

const meetingFields = {
  title: text(300),
  objective: optionalText(5000).describe('What the meeting must achieve.'),
  startsAt: Timestamp,
  endsAt: Timestamp,
  timeZone: timeZone.describe('IANA time zone the meeting is held in (calendar clients show it there).'),
  location: optionalText(500),
  onlineUrl: httpUrl.nullable().optional(),
  organizerId: Id.nullable().optional(),
  initiativeId: Id.nullable().optional(),
  materialsDueAt: Timestamp.nullable().optional().describe('When pre-reads are due; defaults to 24 h before `startsAt`.'),
  visibility: MeetingVisibility.optional().describe('Defaults to `organization`; `participants` makes the meeting confidential (SPEC §8). For a series, every occurrence gets it; a follow-up inherits it.'),
};

export const NewMeeting = z
  .strictObject({
    ...meetingFields,
    recurrence: Recurrence.nullable().optional().describe('Makes the meeting a series: occurrences are materialised as meetings sharing `seriesId`.'),
    participants: z.array(NewParticipant).max(500).optional(),
    agendaItems: z.array(NewAgendaItem).max(100).optional().describe('Created in this order; for a series, on the first occurrence.'),
  })
  .meta({ id: 'NewMeeting' });

export const MeetingPatch = z
  .strictObject(meetingFields)
  .partial()
  .meta({ id: 'MeetingPatch' });

export const Participant = z
  .object({
    personId: Id,
    name: z.string(),
    email: z.string(),
    departmentId: Id.nullable(),
    role: ParticipantRole,
    response: RsvpResponse,
    respondedAt: Timestamp.nullable(),
    attended: z.boolean().nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: z.number().int(),
  })
  .meta({ id: 'Participant' });

export const ParticipantPatch = z
  .strictObject({
    role: ParticipantRole.optional(),
    attended: z.boolean().nullable().optional().describe('Recorded once the meeting has started.'),
  })
  .meta({ id: 'ParticipantPatch' });

export const RsvpAnswer = z
  .strictObject({ response: RsvpResponse })
  .meta({ id: 'RsvpAnswer' });

export const meetingShape = {
  ...resourceMeta,
  initiativeId: Id.nullable(),
  seriesId: Id.nullable(),
  followUpOfId: Id.nullable(),
  title: z.string(),
  objective: z.string().nullable(),
  startsAt: Timestamp,
  endsAt: Timestamp,
  timeZone: z.string(),
  location: z.string().nullable(),
  onlineUrl: z.string().nullable(),
  organizerId: Id.nullable(),
  status: MeetingStatus,
  visibility: MeetingVisibility,
  materialsDueAt: Timestamp,
  sequence: z.number().int().describe('iCalendar SEQUENCE: raised whenever time, place or link change after invitations.'),
  recurrence: z.string().nullable(),
  originalStartsAt: Timestamp.nullable().describe('For an occurrence of a series: the start its rule gave it.'),
  invitationsSentAt: Timestamp.nullable(),
  startedAt: Timestamp.nullable(),
  endedAt: Timestamp.nullable(),
  cancelledAt: Timestamp.nullable(),
  cancelReason: z.string().nullable(),
  agendaMinutes: z.number().int().describe('Sum of the agenda items\' time boxes.'),
  overrunMinutes: z.number().int().describe('How far the agenda runs past the meeting\'s end (0 when it fits).'),
};
export const Meeting = z.object(meetingShape).meta({ id: 'Meeting' });

export const MeetingDetail = z
  .object({
    ...meetingShape,
    participants: z.array(Participant),
    agendaItems: z.array(AgendaItem),
    materials: z.array(MaterialSummary),
  })
  .meta({ id: 'MeetingDetail' });

export const CancelMeeting = z
  .strictObject({ reason: text(2000).describe('Why the meeting is cancelled; sent to participants.') })
  .meta({ id: 'CancelMeeting' });

export type NewMeeting = z.infer<typeof NewMeeting>;
export type MeetingPatch = z.infer<typeof MeetingPatch>;
export type NewParticipant = z.infer<typeof NewParticipant>;
export type ApiMeeting = z.infer<typeof Meeting>;
export type ApiMeetingDetail = z.infer<typeof MeetingDetail>;
export type ApiParticipant = z.infer<typeof Participant>;
export type { ApiMaterialSummary };
