import type net from 'node:net';
import { tenantFinder } from '../platform/finders.js';
import { and, eq, sql } from 'drizzle-orm';
import { webhookAttempts, webhookDeliveries, webhooks } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { BadRequest, Forbidden, NotFound } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { iso } from '../platform/schemas.js';
import { eventTypeNames } from '../events/catalogue.js';
import { generateWebhookSecret } from './signing.js';
import { checkWebhookUrl, normaliseWebhookUrl } from './ssrf.js';
import { SKIP_QUEUED } from './queue.js';
import type { NewWebhook, WebhookPatch } from './schemas.js';
import { insertReturning } from '../platform/built-once.js';

const insertWebhooks = insertReturning(webhooks);

export type WebhookRow = typeof webhooks.$inferSelect;

export function toApiWebhook(r: WebhookRow) {
  return {
    id: r.id,
    url: r.url,
    description: r.description,
    eventTypes: r.eventTypes,
    enabled: r.enabled,
    includeConfidential: r.includeConfidential,
    disabledReason: r.disabledReason,
    previousSecretExpiresAt: r.previousSecret && r.previousSecretExpiresAt && r.previousSecretExpiresAt > new Date() ? iso(r.previousSecretExpiresAt) : null,
    lastSuccessAt: iso(r.lastSuccessAt),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

/** What events say about an endpoint. */
export function webhookSummary(r: WebhookRow) {
  return { id: r.id, url: r.url, description: r.description, eventTypes: r.eventTypes, enabled: r.enabled, version: r.version };
}

/** The secrets that sign right now: the current one, and the previous one until it expires. */
export function activeSecrets(r: { secret: string; previousSecret: string | null; previousSecretExpiresAt: Date | null }, now = new Date()): string[] {
  return r.previousSecret && r.previousSecretExpiresAt && r.previousSecretExpiresAt > now ? [r.secret, r.previousSecret] : [r.secret];
}

/**
 * Patterns that select `type`: `*`, the type itself and each `prefix.*` above it. An endpoint
 * subscribes to an event when its `eventTypes` overlaps this list (one array comparison in SQL).
 */
export function patternsMatching(type: string): string[] {
  const parts = type.split('.');
  const out = ['*', type];
  for (let i = 1; i < parts.length; i++) out.push(`${parts.slice(0, i).join('.')}.*`);
  return out;
}

/** Exact catalogue names, `prefix.*` over at least one of them, or `*` alone; anything else is 400. */
export function assertEventTypes(patterns: string[], path: string) {
  patterns.forEach((p, i) => {
    const known = p === '*' || (p.endsWith('.*') ? [...eventTypeNames].some((n) => n.startsWith(p.slice(0, -1))) : eventTypeNames.has(p));
    if (!known) throw new BadRequest(`${path}[${i}] "${p}" names no event type; see GET /v1/event-types.`, [{ path: `${path}[${i}]`, message: 'unknown event type' }]);
  });
}

const refusedUrl = (reason: string) => new BadRequest(`The webhook URL ${reason}.`, [{ path: 'body.url', message: reason }]);

/** The URL to store, in its normalised form, which is also the form the SSRF guard judges. */
export async function acceptableWebhookUrl(url: string, allow: net.BlockList): Promise<string> {
  const normalised = normaliseWebhookUrl(url);
  if (!normalised.ok) throw refusedUrl(normalised.reason);
  const href = normalised.url.href;
  const check = await checkWebhookUrl(href, allow);
  if (!check.ok) throw refusedUrl(check.reason);
  return href;
}

export const findWebhook = tenantFinder(webhooks, 'Webhook', 'find_webhook');

export async function listWebhooks(db: DbOrTx, organizationId: string, q: { limit: number; cursor?: string }) {
  return db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.organizationId, organizationId), afterCreated(webhooks.createdAt, webhooks.id, q.cursor)))
    .orderBy(webhooks.createdAt, webhooks.id)
    .limit(q.limit + 1);
}

