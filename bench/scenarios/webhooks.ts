import { createServer, type Server } from 'node:http';
import { openDatabase } from '../../src/platform/database.js';
import { appendEvent } from '../../src/events/outbox.js';
import type { Row, Scenario } from '../context.js';

const EVENTS = 10_000;
const ENDPOINTS = 4;

function percentile(sorted: number[], p: number) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

/**
 * 10,000 events fanned out to 4 local endpoints by the server's own delivery worker. Events are
 * appended the way every change appends them (appendEvent inside a transaction); latency is from
 * each commit to its receipt. Targets: ≥ 1,000 deliveries/s, p50 ≤ 20 ms, p99 ≤ 200 ms, no
 * duplicate webhook-id per endpoint.
 */
export const webhooks: Scenario = async (ctx) => {
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  const seen = Array.from({ length: ENDPOINTS }, () => new Set<string>());
  let duplicates = 0;
  let received = 0;
  let lastReceipt = 0;
  let done!: () => void;
  const allReceived = new Promise<void>((r) => (done = r));
  const servers: Server[] = [];
  for (let i = 0; i < ENDPOINTS; i++) {
    const server = createServer((req, res) => {
      const id = String(req.headers['webhook-id']);
      req.resume();
      req.on('end', () => {
        const now = performance.timeOrigin + performance.now();
        if (seen[i]!.has(id)) duplicates++;
        seen[i]!.add(id);
        const at = committedAt.get(id);
        if (at !== undefined) latencies.push(now - at);
        received++;
        lastReceipt = now;
        res.writeHead(204).end();
        if (received >= EVENTS * ENDPOINTS) done();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    servers.push(server);
    await ctx.post('/v1/webhooks', { url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`, eventTypes: ['issue.*'] });
  }
  const database = openDatabase(ctx.databaseUrl, { max: 8 });
  const started = performance.timeOrigin + performance.now();
  let next = 0;
  const producer = async () => {
    while (next < EVENTS) {
      const n = next++;
      const event = await database.db.transaction((tx) =>
        appendEvent(tx, ctx.organizationId, 'issue.updated', { issue: { id: `bench-${n}`, version: 1 }, changes: {} }),
      );
      committedAt.set(event.id, performance.timeOrigin + performance.now());
    }
  };
  await Promise.all(Array.from({ length: 8 }, producer));
  const timeout = setTimeout(() => done(), 120_000);
  await allReceived;
  clearTimeout(timeout);
  await database.close();
  for (const s of servers) s.close();
  const seconds = (lastReceipt - started) / 1000;
  latencies.sort((a, b) => a - b);
  const row: Row = {
    name: `webhooks: ${EVENTS} events × ${ENDPOINTS} endpoints`,
    requestsPerSec: received / seconds,
    p50: Math.round(percentile(latencies, 50)),
    p99: Math.round(percentile(latencies, 99)),
    errors: duplicates,
    non2xx: EVENTS * ENDPOINTS - received,
    target: '≥ 1000 deliveries/s, p50 ≤ 20 ms, p99 ≤ 200 ms, 0 duplicates',
  };
  return [row];
};
