import postgres from 'postgres';
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { migrationsFolder, openDatabase, runMigrations } from '../src/platform/database.js';

// Every test file gets its own database, copied from a template that migrations built once.
// The template's name carries a hash of the migrations, so a changed migration builds a new one.
export const adminUrl = () => process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function migrationsHash(): string {
  const h = createHash('sha256');
  for (const f of readdirSync(migrationsFolder).sort()) if (f.endsWith('.sql')) h.update(f).update(readFileSync(`${migrationsFolder}/${f}`));
  h.update(readFileSync(`${migrationsFolder}/meta/_journal.json`));
  return h.digest('hex').slice(0, 12);
}

export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function ensureTemplate(): Promise<string> {
  const name = `liaison_tpl_${migrationsHash()}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  try {
    await admin`select pg_advisory_lock(7268153)`;
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!exists) {
      const building = `${name}_build`;
      await admin.unsafe(`drop database if exists "${building}"`);
      await admin.unsafe(`create database "${building}"`);
      const db = openDatabase(withDatabase(adminUrl(), building), { max: 1 });
      try {
        await runMigrations(db);
      } finally {
        await db.close();
      }
      await admin.unsafe(`alter database "${building}" rename to "${name}"`);
    }
    await admin`select pg_advisory_unlock(7268153)`;
    return name;
  } finally {
    await admin.end({ timeout: 5 });
  }
}

export async function createTestDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const template = await ensureTemplate();
  const name = `liaison_t_${randomBytes(6).toString('hex')}`;
  const admin = postgres(adminUrl(), { max: 1, onnotice: () => {} });
  // CREATE DATABASE … TEMPLATE needs the template to have no other connection, so creations queue.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe(`create database "${name}" template "${template}"`);
      break;
    } catch (err) {
      if (attempt > 50 || (err as { code?: string }).code !== '55006') throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url: withDatabase(adminUrl(), name),
    async drop() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => {});
      await admin.end({ timeout: 5 });
    },
  };
}
