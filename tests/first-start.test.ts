import t, { type Test } from 'tap';
import net from 'node:net';
import postgres from 'postgres';
import { createTestDatabase } from './db.js';
import { freePort } from './helpers/free-port.js';
import { startServer, waitForHttp } from './helpers/server-process.js';
import { openDatabase } from '../src/platform/database.js';
import { createOrganization, insertApiKey } from '../src/access/api-keys.js';

// A first start that fails must not lose the first admin key, and every setting is checked
// before anything is created. Each case runs the real server process against its own database.

const KEY = /^ {2}(lsn_[A-Za-z0-9_-]{43})$/m;
const HINT = /^liaison: .*npm run cli -- key create --org default --scopes admin$/m;

async function freshDatabase(t: Test) {
  const db = await createTestDatabase();
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  t.teardown(async () => {
    await sql.end({ timeout: 5 });
    await db.drop();
  });
  const organisations = async () => Number((await sql`select count(*)::int as n from organizations`)[0]!.n);
  return { url: db.url, sql, organisations };
}

/** What a start that must fail wrote to stderr: exactly one line, no stack trace. */
function oneLine(t: Test, stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  t.equal(lines.length, 1, `one line on stderr, got: ${stderr}`);
  t.notMatch(stderr, /^\s+at /m, 'no stack trace');
  return lines[0]!;
}

t.test('port taken: one line naming the port, nothing created; the next start shows a working key', async (t) => {
  const db = await freshDatabase(t);
  const port = await freePort();
  const holder = net.createServer();
  await new Promise<void>((r) => holder.listen(port, '127.0.0.1', r));

  const failed = startServer({ DATABASE_URL: db.url, PORT: String(port), LOG_LEVEL: 'info' });
  t.not(await failed.exited, 0, 'exits non-zero');
  t.match(oneLine(t, failed.stderr), new RegExp(`^liaison: .*port ${port} is already in use`));
  t.notMatch(failed.stdout, /lsn_/, 'no key was printed');
  t.equal(await db.organisations(), 0, 'no organisation was created');

  await new Promise((r) => holder.close(r));
  const next = startServer({ DATABASE_URL: db.url, PORT: String(port) });
  t.teardown(() => next.stop());
  const [, key] = await next.waitForStdout(KEY);
  const res = await fetch(`http://127.0.0.1:${port}/v1/departments`, { headers: { authorization: `Bearer ${key}` } });
  t.equal(res.status, 200, 'the key shown on the next start works');
  t.equal(await db.organisations(), 1);
  // lastUsedAt is written off the request path; the restart below must see it.
  for (let i = 0; i < 100 && (await db.sql`select 1 from api_keys where last_used_at is not null`).length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
  }
  t.equal(await next.stop(), 0);

  const third = startServer({ DATABASE_URL: db.url, PORT: String(port) });
  t.teardown(() => third.stop());
  await waitForHttp(`http://127.0.0.1:${port}/healthz`);
  await third.stop();
  t.notMatch(third.stdout, KEY, 'a later start shows no key');
  t.notMatch(third.stdout, HINT, 'nor the hint, once the admin key has been used');
});

t.test('a bad LIAISON_WEBHOOK_ALLOW_CIDRS: one line naming it, nothing created', async (t) => {
  const db = await freshDatabase(t);
  const run = startServer({ DATABASE_URL: db.url, PORT: String(await freePort()), LIAISON_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32,10.0.0.0/33' });
  t.equal(await run.exited, 1);
  t.match(oneLine(t, run.stderr), /^liaison: invalid setting LIAISON_WEBHOOK_ALLOW_CIDRS: .*"10\.0\.0\.0\/33"/);
  t.equal(await db.organisations(), 0, 'no organisation was created');
});

t.test('a bad HOST: one line naming it, nothing created', async (t) => {
  const db = await freshDatabase(t);
  const port = String(await freePort());
  const malformed = startServer({ DATABASE_URL: db.url, PORT: port, HOST: 'not a host!' });
  t.equal(await malformed.exited, 1);
  t.match(oneLine(t, malformed.stderr), /^liaison: invalid setting HOST: must be an IP address or a host name/);
  // TEST-NET-1 is nobody's address: binding it fails locally, without sending anything.
  const foreign = startServer({ DATABASE_URL: db.url, PORT: port, HOST: '192.0.2.1' });
  t.equal(await foreign.exited, 1);
  t.match(oneLine(t, foreign.stderr), /^liaison: .*HOST 192\.0\.2\.1 is not an address of this machine/);
  t.equal(await db.organisations(), 0, 'no organisation was created');
});

t.test('a database whose first key was never used: the start says in one line how to get one', async (t) => {
  // What an earlier version left behind when it died between creating the key and printing it.
  const db = await freshDatabase(t);
  const database = openDatabase(db.url, { max: 1 });
  const org = await createOrganization(database.db, 'default', 'Default organisation');
  await insertApiKey(database.db, org.id, { name: 'bootstrap admin', scopes: ['admin'] });
  await database.close();

  const port = await freePort();
  const run = startServer({ DATABASE_URL: db.url, PORT: String(port) });
  t.teardown(() => run.stop());
  await run.waitForStdout(HINT);
  await waitForHttp(`http://127.0.0.1:${port}/healthz`);
  t.equal(await run.stop(), 0);
  t.equal(run.stdout.match(new RegExp(HINT.source, 'gm'))?.length, 1, 'said once, in one line');
  t.notMatch(run.stdout, KEY);
});
