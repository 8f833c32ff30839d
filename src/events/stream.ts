import type { ServerResponse } from 'node:http';
import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { FastifyInstance } from 'fastify';
import type { Db } from '../platform/database.js';
import { EVENTS_CHANNEL } from './outbox.js';
import { readEvents, toApiEvent, typeFilter, visibilityHorizon } from './queries.js';

const HEARTBEAT_MS = 15_000;
const BATCH = 200;
/** Unsent bytes a client may leave in its socket buffer before it is dropped as too slow. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** How long a client may take to drain a full buffer. */
const DRAIN_TIMEOUT_MS = 10_000;
/** Re-read delay while committed events are held back behind an older open transaction. */
const HELD_RETRY_MS = 20;

type Position = [string, string];

/**
 * One open SSE stream. It follows the organisation's log from a position and reads whenever it
 * is woken; reads follow the (txid, seq) order and visibility rule of GET /v1/events, so a
 * stream sees every event once, in log order, including ones committed by other processes.
 */
class EventStream {
  private reading = false;
  private again = false;
  private closed = false;
  private heldTimer: NodeJS.Timeout | null = null;

  constructor(
    private db: Db,
    readonly organizationId: string,
    private res: ServerResponse,
    private position: Position,
    private types: string[] | undefined,
    private onClose: () => void,
  ) {}

  wake() {
    if (this.closed) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    void this.pump();
  }

  heartbeat() {
    if (this.write(': heartbeat\n\n')) this.wake();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.onClose();
    if (!this.res.destroyed) this.res.end();
  }

  /** Writes a frame; a client whose unsent buffer outgrows the bound is dropped. */
  private write(frame: string): boolean {
    if (this.closed) return false;
    this.res.write(frame);
    if (this.res.writableLength > MAX_BUFFERED_BYTES) {
      this.res.destroy();
      this.close();
      return false;
    }
    return true;
  }

  private async drained(): Promise<boolean> {
    if (this.res.writableLength === 0 || !this.res.writableNeedDrain) return true;
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), DRAIN_TIMEOUT_MS);
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        resolve(ok);
      };
      const onDrain = () => finish(true);
      this.res.on('drain', onDrain);
    });
  }

  private async pump() {
    this.reading = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const rows = await readEvents(this.db, this.organizationId, { after: this.position, types: this.types, limit: BATCH });
          for (const row of rows) {
            const event = toApiEvent(row);
            if (!this.write(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`)) return;
            this.position = [row.txid, row.seq];
          }
          // Backpressure: stop reading (the log is the buffer) until the client catches up.
          if (!(await this.drained())) {
            this.res.destroy();
            this.close();
            return;
          }
          if (rows.length < BATCH) break;
        }
        if (!this.again && (await this.heldBack())) {
          this.heldTimer = setTimeout(() => this.wake(), HELD_RETRY_MS);
        }
      } while (this.again && !this.closed);
    } catch {
      this.close();
    } finally {
      this.reading = false;
    }
  }

  /**
   * Whether any event of ours lies beyond the position: committed but still held back behind an
   * older open transaction, or made visible just after our read. Either way, read again soon.
   */
  private async heldBack(): Promise<boolean> {
    const types = typeFilter(this.types);
    const rows = await this.db.execute(sql`
      select 1 from events where organization_id = ${this.organizationId}
        and (txid, seq) > (${this.position[0]}::bigint, ${this.position[1]}::bigint) ${types ? sql`and ${types}` : sql``} limit 1`);
    return rows.length > 0;
  }
}

/**
 * The process's open streams, grouped by organisation, woken by one LISTEN on the events channel
 * (the outbox notifies with the organisation id on commit, whichever process committed).
 */
export class EventHub {
  private byOrg = new Map<string, Set<EventStream>>();
  private listening: Promise<{ unlisten(): Promise<void> }> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;

  constructor(
    private db: Db,
    private sql: postgres.Sql,
  ) {}

  /** The position every event committed from now on comes after: no visible row is ahead of it. */
  async currentPosition(): Promise<Position> {
    const [row] = (await this.db.execute(sql`select (${visibilityHorizon} - 1)::text as txid`)) as unknown as [{ txid: string }];
    return [row.txid, '9223372036854775807'];
  }

  /** Starts the LISTEN on first use; called before a stream is opened so a failure is a 503, not a broken stream. */
  async listen() {
    this.listening ??= this.sql.listen(
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

  open(organizationId: string, res: ServerResponse, position: Position, types: string[] | undefined) {
    this.heartbeat ??= setInterval(() => this.each((s) => s.heartbeat()), HEARTBEAT_MS);
    const set = this.byOrg.get(organizationId) ?? new Set();
    this.byOrg.set(organizationId, set);
    const stream = new EventStream(this.db, organizationId, res, position, types, () => set.delete(stream));
    set.add(stream);
    res.on('close', () => stream.close());
    stream.wake();
  }

  wake(organizationId: string) {
    for (const s of this.byOrg.get(organizationId) ?? []) s.wake();
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
    this.each((s) => s.close());
    const listener = await this.listening?.catch(() => null);
    await listener?.unlisten().catch(() => {});
  }
}

export function eventHubFor(app: FastifyInstance): EventHub {
  const db = app.db;
  const hub = new EventHub(db, (db as unknown as { $client: postgres.Sql }).$client);
  // Open streams would keep the server from closing: end them before it waits for connections.
  app.addHook('preClose', async () => hub.close());
  return hub;
}
