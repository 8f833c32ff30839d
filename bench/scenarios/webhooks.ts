import { openDatabase } from '../../src/platform/database.js';
import { registerEventSubscriber } from '../../src/events/outbox.js';
import { recordChanges } from '../../src/platform/changes.js';
import { fanOutToWebhooks } from '../../src/webhooks/fan-out.js';
import type { BenchContext, Row, Scenario } from '../context.js';
import { cpuTicks, TICKS_PER_SECOND } from '../load-sampler.js';
import { startPgBossPeer } from '../peers/pg-boss.js';
import { PGBOSS_BATCH, PGBOSS_POLL_SECONDS, PGBOSS_WORKERS } from '../peers/pg-boss-settings.js';
import { now, Run, startReceivers, type Receivers } from '../webhook-receipts.js';

const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 10_000);
const ENDPOINTS = 4;
/** The paced run's event rate: 750 events/s to 4 endpoints asks for 3,000 deliveries/s. */
const PACED_EVENTS_PER_SEC = Number(process.env.BENCH_WEBHOOK_RATE ?? 750);
const BURST_PRODUCERS = 8;
/**
 * Events delivered before the measured runs, at the paced rate, and not counted: the server's
 * first deliveries pay for JIT compilation, its first prepared statements and the first
 * connections to each endpoint (~100 ms each in the first half second), and the commits right
 * after the checkpoint write whole pages to the WAL (~2 s): start-up, not delivery latency.
 */
const WARM_UP_EVENTS = 2000;

/**
 * Transactions committed in the bench database so far (statements outside a transaction count one
 * each). Backends report their counts at most once a second, so this waits for the report first.
 */
async function committedTransactions(ctx: BenchContext): Promise<number> {
  await new Promise((r) => setTimeout(r, 1500));
  const [row] = await ctx.sql`select xact_commit::float8 as n from pg_stat_database where datname = current_database()`;
  return row!.n as number;
}

/** A delivery system under test: how a change commits an event with its deliveries, and who sends them. */
interface Deliverer {
  name: string;
  /** Commits event n with one delivery per endpoint; answers the event id (the `webhook-id`). */
  append(n: number): Promise<string>;
  /** The process that delivers, for its CPU time. */
  pid: number | undefined;
}

/** CPU seconds `pid` uses while `fn` runs. */
async function cpuSeconds<T>(pid: number | undefined, fn: () => Promise<T>): Promise<[T, string]> {
  const before = pid ? await cpuTicks(pid) : null;
  const result = await fn();
  const after = pid ? await cpuTicks(pid) : null;
  return [result, before !== null && after !== null ? `${((after - before) / TICKS_PER_SECOND).toFixed(1)} s` : '?'];
}

