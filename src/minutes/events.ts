import type { EventTypeDef } from '../events/types.js';
import { MinutesRevision, type ApiMinutesRevision } from './schemas.js';

const person = (id: string, name: string, email: string) => ({ id, name, email, departmentId: '2e4f6a8c-0b1d-4e3f-8a5b-7c9d1e3f5a7b' });
const mei = person('6a1d9c0e-1b2c-4d3e-8f40-5a6b7c8d9e0f', 'Mei Chen', 'mei.chen@example.com');
const li = person('5b0a9d0e-6c1f-4bb4-8d1e-1f0a3c2b4d5e', 'Li Wei', 'li.wei@example.com');

const example: ApiMinutesRevision = {
  meetingId: '0b5f3c1e-7d0a-4f62-9a57-2f1d6c0e4a11',
  revision: 2,
  version: 2,
  publishedAt: '2026-03-02T11:00:00.000Z',
  meeting: {
    id: '0b5f3c1e-7d0a-4f62-9a57-2f1d6c0e4a11', title: '跨部门协调会', startsAt: '2026-03-02T09:00:00.000Z', endsAt: '2026-03-02T10:00:00.000Z',
    timeZone: 'Asia/Shanghai', status: 'completed', initiativeId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  },
  summary: '## Outcome\nHR and IT share the onboarding budget; Finance confirms the cost centre.',
  attendance: [{ ...mei, role: 'chair', present: true }, { ...li, role: 'required', present: true }],
  acknowledgements: [{ personId: li.id, name: li.name, note: 'Thanks for the cost breakdown.' }],
  decisions: [{
    id: '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98', title: 'Shared onboarding budget', statement: 'HR and IT share the 2026 onboarding budget 60/40.',
    rationale: 'IT carries the laptop costs.', status: 'active', decidedAt: '2026-03-02T09:40:00.000Z', agendaItemId: null, supersedesId: null,
    supporters: [mei], objections: [{ personId: li.id, note: 'Prefers 50/50.', name: li.name, email: li.email }], version: 1,
  }],
  issues: [{
    id: '7d1c1a4e-3f4b-4c55-9a55-1f6f0f2a9c11', title: 'Confirm the cost centre', description: null, kind: 'action', priority: 'high',
    status: 'open', dueAt: '2026-03-10T17:00:00.000Z', resolution: null, owner: li, department: { id: li.departmentId, name: 'Finance' },
    agendaItemId: null, version: 1,
  }],
  changedFields: ['summary'],
};

export const minutesEventTypes: EventTypeDef[] = [
  {
    type: 'minutes.published',
    description:
      'A revision of a meeting’s minutes was published. Carries the whole revision: summary, attendance, acknowledgements, decisions and issues with owners (names, e-mails) and due dates, so a receiver can post it without calling back. `revision` counts up; `changedFields` says what differs from the previous one.',
    data: MinutesRevision,
    example,
  },
];
