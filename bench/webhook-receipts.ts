import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { ReceiverCommand, ReceiverMessage } from './webhook-receiver-process.js';

/** How long a run waits for its last deliveries after its last commit. */
const DRAIN_TIMEOUT_MS = 120_000;

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

  /** A receipt at `at`; `signature` says whether it was checked (0: no) and held (1) or not (2). */
  received(endpoint: number, id: string, at: number, signature: 0 | 1 | 2) {
    if (signature === 1) this.verified++;
    if (signature === 2) this.badSignatures++;
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
  urls: string[];
  /** The run receipts are counted in; replaced between runs. */
  run: Run;
  /** Each endpoint's signing secret (index = endpoint), for the sampled signature checks. */
  useSecrets(secrets: string[]): void;
  close(): void;
}

/**
 * Local webhook endpoints answering 204, in a process of their own (webhook-receiver-process.ts).
 * Each reports the `webhook-id` and arrival time of every POST, counted in the current run, and
 * every 50th receipt's Standard Webhooks signature checked with the endpoint's secret through the
 * `standardwebhooks` package, so a sender that signs wrongly is seen.
 */
export async function startReceivers(count: number): Promise<Receivers> {
  const child = fork(fileURLToPath(new URL('./webhook-receiver-process.ts', import.meta.url)), [String(count)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const ready = new Promise<string[]>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the webhook receivers exited (${code}) before they were ready`)));
    child.on('message', (m: ReceiverMessage) => {
      if (m.type === 'ready') resolve(m.urls);
      else for (const [endpoint, id, at, signature] of m.receipts) receivers.run.received(endpoint, id, at, signature);
    });
  });
  const receivers: Receivers = {
    urls: [],
    run: new Run(0, count),
    useSecrets: (secrets) => child.send({ type: 'secrets', secrets } satisfies ReceiverCommand),
    close: () => child.kill('SIGTERM'),
  };
  receivers.urls = await ready;
  return receivers;
}
