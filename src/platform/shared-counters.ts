import { randomUUID } from 'node:crypto';
import type postgres from 'postgres';

/** Whose requests a count is kept for: an API key of an organisation, or a client address that sent no valid key. */
export type CounterSubject = { organizationId: string; keyId: string } | { address: string };

export interface Take {
  admitted: boolean;
  /** The cluster-wide count in this window as this process sees it, this request included when admitted. */
  count: number;
  resetInMs: number;
}

interface Counter {
  subject: CounterSubject;
  windowStart: number;
  windowMs: number;
  /** The cluster-wide count returned by this process's last completed sync (its own share included). */
  total: number;
  /** Admitted here since, not yet sent. */
  pending: number;
  /** Admitted here and sent in the sync under way. */
  sending: number;
}

interface Logger {
  warn(obj: object, msg: string): void;
}

const SYNC_EVERY_MS = 50;
const HEARTBEAT_EVERY_MS = 1_000;
/** A process not heard from for this long no longer shares the limit (it stopped or died). */
const PEER_TIMEOUT_SECONDS = 3;
const PRUNE_EVERY_MS = 60_000;
/** A request never waits longer than this for a sync: past it, this process counts on its own. */
const MAX_WAIT_MS = 1_000;
const MAX_COUNTERS = 100_000;

const mapKey = (kind: 'key' | 'address', id: string, windowStart: number) => `${kind} ${id} ${windowStart}`;
const keyOf = (s: CounterSubject, windowStart: number) =>
  'keyId' in s ? mapKey('key', s.keyId, windowStart) : mapKey('address', s.address, windowStart);

/**
 * Request counts per subject and fixed window, shared by every process on the database without a
 * round trip per request. Windows are aligned to the wall clock (a minute window starts on the
 * minute), so the processes' counts add up; their clocks differ by milliseconds (NTP).
 *
 * Each process counts locally and, every SYNC_EVERY_MS, adds what it counted to the database's
 * counters in one statement for all subjects, which returns the cluster-wide totals. A request is
 * admitted when, in this process's view, total + unsynced < max.
 *
 * Why that holds across processes (SPEC §4: within 10 %). Take the process p whose last admission
 * was decided on the newest total (the upserts of one counter row are serialised by its row lock,
 * so totals are ordered). Everything another process q admitted before sending its own last sync
 * is in that total; what q admitted after it is q's unsynced count, which q never lets grow past
 * its allowance a: it waits for a sync instead. So the cluster admits at most max + (N - 1)·a
 * for N processes. With a = max / (20·(N - 1)) that is 5 % over, and the margin to 10 % covers a
 * process that joined within the last heartbeat and is not yet counted in the others' N
 * (N / (N - 1) ≤ 2). The sync interval does not enter the bound: it only decides how often a busy
 * subject has to wait (once every a requests, one round trip shared by every subject waiting).
 * The allowance is at least one request, so for limits under 20·(N - 1) per window the bound is
 * max + N - 1 requests, more than 10 % of them.
 *
 * If the database cannot be reached, waiting would only add latency to requests that need it
 * anyway: the process then counts on its own until a sync succeeds again.
 */
export class SharedCounters {
  private counters = new Map<string, Counter>();
  private dirty = new Set<Counter>();
  private readonly peerId = randomUUID();
  /** API processes sharing the limits, this one included, as of the last sync. */
  private peers = 1;
  private healthy = true;
  private stopped = false;
  private syncing: Promise<void> | null = null;
  private again: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private lastSync = 0;
  private lastPrune = 0;

  /**
   * `longestWindowMs`: the longest window any limit uses. Rows are pruned once that long and a
   * minute more has passed since their window started, so every process must be configured with
   * the same windows (as with the same limits).
   */
  constructor(
    private sql: postgres.Sql,
    private log: Logger,
    private longestWindowMs: number,
  ) {}

  async start() {
    await this.syncSoon();
    this.timer = setInterval(() => this.tick(), SYNC_EVERY_MS);
    this.timer.unref();
  }

