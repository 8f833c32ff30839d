/**
 * Two checkouts side by side: `npx tsx bench/side-by-side.ts <checkout-before> <checkout-now>`.
 * Each API server runs on its own new database of DATABASE_URL's server (postgres on 127.0.0.1 by
 * default); they take 5 s autocannon runs of GET /v1/departments/{id} in turn (8 rounds, the order
 * swapped each round), and the API process CPU per request of each is read from /proc. Both
 * checkouts need their node_modules. AB_NODE_ARGS (NAME is replaced by `before` or `now`) passes
 * node flags such as `--cpu-prof --cpu-prof-dir=/tmp/prof/NAME` to both servers. AB_REQUEST=issue
 * measures the recorded write of the `writes` scenario instead: POST /v1/issues with an owner and a
 * department, one disabled webhook subscribed to `issue.*`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import postgres from 'postgres';
import { readFile } from 'node:fs/promises';

const server = new URL(process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres');
const dbUrl = (name: string) => Object.assign(new URL(server), { pathname: `/${name}` }).toString();
const ticks = async (pid: number) => { const s = await readFile(`/proc/${pid}/stat`, 'utf8'); const f = s.slice(s.lastIndexOf(')') + 2).split(' '); return Number(f[11]) + Number(f[12]); };
async function start(name: string, dir: string, port: number) {
  const admin = postgres(server.toString(), { max: 1, onnotice: () => {} });
  const db = `ab_${name}_${Date.now()}`;
  await admin.unsafe(`create database "${db}"`);
  await admin.end();
  const key = `lsn_${randomBytes(32).toString('base64url')}`;
  const child = spawn(process.execPath, [...(process.env.AB_NODE_ARGS ?? '').split(' ').filter(Boolean).map((a) => a.replace('NAME', name)), '--import', 'tsx', 'src/server.ts'], { cwd: dir, env: { ...process.env, DATABASE_URL: dbUrl(db), PORT: String(port), LOG_LEVEL: 'warn', LIAISON_RATE_LIMIT: '100000000/minute', LIAISON_BOOTSTRAP_KEY: key, LIAISON_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) { if (await fetch(url + '/readyz').then((r) => r.ok, () => false)) break; await new Promise((r) => setTimeout(r, 100)); }
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const post = async (path: string, body: unknown) => (await fetch(url + path, { method: 'POST', headers, body: JSON.stringify(body) })).json();
  const dept = await post('/v1/departments', { name: 'AB', code: 'AB' });
  if (process.env.AB_REQUEST !== 'issue') return { name, child, url: `${url}/v1/departments/${dept.id}`, headers, db };
  const owner = await post('/v1/people', { name: 'AB owner', email: 'ab-owner@example.com', departmentId: dept.id });
  await post('/v1/webhooks', { url: 'http://127.0.0.1:9/ab', eventTypes: ['issue.*'], enabled: false });
  const body = JSON.stringify({ title: 'AB write', ownerId: owner.id, departmentId: dept.id });
  return { name, child, url: `${url}/v1/issues`, headers, db, method: 'POST' as const, body };
}
if (process.argv.length < 4) throw new Error('usage: npx tsx bench/side-by-side.ts <checkout-before> <checkout-now>');
const a = await start('before', process.argv[2]!, 4101);
const b = await start('now', process.argv[3]!, 4102);
const sums: Record<string, { t: number; n: number; rps: number[] }> = { before: { t: 0, n: 0, rps: [] }, now: { t: 0, n: 0, rps: [] } };
for (const s of [a, b]) await autocannon({ url: s.url, headers: s.headers, method: s.method, body: s.body, connections: 32, duration: 3 });
for (let round = 0; round < 8; round++) {
  for (const s of round % 2 ? [b, a] : [a, b]) {
    const t0 = await ticks(s.child.pid!);
    const r = await autocannon({ url: s.url, headers: s.headers, method: s.method, body: s.body, connections: 32, duration: 5 });
    const t1 = await ticks(s.child.pid!);
    if (r.non2xx) throw new Error(`${s.name}: ${r.non2xx} non-2xx`);
    sums[s.name]!.t += t1 - t0; sums[s.name]!.n += r.requests.total; sums[s.name]!.rps.push(Math.round(r.requests.average));
  }
}
for (const [name, s] of Object.entries(sums)) {
  const sorted = [...s.rps].sort((x, y) => x - y);
  console.log(`${name.padEnd(7)} req/s ${s.rps.join(' ')}  (median ${sorted[Math.floor(sorted.length / 2)]})  API CPU ${Math.round((s.t / 100) * 1e6 / s.n)} µs/request`);
}
for (const s of [a, b]) s.child.kill('SIGTERM');
await new Promise((r) => setTimeout(r, 1500));
const admin = postgres(server.toString(), { max: 1, onnotice: () => {} });
for (const s of [a, b]) await admin.unsafe(`drop database if exists "${s.db}" with (force)`);
await admin.end();
