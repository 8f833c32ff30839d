import t from 'tap';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { createTestDatabase } from './db.js';
import { hashApiKey } from '../src/platform/api-key-crypto.js';

const run = promisify(execFile);
/** Runs the CLI with exactly `env`; resolves with its exit code and output, whatever the code. */
const runCli = (args: string[], env: NodeJS.ProcessEnv) =>
  run(process.execPath, ['src/bin/liaison.js', ...args], { env: { ...env, LOG_LEVEL: 'silent' } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );
const cli = (args: string[], env: Record<string, string>) => runCli(args, { ...process.env, ...env });

t.test('liaison migrate, org create, key create', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const env = { DATABASE_URL: db.url };
  t.match(await cli(['migrate'], env), { code: 0, stdout: /migrations applied/ });
  const org = await cli(['org', 'create', 'acme', '--name', 'Acme Corp'], env);
  t.equal(org.code, 0);
  t.match(org.stdout, /^[0-9a-f-]{36}\n$/);
  t.match(await cli(['org', 'create', 'acme'], env), { code: 2, stderr: /already exists/ });
  const key = await cli(['key', 'create', '--org', 'acme', '--scopes', 'read,write'], env);
  t.equal(key.code, 0);
  const secret = key.stdout.trim();
  t.match(secret, /^lsn_[A-Za-z0-9_-]{43}$/);
  const sql = postgres(db.url, { max: 1 });
  t.teardown(() => sql.end());
  const [row] = await sql`select scopes, key_hash from api_keys where key_hash = ${hashApiKey(secret)}`;
  t.same(row?.scopes, ['read', 'write'], 'stored with its scopes, as a hash only');
  t.match(await cli(['key', 'create', '--org', 'nope', '--scopes', 'read'], env), { code: 2, stderr: /existing organisation/ });
  t.match(await cli(['key', 'create', '--org', 'acme', '--scopes', 'root'], env), { code: 2, stderr: /--scopes/ });
  t.match(await cli(['frobnicate'], env), { code: 2, stderr: /Usage/ });
  t.match(await cli(['migrate'], { DATABASE_URL: db.url, PORT: 'x' }), { code: 1, stderr: /PORT/ });
});

t.test('liaison --help, -h and help print the usage to stdout and exit 0; nothing else is opened', async (t) => {
  // No DATABASE_URL and a data folder that must stay absent: asking for help starts no database.
  const dataDir = path.join(os.tmpdir(), `liaison-cli-help-${process.pid}`);
  t.teardown(() => rm(dataDir, { recursive: true, force: true })); // only there if this test fails
  const env: NodeJS.ProcessEnv = { ...process.env, LIAISON_DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  for (const args of [['--help'], ['-h'], ['help'], ['key', 'create', '--help']]) {
    const r = await runCli(args, env);
    t.equal(r.code, 0, `${args.join(' ')}: exits 0`);
    t.match(r.stdout, /^Usage: liaison <command>\n[\s\S]*key create --org <slug>/, `${args.join(' ')}: usage on stdout`);
    t.equal(r.stderr, '', `${args.join(' ')}: nothing on stderr`);
  }
  t.notOk(existsSync(dataDir), 'no embedded database was started');
});

t.test('an unknown command or option prints the reason (and the usage) to stderr and exits 2', async (t) => {
  const db = await createTestDatabase();
  t.teardown(() => db.drop());
  const env = { DATABASE_URL: db.url };
  const unknown = await cli(['frobnicate'], env);
  t.match(unknown, { code: 2, stdout: '', stderr: /^liaison: unknown command: frobnicate\nUsage: liaison <command>\n/ });
  const none = await cli([], env);
  t.match(none, { code: 2, stdout: '', stderr: /Usage: liaison <command>/ });
  const option = await cli(['key', 'create', '--org', 'acme', '--scopes', 'read', '--bogus'], env);
  t.match(option, { code: 2, stdout: '', stderr: /^liaison: Unknown option '--bogus'/ });
  t.notMatch(option.stderr, /^\s+at /m, 'no stack trace');
});
