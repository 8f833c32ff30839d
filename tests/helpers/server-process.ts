import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

/** `tsx src/server.ts` as a real process, with what it wrote and how it ended. */
export interface ServerProcess {
  child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code (or the signal's name) once the process has ended and its output is read. */
  exited: Promise<number | string>;
  /** Resolves with the first match of `pattern` in stdout; rejects if the process ends first. */
  waitForStdout(pattern: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(): Promise<number | string>;
}

export function startServer(env: Record<string, string>): ServerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const proc: ServerProcess = {
    child,
    stdout: '',
    stderr: '',
    exited: new Promise((resolve) => child.on('close', (code, signal) => resolve(code ?? signal ?? 'unknown'))),
    waitForStdout(pattern, ms = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = proc.stdout.match(pattern);
          if (!m) return;
          done();
          resolve(m);
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${pattern} on stdout within ${ms} ms; stdout: ${proc.stdout}; stderr: ${proc.stderr}`));
        }, ms);
        const ended = () => {
          done();
          const m = proc.stdout.match(pattern);
          if (m) return resolve(m);
          reject(new Error(`server ended before printing ${pattern}; stdout: ${proc.stdout}; stderr: ${proc.stderr}`));
        };
        const done = () => {
          clearTimeout(timer);
          child.stdout!.off('data', check);
          child.off('close', ended);
        };
        child.stdout!.on('data', check);
        child.once('close', ended);
        check();
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return proc.exited;
    },
  };
  // Attached before any waiter, so that a waiter sees the text that woke it.
  child.stdout!.prependListener('data', (d: Buffer) => (proc.stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (proc.stderr += d.toString()));
  return proc;
}

/** Waits until `url` answers at all (any status), or gives up after `ms`. */
export async function waitForHttp(url: string, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fetch(url).then(() => true, () => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}
