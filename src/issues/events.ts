import { z } from 'zod';
import type { EventTypeDef } from '../events/types.js';
import { PersonSummary } from './meeting-context.js';
import { Issue, type ApiIssue } from './schemas.js';

const Change = z.object({ before: z.unknown(), after: z.unknown() });

export const IssueEventData = z.object({
  issue: Issue,
  owner: PersonSummary.nullable().describe('The owner’s name and e-mail, so a receiver can notify them without calling back.'),
});
export const IssueUpdatedData = IssueEventData.extend({
  changes: z.record(z.string(), Change).describe('Each changed field with its previous and new value.'),
});
export type IssueEventData = z.infer<typeof IssueEventData>;

const exampleIssue: ApiIssue = {
  id: '7d1c1a4e-3f4b-4c55-9a55-1f6f0f2a9c11',
  title: 'Confirm the shared budget line with Finance',
  description: 'Procurement needs the cost centre before the tender.',
  kind: 'action',
  priority: 'high',
  status: 'open',
  ownerId: '5b0a9d0e-6c1f-4bb4-8d1e-1f0a3c2b4d5e',
  departmentId: '2e4f6a8c-0b1d-4e3f-8a5b-7c9d1e3f5a7b',
  dueAt: '2026-03-10T17:00:00.000Z',
  overdue: false,
  resolution: null,
  resolvedAt: null,
  closedAt: null,
  meetingId: '9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
  agendaItemId: null,
  initiativeId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  followUpMeetingId: null,
  createdAt: '2026-03-01T10:15:00.000Z',
  updatedAt: '2026-03-01T10:15:00.000Z',
  version: 1,
};
const exampleOwner = { id: exampleIssue.ownerId!, name: 'Li Wei', email: 'li.wei@example.com', departmentId: exampleIssue.departmentId };

export const issueEventTypes: EventTypeDef[] = [
  {
    type: 'issue.opened',
    description: 'An open issue (question, action or risk) was raised, in a meeting or on its own.',
    data: IssueEventData,
    example: { issue: exampleIssue, owner: exampleOwner },
  },
  {
    type: 'issue.updated',
    description: 'An issue changed (fields, owner, due date, status, carry-over); `changes` holds the previous and new value of each changed field.',
    data: IssueUpdatedData,
    example: {
      issue: { ...exampleIssue, status: 'in_progress', dueAt: '2026-03-12T17:00:00.000Z', version: 2 },
      owner: exampleOwner,
      changes: { status: { before: 'open', after: 'in_progress' }, dueAt: { before: '2026-03-10T17:00:00.000Z', after: '2026-03-12T17:00:00.000Z' } },
    },
  },
  {
    type: 'issue.resolved',
    description: 'An issue was resolved, with its resolution (also reported as `issue.updated`).',
    data: IssueEventData,
    example: {
      issue: { ...exampleIssue, status: 'resolved', resolution: 'Cost centre 4711 agreed.', resolvedAt: '2026-03-05T09:00:00.000Z', version: 3 },
      owner: exampleOwner,
    },
  },
  {
    type: 'issue.overdue',
    description: 'An unresolved issue passed its due date. Emitted once per due date; moving `dueAt` re-arms it.',
    data: IssueEventData,
    example: { issue: { ...exampleIssue, overdue: true }, owner: exampleOwner },
  },
];
