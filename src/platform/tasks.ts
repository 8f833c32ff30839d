import type { FastifyBaseLogger } from 'fastify';
import type { Config } from '../config.js';
import type { Database } from './database.js';
import type { Metrics } from './metrics.js';

/** What a loop of the `worker` role is started with. */
export interface WorkerContext {
  config: Config;
  database: Database;
  log: FastifyBaseLogger;
  metrics: Metrics;
}

/** A loop of the `worker` role; stop() finishes or hands back the work in progress. */
export interface BackgroundTask {
  stop(): Promise<void>;
}
