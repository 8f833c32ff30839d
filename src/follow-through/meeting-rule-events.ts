import { z } from 'zod';
import type { EventTypeDef } from '../events/types.js';
import { PersonSummary } from '../issues/meeting-context.js';
import { MaterialSummary } from '../materials/summary.js';
import { MeetingStatus } from '../meetings/schemas.js';
import { Id, Timestamp } from '../platform/schemas.js';
import { Recipient } from './recipients.js';

// The follow-through events about meetings (SPEC §6). Each says which policy field scheduled it,
// the moment it was for, when it fired and how late, whom it is for, and enough of the meeting
// (time, zone, place, join link, organizer) that a chat or mail integration posts it as it is.

/** The fields every follow-through event carries (issue-rule-events.ts shares them). */
export const firingFields = <R extends string>(rule: R, recipients: string) => ({
  rule: z.literal(rule).describe('The policy field that scheduled it.'),
  dueAt: Timestamp.describe('The moment it was for.'),
  firedAt: Timestamp.describe('When Liaison recorded it.'),
  lateBy: z.number().int().min(0).describe('Seconds after `dueAt` it fired: 0 on time, more when it fired late after an outage.'),
  recipients: z.array(Recipient).min(1).describe(recipients),
});

export const FollowThroughMeeting = z
  .object({
    id: Id,
    title: z.string(),
    startsAt: Timestamp,
    endsAt: Timestamp,
    timeZone: z.string().describe('The IANA time zone the meeting is planned in.'),
    location: z.string().nullable(),
    onlineUrl: z.string().nullable().describe('The join link.'),
    status: MeetingStatus,
    initiativeId: Id.nullable(),
    seriesId: Id.nullable(),
    organizer: PersonSummary.nullable(),
    sequence: z.number().int().describe('iCalendar SEQUENCE of the invitation the reminder refers to.'),
    version: z.number().int().describe('The meeting\'s version, to drop a reminder about a meeting that has changed since.'),
  })
  .meta({ id: 'FollowThroughMeeting', description: 'The meeting a follow-through event is about.' });

export const RsvpReminderData = z.object({
  ...firingFields('rsvpReminderHours', 'Chairs, presenters and required participants whose answer is still `needs_action` (reason `needs_action`).'),
  hoursBefore: z.number().int().describe('The offset of the policy this moment is for: hours before the start.'),
  meeting: FollowThroughMeeting,
});

export const MissingPreread = z.object({
  agendaItemId: Id,
  title: z.string(),
  kind: z.enum(['discussion', 'decision']),
  owner: PersonSummary.nullable(),
});

export const PrereadsDueData = z.object({
  ...firingFields('prereadsDue', 'The organizer (reason `organizer`) and the owners of discussion and decision items that have no material (reason `agenda_item_owner`).'),
  meeting: FollowThroughMeeting,
  materials: z.array(MaterialSummary).describe('What is shared so far, each with `late` (shared after `materialsDueAt`).'),
  missing: z.array(MissingPreread).describe('Discussion and decision items (not deferred) with no material attached to them.'),
});

export const ReadReminderData = z.object({
  ...firingFields('prereadReminderHours', 'Participants (not those who declined) who have not acknowledged every required material (reason `unread_materials`).'),
  hoursBefore: z.number().int().describe('The offset of the policy this moment is for: hours before the start.'),
  meeting: FollowThroughMeeting,
  materials: z.array(MaterialSummary).describe('The meeting\'s required materials.'),
  unread: z.array(z.object({ personId: Id, materialIds: z.array(Id) })).describe('For each recipient, the required materials they have not acknowledged (any version counts).'),
});

export const StartingSoonData = z.object({
  ...firingFields('startingSoonMinutes', 'Every participant who has not declined (reason `participant`).'),
  minutesBefore: z.number().int().describe('The offset of the policy this moment is for: minutes before the start.'),
  meeting: FollowThroughMeeting,
});

export const MinutesOverdueData = z.object({
  ...firingFields('minutesDueHours', 'The note takers (reason `note_taker`) and the organizer (reason `organizer`).'),
  hoursAfterEnd: z.number().int().describe('The policy\'s hours after the planned end.'),
  meeting: FollowThroughMeeting,
  draftStarted: z.boolean().describe('A minutes draft has content, but no revision is published.'),
});

