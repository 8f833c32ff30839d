import { bigint, index, integer, jsonb, pgTable, primaryKey, text, uniqueIndex, uuid, bigserial } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';
import { primaryId, tenantId, timestamps, ts } from './columns.js';
import type { StoredWorkingHours } from './availability.js';

export const organizations = pgTable(
  'organizations',
  {
    id: primaryId(),
    slug: text().notNull(),
    name: text().notNull(),
    /** Null: UTC. The zone of people who have none. */
    defaultTimeZone: text(),
    /** Null: Monday to Friday, 09:00 to 17:00. */
    defaultWorkingHours: jsonb().$type<StoredWorkingHours>(),
    ...timestamps(),
  },
  (t) => [uniqueIndex('organizations_slug_key').on(t.slug)],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: primaryId(),
    organizationId: tenantId().references(() => organizations.id),
    name: text().notNull(),
    prefix: text().notNull(),
    keyHash: text().notNull(),
    scopes: text().array().notNull(),
    /**
     * A person-bound key's person; null for an integration key. No foreign key on purpose: a key
     * keeps saying whose it was after its person is deleted (deleting the person revokes it, and
     * KeyStore refuses a key whose person is gone), and no cascade may ever turn a person's key
     * into an integration key by nulling this.
     */
    personId: uuid(),
    lastUsedAt: ts(),
    revokedAt: ts(),
    ...timestamps(),
  },
  (t) => [
    uniqueIndex('api_keys_hash_key').on(t.keyHash),
    index('api_keys_org_list_idx').on(t.organizationId, t.createdAt, t.id),
    index('api_keys_org_person_idx').on(t.organizationId, t.personId).where(sql`${t.personId} is not null`),
  ],
);

// One row per (organisation, Idempotency-Key): the stored answer replayed to retries.
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    organizationId: tenantId(),
    key: text().notNull(),
    requestHash: text().notNull(),
    responseStatus: integer().notNull(),
    responseBody: jsonb(),
    createdAt: ts().notNull().defaultNow(),
    expiresAt: ts().notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.key] }), index('idempotency_keys_expires_idx').on(t.expiresAt)],
);

export const auditEvents = pgTable(
  'audit_events',
  {
    id: primaryId(),
    organizationId: tenantId(),
    occurredAt: ts().notNull().defaultNow(),
    actorKeyId: uuid(),
    /** The person the key acted as (person-bound, or on behalf of); null otherwise. */
    actorPersonId: uuid(),
    action: text().notNull(),
    entityType: text().notNull(),
    entityId: uuid().notNull(),
    changes: jsonb().notNull(),
    requestId: text(),
  },
  (t) => [
    index('audit_events_org_time_idx').on(t.organizationId, t.occurredAt, t.id),
    index('audit_events_org_entity_idx').on(t.organizationId, t.entityType, t.entityId, t.occurredAt),
    index('audit_events_org_actor_person_idx').on(t.organizationId, t.actorPersonId, t.occurredAt, t.id).where(sql`${t.actorPersonId} is not null`),
  ],
);

// The event log. `txid` is the writing transaction's id: readers only return rows whose
// transaction is older than every transaction still running (pg_snapshot_xmin), and order by
// (txid, seq). A row can then never appear behind a cursor that has already passed it, which is
// what makes `after=` polling and SSE resumption gapless under concurrent writers.
//
// Partitioned by month of `occurred_at` (migration 0018, src/platform/partitions.ts), so retention
// drops whole months; keys therefore include `occurred_at`. A lookup by id alone probes each
// partition's key index: a handful with the 30-day retention.
export const events = pgTable(
  'events',
  {
    id: uuid().notNull().default(sql`gen_random_uuid()`),
    seq: bigserial({ mode: 'number' }).notNull(),
    txid: bigint({ mode: 'number' }).notNull().default(sql`pg_current_xact_id()::text::bigint`),
    organizationId: tenantId(),
    type: text().notNull(),
    occurredAt: ts().notNull().defaultNow(),
    data: jsonb().notNull(),
    /** Who made the change (the envelope's `actor`): both null for the service itself. */
    actorKeyId: uuid(),
    actorPersonId: uuid(),
    /**
     * The confidential meeting (visibility `participants`) the event is about, set as it is
     * appended (events/outbox.ts); null for an event about nothing confidential. Only readers
     * allowed to see that meeting get the event (lists, the stream, webhooks).
     */
    confidentialMeetingId: uuid(),
    /**
     * The meeting the event is about, confidential or not (the first its data names), so that a
     * change of the meeting's visibility reaches its earlier events (events/meeting-visibility.ts).
     */
    meetingId: uuid(),
  },
  (t) => [
    primaryKey({ columns: [t.id, t.occurredAt] }),
    index('events_org_order_idx').on(t.organizationId, t.txid, t.seq),
    index('events_org_type_order_idx').on(t.organizationId, t.type, t.txid, t.seq),
    index('events_occurred_idx').on(t.occurredAt),
    index('events_org_meeting_idx').on(t.organizationId, t.meetingId).where(sql`${t.meetingId} is not null`),
  ],
);

// Rate limiting across API processes (src/platform/shared-counters.ts): requests counted per fixed,
// wall-clock-aligned window. Each process adds what it counted every few tens of milliseconds and
// reads back the total; rows outlive their window briefly and are then pruned.
export const rateLimitKeyWindows = pgTable(
  'rate_limit_key_windows',
  {
    organizationId: tenantId(),
    keyId: uuid().notNull(),
    windowStart: ts().notNull(),
    count: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.organizationId, t.keyId, t.windowStart] }),
    index('rate_limit_key_windows_start_idx').on(t.windowStart),
  ],
);

// Requests that carried no valid key, per client address: they belong to no organisation (see
// the migration).
export const rateLimitAddressWindows = pgTable(
  'rate_limit_address_windows',
  {
    address: text().notNull(),
    windowStart: ts().notNull(),
    count: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.address, t.windowStart] }),
    index('rate_limit_address_windows_start_idx').on(t.windowStart),
  ],
);

// The API processes counting requests, each seen within the last seconds: how many share a limit.
export const rateLimitPeers = pgTable('rate_limit_peers', {
  peerId: uuid().primaryKey(),
  seenAt: ts().notNull(),
});
