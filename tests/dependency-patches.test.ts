import t from 'tap';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
