import { createHash } from 'node:crypto';
import { and, eq, gt, sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { idempotencyKeys } from '../../db/schema/index.js';
import { ChangeSet, sentWithCommit, type ChangeRecorder } from './changes.js';
import { builtOnce, builtSql } from './built-once.js';
import type { Db } from './database.js';
import { BadRequest, Conflict, Unprocessable } from './errors.js';
import { setEtag } from './etag.js';

const KEEP_MS = 24 * 3600 * 1000;

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
  }
}

function requestFingerprint(req: FastifyRequest, extra?: string): string {
  const h = createHash('sha256');
  h.update(`${req.method} ${req.url.split('?')[0]}\n`);
  h.update(extra ?? JSON.stringify(req.body ?? null));
  return h.digest('hex');
}

function idempotencyKey(req: FastifyRequest): string | null {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return null;
  const key = Array.isArray(raw) ? raw[0]! : raw;
  if (key.length < 1 || key.length > 255 || !/^[\x21-\x7e]+$/.test(key)) {
    throw new BadRequest('Idempotency-Key must be 1 to 255 visible ASCII characters.', [
      { path: 'headers.idempotency-key', message: 'invalid' },
    ]);
  }
  return key;
}

const p = (name: string) => sql.placeholder(name);

/** Takes the Idempotency-Key's lock for the rest of the transaction, unless another holds it. */
const lockKey = builtSql<{ locked: boolean }>(() => sql`select pg_try_advisory_xact_lock(hashtext(${p('org')}), hashtext(${p('key')})) as locked`);

/** The answer stored for an Idempotency-Key that has not expired (built once: see built-once.ts). */
const storedAnswer = builtOnce<typeof idempotencyKeys.$inferSelect>((db) =>
  db
    .select()
    .from(idempotencyKeys)
    .where(and(eq(idempotencyKeys.organizationId, p('org')), eq(idempotencyKeys.key, p('key')), gt(idempotencyKeys.expiresAt, p('now')))),
);

/** Stores the answer for an Idempotency-Key, replacing an expired one as if it were new. */
const storeAnswer = builtOnce((db) =>
  db
    .insert(idempotencyKeys)
    .values({ organizationId: p('org'), key: p('key'), requestHash: p('hash'), responseStatus: p('status'), responseBody: p('body'), expiresAt: p('expires') })
    .onConflictDoUpdate({
      target: [idempotencyKeys.organizationId, idempotencyKeys.key],
      set: {
        requestHash: sql`excluded.request_hash`,
        responseStatus: sql`excluded.response_status`,
        responseBody: sql`excluded.response_body`,
        createdAt: sql`excluded.created_at`,
        expiresAt: sql`excluded.expires_at`,
      },
    }),
);

/**
 * Runs a write: one transaction holding the change, its audit records, its events and (for a POST
 * with `Idempotency-Key`) the stored answer, the last three written together at its end, in the
 * round trip of the COMMIT (see ChangeSet, sentWithCommit), so a retry either replays exactly what committed or finds nothing
 * and runs afresh. A concurrent duplicate is refused with 409 rather than queued
 * behind the first, and the same key with another body is 422.
 *
 * `status` is the success status; the handler returns the body, which must be plain JSON. A body
 * with a `version` (a single resource) also sets the answer's ETag.
 */
export async function mutate<T>(
  req: FastifyRequest,
  reply: FastifyReply,
  status: number,
  fn: (rec: ChangeRecorder) => Promise<T>,
  opts: { fingerprint?: string | (() => Promise<string>); secretBearing?: boolean; /** Another pool than the API's (uploads have their own). */ db?: Db } = {},
): Promise<T> {
  const db = opts.db ?? req.server.db;
  const key = req.method === 'POST' ? idempotencyKey(req) : null;
  const ctx = { organizationId: req.auth.organizationId, actorKeyId: req.auth.keyId, actorPersonId: req.auth.personId, requestId: req.id };
  const changes = new ChangeSet();
  let last: Promise<unknown> = Promise.resolve();
  const outcome = await db.transaction(async (tx) => {
    if (key) {
      // Sent together (postgres.js pipelines what is not awaited one by one) and run in the order
      // called (built-once statements go to the connection at once), so the read takes its
      // snapshot after the lock is ours and sees what a finished holder committed.
      const lock = lockKey(tx, { org: ctx.organizationId, key });
      const read = storedAnswer(tx, { org: ctx.organizationId, key, now: new Date() });
      const [[{ locked }], [stored]] = await Promise.all([lock, read]);
      if (!locked) throw new Conflict('A request with this Idempotency-Key is still being processed; retry later.');
      // A streamed body (a multipart upload) has a fingerprint only once it has been read: such a
      // caller passes a function, called after `fn` ran or, to check a retry, instead of it.
      const given = opts.fingerprint;
      const eager = typeof given === 'function' ? null : (given ?? requestFingerprint(req));
      const fingerprintNow = async () => eager ?? (await (given as () => Promise<string>)());
      if (stored) {
        if (stored.requestHash !== (await fingerprintNow())) {
          throw new Unprocessable('This Idempotency-Key was used with a different request; use a new key for a new request.');
        }
        if (opts.secretBearing) {
          throw new Conflict('This request already succeeded; its answer held a secret that is shown only once and is not stored.');
        }
        return { replayed: true as const, status: stored.responseStatus, body: stored.responseBody as T };
      }
      const body = await fn(changes.recorder(tx, ctx));
      const fingerprint = await fingerprintNow();
      // An answer that carries a secret is never stored: only hashes of secrets reach the database.
      const storedBody = opts.secretBearing ? null : (body ?? null);
      // The recorded changes and the stored answer go out together with the COMMIT: one round trip.
      last = sentWithCommit(Promise.all([
        changes.write(tx),
        storeAnswer(tx, { org: ctx.organizationId, key, hash: fingerprint, status, body: storedBody, expires: new Date(Date.now() + KEEP_MS) }),
      ]));
      return { replayed: false as const, status, body };
    }
    const body = await fn(changes.recorder(tx, ctx));
    last = sentWithCommit(changes.write(tx));
    return { replayed: false as const, status, body };
  });
  await last;
  // Listeners hear of the change only now that it has committed (see platform/wake-ups.ts), on
  // the API's pool even for an upload: the uploads' few connections may all be held by clients.
  changes.committed(req.server.db);
  if (outcome.replayed) reply.header('idempotent-replayed', 'true');
  reply.code(outcome.status);
  // A single resource answers with its ETag, first time and on replay alike.
  const body = outcome.body as { version?: unknown } | null | undefined;
  if (body && typeof body === 'object' && typeof body.version === 'number') setEtag(reply, body as { version: number });
  return outcome.body;
}
