import type { BackgroundTask, WorkerContext } from '../worker.js';

export async function startDeliveryWorker(_ctx: WorkerContext): Promise<BackgroundTask> {
  return { stop: async () => {} };
}