const ids = {
  meeting: '0b5f3c1e-7d0a-4f62-9a57-2f1d6c0e4a11',
  organizer: '6a1d9c0e-1b2c-4d3e-8f40-5a6b7c8d9e0f',
  presenter: 'c3d4e5f6-0718-4a29-b3c4-d5e6f7a8b9c0',
  department: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
  item: '4b3a2c1d-0e9f-4a8b-9c7d-6e5f4a3b2c1d',
  material: '8f7e6d5c-4b3a-4291-8a7b-6c5d4e3f2a1b',
};
const organizer = { id: ids.organizer, name: 'Mei Chen', email: 'mei.chen@example.com', departmentId: ids.department };
const meetingExample = {
  id: ids.meeting, title: 'Cross-department planning', startsAt: '2026-03-02T09:00:00.000Z', endsAt: '2026-03-02T10:00:00.000Z', timeZone: 'Europe/Berlin',
  location: 'Room 4.12', onlineUrl: 'https://meet.example.com/q3', status: 'scheduled', initiativeId: null, seriesId: null, organizer, sequence: 1, version: 3,
};
const presenter = { personId: ids.presenter, name: 'Fiona Berg', email: 'fiona.berg@example.com', timeZone: 'Europe/Stockholm' };
const materialExample = {
  id: ids.material, title: 'Launch budget', kind: 'link', url: 'https://docs.example.com/budget', fileName: null, contentType: null, sizeBytes: null, sha256: null,
  agendaItemId: null, required: true, contentVersion: 1, late: false, sharedAt: '2026-02-27T15:00:00.000Z', version: 1,
};
const fired = (rule: string, dueAt: string) => ({ rule, dueAt, firedAt: dueAt.replace(':00.000Z', ':04.000Z'), lateBy: 4 });

export const meetingRuleEventTypes: EventTypeDef[] = [
  {
    type: 'participant.rsvp_reminder',
    description:
      'A reminder to answer a meeting invitation (policy field `rsvpReminderHours`, by default 48 h and 24 h before the start), to the chairs, presenters and required participants who have not answered. Not sent after the start; when several of its moments are due at once (the worker was down, or the meeting moved closer), only the latest goes.',
    data: RsvpReminderData,
    example: { ...fired('rsvpReminderHours', '2026-03-01T09:00:00.000Z'), recipients: [{ ...presenter, reason: 'needs_action' }], hoursBefore: 24, meeting: meetingExample },
  },
  {
    type: 'meeting.prereads_due',
    description:
      "The meeting's materials are due (`materialsDueAt`, policy field `prereadsDue`): what is shared so far and which discussion or decision items have no material, to the organizer and those items' owners. Not sent after the start.",
    data: PrereadsDueData,
    example: {
      ...fired('prereadsDue', '2026-03-01T09:00:00.000Z'),
      recipients: [{ personId: ids.organizer, name: organizer.name, email: organizer.email, timeZone: 'Europe/Berlin', reason: 'organizer' }, { ...presenter, reason: 'agenda_item_owner' }],
      meeting: meetingExample,
      materials: [materialExample],
      missing: [{ agendaItemId: ids.item, title: 'Logistics budget', kind: 'decision', owner: { id: ids.presenter, name: presenter.name, email: presenter.email, departmentId: ids.department } }],
    },
  },
  {
    type: 'material.read_reminder',
    description:
      'A reminder to read the required pre-reads (policy field `prereadReminderHours`, by default 12 h before the start), to each participant who has not declined and has not acknowledged every required material, naming those they have not. Not sent after the start.',
    data: ReadReminderData,
    example: {
      ...fired('prereadReminderHours', '2026-03-01T21:00:00.000Z'), recipients: [{ ...presenter, reason: 'unread_materials' }], hoursBefore: 12, meeting: meetingExample,
      materials: [materialExample], unread: [{ personId: ids.presenter, materialIds: [ids.material] }],
    },
  },
  {
    type: 'meeting.starting_soon',
    description: 'The meeting starts soon (policy field `startingSoonMinutes`, by default 15 minutes before), to every participant who has not declined, with the place and join link. Not sent after the start.',
    data: StartingSoonData,
    example: { ...fired('startingSoonMinutes', '2026-03-02T08:45:00.000Z'), recipients: [{ ...presenter, reason: 'participant' }], minutesBefore: 15, meeting: meetingExample },
  },
  {
    type: 'minutes.overdue',
    description:
      'No minutes revision is published (policy field `minutesDueHours`, by default 24 h after the planned end of a meeting that was not cancelled), to the note takers and the organizer. Sent late after an outage too (the minutes are still missing), up to a day after its moment.',
    data: MinutesOverdueData,
    example: {
      ...fired('minutesDueHours', '2026-03-03T10:00:00.000Z'),
      recipients: [{ personId: ids.organizer, name: organizer.name, email: organizer.email, timeZone: 'Europe/Berlin', reason: 'organizer' }],
      hoursAfterEnd: 24, meeting: { ...meetingExample, status: 'completed' }, draftStarted: true,
    },
  },
];
