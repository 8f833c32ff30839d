import type { ServerResponse } from 'node:http';
import { sql } from 'drizzle-orm';
import { eventVisible, type Viewer } from '../access/viewer.js';
import type { Db } from '../platform/database.js';
import { readEvents, toApiEvent, typeFilter, type Position } from './queries.js';

/**
 * Events read at once. Read rows wait in memory until the client has taken them, so a stream
 * reads few while its client is behind and more, up to the most, while it keeps up.
 */
const MIN_BATCH = 10;
const MAX_BATCH = 200;
/**
 * How long a client may take to accept what its socket already holds. One that takes longer is
 * disconnected and resumes with Last-Event-ID; until then the log, not memory, is its buffer.
 */
export const DRAIN_TIMEOUT_MS = 10_000;
/** Re-read delay while committed events are held back behind an older open transaction. */
const HELD_RETRY_MS = 20;
/**
 * One open SSE stream. It follows the organisation's log from a position and reads whenever it
 * is woken; reads follow the (txid, seq) order and visibility rule of GET /v1/events, so a
 * stream sees every event once, in log order, including ones committed by other processes.
 */
export class EventStream {
  private reading = false;
  private again = false;
  private closed = false;
  private heldTimer: NodeJS.Timeout | null = null;
  private batch = MIN_BATCH;
  /** Whether the client made the stream wait since the last batch was read. */
  private waited = false;

  constructor(
    private db: Db,
    readonly organizationId: string,
    private res: ServerResponse,
    private position: Position,
    private types: string[] | undefined,
    /** Whose eyes it reads with: events about confidential meetings only for `all` (SPEC §8). */
    private viewer: Viewer,
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
    // A client that has not taken what it was sent needs no sign of life on top of it.
    if (this.closed || this.res.destroyed || this.res.writableNeedDrain) return;
    this.res.write(': heartbeat\n\n');
    this.wake();
  }

  close() {
    if (this.closed) return;
    this.closed = true;
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.onClose();
    if (!this.res.destroyed) this.res.end();
  }

  /** Drops a client that does not keep up; it reconnects with Last-Event-ID. */
  private drop() {
    this.res.destroy();
    this.close();
  }

  /**
   * Writes one frame and, when the socket's buffer is full, waits for the client to take it
   * before the next. What the server holds for a stream is therefore at most the socket's
   * high-water mark, one frame and the rest of a small batch, however far behind the client is:
   * a backlog is streamed at the client's pace, and a client that stops reading is dropped after
   * DRAIN_TIMEOUT_MS.
   */
  private async send(frame: string): Promise<boolean> {
    if (this.closed || this.res.destroyed) return false;
    if (this.res.write(frame)) return true;
    this.waited = true;
    if (await this.drained()) return !this.closed;
    this.drop();
    return false;
  }

  private drained(): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.res.off('drain', onDrain);
        this.res.off('close', onClose);
        resolve(ok);
      };
      const onDrain = () => finish(true);
      const onClose = () => finish(false);
      const timer = setTimeout(() => finish(false), DRAIN_TIMEOUT_MS);
      this.res.on('drain', onDrain);
      this.res.on('close', onClose);
    });
  }

  private async pump() {
    this.reading = true;
    try {
      do {
        this.again = false;
        for (;;) {
          const limit = this.batch;
          const rows = await readEvents(this.db, this.organizationId, this.viewer, { after: this.position, types: this.types, limit });
          this.waited = false;
          for (const row of rows) {
            const event = toApiEvent(row);
            if (!(await this.send(`id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`))) return;
            this.position = [row.txid, row.seq];
          }
          this.batch = this.waited ? MIN_BATCH : Math.min(MAX_BATCH, limit * 2);
          if (rows.length < limit) break;
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
   * Events the stream does not carry (other types, confidential ones) do not count.
   */
  private async heldBack(): Promise<boolean> {
    const types = typeFilter(this.types);
    const rows = await this.db.execute(sql`
      select 1 from events where organization_id = ${this.organizationId}
        and (txid, seq) > (${this.position[0]}::bigint, ${this.position[1]}::bigint) ${types ? sql`and ${types}` : sql``}
        and ${eventVisible(this.viewer, sql.raw('events'))} limit 1`);
    return rows.length > 0;
  }
}
