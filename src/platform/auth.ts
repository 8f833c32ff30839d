import type { FastifyInstance, FastifyRequest } from 'fastify';
import type postgres from 'postgres';
import { Forbidden, Unauthorized } from './errors.js';
import { hashApiKey, scopeSatisfied, type Scope } from './api-key-crypto.js';
import { listenFor } from './wake-ups.js';

export interface AuthContext {
  organizationId: string;
  keyId: string;
  scopes: string[];
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a route needs; by default `read` for GET/HEAD and `write` otherwise. */
    scope?: Scope;
    /** Routes outside the API (health, docs) that need no key. */
    public?: boolean;
  }
  interface FastifyRequest {
    auth: AuthContext;
  }
}

/**
 * The limit on requests that carry no valid key, per client address (src/platform/rate-limit.ts).
 * It is checked before a key is looked up, so that a flood of wrong keys costs no query once an
 * address has spent its budget; a key this process already knows to be valid skips it.
 */
export interface UnauthenticatedLimit {
  /** Throws a 429 problem when the client's address has spent its budget. */
  check(req: FastifyRequest): void;
  /** Counts one request refused for want of a valid key; throws a 429 problem when that passes the budget. */
  count(req: FastifyRequest): Promise<void>;
}

interface CachedKey extends AuthContext {
  revoked: boolean;
  fetchedAt: number;
}

export const KEY_CHANNEL = 'liaison_api_keys';
const CACHE_TTL_MS = 60_000;
const LAST_USED_EVERY_MS = 60_000;
const MISSING_TTL_MS = 5_000;
const MISSING_MAX = 10_000;
/**
 * How often each process asks which keys were revoked lately, in case it missed a hint, and how
 * far back it looks. The window is wider than the cache's lifetime, so a revocation whose
 * transaction took long to commit is still inside it when it becomes visible; an entry older than
 * the lifetime is looked up again anyway.
 */
export const REVOCATION_POLL_MS = 1_000;
const REVOCATION_WINDOW_S = (2 * CACHE_TTL_MS) / 1000;

/**
 * Key lookups are cached per process so an authenticated read costs no extra query. Revocation
 * must still take effect on the next request in every process: the revoking process drops the key
 * at once, a wake-up hint on KEY_CHANNEL sent after the revocation commits tells the others, and
 * as a hint may be lost each process also asks every REVOCATION_POLL_MS (one query, while it has
 * keys cached) which keys were revoked lately, so a revoked key works at most that long there.
 *
 * A secret that names no key is remembered for a few seconds too (bounded), so that repeating a
 * wrong key costs no query each time. Could a key be created whose secret is remembered as
 * missing? Generated secrets are random (32 bytes): only by someone who guessed it. The one secret
 * known before its key exists is LIAISON_BOOTSTRAP_KEY, which automation may well try while the
 * first start is creating it; creating a key also sends NOTIFY on KEY_CHANNEL, and hearing any
 * notification forgets every missing secret, so the new key works as soon as it is committed.
 */
export class KeyStore {
  private cache = new Map<string, CachedKey>();
  /** Hashes that named no key, with when that stops being believed; oldest first. */
  private missing = new Map<string, number>();
  private lastUsedWritten = new Map<string, number>();
  private listening: { unlisten(): Promise<void> } | null = null;
  private poll: NodeJS.Timeout | null = null;
  private polling = false;

  constructor(private sql: postgres.Sql) {}

  async start() {
    this.poll = setInterval(() => void this.evictRevoked(), REVOCATION_POLL_MS);
    this.poll.unref();
    this.listening = await listenFor(
      this.sql,
      KEY_CHANNEL,
      (keyId) => {
        this.evict(keyId);
        this.missing.clear();
      },
      // A lost listener connection may have missed notifications: start again from nothing.
      () => {
        this.cache.clear();
        this.missing.clear();
      },
    );
  }

  async stop() {
    if (this.poll) clearInterval(this.poll);
    await this.listening?.unlisten().catch(() => {});
    while (this.polling) await new Promise((r) => setTimeout(r, 5));
  }

