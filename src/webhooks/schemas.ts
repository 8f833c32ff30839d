import { z } from 'zod';
import { Id, resourceMeta, Timestamp } from '../platform/schemas.js';

const eventTypePattern = z
  .string()
  .max(200)
  .describe('An event type (`meeting.cancelled`), a wildcard over a prefix (`meeting.*`), or `*` for every type.');

const webhookFields = {
  // Not trimmed: whitespace or control characters anywhere in a URL are refused (see ssrf.ts).
  url: z
    .string()
    .min(1)
    .max(2000)
    .describe(
      'http(s) URL that receives the POSTs, stored normalised (lower-case host, IDN as punycode, default port dropped). Refused: private, loopback and other non-global addresses, user info, and raw whitespace or control characters.',
    ),
  description: z.string().max(1000).nullable().optional(),
  eventTypes: z.array(eventTypePattern).min(1).max(100),
  enabled: z.boolean().optional(),
  includeConfidential: z
    .boolean()
    .optional()
    .describe(
      'Also deliver events about confidential meetings (visibility `participants`, SPEC §8); default false. Setting it to true needs scope `confidential` of a key acting as itself (403 otherwise), as does changing the URL of an endpoint that has it.',
    ),
};

export const NewWebhook = z.strictObject(webhookFields).meta({ id: 'NewWebhook' });
export const WebhookPatch = z.strictObject(webhookFields).partial().meta({ id: 'WebhookPatch' });

const webhookShape = {
  ...resourceMeta,
  url: z.string(),
  description: z.string().nullable(),
  eventTypes: z.array(z.string()),
  enabled: z.boolean(),
  includeConfidential: z.boolean().describe('Whether events about confidential meetings are delivered to it.'),
  disabledReason: z.string().nullable().describe('Why the endpoint was disabled, when Liaison disabled it.'),
  previousSecretExpiresAt: Timestamp.nullable().describe('Until then the previous secret also signs every delivery.'),
  lastSuccessAt: Timestamp.nullable(),
};

export const Webhook = z.object(webhookShape).meta({ id: 'Webhook' });
export const WebhookWithSecret = z
  .object({ ...webhookShape, secret: z.string().describe('`whsec_…`: shown only in this answer; verify deliveries with it.') })
  .meta({ id: 'WebhookWithSecret' });

export const RotateSecret = z
  .strictObject({
    overlapSeconds: z
      .number()
      .int()
      .min(0)
      .max(7 * 86400)
      .default(86400)
      .describe('How long the previous secret keeps signing beside the new one (default 24 h, at most 7 days).'),
  })
  .meta({ id: 'RotateSecret' });

export const DeliveryStatus = z.enum(['pending', 'succeeded', 'failed', 'skipped']).meta({ id: 'DeliveryStatus' });
export const ErrorClass = z.enum(['dns', 'connect', 'tls', 'timeout', 'blocked', 'http']).meta({ id: 'DeliveryErrorClass' });

export const DeliveryAttempt = z
  .object({
    number: z.number().int().min(1),
    attemptedAt: Timestamp,
    responseStatus: z.number().int().nullable(),
    durationMs: z.number().int(),
    responseBody: z.string().describe('The first 1 KiB of the response body.'),
    errorClass: ErrorClass.nullable(),
    error: z.string().nullable(),
    nextAttemptAt: Timestamp.nullable().describe('When the next attempt was scheduled after this one, if any.'),
  })
  .meta({ id: 'DeliveryAttempt' });

export const Delivery = z
  .object({
    id: Id,
    webhookId: Id,
    eventId: Id.describe('Also the `webhook-id` header of every attempt.'),
    eventType: z.string(),
    status: DeliveryStatus,
    attemptCount: z.number().int().describe('Attempts made so far, across retries and replays.'),
    nextAttemptAt: Timestamp.nullable(),
    lastAttemptAt: Timestamp.nullable(),
    lastResponseStatus: z.number().int().nullable(),
    lastError: z.string().nullable(),
    attempts: z.array(DeliveryAttempt),
    createdAt: Timestamp,
    updatedAt: Timestamp,
  })
  .meta({ id: 'Delivery' });

export const Replay = z
  .strictObject({
    since: Timestamp,
    until: Timestamp.optional(),
    types: z.array(eventTypePattern).max(100).optional().describe('Only these event types (default: every type the endpoint subscribes to).'),
    all: z.boolean().default(false).describe('Also re-send events that were delivered; by default only failed and skipped ones.'),
  })
  .meta({ id: 'Replay' });

export const ReplayResult = z
  .object({
    queued: z.number().int().describe('Deliveries queued to be sent again.'),
    capped: z.boolean().describe('True when more matched than one replay queues; replay again from the last event.'),
  })
  .meta({ id: 'ReplayResult' });

export type NewWebhook = z.infer<typeof NewWebhook>;
export type WebhookPatch = z.infer<typeof WebhookPatch>;
export type Replay = z.infer<typeof Replay>;
