import { z } from 'zod';
import { Id, optionalText, resourceMeta, text, Timestamp } from '../platform/schemas.js';
import { pageQuery } from '../platform/pagination.js';

export const issueKinds = ['question', 'action', 'risk'] as const;
export const issuePriorities = ['low', 'normal', 'high', 'urgent'] as const;
export const issueStatuses = ['open', 'in_progress', 'blocked', 'resolved', 'closed'] as const;
export const IssueKind = z.enum(issueKinds).meta({ id: 'IssueKind' });
export const IssuePriority = z.enum(issuePriorities).meta({ id: 'IssuePriority' });
export const IssueStatus = z.enum(issueStatuses).meta({ id: 'IssueStatus' });
export type IssueStatus = z.infer<typeof IssueStatus>;

const issueFields = {
  title: text(300),
  description: optionalText(20000),
  kind: IssueKind.optional().describe('Defaults to `action`.'),
  priority: IssuePriority.optional().describe('Defaults to `normal`.'),
  ownerId: Id.nullable().optional().describe('Who answers for it.'),
  departmentId: Id.nullable().optional().describe("Defaults to the owner's department."),
  dueAt: Timestamp.nullable().optional().describe('The follow-up date; `issue.overdue` is emitted once when it passes unresolved.'),
  initiativeId: Id.nullable().optional().describe("Defaults to the meeting's initiative."),
  agendaItemId: Id.nullable().optional().describe('An agenda item of the issue’s meeting.'),
};

export const NewMeetingIssue = z.strictObject(issueFields).meta({ id: 'NewMeetingIssue' });
export const NewIssue = z
  .strictObject({ ...issueFields, meetingId: Id.nullable().optional().describe('The meeting the issue was raised in.') })
  .meta({ id: 'NewIssue' });

export const IssuePatch = z
  .strictObject({
    ...issueFields,
    status: IssueStatus.describe(
      'Lifecycle: `open → in_progress | resolved`, `in_progress ⇄ blocked`, `in_progress | blocked → resolved`, `resolved → closed | open` (re-open). Other changes are 409.',
    ),
    resolution: optionalText(10000).describe('Required to resolve; cleared when the issue is re-opened.'),
  })
  .partial()
  .meta({ id: 'IssuePatch' });

export const Issue = z
  .object({
    ...resourceMeta,
    title: z.string(),
    description: z.string().nullable(),
    kind: IssueKind,
    priority: IssuePriority,
    status: IssueStatus,
    ownerId: Id.nullable(),
    departmentId: Id.nullable(),
    dueAt: Timestamp.nullable(),
    overdue: z.boolean().describe('Past `dueAt` and not resolved or closed.'),
    resolution: z.string().nullable(),
    resolvedAt: Timestamp.nullable(),
    closedAt: Timestamp.nullable(),
    meetingId: Id.nullable(),
    agendaItemId: Id.nullable(),
    initiativeId: Id.nullable(),
    followUpMeetingId: Id.nullable().describe('The meeting this issue was last carried over to.'),
  })
  .meta({ id: 'Issue' });

export const IssueListQuery = z.object({
  ...pageQuery,
  status: z
    .string()
    .max(200)
    .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean))
    .pipe(z.array(IssueStatus).max(5))
    .optional()
    .describe('One status or several, comma-separated.'),
  ownerId: Id.optional(),
  departmentId: Id.optional(),
  initiativeId: Id.optional(),
  meetingId: Id.optional(),
  overdue: z.stringbool().optional().describe('`true`: only overdue issues; `false`: only issues that are not.'),
  dueBefore: Timestamp.optional().describe('Only issues due before this time.'),
});

export type NewIssue = z.infer<typeof NewIssue>;
export type IssuePatch = z.infer<typeof IssuePatch>;
export type ApiIssue = z.infer<typeof Issue>;
export type IssueListQuery = z.infer<typeof IssueListQuery>;
