import type { FastifyBaseLogger } from 'fastify';
import type { Config } from './config.js';
import type { Database } from './platform/database.js';
import type { Metrics } from './platform/metrics.js';
import { systemClock } from './platform/clock.js';
import { createScheduler, registerFiringRules, registeredFiringRules } from './platform/scheduler.js';
import type { BackgroundTask, WorkerContext } from './platform/tasks.js';
import { registerEventSubscriber } from './events/outbox.js';
import { registerVisibilityFollower } from './events/meeting-visibility.js';
import { eventPartitionsTask, eventRetentionTask } from './events/retention.js';
import { followThroughRules } from './follow-through/rules.js';
import { issueOverdueRule } from './issues/overdue-scan.js';
import { seriesHorizonTask } from './meetings/series-horizon.js';
import { fanOutToWebhooks, skipNewlyConfidential } from './webhooks/fan-out.js';
import { startDeliveryWorker } from './webhooks/worker.js';

export interface Workers {
  stop(): Promise<void>;
}

/**
 * The `worker` role, composed: webhook delivery, and one scheduler with every domain's
 * time-driven rules and maintenance tasks, on the system clock. Nothing here is imported back.
 */
export async function startWorkers(config: Config, database: Database, log: FastifyBaseLogger, metrics: Metrics): Promise<Workers> {
  // Scheduled rules record events too (issue.overdue, reminders): their deliveries are queued with them.
  registerEventSubscriber(fanOutToWebhooks);
  registerVisibilityFollower(skipNewlyConfidential);
  registerFiringRules(issueOverdueRule, ...followThroughRules);
  const ctx: WorkerContext = { config, database, log, metrics };
  const scheduler = createScheduler({
    db: database.db,
    log,
    clock: systemClock,
    rules: registeredFiringRules(),
    tasks: [eventPartitionsTask, eventRetentionTask(config.eventRetentionDays), seriesHorizonTask],
    tickMs: config.schedulerTickMs,
  });
  const tasks: BackgroundTask[] = [await startDeliveryWorker(ctx), scheduler.start()];
  return {
    async stop() {
      await Promise.all(tasks.map((t) => t.stop()));
    },
  };
}
