import { sql } from 'drizzle-orm';
import { KEY_CHANNEL } from '../platform/key-store.js';
import type { Db } from '../platform/database.js';
import { wakeUpsOf } from '../platform/wake-ups.js';
import { createOrganization, insertApiKey } from './api-keys.js';

export interface FirstOrganization {
  slug: string;
  key: string;
}

/**
 * First start: an empty database gets an organisation and an admin key. Only a hash of the key is
 * stored, so a key that was never shown could never be shown again: `reveal` (printing it) runs
 * inside the transaction, which commits only once it has succeeded. A process that dies before
 * that leaves nothing behind, and the next start is a first start again and shows a new key.
 * `LIAISON_BOOTSTRAP_KEY` fixes the key for automation. Several processes may start together; an
 * advisory lock lets exactly one of them create it. Returns null when the database was not empty.
 */
export async function bootstrapFirstOrganization(
  db: Db,
  opts: { fixedKey?: string; reveal(first: FirstOrganization): Promise<void> },
): Promise<FirstOrganization | null> {
  const created = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7268152)`);
    const [existing] = (await tx.execute(sql`select 1 from organizations limit 1`)) as unknown as unknown[];
    if (existing) return null;
    const org = await createOrganization(tx, 'default', 'Default organisation');
    const key = await insertApiKey(tx, org.id, { name: 'bootstrap admin', scopes: ['admin'], secret: opts.fixedKey });
    const first = { slug: org.slug, key: key.secret };
    await opts.reveal(first);
    return first;
  });
  // Processes that were sent this key before it existed (LIAISON_BOOTSTRAP_KEY) forget that now.
  if (created) wakeUpsOf(db).hint(KEY_CHANNEL, 'created');
  return created;
}

/**
 * The slug of the first organisation while none of its admin keys has ever been used, else null.
 * Then its first key may well have been lost (a start that failed before printing it, under a
 * version that committed first), and the caller says in one line how to make another.
 */
export async function firstOrganizationWithoutUsedAdminKey(db: Db): Promise<string | null> {
  const [row] = (await db.execute(sql`
    select o.slug from organizations o
    where not exists (
      select 1 from api_keys k
      where k.organization_id = o.id and 'admin' = any(k.scopes) and k.revoked_at is null and k.last_used_at is not null
    )
    and o.id = (select id from organizations order by created_at, id limit 1)`)) as unknown as { slug: string }[];
  return row?.slug ?? null;
}
