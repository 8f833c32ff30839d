import type postgres from 'postgres';
import { hashApiKey } from './api-key-crypto.js';
import type { KeyContext } from './auth.js';
import { listenFor } from './wake-ups.js';

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

const contextOf = (e: CachedKey): KeyContext => ({ organizationId: e.organizationId, keyId: e.keyId, scopes: e.scopes, personId: e.personId });
