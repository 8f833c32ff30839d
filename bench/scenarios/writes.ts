import { measure, startProcess, type Measured, type MeasureOptions, type Started } from '../harness.js';
import { sampleLoad, WAIT_EVENT_LEGEND } from '../load-sampler.js';
import type { BenchContext, Row, Scenario } from '../context.js';

const CONNECTIONS = 32;
const WARM_UP_SECONDS = 2;

const postJson = (url: string, headers: Record<string, string>, body: unknown): MeasureOptions => ({
  url,
  method: 'POST',
  headers: { ...headers, 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

/** Measures while sampling the load, and answers the figures with the sample's line. */
async function sampled<T>(ctx: BenchContext, nodes: Record<string, number | undefined>, run: () => Promise<T>): Promise<[T, string]> {
  const load = sampleLoad(ctx.sql, { ...nodes, 'bench (autocannon)': process.pid });
  try {
    const result = await run();
    return [result, await load.stop()];
  } catch (err) {
    await load.stop().catch(() => {});
    throw err;
  }
}

/** One figure for autocannons run side by side: throughputs add up; of the latencies, the worst. */
const combined = (name: string, parts: Measured[]): Measured => ({
  name,
  requestsPerSec: parts.reduce((s, m) => s + m.requestsPerSec, 0),
  p50: Math.max(...parts.map((m) => m.p50)),
  p99: Math.max(...parts.map((m) => m.p99)),
  errors: parts.reduce((s, m) => s + m.errors, 0),
  non2xx: parts.reduce((s, m) => s + m.non2xx, 0),
});

/**
 * A worker serves no HTTP: it is ready once its delivery loop listens for wake-ups, which shows as
 * one more session whose last statement was a LISTEN.
 */
async function startWorker(ctx: BenchContext): Promise<Started> {
  const sessions = async () =>
    (await ctx.sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and query ilike 'listen %'`)[0]!.n as number;
  const before = await sessions();
  return startProcess(['src/server.ts'], { ...ctx.serverEnv, LIAISON_ROLE: 'worker' }, async () => (await sessions()) > before);
}

/**
 * Recorded writes against the bare insert, and scale-out across API processes.
 *
 * `POST /v1/issues` (an issue with an owner and a department, in an organisation with one disabled
 * webhook subscribed to `issue.*`, so every write records its row, audit, event and a skipped
 * delivery) at 32 connections, against `POST /bare/issues` (one `insert … returning *` into the
 * same table, same organisation, no auth or validation) measured right before it. No
 * Idempotency-Key is sent, so identical bodies are independent writes.
 *
 * Scale-out: one `LIAISON_ROLE=worker` process and two `LIAISON_ROLE=api` processes on the same
 * database. The same 32 connections are offered first to one API process, then split 16 + 16
 * across both (two autocannons at once): the offered load stays the same, so a ratio above 1
 * means the processes add capacity rather than queue behind each other in PostgreSQL. Every row
 * samples the CPU of PostgreSQL's processes and of the node processes, and the backends' wait
 * events: a cluster-wide lock would show as Lock/LWLock waits with CPU to spare.
 */
export const writes: Scenario = async (ctx) => {
  const stamp = Date.now();
  const dept = await ctx.post('/v1/departments', { name: 'Bench writes', code: `BW${stamp % 100000}` });
  const owner = await ctx.post('/v1/people', { name: 'Bench owner', email: `bench-writes-${stamp}@example.com`, departmentId: dept.id });
  // Never sent to (disabled): its port need not listen.
  await ctx.post('/v1/webhooks', { url: 'http://127.0.0.1:9/bench-writes', eventTypes: ['issue.*'], enabled: false });
  const issue = { title: 'Bench write', ownerId: owner.id, departmentId: dept.id };
  const api = (base: string, connections = CONNECTIONS) => ({ ...postJson(`${base}/v1/issues`, ctx.headers, issue), connections });
  const bare = postJson(`${ctx.bare}/bare/issues`, {}, { ...issue, organizationId: ctx.organizationId });

  const rows: Row[] = [];
  const loads = new Map<string, string>();
  const row = (m: Measured, load: string, extra: Omit<Row, keyof Measured> = {}) => {
    rows.push({ ...m, ...extra });
    loads.set(m.name, load);
  };

  await measure('warm-up', { ...bare, duration: WARM_UP_SECONDS });
  await measure('warm-up', { ...api(ctx.api), duration: WARM_UP_SECONDS });
  const [bareNow, bareLoad] = await sampled(ctx, { bare: ctx.pids.bare }, () => measure('POST /bare/issues (one-row insert)', bare));
  row(bareNow, bareLoad);
  const [recorded, recordedLoad] = await sampled(ctx, { api: ctx.pids.api }, () => measure('POST /v1/issues (owner, dept., 1 disabled hook)', api(ctx.api)));
  row(recorded, recordedLoad, {
    ratio: recorded.requestsPerSec / bareNow.requestsPerSec,
    target: '≥ 0.5 of bare, p99 ≤ 30 ms',
    note: `bare insert just before: ${bareNow.requestsPerSec.toFixed(0)} req/s`,
  });

  const started: Started[] = [];
  try {
    const worker = await startWorker(ctx);
    started.push(worker);
    const a = await startProcess(['src/server.ts'], { ...ctx.serverEnv, LIAISON_ROLE: 'api' }, '/readyz');
    started.push(a);
    const b = await startProcess(['src/server.ts'], { ...ctx.serverEnv, LIAISON_ROLE: 'api' }, '/readyz');
    started.push(b);
    const nodes = { 'api A': a.child.pid, 'api B': b.child.pid, worker: worker.child.pid };
    await Promise.all([a, b].map((p) => measure('warm-up', { ...api(p.url, CONNECTIONS / 2), duration: WARM_UP_SECONDS })));

    const [one, oneLoad] = await sampled(ctx, nodes, () => measure(`POST /v1/issues, 1 api process, ${CONNECTIONS} conn.`, api(a.url)));
    row(one, oneLoad, { note: 'role api + a role worker process (api B idle)' });
    const [two, twoLoad] = await sampled(ctx, nodes, async () =>
      combined(
        `POST /v1/issues, 2 api processes, ${CONNECTIONS / 2}+${CONNECTIONS / 2} conn.`,
        await Promise.all([a, b].map((p) => measure('half', api(p.url, CONNECTIONS / 2)))),
      ),
    );
    row(two, twoLoad, {
      ratio: two.requestsPerSec / one.requestsPerSec,
      target: '≥ 1.6× one process, or PostgreSQL CPU the limit',
      note: 'ratio to 1 api process; req/s summed, p50/p99 the worse of the two',
    });
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
  // What limited each row: CPU of each process and what the busy backends waited on.
  for (const [name, load] of loads) process.stdout.write(`${name}: ${load}\n`);
  process.stdout.write(`${WAIT_EVENT_LEGEND}\n`);
  return rows;
};
