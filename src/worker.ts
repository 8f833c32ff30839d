import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Database } from './platform/database.js';
import type { Metrics } from './platform/metrics.js';
import { registerEventSubscriber } from './events/outbox.js';
import { fanOutToWebhooks } from './webhooks/fan-out.js';
import { startDeliveryWorker } from './webhooks/worker.js';
import { startOverdueScan } from './issues/overdue-scan.js';
import { startSeriesHorizon } from './meetings/series-horizon.js';

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

export interface Workers {
  stop(): Promise<void>;
}

/** Background work of the `worker` role: webhook delivery and scheduled scans. */
export async function startWorkers(config: Config, database: Database, log: FastifyBaseLogger, metrics: Metrics): Promise<Workers> {
  // Worker tasks record events too (issue.overdue, webhook.failing): their deliveries are queued with them.
  registerEventSubscriber(fanOutToWebhooks);
  const ctx: WorkerContext = { config, database, log, metrics };
  const tasks = [await startDeliveryWorker(ctx), await startOverdueScan(ctx), await startSeriesHorizon(ctx)];
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()));
    },
  };
}
