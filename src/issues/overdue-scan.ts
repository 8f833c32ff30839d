import type { BackgroundTask, WorkerContext } from '../worker.js';

export async function startOverdueScan(_ctx: WorkerContext): Promise<BackgroundTask> {
  return { stop: async () => {} };
}
