import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import t from 'tap';
import { startEmbeddedPostgres } from '../src/platform/embedded-postgres.js';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/embedded-exit.ts', import.meta.url));

const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'liaison-embedded-pg-'));
t.teardown(async () => {
  // When running as root with a dataDir the postgres user cannot reach, the cluster lives
  // elsewhere (recorded in embedded.json): remove that too.
  const state = await fs
    .readFile(path.join(dataDir, 'embedded.json'), 'utf8')
    .then((s) => JSON.parse(s) as { clusterDir?: string })
    .catch(() => ({}) as { clusterDir?: string });
  if (state.clusterDir) await fs.rm(path.dirname(state.clusterDir), { recursive: true, force: true });
  await fs.rm(dataDir, { recursive: true, force: true });
});

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z'); // a zombie is not running
  } catch {
    return process.platform !== 'linux';
  }
}

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

interface ChildRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ready?: { url: string; clusterDir: string; postmasterPid: number };
}

function runFixture(mode: string, onLine?: (line: string, kill: (s: NodeJS.Signals) => void) => void): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // keep tap's own instrumentation out of the child's exit path
    const child = spawn(process.execPath, ['--import=tsx', fixture, dataDir, mode], {
      cwd: repoRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: ChildRun = { code: null, signal: null, stdout: '', stderr: '' };
    let pending = '';
    child.stdout.on('data', (d: Buffer) => {
      run.stdout += d.toString();
      pending += d.toString();
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('READY ')) run.ready = JSON.parse(line.slice(6)) as ChildRun['ready'];
        onLine?.(line, (s) => child.kill(s));
      }
    });
    child.stderr.on('data', (d: Buffer) => (run.stderr += d.toString()));
    child.on('error', reject);
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      run.code = code;
      run.signal = signal;
      resolve(run);
    });
  });
}

t.test('starts, serves, persists across a restart, stops', async (t) => {
  let t0 = Date.now();
  const first = await startEmbeddedPostgres({ dataDir });
  t.comment(`first start (initdb): ${Date.now() - t0} ms`);
  const u = new URL(first.url);
  t.equal(u.protocol, 'postgres:');
  t.equal(u.hostname, '127.0.0.1');
  t.equal(u.username, 'postgres');
  t.equal(u.pathname, '/liaison');
  t.not(u.port, '5432', 'does not use the default port');

  const state = JSON.parse(await fs.readFile(path.join(dataDir, 'embedded.json'), 'utf8')) as {
    port: number;
    password: string;
  };
  t.equal(String(state.port), u.port, 'port persisted');
  t.equal(state.password, decodeURIComponent(u.password), 'password persisted');
  t.ok(state.password.length >= 20, 'random password');

  let sql = postgres(first.url, { max: 1, onnotice: () => {} });
  try {
    t.same(await sql`select 1 as one`, [{ one: 1 }]);
    await sql`create extension if not exists pg_trgm`;
    const [row] = await sql<{ s: number }[]>`select similarity('Müller', 'Mueller') as s`;
    t.ok(row.s > 0, 'pg_trgm works');
    const [trgm] = await sql<{ n: number }[]>`select cardinality(show_trgm('Ü')) as n`;
    t.ok(trgm.n > 0, 'pg_trgm keeps non-ASCII letters');
    await sql`create table persisted (id int primary key, name text)`;
    await sql`insert into persisted values (1, 'kept')`;
  } finally {
    await sql.end({ timeout: 5 });
  }
  await first.stop();
  await first.stop(); // idempotent
  await t.rejects(
    postgres(first.url, { max: 1, connect_timeout: 2 })`select 1`,
    'server is down after stop()',
  );

  t0 = Date.now();
  const second = await startEmbeddedPostgres({ dataDir });
  const restartMs = Date.now() - t0;
  t.comment(`restart: ${restartMs} ms`);
  t.ok(restartMs < 10_000, 'restart is quick');
  t.equal(second.url, first.url, 'same port and password on restart');
  sql = postgres(second.url, { max: 1, onnotice: () => {} });
  try {
    t.same(await sql`select name from persisted where id = 1`, [{ name: 'kept' }], 'data survived the restart');
    t.same(await sql`select extname from pg_extension where extname = 'pg_trgm'`, [{ extname: 'pg_trgm' }]);
  } finally {
    await sql.end({ timeout: 5 });
  }
  await second.stop();
});

t.test('a child that stops and calls process.exit(3) exits with 3 and leaves no postmaster', async (t) => {
  const run = await runFixture('stop-then-exit');
  t.ok(run.ready, 'child reported ready') || t.comment(run.stderr);
  t.equal(run.code, 3, 'exit code preserved');
  t.notOk(pidAlive(run.ready!.postmasterPid), 'postmaster is gone');
  t.notOk(existsSync(path.join(run.ready!.clusterDir, 'postmaster.pid')), 'postmaster.pid removed');
});

t.test('process.exit(3) without stop(): still 3, and the postmaster shuts down', async (t) => {
  const run = await runFixture('exit-without-stop');
  t.ok(run.ready, 'child reported ready') || t.comment(run.stderr);
  t.equal(run.code, 3, 'exit code preserved');
  const pidFile = path.join(run.ready!.clusterDir, 'postmaster.pid');
  t.ok(await waitFor(() => !existsSync(pidFile) && !pidAlive(run.ready!.postmasterPid), 15_000), 'postmaster exits');
});

t.test('process.exitCode = 3 with a natural end is not turned into 0', async (t) => {
  const run = await runFixture('stop-then-exitcode');
  t.ok(run.ready, 'child reported ready') || t.comment(run.stderr);
  t.equal(run.code, 3);
});

t.test("a caller's own SIGTERM handler runs to completion", async (t) => {
  const run = await runFixture('sigterm-handler', (line, kill) => {
    if (line === 'WAITING') kill('SIGTERM');
  });
  t.ok(run.ready, 'child reported ready') || t.comment(run.stderr);
  t.match(run.stdout, /HANDLER DONE/);
  t.equal(run.code, 7, 'exit code chosen by the handler, not 143');
  t.notOk(pidAlive(run.ready!.postmasterPid), 'postmaster is gone');
});
