import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
import { decodeCursor } from '../platform/pagination.js';
import { searchSources, type SearchType } from './documents.js';

/**
 * At most this many matches per type are ranked. A query matching more (a very common word) is
 * ranked among the first matches the index yields, which keeps every page fast at any table size.
 */
const CANDIDATES_PER_TYPE = 300;

export interface SearchRow {
  type: SearchType;
  id: string;
  title: string;
  doc: string;
  meeting_id: string | null;
  rank: string;
}

/**
 * Substring search, case-insensitive, in any script (PostgreSQL's text search does not segment
 * Chinese, so words are not the unit). Queries of three or more characters use `ILIKE` over the
 * trigram GIN index; shorter ones (`预算`, `HR`) have no trigram and use the index of 1- and
 * 2-character substrings instead.
 */
function matches(doc: string, q: string): SQL {
  const d = sql.raw(doc);
  if ([...q].length >= 3) {
    const pattern = `%${q.replace(/[\\%_]/g, '\\$&')}%`;
    return sql`${d} ilike ${pattern}`;
  }
  return sql`liaison_short_grams(${d}) @> array[lower(${q})]::text[]`;
}

/**
 * Rank: a match in the title first, then how much of the title the query covers and how early it
 * occurs there; a match only in the text ranks by how much of the (shorter) text it covers. Only
 * titles are lowercased and compared here, in float arithmetic: per-character work over long text
 * (and pg_trgm's word_similarity, ~20 µs a row) is what makes substring search slow. A float8,
 * which PostgreSQL prints exactly (shortest round-trip form), so the keyset cursor compares exactly.
 */
function rank(q: string): SQL {
  const titlePos = sql`strpos(lower(c.title), lower(${q}))`;
  const len = sql`char_length(${q})::float8`;
  return sql`(case when ${titlePos} > 0
      then 1 + 0.5 * ${len} / greatest(char_length(c.title), 1) + 0.25 / (1 + ln(${titlePos}))
      else 0.5 * least(1, 20 * ${len} / greatest(char_length(c.doc), 1)) end)`;
}

function candidates(type: SearchType, organizationId: string, q: string): SQL {
  const s = searchSources[type];
  return sql`(select ${type}::text as type, c.id, c.title, c.doc, c.meeting_id, ${rank(q)} as rank
    from (select t.id, ${sql.raw(s.title)} as title, ${sql.raw(s.doc)} as doc, ${sql.raw(s.meetingId)} as meeting_id
          from ${sql.raw(s.table)} t
          where t.organization_id = ${organizationId} and ${matches(s.doc, q)}
          limit ${CANDIDATES_PER_TYPE}) c)`;
}

export async function search(
  db: DbOrTx,
  organizationId: string,
  query: { q: string; types: SearchType[]; limit: number; cursor?: string },
): Promise<SearchRow[]> {
  const c = decodeCursor(query.cursor, 3) as [string, string, string] | null;
  const after = c ? sql`where (hits.rank < ${c[0]}::float8 or (hits.rank = ${c[0]}::float8 and (hits.type, hits.id) > (${c[1]}::text, ${c[2]}::uuid)))` : sql``;
  const union = sql.join(query.types.map((type) => candidates(type, organizationId, query.q)), sql` union all `);
  return db.transaction(async (tx) => {
    // The planner's cost model takes ILIKE for cheap, but matching CJK text costs microseconds per
    // row, and a LIMIT makes a sequential scan look cheaper still; so this query reads only
    // through the GIN indexes (bitmap scans), whose cost grows with the matches, not the table.
    await tx.execute(sql`select set_config('enable_seqscan', 'off', true), set_config('enable_indexscan', 'off', true)`);
    return (await tx.execute(sql`
      select hits.type, hits.id, hits.title, hits.doc, hits.meeting_id, hits.rank::text as rank
      from (${union}) hits ${after}
      order by hits.rank desc, hits.type, hits.id
      limit ${query.limit + 1}`)) as unknown as SearchRow[];
  });
}
