import { DEFAULT_PER_ENDPOINT } from '../../src/webhooks/queue.js';

// Settings of the pg-boss peer shared by the producer (pg-boss.ts) and its worker process.

export const PGBOSS_QUEUE = 'webhook-delivery';
/** Concurrent `boss.work` loops (pg-boss 10's way to a team), each polling on its own. */
export const PGBOSS_WORKERS = Number(process.env.BENCH_PGBOSS_WORKERS ?? 16);
/** Jobs one fetch takes: as many as Liaison's worker holds at once (MAX_HELD in src/webhooks/worker.ts). */
export const PGBOSS_BATCH = Number(process.env.BENCH_PGBOSS_BATCH ?? 256);
/** pg-boss's shortest polling interval (it refuses less than 0.5 s). */
export const PGBOSS_POLL_SECONDS = 0.5;
/** Deliveries sent to one endpoint at once, as Liaison's DEFAULT_PER_ENDPOINT. */
export const PER_ENDPOINT = DEFAULT_PER_ENDPOINT;

/** One delivery: what a pg-boss user puts in the job so that the worker needs no other lookup. */
export interface DeliveryJob {
  eventId: string;
  type: string;
  occurredAt: string;
  data: Record<string, unknown>;
  url: string;
}