/** The warm-up, the paced row and the burst row of one deliverer, into the same receivers. */
async function deliveryRows(ctx: BenchContext, receivers: Receivers, d: Deliverer): Promise<{ paced: Row; burst: Row }> {
  const expected = EVENTS * ENDPOINTS;
  const counts = (run: Run) =>
    `${run.receipts.length} of ${expected} received, ${run.duplicates} duplicates, signatures ${run.verified} verified / ${run.badSignatures} bad (sampled)`;
  // Commits run while later ones are scheduled: the first failure is kept (a rejection nobody
  // handles yet would end the process and leave its servers running) and stops the run.
  let failure: { error: unknown } | null = null;
  const commit = (n: number) =>
    d.append(n).then(
      (id) => run.committed(id),
      (error) => void (failure ??= { error }),
    );
  const failed = () => {
    if (failure) throw failure.error;
  };
  // A checkpoint now, not between the warm-up and the run: the pages every change touches first
  // after a checkpoint go to the WAL whole, which for a second or two slows every commit. The
  // warm-up takes that, and no checkpoint is due during the run.
  await ctx.sql`checkpoint`.catch(() => {});
  let run = (receivers.run = new Run(WARM_UP_EVENTS * ENDPOINTS, ENDPOINTS));
  const warming: Promise<void>[] = [];
  for (let n = 0; n < WARM_UP_EVENTS && !failure; n++) {
    await new Promise((r) => setTimeout(r, 1000 / PACED_EVENTS_PER_SEC));
    warming.push(commit(-1 - n));
  }
  await Promise.all(warming);
  failed();
  await run.drained();
  if (run.receipts.length < WARM_UP_EVENTS * ENDPOINTS) throw new Error(`${d.name} warm-up: only ${run.receipts.length} deliveries arrived`);

  // Paced, open loop: event n is committed at started + n / rate, however the previous ones fare.
  let xacts = await committedTransactions(ctx);
  run = receivers.run = new Run(expected, ENDPOINTS);
  let behind = 0;
  const [, pacedCpu] = await cpuSeconds(d.pid, async () => {
    const commits: Promise<void>[] = [];
    for (let n = 0; n < EVENTS && !failure; n++) {
      const due = run.started + (n * 1000) / PACED_EVENTS_PER_SEC;
      const wait = due - now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      else if (wait < -50) behind++;
      commits.push(commit(n));
    }
    await Promise.all(commits);
    failed();
    await run.drained();
  });
  const commitSeconds = (run.lastCommit - run.started) / 1000;
  const pacedXacts = (await committedTransactions(ctx)) - xacts;
  const paced: Row = {
    name: `webhooks paced, ${d.name}: ${EVENTS} ev × ${ENDPOINTS} at ${PACED_EVENTS_PER_SEC * ENDPOINTS}/s`,
    requestsPerSec: run.rate(),
    ...run.percentiles(),
    errors: run.duplicates + run.badSignatures,
    non2xx: expected - run.receipts.length,
    target: '≥ 3000 deliveries/s, p99 ≤ 50 ms, 0 duplicates, not behind pg-boss',
    note:
      `events committed at ${(EVENTS / commitSeconds).toFixed(0)}/s (asked ${PACED_EVENTS_PER_SEC}/s; ${behind} scheduled commits started > 50 ms late), ` +
      `${counts(run)}, last receipt ${Math.round((run.receipts.at(-1) ?? now()) - run.lastCommit)} ms after the last commit, ` +
      `${(pacedXacts / expected).toFixed(2)} database transactions per delivery (the producers' one per event included), delivering process CPU ${pacedCpu}`,
  };

  // Burst, closed loop: every producer commits its next event as soon as the previous one did.
  xacts = await committedTransactions(ctx);
  run = receivers.run = new Run(expected, ENDPOINTS);
  const [, burstCpu] = await cpuSeconds(d.pid, async () => {
    let next = 0;
    const producer = async () => {
      while (next < EVENTS) run.committed(await d.append(EVENTS + next++));
    };
    await Promise.all(Array.from({ length: BURST_PRODUCERS }, producer));
    await run.drained();
  });
  const burstCommitSeconds = (run.lastCommit - run.started) / 1000;
  const burstXacts = (await committedTransactions(ctx)) - xacts;
  const burst: Row = {
    name: `webhooks burst, ${d.name}: ${EVENTS} ev × ${ENDPOINTS}, ${BURST_PRODUCERS} producers`,
    requestsPerSec: run.rate(),
    ...run.percentiles(),
    errors: run.duplicates + run.badSignatures,
    non2xx: expected - run.receipts.length,
    target: 'none: throughput; latency is queueing',
    note:
      `events committed at ${(EVENTS / burstCommitSeconds).toFixed(0)}/s, peak ${run.peakRate()} deliveries in 1 s, ` +
      `backlog drained ${Math.round((run.receipts.at(-1) ?? now()) - run.lastCommit)} ms after the last commit, ${counts(run)}, ` +
      `${(burstXacts / expected).toFixed(2)} database transactions per delivery (the producers' one per event included), delivering process CPU ${burstCpu}`,
  };
  return { paced, burst };
}

