import net from 'node:net';
import { ConfigError } from './config.js';

// HOST and PORT can only be checked by binding them: whether the port is free, whether the
// address belongs to this machine, whether the name resolves. The server binds them once before
// it creates anything (embedded cluster, first organisation), so a taken port costs nothing, and
// every failure to bind reads as one line naming the setting to change.

/** Binds HOST:PORT and lets go again; throws a ConfigError when that is not possible. */
export async function checkListenAddress(host: string, port: number): Promise<void> {
  const probe = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      probe.once('error', reject);
      probe.listen({ host, port }, resolve);
    });
  } catch (err) {
    throw listenError(err, host, port);
  }
  await new Promise((resolve) => probe.close(resolve));
}

/** The one line that says why HOST:PORT could not be bound; anything unforeseen is passed on. */
export function listenError(err: unknown, host: string, port: number): unknown {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const where = `cannot listen on ${host.includes(':') ? `[${host}]` : host}:${port}`;
  switch (code) {
    case 'EADDRINUSE':
      return new ConfigError(`liaison: ${where}: port ${port} is already in use by another program (stop it, or set PORT to a free port)`);
    case 'EACCES':
      return new ConfigError(`liaison: ${where}: permission denied (ports below 1024 need privileges; set PORT to 1024 or above)`);
    case 'EADDRNOTAVAIL':
      return new ConfigError(`liaison: ${where}: HOST ${host} is not an address of this machine (set HOST to one, such as 127.0.0.1 or 0.0.0.0)`);
    case 'EAFNOSUPPORT':
      return new ConfigError(`liaison: ${where}: this machine does not support the address family of HOST ${host}`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_FAIL':
    case 'EAI_NONAME':
    case 'EAI_NODATA':
      return new ConfigError(`liaison: ${where}: HOST ${host} does not resolve to an address (set HOST to an IP address or a name that resolves)`);
    default:
      return err;
  }
}
