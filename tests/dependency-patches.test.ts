import t from 'tap';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect, createServer, type Socket } from 'node:net';
import postgres from 'postgres';
import { adminUrl } from './db.js';

const root = fileURLToPath(new URL('../node_modules/postgres', import.meta.url));

// `npm ci` applies src/platform/dependency-patches (postinstall). Without the postgres.js queue
// patch the pool still works, but its throughput decays under saturation, so a missing patch is
// a failed install, not a detail.
t.test('the postgres.js pool queue is patched in every build of the package', async (t) => {
  for (const build of ['src', 'cjs/src', 'cf/src']) {
    const source = readFileSync(join(root, build, 'queue.js'), 'utf8');
    t.match(source, /xs\.indexOf\(x, index\)/, `${build}/queue.js searches only the live part`);
    t.match(source, /xs = xs\.slice\(index\)/, `${build}/queue.js drops emptied slots`);
  }
});

t.test('the patched queue keeps its order and contents through shifts, pushes and removes', async (t) => {
  const require = createRequire(import.meta.url);
  const Queue = require(join(root, 'cjs/src/queue.js')) as () => { length: number; push(x: number): number; shift(): number; remove(x: number): number | null };
  const q = Queue();
  for (let i = 0; i < 10; i++) q.push(i);
  // The pool's pattern under saturation: take the next connection and put it back at the end.
  for (let i = 0; i < 10_000; i++) q.push(q.shift());
  t.equal(q.length, 10);
  t.equal(q.remove(3), 3);
  t.equal(q.remove(3), null, 'removed once');
  t.equal(q.length, 9);
  const order = Array.from({ length: 9 }, () => q.shift());
  t.same(order, [0, 1, 2, 4, 5, 6, 7, 8, 9]);
  t.equal(q.length, 0);
});

t.test('the array types fetch of every build of postgres.js fails as the connection fails, not as an unhandled rejection', async (t) => {
  for (const build of ['src', 'cjs/src', 'cf/src']) {
    const source = readFileSync(join(root, build, 'connection.js'), 'utf8');
    t.match(source, /fetchArrayTypes\(\)\.catch\(/, `${build}/connection.js handles a failed types fetch`);
  }
});

// A database that goes away just as a new connection asks for its array types (the first thing
// postgres.js does on a connection): the types query fails, the reconnection is refused.
t.test('a database lost while a connection fetches its types fails the query waiting for it, and nothing else', async (t) => {
  const target = new URL(adminUrl());
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(client).add(upstream);
    client.on('error', () => {});
    upstream.on('error', () => {});
    upstream.pipe(client);
    client.on('data', (chunk) => {
      if (chunk.includes('typarray')) {
        server.close();
        for (const s of sockets) s.destroy();
        return;
      }
      upstream.write(chunk);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = new URL(adminUrl());
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as { port: number }).port);

  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.prependListener('unhandledRejection', onUnhandled);
  t.teardown(() => void process.removeListener('unhandledRejection', onUnhandled));
  const sql = postgres(url.toString(), { max: 1, connect_timeout: 2, onnotice: () => {} });
  const outcome = await sql`select 1 as one`.then(
    () => 'answered',
    (err: Error) => `failed: ${err.message}`,
  );
  // Let a stray rejection surface: it would come from the types query, after the waiting query's.
  await new Promise((r) => setTimeout(r, 200));
  await sql.end({ timeout: 1 }).catch(() => {});
  t.match(outcome, /^failed: /, `the waiting query failed (${outcome})`);
  t.same(unhandled.map(String), [], 'no unhandled rejection');
});
