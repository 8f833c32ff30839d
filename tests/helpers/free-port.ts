import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 at the moment of asking, for a server process a test starts. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise((r) => srv.close(r));
  return port;
}
