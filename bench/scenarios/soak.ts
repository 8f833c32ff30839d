import autocannon from 'autocannon';
import { createServer, type Server } from 'node:http';
import { readdirSync, readFileSync } from 'node:fs';
import { insertWordIssues } from '../vocabulary.js';
import type { BenchContext, Row, Scenario } from '../context.js';

// Soak: a mixed workload (70 % reads, 20 % writes, 10 % searches; every write emits an event that
// flows to local webhook receivers in this process) at the highest rate that keeps p99 under
// 100 ms, found with short probe steps and then held for SOAK_SECONDS (default 300). Reports the
// rate, errors, the server's peak RSS and whether its RSS kept growing. Opt-in: `npm run bench soak`.

const HOLD_SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
const PROBE_SECONDS = Number(process.env.SOAK_PROBE_SECONDS ?? 8);
const P99_LIMIT_MS = 100;
/** autocannon paces each connection separately: few connections at a low rate, or they fire in bursts. */
const connectionsFor = (rate: number) => Math.max(2, Math.min(32, Math.ceil(rate / 25)));
const ENDPOINTS = 2;

const pick = <T>(xs: T[]) => xs[Math.floor(Math.random() * xs.length)]!;

/** The API server: the child of this process running src/server.ts. */
function serverPid(apiUrl: string): number {
  const port = new URL(apiUrl).port;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid !== process.pid) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const environ = readFileSync(`/proc/${entry}/environ`, 'utf8');
      if (cmdline.includes('src/server.ts') && environ.split('\0').includes(`PORT=${port}`)) return Number(entry);
    } catch {
      // a process that went away
    }
  }
  throw new Error('API server process not found');
}

function memory(pid: number): { rssMb: number; hwmMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rssMb: kb('VmRSS') / 1024, hwmMb: kb('VmHWM') / 1024 };
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function seed(ctx: BenchContext) {
  const people: string[] = [];
  const departments: string[] = [];
  for (let i = 0; i < 20; i++) {
    const d = await ctx.post('/v1/departments', { name: `Soak department ${i}`, code: `SOAK${Date.now().toString(36)}${i}` });
    departments.push(d.id);
    const p = await ctx.post('/v1/people', { name: `Soak person ${i}`, email: `soak-${Date.now()}-${i}@example.com`, departmentId: d.id });
    people.push(p.id);
  }
  const meetings: string[] = [];
  for (let i = 0; i < 20; i++) {
    const m = await ctx.post('/v1/meetings', {
      title: `Soak ${i} 跨部门协调会 budget review`,
      startsAt: `2027-02-${String(1 + i).padStart(2, '0')}T09:00:00Z`,
      endsAt: `2027-02-${String(1 + i).padStart(2, '0')}T10:00:00Z`,
      timeZone: 'Europe/Paris',
      participants: [{ personId: people[i]!, role: 'chair' }],
      agendaItems: [{ title: 'Budget' }, { title: 'Hiring' }],
    });
    meetings.push(m.id);
  }
  // Searchable rows, as the search scenario builds them but fewer (the soak also writes its own).
  await insertWordIssues(ctx.sql, ctx.organizationId, people[0]!, 10_000, 'Soak issue');
  await ctx.sql`vacuum analyze issues`;
  const issues = (await ctx.sql<{ id: string }[]>`select id from issues where organization_id = ${ctx.organizationId} limit 500`).map((r) => r.id);
  return { people, departments, meetings, issues };
}

