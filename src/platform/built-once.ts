import * as drizzleOrm from 'drizzle-orm';
import { DrizzleQueryError, is, Param, Placeholder, type SQL } from 'drizzle-orm';
import type { PgDialect } from 'drizzle-orm/pg-core';
import { clientOf, type DbOrTx } from './database.js';

/** What drizzle keeps of a query it has built: its text, its parameters and how to map its rows. */
interface Built {
  queryString: string;
  params: unknown[];
  fields?: unknown[];
  joinsNotNullableMap?: Record<string, boolean>;
  customResultMapper?: (rows: unknown[][]) => unknown;
}

/** A drizzle select, insert, update or delete, before it is run. */
interface Preparable {
  prepare(name: string): unknown;
}

type MapRow = (fields: unknown[], row: unknown[], joinsNotNullableMap?: Record<string, boolean>) => unknown;
/** drizzle's own row mapping, which its types leave out (internal, exported by its module all the same). */
const mapResultRow = (drizzleOrm as unknown as { mapResultRow: MapRow }).mapResultRow;

/**
 * How one parameter of a built query gets its value: a constant, a placeholder's value, or a
 * placeholder's value through its column's mapping (a Date to a timestamp), null staying null as
 * when drizzle builds the query with the value in it.
 */
function filler(param: unknown): (values: Record<string, unknown>) => unknown {
  // A placeholder outside a Param (one in a condition, `gt(column, placeholder)`) has no column to
  // map its value: a Date is sent as a timestamp's text, as drizzle sends the Date it maps.
  if (is(param, Placeholder)) return (values) => (values[param.name] instanceof Date ? (values[param.name] as Date).toISOString() : values[param.name]);
  if (is(param, Param) && is(param.value, Placeholder)) {
    const { name } = param.value;
    const encoder = param.encoder as { mapToDriverValue(v: unknown): unknown } | undefined;
    return (values) => {
      const v = values[name];
      return v === null || v === undefined || !encoder ? (v ?? null) : encoder.mapToDriverValue(v);
    };
  }
  return () => param;
}

/** A failed statement fails as one drizzle ran would: PostgreSQL's error as the `cause` (see errors.ts). */
const failedAsDrizzle = <T>(query: PromiseLike<T>, text: string, params: unknown[]): Promise<T> =>
  Promise.resolve(query).catch((err: unknown) => {
    throw new DrizzleQueryError(text, params, err as Error);
  });

/**
 * A drizzle query built once, with `sql.placeholder`s for its values, and run on whichever handle
 * each call gives, the pool or a transaction. drizzle builds a query's SQL anew every time it runs
 * it, which for an insert of a wide row costs more CPU than PostgreSQL spends on the insert, and
 * its prepared statements belong to the one handle they were prepared on, so none can serve the
 * transactions that writes run in. Rows come back mapped by drizzle's own column mapping, as the
 * query would have answered them. `build` must give the same query whatever handle it is passed:
 * the handle is only what drizzle needs to build it on.
 *
 * A call hands its statement to the connection at once (a drizzle query goes out only some
 * microtasks after it is awaited), so statements called one after another without awaiting are
 * sent, and run, in the order of the calls: a lock taken by the first is held when the second
 * takes its snapshot.
 */
export function builtOnce<Row>(build: (db: DbOrTx) => Preparable): (db: DbOrTx, values: Record<string, unknown>) => Promise<Row[]> {
  let built: Built | undefined;
  let fill: ((values: Record<string, unknown>) => unknown)[] | undefined;
  return async (db, values) => {
    built ??= build(db).prepare('built_once') as Built;
    fill ??= built.params.map(filler);
    const { queryString, fields, joinsNotNullableMap, customResultMapper } = built;
    const params = fill.map((f) => f(values));
    const query = clientOf(db).unsafe(queryString, params as never[], { prepare: true });
    if (!fields && !customResultMapper) return (await failedAsDrizzle(query.execute(), queryString, params)) as unknown as Row[];
    const rows = (await failedAsDrizzle(query.values().execute(), queryString, params)) as unknown as unknown[][];
    return (customResultMapper ? customResultMapper(rows) : rows.map((row) => mapResultRow(fields!, row, joinsNotNullableMap))) as Row[];
  };
}

/**
 * A statement written with drizzle's `sql` and `sql.placeholder`s, compiled to its text once and
 * run on whichever handle each call gives; it answers its rows as they come (as `execute` does).
 * Like builtOnce, a call hands its statement to the connection at once.
 */
export function builtSql<Row>(build: () => SQL): (db: DbOrTx, values: Record<string, unknown>) => Promise<Row[]> {
  let built: { text: string; fill: ((values: Record<string, unknown>) => unknown)[] } | undefined;
  return async (db, values) => {
    if (!built) {
      const { sql: text, params } = (db as unknown as { dialect: PgDialect }).dialect.sqlToQuery(build());
      built = { text, fill: params.map(filler) };
    }
    const { text, fill } = built;
    const params = fill.map((f) => f(values));
    return (await failedAsDrizzle(clientOf(db).unsafe(text, params as never[], { prepare: true }).execute(), text, params)) as unknown as Row[];
  };
}

/**
 * Statements whose text depends on the shape of what they are given (which columns, which tables,
 * which parts): `statementFor(shape, make)` builds the one for a shape the first time it is asked
 * for, and answers the same one after.
 */
export function perShape<S>(): (shape: string, make: () => S) => S {
  const statements = new Map<string, S>();
  return (shape, make) => {
    let statement = statements.get(shape);
    if (!statement) statements.set(shape, (statement = make()));
    return statement;
  };
}

/**
 * `insert … values (…) returning *` of the columns given (those `undefined` take their
 * defaults), built once per set of columns (see builtOnce).
 */
export function insertReturning<T extends drizzleOrm.Table>(table: T) {
  const statementFor = perShape<(db: DbOrTx, values: Record<string, unknown>) => Promise<T['$inferSelect'][]>>();
  return (db: DbOrTx, values: T['$inferInsert']): Promise<T['$inferSelect'][]> => {
    const given = Object.entries(values as Record<string, unknown>).filter(([, v]) => v !== undefined);
    const run = statementFor(given.map(([k]) => k).join(','), () => {
      const placeholders = Object.fromEntries(given.map(([k]) => [k, drizzleOrm.sql.placeholder(k)]));
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      return builtOnce<T['$inferSelect']>((handle) => (handle as any).insert(table).values(placeholders).returning());
    });
    return run(db, Object.fromEntries(given));
  };
}
