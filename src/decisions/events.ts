import type { EventTypeDef } from '../events/types.js';

export const decisionEventTypes: EventTypeDef[] = [];
