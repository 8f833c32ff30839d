import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
import type { WorkerContext } from '../worker.js';

const BATCH = 5_000;
const EVERY_MS = 3_600_000;

/**
 * Deletes events, deliveries and attempts older than the retention period, in small batches so
 * that no long transaction holds back the event log's visibility horizon (see db/schema/platform.ts).
 * Returns the number of events deleted.
 */
export async function pruneExpired(db: DbOrTx, retentionDays: number): Promise<number> {
  const cutoff = new Date(Date.now() - retentionDays * 86_400_000).toISOString();
  const drain = async (table: string, column: string) => {
    let total = 0;
    for (;;) {
      const rows = await db.execute(sql.raw(`
        delete from ${table} where id in (select id from ${table} where ${column} < '${cutoff}'::timestamptz limit ${BATCH}) returning 1`));
      total += rows.length;
      if (rows.length < BATCH) return total;
    }
  };
  await drain('webhook_attempts', 'attempted_at');
  await drain('webhook_deliveries', 'created_at');
  return drain('events', 'occurred_at');
}

/** Prunes once shortly after start and then hourly; several workers pruning at once is harmless. */
export function startEventRetention(ctx: WorkerContext): { stop(): void } {
  const run = () =>
    pruneExpired(ctx.database.db, ctx.config.eventRetentionDays)
      .then((n) => n > 0 && ctx.log.info({ deleted: n }, 'pruned expired events'))
      .catch((err) => ctx.log.warn({ err }, 'pruning expired events failed'));
  const first = setTimeout(run, 10_000);
  const hourly = setInterval(run, EVERY_MS);
  first.unref();
  hourly.unref();
  return {
    stop() {
      clearTimeout(first);
      clearInterval(hourly);
    },
  };
}
