import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { BackgroundTask, WorkerContext } from '../platform/tasks.js';
import { EVENTS_CHANNEL } from '../events/outbox.js';
import { listenFor } from '../platform/wake-ups.js';
import { performAttempt, type AttemptDeps } from './attempt.js';
import { claimDue, DEFAULT_PER_ENDPOINT, DELIVERY_CHANNEL, LEASE_MS, markSkipped, releaseLeases, renewLeases, type ClaimedDelivery } from './queue.js';
import { parseRetrySchedule } from './schedule.js';
import { createWebhookAgent, type WebhookSendResult } from './send.js';
import { parseAllowCidrs } from './ssrf.js';
import { SuccessLog } from './success-log.js';

/** Deliveries one process holds at once (queued, sending or being recorded), across all endpoints. */
const MAX_HELD = 256;
/**
 * Claims queue ahead only while fewer than this are sending or queued to send in the process, so
 * a few backlogged endpoints cannot take all of MAX_HELD: beyond it every further endpoint still
 * gets its sending slots. Deliveries whose success is still being written do not count: under
 * load they are many, and counting them stopped the queueing ahead that keeps endpoints busy.
 */
const PREFETCH_WHILE_HELD_BELOW = MAX_HELD / 2;
/** How long an endpoint whose attempt failed gets no deliveries queued ahead (unless one succeeds). */
const FAILING_MS = 60_000;
/** Most deliveries one claim takes. */
const CLAIM_BATCH = 64;
/**
 * Deliveries queued per endpoint beyond those sending, so a finished send is followed at once and
 * one claim round trip brings many deliveries (claims, not sends, limit a backlog's drain rate).
 */
const PREFETCH = 28;
/** Fallback when a notification is missed, and the moment retries that came due are noticed. */
const POLL_MS = 1_000;

