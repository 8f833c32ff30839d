import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export interface Measured {
  name: string;
  requestsPerSec: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

export type MeasureOptions = autocannon.Options;

export async function measure(name: string, opts: MeasureOptions): Promise<Measured> {
  const result = await autocannon({ connections: 32, duration: 10, ...opts });
  return {
    name,
    requestsPerSec: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

export function report(rows: (Measured & { ratio?: number; target?: string; note?: string })[]) {
  const line = (r: (typeof rows)[number]) =>
    `${r.name.padEnd(48)} ${r.requestsPerSec.toFixed(0).padStart(8)} req/s  p50 ${String(r.p50).padStart(4)} ms  p99 ${String(r.p99).padStart(4)} ms` +
    `  errors ${r.errors + r.non2xx}${r.ratio !== undefined ? `  ratio ${r.ratio.toFixed(2)}` : ''}${r.target ? `  (target ${r.target})` : ''}${r.note ? `  ${r.note}` : ''}`;
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}

export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  return port;
}

export interface Started {
  url: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts a server process on a free port and waits until `ready` holds: a path that answers 200,
 * or a check of its own for a process that serves no HTTP (a `LIAISON_ROLE=worker`).
 */
export async function startProcess(args: string[], env: Record<string, string>, ready: string | (() => Promise<boolean>)): Promise<Started> {
  const port = await freePort();
  // BENCH_SERVER_NODE_ARGS (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`) profiles the API server.
  const extra = args[0] === 'src/server.ts' ? (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean) : [];
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', ...args], { env: { ...process.env, ...env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'inherit'] });
  const url = `http://127.0.0.1:${port}`;
  let exited = false;
  child.on('exit', () => (exited = true));
  for (let i = 0; ; i++) {
    if (exited) throw new Error(`${args.join(' ')} exited before it was ready`);
    const ok = typeof ready === 'string' ? await fetch(url + ready).then((r) => r.ok, () => false) : await ready().catch(() => false);
    if (ok) break;
    if (i > 300) {
      child.kill('SIGTERM'); // the caller gets no handle to stop it with
      throw new Error(`${args.join(' ')} not ready after 30 s`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    child,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}
