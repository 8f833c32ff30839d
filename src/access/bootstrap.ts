import { sql } from 'drizzle-orm';
import type { Db } from '../platform/database.js';
import { createOrganization, insertApiKey } from './api-keys.js';

/**
 * First start: an empty database gets an organisation and an admin key, returned so the caller
 * can print it once. `LIAISON_BOOTSTRAP_KEY` fixes the key for automation. Several processes may
 * start together; an advisory lock lets exactly one of them create it.
 */
export async function bootstrapFirstOrganization(db: Db, fixedKey?: string): Promise<{ slug: string; key: string } | null> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7268152)`);
    const [existing] = (await tx.execute(sql`select 1 from organizations limit 1`)) as unknown as unknown[];
    if (existing) return null;
    const org = await createOrganization(tx, 'default', 'Default organisation');
    const key = await insertApiKey(tx, org.id, { name: 'bootstrap admin', scopes: ['admin'], secret: fixedKey });
    return { slug: org.slug, key: key.secret };
  });
}
