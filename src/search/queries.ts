import { UUID_PATTERN as UUID } from '../platform/schemas.js';
import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
import { decodeCursor } from '../platform/pagination.js';
import { isoSql } from '../platform/json-text.js';
import { inVisibleMeeting, meetingVisible, type Viewer } from '../access/viewer.js';
import { searchSources, searchTypes, type SearchSource, type SearchType } from './documents.js';

/**
 * Ranking. A hit is in one of two tiers: the query occurs in the title (tier 2, `rank` 2), or only
 * in the rest of the text (tier 1, `rank` 1). Every title hit outranks every text hit; within a
 * tier, the most recently created comes first (ties by type, then id, descending). That order is
 * one an index already serves, the (organization_id, created_at, id) btree of each table read
 * backwards, so a page of a common word reads about `limit / share of matching rows` rows per
 * type and tier instead of computing a score for every match (a score such as coverage of the
 * title needs every match: 10,000 for a word in a sixth of 60,000 rows). Recency is also what a
 * reader of meeting outcomes usually wants among equally good matches.
 *
 * The keyset cursor is that order's key, [tier, createdAt, type, id] (createdAt has millisecond
 * precision, like a JavaScript Date, so it round-trips exactly).
 */
export interface SearchRow {
  type: SearchType;
  tier: number;
  /** ISO 8601, UTC, milliseconds. */
  created_at: string;
  id: string;
  title: string;
  doc: string;
  meeting_id: string | null;
}

export const cursorKey = (r: SearchRow): (string | number)[] => [r.tier, r.created_at, r.type, r.id];

/**
 * How many rows of one type and tier are read newest first before the query falls back to the
 * trigram/short-gram GIN index: 20 per row of the page, at least 400. A query whose hits make up
 * at least ~5% of the recent rows (a common word) is answered from them in about a millisecond;
 * a rarer one has few matches, which the GIN index finds and a top-N sort orders. Either way the
 * order is exact over every match. (A query matching nothing costs the prefixes: ~4 × 420 rows
 * for two types and a page of 20.)
 */
const prefixFor = (take: number) => Math.max(400, 20 * take);

type Cursor = { tier: number; createdAt: string; type: SearchType; id: string };


function parseCursor(cursor: string | undefined): Cursor | null {
  const c = decodeCursor(cursor, 4);
  if (!c) return null;
  const [tier, createdAt, type, id] = c;
  if ((tier === 1 || tier === 2) && typeof createdAt === 'string' && !Number.isNaN(Date.parse(createdAt))
    && searchTypes.includes(type as SearchType) && typeof id === 'string' && UUID.test(id)) {
    return { tier, createdAt: new Date(createdAt).toISOString(), type: type as SearchType, id };
  }
  return decodeCursor('!', 4) as never; // throws the 400
}

/** Substring match, case-insensitive, per row: for rows already read (no index involved). */
function contains(text: SQL, q: string): SQL {
  return sql`strpos(lower(${text}), lower(${q}::text)) > 0`;
}

/**
 * The same match in the form the GIN indexes serve: `ILIKE` over the trigram index for queries of
 * three or more characters; shorter ones (`预算`, `HR`) have no trigram and use the index of 1- and
 * 2-character substrings instead. PostgreSQL's text search does not segment Chinese, so matching
 * is by substring, in any script.
 */
function indexedMatch(s: SearchSource, q: string): SQL {
  const d = sql.raw(s.doc);
  if ([...q].length >= 3) {
    const pattern = `%${q.replace(/[\\%_]/g, '\\$&')}%`;
    return sql`${d} ilike ${pattern}`;
  }
  return sql`liaison_short_grams(${d}) @> array[lower(${q}::text)]::text[]`;
}

interface Branch {
  type: SearchType;
  tier: 1 | 2;
  /** The tier's condition on a row (alias `t`). */
  tierMatch: SQL;
  /** Rows after the cursor, or null when the whole branch lies before it. */
  after: SQL | null;
}

function branch(type: SearchType, tier: 1 | 2, q: string, c: Cursor | null): Branch {
  const s = searchSources[type];
  const inTitle = contains(sql.raw('t.title'), q);
  const tierMatch = tier === 2 ? inTitle : sql`${contains(sql.raw(s.doc), q)} and not ${inTitle}`;
  let after: SQL | null = sql`true`;
  if (c) {
    // Order within a tier: created_at desc, type (searchTypes order), id desc.
    const typeOrder = Math.sign(searchTypes.indexOf(type) - searchTypes.indexOf(c.type));
    if (tier > c.tier) after = null;
    else if (tier < c.tier) after = sql`true`;
    else if (typeOrder > 0) after = sql`t.created_at <= ${c.createdAt}::timestamptz`;
    else if (typeOrder < 0) after = sql`t.created_at < ${c.createdAt}::timestamptz`;
    else after = sql`(t.created_at, t.id) < (${c.createdAt}::timestamptz, ${c.id}::uuid)`;
  }
  return { type, tier, tierMatch, after };
}

