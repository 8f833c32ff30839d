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

/** A pool of connections and the drizzle view of it. */
export interface Pool {
  sql: postgres.Sql;
  db: Db;
  /** Connections it opens at most. */
  max: number;
}

export interface Database extends Pool {
  url: string;
  /**
   * File uploads' own small pool: an upload holds its connection for as long as its client takes to
   * send the file, so uploads must never be able to take the connections other requests need.
   */
  uploads: Pool;
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

/** The API's statements and transactions are short: anything longer is a fault, not work. */
const API_TIMEOUT_MS = 15_000;

function openPool(url: string, max: number, applicationName: string, timeoutMs: number): Pool {
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    // Bounded waits: a request that cannot get a connection fails fast instead of queueing forever.
    connect_timeout: 5,
    idle_timeout: 60,
    // The server's own guard, should the application ever fail to let go: a runaway statement is
    // cancelled, and a session left idle inside a transaction is ended (its transaction rolled
    // back, its connection closed, which also fails the transaction on this side).
    connection: { application_name: applicationName, statement_timeout: timeoutMs, idle_in_transaction_session_timeout: timeoutMs },
    transform: { undefined: null },
  });
  return { sql, db: drizzle(preparing(sql), { schema, casing: 'snake_case' }), max };
}

export interface DatabaseOptions {
  max?: number;
  /** The uploads' pool: its size, and the upload deadline that bounds its statements and transactions. */
  uploads?: { max: number; timeoutMs: number };
}

export function openDatabase(url: string, opts: DatabaseOptions = {}): Database {
  const api = openPool(url, opts.max ?? 10, 'liaison', API_TIMEOUT_MS);
  // The service passes its settings (runtime.ts); tools and scripts that upload nothing need none.
  const up = opts.uploads ?? { max: 2, timeoutMs: 30_000 };
  // postgres.js connects on first use, so a process that serves no upload never opens these.
  const uploads = openPool(url, up.max, 'liaison-uploads', up.timeoutMs);
  return {
    ...api,
    url,
    uploads,
    close: async () => {
      await Promise.all([api.sql.end({ timeout: 5 }), uploads.sql.end({ timeout: 5 })]);
    },
  };
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
