import { isDeepStrictEqual } from 'node:util';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';

// The hottest reads render their API JSON in PostgreSQL (json_build_object over the fields the
// route's zod schema names) and send that text as it is. This spares the process parsing rows into
// objects, mapping them and validating the output again, which cost several times what PostgreSQL
// spends building the JSON. The zod response schema stays the contract: with `verifyJsonText`
// (on in tests), each such answer is parsed and must equal its own parse by that schema.

/** An RFC 3339 UTC timestamp with milliseconds, exactly as `Date.prototype.toISOString` writes it. */
export const isoSql = (column: SQL | string) =>
  sql`to_char(${typeof column === 'string' ? sql.raw(column) : column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * PostgreSQL writes json with spaces after `:` and `,`; what is kept in a render cache is
 * compacted once, so that every answer sent from it is as small as `JSON.stringify` would make it.
 */
export const compactJson = (text: string): string => JSON.stringify(JSON.parse(text));

const sentAsText = new WeakSet<FastifyReply>();

/** Sends JSON text PostgreSQL rendered for the route's response schema (a Buffer when cached encoded). */
export function sendJsonText(reply: FastifyReply, text: string | Buffer): FastifyReply {
  sentAsText.add(reply);
  return reply.type('application/json; charset=utf-8').send(text);
}

/** Checks every JSON-text answer against the route's response schema (tests turn this on). */
export function verifyJsonText(app: FastifyInstance) {
  app.addHook('onSend', async (req, reply, payload) => {
    if (!sentAsText.has(reply)) return payload;
    if (typeof payload !== 'string' && !Buffer.isBuffer(payload)) throw new Error(`${req.routeOptions.url}: JSON text became a stream`);
    const schema = (req.routeOptions.schema?.response as Record<number, z.ZodType> | undefined)?.[reply.statusCode];
    if (!schema) throw new Error(`${req.routeOptions.url} sent JSON text for ${reply.statusCode} without a response schema`);
    const body = JSON.parse(payload.toString()) as unknown;
    const parsed = schema.safeParse(body);
    if (!parsed.success || !isDeepStrictEqual(parsed.data, body)) {
      throw new Error(`${req.routeOptions.url}: JSON rendered in SQL does not match the response schema: ${parsed.error?.message ?? 'fields differ after parsing'}`);
    }
    return payload;
  });
}
