import { z } from 'zod';
import type { EventTypeDef } from '../events/types.js';
import { PersonSummary } from '../issues/meeting-context.js';
import { Issue } from '../issues/schemas.js';
import { Id } from '../platform/schemas.js';
import { firingFields } from './meeting-rule-events.js';

// The follow-through events about issues (SPEC §6): the issue with its owner and due date, so a
// chat or mail integration posts it without calling back.

export const IssueDueSoonData = z.object({
  ...firingFields('issueDueSoonHours', 'The issue\'s owner (reason `owner`).'),
  hoursBefore: z.number().int().describe('The offset of the policy this moment is for: hours before `issue.dueAt`.'),
  issue: Issue,
  owner: PersonSummary.nullable(),
});

export const IssueEscalatedData = z.object({
  ...firingFields(
    'issueEscalationHours',
    "The initiative's sponsor (reason `sponsor`) and owner (reason `initiative_owner`); for an issue without an initiative, the lead of the owner's department (else of the issue's department; reason `department_lead`).",
  ),
  hoursOverdue: z.number().int().describe('The policy\'s hours after `issue.dueAt`.'),
  issue: Issue,
  owner: PersonSummary.nullable(),
  initiative: z.object({ id: Id, title: z.string() }).nullable().describe('The initiative the issue belongs to, if any.'),
});

const ids = {
  issue: '7d1c1a4e-3f4b-4c55-9a55-1f6f0f2a9c11',
  owner: '5b0a9d0e-6c1f-4bb4-8d1e-1f0a3c2b4d5e',
  department: '2e4f6a8c-0b1d-4e3f-8a5b-7c9d1e3f5a7b',
  initiative: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  sponsor: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
  meeting: '9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
};
const issueExample = {
  id: ids.issue, title: 'Confirm the shared budget line with Finance', description: 'Procurement needs the cost centre before the tender.', kind: 'action', priority: 'high',
  status: 'open', ownerId: ids.owner, departmentId: ids.department, dueAt: '2026-03-10T17:00:00.000Z', overdue: false, resolution: null, resolvedAt: null, closedAt: null,
  meetingId: ids.meeting, agendaItemId: null, initiativeId: ids.initiative, followUpMeetingId: null,
  createdAt: '2026-03-01T10:15:00.000Z', updatedAt: '2026-03-01T10:15:00.000Z', version: 1,
};
const owner = { id: ids.owner, name: 'Li Wei', email: 'li.wei@example.com', departmentId: ids.department };

export const issueRuleEventTypes: EventTypeDef[] = [
  {
    type: 'issue.due_soon',
    description: 'An unresolved issue is due soon (policy field `issueDueSoonHours`, by default 48 h before `dueAt`), to its owner. Not sent once the due time has passed (`issue.overdue` follows); moving `dueAt` plans it anew.',
    data: IssueDueSoonData,
    example: {
      rule: 'issueDueSoonHours', dueAt: '2026-03-08T17:00:00.000Z', firedAt: '2026-03-08T17:00:03.000Z', lateBy: 3,
      recipients: [{ personId: ids.owner, name: owner.name, email: owner.email, timeZone: 'Asia/Shanghai', reason: 'owner' }], hoursBefore: 48, issue: issueExample, owner,
    },
  },
  {
    type: 'issue.escalated',
    description:
      "An issue is still unresolved well after its due time (policy field `issueEscalationHours`, by default 72 h after `dueAt`): escalated to the initiative's sponsor and owner, or without an initiative to the owner's department lead. Sent late after an outage too, up to a day after its moment.",
    data: IssueEscalatedData,
    example: {
      rule: 'issueEscalationHours', dueAt: '2026-03-13T17:00:00.000Z', firedAt: '2026-03-13T17:00:02.000Z', lateBy: 2,
      recipients: [{ personId: ids.sponsor, name: 'Jonas Weber', email: 'jonas.weber@example.com', timeZone: 'Europe/Berlin', reason: 'sponsor' }],
      hoursOverdue: 72, issue: { ...issueExample, overdue: true }, owner, initiative: { id: ids.initiative, title: 'Q3 launch readiness' },
    },
  },
];
