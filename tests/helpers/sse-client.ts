import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';
import type { TestApp } from '../helpers.js';

export interface Frame {
  id?: string;
  event?: string;
  data?: { id: string; type: string; timestamp: string; data: Record<string, unknown> };
  at: number;
}

export interface Client {
  status: number;
  headers: http.IncomingHttpHeaders;
  frames: Frame[];
  comments: string[];
  waitFor(n: number, timeoutMs?: number): Promise<Frame[]>;
  close(): void;
  closed: Promise<void>;
  res: http.IncomingMessage;
}

/** A minimal EventSource: parses `id:`/`event:`/`data:` frames and `:` comments. */
export function openStream(t: Test, base: string, key: string, path = '/v1/events/stream', headers: Record<string, string> = {}): Promise<Client> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${base}${path}`, { headers: { authorization: `Bearer ${key}`, accept: 'text/event-stream', ...headers } }, (res) => {
      const frames: Frame[] = [];
      const comments: string[] = [];
      let buffer = '';
      let wake = () => {};
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: Frame = { at: Date.now() };
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) comments.push(line.slice(1).trim());
            else if (line.startsWith('id: ')) frame.id = line.slice(4);
            else if (line.startsWith('event: ')) frame.event = line.slice(7);
            else if (line.startsWith('data: ')) frame.data = JSON.parse(line.slice(6));
          }
          if (frame.id) frames.push(frame);
        }
        wake();
      });
      // The socket, not the response: a paused response may never get to emit its own events.
      const closed = new Promise<void>((r) => res.socket.once('close', () => r()));
      const client: Client = {
        status: res.statusCode!,
        headers: res.headers,
        frames,
        comments,
        res,
        closed,
        waitFor: (n, timeoutMs = 5000) =>
          new Promise((ok, fail) => {
            const timer = setTimeout(() => fail(new Error(`stream got ${frames.length} of ${n} frames`)), timeoutMs);
            wake = () => {
              if (frames.length >= n) {
                clearTimeout(timer);
                ok(frames.slice());
              }
            };
            wake();
          }),
        close: () => req.destroy(),
      };
      t.teardown(() => req.destroy());
      resolve(client);
    });
    req.on('error', reject);
  });
}

export async function listen(api: TestApp): Promise<string> {
  await api.app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(api.app.server.address() as AddressInfo).port}`;
}

