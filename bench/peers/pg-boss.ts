import PgBoss from 'pg-boss';
import postgres from 'postgres';
import { startProcess, type Started } from '../harness.js';
import { PGBOSS_QUEUE, type DeliveryJob } from './pg-boss-settings.js';

/**
 * pg-boss's database adapter over a postgres.js connection or transaction. pg-boss is written for
 * node-postgres: it passes unset options as `undefined` (sent as NULL there, refused by postgres.js)
 * and JSON parameters already rendered as text (see `asNodePostgres`).
 */
const adapter = (sql: postgres.Sql | postgres.TransactionSql): PgBoss.Db => ({
  executeSql: async (text, values) => ({ rows: await sql.unsafe(text, (values ?? []).map((v) => v ?? null)) }),
});

/** postgres.js sends a string for a json parameter as a JSON string; node-postgres sends it as is. */
const asNodePostgres = {
  json: { to: 114, from: [114, 3802], serialize: (x: unknown) => (typeof x === 'string' ? x : JSON.stringify(x)), parse: (x: string) => JSON.parse(x) },
};

export interface PgBossPeer {
  /** Commits one event and its deliveries (one pg-boss job per endpoint); answers the event id. */
  append(n: number): Promise<string>;
  /** The delivering process, for CPU samples. */
  worker: Started;
  stop(): Promise<void>;
}

/**
 * The peer a user would pick instead of Liaison's delivery queue: pg-boss 10 (the newest major that
 * runs on Node 20), a job per delivery, delivered by a process of its own (pg-boss-worker.ts).
 *
 * The producer inserts the jobs inside the event's transaction, through pg-boss's `db` option on
 * that transaction: the event and its deliveries commit or roll back together, the guarantee
 * Liaison's fan-out gives. (Sending after the commit would save nothing per event, one statement
 * either way, and would lose deliveries to a crash between commit and send.) The event row is the
 * one Liaison appends, written into the same `events` table; the jobs carry what the worker needs.
 */
export async function startPgBossPeer(opts: {
  databaseUrl: string;
  organizationId: string;
  endpoints: { url: string; secret: string }[];
  /** The producers' pool size (Liaison's producers get the same). */
  max: number;
}): Promise<PgBossPeer> {
  const sql = postgres(opts.databaseUrl, { max: opts.max, onnotice: () => {}, types: asNodePostgres });
  // The worker installs pg-boss's schema and creates the queue before it answers.
  const worker = await startProcess(['bench/peers/pg-boss-worker.ts'], { DATABASE_URL: opts.databaseUrl, PGBOSS_ENDPOINTS: JSON.stringify(opts.endpoints) }, '/healthz');
  // The producer's instance only inserts: no migration, maintenance or schedules of its own.
  const boss = new PgBoss({ db: adapter(sql), migrate: false, supervise: false, schedule: false });
  try {
    await boss.start();
  } catch (err) {
    await worker.stop();
    await sql.end();
    throw err;
  }
  const type = 'issue.updated';
  return {
    worker,
    append: (n) =>
      sql.begin(async (tx) => {
        const data = { issue: { id: `bench-${n}`, version: 1 }, changes: {} };
        const [event] = await tx<{ id: string; occurred_at: Date }[]>`
          insert into events (organization_id, type, data) values (${opts.organizationId}, ${type}, ${tx.json(data)}) returning id, occurred_at`;
        const jobs: PgBoss.JobInsert<DeliveryJob>[] = opts.endpoints.map(({ url }) => ({
          name: PGBOSS_QUEUE,
          data: { eventId: event!.id, type, occurredAt: event!.occurred_at.toISOString(), data, url },
        }));
        await boss.insert(jobs, { db: adapter(tx) });
        return event!.id;
      }),
    async stop() {
      await boss.stop({ graceful: false, wait: true });
      await worker.stop();
      await sql.end();
    },
  };
}
