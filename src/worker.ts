import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Database } from './platform/database.js';
import type { Metrics } from './platform/metrics.js';

export interface Workers {
  stop(): Promise<void>;
}

/** Background work of the `worker` role: webhook delivery and scheduled scans. */
export async function startWorkers(_config: Config, _database: Database, _log: FastifyBaseLogger, _metrics: Metrics): Promise<Workers> {
  const stops: (() => Promise<void>)[] = [];
  return {
    async stop() {
      await Promise.all(stops.map((s) => s()));
    },
  };
}
