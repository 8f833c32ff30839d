import { and, eq, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { DbOrTx } from './database.js';
import { NotFound } from './errors.js';

type TenantTable = PgTable & { id: PgColumn; organizationId: PgColumn };

/**
 * A statement built once per database handle (drizzle `.prepare()` with placeholders): building a
 * drizzle query costs more CPU than PostgreSQL spends answering a primary-key lookup, and the
 * single-resource reads are the hottest paths of the API.
 */
export function preparedPerHandle<P>(build: (db: DbOrTx) => P): (db: DbOrTx) => P {
  const cache = new WeakMap<object, P>();
  return (db) => {
    let statement = cache.get(db);
    if (!statement) cache.set(db, (statement = build(db)));
    return statement;
  };
}

/**
 * `find(db, organizationId, id, { forUpdate })` for a tenant table, throwing NotFound. Plain reads
 * use a statement prepared once per handle; locking reads build the query as usual.
 */
export function tenantFinder<T extends TenantTable>(table: T, label: string, statementName: string) {
  const where = (org: unknown, rowId: unknown) => and(eq(table.organizationId, org), eq(table.id, rowId));
  const statement = preparedPerHandle(
    (db) =>
      (db as any).select().from(table).where(where(sql.placeholder('org'), sql.placeholder('id'))).prepare(statementName) as { // eslint-disable-line @typescript-eslint/no-explicit-any
        execute(p: { org: string; id: string }): Promise<unknown[]>;
      },
  );
  return async (db: DbOrTx, organizationId: string, id: string, opts: { forUpdate?: boolean } = {}): Promise<T['$inferSelect']> => {
    let rows: unknown[];
    if (opts.forUpdate) {
      rows = await (db as any).select().from(table).where(where(organizationId, id)).for('update'); // eslint-disable-line @typescript-eslint/no-explicit-any
    } else {
      rows = await statement(db).execute({ org: organizationId, id });
    }
    if (!rows[0]) throw new NotFound(label);
    return rows[0] as T['$inferSelect'];
  };
}
