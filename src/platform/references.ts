import { getTableName, sql } from 'drizzle-orm';
import { builtSql, perShape } from './built-once.js';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { DbOrTx } from './database.js';
import { UnknownReference } from './errors.js';

const referenceCheckFor = perShape<ReturnType<typeof builtSql<Record<string, boolean>>>>();

/** The statement that checks ids in these tables, in this order: built once per list of tables. */
function referenceCheck(tables: PgTable[]) {
  return referenceCheckFor(tables.map((table) => getTableName(table)).join(','), () => {
    const checks = tables.map(
      (table, i) => sql`exists (select 1 from ${table} where organization_id = ${sql.placeholder('org')} and id = ${sql.placeholder(`id${i}`)}) as ${sql.raw(`r${i}`)}`,
    );
    return builtSql<Record<string, boolean>>(() => sql`select ${sql.join(checks, sql`, `)}`);
  });
}

/**
 * Checks that every id given in a request body names a row of the caller's organisation; an id of
 * another organisation gets the same 400 as one that names nothing (SPEC §4). All in one
 * statement (one round trip however many references a write names); the first missing one in
 * `refs` order is the one reported.
 */
export async function assertReferences(
  db: DbOrTx,
  organizationId: string,
  refs: { path: string; table: PgTable; id: string | null | undefined; what: string }[],
) {
  const given = refs.filter((ref) => ref.id !== null && ref.id !== undefined);
  if (given.length === 0) return;
  const [found] = await referenceCheck(given.map((ref) => ref.table))(db, { org: organizationId, ...Object.fromEntries(given.map((ref, i) => [`id${i}`, ref.id])) });
  const missing = given.findIndex((_, i) => !found[`r${i}`]);
  if (missing >= 0) throw new UnknownReference(given[missing]!.path, given[missing]!.what);
}

/** Same check for a list of ids (`supporters`, `departmentIds`, …), in one query. */
export async function assertAllReferences(db: DbOrTx, organizationId: string, path: string, table: PgTable, ids: string[], what: string) {
  const unique = [...new Set(ids)];
  if (unique.length === 0) return;
  const list = sql.join(unique.map((id) => sql`${id}::uuid`), sql`, `);
  const rows = (await db.execute(sql`select id from ${table} where organization_id = ${organizationId} and id in (${list})`)) as unknown as { id: string }[];
  const found = new Set(rows.map((r) => r.id));
  const missing = ids.findIndex((id) => !found.has(id));
  if (missing >= 0) throw new UnknownReference(`${path}[${missing}]`, what);
}
