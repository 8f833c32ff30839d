import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as schema from '../../db/schema/index.js';

export type Db = PostgresJsDatabase<typeof schema>;
/** A transaction or the pool: query functions take either (`tx ?? db`). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

export const migrationsFolder = fileURLToPath(new URL('../../db/migrations', import.meta.url));

export interface Database {
  sql: postgres.Sql;
  db: Db;
  url: string;
  close(): Promise<void>;
}

/**
 * drizzle sends its queries with postgres.js `unsafe(…, { prepare: false })`, so PostgreSQL parses
 * and plans every statement anew; for the embedded-JSON reads of this API the planning costs more
 * than the execution. This view of the client prepares them, as postgres.js does for its own
 * tagged queries: each connection keeps its statements until it is recycled.
 */
function preparing(client: postgres.Sql): postgres.Sql {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'unsafe') {
        return (query: string, params?: unknown[], options?: object) => target.unsafe(query, params as never, { ...options, prepare: true });
      }
      if (prop === 'begin' || prop === 'savepoint') {
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.Sql) => unknown;
          return (target as unknown as Record<string, (...a: unknown[]) => unknown>)[prop]!(...args, (tx: postgres.Sql) => fn(preparing(tx)));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

export function openDatabase(url: string, opts: { max?: number } = {}): Database {
  const sql = postgres(url, {
    max: opts.max ?? 10,
    onnotice: () => {},
    // Bounded waits: a request that cannot get a connection fails fast instead of queueing forever.
    connect_timeout: 5,
    idle_timeout: 60,
    // A runaway statement is cancelled by the server rather than holding a connection.
    connection: { application_name: 'liaison', statement_timeout: 15_000 },
    transform: { undefined: null },
  });
  const db = drizzle(preparing(sql), { schema, casing: 'snake_case' });
  return { sql, db, url, close: () => sql.end({ timeout: 5 }) };
}

export async function runMigrations(database: Database): Promise<void> {
  // One migrator at a time across processes (several API/worker processes may start together).
  const lockSql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    await lockSql`select pg_advisory_lock(7268151)`;
    await migrate(drizzle(lockSql, { casing: 'snake_case' }), { migrationsFolder });
    await lockSql`select pg_advisory_unlock(7268151)`;
  } finally {
    await lockSql.end({ timeout: 5 });
  }
}

const journal = JSON.parse(readFileSync(`${migrationsFolder}/meta/_journal.json`, 'utf8')) as {
  entries: { tag: string }[];
};
export const expectedMigrationCount = journal.entries.length;

/** Readiness: the database answers and every committed migration has been applied. */
export async function migrationsPending(sql: postgres.Sql): Promise<boolean> {
  const rows = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`.catch(() => [{ n: 0 }]);
  return (rows[0]?.n ?? 0) < expectedMigrationCount;
}
