import type { ServerResponse } from 'node:http';
import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { FastifyInstance } from 'fastify';
import type { Viewer } from '../access/viewer.js';
import type { Db } from '../platform/database.js';
import { HttpProblem } from '../platform/errors.js';
import { listenFor } from '../platform/wake-ups.js';
import { EVENTS_CHANNEL } from './outbox.js';
import { EventStream } from './event-stream.js';
import { atHorizon, type Position } from './queries.js';
import { StreamLeases } from './stream-leases.js';

const HEARTBEAT_MS = 15_000;
/** When a key at its stream limit may try again: a place frees only when one of its streams ends. */
const RETRY_AFTER_SECONDS = 30;
/** How often the hub looks for events its streams were not woken for (a lost hint). */
const POLL_MS = 1_000;

/**
 * The process's open streams, grouped by organisation, woken by one LISTEN on the events channel
 * (a hint with the organisation id after each commit that appended events, whichever process
 * committed; platform/wake-ups.ts). A hint may be lost, so the hub also asks every POLL_MS, in one
 * query, which of its organisations have events it may not have been woken for. Each stream holds
 * a lease counted against its API key across processes (see StreamLeases).
 */
export class EventHub {
  private byOrg = new Map<string, Set<EventStream>>();
  private listening: Promise<{ unlisten(): Promise<void> }> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private poll: NodeJS.Timeout | null = null;
  private polling = false;
  /** The log's visibility horizon at the last poll (null: no poll yet, or no stream since). */
  private polledHorizon: string | null = null;

  constructor(
    private db: Db,
    private sql: postgres.Sql,
    private leases: StreamLeases,
  ) {}

  /** A place for one more stream of the key (a lease id to `open` it with); 429 when the key has none left. */
  async admit(organizationId: string, apiKeyId: string): Promise<string> {
    const lease = await this.leases.acquire(organizationId, apiKeyId);
    if (lease !== null) return lease;
    throw new HttpProblem(
      429,
      `This API key already has ${this.leases.perKey} event streams open, the most it may hold (LIAISON_STREAMS_PER_KEY); close one, or poll GET /v1/events.`,
      undefined,
      { 'retry-after': String(RETRY_AFTER_SECONDS) },
    );
  }

  /** The position every event committed from now on comes after: no visible row is ahead of it. */
  async currentPosition(): Promise<Position> {
    const [row] = await atHorizon<{ txid: string }>(this.db, (horizon) => sql`select (${horizon} - 1)::text as txid`);
    return [row.txid, '9223372036854775807'];
  }

  /** Starts the LISTEN on first use; called before a stream is opened so a failure is a 503, not a broken stream. */
  async listen() {
    this.listening ??= listenFor(
      this.sql,
      EVENTS_CHANNEL,
      (org) => this.wake(org),
      // Also on reconnect: notifications may have been missed meanwhile.
      () => this.wakeAll(),
    );
    try {
      await this.listening;
    } catch (err) {
      this.listening = null;
      throw err;
    }
  }

  open(organizationId: string, lease: string, res: ServerResponse, position: Position, types: string[] | undefined, viewer: Viewer) {
    this.heartbeat ??= setInterval(() => {
      this.each((s) => s.heartbeat());
      this.leases.renew();
    }, HEARTBEAT_MS);
    if (!this.poll) {
      this.poll = setInterval(() => void this.catchUp(), POLL_MS);
      this.poll.unref();
    }
    const set = this.byOrg.get(organizationId) ?? new Set();
    this.byOrg.set(organizationId, set);
    const stream = new EventStream(this.db, organizationId, res, position, types, viewer, () => {
      set.delete(stream);
      if (set.size === 0 && this.byOrg.get(organizationId) === set) this.byOrg.delete(organizationId);
      this.leases.release(lease);
    });
    set.add(stream);
    res.on('close', () => stream.close());
    // The client may have gone before the listener was attached: its 'close' has been and gone.
    if (res.destroyed) return stream.close();
    stream.wake();
  }

  wake(organizationId: string) {
    for (const s of this.byOrg.get(organizationId) ?? []) s.wake();
  }

  /**
   * Wakes the organisations with events that may have become readable since the last poll: every
   * event whose txid is below the horizon seen then was readable then (and streams woken then, or
   * opened since, have read it), and every event not readable then has a txid at or above it, as
   * its transaction was still running or had not begun. A first poll wakes every stream.
   */
  private async catchUp() {
    if (this.polling) return;
    const orgs = [...this.byOrg.keys()];
    if (orgs.length === 0) {
      this.polledHorizon = null;
      return;
    }
    this.polling = true;
    try {
      const since = this.polledHorizon;
      const woken =
        since === null
          ? sql`'{}'::text[]`
          : sql`array(select o::text from unnest(${`{${orgs.join(',')}}`}::uuid[]) as o
              where exists (select 1 from events where organization_id = o and txid >= ${since}::bigint))`;
      const [row] = await atHorizon<{ horizon: string; woken: string[] }>(this.db, (horizon) => sql`select ${horizon}::text as horizon, ${woken} as woken`);
      this.polledHorizon = row.horizon;
      if (since === null) this.wakeAll();
      else for (const org of row.woken) this.wake(org);
    } catch {
      // The next poll tries again from the same horizon.
    } finally {
      this.polling = false;
    }
  }

  private wakeAll() {
    this.each((s) => s.wake());
  }

  private each(fn: (s: EventStream) => void) {
    for (const set of this.byOrg.values()) for (const s of set) fn(s);
  }

  get size() {
    let n = 0;
    for (const set of this.byOrg.values()) n += set.size;
    return n;
  }

  async close() {
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.poll) clearInterval(this.poll);
    this.each((s) => s.close());
    const listener = await this.listening?.catch(() => null);
    await listener?.unlisten().catch(() => {});
    // The streams' leases are deleted before the pool closes, so they do not linger until they lapse.
    await this.leases.settled();
  }
}

export function eventHubFor(app: FastifyInstance): EventHub {
  const db = app.db;
  const hub = new EventHub(db, (db as unknown as { $client: postgres.Sql }).$client, new StreamLeases(db, app.config.streamsPerKey));
  // Open streams would keep the server from closing: end them before it waits for connections.
  app.addHook('preClose', async () => hub.close());
  return hub;
}
