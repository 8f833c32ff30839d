import { sql } from 'drizzle-orm';
import type { Db } from '../platform/database.js';

/** How long a lease outlives its last renewal: for that long the streams of a crashed process still count. */
export const LEASE_TTL_SECONDS = 60;
/** Namespace of the advisory locks that serialise the openings of one key's streams. */
const LOCK_NAMESPACE = 7268154;
const RENEW_CHUNK = 500;

/**
 * The open SSE streams of each API key, counted in the database (event_stream_leases) so that
 * LIAISON_STREAMS_PER_KEY holds across every API process, not per process. Opening a stream
 * costs one short transaction and closing it one delete; the process renews the leases of its
 * open streams together, once per heartbeat.
 */
export class StreamLeases {
  private held = new Set<string>();
  private pending = new Set<Promise<unknown>>();

  constructor(
    private db: Db,
    readonly perKey: number,
  ) {}

  /** A lease for one more stream of the key, or null when the key already holds `perKey` of them. */
  async acquire(organizationId: string, apiKeyId: string): Promise<string | null> {
    const id = await this.db.transaction(async (tx) => {
      // Two processes opening the key's last free stream at once must not both get it.
      await tx.execute(sql`select pg_advisory_xact_lock(${LOCK_NAMESPACE}, hashtext(${apiKeyId}::text))`);
      await tx.execute(sql`
        delete from event_stream_leases
        where organization_id = ${organizationId} and api_key_id = ${apiKeyId} and expires_at <= now()`);
      const rows = (await tx.execute(sql`
        insert into event_stream_leases (organization_id, api_key_id, expires_at)
        select ${organizationId}, ${apiKeyId}, now() + make_interval(secs => ${LEASE_TTL_SECONDS})
        where (select count(*) from event_stream_leases where organization_id = ${organizationId} and api_key_id = ${apiKeyId}) < ${this.perKey}
        returning id`)) as unknown as { id: string }[];
      return rows[0]?.id ?? null;
    });
    if (id !== null) this.held.add(id);
    return id;
  }

  /** Frees the stream's place; should the delete fail, the lease lapses on its own. */
  release(id: string) {
    if (!this.held.delete(id)) return;
    this.track(this.db.execute(sql`delete from event_stream_leases where id = ${id}`));
  }

  /** Extends the leases of every stream this process holds open. */
  renew() {
    const ids = [...this.held];
    for (let i = 0; i < ids.length; i += RENEW_CHUNK) {
      const chunk = sql.join(ids.slice(i, i + RENEW_CHUNK).map((id) => sql`${id}::uuid`), sql`, `);
      this.track(this.db.execute(sql`update event_stream_leases set expires_at = now() + make_interval(secs => ${LEASE_TTL_SECONDS}) where id in (${chunk})`));
    }
  }

  /** Resolves once every release and renewal sent so far has finished (before the pool closes). */
  async settled() {
    await Promise.all([...this.pending]);
  }

  private track(query: Promise<unknown>) {
    const done: Promise<unknown> = query.catch(() => {}).finally(() => this.pending.delete(done));
    this.pending.add(done);
  }
}