/** One cycle of ten requests per connection: 7 reads, 2 writes, 1 search. */
function workload(ctx: BenchContext, ids: Awaited<ReturnType<typeof seed>>): autocannon.Request[] {
  const json = { ...ctx.headers };
  const get = (path: () => string): autocannon.Request => ({ method: 'GET', path: '/', setupRequest: (req) => ({ ...req, path: path() }) });
  let n = 0;
  return [
    get(() => `/v1/departments/${pick(ids.departments)}`),
    get(() => `/v1/meetings/${pick(ids.meetings)}`),
    get(() => `/v1/people/${pick(ids.people)}`),
    get(() => `/v1/issues/${pick(ids.issues)}`),
    get(() => '/v1/departments?limit=20'),
    get(() => `/v1/meetings/${pick(ids.meetings)}/agenda-items`),
    get(() => `/v1/issues?limit=20&ownerId=${pick(ids.people)}`),
    {
      method: 'POST',
      path: '/v1/issues',
      headers: json,
      setupRequest: (req) => ({ ...req, body: JSON.stringify({ title: `Soak write ${n++} budget`, ownerId: pick(ids.people), priority: 'normal' }) }),
    },
    {
      method: 'PATCH',
      path: '/',
      headers: json,
      setupRequest: (req) => ({ ...req, path: `/v1/issues/${pick(ids.issues)}`, body: JSON.stringify({ priority: pick(['low', 'normal', 'high']) }) }),
    },
    get(() => `/v1/search?q=${encodeURIComponent(pick(['budget', 'hiring', '预算', '跨部门', 'supplier risk']))}&types=issue,meeting&limit=20`),
  ];
}

interface Run {
  rate: number;
  achieved: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  total: number;
}

async function run(ctx: BenchContext, requests: autocannon.Request[], rate: number, seconds: number): Promise<Run> {
  const result = await autocannon({
    url: ctx.api,
    connections: connectionsFor(rate),
    duration: seconds,
    overallRate: rate,
    headers: { authorization: ctx.headers.authorization! },
    requests,
  });
  return {
    rate,
    achieved: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
    total: result.requests.total,
  };
}

