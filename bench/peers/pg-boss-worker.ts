import { createServer } from 'node:http';
import PgBoss from 'pg-boss';
import { Webhook } from 'standardwebhooks';
import { Agent, request } from 'undici';
import { PGBOSS_QUEUE, PGBOSS_WORKERS, PGBOSS_BATCH, PGBOSS_POLL_SECONDS, PER_ENDPOINT, type DeliveryJob } from './pg-boss-settings.js';

// The peer's delivery process, the counterpart of Liaison's worker: pg-boss workers fetching
// delivery jobs and POSTing each with undici and a Standard Webhooks signature. Started by the
// webhooks scenario (bench/peers/pg-boss.ts) with the endpoints' secrets in PGBOSS_ENDPOINTS.
const endpoints = JSON.parse(process.env.PGBOSS_ENDPOINTS!) as { url: string; secret: string }[];
const signers = new Map(endpoints.map((e) => [e.url, new Webhook(e.secret)]));
// Liaison sends at most PER_ENDPOINT deliveries to one endpoint at once; undici's pool per origin
// gets the same bound (further requests wait for a free connection) and keeps connections alive.
const agent = new Agent({ connections: PER_ENDPOINT });
const boss = new PgBoss({ connectionString: process.env.DATABASE_URL!, application_name: 'pg-boss-bench' });
boss.on('error', (err) => process.stderr.write(`pg-boss: ${err.message}\n`));

async function deliver(job: PgBoss.Job<DeliveryJob>): Promise<void> {
  const { eventId, type, occurredAt, data, url } = job.data;
  const body = JSON.stringify({ type, timestamp: occurredAt, data });
  const at = new Date();
  const res = await request(url, {
    dispatcher: agent,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'webhook-id': eventId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': signers.get(url)!.sign(eventId, at, body),
    },
    body,
    signal: AbortSignal.timeout(15_000),
  });
  await res.body.dump();
  if (res.statusCode < 200 || res.statusCode >= 300) throw new Error(`receiver answered ${res.statusCode}`);
}

await boss.start();
await boss.createQueue(PGBOSS_QUEUE);
// pg-boss 10 polls (no wake-up on insert): each worker fetches a batch, handles it, and fetches
// again at most once per polling interval. Workers started evenly across the interval keep the
// wait for the next fetch short (interval / workers at most).
for (let i = 0; i < PGBOSS_WORKERS; i++) {
  await new Promise((r) => setTimeout(r, (PGBOSS_POLL_SECONDS * 1000) / PGBOSS_WORKERS));
  await boss.work<DeliveryJob>(PGBOSS_QUEUE, { batchSize: PGBOSS_BATCH, pollingIntervalSeconds: PGBOSS_POLL_SECONDS }, async (jobs) => {
    // One outcome per job, as a delivery queue needs: failed jobs are failed (retried by pg-boss)
    // before the handler returns, so completing the batch afterwards completes only the sent ones.
    const outcomes = await Promise.allSettled(jobs.map(deliver));
    const failed = jobs.filter((_, i) => outcomes[i]!.status === 'rejected').map((j) => j.id);
    if (failed.length) await boss.fail(PGBOSS_QUEUE, failed);
  });
}

const server = createServer((_req, res) => res.writeHead(200).end('ok'));
server.listen(Number(process.env.PORT), '127.0.0.1');
process.on('SIGTERM', async () => {
  server.close();
  await boss.stop({ graceful: true, wait: true, timeout: 5_000 });
  await agent.close();
  process.exit(0);
});
