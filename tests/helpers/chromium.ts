import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Readable, Writable } from 'node:stream';

// A real headless Chromium driven over the DevTools protocol on a pipe (`--remote-debugging-pipe`:
// the browser reads NUL-terminated JSON commands on fd 3 and answers on fd 4), so that tests need
// no npm browser library and no browser download: Debian's `chromium` package is enough.

/** The Chromium binary on PATH (`CHROMIUM` overrides), or null when none is installed. */
export function findChromium(): string | null {
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    for (const name of ['chromium', 'chromium-browser']) {
      try {
        accessSync(join(dir, name), constants.X_OK);
        return join(dir, name);
      } catch {
        // not here
      }
    }
  }
  return null;
}

export interface PageLog {
  /** Console errors and warnings, uncaught exceptions, and browser log entries (CSP violations among them). */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
  /** Requests that failed at the network level (refused, blocked by CSP, no such host). */
  failed: string[];
}

export interface Page {
  log: PageLog;
  /** Evaluates an expression in the page and returns its (JSON-serialisable) value. */
  evaluate<T>(expression: string): Promise<T>;
  /** Polls `expression` until it is truthy; fails with `what` after `timeoutMs`. */
  waitFor<T>(expression: string, what: string, timeoutMs?: number): Promise<T>;
  /** Types text into the focused element as keyboard input would (React sees real input events). */
  type(text: string): Promise<void>;
}

export interface Browser {
  open(url: string): Promise<Page>;
  close(): Promise<void>;
}

type Message = { id?: number; method?: string; params?: Record<string, any>; result?: any; error?: { message: string }; sessionId?: string }; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface LaunchOptions {
  /** Host names that resolve to 127.0.0.1 (to open a page as a non-loopback origin would be). */
  loopbackAliases?: string[];
}

export async function launchChromium(binary: string, opts: LaunchOptions = {}): Promise<Browser> {
  const profile = mkdtempSync(join(tmpdir(), 'liaison-chromium-'));
  const child: ChildProcess = spawn(
    binary,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      `--user-data-dir=${profile}`,
      '--remote-debugging-pipe',
      // Nothing but loopback may be reached: every other host name fails to resolve.
      `--host-resolver-rules=${[...(opts.loopbackAliases ?? []).map((h) => `MAP ${h} 127.0.0.1`), 'MAP * ~NOTFOUND', 'EXCLUDE 127.0.0.1'].join(', ')}`,
      'about:blank',
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const toBrowser = child.stdio[3] as Writable;
  const fromBrowser = child.stdio[4] as Readable;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let nextId = 1;
  const pending = new Map<number, { resolve(v: any): void; reject(e: Error): void }>(); // eslint-disable-line @typescript-eslint/no-explicit-any
  const listeners: ((m: Message) => void)[] = [];
  let buffered = '';
  fromBrowser.on('data', (chunk: Buffer) => {
    buffered += chunk.toString('utf8');
    let end;
    while ((end = buffered.indexOf('\0')) >= 0) {
      const message = JSON.parse(buffered.slice(0, end)) as Message;
      buffered = buffered.slice(end + 1);
      if (message.id !== undefined && pending.has(message.id)) {
        const call = pending.get(message.id)!;
        pending.delete(message.id);
        if (message.error) call.reject(new Error(message.error.message));
        else call.resolve(message.result);
      } else {
        for (const l of listeners) l(message);
      }
    }
  });
  void exited.then(() => {
    for (const call of pending.values()) call.reject(new Error(`chromium exited: ${stderr}`));
    pending.clear();
  });

  const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string) =>
    new Promise<any>((resolve, reject) => { // eslint-disable-line @typescript-eslint/no-explicit-any
      const id = nextId++;
      pending.set(id, { resolve, reject });
      toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });

  return {
    async open(url) {
      const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
      const log: PageLog = { problems: [], requests: [], failed: [] };
      listeners.push((m) => {
        if (m.sessionId !== sessionId || !m.params) return;
        const p = m.params;
        if (m.method === 'Runtime.consoleAPICalled' && (p.type === 'error' || p.type === 'warning' || p.type === 'assert')) {
          log.problems.push(`console.${p.type}: ${p.args.map((a: { value?: unknown; description?: string }) => a.value ?? a.description).join(' ')}`);
        } else if (m.method === 'Runtime.exceptionThrown') {
          log.problems.push(`exception: ${p.exceptionDetails.exception?.description ?? p.exceptionDetails.text}`);
        } else if (m.method === 'Log.entryAdded' && (p.entry.level === 'error' || p.entry.level === 'warning')) {
          log.problems.push(`${p.entry.source} ${p.entry.level}: ${p.entry.text} ${p.entry.url ?? ''}`);
        } else if (m.method === 'Network.requestWillBeSent') {
          log.requests.push(p.request.url);
        } else if (m.method === 'Network.loadingFailed') {
          log.failed.push(`${p.errorText}${p.blockedReason ? ` (${p.blockedReason})` : ''}`);
        }
      });
      for (const domain of ['Runtime', 'Log', 'Network', 'Page']) await send(`${domain}.enable`, {}, sessionId);
      const evaluate = async <T>(expression: string): Promise<T> => {
        const { result, exceptionDetails } = await send('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true }, sessionId);
        if (exceptionDetails) throw new Error(`in the page: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
        return result.value as T;
      };
      await send('Page.navigate', { url }, sessionId);
      return {
        log,
        evaluate,
        async waitFor<T>(expression: string, what: string, timeoutMs = 60_000) {
          const deadline = Date.now() + timeoutMs;
          for (;;) {
            const value = await evaluate<T>(expression).catch(() => null);
            if (value) return value;
            if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; page problems: ${JSON.stringify(log.problems)}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        },
        async type(text) {
          await send('Input.insertText', { text }, sessionId);
        },
      };
    },
    async close() {
      await send('Browser.close').catch(() => {});
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
