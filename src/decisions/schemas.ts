import { z } from 'zod';
import { Id, optionalText, resourceMeta, text, Timestamp } from '../platform/schemas.js';
import { pageQuery } from '../platform/pagination.js';

export const decisionStatuses = ['active', 'superseded', 'revoked'] as const;
export const DecisionStatus = z.enum(decisionStatuses).meta({ id: 'DecisionStatus' });

export const Objection = z
  .object({ personId: Id, note: z.string().max(2000).nullable() })
  .meta({ id: 'Objection' });
const NewObjection = z.strictObject({ personId: Id, note: optionalText(2000) });

const decisionFields = {
  title: text(300),
  statement: text(10000).describe('What was decided.'),
  rationale: optionalText(10000).describe('Why.'),
  agendaItemId: Id.nullable().optional().describe('An agenda item of the same meeting.'),
  decidedAt: Timestamp.optional().describe('Defaults to now.'),
  supporters: z.array(Id).max(200).optional().describe('Participants of the meeting who support it.'),
  objections: z.array(NewObjection).max(200).optional().describe('Participants of the meeting who object, with their reason.'),
};

export const NewDecision = z
  .strictObject({
    ...decisionFields,
    supersedesId: Id.nullable().optional().describe('An active decision (of any meeting) this one replaces; it becomes `superseded`.'),
  })
  .meta({ id: 'NewDecision' });

export const DecisionPatch = z
  .strictObject({
    ...decisionFields,
    supersedesId: Id.optional().describe('Make this decision replace an active one (only while it replaces none).'),
    status: z.literal('revoked').optional().describe('Revoke the decision; needs `reason`. Superseding happens through `supersedesId`.'),
    reason: z.string().trim().min(1).max(2000).optional().describe('Why the decision is revoked (with `status: revoked`).'),
  })
  .partial()
  .meta({ id: 'DecisionPatch' });

export const Decision = z
  .object({
    ...resourceMeta,
    meetingId: Id,
    agendaItemId: Id.nullable(),
    initiativeId: Id.nullable(),
    title: z.string(),
    statement: z.string(),
    rationale: z.string().nullable(),
    decidedAt: Timestamp,
    supporters: z.array(Id),
    objections: z.array(Objection),
    status: DecisionStatus,
    supersedesId: Id.nullable(),
    supersededById: Id.nullable(),
    revocationReason: z.string().nullable(),
    revokedAt: Timestamp.nullable(),
  })
  .meta({ id: 'Decision' });

export const DecisionListQuery = z.object({
  ...pageQuery,
  meetingId: Id.optional(),
  initiativeId: Id.optional(),
  status: DecisionStatus.optional(),
});

export type NewDecision = z.infer<typeof NewDecision>;
export type DecisionPatch = z.infer<typeof DecisionPatch>;
export type ApiDecision = z.infer<typeof Decision>;
export type DecisionListQuery = z.infer<typeof DecisionListQuery>;