export async function createWebhook(rec: ChangeRecorder, input: NewWebhook, allow: net.BlockList, confidentialAllowed: boolean) {
  if (input.includeConfidential && !confidentialAllowed) throw new Forbidden('confidential');
  assertEventTypes(input.eventTypes, 'body.eventTypes');
  const url = await acceptableWebhookUrl(input.url, allow);
  const secret = generateWebhookSecret();
  const [row] = await insertWebhooks(rec.tx, { organizationId: rec.organizationId, url, description: input.description ?? null, eventTypes: [...new Set(input.eventTypes)], enabled: input.enabled ?? true, includeConfidential: input.includeConfidential ?? false, secret });
  const api = toApiWebhook(row!);
  await rec.audit({ action: 'create', entityType: 'webhook', entityId: api.id, after: api });
  return { ...api, secret };
}

export async function updateWebhook(
  rec: ChangeRecorder,
  id: string,
  patch: WebhookPatch,
  allow: net.BlockList,
  checkVersion: (v: number) => void,
  confidentialAllowed: boolean,
) {
  if (patch.includeConfidential && !confidentialAllowed) throw new Forbidden('confidential');
  const current = await findWebhook(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  if (patch.eventTypes) assertEventTypes(patch.eventTypes, 'body.eventTypes');
  const url = patch.url === undefined ? undefined : await acceptableWebhookUrl(patch.url, allow);
  // Pointing an endpoint that receives confidential events elsewhere is as good as subscribing one.
  if (current.includeConfidential && patch.includeConfidential !== false && url !== undefined && url !== current.url && !confidentialAllowed) {
    throw new Forbidden('confidential');
  }
  const reenabled = patch.enabled === true && !current.enabled;
  const [row] = await rec.tx
    .update(webhooks)
    .set({
      ...patch,
      ...(url !== undefined ? { url } : {}),
      ...(patch.eventTypes ? { eventTypes: [...new Set(patch.eventTypes)] } : {}),
      // Re-enabling starts the 5-day no-success clock afresh.
      ...(reenabled ? { disabledReason: null, lastSuccessAt: new Date() } : {}),
      updatedAt: new Date(),
      version: current.version + 1,
    })
    .where(eq(webhooks.id, id))
    .returning();
  if (current.includeConfidential && patch.includeConfidential === false) {
    // What is still queued about confidential meetings is no longer the endpoint's to receive.
    await rec.tx.execute(sql`
      update ${webhookDeliveries} d set ${SKIP_QUEUED}
      where d.organization_id = ${rec.organizationId} and d.webhook_id = ${id} and d.status = 'pending'
        and exists (select 1 from events e where e.organization_id = d.organization_id and e.id = d.event_id
          and e.occurred_at = d.event_occurred_at and e.confidential_meeting_id is not null)`);
  }
  const after = toApiWebhook(row!);
  await rec.audit({ action: 'update', entityType: 'webhook', entityId: id, before: toApiWebhook(current), after });
  return after;
}

/** Deleting an endpoint deletes its delivery log with it. */
export async function deleteWebhook(rec: ChangeRecorder, id: string, checkVersion: (v: number) => void) {
  const current = await findWebhook(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  await rec.tx.execute(sql`
    delete from ${webhookAttempts} where organization_id = ${rec.organizationId}
      and delivery_id in (select id from ${webhookDeliveries} where organization_id = ${rec.organizationId} and webhook_id = ${id})`);
  await rec.tx.delete(webhookDeliveries).where(and(eq(webhookDeliveries.organizationId, rec.organizationId), eq(webhookDeliveries.webhookId, id)));
  await rec.tx.delete(webhooks).where(eq(webhooks.id, id));
  await rec.audit({ action: 'delete', entityType: 'webhook', entityId: id, before: toApiWebhook(current) });
}

/** A new secret; the old one keeps signing for `overlapSeconds` so receivers can switch without loss. */
export async function rotateSecret(rec: ChangeRecorder, id: string, overlapSeconds: number) {
  const current = await findWebhook(rec.tx, rec.organizationId, id, { forUpdate: true });
  const secret = generateWebhookSecret();
  const expires = overlapSeconds > 0 ? new Date(Date.now() + overlapSeconds * 1000) : null;
  const [row] = await rec.tx
    .update(webhooks)
    .set({ secret, previousSecret: expires ? current.secret : null, previousSecretExpiresAt: expires, updatedAt: new Date(), version: current.version + 1 })
    .where(eq(webhooks.id, id))
    .returning();
  const after = toApiWebhook(row!);
  await rec.audit({ action: 'rotate_secret', entityType: 'webhook', entityId: id, before: toApiWebhook(current), after });
  return { ...after, secret };
}