  async stop() {
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    // What was counted since the last sync still counts for the others.
    await withTimeout(this.syncSoon(), MAX_WAIT_MS);
    await withTimeout(this.sql`delete from rate_limit_peers where peer_id = ${this.peerId}`.then(() => {}), MAX_WAIT_MS).catch(() => {});
  }

  /** Counts one request against `max` per window unless that would pass the limit. */
  async take(subject: CounterSubject, max: number, windowMs: number): Promise<Take> {
    const deadline = Date.now() + MAX_WAIT_MS;
    for (;;) {
      const decided = this.tryTake(subject, max, windowMs, deadline);
      if (decided) return decided;
      await withTimeout(this.syncSoon(), deadline - Date.now());
    }
  }

  /**
   * `take` without waiting: the answer when this process can decide now (the request is within
   * its allowance, or the limit is spent), or null when it must first hear the others (a sync).
   * Most requests are decided here, without a promise.
   */
  tryTake(subject: CounterSubject, max: number, windowMs: number, waitUntil = Infinity): Take | null {
    const now = Date.now();
    const c = this.counter(subject, now, windowMs);
    const unsynced = c.pending + c.sending;
    const count = c.total + unsynced;
    const resetInMs = c.windowStart + windowMs - now;
    if (count >= max) return { admitted: false, count, resetInMs };
    if (unsynced >= this.allowance(max) && this.healthy && !this.stopped && now < waitUntil) return null;
    c.pending++;
    this.dirty.add(c);
    return { admitted: true, count: count + 1, resetInMs };
  }

  /** The count as this process sees it now, without counting anything. */
  peek(subject: CounterSubject, windowMs: number): { count: number; resetInMs: number } {
    const now = Date.now();
    const windowStart = now - (now % windowMs);
    const c = this.counters.get(keyOf(subject, windowStart));
    return { count: c ? c.total + c.pending + c.sending : 0, resetInMs: windowStart + windowMs - now };
  }

  /** How many requests of one subject this process may admit without having heard the others (see above). */
  private allowance(max: number): number {
    return Math.max(1, Math.floor(max / (20 * Math.max(1, this.peers - 1))));
  }

  private counter(subject: CounterSubject, now: number, windowMs: number): Counter {
    const windowStart = now - (now % windowMs);
    const key = keyOf(subject, windowStart);
    let c = this.counters.get(key);
    if (!c) {
      if (this.counters.size >= MAX_COUNTERS) this.forget(now, true);
      c = { subject, windowStart, windowMs, total: 0, pending: 0, sending: 0 };
      this.counters.set(key, c);
    }
    return c;
  }

  /**
   * Drops counters whose window has ended and that have nothing left to send; `crowded`, also the
   * oldest of those still running (a flood from many addresses), which then count from zero again.
   */
  private forget(now: number, crowded = false) {
    for (const [key, c] of this.counters) {
      if (c.pending + c.sending > 0) continue;
      if (c.windowStart + c.windowMs <= now) this.counters.delete(key);
    }
    if (!crowded) return;
    for (const [key, c] of this.counters) {
      if (this.counters.size < MAX_COUNTERS * 0.9) break;
      if (c.pending + c.sending === 0) this.counters.delete(key);
    }
  }

  private tick() {
    const now = Date.now();
    if (this.dirty.size > 0 || now - this.lastSync >= HEARTBEAT_EVERY_MS) void this.syncSoon();
    if (now - this.lastPrune >= PRUNE_EVERY_MS) {
      this.lastPrune = now;
      this.forget(now);
      void this.prune(now);
    }
  }

  /** Resolves once a sync that started after this call has completed (one at a time; callers share it). */
  private syncSoon(): Promise<void> {
    if (!this.syncing) {
      this.syncing = this.sync().finally(() => {
        this.syncing = null;
      });
      return this.syncing;
    }
    // The sync under way does not carry what was counted since it started: one more right after it.
    this.again ??= this.syncing.then(() => {
      this.again = null;
      return this.syncSoon();
    });
    return this.again;
  }

