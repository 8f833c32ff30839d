import { z } from 'zod';
import { Id, optionalText, resourceMeta, text } from '../platform/schemas.js';

export const agendaKinds = ['information', 'discussion', 'decision'] as const;
export const agendaStatuses = ['pending', 'discussed', 'deferred'] as const;
export const AgendaKind = z.enum(agendaKinds).meta({ id: 'AgendaKind' });
export const AgendaStatus = z.enum(agendaStatuses).meta({ id: 'AgendaStatus' });

const itemFields = {
  title: text(300),
  description: optionalText(5000),
  kind: AgendaKind.optional().describe('Defaults to `discussion`.'),
  ownerId: Id.nullable().optional().describe('Who leads the item.'),
  durationMinutes: z.number().int().min(1).max(1440).nullable().optional().describe('Time box in minutes.'),
  status: AgendaStatus.optional().describe('Defaults to `pending`.'),
};

export const NewAgendaItem = z
  .strictObject({
    ...itemFields,
    position: z.number().int().min(1).max(1000).optional().describe('1-based place to insert at (default: last). Ignored for items given inline with a new meeting, which take their array order.'),
  })
  .meta({ id: 'NewAgendaItem' });

export const AgendaItemPatch = z.strictObject(itemFields).partial().meta({ id: 'AgendaItemPatch' });

export const AgendaOrder = z
  .strictObject({ itemIds: z.array(Id).min(1).max(1000).describe('Every item of the agenda, each once, in the new order.') })
  .meta({ id: 'AgendaOrder' });

export const CarriedFrom = z
  .object({
    agendaItemId: Id.nullable().describe('The agenda item of an earlier meeting this one continues.'),
    issueId: Id.nullable().describe('The open issue this item was carried over for.'),
  })
  .meta({ id: 'CarriedFrom' });

export const AgendaItem = z
  .object({
    ...resourceMeta,
    meetingId: Id,
    position: z.number().int(),
    title: z.string(),
    description: z.string().nullable(),
    kind: AgendaKind,
    ownerId: Id.nullable(),
    durationMinutes: z.number().int().nullable(),
    status: AgendaStatus,
    carriedFrom: CarriedFrom.nullable(),
  })
  .meta({ id: 'AgendaItem' });

export type NewAgendaItem = z.infer<typeof NewAgendaItem>;
export type AgendaItemPatch = z.infer<typeof AgendaItemPatch>;
export type ApiAgendaItem = z.infer<typeof AgendaItem>;
