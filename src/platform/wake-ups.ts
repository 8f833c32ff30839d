import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { Db } from './database.js';

/**
 * How long hints wait for others to share their statement after one was sent. Listeners only
 * re-read what is durable, so a hint's only job is to make that happen soon; a few milliseconds
 * of delay under load is the price of one NOTIFY per window instead of one per write.
 */
const COALESCE_MS = 3;

let dropped = false;

/**
 * Drops every hint instead of sending it (tests): listeners must then find what was written by
 * their polls alone, which is what a lost NOTIFY leaves them with.
 */
export function dropWakeUps(drop: boolean) {
  dropped = drop;
}

/**
 * Wake-up hints (NOTIFY) for one pool, sent after the writes they announce have committed. What
 * a hint announces (events, deliveries, revoked keys) is durable in its table, so a hint only
 * spares a listener the wait for its next poll, and losing one costs latency, not correctness.
 *
 * Inside a write transaction a NOTIFY would make its commit take PostgreSQL's cluster-wide
 * notification lock, queueing every notifying commit behind the others' WAL flush. Here hints
 * are sent outside any transaction, one statement per few milliseconds carrying every distinct
 * (channel, payload) asked for meanwhile, so at most one such commit per window and process.
 */
export class WakeUps {
  private pending = new Map<string, [channel: string, payload: string]>();
  private timer: NodeJS.Timeout | null = null;
  private sending: Promise<void> | null = null;
  private lastSentAt = 0;

  constructor(private send: (hints: [channel: string, payload: string][]) => Promise<unknown>) {}

  /** Asks for `payload` on `channel` soon; call it once the write it announces has committed. */
  hint(channel: string, payload: string) {
    if (dropped) return;
    this.pending.set(`${channel}\n${payload}`, [channel, payload]);
    this.schedule();
  }

  private schedule() {
    if (this.timer || this.sending) return;
    const wait = Math.max(0, this.lastSentAt + COALESCE_MS - Date.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.sendPending();
    }, wait);
    this.timer.unref();
  }

  private sendPending() {
    if (this.sending || this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.pending.clear();
    this.lastSentAt = Date.now();
    this.sending = this.send(batch)
      // A failed hint is a lost hint: the listeners' polls find what it announced.
      .then(
        () => {},
        () => {},
      )
      .finally(() => {
        this.sending = null;
        if (this.pending.size > 0) this.schedule();
      });
  }
}

const byPool = new WeakMap<Db, WakeUps>();

/** The wake-ups of the pool behind `db`: every writer on one pool shares one coalescing window. */
export function wakeUpsOf(db: Db): WakeUps {
  let w = byPool.get(db);
  if (!w) {
    w = new WakeUps((hints) => db.execute(sql`select pg_notify(h->>0, h->>1) from jsonb_array_elements(${JSON.stringify(hints)}::jsonb) as h`));
    byPool.set(db, w);
  }
  return w;
}

/**
 * Every LISTEN goes through here: a listener needs a session of its own for as long as it
 * listens (behind a transaction pooler, a direct connection: see platform/database.ts).
 * `onListen` runs on every (re)connection, when hints may have been missed.
 */
export function listenFor(client: postgres.Sql, channel: string, onHint: (payload: string) => void, onListen: () => void) {
  return client.listen(channel, onHint, onListen);
}