  private async sync(): Promise<void> {
    const batch: [Counter, number][] = [];
    for (const c of this.dirty) {
      batch.push([c, c.pending]);
      c.sending += c.pending;
      c.pending = 0;
    }
    this.dirty.clear();
    const keyRows: object[] = [];
    const addressRows: object[] = [];
    for (const [c, n] of batch) {
      if ('keyId' in c.subject) keyRows.push({ organization_id: c.subject.organizationId, key_id: c.subject.keyId, window_ms: c.windowStart, n });
      else addressRows.push({ address: c.subject.address, window_ms: c.windowStart, n });
    }
    this.lastSync = Date.now();
    try {
      const rows = await this.sql<{ kind: 'key' | 'address' | 'peers'; id: string | null; window_ms: number | null; count: number }[]>`
        with keyed as (
          insert into rate_limit_key_windows as c (organization_id, key_id, window_start, count)
          select organization_id, key_id, to_timestamp(window_ms / 1000), n
          from jsonb_to_recordset(${JSON.stringify(keyRows)}::text::jsonb) as t(organization_id uuid, key_id uuid, window_ms float8, n int)
          on conflict (organization_id, key_id, window_start) do update set count = c.count + excluded.count
          returning c.key_id::text as id, c.window_start, c.count
        ), addressed as (
          insert into rate_limit_address_windows as c (address, window_start, count)
          select address, to_timestamp(window_ms / 1000), n
          from jsonb_to_recordset(${JSON.stringify(addressRows)}::text::jsonb) as t(address text, window_ms float8, n int)
          on conflict (address, window_start) do update set count = c.count + excluded.count
          returning c.address as id, c.window_start, c.count
        ), heartbeat as (
          insert into rate_limit_peers (peer_id, seen_at) values (${this.peerId}, now())
          on conflict (peer_id) do update set seen_at = excluded.seen_at
        )
        select 'key' as kind, id, (extract(epoch from window_start) * 1000)::float8 as window_ms, count from keyed
        union all
        select 'address', id, (extract(epoch from window_start) * 1000)::float8, count from addressed
        union all
        -- The statement's snapshot does not show its own heartbeat: this process is the + 1.
        select 'peers', null, null, count(*)::int + 1 from rate_limit_peers
        where peer_id <> ${this.peerId} and seen_at > now() - make_interval(secs => ${PEER_TIMEOUT_SECONDS})`;
      for (const [c, n] of batch) c.sending -= n;
      for (const r of rows) {
        if (r.kind === 'peers') this.peers = r.count;
        else {
          const c = this.counters.get(mapKey(r.kind, r.id!, r.window_ms!));
          if (c) c.total = r.count;
        }
      }
      this.healthy = true;
    } catch (err) {
      // Nothing counted is lost: it goes out with the next sync.
      for (const [c, n] of batch) {
        c.sending -= n;
        c.pending += n;
        if (n > 0) this.dirty.add(c);
      }
      if (this.healthy) this.log.warn({ err }, 'rate-limit counters could not be synchronised; counting per process until they can');
      this.healthy = false;
    }
  }

  /** Windows that ended a while ago, and processes long gone. Any process may do it; they agree. */
  private async prune(now: number) {
    const before = new Date(now - this.longestWindowMs - PRUNE_EVERY_MS).toISOString();
    await this.sql`
      with keyed as (delete from rate_limit_key_windows where window_start < ${before}::timestamptz),
      addressed as (delete from rate_limit_address_windows where window_start < ${before}::timestamptz)
      delete from rate_limit_peers where seen_at < now() - interval '1 minute'`.catch((err) => this.log.warn({ err }, 'rate-limit counters could not be pruned'));
  }
}

async function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
    timer.unref();
  });
  try {
    await Promise.race([p, elapsed]);
  } finally {
    clearTimeout(timer);
  }
}
