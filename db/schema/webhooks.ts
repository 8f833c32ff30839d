import { sql } from 'drizzle-orm';
import { boolean, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { primaryId, tenantId, timestamps, ts } from './columns.js';

/**
 * Webhook endpoints. Secrets are kept in clear because signing needs them (HMAC); they are never
 * returned except by create and rotate-secret. After a rotation the previous secret keeps signing
 * until `previousSecretExpiresAt`.
 */
export const webhooks = pgTable(
  'webhooks',
  {
    id: primaryId(),
    organizationId: tenantId(),
    url: text().notNull(),
    description: text(),
    eventTypes: text().array().notNull(),
    enabled: boolean().notNull().default(true),
    disabledReason: text(),
    secret: text().notNull(),
    previousSecret: text(),
    previousSecretExpiresAt: ts(),
    lastSuccessAt: ts(),
    /** Whether events of confidential meetings reach it (set only by a key with scope `confidential`). */
    includeConfidential: boolean().notNull().default(false),
    ...timestamps(),
  },
  (t) => [
    index('webhooks_org_list_idx').on(t.organizationId, t.createdAt, t.id),
    index('webhooks_org_enabled_idx').on(t.organizationId, t.enabled),
  ],
);

/**
 * The delivery queue: one row per (endpoint, event). `status` is pending | succeeded | failed |
 * skipped. A worker owns a row while `leaseUntil` is in the future; a lease that ran out means its
 * worker died and the row is claimed again. `attempts` counts the attempts of the current round
 * (a retry or replay starts a new round) and drives the schedule; `totalAttempts` numbers the log.
 *
 * Partitioned by month of `eventOccurredAt`, the event's own `occurred_at` (not the row's creation:
 * a replay made today of an old event lands in the event's month), so a delivery lives and expires
 * with its event and the unique key (organisation, endpoint, event) can carry the partition key
 * without losing its meaning: one event has one time. Every writer passes it (no default: a
 * delivery filed under the wrong time would escape the unique key and its event's retention).
 */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: uuid().notNull().default(sql`gen_random_uuid()`),
    organizationId: tenantId(),
    webhookId: uuid().notNull(),
    eventId: uuid().notNull(),
    eventType: text().notNull(),
    status: text().notNull().default('pending'),
    attempts: integer().notNull().default(0),
    totalAttempts: integer().notNull().default(0),
    nextAttemptAt: ts(),
    leaseUntil: ts(),
    leasedBy: text(),
    lastAttemptAt: ts(),
    lastResponseStatus: integer(),
    lastError: text(),
    failingNotified: boolean().notNull().default(false),
    eventOccurredAt: ts().notNull(),
    createdAt: ts().notNull().defaultNow(),
    updatedAt: ts().notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.eventOccurredAt] }),
    uniqueIndex('webhook_deliveries_org_webhook_event_key').on(t.organizationId, t.webhookId, t.eventId, t.eventOccurredAt),
    index('webhook_deliveries_org_webhook_list_idx').on(t.organizationId, t.webhookId, t.createdAt, t.id),
    // The claim query (the worker's hot path): a skip scan finds the endpoints with pending rows,
    // then each endpoint's due rows are read in due order, so a backlog behind a busy endpoint is
    // never scanned.
    index('webhook_deliveries_endpoint_due_idx').on(t.webhookId, t.nextAttemptAt).where(sql`status = 'pending'`),
    // Per-endpoint concurrency: rows currently leased, counted per endpoint at claim time.
    index('webhook_deliveries_leased_idx').on(t.webhookId).where(sql`status = 'pending' and lease_until is not null`),
    // Retention's batched delete of the partially expired month.
    index('webhook_deliveries_event_occurred_idx').on(t.eventOccurredAt),
  ],
);

/** The attempt log: one row per HTTP attempt, kept beside its delivery; partitioned by month of `attemptedAt`. */
export const webhookAttempts = pgTable(
  'webhook_attempts',
  {
    id: uuid().notNull().default(sql`gen_random_uuid()`),
    organizationId: tenantId(),
    deliveryId: uuid().notNull(),
    number: integer().notNull(),
    attemptedAt: ts().notNull().defaultNow(),
    responseStatus: integer(),
    durationMs: integer().notNull(),
    responseBody: text().notNull().default(''),
    errorClass: text(),
    error: text(),
    nextAttemptAt: ts(),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.attemptedAt] }),
    index('webhook_attempts_org_delivery_idx').on(t.organizationId, t.deliveryId, t.number),
    index('webhook_attempts_time_idx').on(t.attemptedAt),
  ],
);
