import { UUID_PATTERN as UUID } from '../platform/schemas.js';
import { sql, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '../platform/database.js';
import { BadRequest, NotFound } from '../platform/errors.js';
import { builtSql } from '../platform/built-once.js';
import { decodeCursor } from '../platform/pagination.js';
import { ALL, eventVisible, type Viewer } from '../access/viewer.js';

export interface EventRow {
  id: string;
  type: string;
  occurred_at: Date | string;
  data: Record<string, unknown>;
  actor_key_id: string | null;
  actor_person_id: string | null;
  txid: string;
  seq: string;
}

export function toApiEvent(r: EventRow) {
  return {
    id: r.id,
    type: r.type,
    timestamp: new Date(r.occurred_at).toISOString(),
    data: r.data,
    actor: { keyId: r.actor_key_id, personId: r.actor_person_id },
  };
}

/** Matches exact types and `prefix.*` wildcards (`meeting.*`). */
export function typeFilter(types: string[] | undefined): SQL | undefined {
  if (!types || types.length === 0 || types.includes('*')) return undefined;
  const exact = types.filter((t) => !t.endsWith('.*'));
  const prefixes = types.filter((t) => t.endsWith('.*')).map((t) => `${t.slice(0, -1)}%`);
  const parts: SQL[] = [];
  if (exact.length) parts.push(sql`type in (${sql.join(exact.map((t) => sql`${t}`), sql`, `)})`);
  for (const p of prefixes) parts.push(sql`type like ${p}`);
  return sql`(${sql.join(parts, sql` or `)})`;
}

export type Position = [txid: string, seq: string];

/** The position of an event in the log, for `after=<eventId>` and SSE `Last-Event-ID`. */
export async function eventPosition(db: DbOrTx, organizationId: string, eventId: string, viewer: Viewer = ALL): Promise<Position> {
  const rows = (await db.execute(
    sql`select txid::text, seq::text from events where organization_id = ${organizationId} and id = ${eventId} and ${eventVisible(viewer, sql.raw('events'))}`,
  )) as unknown as {
    txid: string;
    seq: string;
  }[];
  if (!rows[0]) throw new NotFound('Event');
  return [rows[0].txid, rows[0].seq];
}

/**
 * The position of an event the client names (at `path`); naming none of this organisation's events
 * is 400, as is naming one the viewer may not see (an event about a confidential meeting, SPEC §8).
 */
export async function positionNamedBy(db: DbOrTx, organizationId: string, eventId: string, path: string, detail: string, viewer: Viewer = ALL): Promise<Position> {
  return eventPosition(db, organizationId, eventId, viewer).catch((err: unknown) => {
    if (err instanceof NotFound) throw new BadRequest(detail, [{ path, message: 'unknown event' }]);
    throw err;
  });
}


/**
 * A page cursor names the last event returned, not its (txid, seq) position: both are counters
 * shared by every organisation in the database, so a cursor carrying them would let one
 * organisation watch the pace of everyone else's writes. An event id is random and means
 * something only inside its own organisation; a cursor from elsewhere, or altered, is refused.
 */
export const eventCursorKey = (row: EventRow) => [row.id];

export async function positionAfterCursor(db: DbOrTx, organizationId: string, cursor: string, viewer: Viewer = ALL): Promise<Position> {
  const [eventId] = decodeCursor(cursor, 1)!;
  const detail = 'The cursor is not valid here; pass `nextCursor` from a previous page of this organisation unchanged.';
  if (typeof eventId !== 'string' || !UUID.test(eventId)) throw new BadRequest(detail, [{ path: 'querystring.cursor', message: 'invalid cursor' }]);
  return positionNamedBy(db, organizationId, eventId, 'querystring.cursor', detail, viewer);
}

/**
 * The log's visibility horizon: every event with a smaller txid has committed (or never will).
 * It is the oldest transaction still in flight when the statement's snapshot was taken, as the
 * comment in db/schema/platform.ts explains, but leaving out transactions that pg_stat_activity
 * shows running in another database of the cluster: they cannot write our events, and without
 * this one long transaction anywhere in the cluster would hold every stream back. A transaction
 * whose database cannot be told (it belongs to a role whose sessions we may not inspect, or began
 * after the sessions were read) still holds the horizon, so the rule only ever errs towards
 * waiting. Use it through `atHorizon`, which reads the sessions before the snapshot is taken.
 */
const visibilityHorizon = sql`(
  select coalesce(min(x::text::bigint), pg_snapshot_xmax(pg_current_snapshot())::text::bigint)
  from pg_snapshot_xip(pg_current_snapshot()) as x
  where x::text::bigint % 4294967296 not in (
    select backend_xid::text::bigint from pg_stat_activity
    where backend_xid is not null and datname is distinct from current_database()))`;

/** Reads the sessions (see atHorizon): PostgreSQL keeps them until the transaction ends. */
const readSessions = builtSql(() => sql`select count(*) from pg_stat_get_backend_idset()`);

/**
 * Runs `query(horizon)`, a statement judged against the visibility horizon, so that the sessions
 * it consults are read before its snapshot is taken. PostgreSQL reads the sessions of
 * pg_stat_activity once per transaction, at first use; read inside the statement, a transaction of
 * another database that finished between the snapshot and that read would be missing from the
 * sessions yet still in the snapshot, and would hold the horizon back (a page that leaves out
 * events already committed: about one read in fifty under concurrent writes elsewhere). So the
 * sessions are read by a first statement of the same transaction; in READ COMMITTED the second
 * statement's snapshot is newer, and every transaction it shows running in another database was
 * already running, and seen, then. Both go out together, behind BEGIN; the COMMIT is a second
 * round trip.
 */
export async function atHorizon<T>(db: Db, query: (horizon: SQL) => SQL): Promise<T[]> {
  return db.transaction(async (tx) => {
    // A built-once statement goes to the connection when called, ahead of the drizzle query.
    const [, rows] = await Promise.all([readSessions(tx, {}), tx.execute(query(visibilityHorizon))]);
    return rows as unknown as T[];
  });
}

/**
 * Events in log order after a position. Only rows whose writing transaction is older than every
 * transaction still in flight are returned (see db/schema/platform.ts), so a reader that follows
 * positions never skips an event that commits later; and only those the viewer may see (events
 * about a confidential meeting it does not see are left out, SPEC §8).
 */
export async function readEvents(
  db: Db,
  organizationId: string,
  viewer: Viewer,
  q: { after?: Position | null; types?: string[]; from?: string; to?: string; limit: number },
): Promise<EventRow[]> {
  const conds: SQL[] = [sql`organization_id = ${organizationId}`, eventVisible(viewer, sql.raw('events'))];
  if (q.after) conds.push(sql`(txid, seq) > (${q.after[0]}::bigint, ${q.after[1]}::bigint)`);
  const tf = typeFilter(q.types);
  if (tf) conds.push(tf);
  if (q.from) conds.push(sql`occurred_at >= ${q.from}::timestamptz`);
  if (q.to) conds.push(sql`occurred_at < ${q.to}::timestamptz`);
  // The order names the table's columns: bare `txid, seq` would sort the text output columns.
  return atHorizon<EventRow>(db, (horizon) => sql`
    select id, type, occurred_at, data, actor_key_id, actor_person_id, txid::text, seq::text from events
    where ${sql.join(conds, sql` and `)} and txid < ${horizon}
    order by events.txid, events.seq limit ${q.limit}`);
}

/** One event; 404 when it is unknown or the viewer may not see it. */
export async function findEvent(db: DbOrTx, organizationId: string, id: string, viewer: Viewer) {
  const rows = (await db.execute(
    sql`select id, type, occurred_at, data, actor_key_id, actor_person_id, txid::text, seq::text from events
      where organization_id = ${organizationId} and id = ${id} and ${eventVisible(viewer, sql.raw('events'))}`,
  )) as unknown as EventRow[];
  if (!rows[0]) throw new NotFound('Event');
  return rows[0];
}
