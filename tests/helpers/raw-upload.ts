import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';

export interface RawAnswer {
  status: number;
  headers: Record<string, string>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Milliseconds from the request's first byte to the answer's. */
  after: number;
}

/**
 * A multipart upload over a raw TCP socket that sends its request head, the part's header and the
 * first `sentBytes` of a file it announces as `fileBytes` long (Content-Length is honest about the
 * whole body), and then does nothing more unless told to: the way a stalled or hostile client
 * behaves, which no HTTP client library will do for a test.
 */
export async function startRawUpload(port: number, path: string, key: string, opts: { sentBytes: number; fileBytes?: number; headOnly?: boolean }) {
  const boundary = `----stall${randomBytes(6).toString('hex')}`;
  const partHead = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="stalled.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
  const fileBytes = opts.fileBytes ?? 1024 * 1024;
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const head = Buffer.from(
    `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${key}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${partHead.length + fileBytes + tail.length}\r\n\r\n`,
  );
  const file = Buffer.alloc(fileBytes, 0x41);
  Buffer.from('%PDF-1.7\n').copy(file);
  const body = Buffer.concat([partHead, file, tail]);

  const socket: Socket = connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  const started = Date.now();
  let received = Buffer.alloc(0);
  socket.on('data', (d) => (received = Buffer.concat([received, d])));
  // The client never closes its side: only the server can end this connection.
  const closed = new Promise<number>((resolve) => socket.on('close', () => resolve(Date.now())));
  socket.on('error', () => {});
  socket.write(head);
  let sent = 0;
  if (!opts.headOnly) {
    sent = partHead.length + opts.sentBytes;
    socket.write(body.subarray(0, sent));
  }

  const answer = new Promise<RawAnswer>((resolve, reject) => {
    const check = () => {
      const end = received.indexOf('\r\n\r\n');
      if (end < 0) return;
      const lines = received.subarray(0, end).toString('latin1').split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines.slice(1)) {
        const i = line.indexOf(':');
        headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      if (received.length < end + 4 + length) return;
      const text = received.subarray(end + 4, end + 4 + length).toString('utf8');
      socket.off('data', check);
      resolve({ status: Number(lines[0]!.split(' ')[1]), headers, body: text && headers['content-type']?.includes('json') ? JSON.parse(text) : text, after: Date.now() - started });
    };
    socket.on('data', check);
    socket.on('close', () => reject(new Error(`the connection closed without a complete answer (${received.length} bytes)`)));
  });
  answer.catch(() => {});

  let trickle: NodeJS.Timeout | null = null;
  return {
    socket,
    answer,
    /** When the server closed the connection (a timestamp). */
    closed,
    /** Sends one more byte of the body every `everyMs`, for ever (until the socket closes). */
    trickle(everyMs: number) {
      trickle = setInterval(() => {
        if (sent >= body.length || socket.destroyed) return;
        socket.write(body.subarray(sent, sent + 1));
        sent++;
      }, everyMs);
      socket.on('close', () => clearInterval(trickle!));
    },
    /** Sends the rest of the body at once. */
    finish() {
      socket.write(body.subarray(sent));
      sent = body.length;
    },
    destroy() {
      if (trickle) clearInterval(trickle);
      socket.destroy();
    },
  };
}
