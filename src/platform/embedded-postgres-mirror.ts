// The copy of the embedded PostgreSQL runtime that user postgres can reach when the checkout
// cannot be (see embedded-postgres.ts). It is shared by every checkout on the machine with the
// same package versions, and outlives the checkout that made it, so it must hold everything it
// needs: embedded-postgres, the platform package with the binaries, and every package they import
// (pg and its dependencies, async-exit-hook), copied, never linked. Each start checks the copy
// against its manifest and what this checkout's packages need, and rebuilds it when it falls short
// (an older layout linked pg into the first checkout's node_modules, and broke when that went).
import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { execAsync } from './embedded-postgres-process.js';

/** Bumped whenever what a mirror must contain changes; a mirror of another layout is rebuilt. */
const LAYOUT = 2;
const MANIFEST = 'manifest.json';

interface Manifest {
  layout: number;
  /** Package name → its directory, relative to the mirror root. */
  packages: Record<string, string>;
}

interface Package {
  name: string;
  /** Real path of the installed package. */
  dir: string;
  /** Where it goes, relative to the mirror root. */
  place: string;
}

/**
 * Makes sure `root` holds a complete, self-contained copy of the packages `packageDir`
 * (embedded-postgres' own directory) runs with, building or rebuilding it when needed. Returns
 * where each package is in the mirror, by name.
 */
export async function ensureMirror(root: string, packageDir: string, say: (msg: string) => void): Promise<Map<string, string>> {
  const packages = dependencyClosure(packageDir);
  const mirrored = new Map(packages.map((p) => [p.name, path.join(root, p.place)]));
  const problem = mirrorProblem(root, packages);
  if (!problem) return mirrored;
  say(existsSync(root) ? `the PostgreSQL runtime in ${root} ${problem}; rebuilding it` : `mirroring the PostgreSQL runtime to ${root}`);
  await fs.mkdir(path.dirname(root), { recursive: true, mode: 0o755 });
  const tmp = `${root}.${process.pid}.tmp`;
  await fs.rm(tmp, { recursive: true, force: true });
  for (const pkg of packages) {
    // A package's own node_modules is left out: the packages in it are in the closure themselves.
    const nested = path.join(pkg.dir, 'node_modules');
    await fs.cp(pkg.dir, path.join(tmp, pkg.place), {
      recursive: true,
      verbatimSymlinks: true,
      filter: (src) => src !== nested,
    });
  }
  const manifest: Manifest = { layout: LAYOUT, packages: Object.fromEntries(packages.map((p) => [p.name, p.place])) };
  await fs.writeFile(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  await execAsync('chmod', ['-R', 'a+rX,go-w', tmp]);

  // Swap it in. A postmaster started from the old copy keeps running: it finds its libraries by
  // path, and the new copy has the same files at the same paths.
  const stale = `${root}.${process.pid}.stale`;
  await fs.rename(root, stale).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
  try {
    await fs.rename(tmp, root);
  } catch (err) {
    // Another process put its own copy in place first; use it if it is whole.
    await fs.rm(tmp, { recursive: true, force: true });
    const still = mirrorProblem(root, packages);
    if (still) throw new Error(`embedded-postgres: could not rebuild the runtime in ${root} (${(err as Error).message}); it ${still}`);
  }
  await fs.rm(stale, { recursive: true, force: true });
  return mirrored;
}

/** What is wrong with the mirror at `root` for these packages, or null when nothing is. */
function mirrorProblem(root: string, packages: Package[]): string | null {
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(path.join(root, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return existsSync(root) ? 'has no manifest (an older layout that links into another checkout)' : 'does not exist';
  }
  if (manifest.layout !== LAYOUT) return `has layout ${manifest.layout}, not ${LAYOUT}`;
  for (const { name } of packages) {
    const place = manifest.packages?.[name];
    if (!place) return `lacks package ${name}`;
    const dir = path.join(root, place);
    try {
      // A link could lead into a checkout that may be gone tomorrow: only real directories count.
      if (!lstatSync(dir).isDirectory() || !existsSync(path.join(dir, 'package.json'))) return `has a broken copy of ${name}`;
    } catch {
      return `lacks package ${name}`;
    }
  }
  return null;
}

/** `packageDir` and every package it depends on, each with the place it takes in the mirror. */
function dependencyClosure(packageDir: string): Package[] {
  const start = realpathSync(packageDir);
  // Places mirror the checkout's layout under its top node_modules, so a nested copy (another
  // version of a package) stays where Node's resolution finds it.
  const top = path.dirname(start);
  const seen = new Map<string, Package>();
  const places = new Map<string, string>();
  const visit = (dir: string, requiredBy: string | null) => {
    if (seen.has(dir)) return;
    const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      name: string;
      dependencies?: Record<string, string>;
      optionalDependencies?: Record<string, string>;
      peerDependencies?: Record<string, string>;
    };
    const rel = path.relative(top, dir);
    const place = path.join('node_modules', rel.startsWith('..') || path.isAbsolute(rel) ? manifest.name : rel);
    const taken = places.get(place);
    if (taken && taken !== dir) {
      throw new Error(`embedded-postgres: cannot mirror both ${taken} and ${dir}${requiredBy ? ` (needed by ${requiredBy})` : ''} to ${place}`);
    }
    places.set(place, dir);
    seen.set(dir, { name: manifest.name, dir, place });
    const required = Object.keys(manifest.dependencies ?? {});
    // Optional dependencies (the other platforms' binaries) and peers are taken when installed.
    const optional = [...Object.keys(manifest.optionalDependencies ?? {}), ...Object.keys(manifest.peerDependencies ?? {})];
    for (const dep of [...required, ...optional]) {
      const found = findPackage(dep, dir);
      if (found) visit(found, manifest.name);
      else if (required.includes(dep) && !(dep in (manifest.optionalDependencies ?? {}))) {
        throw new Error(`embedded-postgres: package ${dep}, needed by ${manifest.name}, is not installed; run npm ci`);
      }
    }
  };
  visit(start, null);
  return [...seen.values()];
}

/** Where Node would find package `name` from `fromDir` (node_modules folders up the tree). */
function findPackage(name: string, fromDir: string): string | null {
  for (let dir = fromDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (existsSync(path.join(candidate, 'package.json'))) return realpathSync(candidate);
    if (path.dirname(dir) === dir) return null;
  }
}