function columns(b: Branch): SQL {
  const s = searchSources[b.type];
  return sql`${b.type}::text as type, ${b.tier}::int as tier, t.created_at, t.id, ${sql.raw(s.title)} as title, ${sql.raw(s.doc)} as doc, ${sql.raw(s.meetingId)} as meeting_id`;
}

/**
 * The condition that a row (alias `t`) of `type` belongs to a meeting the viewer sees (SPEC §8): a
 * meeting is checked on itself, anything else through its meeting (an issue may have none). It is
 * applied where the tier's match is, after the newest rows are read through the created-order
 * index, so the prefix and the GIN branch keep their plans (`true` for a viewer who sees all).
 */
function visibleTo(viewer: Viewer, type: SearchType, organizationId: string): SQL {
  if (type === 'meeting') return meetingVisible(viewer, sql.raw('t'));
  return inVisibleMeeting(viewer, sql`${organizationId}::uuid`, sql.raw(searchSources[type].meetingId));
}

/**
 * One type and tier: its first `limit + 1` hits in rank order. Through the created-order index, the
 * organisation's newest rows (prefixFor) (after the cursor) are read and filtered (`name_f`); only when
 * they hold fewer than `limit + 1` hits is the GIN index asked for every match. The GIN branch
 * checks the organisation as `(…) is true`, which no btree can serve: otherwise the planner, which
 * prices a substring match like an integer comparison, reads the organisation's whole btree range
 * instead (milliseconds per thousand rows for CJK text). `gate` keeps a tier-1 branch from running
 * at all when tier 2 already fills the page.
 */
function branchCtes(name: string, b: Branch, s: SearchSource, organizationId: string, q: string, take: number, gate: SQL, visible: SQL): SQL[] {
  const after = b.after!;
  const viaGin = (extraGate: SQL) => sql`select ${columns(b)} from ${sql.raw(s.table)} t
      where ${gate} and ${extraGate} and (t.organization_id = ${organizationId}::uuid) is true and ${indexedMatch(s, q)} and ${b.tierMatch} and ${after} and ${visible}
      order by t.created_at desc, t.id desc limit ${take}`;
  const fast = `${name}_f`;
  return [
    sql`${sql.raw(fast)} as (select ${columns(b)} from (
        select t.* from ${sql.raw(s.table)} t
        where ${gate} and t.organization_id = ${organizationId}::uuid and ${after}
        order by t.created_at desc, t.id desc limit ${prefixFor(take)}) t
      where ${b.tierMatch} and ${visible} order by t.created_at desc, t.id desc limit ${take})`,
    sql`${sql.raw(name)} as (select * from ${sql.raw(fast)} where (select count(*) from ${sql.raw(fast)}) >= ${take}
      union all (${viaGin(sql`(select count(*) from ${sql.raw(fast)}) < ${take}`)}))`,
  ];
}

export async function search(
  db: DbOrTx,
  organizationId: string,
  viewer: Viewer,
  query: { q: string; types: SearchType[]; limit: number; cursor?: string },
): Promise<SearchRow[]> {
  const c = parseCursor(query.cursor);
  const take = query.limit + 1;
  const q = query.q;
  const ctes: SQL[] = [];
  const tiers: Record<1 | 2, string[]> = { 1: [], 2: [] };
  for (const tier of [2, 1] as const) {
    // Text-only hits are looked for only when the title hits after the cursor do not fill the page.
    const gate = tier === 2 || tiers[2].length === 0 ? sql`true` : sql`(select count(*) from titles) < ${take}`;
    for (const type of query.types) {
      const b = branch(type, tier, q, c);
      if (!b.after) continue;
      const name = `${type}_${tier}`;
      ctes.push(...branchCtes(name, b, searchSources[type], organizationId, q, take, gate, visibleTo(viewer, type, organizationId)));
      tiers[tier].push(name);
    }
    if (tier === 2 && tiers[2].length) {
      ctes.push(sql`titles as (${sql.join(tiers[2].map((n) => sql.raw(`select * from ${n}`)), sql` union all `)})`);
    }
  }
  const parts = [...(tiers[2].length ? ['titles'] : []), ...tiers[1]];
  const order = sql.raw(`case type ${searchTypes.map((t, i) => `when '${t}' then ${i}`).join(' ')} end`);
  return (await db.execute(sql`with ${sql.join(ctes, sql`, `)}
    select type, tier, ${isoSql('created_at')} as created_at, id, title, doc, meeting_id
    from (${sql.join(parts.map((n) => sql.raw(`select * from ${n}`)), sql` union all `)}) hits
    order by tier desc, created_at desc, ${order}, id desc
    limit ${take}`)) as unknown as SearchRow[];
}
