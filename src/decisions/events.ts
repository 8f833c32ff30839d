import { z } from 'zod';
import type { EventTypeDef } from '../events/types.js';
import { Decision, type ApiDecision } from './schemas.js';

const Change = z.object({ before: z.unknown(), after: z.unknown() });

export const DecisionEventData = z.object({ decision: Decision });
export const DecisionSupersededData = z.object({
  decision: Decision.describe('The older decision, now `superseded`.'),
  supersededBy: Decision.describe('The decision that replaces it.'),
});
export const DecisionUpdatedData = z.object({
  decision: Decision,
  changes: z.record(z.string(), Change).describe('Each changed field with its previous and new value.'),
});

const example: ApiDecision = {
  id: '3c2b1a09-8f7e-4d6c-9b5a-4e3d2c1b0a98',
  meetingId: '9c8b7a6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d',
  agendaItemId: '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
  initiativeId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
  title: 'Shared onboarding budget',
  statement: 'HR and IT share the 2026 onboarding budget 60/40.',
  rationale: 'IT carries the laptop costs.',
  decidedAt: '2026-03-01T10:40:00.000Z',
  supporters: ['5b0a9d0e-6c1f-4bb4-8d1e-1f0a3c2b4d5e'],
  objections: [{ personId: '6c1b0e1f-7d2a-4cc5-9e2f-2a1b4d3c5e6f', note: 'Prefers 50/50.' }],
  status: 'active',
  supersedesId: null,
  supersededById: null,
  revocationReason: null,
  revokedAt: null,
  createdAt: '2026-03-01T10:41:00.000Z',
  updatedAt: '2026-03-01T10:41:00.000Z',
  version: 1,
};
const older: ApiDecision = {
  ...example,
  id: '7e6d5c4b-3a29-4180-9f7e-6d5c4b3a2918',
  meetingId: '2b3c4d5e-6f70-4a81-9b2c-3d4e5f607182',
  statement: 'HR carries the 2026 onboarding budget.',
  status: 'superseded',
  supersededById: example.id,
  version: 2,
};

export const decisionEventTypes: EventTypeDef[] = [
  {
    type: 'decision.recorded',
    description: 'A decision was recorded in a meeting, with its supporters and objections.',
    data: DecisionEventData,
    example: { decision: { ...example, supersedesId: older.id } },
  },
  {
    type: 'decision.superseded',
    description: 'A newer decision replaced an older one, which is now `superseded`.',
    data: DecisionSupersededData,
    example: { decision: older, supersededBy: { ...example, supersedesId: older.id } },
  },
  {
    type: 'decision.updated',
    description: 'An active decision was edited (or revoked); `changes` holds the previous and new value of each changed field.',
    data: DecisionUpdatedData,
    example: { decision: { ...example, rationale: 'IT carries the laptop and licence costs.', version: 2 }, changes: { rationale: { before: example.rationale, after: 'IT carries the laptop and licence costs.' } } },
  },
  {
    type: 'decision.revoked',
    description: 'A decision was revoked, with the reason.',
    data: DecisionEventData,
    example: { decision: { ...example, status: 'revoked', revocationReason: 'The budget was frozen.', revokedAt: '2026-04-02T08:00:00.000Z', version: 2 } },
  },
];
