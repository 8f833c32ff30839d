import { and, eq, sql } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { DbOrTx } from './database.js';
import { NotFound } from './errors.js';

type TenantTable = PgTable & { id: PgColumn; organizationId: PgColumn };

/**
 * `find(db, organizationId, id, { forUpdate })` for a tenant table, throwing NotFound. Reads on the
 * pool use a prepared statement built once per database handle: building a drizzle query costs
 * more CPU than PostgreSQL spends answering a primary-key lookup, and single-resource GETs are
 * the hottest path of the API. Locking reads inside a transaction build the query as usual.
 */
export function tenantFinder<T extends TenantTable>(table: T, label: string, statementName: string) {
  const prepared = new WeakMap<object, { execute(p: { org: string; id: string }): Promise<unknown[]> }>();
  return async (db: DbOrTx, organizationId: string, id: string, opts: { forUpdate?: boolean } = {}): Promise<T['$inferSelect']> => {
    const where = (org: unknown, rowId: unknown) => and(eq(table.organizationId, org), eq(table.id, rowId));
    let rows: unknown[];
    if (opts.forUpdate) {
      rows = await (db as any).select().from(table).where(where(organizationId, id)).for('update'); // eslint-disable-line @typescript-eslint/no-explicit-any
    } else {
      let statement = prepared.get(db);
      if (!statement) {
        statement = (db as any).select().from(table).where(where(sql.placeholder('org'), sql.placeholder('id'))).prepare(statementName); // eslint-disable-line @typescript-eslint/no-explicit-any
        prepared.set(db, statement!);
      }
      rows = await statement!.execute({ org: organizationId, id });
    }
    if (!rows[0]) throw new NotFound(label);
    return rows[0] as T['$inferSelect'];
  };
}
