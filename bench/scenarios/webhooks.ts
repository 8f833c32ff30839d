import { createServer, type Server } from 'node:http';
import { openDatabase, type Database } from '../../src/platform/database.js';
import { appendEvent } from '../../src/events/outbox.js';
import type { BenchContext, Row, Scenario } from '../context.js';

const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 10_000);
const ENDPOINTS = 4;
/** The paced run's event rate: 300 events/s to 4 endpoints asks for 1,200 deliveries/s. */
const PACED_EVENTS_PER_SEC = Number(process.env.BENCH_WEBHOOK_RATE ?? 300);
const BURST_PRODUCERS = 8;
/**
 * Events delivered before the measured runs, at the paced rate, and not counted: the server's
 * first deliveries pay for JIT compilation, its first prepared statements and the first
 * connections to each endpoint (~100 ms each in the first half second), which is start-up, not
 * delivery latency.
 */
const WARM_UP_EVENTS = 300;
/** How long a run waits for its last deliveries after its last commit. */
const DRAIN_TIMEOUT_MS = 120_000;

const now = () => performance.timeOrigin + performance.now();

function percentile(sorted: number[], p: number) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

/** What one run observed at the receivers. */
class Run {
  readonly committedAt = new Map<string, number>();
  /** Receipts that arrived before the producer saw its commit acknowledged (latency ~0). */
  readonly earlyReceipts = new Map<string, number[]>();
  readonly latencies: number[] = [];
  readonly receipts: number[] = [];
  readonly seen = Array.from({ length: ENDPOINTS }, () => new Set<string>());
  duplicates = 0;
  started = now();
  lastCommit = 0;
  private done!: () => void;
  readonly allReceived = new Promise<void>((r) => (this.done = r));

  constructor(readonly expected: number) {}

  committed(id: string) {
    const at = now();
    this.committedAt.set(id, at);
    this.lastCommit = at;
    for (const r of this.earlyReceipts.get(id) ?? []) this.latencies.push(Math.max(0, r - at));
    this.earlyReceipts.delete(id);
  }

  received(endpoint: number, id: string) {
    const at = now();
    if (this.seen[endpoint]!.has(id)) this.duplicates++;
    this.seen[endpoint]!.add(id);
    const committed = this.committedAt.get(id);
    if (committed !== undefined) this.latencies.push(at - committed);
    else this.earlyReceipts.set(id, [...(this.earlyReceipts.get(id) ?? []), at]);
    this.receipts.push(at);
    if (this.receipts.length >= this.expected) this.done();
  }

  async drained() {
    const timeout = setTimeout(() => this.done(), DRAIN_TIMEOUT_MS);
    await this.allReceived;
    clearTimeout(timeout);
  }

  /** Deliveries per second over the whole run: first commit started to last receipt. */
  rate() {
    const last = this.receipts.at(-1) ?? now();
    return this.receipts.length / ((last - this.started) / 1000);
  }

  /** The most deliveries received in any one-second window. */
  peakRate() {
    let peak = 0;
    for (let lo = 0, hi = 0; hi < this.receipts.length; hi++) {
      while (this.receipts[hi]! - this.receipts[lo]! > 1000) lo++;
      peak = Math.max(peak, hi - lo + 1);
    }
    return peak;
  }

  percentiles() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)) };
  }
}

/**
 * Transactions committed in the bench database so far (statements outside a transaction count one
 * each). Backends report their counts at most once a second, so this waits for the report first.
 */
async function committedTransactions(ctx: BenchContext): Promise<number> {
  await new Promise((r) => setTimeout(r, 1500));
  const [row] = await ctx.sql`select xact_commit::float8 as n from pg_stat_database where datname = current_database()`;
  return row!.n as number;
}

const append = (database: Database, ctx: BenchContext, n: number) =>
  database.db.transaction((tx) => appendEvent(tx, ctx.organizationId, 'issue.updated', { issue: { id: `bench-${n}`, version: 1 }, changes: {} }));

/**
 * 10,000 events fanned out to 4 local endpoints by the server's own delivery worker, in two runs
 * after a short uncounted warm-up (WARM_UP_EVENTS).
 * Events are appended the way every change appends them (appendEvent inside a transaction);
 * latency is from each commit (as the producer sees it acknowledged) to its receipt.
 *
 * - paced (the row that carries the target): an open loop commits 300 events/s on a fixed
 *   schedule, whatever the worker does, so 1,200 deliveries/s are asked for. Latency here is the
 *   delivery latency a change sees at that load. Targets: ≥ 1,000 deliveries/s, p50 ≤ 20 ms,
 *   p99 ≤ 200 ms, no duplicate webhook-id per endpoint.
 * - burst (no latency target): 8 producers commit all 10,000 events as fast as they can. Commits
 *   outrun delivery, so commit-to-receipt latency is mostly time queued behind earlier events; the
 *   row reports throughput, the peak one-second rate and the time to drain the backlog.
 */
