import { z } from 'zod';
import { DateOnly, Id, Timestamp } from '../platform/schemas.js';

/** `from`/`to` accept a timestamp or a date (a date means 00:00 UTC of that day). */
export const PeriodBound = z.union([Timestamp, DateOnly]);
/** A date alone means midnight UTC, so `from=2026-01-01&to=2026-04-01` is the first quarter. */
export const periodBound = (v: string) => new Date(v.length === 10 ? `${v}T00:00:00Z` : v);

const rate = (what: string) => z.number().min(0).max(1).nullable().describe(`${what} A fraction from 0 to 1; null when there is nothing to measure.`);
const count = (what: string) => z.number().int().min(0).describe(what);
const hours = (what: string) => z.number().nullable().describe(`${what} In hours; null when there is nothing to measure.`);

// Shared definitions. The meetings of the report are the organisation's meetings whose `startsAt`
// lies in [from, to) (and, with `initiativeId`, belong to that initiative). A meeting is *held* when
// its status is `in_progress` or `completed`. For a department (byDepartment, or the `departmentId`
// filter) the meetings are those with at least one participant who belongs to the department.
export const figureFields = {
  meetingsHeld: count('Meetings of the period whose status is `in_progress` or `completed`.'),
  meetingsCancelled: count('Meetings of the period whose status is `cancelled`.'),
  attendanceRate: rate(
    'Participants of the held meetings (for a department: its people among them) with `attended = true`, divided by all those participants (attendance not recorded counts as absent).',
  ),
  rsvpResponseRate: rate(
    'Participants of the period\'s meetings that are not cancelled and whose invitations were sent (`invitationsSentAt` set), counting those whose `response` is no longer `needs_action`, divided by all such participants (for a department: its people).',
  ),
  medianInvitationLeadHours: hours(
    'Median over the period\'s meetings that are not cancelled and whose invitations were sent of `startsAt − invitationsSentAt` (the latest sending); negative when sent after the start.',
  ),
  materialsOnTimeRate: rate(
    'Materials of the period\'s meetings that are not cancelled, counting those not `late` (shared at or before the meeting\'s `materialsDueAt`), divided by all those materials.',
  ),
  requiredMaterialsAcknowledgedRate: rate(
    'Pairs (required material of a held meeting, participant of that meeting — for a department its people) where the participant acknowledged some version of the material before the meeting\'s `startsAt`, divided by all such pairs.',
  ),
  agendaItemsDiscussed: count('Agenda items of the held meetings whose status is `discussed`.'),
  agendaItemsDeferred: count('Agenda items of the held meetings whose status is `deferred`.'),
  decisionsPerMeeting: z
    .number()
    .min(0)
    .nullable()
    .describe('Decisions recorded in the held meetings (whatever their status now) divided by `meetingsHeld`; null when no meeting was held.'),
  issuesOpened: count(
    'Issues created in [from, to) (with `initiativeId`: issues of that initiative; for a department: issues whose `departmentId` is the department).',
  ),
  issuesResolved: count('The same issues, counting those whose `resolvedAt` lies in [from, to).'),
  issuesOverdue: count(
    'The same issues, counting those whose `dueAt` lies in [from, min(to, now)) and that were neither resolved nor closed by then (still open, or resolved/closed after `dueAt`).',
  ),
  medianHoursToResolve: hours('Median of `resolvedAt − createdAt` over the issues resolved in [from, to).'),
  averageFeedbackRating: z
    .number()
    .min(1)
    .max(5)
    .nullable()
    .describe('Mean `rating` (1–5) of the feedback on the held meetings (for a department: feedback its people gave); null when there is none.'),
};

export const DepartmentEffectiveness = z
  .object({
    departmentId: Id,
    name: z.string(),
    code: z.string(),
    ...figureFields,
  })
  .meta({ id: 'DepartmentEffectiveness' });

export const EffectivenessReport = z
  .object({
    from: Timestamp.describe('Start of the period (inclusive).'),
    to: Timestamp.describe('End of the period (exclusive).'),
    initiativeId: Id.nullable(),
    departmentId: Id.nullable().describe('When given, the top-level figures are this department\'s (as in its `byDepartment` entry).'),
    ...figureFields,
    byDepartment: z
      .array(DepartmentEffectiveness)
      .describe(
        'The same figures per department (a person belongs to their current `departmentId`), for every department with a meeting of the period or an issue counted above, plus the initiative\'s departments with `initiativeId`; ordered by name. With `departmentId`, only that department.',
      ),
  })
  .meta({
    id: 'EffectivenessReport',
    description:
      'How well cross-department communication worked over a period. Meetings of the report: the organisation\'s meetings whose `startsAt` lies in [from, to), with `initiativeId` only that initiative\'s; a meeting is held when `in_progress` or `completed`. All figures reflect the records\' current state (attendance, responses, statuses).',
  });

export type Figures = { [K in keyof typeof figureFields]: z.infer<(typeof figureFields)[K]> };
