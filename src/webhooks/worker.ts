import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { BackgroundTask, WorkerContext } from '../worker.js';
import { EVENTS_CHANNEL } from '../events/outbox.js';
import { startEventRetention } from '../events/retention.js';
import { performAttempt, type AttemptDeps } from './attempt.js';
import { claimDue, DELIVERY_CHANNEL, LEASE_MS, markSkipped, renewLeases, type ClaimedDelivery } from './queue.js';
import { parseRetrySchedule } from './schedule.js';
import { createWebhookAgent } from './send.js';
import { parseAllowCidrs } from './ssrf.js';

/** Deliveries one process sends at once, across all endpoints. */
const MAX_IN_FLIGHT = 64;
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
 * The delivery loop: woken by NOTIFY on the events channel (a committed event) and on our own
 * channel (retry/replay), polling every second as a fallback. It claims due rows with a short
 * lease, renews the leases of what is still in flight, and on stop finishes what it holds.
 */
export async function startDeliveryWorker(ctx: WorkerContext): Promise<BackgroundTask> {
  const workerId = newWorkerId('worker');
  const deps = attemptDeps(ctx, workerId);
  const inFlight = new Map<string, Promise<void>>();
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

  const send = async (d: ClaimedDelivery) => {
    try {
      if (!d.enabled) await markSkipped(deps.db, workerId, d.id);
      else {
        const { nextAttemptAt } = await performAttempt(deps, d);
        if (nextAttemptAt) wakeAt(nextAttemptAt);
      }
    } catch (err) {
      // The lease runs out and another claim retries it; nothing is lost.
      ctx.log.error({ err, deliveryId: d.id }, 'webhook delivery failed to record');
    } finally {
      inFlight.delete(d.id);
      wake();
    }
  };

  const claimLoop = async () => {
    claiming = true;
    try {
      do {
        again = false;
        const free = MAX_IN_FLIGHT - inFlight.size;
        if (free <= 0 || stopping) break;
        const claimed = await claimDue(deps.db, workerId, Math.min(free, 32));
        for (const d of claimed) inFlight.set(d.id, send(d));
        if (claimed.length === Math.min(free, 32)) again = true;
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
    renewLeases(deps.db, workerId, [...inFlight.keys()]).catch((err) => ctx.log.warn({ err }, 'renewing delivery leases failed'));
  }, LEASE_MS / 3);
  const sql = ctx.database.sql;
  const listeners = await Promise.all([
    sql.listen(EVENTS_CHANNEL, wake, wake),
    sql.listen(DELIVERY_CHANNEL, wake, wake),
  ]);
  const retention = startEventRetention(ctx);
  wake();

  return {
    async stop() {
      stopping = true;
      clearInterval(poll);
      if (soonest) clearTimeout(soonest.timer);
      await Promise.all(listeners.map((l) => l.unlisten().catch(() => {})));
      retention.stop();
      // In-flight attempts end within the send time-out; their leases stay renewed until then.
      while (claiming) await new Promise((r) => setTimeout(r, 10));
      await Promise.all(inFlight.values());
      clearInterval(renew);
      await deps.agent.close();
    },
  };
}