export const soak: Scenario = async (ctx) => {
  const pid = serverPid(ctx.api);
  const out = (line: string) => process.stdout.write(`soak: ${line}\n`);
  out(`server pid ${pid}; load average ${loadAverage()}; ${HOLD_SECONDS} s hold`);

  // Webhook receivers in this process, subscribed to every event the writes emit.
  let received = 0;
  const servers: Server[] = [];
  for (let i = 0; i < ENDPOINTS; i++) {
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    await ctx.post('/v1/webhooks', { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/soak`, eventTypes: ['*'] });
  }
  const ids = await seed(ctx);
  const requests = workload(ctx, ids);
  await run(ctx, requests, 20, 3); // warm-up

  // Probe: double while p99 stays under the limit with no error, then bisect once or twice.
  const probes: Run[] = [];
  let good = 0;
  let bad = 0;
  for (let rate = 20; rate <= 5120; rate *= 2) {
    const r = await run(ctx, requests, rate, PROBE_SECONDS);
    probes.push(r);
    out(`probe ${rate} req/s: achieved ${r.achieved.toFixed(0)}, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors + r.non2xx}`);
    const ok = r.p99 < P99_LIMIT_MS && r.errors + r.non2xx === 0 && r.achieved >= rate * 0.9;
    if (!ok) {
      bad = rate;
      break;
    }
    good = rate;
  }
  for (let step = 0; step < 2 && bad && good && bad - good > good / 4; step++) {
    const rate = Math.round((good + bad) / 2);
    const r = await run(ctx, requests, rate, PROBE_SECONDS);
    probes.push(r);
    out(`probe ${rate} req/s: achieved ${r.achieved.toFixed(0)}, p50 ${r.p50} ms, p99 ${r.p99} ms, errors ${r.errors + r.non2xx}`);
    if (r.p99 < P99_LIMIT_MS && r.errors + r.non2xx === 0 && r.achieved >= rate * 0.9) good = rate;
    else bad = rate;
  }
  // Hold at three quarters of the last good probe: a probe is short, a soak is not (the tables grow).
  const holdRate = Math.max(5, Math.floor((good || 10) * 0.75));
  out(`holding ${holdRate} req/s for ${HOLD_SECONDS} s (last good probe ${good}, first bad ${bad || 'none'})`);

  const samples: { t: number; rssMb: number }[] = [];
  const loads: string[] = [loadAverage()];
  const started = Date.now();
  const sampler = setInterval(() => {
    try {
      samples.push({ t: (Date.now() - started) / 1000, rssMb: memory(pid).rssMb });
      if (samples.length % 12 === 0) loads.push(loadAverage());
    } catch {
      // the server went away: the run's errors will say so
    }
  }, 5000);
  const receivedBefore = received;
  const hold = await run(ctx, requests, holdRate, HOLD_SECONDS);
  clearInterval(sampler);
  loads.push(loadAverage());

  // Let the webhook backlog drain, then compare with what the database recorded.
  const drainStarted = Date.now();
  let backlog = -1;
  while (Date.now() - drainStarted < 60_000) {
    const [row] = await ctx.sql<{ n: number }[]>`select count(*)::int as n from webhook_deliveries where organization_id = ${ctx.organizationId} and status not in ('succeeded', 'failed', 'skipped')`;
    backlog = row!.n;
    if (backlog === 0) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  const [deliveries] = await ctx.sql<{ ok: number; failed: number; total: number }[]>`
    select count(*) filter (where status = 'succeeded')::int as ok, count(*) filter (where status = 'failed')::int as failed, count(*)::int as total
    from webhook_deliveries where organization_id = ${ctx.organizationId}`;
  for (const s of servers) s.close();

  const mem = memory(pid);
  const third = Math.max(1, Math.floor(samples.length / 3));
  const mean = (xs: { rssMb: number }[]) => xs.reduce((a, s) => a + s.rssMb, 0) / Math.max(1, xs.length);
  const firstThird = mean(samples.slice(0, third));
  const lastThird = mean(samples.slice(-third));
  // Least-squares slope of RSS over time, MB per minute.
  const n = samples.length;
  const mt = samples.reduce((a, s) => a + s.t, 0) / Math.max(1, n);
  const mr = mean(samples);
  const slope = (samples.reduce((a, s) => a + (s.t - mt) * (s.rssMb - mr), 0) / Math.max(1e-9, samples.reduce((a, s) => a + (s.t - mt) ** 2, 0))) * 60;
  const growing = lastThird > firstThird * 1.1 && slope > 1;

  out(`hold: target ${holdRate} req/s, achieved ${hold.achieved.toFixed(0)} req/s, ${hold.total} requests, p50 ${hold.p50} ms, p99 ${hold.p99} ms`);
  out(`errors ${hold.errors}, non-2xx ${hold.non2xx}`);
  out(`webhooks: ${received - receivedBefore} received during/after the hold (${received} in all); deliveries succeeded ${deliveries!.ok} / ${deliveries!.total}, failed ${deliveries!.failed}, backlog ${backlog}`);
  out(`RSS: peak (VmHWM) ${mem.hwmMb.toFixed(0)} MB, now ${mem.rssMb.toFixed(0)} MB, first third of the hold ${firstThird.toFixed(0)} MB, last third ${lastThird.toFixed(0)} MB, slope ${slope.toFixed(2)} MB/min over ${n} samples → ${growing ? 'KEPT GROWING' : 'stable'}`);
  out(`RSS samples (MB): ${samples.map((s) => s.rssMb.toFixed(0)).join(' ')}`);
  out(`load average during the hold: ${loads.join(' | ')}`);

  const rows: Row[] = probes.map((r) => ({
    name: `soak probe @ ${r.rate} req/s`,
    requestsPerSec: r.achieved,
    p50: r.p50,
    p99: r.p99,
    errors: r.errors,
    non2xx: r.non2xx,
  }));
  rows.push({
    name: `soak hold @ ${holdRate} req/s for ${HOLD_SECONDS} s`,
    requestsPerSec: hold.achieved,
    p50: hold.p50,
    p99: hold.p99,
    errors: hold.errors,
    non2xx: hold.non2xx,
    target: `p99 < ${P99_LIMIT_MS} ms, 0 errors, RSS not growing; peak RSS ${mem.hwmMb.toFixed(0)} MB`,
  });
  return rows;
};
