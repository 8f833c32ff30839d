import { z } from 'zod';
import { Id } from '../platform/schemas.js';

/**
 * Whom a follow-through event is for (SPEC §6), with what a chat or mail integration needs to
 * reach them without calling back. `timeZone` is the person's own, else the organisation's default.
 */
export const Recipient = z
  .object({
    personId: Id,
    name: z.string(),
    email: z.string(),
    timeZone: z.string().nullable().describe('IANA time zone to show times in; null when neither the person nor the organisation has one.'),
    reason: z.string().describe('Why this person receives it, e.g. `needs_action`, `organizer`, `owner`, `sponsor`, `note_taker`.'),
  })
  .meta({ id: 'FollowThroughRecipient' });
export type Recipient = z.infer<typeof Recipient>;
