import { sql } from 'drizzle-orm';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { NotFound } from '../platform/errors.js';
import { decodeCursor } from '../platform/pagination.js';
import type { Interval } from './intervals.js';

export interface BlockRow {
  id: string;
  source: string;
  starts_at: string;
  ends_at: string;
  created_at: string;
}

// Timestamps rendered in SQL as RFC 3339 UTC with milliseconds, the API's form.
const rfc3339 = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
const blockColumns = sql`id, source, ${rfc3339('starts_at')} as starts_at, ${rfc3339('ends_at')} as ends_at, ${rfc3339('created_at')} as created_at`;

export const toApiBlock = (r: BlockRow) => ({ id: r.id, source: r.source, startsAt: r.starts_at, endsAt: r.ends_at, createdAt: r.created_at });
export const blockKey = (r: BlockRow) => [r.starts_at, r.id];

/**
 * The person a write names, locked against a concurrent import for them (FOR NO KEY UPDATE, so
 * rows that merely reference the person are not held up), with the zone their floating times
 * are read in. Another organisation's person is 404.
 */
export async function lockPersonForImport(db: DbOrTx, organizationId: string, personId: string): Promise<{ timeZone: string }> {
  const [row] = (await db.execute(sql`
    select coalesce(p.time_zone, o.default_time_zone, 'UTC') as time_zone
    from people p join organizations o on o.id = p.organization_id
    where p.organization_id = ${organizationId} and p.id = ${personId}
    for no key update of p`)) as unknown as { time_zone: string }[];
  if (!row) throw new NotFound('Person');
  return { timeZone: row.time_zone };
}

const tsArray = (values: number[]) => `{${values.map((v) => new Date(v).toISOString()).join(',')}}`;

/**
 * Replaces a source's blocks inside [from, to) with `blocks` in one statement: blocks of the
 * source that lay inside go, those reaching across an edge keep their part outside (a block
 * spanning the whole window keeps both ends), and the new ones are inserted. Atomic with the
 * caller's transaction; answers how many blocks the window held and the new rows.
 */
export async function replaceBusyBlocks(rec: ChangeRecorder, personId: string, source: string, from: Date, to: Date, blocks: Interval[]) {
  const org = rec.organizationId;
  const sorted = [...blocks].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const f = from.toISOString();
  const t = to.toISOString();
  const rows = (await rec.tx.execute(sql`
    with target as (
      select id from busy_blocks
      where organization_id = ${org} and person_id = ${personId} and source = ${source}
        and ends_at > ${f}::timestamptz and starts_at < ${t}::timestamptz
    ), removed as (
      delete from busy_blocks b using target where b.id = target.id returning b.starts_at, b.ends_at
    ), remnants as (
      insert into busy_blocks (organization_id, person_id, source, starts_at, ends_at)
      select ${org}::uuid, ${personId}::uuid, ${source}, starts_at, ${f}::timestamptz from removed where starts_at < ${f}::timestamptz
      union all
      select ${org}::uuid, ${personId}::uuid, ${source}, ${t}::timestamptz, ends_at from removed where ends_at > ${t}::timestamptz
    ), added as (
      insert into busy_blocks (organization_id, person_id, source, starts_at, ends_at)
      select ${org}::uuid, ${personId}::uuid, ${source}, s, e
      from unnest(${tsArray(sorted.map((b) => b[0]))}::timestamptz[], ${tsArray(sorted.map((b) => b[1]))}::timestamptz[]) as n(s, e)
      returning ${blockColumns}
    )
    select (select count(*)::int from removed) as removed, coalesce(json_agg(added order by starts_at, id), '[]'::json) as blocks from added`)) as unknown as [
    { removed: number; blocks: BlockRow[] },
  ];
  const { removed, blocks: added } = rows[0]!;
  await rec.audit({
    action: 'replace_busy_blocks',
    entityType: 'person',
    entityId: personId,
    before: { busyBlocksRemoved: removed },
    after: { busyBlockSource: source, from: f, to: t, busyBlocks: added.length },
  });
  return { personId, source, from: f, to: t, removed, blocks: added.map(toApiBlock) };
}

export async function listBusyBlocks(
  db: DbOrTx,
  organizationId: string,
  personId: string,
  q: { from: Date; to: Date; source?: string; limit: number; cursor?: string },
): Promise<BlockRow[]> {
  const c = decodeCursor(q.cursor, 2);
  const after = c ? sql`and (starts_at, id) > (${String(c[0])}::timestamptz, ${String(c[1])}::uuid)` : sql``;
  const [person, rows] = (await Promise.all([
    db.execute(sql`select 1 from people where organization_id = ${organizationId} and id = ${personId}`),
    db.execute(sql`
      select ${blockColumns} from busy_blocks
      where organization_id = ${organizationId} and person_id = ${personId}
        and ends_at > ${q.from.toISOString()}::timestamptz and starts_at < ${q.to.toISOString()}::timestamptz
        ${q.source ? sql`and source = ${q.source}` : sql``} ${after}
      order by busy_blocks.starts_at, id
      limit ${q.limit + 1}`),
  ])) as unknown as [unknown[], BlockRow[]];
  if (person.length === 0) throw new NotFound('Person');
  return rows;
}
