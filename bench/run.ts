import postgres from 'postgres';
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { measure, report, startProcess, type MeasureOptions } from './harness.js';
import type { BenchContext, Row, Scenario } from './context.js';
import { createOrganization, insertApiKey } from '../src/access/api-keys.js';
import { openDatabase } from '../src/platform/database.js';
import { directory } from './scenarios/directory.js';
import { meetings } from './scenarios/meetings.js';
import { search } from './scenarios/search.js';
import { webhooks } from './scenarios/webhooks.js';
import { effectiveness } from './scenarios/effectiveness.js';
import { soak } from './scenarios/soak.js';
import { volume } from './scenarios/volume.js';
import { writes } from './scenarios/writes.js';
import { scheduler } from './scenarios/scheduler.js';
import { findTimes } from './scenarios/find-times.js';

// `npm run bench [scenario …]`: starts the API and a bare baseline server against one fresh
// database, measures the baseline first, then each scenario; a ratio to the bare route compares
// with the bare route measured again right before it.
const scenarios: Record<string, Scenario> = { directory, meetings, search, writes, webhooks, effectiveness, 'find-times': findTimes, scheduler, soak, volume };
const OPT_IN = new Set(['soak', 'volume']); // minutes each: run only when named (`npm run bench soak`)

async function database(): Promise<{ url: string; drop(): Promise<void> }> {
  if (!process.env.DATABASE_URL) {
    const { startEmbeddedPostgres } = await import('../src/platform/embedded-postgres.js');
    const pg = await startEmbeddedPostgres({ dataDir: resolve('.liaison/bench-cluster') });
    process.env.DATABASE_URL = pg.url;
    const inner = await database();
    return { url: inner.url, drop: async () => (await inner.drop(), await pg.stop()) };
  }
  const admin = postgres(process.env.DATABASE_URL, { max: 1, onnotice: () => {} });
  const name = `liaison_bench_${Date.now()}`;
  await admin.unsafe(`create database "${name}"`);
  const url = new URL(process.env.DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    },
  };
}

async function main() {
  const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
  const db = await database();
  const key = `lsn_${randomBytes(32).toString('base64url')}`;
  const env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn', LIAISON_RATE_LIMIT: '100000000/minute', LIAISON_BOOTSTRAP_KEY: key, LIAISON_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32' };
  const api = await startProcess(['src/server.ts'], env, '/readyz');
  const bare = await startProcess(['bench/bare-server.ts'], env, '/healthz');
  const sql = postgres(db.url, { max: 4, onnotice: () => {} });
  const app = openDatabase(db.url, { max: 1 });
  try {
    const poster = (headers: Record<string, string>) => async (path: string, body: unknown) => {
      const res = await fetch(api.url + path, { method: 'POST', headers, body: JSON.stringify(body) });
      if (!res.ok) throw new Error(`POST ${path}: ${res.status} ${await res.text()}`);
      return res.json();
    };
    const bearer = (secret: string) => ({ authorization: `Bearer ${secret}`, 'content-type': 'application/json' });
    const probe = await poster(bearer(key))('/v1/departments', { name: 'Baseline', code: 'BASE' });
    await measure('warm-up', { url: `${bare.url}/bare/departments/${probe.id}`, duration: 2 });
    const baseline = await measure('bare GET by primary key (baseline)', { url: `${bare.url}/bare/departments/${probe.id}` });
    const rows: Row[] = [baseline];
    process.stdout.write(`Liaison benchmark, ${new Date().toISOString()}, node ${process.version}\n`);
    for (const [name, scenario] of Object.entries(scenarios)) {
      if (wanted.length ? !wanted.includes(name) : OPT_IN.has(name)) continue;
      // Dirty pages of the previous scenario's writes are flushed now rather than during a measurement.
      await sql`checkpoint`.catch(() => {});
      // Each scenario works in an organisation of its own, so no scenario's data set weighs on another's figures.
      const org = await createOrganization(app.db, `bench-${name}-${Date.now()}`);
      const { secret } = await insertApiKey(app.db, org.id, { name: 'bench', scopes: ['admin'] });
      const headers = bearer(secret);
      const againstBare = async (label: string, opts: MeasureOptions, target: string): Promise<Row> => {
        await measure('warm-up', { ...opts, duration: 2 });
        const bareNow = await measure('bare', { url: `${bare.url}/bare/departments/${probe.id}` });
        const m = await measure(label, opts);
        return { ...m, ratio: m.requestsPerSec / bareNow.requestsPerSec, target, note: `bare just before: ${bareNow.requestsPerSec.toFixed(0)} req/s` };
      };
      const ctx: BenchContext = {
        api: api.url,
        bare: bare.url,
        key: secret,
        headers,
        sql,
        databaseUrl: db.url,
        serverEnv: env,
        pids: { api: api.child.pid, bare: bare.child.pid },
        organizationId: org.id,
        baseline,
        post: poster(headers),
        againstBare,
      };
      rows.push(...(await scenario(ctx)));
    }
    report(rows);
  } finally {
    await sql.end();
    await app.close();
    await api.stop();
    await bare.stop();
    // BENCH_KEEP_DATABASE=1 keeps the data set for EXPLAIN and profiling.
    if (process.env.BENCH_KEEP_DATABASE) process.stdout.write(`database kept: ${db.url}\n`);
    else await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  },
);
