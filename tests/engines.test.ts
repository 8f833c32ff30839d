import t from 'tap';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import semver from 'semver';

// `engines.node` in package.json is a promise: every version it admits runs what `npm ci`
// installs. A dependency that needs a later Node (content-disposition 3 and cookie 2 need 22:
// they are ES modules loaded with require(), which older Node cannot do) breaks that promise
// and `npm ci` warns EBADENGINE. Checked the way npm checks (npm-install-checks).

const root = resolve(import.meta.dirname, '..');
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { engines: { node: string } };
const promised = manifest.engines.node;
const oldest = semver.minVersion(promised)!.version;
const runsOn = (range: unknown) => typeof range !== 'string' || semver.satisfies(oldest, range, { includePrerelease: true });

t.test('the project promises Node 20', async (t) => {
  t.ok(semver.validRange(promised), `engines.node ${promised} is a valid range`);
  t.equal(semver.major(oldest), 20, `the oldest Node admitted (${oldest}) is a Node 20`);
});

/** Every installed package directory under node_modules, nested ones included. */
function installed(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.name.startsWith('@')) {
      installed(path, out);
      continue;
    }
    if (existsSync(join(path, 'package.json'))) out.push(path);
    installed(join(path, 'node_modules'), out);
  }
  return out;
}

t.test('every installed package runs on the oldest Node the project admits', async (t) => {
  const packages = installed(join(root, 'node_modules'));
  t.ok(packages.length > 100, `found ${packages.length} installed packages`);
  const refusing: string[] = [];
  for (const dir of packages) {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string; engines?: { node?: unknown } };
    if (!runsOn(pkg.engines?.node)) refusing.push(`${relative(root, dir)}@${pkg.version}: engines.node ${String(pkg.engines?.node)}`);
  }
  t.same(refusing, [], `no package needs a later Node than ${oldest}`);
});

t.test('so does everything the lock file makes `npm ci` install', async (t) => {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { version?: string; engines?: { node?: unknown } | string[] }> };
  const entries = Object.entries(lock.packages).filter(([path]) => path !== '');
  t.ok(entries.length > 100, `${entries.length} locked packages`);
  const refusing = entries
    // Old lock entries may keep engines as an array of strings; npm ignores that form.
    .filter(([, p]) => p.engines && !Array.isArray(p.engines) && !runsOn(p.engines.node))
    .map(([path, p]) => `${path}@${p.version}: engines.node ${String((p.engines as { node?: unknown }).node)}`);
  t.same(refusing, [], `no locked package needs a later Node than ${oldest}`);
});
