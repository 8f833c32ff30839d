import type { EventTypeDef } from '../events/types.js';

export const issueEventTypes: EventTypeDef[] = [];