export const newWorkerId = (role: string) => `${role}:${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

export function attemptDeps(ctx: WorkerContext, workerId: string): AttemptDeps {
  return {
    db: ctx.database.db,
    agent: createWebhookAgent({ allow: parseAllowCidrs(ctx.config.webhookAllowCidrs), timeoutMs: ctx.config.webhookTimeoutMs }),
    metrics: ctx.metrics,
    schedule: parseRetrySchedule(ctx.config.webhookRetrySchedule),
    timeoutMs: ctx.config.webhookTimeoutMs,
    workerId,
  };
}

/**
 * The delivery loop: woken by hints on the events channel (a committed event) and on our own
 * channel (retry/replay), sent after commit and coalesced (platform/wake-ups.ts), and polling
 * every second as the fallback for a hint that was lost. It claims due rows with a short
 * lease and renews the leases of everything it holds.
 *
 * Each endpoint has a local queue: at most DEFAULT_PER_ENDPOINT of its deliveries are sent at
 * once, and a claim may queue a few more (see claimDue), so when a send finishes the next one
 * starts at once; its slot is free as soon as the HTTP exchange ends, while the outcome is still
 * being written. Successful outcomes are written in batches (SuccessLog). A failed attempt hands
 * the endpoint's queued deliveries back, so nothing more is sent to it before its failure (maybe
 * a 410 that disables it) is recorded. On stop, queued deliveries are handed back and what is
 * sending finishes and is recorded.
 */
export async function startDeliveryWorker(ctx: WorkerContext): Promise<BackgroundTask> {
  const workerId = newWorkerId('worker');
  // Lease renewal, hand-backs and batched success writes each update many of our leased rows in
  // one statement; run one at a time, they cannot deadlock each other.
  let exclusiveTail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = exclusiveTail.then(fn, fn);
    exclusiveTail = run.catch(() => {});
    return run;
  };
  const deps: AttemptDeps = { ...attemptDeps(ctx, workerId) };
  deps.successes = new SuccessLog(deps.db, workerId, exclusive);

  /** Every delivery we hold a lease on (queued, sending or being recorded), by id: its endpoint. */
  const held = new Map<string, string>();
  const queues = new Map<string, ClaimedDelivery[]>();
  const sending = new Map<string, number>();
  /** Endpoints whose last claim filled all their room: a finished send there may make room for more. */
  const saturated = new Set<string>();
  /** Endpoints whose last attempt failed, until when: nothing is queued for them beyond what they can send. */
  const failing = new Map<string, number>();
  const attempts = new Set<Promise<void>>();
  let stopping = false;
  let claiming = false;
  let again = false;

  // A retry due before the next poll wakes the loop at its time rather than up to a poll late.
  let soonest: { at: number; timer: NodeJS.Timeout } | null = null;
  const wakeAt = (at: Date) => {
    const ms = at.getTime() - Date.now();
    if (ms >= 60_000 || (soonest && soonest.at <= at.getTime())) return;
    if (soonest) clearTimeout(soonest.timer);
    soonest = { at: at.getTime(), timer: setTimeout(() => ((soonest = null), wake()), Math.max(0, ms) + 5) };
  };

  const handBack = (webhookId: string) => {
    const queued = queues.get(webhookId) ?? [];
    queues.delete(webhookId);
    if (queued.length === 0) return;
    const ids = queued.map((d) => d.id);
    for (const id of ids) held.delete(id);
    // If this fails the leases simply run out: the deliveries were never sent.
    exclusive(() => releaseLeases(deps.db, workerId, ids)).then(wake, (err) => ctx.log.warn({ err }, 'handing back webhook deliveries failed'));
  };

  const attempt = (d: ClaimedDelivery) => {
    sending.set(d.webhookId, (sending.get(d.webhookId) ?? 0) + 1);
    let slotFreed = false;
    const sent = (result?: WebhookSendResult) => {
      if (slotFreed) return;
      slotFreed = true;
      // The slot frees on the next turn: undici returns the connection to its pool only after this
      // callback, and a send started earlier would open another connection instead of reusing it.
      setImmediate(() => {
        sending.set(d.webhookId, sending.get(d.webhookId)! - 1);
        if (result && !result.ok) {
          failing.set(d.webhookId, Date.now() + FAILING_MS);
          handBack(d.webhookId);
        } else {
          if (result) failing.delete(d.webhookId);
          pump(d.webhookId);
        }
        if (saturated.has(d.webhookId)) wake();
      });
    };
    // Assigned before the body's first await returns, so the finally below always sees it.
    let run!: Promise<void>;
    run = (async () => {
      await null;
      try {
        if (!d.enabled) {
          sent();
          await markSkipped(deps.db, workerId, d.id);
        } else {
          const { nextAttemptAt } = await performAttempt(deps, d, sent);
          if (nextAttemptAt) wakeAt(nextAttemptAt);
        }
      } catch (err) {
        // The lease runs out and another claim retries it; nothing is lost.
        ctx.log.error({ err, deliveryId: d.id }, 'webhook delivery failed to record');
      } finally {
        sent();
        // A claim skipped for want of room can run now.
        if (held.size >= MAX_HELD) wake();
        held.delete(d.id);
        attempts.delete(run);
      }
    })();
    attempts.add(run);
  };

  /** Starts the endpoint's queued deliveries while it has free slots. */
  function pump(webhookId: string) {
    const queued = queues.get(webhookId);
    while (!stopping && queued && queued.length > 0 && (sending.get(webhookId) ?? 0) < DEFAULT_PER_ENDPOINT) attempt(queued.shift()!);
    if (queued && queued.length === 0) queues.delete(webhookId);
    if ((sending.get(webhookId) ?? 0) === 0) sending.delete(webhookId);
  }

  /**
   * Per endpoint, the deliveries we hold that occupy or wait for a slot, and how many that is in
   * all (`unsent`); those whose outcome is only being recorded count in neither.
   */
  const occupancy = () => {
    const counts = new Map<string, number>();
    let unsent = 0;
    for (const [id, n] of sending) {
      counts.set(id, n);
      unsent += n;
    }
    for (const [id, q] of queues) {
      counts.set(id, (counts.get(id) ?? 0) + q.length);
      unsent += q.length;
    }
    // Counting the prefetch as taken leaves a failing endpoint only the slots it can send on now.
    const now = Date.now();
    for (const [id, until] of failing) {
      if (until < now) failing.delete(id);
      else counts.set(id, (counts.get(id) ?? 0) + PREFETCH);
    }
    return { counts, unsent };
  };

  const claimLoop = async () => {
    claiming = true;
    try {
      do {
        again = false;
        const room = Math.min(MAX_HELD - held.size, CLAIM_BATCH);
        if (room <= 0 || stopping) break;
        const { counts, unsent } = occupancy();
        const prefetch = unsent < PREFETCH_WHILE_HELD_BELOW ? PREFETCH : 0;
        const claim = await claimDue(deps.db, workerId, room, { perEndpoint: DEFAULT_PER_ENDPOINT, prefetch, held: counts });
        const touched = new Set<string>();
        for (const d of claim.deliveries) {
          held.set(d.id, d.webhookId);
          const queued = queues.get(d.webhookId);
          if (queued) queued.push(d);
          else queues.set(d.webhookId, [d]);
          touched.add(d.webhookId);
        }
        for (const id of touched) {
          if (claim.saturated.has(id)) saturated.add(id);
          else saturated.delete(id);
        }
        if (stopping) for (const id of touched) handBack(id);
        else for (const id of touched) pump(id);
        if (claim.deliveries.length === room) again = true;
      } while (again && !stopping);
    } catch (err) {
      ctx.log.warn({ err }, 'claiming webhook deliveries failed; retrying on the next poll');
    } finally {
      claiming = false;
    }
  };

  // Completions and notifications that arrive together share one claim query.
  let scheduled = false;
  function wake() {
    if (stopping) return;
    if (claiming) {
      again = true;
      return;
    }
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      scheduled = false;
      if (claiming) again = true;
      else void claimLoop();
    });
  }

  const poll = setInterval(wake, POLL_MS);
  const renew = setInterval(() => {
    exclusive(() => renewLeases(deps.db, workerId, [...held.keys()])).catch((err) => ctx.log.warn({ err }, 'renewing delivery leases failed'));
  }, LEASE_MS / 3);
  const sql = ctx.database.sql;
  const listeners = await Promise.all([
    listenFor(sql, EVENTS_CHANNEL, wake, wake),
    listenFor(sql, DELIVERY_CHANNEL, wake, wake),
  ]);
  wake();

  return {
    async stop() {
      stopping = true;
      clearInterval(poll);
      if (soonest) clearTimeout(soonest.timer);
      await Promise.all(listeners.map((l) => l.unlisten().catch(() => {})));
      while (claiming) await new Promise((r) => setTimeout(r, 10));
      // Queued deliveries go back at once; sending ones end within the send time-out and are
      // recorded, their leases renewed until then.
      for (const id of [...queues.keys()]) handBack(id);
      while (attempts.size > 0) await Promise.all(attempts);
      await deps.successes!.flushed();
      await exclusiveTail;
      clearInterval(renew);
      await deps.agent.close();
    },
  };
}
