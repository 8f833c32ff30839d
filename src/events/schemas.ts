import { z } from 'zod';
import { Id, Timestamp } from '../platform/schemas.js';
import { Actor } from '../access/schemas.js';

export const Event = z
  .object({
    id: Id.describe('Also the `webhook-id` of every delivery of this event.'),
    type: z.string(),
    timestamp: Timestamp.describe('When the change happened.'),
    data: z.record(z.string(), z.unknown()),
    actor: Actor.describe('Who made the change: the API key and the person it acted as (both null for the service itself). Webhook deliveries carry the same.'),
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
