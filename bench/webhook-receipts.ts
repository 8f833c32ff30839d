import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';

/** How long a run waits for its last deliveries after its last commit. */
const DRAIN_TIMEOUT_MS = 120_000;
/** Every this many receipts per endpoint, the signature is checked (each check costs the receiver). */
const VERIFY_EVERY = 50;

export const now = () => performance.timeOrigin + performance.now();

function percentile(sorted: number[], p: number) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
}

/** What one run observed at the receivers. */
export class Run {
  readonly committedAt = new Map<string, number>();
  /** Receipts that arrived before the producer saw its commit acknowledged (latency ~0). */
  readonly earlyReceipts = new Map<string, number[]>();
  readonly latencies: number[] = [];
  readonly receipts: number[] = [];
  readonly seen: Set<string>[];
  duplicates = 0;
  /** Sampled receipts whose Standard Webhooks signature did not verify with the endpoint's secret. */
  badSignatures = 0;
  verified = 0;
  started = now();
  lastCommit = 0;
  private done!: () => void;
  readonly allReceived = new Promise<void>((r) => (this.done = r));

  constructor(
    readonly expected: number,
    endpoints: number,
  ) {
    this.seen = Array.from({ length: endpoints }, () => new Set<string>());
  }

  committed(id: string) {
    const at = now();
    this.committedAt.set(id, at);
    this.lastCommit = at;
    for (const r of this.earlyReceipts.get(id) ?? []) this.latencies.push(Math.max(0, r - at));
    this.earlyReceipts.delete(id);
  }

  received(endpoint: number, id: string) {
    const at = now();
    if (this.seen[endpoint]!.has(id)) this.duplicates++;
    this.seen[endpoint]!.add(id);
    const committed = this.committedAt.get(id);
    if (committed !== undefined) this.latencies.push(at - committed);
    else this.earlyReceipts.set(id, [...(this.earlyReceipts.get(id) ?? []), at]);
    this.receipts.push(at);
    if (this.receipts.length >= this.expected) this.done();
  }

  async drained() {
    const timeout = setTimeout(() => this.done(), DRAIN_TIMEOUT_MS);
    await this.allReceived;
    clearTimeout(timeout);
  }

  /** Deliveries per second over the whole run: first commit started to last receipt. */
  rate() {
    const last = this.receipts.at(-1) ?? now();
    return this.receipts.length / ((last - this.started) / 1000);
  }

  /** The most deliveries received in any one-second window. */
  peakRate() {
    let peak = 0;
    for (let lo = 0, hi = 0; hi < this.receipts.length; hi++) {
      while (this.receipts[hi]! - this.receipts[lo]! > 1000) lo++;
      peak = Math.max(peak, hi - lo + 1);
    }
    return peak;
  }

  percentiles() {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    return { p50: Math.round(percentile(sorted, 50)), p99: Math.round(percentile(sorted, 99)) };
  }
}

export interface Receivers {
  servers: Server[];
  urls: string[];
  /** The run receipts are counted in; replaced between runs. */
  run: Run;
  /** Sets the secret each endpoint's deliveries are signed with (index = endpoint). */
  secrets: string[];
  close(): void;
}

/**
 * Local webhook endpoints answering 204. Each counts the `webhook-id` of every POST in the current
 * run and, every VERIFY_EVERY receipts, checks its Standard Webhooks signature with the endpoint's
 * secret through the `standardwebhooks` package, so a sender that signs wrongly is seen.
 */
export async function startReceivers(count: number): Promise<Receivers> {
  const receivers: Receivers = { servers: [], urls: [], run: new Run(0, count), secrets: [], close: () => receivers.servers.forEach((s) => s.close()) };
  for (let i = 0; i < count; i++) {
    let n = 0;
    const server = createServer((req, res) => {
      const id = String(req.headers['webhook-id']);
      const verify = n++ % VERIFY_EVERY === 0 && receivers.secrets[i] !== undefined;
      const chunks: Buffer[] = [];
      if (verify) req.on('data', (c: Buffer) => chunks.push(c));
      else req.resume();
      req.on('end', () => {
        const run = receivers.run;
        run.received(i, id);
        if (verify) {
          try {
            new Webhook(receivers.secrets[i]!).verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>);
            run.verified++;
          } catch {
            run.badSignatures++;
          }
        }
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    receivers.servers.push(server);
    receivers.urls.push(`http://127.0.0.1:${(server.address() as { port: number }).port}/hook`);
  }
  return receivers;
}
