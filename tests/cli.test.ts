import t from 'tap';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import postgres from 'postgres';
import { createTestDatabase } from './db.js';
import { hashApiKey } from '../src/platform/api-key-crypto.js';

const run = promisify(execFile);
const cli = (args: string[], env: Record<string, string>) =>
  run(process.execPath, ['src/bin/liaison.js', ...args], { env: { ...process.env, ...env, LOG_LEVEL: 'silent' } }).then(
    (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
  );

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
