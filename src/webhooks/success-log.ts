import { sql } from 'drizzle-orm';
import type { Db } from '../platform/database.js';

/** A successful attempt waiting to be logged with its delivery's outcome. */
export interface SuccessRecord {
  deliveryId: string;
  organizationId: string;
  webhookId: string;
  /** The attempt's number in the delivery's log (total attempts so far + 1). */
  number: number;
  status: number;
  durationMs: number;
  /** The logged first KiB of the response body. */
  body: string;
}

/** Most successes one statement writes; more wait for the next one. */
export const MAX_SUCCESS_BATCH = 256;

/**
 * Logs successful attempts and finishes their deliveries, any number in one statement: the
 * attempt rows, the deliveries' `succeeded` state (only where this worker still holds the lease;
 * if it lost the lease the attempt is logged and the state is the new holder's), and the
 * endpoints' `last_success_at` (at most once a minute, so a busy endpoint's row is not rewritten
 * per delivery). The rows travel as one JSON parameter, so every batch size shares one prepared
 * statement.
 */
export async function recordSuccesses(db: Db, workerId: string, records: readonly SuccessRecord[]): Promise<void> {
  if (records.length === 0) return;
  const rows = records.map((r) => ({
    delivery_id: r.deliveryId,
    organization_id: r.organizationId,
    webhook_id: r.webhookId,
    number: r.number,
    status: r.status,
    duration_ms: r.durationMs,
    body: r.body,
  }));
  await db.execute(sql`
    with input as materialized (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb)
        as t(delivery_id uuid, organization_id uuid, webhook_id uuid, number int, status int, duration_ms int, body text)
    ), attempt as (
      insert into webhook_attempts (organization_id, delivery_id, number, response_status, duration_ms, response_body)
      select organization_id, delivery_id, number, status, duration_ms, body from input
    ), done as (
      update webhook_deliveries d set status = 'succeeded', attempts = d.attempts + 1, total_attempts = i.number,
        lease_until = null, leased_by = null, next_attempt_at = null, last_attempt_at = now(),
        last_response_status = i.status, last_error = null, updated_at = now()
      from input i
      where d.id = i.delivery_id and d.leased_by = ${workerId} and d.status = 'pending'
    )
    update webhooks set last_success_at = now()
    where id in (select webhook_id from input) and (last_success_at is null or last_success_at < now() - interval '1 minute')`);
}

interface Waiting {
  record: SuccessRecord;
  resolve(): void;
  reject(err: unknown): void;
}

/**
 * Group commit for successful attempts. A success is written at once when no write is under way;
 * successes that complete while one is under way are written together by the next, right after it
 * (no timer: under light load every success is written alone and immediately, under heavy load the
 * batches grow with the load). `add` resolves once the success is committed, so the caller keeps
 * the delivery's lease renewed until then, and a crash before the commit leaves a leased row that
 * is sent again when the lease runs out: at-least-once, with the same webhook-id.
 *
 * If a batch fails, its rows are written one by one, so one bad row cannot make the others be sent
 * again. `exclusive` serialises the writes with the worker's other multi-row updates of the same
 * deliveries (lease renewal), which could otherwise deadlock with a batch.
 */
export class SuccessLog {
  private waiting: Waiting[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    private readonly db: Db,
    private readonly workerId: string,
    private readonly exclusive: <T>(fn: () => Promise<T>) => Promise<T> = (fn) => fn(),
  ) {}

  /** Queues a success; resolves when it is committed, rejects if it could not be written. */
  add(record: SuccessRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ record, resolve, reject });
      // Successes completing in the same turn of the event loop join the same batch.
      if (!this.writing) this.writing = new Promise<void>((r) => setImmediate(r)).then(() => this.drain());
    });
  }

  /** Resolves when everything queued so far is written (or has failed). */
  async flushed(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting.splice(0, MAX_SUCCESS_BATCH);
        await this.write(batch);
      }
    } finally {
      this.writing = null;
    }
  }

  private async write(batch: Waiting[]): Promise<void> {
    try {
      await this.exclusive(() => recordSuccesses(this.db, this.workerId, batch.map((w) => w.record)));
      for (const w of batch) w.resolve();
      return;
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
    }
    for (const w of batch) {
      try {
        await this.exclusive(() => recordSuccesses(this.db, this.workerId, [w.record]));
        w.resolve();
      } catch (err) {
        w.reject(err);
      }
    }
  }
}
