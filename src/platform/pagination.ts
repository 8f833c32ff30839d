import { z } from 'zod';
import { sql, type AnyColumn, type SQL } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { BadRequest } from './errors.js';

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50).describe('Page size, 1 to 200.'),
  cursor: z.string().max(512).optional().describe('`nextCursor` of the previous page.'),
};

export function listOf<T extends z.ZodType>(item: T) {
  return z.object({
    data: z.array(item),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page.'),
  });
}

/** Cursors are opaque to clients: base64url JSON of the last row's sort key. */
export function encodeCursor(values: (string | number)[]): string {
  return Buffer.from(JSON.stringify(values)).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, arity: number): (string | number)[] | null {
  if (cursor === undefined) return null;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(parsed) && parsed.length === arity && parsed.every((v) => typeof v === 'string' || typeof v === 'number')) {
      return parsed as (string | number)[];
    }
  } catch {
    // fall through to the 400 below
  }
  throw new BadRequest('The cursor is not valid; pass `nextCursor` from a previous page unchanged.', [
    { path: 'querystring.cursor', message: 'invalid cursor' },
  ]);
}

/** `(createdAt, id) > cursor` for the common creation-order listing. */
export function afterCreated(createdAt: AnyColumn, id: AnyColumn, cursor: string | undefined): SQL | undefined {
  const c = decodeCursor(cursor, 2);
  if (!c) return undefined;
  const at = new Date(c[0] as string);
  if (Number.isNaN(at.getTime())) decodeCursor('!', 2);
  return sql`(${createdAt}, ${id}) > (${at.toISOString()}::timestamptz, ${c[1]}::uuid)`;
}

/**
 * Splits `limit + 1` fetched rows into the page and `nextCursor` (from the last row kept; null
 * when the probe row is absent), and sets `Link: <…>; rel="next"`.
 */
function splitPage<Row>(req: FastifyRequest, reply: FastifyReply, rows: Row[], limit: number, keyOf: (row: Row) => (string | number)[]) {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  const nextCursor = more ? encodeCursor(keyOf(kept[kept.length - 1]!)) : null;
  if (nextCursor) {
    const url = new URL(req.url, 'http://placeholder');
    url.searchParams.set('cursor', nextCursor);
    url.searchParams.set('limit', String(limit));
    reply.header('link', `<${url.pathname}${url.search}>; rel="next"`);
  }
  return { kept, nextCursor };
}

/** A page (`listOf`) from `limit + 1` fetched rows. */
export function page<Row, Out>(
  req: FastifyRequest,
  reply: FastifyReply,
  rows: Row[],
  limit: number,
  keyOf: (row: Row) => (string | number)[],
  toApi: (row: Row) => Out,
): { data: Out[]; nextCursor: string | null } {
  const { kept, nextCursor } = splitPage(req, reply, rows, limit, keyOf);
  return { data: kept.map(toApi), nextCursor };
}

/** A page (`listOf`) as JSON text, from `limit + 1` rows that carry their item's JSON rendered in SQL. */
export function pageText<Row extends { json: string }>(
  req: FastifyRequest,
  reply: FastifyReply,
  rows: Row[],
  limit: number,
  keyOf: (row: Row) => (string | number)[],
): string {
  const { kept, nextCursor } = splitPage(req, reply, rows, limit, keyOf);
  return `{"data":[${kept.map((r) => r.json).join(',')}],"nextCursor":${JSON.stringify(nextCursor)}}`;
}

export const createdKey = (r: { createdAt: Date; id: string }) => [r.createdAt.toISOString(), r.id];
