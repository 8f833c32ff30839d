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
