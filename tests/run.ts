import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { ensureTemplate } from './db.js';

// `npm test`: uses the PostgreSQL named by DATABASE_URL, or starts the embedded one when it is
// unset, builds the migrated template database once, then runs tap over tests/.
async function main(): Promise<number> {
  let stop: (() => Promise<void>) | null = null;
  if (!process.env.DATABASE_URL) {
    const { startEmbeddedPostgres } = await import('../src/platform/embedded-postgres.js');
    const dataDir = resolve(process.env.LIAISON_TEST_DATA_DIR ?? '.liaison/test-cluster');
    process.stderr.write(`no DATABASE_URL: starting embedded PostgreSQL under ${dataDir}\n`);
    const pg = await startEmbeddedPostgres({ dataDir });
    process.env.DATABASE_URL = pg.url;
    stop = () => pg.stop();
  }
  try {
    await ensureTemplate();
    const args = process.argv.slice(2);
    return await new Promise<number>((done) => {
      const child = spawn('npx', ['tap', ...args], { stdio: 'inherit', env: process.env });
      child.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
    });
  } finally {
    await stop?.();
  }
}

main().then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
