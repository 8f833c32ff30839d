import type { FastifyInstance, FastifyRequest } from 'fastify';
import type postgres from 'postgres';
import { BadRequest, Forbidden, HttpProblem, Unauthorized } from './errors.js';
import { hashApiKey, scopeSatisfied, type Scope } from './api-key-crypto.js';
import { listenFor } from './wake-ups.js';

/** What a key is: its organisation, its scopes and, for a person-bound key, its person. */
export interface KeyContext {
  organizationId: string;
  keyId: string;
  scopes: string[];
  /** A person-bound key's person; null for an integration key. */
  personId: string | null;
}

/**
 * The request's principal, the one object an authorization rule reads: the key, and the person
 * the request acts as. `personId` is a person-bound key's own person or, for an integration key
 * with `act_as`, the person named by `Liaison-On-Behalf-Of` (then `onBehalfOf` is true); null for
 * an integration key acting as itself, which sees and does what its scopes allow.
 */
export interface AuthContext extends KeyContext {
  onBehalfOf: boolean;
}

/** Who made a change, as audit records and events carry it. */
export interface Actor {
  keyId: string | null;
  personId: string | null;
}

export const actorOf = (auth: AuthContext): Actor => ({ keyId: auth.keyId, personId: auth.personId });

/** The header by which an integration key with scope `act_as` acts as a person of its organisation. */
export const ON_BEHALF_OF_HEADER = 'liaison-on-behalf-of';

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

interface CachedKey extends KeyContext {
  /** Revoked, or person-bound to a person who no longer exists: either way it names nobody. */
  revoked: boolean;
  fetchedAt: number;
}

export const KEY_CHANNEL = 'liaison_api_keys';
const CACHE_TTL_MS = 60_000;
const LAST_USED_EVERY_MS = 60_000;
const MISSING_TTL_MS = 5_000;
const MISSING_MAX = 10_000;
/**
 * How long a person found as a `Liaison-On-Behalf-Of` target is believed to exist. Deleting a
 * person sends a hint naming it, which makes every process forget it at once; the lifetime bounds
 * what a lost hint costs.
 */
