import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { freePort } from './free-port.js';

/** Where Debian's pgbouncer package puts it, or wherever PATH finds it; null when not installed. */
export function findPgBouncer(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin'].filter(Boolean);
  for (const dir of dirs) {
    const candidate = path.join(dir, 'pgbouncer');
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return null;
}

/** A row of an admin console answer (SHOW POOLS, SHOW SERVERS, SHOW CLIENTS…), as text. */
export type AdminRow = Record<string, string | number | null>;

export interface PgBouncer {
  port: number;
  /** `databaseUrl` (on the fronted server) as reached through the pooler. */
  via(databaseUrl: string): string;
  /** A command of the admin console, such as `show pools`. */
  admin(command: string): Promise<AdminRow[]>;
  /** What it has logged so far. */
  output(): string;
  close(): Promise<void>;
}

/** It refuses to run as root: it then drops to the cluster's own user. */
function runAsUser(): string | undefined {
  if (process.getuid?.() !== 0) return undefined;
  return spawnSync('id', ['-u', 'postgres']).status === 0 ? 'postgres' : 'nobody';
}

/**
 * A real PgBouncer in transaction mode in front of the PostgreSQL that `serverUrl` names, on a free
 * loopback port: every database name goes to the same-named database there, `poolSize` server
 * connections per database at most, so that clients really share server connections.
 */
export async function startPgBouncer(binary: string, serverUrl: string, opts: { poolSize?: number } = {}): Promise<PgBouncer> {
  const server = new URL(serverUrl);
  const user = decodeURIComponent(server.username || 'postgres');
  const password = decodeURIComponent(server.password);
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'liaison-pgbouncer-'));
  // Readable by the user it drops to; the password file only by it and us.
  chmodSync(dir, 0o755);
  const serverSide = [`host=${server.hostname}`, `port=${server.port || 5432}`, `user=${user}`, password ? `password=${password}` : ''].filter(Boolean).join(' ');
  writeFileSync(path.join(dir, 'users.txt'), `"${user}" ""\n`, { mode: 0o644 });
  writeFileSync(
    path.join(dir, 'pgbouncer.ini'),
    [
      '[databases]',
      `* = ${serverSide}`,
      '[pgbouncer]',
      'listen_addr = 127.0.0.1',
      `listen_port = ${port}`,
      'unix_socket_dir =',
      'auth_type = trust',
      `auth_file = ${path.join(dir, 'users.txt')}`,
      `admin_users = ${user}`,
      'pool_mode = transaction',
      `default_pool_size = ${opts.poolSize ?? 4}`,
      'max_client_conn = 500',
      // What a pooler in front of Liaison must bound itself (see platform/database.ts): statements
      // outside a transaction get no SET LOCAL guard.
      'query_timeout = 15',
      // Nothing in ignore_startup_parameters: the service must send no start-up parameter that
      // PgBouncer does not know (it refuses the connection then).
      'ignore_startup_parameters =',
      'server_lifetime = 3600',
      'log_connections = 0',
      'log_disconnections = 0',
      '',
    ].join('\n'),
    { mode: 0o644 },
  );
  if (password) chmodSync(path.join(dir, 'pgbouncer.ini'), 0o644);

  const asUser = runAsUser();
  const child = spawn(binary, [...(asUser ? ['-u', asUser] : []), path.join(dir, 'pgbouncer.ini')], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));

  const via = (databaseUrl: string) => {
    const u = new URL(databaseUrl);
    u.hostname = '127.0.0.1';
    u.port = String(port);
    u.password = '';
    return u.toString();
  };
  const admin = postgres(via(new URL('/pgbouncer', serverUrl).toString()), { max: 1, fetch_types: false, onnotice: () => {}, connect_timeout: 2 });

  const close = async () => {
    await admin.end({ timeout: 1 }).catch(() => {});
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };

  // Up once the admin console answers.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe('show version').simple();
      break;
    } catch (err) {
      if (child.exitCode !== null || attempt > 100) {
        await close();
        throw new Error(`pgbouncer did not start: ${(err as Error).message}\n${out}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  return {
    port,
    via,
    admin: async (command) => [...((await admin.unsafe(command).simple()) as unknown as AdminRow[])],
    output: () => out,
    close,
  };
}
