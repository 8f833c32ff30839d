import { and, eq, isNull, sql } from 'drizzle-orm';
import { PgTransaction } from 'drizzle-orm/pg-core';
import { apiKeys, organizations, people } from '../../db/schema/index.js';
import { generateApiKey, hashApiKey, keyPrefix, type Scope } from '../platform/api-key-crypto.js';
import { KEY_CHANNEL } from '../platform/key-store.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { Db, DbOrTx } from '../platform/database.js';
import { BadRequest, NotFound, UnknownReference } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { iso } from '../platform/schemas.js';
import { wakeUpsOf } from '../platform/wake-ups.js';
import type { NewApiKey } from './schemas.js';

type Row = typeof apiKeys.$inferSelect;

export function toApiKey(r: Row) {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes as Scope[],
    personId: r.personId,
    lastUsedAt: iso(r.lastUsedAt),
    revokedAt: iso(r.revokedAt),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

/** Inserts a key and returns it with its secret, the only time the secret is ever available. */
export async function insertApiKey(
  db: DbOrTx,
  organizationId: string,
  input: { name: string; scopes: Scope[]; personId?: string | null; secret?: string },
) {
  const secret = input.secret ?? generateApiKey();
  const [row] = await db
    .insert(apiKeys)
    .values({
      organizationId,
      name: input.name,
      scopes: [...new Set(input.scopes)],
      personId: input.personId ?? null,
      prefix: keyPrefix(secret),
      keyHash: hashApiKey(secret),
    })
    .returning();
  // Processes that remember this secret as naming no key forget that once it commits (see
  // KeyStore): on the pool it has committed now; a transaction's owner hints after its commit.
  if (!(db instanceof PgTransaction)) wakeUpsOf(db as Db).hint(KEY_CHANNEL, row!.id);
  return { ...toApiKey(row!), secret };
}

/**
 * A person-bound key names a person of the organisation (400 naming `body.personId` otherwise) and
 * acts as that person only, so it cannot have `act_as`. The person's row is locked against deletion
 * (FOR KEY SHARE, what a foreign key would take) until the key has committed, so a deletion either
 * sees the key and revokes it or runs first and this is refused.
 */
export async function createApiKey(rec: ChangeRecorder, input: NewApiKey) {
  if (input.personId !== undefined) {
    if (input.scopes.includes('act_as')) {
      throw new BadRequest('A person-bound key acts as its own person only: it cannot have the `act_as` scope.', [
        { path: 'body.scopes', message: 'act_as is for integration keys' },
      ]);
    }
    const [person] = await rec.tx
      .select({ id: people.id })
      .from(people)
      .where(and(eq(people.organizationId, rec.organizationId), eq(people.id, input.personId)))
      .for('key share');
    if (!person) throw new UnknownReference('body.personId', 'person');
  }
  const created = await insertApiKey(rec.tx, rec.organizationId, input);
  rec.wake(KEY_CHANNEL, created.id);
  const { secret: _secret, ...audited } = created;
  await rec.audit({ action: 'create', entityType: 'api_key', entityId: created.id, after: audited });
  return created;
}

export async function listApiKeys(db: DbOrTx, organizationId: string, q: { limit: number; cursor?: string }) {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.organizationId, organizationId), afterCreated(apiKeys.createdAt, apiKeys.id, q.cursor)))
    .orderBy(apiKeys.createdAt, apiKeys.id)
    .limit(q.limit + 1);
}

/**
 * Revocation is durable in api_keys; once it commits every process is told (a wake-up hint) and
 * drops the key from its cache. A process that misses the hint finds it by KeyStore's poll.
 */
export async function revokeApiKey(rec: ChangeRecorder, id: string) {
  const [current] = await rec.tx
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.organizationId, rec.organizationId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .for('update');
  if (!current) throw new NotFound('API key');
  const [row] = await rec.tx
    .update(apiKeys)
    // The database's clock: KeyStore's poll compares revocation times with it.
    .set({ revokedAt: sql`now()`, updatedAt: new Date(), version: current.version + 1 })
    .where(eq(apiKeys.id, id))
    .returning();
  rec.wake(KEY_CHANNEL, id);
  await rec.audit({ action: 'revoke', entityType: 'api_key', entityId: id, before: toApiKey(current), after: toApiKey(row!) });
}

/**
 * A person's deletion revokes the keys bound to that person, in its transaction: they answer 401
 * from then on in every process (the wake-up hint, or KeyStore's revocation poll within a second),
 * and still show whose they were. The hint naming the person also makes every process forget it
 * as a `Liaison-On-Behalf-Of` target.
 */
export async function revokeKeysOfPerson(rec: ChangeRecorder, personId: string) {
  const revoked = await rec.tx
    .update(apiKeys)
    .set({ revokedAt: sql`now()`, updatedAt: new Date(), version: sql`${apiKeys.version} + 1` })
    .where(and(eq(apiKeys.organizationId, rec.organizationId), eq(apiKeys.personId, personId), isNull(apiKeys.revokedAt)))
    .returning();
  rec.wake(KEY_CHANNEL, personId);
  for (const row of revoked) {
    rec.wake(KEY_CHANNEL, row.id);
    const after = toApiKey(row);
    await rec.audit({ action: 'revoke', entityType: 'api_key', entityId: row.id, before: { ...after, revokedAt: null, version: row.version - 1 }, after });
  }
}

export async function createOrganization(db: DbOrTx, slug: string, name = slug) {
  const [org] = await db.insert(organizations).values({ slug, name }).returning();
  return org!;
}

export async function findOrganizationBySlug(db: DbOrTx, slug: string) {
  const [org] = await db.select().from(organizations).where(eq(organizations.slug, slug));
  return org ?? null;
}
