import { z } from 'zod';
import type { EventTypeDef } from '../events/types.js';

/** The endpoint as events describe it (never with its secret). */
export const WebhookSummary = z
  .object({
    id: z.uuid(),
    url: z.string(),
    description: z.string().nullable(),
    eventTypes: z.array(z.string()),
    enabled: z.boolean(),
    version: z.number().int(),
  })
  .meta({ id: 'WebhookSummary' });

const exampleWebhook = {
  id: '5b0e6a4e-3f43-4c1b-9a47-0d3f2f7c9a10',
  url: 'https://hooks.example.com/liaison',
  description: 'Chat bot',
  eventTypes: ['meeting.*', 'minutes.published'],
  enabled: true,
  version: 3,
};

const WebhookTestData = z.object({ webhook: WebhookSummary, message: z.string() });
const WebhookFailingData = z.object({
  webhook: WebhookSummary,
  deliveryId: z.uuid(),
  eventId: z.uuid(),
  eventType: z.string(),
  attempts: z.number().int(),
  lastResponseStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  nextAttemptAt: z.iso.datetime({ offset: true }).nullable(),
});
const WebhookDisabledData = z.object({ webhook: WebhookSummary, reason: z.string() });

export const webhookEventTypes: EventTypeDef[] = [
  {
    type: 'webhook.test',
    description: 'Sent by `POST /v1/webhooks/{webhookId}/test` to that endpoint only, to check that it receives and verifies deliveries.',
    data: WebhookTestData,
    example: { webhook: exampleWebhook, message: 'This is a test delivery from Liaison.' },
  },
  {
    type: 'webhook.failing',
    description: "An endpoint's delivery of one event has failed 4 attempts; sent to the organisation's other endpoints subscribed to it.",
    data: WebhookFailingData,
    example: {
      webhook: exampleWebhook,
      deliveryId: '0c1f7f0e-7d5e-4a8e-9d6c-5a1b2c3d4e5f',
      eventId: '9d9c2b1a-8e7f-4d6c-b5a4-3f2e1d0c9b8a',
      eventType: 'meeting.cancelled',
      attempts: 4,
      lastResponseStatus: 502,
      lastError: 'receiver responded with HTTP 502',
      nextAttemptAt: '2026-03-01T11:30:00.000Z',
    },
  },
  {
    type: 'webhook.disabled',
    description: "Liaison disabled an endpoint (it answered 410 Gone, or had no success for 5 days); sent to the organisation's other endpoints subscribed to it. Events for it are kept as skipped deliveries that `replay` recovers.",
    data: WebhookDisabledData,
    example: { webhook: { ...exampleWebhook, enabled: false, version: 4 }, reason: 'The endpoint answered 410 Gone.' },
  },
];

/** Operational events go to the organisation's other endpoints, never to the one they are about. */
export const TARGETED_EVENT_TYPES = new Set(['webhook.failing', 'webhook.disabled']);
