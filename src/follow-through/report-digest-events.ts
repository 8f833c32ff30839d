import { z } from 'zod';
import type { EventTypeDef } from '../events/types.js';
import { InitiativeReport } from '../initiatives/report-schemas.js';
import { firingFields } from './meeting-rule-events.js';

export const ReportReadyData = z.object({
  ...firingFields('reportDigest', "The initiative's sponsor (reason `sponsor`) and owner (reason `owner`), once each; their zone, else the organisation's, else the digest's."),
  timeZone: z.string().describe('The time zone of the digest\'s RRULE.'),
  report: InitiativeReport.describe('The leader report for the period since the previous digest moment (`report.from`) up to `dueAt` (`report.to`).'),
  markdown: z.string().describe('The same report as a Markdown page a chat or mail integration can post as it is.'),
});

const ids = {
  initiative: '5d2c1b0a-9e8f-4a7b-8c6d-5e4f3a2b1c0d',
  sponsor: '1f2e3d4c-5b6a-4978-8a9b-0c1d2e3f4a5b',
  owner: '6a1d9c0e-1b2c-4d3e-8f40-5a6b7c8d9e0f',
  department: '9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b',
  issue: '3c4d5e6f-7a8b-4c9d-8e0f-1a2b3c4d5e6f',
};
const issueExample = {
  id: ids.issue, title: 'Confirm the logistics budget', status: 'open', priority: 'high', dueAt: '2026-03-06T17:00:00.000Z', resolvedAt: null,
  owner: { id: ids.owner, name: 'Mei Chen' }, department: { id: ids.department, name: 'Logistics', code: 'LOG' },
};
const reportExample = {
  initiative: {
    id: ids.initiative, title: 'Q3 launch readiness', objective: 'Ship the Q3 launch with every department ready', sponsorId: ids.sponsor, ownerId: ids.owner,
    departmentIds: [ids.department], status: 'active', startDate: '2026-02-01', targetDate: '2026-06-30',
    createdAt: '2026-01-20T08:00:00.000Z', updatedAt: '2026-02-01T08:00:00.000Z', version: 2,
  },
  sponsor: { id: ids.sponsor, name: 'Jonas Weber' },
  owner: { id: ids.owner, name: 'Mei Chen' },
  from: '2026-02-23T08:00:00.000Z',
  to: '2026-03-02T08:00:00.000Z',
  goals: [],
  meetings: { held: [], coming: [] },
  decisionsInForce: [],
  issues: { overdue: [], open: [issueExample], resolved: [] },
  counts: { meetingsHeld: 0, meetingsComing: 0, decisionsInForce: 0, issuesOverdue: 0, issuesOpen: 1, issuesResolved: 0 },
  departmentsNeedingAttention: [],
  nextSteps: { nextMeeting: null, dueIssues: [issueExample] },
};

export const reportDigestEventTypes: EventTypeDef[] = [
  {
    type: 'initiative.report.ready',
    description:
      "The leader's digest of an active initiative (policy field `reportDigest`, by default Mondays 09:00 in the organisation's time zone): the initiative report as JSON and as Markdown, for its sponsor and owner. A moment missed while no worker ran is sent late (with `lateBy`) only if it is the latest one and less than a day old.",
    data: ReportReadyData,
    example: {
      rule: 'reportDigest', dueAt: '2026-03-02T08:00:00.000Z', firedAt: '2026-03-02T08:00:04.000Z', lateBy: 4, timeZone: 'Europe/Berlin',
      recipients: [
        { personId: ids.sponsor, name: 'Jonas Weber', email: 'jonas.weber@example.com', timeZone: 'Europe/Berlin', reason: 'sponsor' },
        { personId: ids.owner, name: 'Mei Chen', email: 'mei.chen@example.com', timeZone: 'Asia/Shanghai', reason: 'owner' },
      ],
      report: reportExample,
      markdown: '# Q3 launch readiness\n\n…',
    },
  },
];
