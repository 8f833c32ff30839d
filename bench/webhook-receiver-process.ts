import { createServer, type Server } from 'node:http';
import { Webhook } from 'standardwebhooks';
import { now } from './webhook-receipts.js';

// The bench's webhook endpoints, a process of their own (started by webhook-receipts.ts): a
// receiver that shared the producers' event loop would answer late whenever they are busy, and
// the deliverer would be measured waiting on the bench.

/** Every this many receipts per endpoint, the signature is checked (each check costs the receiver). */
const VERIFY_EVERY = 50;
/** How often receipts are reported to the bench process; each carries its own arrival time. */
const REPORT_MS = 20;

/** A receipt: endpoint index, webhook-id, arrival time (ms since the epoch), signature 0 unchecked / 1 good / 2 bad. */
export type Receipt = [endpoint: number, id: string, at: number, signature: 0 | 1 | 2];
/** What the receivers tell the bench process. */
export type ReceiverMessage = { type: 'ready'; urls: string[] } | { type: 'receipts'; receipts: Receipt[] };
/** What the bench process tells the receivers: each endpoint's signing secret (index = endpoint). */
export type ReceiverCommand = { type: 'secrets'; secrets: string[] };

const count = Number(process.argv[2]);
let secrets: string[] = [];
let pending: Receipt[] = [];
const send = (m: ReceiverMessage) => process.send!(m);

process.on('message', (m: ReceiverCommand) => {
  if (m.type === 'secrets') secrets = m.secrets;
});
process.on('disconnect', () => process.exit(0));
setInterval(() => {
  if (pending.length === 0) return;
  send({ type: 'receipts', receipts: pending });
  pending = [];
}, REPORT_MS);

const servers: Server[] = [];
for (let i = 0; i < count; i++) {
  let n = 0;
  const server = createServer((req, res) => {
    const id = String(req.headers['webhook-id']);
    const verify = n++ % VERIFY_EVERY === 0 && secrets[i] !== undefined;
    const chunks: Buffer[] = [];
    if (verify) req.on('data', (c: Buffer) => chunks.push(c));
    else req.resume();
    req.on('end', () => {
      const at = now();
      let signature: Receipt[3] = 0;
      if (verify) {
        try {
          new Webhook(secrets[i]!).verify(Buffer.concat(chunks).toString('utf8'), req.headers as Record<string, string>);
          signature = 1;
        } catch {
          signature = 2;
        }
      }
      pending.push([i, id, at, signature]);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  servers.push(server);
}
send({ type: 'ready', urls: servers.map((s) => `http://127.0.0.1:${(s.address() as { port: number }).port}/hook`) });
