import postgres from 'postgres';
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * No schema is given to drizzle: the relational query API is not used, and with a schema drizzle
 * builds a query builder per table for every transaction it opens.
 */
export type Db = PostgresJsDatabase;
/** A transaction or the pool: query functions take either (`tx ?? db`). */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;

/**
 * The postgres.js handle under a drizzle handle: the pool's `sql`, or the transaction's, for what
 * drizzle cannot say (a COPY) or says too slowly (statements built once, platform/built-once.ts).
 */
export const clientOf = <C = postgres.Sql>(db: DbOrTx): C => (db as unknown as { session: { client: C } }).session.client;

export const migrationsFolder = fileURLToPath(new URL('../../db/migrations', import.meta.url));

/** A pool of connections and the drizzle view of it. */
export interface Pool {
  sql: postgres.Sql;
  db: Db;
  /** Connections it opens at most. */
  max: number;
}

/**
 * `transaction`: the database URL names a pooler in transaction mode (PgBouncer), which may give
 * each transaction another server connection: nothing may outlive a transaction there.
 */
export type Pooler = 'none' | 'transaction';

export interface Database extends Pool {
  url: string;
  /** The database itself, never a pooler: what needs a session (LISTEN, the migrations' lock) connects here. */
  directUrl: string;
  pooler: Pooler;
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
 * tagged queries: each connection keeps its statements until it is recycled. Behind a transaction
 * pooler the client is opened with `prepare: false`, which postgres.js lets no query override, so
 * the same view prepares nothing there; it then opens each transaction with `guard` instead.
 */
function preparing(client: postgres.Sql, guard?: string): postgres.Sql {
  return new Proxy(client, {
    get(target, prop) {
      if (prop === 'unsafe') {
        return (query: string, params?: unknown[], options?: object) => target.unsafe(query, params as never, { ...options, prepare: true });
      }
      if (prop === 'begin' || prop === 'savepoint') {
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.Sql) => unknown;
          const inner = prop === 'begin' && guard ? guarded(guard, fn) : fn;
          return (target as unknown as Record<string, (...a: unknown[]) => unknown>)[prop]!(...args, (tx: postgres.Sql) => inner(preparing(tx)));
        };
      }
      const value = Reflect.get(target, prop, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/**
 * Runs `guard` as the transaction's first statement, sent with the transaction's first query
 * rather than before it (postgres.js pipelines what is not awaited), so it costs no round trip.
 */
function guarded(guard: string, fn: (tx: postgres.Sql) => unknown) {
  return async (tx: postgres.Sql) => {
    const set = tx.unsafe(guard);
    set.catch(() => {}); // its failure aborts the transaction, which fails `fn` too
    const result = await fn(tx);
    await set;
    return result;
  };
}

/** The API's statements and transactions are short: anything longer is a fault, not work. */
const API_TIMEOUT_MS = 15_000;

/**
 * The server's own guard, should the application ever fail to let go: a runaway statement is
 * cancelled, and a session left idle inside a transaction is ended (its transaction rolled back,
 * its connection closed, which also fails the transaction on this side).
 */
const guardSettings = (timeoutMs: number) => ({ statement_timeout: timeoutMs, idle_in_transaction_session_timeout: timeoutMs });

function openPool(url: string, max: number, applicationName: string, timeoutMs: number, session: postgres.Sql | null): Pool {
  const sql = postgres(url, {
    max,
    onnotice: () => {},
    // Bounded waits: a request that cannot get a connection fails fast instead of queueing forever.
    connect_timeout: 5,
    idle_timeout: 60,
    // Directly connected, the guard is part of the session (sent at start-up). A transaction pooler
    // refuses start-up parameters it does not know, and what a session sets would hold only for
    // the server connection it happened to get: there each transaction sets the guard for itself
    // (SET LOCAL), and statements outside one are bounded by the pooler's `query_timeout`.
    connection: session ? { application_name: applicationName } : { application_name: applicationName, ...guardSettings(timeoutMs) },
    // A prepared statement lives in one server connection, which the next transaction may not get.
    prepare: !session,
    transform: { undefined: null },
  });
  let guard: string | undefined;
  if (session) {
    // LISTEN holds a session for as long as it listens: it goes to the direct connection, whoever asks.
    sql.listen = session.listen;
    guard = `select ${Object.entries(guardSettings(timeoutMs)).map(([name, ms]) => `set_config('${name}', '${ms}', true)`).join(', ')}`;
  }
  return { sql, db: drizzle(preparing(sql, guard), { casing: 'snake_case' }), max };
}

export interface DatabaseOptions {
  max?: number;
  /** The uploads' pool: its size, and the upload deadline that bounds its statements and transactions. */
  uploads?: { max: number; timeoutMs: number };
  /** What `url` names: the database (`none`, the default) or a pooler in transaction mode. */
  pooler?: Pooler;
  /** The database itself, for session-bound work; `url` when not given. */
  directUrl?: string;
}

export function openDatabase(url: string, opts: DatabaseOptions = {}): Database {
  const pooler = opts.pooler ?? 'none';
  const directUrl = opts.directUrl ?? url;
  if (pooler === 'transaction' && directUrl === url) throw new Error('openDatabase: a transaction pooler needs a direct URL other than its own');
  // One client on the database itself, for the sessions a pooler cannot keep; postgres.js opens
  // its LISTEN connection on first listen, so a process that listens to nothing opens none.
  const session = pooler === 'transaction' ? postgres(directUrl, { max: 1, onnotice: () => {}, connect_timeout: 5, connection: { application_name: 'liaison-listen' } }) : null;
  const api = openPool(url, opts.max ?? 10, 'liaison', API_TIMEOUT_MS, session);
  // The service passes its settings (runtime.ts); tools and scripts that upload nothing need none.
  const up = opts.uploads ?? { max: 2, timeoutMs: 30_000 };
  // postgres.js connects on first use, so a process that serves no upload never opens these.
  const uploads = openPool(url, up.max, 'liaison-uploads', up.timeoutMs, session);
  return {
    ...api,
    url,
    directUrl,
    pooler,
    uploads,
    close: async () => {
      await Promise.all([api.sql.end({ timeout: 5 }), uploads.sql.end({ timeout: 5 }), session?.end({ timeout: 5 })]);
    },
  };
}

export async function runMigrations(database: Database): Promise<void> {
  // One migrator at a time across processes (several API/worker processes may start together).
  // The lock is a session's: taken on the database itself, never through a pooler.
  const lockSql = postgres(database.directUrl, { max: 1, onnotice: () => {} });
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
