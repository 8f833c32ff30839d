import { eq, sql } from 'drizzle-orm';
import type { Agent } from 'undici';
import { webhooks } from '../../db/schema/index.js';
import { recordInTransaction, type ChangeRecorder } from '../platform/changes.js';
import type { Db, Tx } from '../platform/database.js';
import type { Metrics } from '../platform/metrics.js';
import { nextAttemptDelay, retryAfterDelay, RETRY_AFTER_STATUSES } from './schedule.js';
import { sendWebhook, type WebhookSendResult } from './send.js';
import { activeSecrets, toApiWebhook, webhookSummary } from './subscriptions.js';
import type { ClaimedDelivery } from './queue.js';
import { recordSuccesses, type SuccessLog } from './success-log.js';

/** Attempts of one event after which the organisation's other endpoints hear `webhook.failing`. */
export const FAILING_AFTER_ATTEMPTS = 4;
/** An endpoint whose deliveries keep exhausting with no success for this long is disabled. */
export const DISABLE_AFTER_MS = 5 * 86_400_000;
/** The attempt log keeps the first KiB of each response body (the send keeps up to 20 KiB). */
const LOGGED_BODY_BYTES = 1024;
const USER_AGENT = `Liaison-Webhooks/${process.env.npm_package_version ?? '0.1.0'}`;

export interface AttemptDeps {
  db: Db;
  agent: Agent;
  metrics: Metrics;
  schedule: readonly number[];
  timeoutMs: number;
  workerId: string;
  /** Batches success records (the delivery worker); without it each success is written alone. */
  successes?: SuccessLog;
}

/** The body every attempt of an event sends: identical across retries and replays. */
export function deliveryBody(d: Pick<ClaimedDelivery, 'eventType' | 'occurredAt' | 'data' | 'actor'>): string {
  return JSON.stringify({ type: d.eventType, timestamp: d.occurredAt.toISOString(), data: d.data, actor: d.actor });
}

const firstKiB = (text: string) => Buffer.from(text).subarray(0, LOGGED_BODY_BYTES).toString('utf8').replace(/\uFFFD$/, '');

/**
 * Sends one attempt of a claimed delivery and records its outcome; never throws for HTTP failures.
 * `onSent` runs as soon as the HTTP exchange is over, before the outcome is recorded (the worker
 * frees the endpoint's concurrency slot there). Answers the result and, when a retry was
 * scheduled, its time.
 */
export async function performAttempt(
  deps: AttemptDeps,
  d: ClaimedDelivery,
  onSent?: (result: WebhookSendResult) => void,
): Promise<{ result: WebhookSendResult; nextAttemptAt: Date | null }> {
  const result = await sendWebhook({
    agent: deps.agent,
    url: d.url,
    msgId: d.eventId,
    timestampSec: Math.floor(Date.now() / 1000),
    body: deliveryBody(d),
    secrets: activeSecrets(d),
    timeoutMs: deps.timeoutMs,
    userAgent: USER_AGENT,
  });
  onSent?.(result);
  deps.metrics.deliveryDuration.observe(result.durationMs / 1000);
  const { outcome, nextAttemptAt } = await recordOutcome(deps, d, result);
  deps.metrics.deliveries.inc({ outcome });
  return { result, nextAttemptAt };
}

type Outcome = 'succeeded' | 'retrying' | 'failed' | 'gone';

