import { createServer, connect, type Socket } from 'node:net';

export type ProxyMode = 'pass' | 'cut' | 'blackhole';

/**
 * A loopback TCP proxy in front of PostgreSQL that a test can cut (close every connection and
 * refuse new ones) or black-hole (accept and forward nothing), to see how the service behaves
 * when its database goes away and comes back.
 */
export async function startDbProxy(targetUrl: string) {
  const target = new URL(targetUrl);
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let mode: ProxyMode = 'pass';
  const server = createServer((client) => {
    if (mode === 'cut') return client.destroy();
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    if (mode === 'blackhole') return;
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(upstream);
    upstream.on('close', () => (sockets.delete(upstream), client.destroy()));
    upstream.on('error', () => client.destroy());
    const pair: [Socket, Socket] = [client, upstream];
    pairs.add(pair);
    client.on('close', () => (upstream.destroy(), pairs.delete(pair)));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const url = new URL(targetUrl);
  url.hostname = '127.0.0.1';
  url.port = String(port);
  return {
    url: url.toString(),
    set(next: ProxyMode) {
      mode = next;
      if (next === 'cut') {
        for (const s of sockets) s.destroy();
        sockets.clear();
      }
      // A black hole keeps connections open but stops carrying bytes either way.
      if (next === 'blackhole') for (const [a, b] of pairs) (a.unpipe(b), b.unpipe(a));
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