export const webhooks: Scenario = async (ctx) => {
  let run = new Run(0);
  const servers: Server[] = [];
  for (let i = 0; i < ENDPOINTS; i++) {
    const server = createServer((req, res) => {
      const id = String(req.headers['webhook-id']);
      req.resume();
      req.on('end', () => {
        run.received(i, id);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    await ctx.post('/v1/webhooks', { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, eventTypes: ['issue.*'] });
  }
  const database = openDatabase(ctx.databaseUrl, { max: BURST_PRODUCERS });
  const rows: Row[] = [];
  try {
    run = new Run(WARM_UP_EVENTS * ENDPOINTS);
    for (let n = 0; n < WARM_UP_EVENTS; n++) {
      await new Promise((r) => setTimeout(r, 1000 / PACED_EVENTS_PER_SEC));
      void append(database, ctx, -1 - n).then((e) => run.committed(e.id));
    }
    await run.drained();
    if (run.receipts.length < WARM_UP_EVENTS * ENDPOINTS) throw new Error(`warm-up: only ${run.receipts.length} deliveries arrived`);

    // Paced, open loop: event n is committed at started + n / rate, however the previous ones fare.
    let xacts = await committedTransactions(ctx);
    run = new Run(EVENTS * ENDPOINTS);
    const commits: Promise<void>[] = [];
    let behind = 0;
    for (let n = 0; n < EVENTS; n++) {
      const due = run.started + (n * 1000) / PACED_EVENTS_PER_SEC;
      const wait = due - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -50) behind++;
      commits.push(append(database, ctx, n).then((e) => run.committed(e.id)));
    }
    await Promise.all(commits);
    const commitSeconds = (run.lastCommit - run.started) / 1000;
    await run.drained();
    const paced = run.percentiles();
    const pacedXacts = (await committedTransactions(ctx)) - xacts;
    rows.push({
      name: `webhooks paced: ${EVENTS} ev × ${ENDPOINTS} at ${PACED_EVENTS_PER_SEC * ENDPOINTS}/s asked`,
      requestsPerSec: run.rate(),
      ...paced,
      errors: run.duplicates,
      non2xx: EVENTS * ENDPOINTS - run.receipts.length,
      target: '≥ 1000 deliveries/s, p50 ≤ 20 ms, p99 ≤ 200 ms, 0 duplicates',
      note:
        `events committed at ${(EVENTS / commitSeconds).toFixed(0)}/s (asked ${PACED_EVENTS_PER_SEC}/s; ${behind} scheduled commits started > 50 ms late), ` +
        `${run.receipts.length} of ${EVENTS * ENDPOINTS} received, ${run.duplicates} duplicates, ` +
        `last receipt ${Math.round((run.receipts.at(-1) ?? now()) - run.lastCommit)} ms after the last commit, ` +
        `${(pacedXacts / (EVENTS * ENDPOINTS)).toFixed(2)} database transactions per delivery (the producers' one per event included)`,
    });

    // Burst, closed loop: every producer commits its next event as soon as the previous one did.
    xacts = await committedTransactions(ctx);
    run = new Run(EVENTS * ENDPOINTS);
    let next = 0;
    const producer = async () => {
      while (next < EVENTS) {
        const event = await append(database, ctx, EVENTS + next++);
        run.committed(event.id);
      }
    };
    await Promise.all(Array.from({ length: BURST_PRODUCERS }, producer));
    const burstCommitSeconds = (run.lastCommit - run.started) / 1000;
    await run.drained();
    const burst = run.percentiles();
    const drainMs = Math.round((run.receipts.at(-1) ?? now()) - run.lastCommit);
    const burstXacts = (await committedTransactions(ctx)) - xacts;
    rows.push({
      name: `webhooks burst: ${EVENTS} ev × ${ENDPOINTS}, ${BURST_PRODUCERS} producers`,
      requestsPerSec: run.rate(),
      ...burst,
      errors: run.duplicates,
      non2xx: EVENTS * ENDPOINTS - run.receipts.length,
      target: 'none: throughput; latency is queueing',
      note:
        `events committed at ${(EVENTS / burstCommitSeconds).toFixed(0)}/s, peak ${run.peakRate()} deliveries in 1 s, ` +
        `backlog drained ${drainMs} ms after the last commit, ${run.receipts.length} of ${EVENTS * ENDPOINTS} received, ${run.duplicates} duplicates, ` +
        `${(burstXacts / (EVENTS * ENDPOINTS)).toFixed(2)} database transactions per delivery (the producers' one per event included)`,
    });
  } finally {
    await database.close();
    for (const s of servers) s.close();
  }
  // The shared report prints no notes; these say what each row's numbers mean.
  for (const r of rows) process.stdout.write(`${r.name}: ${r.note}\n`);
  return rows;
};
