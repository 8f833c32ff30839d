// Where the embedded PostgreSQL's binaries come from and as whom they run: as root, initdb and
// postgres must run as the `postgres` user, which may not be able to reach a checkout inside a
// 0700 home folder, so the binaries are then copied to a place it can reach (see
// embedded-postgres.ts for the whole list of traps).
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ensureMirror } from './embedded-postgres-mirror.js';
import type { RunAs } from './embedded-postgres-process.js';

export const SUPERUSER = 'postgres';
export const EXTERNAL_ROOT = '/var/lib/liaison';

export interface EmbeddedPostgresInstance {
  process?: import('node:child_process').ChildProcess;
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}
export type EmbeddedPostgresCtor = new (options: Record<string, unknown>) => EmbeddedPostgresInstance;

export interface Runtime {
  /** Absolute path of the embedded-postgres entry module to import. */
  entry: string;
  /** The platform package's native/ directory (bin/, lib/, share/) that entry will use. */
  nativeDir: string;
}

/** uid/gid of the `postgres` system user, created the same way the package would if missing. */
export function ensurePostgresUser(say: (msg: string) => void): RunAs {
  const lookup = (): RunAs | undefined => {
    try {
      const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8', stdio: 'pipe' }).trim());
      const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8', stdio: 'pipe' }).trim());
      return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
    } catch {
      return undefined;
    }
  };
  const found = lookup();
  if (found) return found;
  // We need the ids before the package's initialise() would create the user (to check what the
  // user can reach), so create it here with the same commands the package uses.
  say('running as root: creating system user postgres');
  try {
    execFileSync('groupadd', [SUPERUSER], { stdio: 'pipe' });
  } catch {
    /* group may exist already */
  }
  execFileSync('useradd', ['-g', SUPERUSER, SUPERUSER], { stdio: 'pipe' });
  const created = lookup();
  if (!created) throw new Error('embedded-postgres: could not create the postgres system user');
  return created;
}

/** Whether `runAs` can traverse (`x`) or read (`r`) every path, tested as that user. */
export function canReach(runAs: RunAs, target: string, mode: 'x' | 'r', ...more: string[]): boolean {
  const paths = [target, ...more];
  const script = paths.map((_, i) => `test -${mode} "$${i + 1}"`).join(' && ');
  const res = spawnSync('/bin/sh', ['-c', script, 'sh', ...paths], { uid: runAs.uid, gid: runAs.gid, cwd: '/', stdio: 'ignore' });
  return res.status === 0;
}

export function platformPackageName(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

export async function resolveRuntime(runAs: RunAs | undefined, externalRoot: string, say: (msg: string) => void): Promise<Runtime> {
  const require = createRequire(import.meta.url);
  const entry = require.resolve('embedded-postgres'); // <pkg>/dist/index.js
  const pkgDir = path.dirname(path.dirname(entry));
  const platformPkg = platformPackageName();
  const platformEntry = createRequire(entry).resolve(platformPkg); // <pkg>/dist/index.js
  const platformDir = path.dirname(path.dirname(platformEntry));
  const nativeDir = path.join(platformDir, 'native');

  const binaries = ['initdb', 'postgres', 'pg_ctl'].map((b) => path.join(nativeDir, 'bin', b));
  if (!runAs || canReach(runAs, binaries[0], 'x', ...binaries.slice(1))) return { entry, nativeDir };

  // Mirror into a place the postgres user can reach (see the header comment of embedded-postgres.ts).
  const version = (JSON.parse(readFileSync(path.join(pkgDir, 'package.json'), 'utf8')) as { version: string }).version;
  const platformVersion = (JSON.parse(readFileSync(path.join(platformDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  const root = path.join(externalRoot, 'runtime', `embedded-postgres-${version}-${platformPkg.split('/')[1]}-${platformVersion}`);
  const mirrored = await ensureMirror(root, pkgDir, (msg) => say(`user postgres cannot reach ${nativeDir}: ${msg}`));
  const at = (name: string) => {
    const dir = mirrored.get(name);
    if (!dir) throw new Error(`embedded-postgres: ${name} is not among the packages embedded-postgres depends on`);
    return dir;
  };
  return { entry: path.join(at('embedded-postgres'), path.relative(pkgDir, entry)), nativeDir: path.join(at(platformPkg), 'native') };
}

const loaded = new Map<string, Promise<EmbeddedPostgresCtor>>();

/** Import embedded-postgres from `entry` and undo the process hooks its import installs. */
export function loadPackage(entry: string): Promise<EmbeddedPostgresCtor> {
  let p = loaded.get(entry);
  if (!p) {
    p = (async () => {
      const watched = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;
      const before = new Map(watched.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
      const mod = (await import(pathToFileURL(entry).href)) as { default: EmbeddedPostgresCtor };
      // Preferred: ask async-exit-hook (the very instance the package uses) to unhook itself.
      // This also works if something imported embedded-postgres before us.
      try {
        const exitHook = createRequire(entry)('async-exit-hook') as {
          hookedEvents(): string[];
          unhookEvent(event: string): void;
        };
        for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
      } catch {
        /* fall through to the listener diff */
      }
      for (const event of watched) {
        for (const listener of process.listeners(event as 'exit')) {
          if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
        }
      }
      return mod.default;
    })();
    loaded.set(entry, p);
  }
  return p;
}
