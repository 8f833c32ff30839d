// Uploads and downloads a 20 MiB file over real HTTP and prints how much the server process's
// resident memory grew at its peak. Files are streamed through PostgreSQL in pieces, so the growth
// should stay far below the file size (target: < 64 MiB).
//
//   npx tsx bench/materials-rss.ts            (DATABASE_URL or the local PostgreSQL of the tests)
//
// The server runs in a child process of its own, so that the client's buffers are not counted;
// the client streams too (a generated body, a hashed download). TRACE_GC=1 shows the server's GCs.
// Measured 2026-11: ~54 MiB (about 35 MiB of it during the upload). Before uploads went through a
// binary COPY, query parameters (hex strings and copies per piece) made it ~80 MiB.
import { fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { meetings } from '../db/schema/index.js';
import { createOrganization, insertApiKey } from '../src/access/api-keys.js';
import { buildApp } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { openDatabase } from '../src/platform/database.js';
import { createTestDatabase } from '../tests/db.js';

const FILE_BYTES = 20 * 1024 * 1024;
const PIECE = 64 * 1024;
const MiB = (n: number) => (n / 1024 / 1024).toFixed(1);

interface Ready { origin: string; key: string; meetingId: string }
interface Memory { baseline: number; peak: number; maxRss: number }

/** The server: the whole app on a fresh database, sampling its own RSS until asked for the figures. */
async function serve() {
  const testDb = await createTestDatabase();
  const config = loadConfig({ DATABASE_URL: testDb.url, LOG_LEVEL: 'silent', LIAISON_RATE_LIMIT: '100000/minute', LIAISON_HANDLER_TIMEOUT_MS: '120000' });
  const database = openDatabase(testDb.url, { max: 5 });
  const app = await buildApp(config, database, { logger: false });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const org = await createOrganization(database.db, 'rss-bench');
  const key = await insertApiKey(database.db, org.id, { name: 'bench', scopes: ['admin'] });
  const startsAt = new Date(Date.now() + 86400_000);
  const [meeting] = await database.db
    .insert(meetings)
    .values({ organizationId: org.id, title: 'RSS bench', startsAt, endsAt: new Date(startsAt.getTime() + 3600_000), timeZone: 'UTC', materialsDueAt: new Date(startsAt.getTime() - 3600_000) })
    .returning();
  let memory: Memory | null = null;
  let sampler: NodeJS.Timeout | undefined;
  process.on('message', async (msg: string) => {
    if (msg === 'start') {
      const baseline = process.memoryUsage().rss;
      memory = { baseline, peak: baseline, maxRss: 0 };
      sampler = setInterval(() => (memory!.peak = Math.max(memory!.peak, process.memoryUsage().rss)), 5);
      process.send!('started');
    } else if (msg === 'mark') {
      process.send!(memory!.peak - memory!.baseline);
    } else if (msg === 'stop') {
      clearInterval(sampler);
      memory!.peak = Math.max(memory!.peak, process.memoryUsage().rss);
      memory!.maxRss = process.resourceUsage().maxRSS * 1024;
      process.send!(memory);
      await app.close();
      await database.close();
      await testDb.drop();
      process.exit(0);
    }
  });
  const ready: Ready = { origin: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, key: key.secret, meetingId: meeting!.id };
  process.send!(ready);
}

/** Deterministic bytes, generated piece by piece: the client never holds the whole file either. */
function piece(i: number): Buffer {
  const b = Buffer.alloc(PIECE);
  for (let o = 0; o < PIECE; o += 4) b.writeUInt32LE(((i * PIECE + o) ^ 0x9e3779b9) >>> 0, o);
  if (i === 0) Buffer.from('%PDF-1.7\n').copy(b);
  return b;
}

async function uploadOnce(ready: Ready, name: string, pieces: number) {
  const boundary = '----liaisonbench';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${name}"\r\nContent-Type: application/pdf\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const sent = createHash('sha256');
  let i = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (i === 0) controller.enqueue(head);
      if (i < pieces) {
        const p = piece(i++);
        sent.update(p);
        controller.enqueue(p);
      } else {
        controller.enqueue(tail);
        controller.close();
      }
    },
  });
  const res = await fetch(`${ready.origin}/v1/meetings/${ready.meetingId}/materials`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ready.key}`, 'content-type': `multipart/form-data; boundary=${boundary}` },
    body,
    duplex: 'half',
  } as RequestInit);
  const created = (await res.json()) as { id: string; sha256: string };
  if (res.status !== 201) throw new Error(`upload answered ${res.status}: ${JSON.stringify(created)}`);
  return { id: created.id, intact: created.sha256 === sent.digest('hex'), sha256: created.sha256 };
}

async function downloadOnce(ready: Ready, id: string) {
  const res = await fetch(`${ready.origin}/v1/materials/${id}/content`, { headers: { authorization: `Bearer ${ready.key}` } });
  const got = createHash('sha256');
  let bytes = 0;
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    got.update(chunk);
    bytes += chunk.length;
  }
  return { sha256: got.digest('hex'), bytes };
}

async function main() {
  const child = fork(fileURLToPath(import.meta.url), ['--serve'], { execArgv: ['--import', 'tsx', ...(process.env.TRACE_GC ? ['--trace-gc'] : [])], stdio: 'inherit' });
  const ask = async <T>(msg?: string): Promise<T> => {
    const answer = once(child, 'message');
    if (msg) child.send(msg);
    return (await answer)[0] as T;
  };
  const ready = await ask<Ready>();
  // Warm up routes, pool and JIT with a small round trip so the baseline is steady.
  const warm = await uploadOnce(ready, 'warm.pdf', 2);
  await downloadOnce(ready, warm.id);
  await ask('start');
  const t0 = performance.now();
  const up = await uploadOnce(ready, 'big.pdf', FILE_BYTES / PIECE);
  const t1 = performance.now();
  const afterUpload = await ask<number>('mark');
  const down = await downloadOnce(ready, up.id);
  const t2 = performance.now();
  const mem = await ask<Memory>('stop');
  const intact = up.intact && down.sha256 === up.sha256 && down.bytes === FILE_BYTES;
  const growth = Math.max(mem.peak, mem.maxRss) - mem.baseline;
  const pass = intact && growth < 64 * 1024 * 1024;
  console.log(`file: ${MiB(FILE_BYTES)} MiB, round trip ${intact ? 'intact' : 'CORRUPTED'}; upload ${(t1 - t0).toFixed(0)} ms, download ${(t2 - t1).toFixed(0)} ms`);
  console.log(`server rss: baseline ${MiB(mem.baseline)} MiB, sampled peak ${MiB(mem.peak)} MiB, maxRSS ${MiB(mem.maxRss)} MiB`);
  console.log(`server peak RSS growth during the upload: ${MiB(afterUpload)} MiB`);
  console.log(`server peak RSS growth: ${MiB(growth)} MiB (target < 64 MiB) ${pass ? 'PASS' : 'FAIL'}`);
  process.exitCode = pass ? 0 : 1;
}

if (process.argv.includes('--serve')) await serve();
else await main();
