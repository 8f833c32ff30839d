// A new cluster for the embedded PostgreSQL (embedded-postgres.ts): initdb with the encoding and
// locales the service relies on, made in a scratch directory and renamed into place.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import type { RunAs } from './embedded-postgres-process.js';
import { SUPERUSER, type EmbeddedPostgresCtor } from './embedded-postgres-runtime.js';

export async function initCluster(
  EmbeddedPostgresClass: EmbeddedPostgresCtor,
  clusterDir: string,
  password: string,
  runAs: RunAs | undefined,
  onLog: (message: unknown) => void,
  say: (msg: string) => void,
): Promise<void> {
  // initdb into a scratch directory and rename it into place, so a crash half-way through never
  // leaves a directory with PG_VERSION that is not a complete cluster.
  const scratch = `${clusterDir}.initdb-tmp`;
  const pwfile = `${clusterDir}.pwfile-tmp`;
  await fs.rm(scratch, { recursive: true, force: true });
  if (existsSync(clusterDir)) {
    const entries = await fs.readdir(clusterDir);
    if (entries.length > 0) {
      throw new Error(
        `embedded-postgres: ${clusterDir} exists and is not empty but has no PG_VERSION, so it is not a usable ` +
          `cluster. Move it away (or delete it if it holds nothing you need) and start again.`,
      );
    }
    await fs.rmdir(clusterDir);
  }
  say(`initialising a new cluster in ${clusterDir}`);
  const ctype = utf8CtypeLocale();
  if (!ctype) say('no UTF-8 libc locale found (locale -a); LC_CTYPE=C, so pg_trgm will ignore non-ASCII letters');
  const t0 = Date.now();
  await fs.writeFile(pwfile, password + '\n', { mode: 0o600 });
  try {
    if (runAs) await fs.chown(pwfile, runAs.uid, runAs.gid);
    const init = new EmbeddedPostgresClass({
      databaseDir: scratch,
      user: SUPERUSER,
      password: 'unused',
      authMethod: 'scram-sha-256',
      persistent: true,
      createPostgresUser: runAs !== undefined,
      onLog,
      onError: onLog,
      initdbFlags: [
        // initdb keeps the last --pwfile, so this overrides the package's temp file.
        `--pwfile=${pwfile}`,
        '--encoding=UTF8',
        // Collation: the builtin C.UTF-8 provider (PG 17+), identical on every host and immune to
        // glibc collation changes. LC_CTYPE still comes from libc and matters: pg_trgm and text
        // search classify characters with it, and under plain C they drop every non-ASCII
        // letter (show_trgm('Müller') loses the ü). So use a UTF-8 libc locale for it when the
        // host has one.
        '--locale=C',
        '--locale-provider=builtin',
        '--builtin-locale=C.UTF-8',
        ...(ctype ? [`--lc-ctype=${ctype}`] : []),
        '--no-instructions',
      ],
    });
    await init.initialise();
  } finally {
    await fs.rm(pwfile, { force: true });
  }
  await fs.rename(scratch, clusterDir);
  say(`cluster initialised in ${Date.now() - t0} ms`);
}

/** A UTF-8 libc locale present on this host, for LC_CTYPE; undefined if there is none. */
function utf8CtypeLocale(): string | undefined {
  let available: string[];
  try {
    available = execFileSync('locale', ['-a'], { encoding: 'utf8', stdio: 'pipe' }).split(/\r?\n/).map((l) => l.trim());
  } catch {
    return undefined;
  }
  for (const want of ['C.UTF-8', 'C.utf8', 'en_US.UTF-8', 'en_US.utf8']) if (available.includes(want)) return want;
  return available.find((l) => /\.utf-?8$/i.test(l));
}
