import type { EventTypeDef } from './types.js';
import { meetingEventTypes } from '../meetings/events.js';
import { materialEventTypes } from '../materials/events.js';
import { minutesEventTypes } from '../minutes/events.js';
import { decisionEventTypes } from '../decisions/events.js';
import { issueEventTypes } from '../issues/events.js';
import { webhookEventTypes } from '../webhooks/events.js';

/** Every event type Liaison emits; each module declares its own. */
export const eventCatalogue: EventTypeDef[] = [
  ...meetingEventTypes,
  ...materialEventTypes,
  ...minutesEventTypes,
  ...decisionEventTypes,
  ...issueEventTypes,
  ...webhookEventTypes,
];

export const eventTypeNames = new Set(eventCatalogue.map((e) => e.type));