  /** The fallback for a lost hint: keys revoked within the window leave the cache. */
  private async evictRevoked() {
    if (this.polling || this.cache.size === 0) return;
    this.polling = true;
    try {
      const rows = await this.sql<{ id: string }[]>`
        select id from api_keys where revoked_at > now() - make_interval(secs => ${REVOCATION_WINDOW_S})`;
      if (rows.length === 0) return;
      const revoked = new Set(rows.map((r) => r.id));
      // Entries already known to be revoked stay: they answer 401 without a query.
      for (const [hash, k] of this.cache) if (!k.revoked && revoked.has(k.keyId)) this.cache.delete(hash);
    } catch {
      // The next poll tries again; meanwhile the cache's lifetime bounds what a lost hint costs.
    } finally {
      this.polling = false;
    }
  }

  evict(keyId: string) {
    for (const [hash, k] of this.cache) if (k.keyId === keyId) this.cache.delete(hash);
  }

  /** The key's context when this process knows it to be valid, without a query; else undefined. */
  known(secret: string): AuthContext | undefined {
    const now = Date.now();
    const entry = this.cache.get(hashApiKey(secret));
    if (!entry || entry.revoked || now - entry.fetchedAt > CACHE_TTL_MS) return undefined;
    this.touch(entry.keyId, now);
    return { organizationId: entry.organizationId, keyId: entry.keyId, scopes: entry.scopes };
  }

  async lookup(secret: string): Promise<AuthContext | null> {
    const hash = hashApiKey(secret);
    const now = Date.now();
    let entry = this.cache.get(hash);
    if (!entry || now - entry.fetchedAt > CACHE_TTL_MS) {
      if ((this.missing.get(hash) ?? 0) > now) return null;
      const rows = await this.sql<{ id: string; organization_id: string; scopes: string[]; revoked_at: Date | null }[]>`
        select id, organization_id, scopes, revoked_at from api_keys where key_hash = ${hash}`;
      const row = rows[0];
      if (!row) {
        this.rememberMissing(hash, now);
        return null;
      }
      entry = { keyId: row.id, organizationId: row.organization_id, scopes: row.scopes, revoked: row.revoked_at !== null, fetchedAt: now };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, entry);
    }
    if (entry.revoked) return null;
    this.touch(entry.keyId, now);
    return { organizationId: entry.organizationId, keyId: entry.keyId, scopes: entry.scopes };
  }

  private rememberMissing(hash: string, now: number) {
    this.missing.delete(hash);
    // Entries go in in time order with one lifetime, so the first is the one to give up.
    if (this.missing.size >= MISSING_MAX) this.missing.delete(this.missing.keys().next().value!);
    this.missing.set(hash, now + MISSING_TTL_MS);
  }

  // lastUsedAt is written at most once a minute per key and process, off the request path.
  private touch(keyId: string, now: number) {
    const last = this.lastUsedWritten.get(keyId) ?? 0;
    if (now - last < LAST_USED_EVERY_MS) return;
    this.lastUsedWritten.set(keyId, now);
    this.sql`update api_keys set last_used_at = now() where id = ${keyId}`.catch(() => this.lastUsedWritten.delete(keyId));
  }
}

function bearer(req: FastifyRequest): string | null {
  const h = req.headers.authorization;
  if (!h) return null;
  const m = /^Bearer\s+(\S+)$/i.exec(h);
  return m ? m[1]! : null;
}

export function registerAuth(app: FastifyInstance, keys: KeyStore, unauthenticated: UnauthenticatedLimit) {
  app.decorateRequest('auth', null as unknown as AuthContext);
  // The route's scope, granted or refused; undefined when the key may proceed.
  const admit = (req: FastifyRequest, auth: AuthContext): Forbidden | undefined => {
    const needed = req.routeOptions.config.scope ?? (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write');
    if (!scopeSatisfied(auth.scopes, needed)) return new Forbidden(needed);
    req.auth = auth;
    return undefined;
  };
  const lookUp = async (req: FastifyRequest, secret: string | null) => {
    unauthenticated.check(req);
    const auth = secret ? await keys.lookup(secret) : null;
    if (!auth) {
      await unauthenticated.count(req);
      throw new Unauthorized();
    }
    const refused = admit(req, auth);
    if (refused) throw refused;
  };
  // A callback hook: a key this process already knows is admitted without a promise.
  app.addHook('onRequest', (req, _reply, done) => {
    const config = req.routeOptions.config;
    if (config.public || !req.routeOptions.url) return done();
    const secret = bearer(req);
    const known = secret ? keys.known(secret) : undefined;
    if (known) return done(admit(req, known));
    lookUp(req, secret).then(() => done(), done);
  });
}
