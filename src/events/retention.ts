import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
import { dropPartitionsBefore, ensurePartitions } from '../platform/partitions.js';
import type { PeriodicTask } from '../platform/scheduler-types.js';

const BATCH = 5_000;
const EVERY_MS = 3_600_000;
/** Months made ahead of the current one, so that writes never wait on a missing partition. */
export const MONTHS_AHEAD = 2;

// The monthly partitioned tables (migration 0018) and the column each is partitioned by.
const PARTITIONED = [
  { table: 'webhook_attempts', column: 'attempted_at' },
  { table: 'webhook_deliveries', column: 'event_occurred_at' },
  { table: 'events', column: 'occurred_at' },
] as const;

export const PARTITIONED_TABLES = PARTITIONED.map((p) => p.table);

/** Makes the coming months' partitions of the event and delivery tables. */
export const ensureEventPartitions = (db: DbOrTx, now?: Date) => ensurePartitions(db, PARTITIONED_TABLES, MONTHS_AHEAD, now);

/**
 * Removes events, deliveries and attempts older than the retention period. Months wholly before
 * the cutoff are dropped as partitions; the rows left before the cutoff (in the month the cutoff
 * falls in, and any that landed in a default partition) are deleted in small batches, so that no
 * long transaction holds back the event log's visibility horizon (see db/schema/platform.ts).
 * Returns the number of events removed by deleting rows and the partitions dropped.
 */
export async function pruneExpired(db: DbOrTx, retentionDays: number, now = new Date()): Promise<{ deleted: number; dropped: string[] }> {
  const cutoff = new Date(now.getTime() - retentionDays * 86_400_000);
  const at = cutoff.toISOString();
  const drain = async (table: string, column: string) => {
    let total = 0;
    for (;;) {
      // The key includes the partition column, so naming it prunes the delete to the boundary month.
      const rows = await db.execute(sql.raw(`
        delete from ${table} where ${column} < '${at}'::timestamptz and (id, ${column}) in (
          select id, ${column} from ${table} where ${column} < '${at}'::timestamptz limit ${BATCH}) returning 1`));
      total += rows.length;
      if (rows.length < BATCH) return total;
    }
  };
  const dropped: string[] = [];
  let deleted = 0;
  for (const { table, column } of PARTITIONED) {
    dropped.push(...(await dropPartitionsBefore(db, table, cutoff)));
    const n = await drain(table, column);
    if (table === 'events') deleted = n;
  }
  return { deleted, dropped };
}

/**
 * Makes the coming months' partitions at the worker's first tick and hourly after (a few
 * catalogue look-ups; hourly keeps the lead even if a pass fails). Several workers doing so at
 * once is harmless: partition changes are serialised by an advisory lock.
 */
export const eventPartitionsTask: PeriodicTask = {
  name: 'eventPartitions',
  everyMs: EVERY_MS,
  run: ({ db, now }) => ensureEventPartitions(db, now),
};

/** Prunes expired events, deliveries and attempts at the first tick and hourly after; counts events deleted and partitions dropped. */
export function eventRetentionTask(retentionDays: number): PeriodicTask {
  return {
    name: 'eventRetention',
    everyMs: EVERY_MS,
    async run({ db, log, now }) {
      const { deleted, dropped } = await pruneExpired(db, retentionDays, now);
      if (deleted > 0 || dropped.length > 0) log.info({ deleted, dropped }, 'pruned expired events');
      return deleted + dropped.length;
    },
  };
}
