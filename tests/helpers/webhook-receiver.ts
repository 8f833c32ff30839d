import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceiverResponse {
  status?: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  delayMs?: number;
  /** true: never answer; 'body': send headers and the first part of the body, then stall. */
  hang?: boolean | 'body';
}

export interface ReceivedRequest {
  id: string | undefined;
  timestamp: string | undefined;
  signature: string | undefined;
  body: string;
  parsed: unknown;
  verified: boolean;
  headers: http.IncomingHttpHeaders;
  receivedAt: Date;
  method: string | undefined;
  path: string | undefined;
}

export interface Receiver {
  url: string;
  port: number;
  received: ReceivedRequest[];
  readonly connections: number;
  respondWith(...responses: ReceiverResponse[]): void;
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

function header(req: http.IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function verifyAny(secrets: string[], body: string, req: http.IncomingMessage): boolean {
  const headers = {
    'webhook-id': header(req, 'webhook-id') ?? '',
    'webhook-timestamp': header(req, 'webhook-timestamp') ?? '',
    'webhook-signature': header(req, 'webhook-signature') ?? '',
  };
  return secrets.some((secret) => {
    try {
      new Webhook(secret).verify(body, headers);
      return true;
    } catch {
      return false;
    }
  });
}

/** A real HTTP server on 127.0.0.1 that checks signatures the way a customer's receiver would. */
export async function startReceiver(
  secret: string | string[],
  opts: { defaultResponse?: ReceiverResponse } = {},
): Promise<Receiver> {
  const secrets = Array.isArray(secret) ? secret : [secret];
  const queue: ReceiverResponse[] = [];
  const received: ReceivedRequest[] = [];
  const waiters: Array<() => void> = [];
  const sockets = new Set<Socket>();
  let connections = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      let parsed: unknown;
      try {
        parsed = JSON.parse(body);
      } catch {
        parsed = undefined;
      }
      received.push({
        id: header(req, 'webhook-id'),
        timestamp: header(req, 'webhook-timestamp'),
        signature: header(req, 'webhook-signature'),
        body,
        parsed,
        verified: verifyAny(secrets, body, req),
        headers: req.headers,
        receivedAt: new Date(),
        method: req.method,
        path: req.url,
      });
      for (const wake of waiters.splice(0)) wake();

      const response = queue.shift() ?? opts.defaultResponse ?? { status: 204 };
      if (response.hang === true) return;
      setTimeout(() => {
        res.writeHead(response.status ?? 204, response.headers);
        if (response.hang === 'body') {
          res.write(response.body ?? 'partial');
          return;
        }
        res.end(response.body);
      }, response.delayMs ?? 0);
    });
  });
  server.on('connection', (socket: Socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    received,
    get connections() {
      return connections;
    },
    respondWith(...responses) {
      queue.push(...responses);
    },
    waitFor(count, timeoutMs = 2000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          reject(new Error(`receiver got ${received.length} of ${count} expected requests within ${timeoutMs} ms`));
        }, timeoutMs);
        const check = () => {
          if (received.length >= count) {
            clearTimeout(timer);
            resolve(received.slice());
          } else {
            waiters.push(check);
          }
        };
        check();
      });
    },
    close() {
      // Hanging responses would otherwise keep server.close() waiting forever.
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
