import type { EventTypeDef } from '../events/types.js';

export const meetingEventTypes: EventTypeDef[] = [];
