import { integer, timestamp, uuid } from 'drizzle-orm/pg-core';
import { sql } from 'drizzle-orm';

// Columns every mutable, organisation-owned table carries (SPEC §2, §5).
export const tenantId = () => uuid().notNull();

export const timestamps = () => ({
  createdAt: ts().notNull().defaultNow(),
  updatedAt: ts().notNull().defaultNow(),
  version: integer().notNull().default(1),
});

export const primaryId = () => uuid().primaryKey().default(sql`gen_random_uuid()`);

// Millisecond precision, the same as a JavaScript Date, so that keyset cursors round-trip exactly.
export const ts = () => timestamp({ withTimezone: true, mode: 'date', precision: 3 });