async function recordOutcome(deps: AttemptDeps, d: ClaimedDelivery, r: WebhookSendResult): Promise<{ outcome: Outcome; nextAttemptAt: Date | null }> {
  const number = d.totalAttempts + 1;
  const body = firstKiB(r.bodyExcerpt);
  if (r.ok) {
    // The hot path: the worker's success log writes many at once; alone (the test route) it writes one.
    const record = { deliveryId: d.id, organizationId: d.organizationId, webhookId: d.webhookId, number, status: r.status!, durationMs: r.durationMs, body };
    if (deps.successes) await deps.successes.add(record);
    else await recordSuccesses(deps.db, deps.workerId, [record]);
    return { outcome: 'succeeded', nextAttemptAt: null };
  }

  const attempts = d.attempts + 1;
  const gone = r.status === 410;
  let delay = gone ? null : nextAttemptDelay(attempts, deps.schedule);
  if (delay !== null && r.status !== null && RETRY_AFTER_STATUSES.has(r.status)) delay = retryAfterDelay(r.retryAfter, delay, new Date());
  const nextAt = delay === null ? null : new Date(Date.now() + delay);
  const nextIso = nextAt?.toISOString() ?? null;
  const outcome = await recordInTransaction(deps.db, async (tx, recorderFor): Promise<Outcome> => {
    await tx.execute(sql`
      insert into webhook_attempts (organization_id, delivery_id, number, response_status, duration_ms, response_body, error_class, error, next_attempt_at)
      values (${d.organizationId}, ${d.id}, ${number}, ${r.status}, ${r.durationMs}, ${body}, ${r.errorClass}, ${r.error}, ${nextIso}::timestamptz)`);
    const notifyFailing = attempts >= FAILING_AFTER_ATTEMPTS && !d.failingNotified;
    const updated = await tx.execute(sql`
      update webhook_deliveries set status = ${nextAt ? 'pending' : 'failed'}, attempts = ${attempts}, total_attempts = ${number},
        next_attempt_at = ${nextIso}::timestamptz, lease_until = null, leased_by = null, last_attempt_at = now(),
        last_response_status = ${r.status}, last_error = ${r.error}, failing_notified = failing_notified or ${notifyFailing}, updated_at = now()
      where id = ${d.id} and leased_by = ${deps.workerId} and status = 'pending'
      returning id`);
    // Our lease was lost (another worker took over): the attempt is logged, the state is theirs.
    if (updated.length === 0) return nextAt ? 'retrying' : 'failed';
    const rec = recorderFor({ organizationId: d.organizationId, actorKeyId: null, actorPersonId: null, requestId: null });
    if (notifyFailing) {
      const [w] = await tx.select().from(webhooks).where(eq(webhooks.id, d.webhookId));
      if (w) {
        await rec.event('webhook.failing', {
          webhook: webhookSummary(w),
          deliveryId: d.id,
          eventId: d.eventId,
          eventType: d.eventType,
          attempts,
          lastResponseStatus: r.status,
          lastError: r.error,
          nextAttemptAt: nextIso,
        });
      }
    }
    if (gone) {
      await disableWebhook(rec, d.webhookId, 'The endpoint answered 410 Gone.');
      return 'gone';
    }
    if (!nextAt) {
      const [stale] = (await tx.execute(sql`
        select 1 from webhooks where id = ${d.webhookId} and enabled
          and coalesce(last_success_at, created_at) < now() - ${`${DISABLE_AFTER_MS} milliseconds`}::interval`)) as unknown as unknown[];
      if (stale) await disableWebhook(rec, d.webhookId, 'No delivery succeeded for 5 days.');
      return 'failed';
    }
    return 'retrying';
  });
  return { outcome, nextAttemptAt: outcome === 'retrying' ? nextAt : null };
}

/**
 * Disables an endpoint on Liaison's own initiative: its queued deliveries become `skipped` (so
 * `replay` recovers them), the change is audited, and the other endpoints hear `webhook.disabled`.
 */
export async function disableWebhook(rec: ChangeRecorder, webhookId: string, reason: string) {
  const tx: Tx = rec.tx;
  const [current] = await tx.select().from(webhooks).where(eq(webhooks.id, webhookId)).for('update');
  if (!current || !current.enabled) return;
  const [row] = await tx
    .update(webhooks)
    .set({ enabled: false, disabledReason: reason, updatedAt: new Date(), version: current.version + 1 })
    .where(eq(webhooks.id, webhookId))
    .returning();
  await tx.execute(sql`
    update webhook_deliveries set status = 'skipped', next_attempt_at = null, lease_until = null, leased_by = null, updated_at = now()
    where organization_id = ${current.organizationId} and webhook_id = ${webhookId} and status = 'pending'`);
  await rec.audit({ action: 'disable', entityType: 'webhook', entityId: webhookId, before: toApiWebhook(current), after: toApiWebhook(row!) });
  await rec.event('webhook.disabled', { webhook: webhookSummary(row!), reason });
}
