import type { BackgroundTask, WorkerContext } from '../worker.js';

export async function startSeriesHorizon(_ctx: WorkerContext): Promise<BackgroundTask> {
  return { stop: async () => {} };
}
