import type { AddressInfo } from 'node:net';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { bootstrapFirstOrganization, firstOrganizationWithoutUsedAdminKey, type FirstOrganization } from './access/bootstrap.js';
import { checkListenAddress, listenError } from './listen-address.js';
import { openRuntime } from './runtime.js';
import { startWorkers, type Workers } from './worker.js';

/** Set once a signal has begun the drain: what fails afterwards is the drain's doing, not a failed start. */
let stopping = false;

// parse config, open the database, buildApp, listen, drain on SIGTERM.
// Order matters for the first start: every setting is checked (HOST and PORT by binding them)
// before anything is created, and the port is ours before the first admin key is made and shown.
async function main() {
  const config = loadConfig();
  const serves = config.role !== 'worker';
  if (serves) await checkListenAddress(config.host, config.port);
  const say = (msg: string) => {
    // The embedded server's own log lines are only interesting when debugging.
    if (!msg.startsWith('postgres:') || config.logLevel === 'debug' || config.logLevel === 'trace') process.stderr.write(`liaison: ${msg}\n`);
  };
  const runtime = await openRuntime(config, say);
  const { database } = runtime;

  const app = await buildApp(config, database);
  // Installed before the port is bound: a signal at any moment from here on drains what has
  // started (workers still starting finish starting, then stop) instead of killing the process.
  let workers: Promise<Workers | null> = Promise.resolve(null);
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'draining');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    try {
      await app.close(); // finishes in-flight requests; new ones get 503
      await (await workers.catch(() => null))?.stop(); // deliveries in progress finish or return to the queue
      await runtime.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));

  if (serves) {
    try {
      await app.listen({ port: config.port, host: config.host });
    } catch (err) {
      throw listenError(err, config.host, config.port); // taken since the check: still one line
    }
  }
  const port = serves ? (app.server.address() as AddressInfo).port : config.port;
  const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const first = await bootstrapFirstOrganization(database.db, { fixedKey: config.bootstrapKey, reveal: (f) => printFirstKey(f, base) });
  if (!first && !config.bootstrapKey) {
    const slug = await firstOrganizationWithoutUsedAdminKey(database.db);
    if (slug) {
      process.stdout.write(
        `liaison: no admin key of organisation "${slug}" has been used yet; if you do not have one: npm run cli -- key create --org ${slug} --scopes admin\n`,
      );
    }
  }
  if (config.role !== 'api' && !stopping) workers = startWorkers(config, database, app.log, app.metrics);
  await workers;
}

/** Resolves once the key has reached stdout, so that the transaction creating it may commit. */
function printFirstKey(first: FirstOrganization, base: string): Promise<void> {
  const text =
    `\nFirst start: created organisation "${first.slug}" with an admin API key (shown only this once):\n\n  ${first.key}\n\n` +
    `Try: curl -H "Authorization: Bearer ${first.key}" ${base}/v1/departments\n` +
    `Docs: ${base}/docs\n\n`;
  return new Promise((resolve, reject) => process.stdout.write(text, (err) => (err ? reject(err) : resolve())));
}

main().catch((err) => {
  if (stopping) return; // the drain exits
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`liaison: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
