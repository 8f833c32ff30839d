import { z } from 'zod';
import { Id, optionalText, resourceMeta } from '../platform/schemas.js';
import { pageQuery } from '../platform/pagination.js';

export const NewFeedback = z
  .strictObject({
    personId: Id.describe('A participant of the meeting.'),
    rating: z.number().int().min(1).max(5).describe('1 (poor) to 5 (excellent).'),
    comment: optionalText(5000),
  })
  .meta({ id: 'NewFeedback' });

export const Feedback = z
  .object({
    ...resourceMeta,
    meetingId: Id,
    personId: Id,
    rating: z.number().int(),
    comment: z.string().nullable(),
  })
  .meta({ id: 'Feedback' });

export const FeedbackListQuery = z.object({ ...pageQuery });

export type NewFeedback = z.infer<typeof NewFeedback>;
