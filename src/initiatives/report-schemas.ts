import { z } from 'zod';
import { Id, Timestamp } from '../platform/schemas.js';
import { Goal, Initiative } from './schemas.js';

const PersonRef = z.object({ id: Id, name: z.string() }).meta({ id: 'PersonRef' });
const DepartmentRef = z.object({ id: Id, name: z.string(), code: z.string() }).meta({ id: 'DepartmentRef' });

export const ReportGoal = Goal.extend({
  trend: z
    .array(z.object({ value: z.number().nullable(), measuredAt: Timestamp }))
    .describe('The measurements taken in the period, oldest first (at most the last 50).'),
}).meta({ id: 'ReportGoal' });

export const ReportMeeting = z
  .object({
    id: Id,
    title: z.string(),
    startsAt: Timestamp,
    endsAt: Timestamp,
    status: z.string(),
    participants: z.number().int().describe('People invited.'),
    attended: z.number().int().describe('Participants recorded as attended.'),
    attendanceRate: z.number().min(0).max(1).nullable().describe('attended / participants; null without participants.'),
    materials: z.number().int(),
    materialsLate: z.number().int().describe('Materials shared after the meeting\'s `materialsDueAt`.'),
    materialsOnTime: z.boolean().nullable().describe('Every material went out by `materialsDueAt`; null when there is none.'),
  })
  .meta({ id: 'ReportMeeting' });

export const ReportIssue = z
  .object({
    id: Id,
    title: z.string(),
    status: z.string(),
    priority: z.string(),
    dueAt: Timestamp.nullable(),
    resolvedAt: Timestamp.nullable(),
    owner: PersonRef.nullable(),
    department: DepartmentRef.nullable(),
  })
  .meta({ id: 'ReportIssue' });

export const ReportDecision = z
  .object({ id: Id, title: z.string(), statement: z.string(), decidedAt: Timestamp, meetingId: Id })
  .meta({ id: 'ReportDecision' });

export const InitiativeReport = z
  .object({
    initiative: Initiative,
    sponsor: PersonRef.nullable(),
    owner: PersonRef.nullable(),
    from: Timestamp.nullable().describe('Start of the period (inclusive); null: since the beginning.'),
    to: Timestamp.describe('End of the period (exclusive) and the reference time for "overdue" and "coming" (default: now).'),
    goals: z.array(ReportGoal),
    meetings: z.object({
      held: z.array(ReportMeeting).describe('Meetings of the initiative that started in the period and are `in_progress` or `completed`, oldest first (at most 100).'),
      coming: z.array(ReportMeeting).describe('`draft` or `scheduled` meetings starting at or after `to`, soonest first (at most 20).'),
    }),
    decisionsInForce: z.array(ReportDecision).describe('Decisions of the initiative still `active`, decided before `to`, oldest first (at most 100).'),
    issues: z.object({
      overdue: z.array(ReportIssue).describe('Unresolved (`open`, `in_progress`, `blocked`) issues due before `to`, most overdue first.'),
      open: z.array(ReportIssue).describe('Other unresolved issues created before `to`, by due date (undated last).'),
      resolved: z.array(ReportIssue).describe('Issues resolved in the period, in order of resolution.'),
    }),
    counts: z
      .object({
        meetingsHeld: z.number().int(),
        meetingsComing: z.number().int(),
        decisionsInForce: z.number().int(),
        issuesOverdue: z.number().int(),
        issuesOpen: z.number().int(),
        issuesResolved: z.number().int(),
      })
      .describe('Full counts of each list above (the lists are capped at 100 entries, `coming` at 20). They include what the lists leave out for the caller: the meetings of visibility `participants` it may not see, their decisions and the issues raised in them.'),
    departmentsNeedingAttention: z
      .array(
        z.object({
          department: DepartmentRef,
          meetingsHeld: z.number().int(),
          meetingsMissed: z.number().int().describe('Held meetings of the period that no one of the department attended.'),
          overdueIssues: z.number().int().describe('Overdue issues the department owns.'),
        }),
      )
      .describe('Departments of the initiative that missed a held meeting, and any department owning an overdue issue of it; ordered by name.'),
    nextSteps: z.object({
      nextMeeting: ReportMeeting.nullable(),
      dueIssues: z.array(ReportIssue).describe('The five unresolved issues due soonest at or after `to`.'),
    }),
  })
  .meta({ id: 'InitiativeReport' });

export type InitiativeReport = z.infer<typeof InitiativeReport>;
export type ReportMeeting = z.infer<typeof ReportMeeting>;
export type ReportIssue = z.infer<typeof ReportIssue>;