const ACTED_PERSON_TTL_MS = 10_000;
const ACTED_PERSON_MAX = 10_000;
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
  /** `organizationId/personId` of people found to exist, with when that was looked up. */
  private actedPersons = new Map<string, number>();
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
      // The payload names a key (created or revoked) or a deleted person.
      (id) => {
        this.evict(id);
        this.forgetPerson(id);
        this.missing.clear();
      },
      // A lost listener connection may have missed notifications: start again from nothing.
      () => {
        this.cache.clear();
        this.missing.clear();
        this.actedPersons.clear();
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

  private forgetPerson(personId: string) {
    for (const k of this.actedPersons.keys()) if (k.endsWith(`/${personId}`)) this.actedPersons.delete(k);
  }

  /** The key's context when this process knows it to be valid, without a query; else undefined. */
  known(secret: string): KeyContext | undefined {
    const now = Date.now();
    const entry = this.cache.get(hashApiKey(secret));
    if (!entry || entry.revoked || now - entry.fetchedAt > CACHE_TTL_MS) return undefined;
    this.touch(entry.keyId, now);
    return contextOf(entry);
  }

  /**
   * The key's context, or null when it names no valid key. `actedPersonId`, a person the request
   * would act on behalf of, is looked up in the same query when the key is, so that a first
   * request with `Liaison-On-Behalf-Of` costs one query, not two; `actedPersonFound` then says
   * whether that person exists in the key's organisation (undefined: not looked up here).
   */
  async lookup(secret: string, actedPersonId?: string): Promise<{ key: KeyContext; actedPersonFound?: boolean } | null> {
    const hash = hashApiKey(secret);
    const now = Date.now();
    let entry = this.cache.get(hash);
    let actedPersonFound: boolean | undefined;
    if (!entry || now - entry.fetchedAt > CACHE_TTL_MS) {
      if ((this.missing.get(hash) ?? 0) > now) return null;
      const acted = actedPersonId ?? null;
      const rows = await this.sql<
        { id: string; organization_id: string; scopes: string[]; person_id: string | null; revoked_at: Date | null; person_gone: boolean; acted_found: boolean }[]
      >`
        select id, organization_id, scopes, person_id, revoked_at,
          person_id is not null and not exists (select 1 from people p where p.organization_id = api_keys.organization_id and p.id = api_keys.person_id) as person_gone,
          ${acted}::uuid is not null and exists (select 1 from people p where p.organization_id = api_keys.organization_id and p.id = ${acted}::uuid) as acted_found
        from api_keys where key_hash = ${hash}`;
      const row = rows[0];
      if (!row) {
        this.rememberMissing(hash, now);
        return null;
      }
      entry = {
        keyId: row.id,
        organizationId: row.organization_id,
        scopes: row.scopes,
        personId: row.person_id,
        revoked: row.revoked_at !== null || row.person_gone,
        fetchedAt: now,
      };
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(hash, entry);
      if (actedPersonId !== undefined) {
        actedPersonFound = row.acted_found;
        if (actedPersonFound) this.rememberPerson(row.organization_id, actedPersonId, now);
      }
    }
    if (entry.revoked) return null;
    this.touch(entry.keyId, now);
    return { key: contextOf(entry), actedPersonFound };
  }

  /** Whether the person exists in the organisation, from this process's memory when it can (else a promise). */
  personExists(organizationId: string, personId: string): boolean | Promise<boolean> {
    const now = Date.now();
    const seen = this.actedPersons.get(`${organizationId}/${personId}`);
    if (seen !== undefined && now - seen <= ACTED_PERSON_TTL_MS) return true;
    return this.sql<{ found: boolean }[]>`
      select exists (select 1 from people where organization_id = ${organizationId} and id = ${personId}) as found`.then(([row]) => {
      if (row!.found) this.rememberPerson(organizationId, personId, now);
      return row!.found;
    });
  }

  private rememberPerson(organizationId: string, personId: string, now: number) {
    if (this.actedPersons.size >= ACTED_PERSON_MAX) this.actedPersons.clear();
    this.actedPersons.set(`${organizationId}/${personId}`, now);
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

const contextOf = (e: CachedKey): KeyContext => ({ organizationId: e.organizationId, keyId: e.keyId, scopes: e.scopes, personId: e.personId });

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEADER_PATH = `headers.${ON_BEHALF_OF_HEADER}`;

/** The person id a request names in `Liaison-On-Behalf-Of`: undefined without the header, null when malformed. */
function onBehalfOfHeader(req: FastifyRequest): string | null | undefined {
  const raw = req.headers[ON_BEHALF_OF_HEADER];
  if (raw === undefined) return undefined;
  return typeof raw === 'string' && UUID.test(raw.trim()) ? raw.trim().toLowerCase() : null;
}

/**
 * Who may send `Liaison-On-Behalf-Of`, checked before the person is looked up (so a refused key
 * learns nothing about who exists): only an integration key with `act_as` (403 naming the scope
 * otherwise). A person-bound key is refused with 403 too: the header is well formed, but the key
 * has no authority to act as anyone but its own person, whatever the person named.
 */
function refusedOnBehalf(key: KeyContext, named: string | null): HttpProblem | undefined {
  if (key.personId !== null) {
    return new HttpProblem(403, 'A person-bound API key acts as its own person only: it cannot send `Liaison-On-Behalf-Of`.');
  }
  if (!scopeSatisfied(key.scopes, 'act_as')) return new Forbidden('act_as');
  if (named === null) {
    return new BadRequest('`Liaison-On-Behalf-Of` must be the id of a person of this organisation.', [{ path: HEADER_PATH, message: 'not a person id' }]);
  }
  return undefined;
}

const unknownPerson = () =>
  new BadRequest('`Liaison-On-Behalf-Of` names no person of this organisation.', [{ path: HEADER_PATH, message: 'unknown person' }]);

export function registerAuth(app: FastifyInstance, keys: KeyStore, unauthenticated: UnauthenticatedLimit) {
  app.decorateRequest('auth', null as unknown as AuthContext);
  // The route's scope, granted or refused, then the person acted on behalf of (its existence
  // given, or to be looked up: a promise); undefined when the request may proceed.
  const admit = (req: FastifyRequest, key: KeyContext, named: string | null | undefined, found?: boolean): HttpProblem | Promise<HttpProblem | undefined> | undefined => {
    const needed = req.routeOptions.config.scope ?? (req.method === 'GET' || req.method === 'HEAD' ? 'read' : 'write');
    if (!scopeSatisfied(key.scopes, needed)) return new Forbidden(needed);
    if (named === undefined) {
      req.auth = { ...key, onBehalfOf: false };
      return undefined;
    }
    const refused = refusedOnBehalf(key, named);
    if (refused) return refused;
    const actAs = (exists: boolean) => {
      if (!exists) return unknownPerson();
      req.auth = { ...key, personId: named, onBehalfOf: true };
      return undefined;
    };
    const exists = found ?? keys.personExists(key.organizationId, named!);
    return typeof exists === 'boolean' ? actAs(exists) : exists.then(actAs);
  };
  const lookUp = async (req: FastifyRequest, secret: string | null, named: string | null | undefined) => {
    unauthenticated.check(req);
    const found = secret ? await keys.lookup(secret, named ?? undefined) : null;
    if (!found) {
      await unauthenticated.count(req);
      throw new Unauthorized();
    }
    const refused = await admit(req, found.key, named, found.actedPersonFound);
    if (refused) throw refused;
  };
  // A callback hook: a key this process already knows is admitted without a promise (and so is a
  // person it acts on behalf of that this process has seen lately).
  app.addHook('onRequest', (req, _reply, done) => {
    const config = req.routeOptions.config;
    if (config.public || !req.routeOptions.url) return done();
    const secret = bearer(req);
    const named = onBehalfOfHeader(req);
    const known = secret ? keys.known(secret) : undefined;
    if (!known) return void lookUp(req, secret, named).then(() => done(), done);
    const admitted = admit(req, known, named);
    if (admitted instanceof Promise) return void admitted.then((refused) => done(refused), done);
    done(admitted);
  });
}
