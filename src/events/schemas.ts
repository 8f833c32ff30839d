import { z } from 'zod';
import { Id, Timestamp } from '../platform/schemas.js';

export const Event = z
  .object({
    id: Id.describe('Also the `webhook-id` of every delivery of this event.'),
    type: z.string(),
    timestamp: Timestamp.describe('When the change happened.'),
    data: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'Event' });

export const EventType = z
  .object({
    type: z.string(),
    description: z.string(),
    schema: z.record(z.string(), z.unknown()).describe('JSON Schema (2020-12) of the event’s `data`.'),
    example: z.record(z.string(), z.unknown()).describe('An example `data`.'),
  })
  .meta({ id: 'EventType' });
