export * from './platform.js';
export * from './directory.js';
export * from './initiatives.js';
export * from './meetings.js';
export * from './materials.js';
export * from './outcomes.js';
export * from './webhooks.js';
export * from './streams.js';
