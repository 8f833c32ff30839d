import type { z } from 'zod';

/** One entry of the event catalogue: served by GET /v1/event-types and the OpenAPI `webhooks`. */
export interface EventTypeDef {
  type: string;
  description: string;
  /** The JSON shape of the event's `data`; payload builders produce exactly this. */
  data: z.ZodType;
  example: Record<string, unknown>;
}
