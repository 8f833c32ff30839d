import { is, Placeholder } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Db } from './database.js';

/**
 * A drizzle query built once, with `sql.placeholder`s, and run as a prepared postgres.js
 * statement that answers plain rows keyed by column name. drizzle's own prepared statements map
 * every field of every row through its column objects; for a page of many small rows that costs
 * more than PostgreSQL spends on the query. Name computed fields with `.as(…)`. Behind a
 * transaction pooler the client is opened with `prepare: false`, which wins over `prepare: true`
 * here (see openPool in database.ts).
 */
export function rawStatement<Row>(db: Db, query: { toSQL(): { sql: string; params: unknown[] } }) {
  const { sql: text, params } = query.toSQL();
  const client = (db as unknown as { $client: postgres.Sql }).$client;
  return (values: Record<string, unknown>): Promise<Row[]> =>
    client.unsafe(text, params.map((p) => (is(p, Placeholder) ? values[p.name] : p)) as never[], { prepare: true }) as unknown as Promise<Row[]>;
}
