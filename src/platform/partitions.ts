import { sql } from 'drizzle-orm';
import type { DbOrTx } from './database.js';

// Monthly range partitions (migration 0018). A partition is named `<table>_pYYYYMM` and holds one
// UTC month; `<table>_default` catches rows of a month not made yet, so a write never fails for
// want of a partition. Which tables are partitioned is the caller's business: the platform only
// knows the mechanism.

const MONTH_MS = 31 * 86_400_000;
// The upper bound in `FOR VALUES FROM ('…') TO ('…')` (pg_get_expr's rendering of a range bound).
const UPPER_BOUND = String.raw`TO \('([^']+)'\)`;

/**
 * Makes the partitions of `table` from the current month to `monthsAhead` months ahead. The SQL
 * function (defined by the migration, so the migration and the worker share one implementation)
 * takes a transaction-level advisory lock: workers running this at once wait for each other and
 * find the months already made. Returns how many partitions it made.
 */
export async function ensurePartitions(db: DbOrTx, tables: readonly string[], monthsAhead: number, now = new Date()): Promise<number> {
  const last = new Date(now.getTime() + monthsAhead * MONTH_MS);
  let made = 0;
  for (const table of tables) {
    const [row] = (await db.execute(sql`
      select liaison_ensure_month_partitions(${table}, ${now.toISOString()}::timestamptz,
        date_trunc('month', ${last.toISOString()}::timestamptz at time zone 'UTC') at time zone 'UTC') as made`)) as unknown as [{ made: number }];
    made += row.made;
  }
  return made;
}

/** The monthly partitions of `table` with the end of their range (the default has none). */
export async function monthPartitions(db: DbOrTx, table: string): Promise<{ name: string; upper: Date }[]> {
  const rows = (await db.execute(sql`
    select name, upper from (
      select c.relname as name, substring(pg_get_expr(c.relpartbound, c.oid) from ${UPPER_BOUND})::timestamptz as upper
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = ${table}::regclass) p
    where upper is not null
    order by upper`)) as unknown as { name: string; upper: string | Date }[];
  return rows.map((r) => ({ name: r.name, upper: new Date(r.upper) }));
}

/**
 * Drops the partitions of `table` whose whole range lies before `cutoff`: one catalogue change
 * instead of deleting their rows. Dropping a partition locks the parent briefly (ACCESS
 * EXCLUSIVE); a short lock time-out makes the drop give way to a long reader, to be tried again on
 * the next pass, rather than queue every writer behind it. Returns the names dropped.
 */
export async function dropPartitionsBefore(db: DbOrTx, table: string, cutoff: Date): Promise<string[]> {
  const dropped: string[] = [];
  for (const p of await monthPartitions(db, table)) {
    if (p.upper.getTime() > cutoff.getTime()) break;
    await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext('liaison_month_partitions'))`);
      await tx.execute(sql`set local lock_timeout = '2s'`);
      await tx.execute(sql.raw(`drop table if exists "${p.name.replaceAll('"', '""')}"`));
    });
    dropped.push(p.name);
  }
  return dropped;
}