/**
 * 10,000 events fanned out to 4 local endpoints, delivered by Liaison's own worker and then, in
 * the same run and into the same receivers, by pg-boss (bench/peers/pg-boss.ts: a job per
 * delivery, inserted in the event's transaction, sent by a worker process of its own with the same
 * undici POST and a Standard Webhooks signature). Each deliverer gets a short uncounted warm-up
 * (WARM_UP_EVENTS) and two runs; latency is from each commit (as the producer sees it
 * acknowledged) to its receipt.
 *
 * - paced (the row that carries the target): an open loop commits 750 events/s on a fixed
 *   schedule, whatever the deliverer does, so 3,000 deliveries/s are asked for. Latency here is
 *   the delivery latency a change sees at that load.
 * - burst (no latency target): 8 producers commit all 10,000 events as fast as they can. Commits
 *   outrun delivery, so commit-to-receipt latency is mostly time queued behind earlier events; the
 *   row reports throughput, the peak one-second rate and the time to drain the backlog.
 *
 * Liaison's events are recorded the way every change records them (recordChanges: the event and
 * its deliveries in the change's transaction, the wake-up after its commit); pg-boss's producer
 * writes the same event row and its jobs in one transaction.
 */
export const webhooks: Scenario = async (ctx) => {
  const receivers = await startReceivers(ENDPOINTS);
  const database = openDatabase(ctx.databaseUrl, { max: BURST_PRODUCERS });
  let peer: Awaited<ReturnType<typeof startPgBossPeer>> | null = null;
  try {
    const secrets: string[] = [];
    for (const url of receivers.urls) secrets.push((await ctx.post('/v1/webhooks', { url, eventTypes: ['issue.*'] })).secret);
    receivers.useSecrets(secrets);
    // The bench's producers are a process of their own: composed as app.ts composes the API's.
    registerEventSubscriber(fanOutToWebhooks);
    const change = { organizationId: ctx.organizationId, actorKeyId: null, actorPersonId: null, requestId: null };
    const liaison = await deliveryRows(ctx, receivers, {
      name: 'Liaison',
      pid: ctx.pids.api,
      append: (n) =>
        recordChanges(database.db, change, (rec) => rec.event('issue.updated', { issue: { id: `bench-${n}`, version: 1 }, changes: {} })).then((e) => e.id),
    });
    // The same endpoints and secrets; pg-boss's producer appends no Liaison delivery.
    peer = await startPgBossPeer({
      databaseUrl: ctx.databaseUrl,
      organizationId: ctx.organizationId,
      endpoints: receivers.urls.map((url, i) => ({ url, secret: secrets[i]! })),
      max: BURST_PRODUCERS,
    });
    const pgBoss = await deliveryRows(ctx, receivers, { name: 'pg-boss', pid: peer.worker.child.pid, append: peer.append });
    const versus = (ours: Row, theirs: Row) =>
      `; against pg-boss: ${(ours.requestsPerSec / theirs.requestsPerSec).toFixed(2)}× its deliveries/s, p99 ${ours.p99} ms vs ${theirs.p99} ms`;
    liaison.paced.note += versus(liaison.paced, pgBoss.paced);
    liaison.burst.note += versus(liaison.burst, pgBoss.burst);
    pgBoss.paced.note += `; pg-boss: ${PGBOSS_WORKERS} workers, batch ${PGBOSS_BATCH}, polling every ${PGBOSS_POLL_SECONDS} s`;
    const rows = [liaison.paced, pgBoss.paced, liaison.burst, pgBoss.burst];
    // The shared report prints the notes on each row's line; these lines are easier to read.
    for (const r of rows) process.stdout.write(`${r.name}: ${r.note}\n`);
    return rows;
  } finally {
    await peer?.stop();
    await database.close();
    receivers.close();
  }
};
