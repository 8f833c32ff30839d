import { z } from 'zod';
import { Id, text, Timestamp } from '../platform/schemas.js';
import { pageQuery } from '../platform/pagination.js';
import { DecisionStatus, Objection } from '../decisions/schemas.js';
import { IssueKind, IssuePriority, IssueStatus } from '../issues/schemas.js';
import { PersonSummary } from '../issues/meeting-context.js';

export const AttendanceEntry = z.strictObject({ personId: Id, present: z.boolean() }).meta({ id: 'AttendanceEntry' });
export const Acknowledgement = z
  .strictObject({
    personId: Id.nullable().optional().describe('Whom the thanks are for, if a person of the organisation.'),
    note: text(2000),
  })
  .meta({ id: 'Acknowledgement' });

export const MinutesDraftContent = z
  .strictObject({
    summary: z.string().max(100_000).describe('Markdown.'),
    attendance: z.array(AttendanceEntry).max(500).default([]).describe('Participants present or not; `attended` is recorded from this on publish.'),
    acknowledgements: z.array(Acknowledgement).max(200).default([]).describe('Thanks to the people who helped.'),
  })
  .meta({ id: 'MinutesDraftContent' });

export const MinutesDraft = z
  .object({
    meetingId: Id,
    summary: z.string(),
    attendance: z.array(z.object({ personId: Id, present: z.boolean() })),
    acknowledgements: z.array(z.object({ personId: Id.nullable(), note: z.string() })),
    publishedRevision: z.number().int().nullable().describe('The last revision published, null before the first.'),
    createdAt: Timestamp.nullable().describe('Null until the draft is first saved.'),
    updatedAt: Timestamp.nullable(),
    version: z.number().int().min(0).describe('0 until the draft is first saved (`If-Match: "v0"` creates it); incremented on every change.'),
  })
  .meta({ id: 'MinutesDraft' });

const MeetingRef = z.object({
  id: Id,
  title: z.string(),
  startsAt: Timestamp,
  endsAt: Timestamp,
  timeZone: z.string(),
  status: z.string(),
  initiativeId: Id.nullable(),
});

export const RevisionAttendee = PersonSummary.extend({
  role: z.string(),
  present: z.boolean().nullable().describe('Null when the minutes do not say.'),
});

export const RevisionDecision = z.object({
  id: Id,
  title: z.string(),
  statement: z.string(),
  rationale: z.string().nullable(),
  status: DecisionStatus,
  decidedAt: Timestamp,
  agendaItemId: Id.nullable(),
  supersedesId: Id.nullable(),
  supporters: z.array(PersonSummary),
  objections: z.array(Objection.extend({ name: z.string().nullable(), email: z.string().nullable() })),
  version: z.number().int(),
});

export const RevisionIssue = z.object({
  id: Id,
  title: z.string(),
  description: z.string().nullable(),
  kind: IssueKind,
  priority: IssuePriority,
  status: IssueStatus,
  dueAt: Timestamp.nullable(),
  resolution: z.string().nullable(),
  owner: PersonSummary.nullable(),
  department: z.object({ id: Id, name: z.string() }).nullable(),
  agendaItemId: Id.nullable(),
  version: z.number().int(),
});

export const MinutesRevision = z
  .object({
    meetingId: Id,
    revision: z.number().int().min(1),
    version: z.number().int().min(1).describe('Equals `revision`: a published revision never changes.'),
    publishedAt: Timestamp,
    meeting: MeetingRef,
    summary: z.string(),
    attendance: z.array(RevisionAttendee).describe('Every participant, with name, e-mail, role and presence.'),
    acknowledgements: z.array(z.object({ personId: Id.nullable(), name: z.string().nullable(), note: z.string() })),
    decisions: z.array(RevisionDecision).describe('The decisions recorded in the meeting, as they stood at publication.'),
    issues: z.array(RevisionIssue).describe('The issues raised in or carried onto the meeting, with owners and due dates.'),
    changedFields: z.array(z.enum(['summary', 'attendance', 'acknowledgements', 'decisions', 'issues'])).describe('What differs from the previous revision (everything for revision 1).'),
  })
  .meta({ id: 'MinutesRevision', description: 'A published, immutable revision of the minutes.' });

export const RevisionListQuery = z.object({ ...pageQuery });

export type MinutesDraftContent = z.infer<typeof MinutesDraftContent>;
export type ApiMinutesDraft = z.infer<typeof MinutesDraft>;
export type ApiMinutesRevision = z.infer<typeof MinutesRevision>;
