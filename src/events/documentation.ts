import { z } from 'zod';
import type { DocumentExtension } from '../platform/openapi.js';
import { eventCatalogue } from './catalogue.js';

type JsonSchema = Record<string, unknown>;

/** The JSON Schema of an event's `data`, self-contained (shared shapes under `$defs`). */
function dataSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io: 'output', unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

let cached: { type: string; description: string; schema: JsonSchema; example: Record<string, unknown> }[] | null = null;

/** GET /v1/event-types: each type with its description, the JSON Schema of `data` and an example. */
export function eventTypeList() {
  cached ??= eventCatalogue.map((def) => ({ type: def.type, description: def.description, schema: dataSchema(def.data), example: def.example }));
  return cached;
}

// The event type in camelCase (`meeting.invitation.sent` → `meetingInvitationSent`). No `Webhook`
// suffix: generators add their own (hey-api names the body type `…WebhookRequest`).
const operationId = (type: string) => type.replace(/[._-](\w)/g, (_m, c: string) => c.toUpperCase());

// The envelope's `actor`, as in the event log (the Actor component).
const actorSchema = { $ref: '#/components/schemas/Actor' };
const actorExample = { keyId: '0b7c4a52-3f1e-4a9b-9d2c-6e8f1a2b3c4d', personId: '5d6e7f80-1a2b-4c3d-8e9f-0a1b2c3d4e5f' };

const signatureHeaders = [
  { name: 'webhook-id', in: 'header', required: true, description: 'The event id: the same for every retry and replay of this event.', schema: { type: 'string', format: 'uuid' } },
  { name: 'webhook-timestamp', in: 'header', required: true, description: 'Unix seconds when this attempt was signed.', schema: { type: 'string' } },
  { name: 'webhook-signature', in: 'header', required: true, description: 'Space-separated `v1,<base64 HMAC-SHA256 of id.timestamp.body>`, one per active secret (Standard Webhooks).', schema: { type: 'string' } },
];

/**
 * Adds the top-level `webhooks` map of the OpenAPI document: one POST per catalogue event type,
 * its body the delivery envelope around that type's `data`. Shared shapes point at
 * `#/components/schemas` (every shape with an id is a component there).
 */
export const addEventWebhooks: DocumentExtension = (doc) => {
  const components = ((doc.components ??= {}) as { schemas?: Record<string, unknown> });
  const schemas = (components.schemas ??= {});
  const toComponents = (v: unknown) => JSON.parse(JSON.stringify(v).replace(/"#\/\$defs\//g, '"#/components/schemas/')) as JsonSchema;
  const webhooks: Record<string, unknown> = {};
  for (const def of eventCatalogue) {
    const { $defs, ...data } = dataSchema(def.data) as JsonSchema & { $defs?: Record<string, unknown> };
    for (const [id, shape] of Object.entries($defs ?? {})) schemas[id] ??= toComponents(shape);
    webhooks[def.type] = {
      post: {
        operationId: operationId(def.type),
        tags: ['Webhook events'],
        summary: def.type,
        description: def.description,
        parameters: signatureHeaders,
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['type', 'timestamp', 'data', 'actor'],
                properties: {
                  type: { type: 'string', const: def.type },
                  timestamp: { type: 'string', format: 'date-time', description: 'When the change happened.' },
                  data: toComponents(data),
                  actor: actorSchema,
                },
              },
              example: { type: def.type, timestamp: '2026-03-01T09:00:00.000Z', data: def.example, actor: actorExample },
            },
          },
        },
        responses: {
          '200': { description: 'Any 2xx acknowledges the delivery; anything else (or no answer within the time-out) is retried. 410 disables the endpoint.' },
        },
      },
    };
  }
  doc.webhooks = webhooks;
};
