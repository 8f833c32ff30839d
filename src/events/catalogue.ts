import type { EventTypeDef } from './types.js';

/**
 * Every event type Liaison emits. Each feature declares its own (meetings/events.ts, …) and the
 * process registers them when it is composed (app.ts), so the event log imports no feature.
 * Both views are live: they hold what has been registered so far.
 */
export const eventCatalogue: EventTypeDef[] = [];
export const eventTypeNames = new Set<string>();

/** Adds event types in the order given (the order of GET /v1/event-types and the OpenAPI `webhooks`). */
export function registerEventTypes(...groups: EventTypeDef[][]) {
  for (const def of groups.flat()) {
    if (eventTypeNames.has(def.type)) continue;
    eventCatalogue.push(def);
    eventTypeNames.add(def.type);
  }
}
