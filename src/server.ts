import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { bootstrapFirstOrganization } from './access/bootstrap.js';
import { openRuntime } from './runtime.js';
import { startWorkers } from './worker.js';

// parse config, open the database, buildApp, listen, drain on SIGTERM.
async function main() {
  const config = loadConfig();
  const say = (msg: string) => {
    // The embedded server's own log lines are only interesting when debugging.
    if (!msg.startsWith('postgres:') || config.logLevel === 'debug' || config.logLevel === 'trace') process.stderr.write(`liaison: ${msg}\n`);
  };
  const runtime = await openRuntime(config, say);
  const { database } = runtime;

  const first = await bootstrapFirstOrganization(database.db, config.bootstrapKey);
  const app = await buildApp(config, database);
  const workers = config.role === 'api' ? null : await startWorkers(config, database, app.log, app.metrics);

  await app.listen({ port: config.port, host: config.host });
  if (first) {
    const base = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
    process.stdout.write(
      `\nFirst start: created organisation "${first.slug}" with an admin API key (shown only this once):\n\n  ${first.key}\n\n` +
        `Try: curl -H "Authorization: Bearer ${first.key}" ${base}/v1/departments\n` +
        `Docs: ${base}/docs\n\n`,
    );
  }

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'draining');
    const force = setTimeout(() => process.exit(1), 30_000);
    force.unref();
    try {
      await app.close(); // finishes in-flight requests; new ones get 503
      await workers?.stop(); // deliveries in progress finish or return to the queue
      await runtime.close();
      process.exit(0);
    } catch (err) {
      app.log.error({ err }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err) => {
  if (err instanceof ConfigError) process.stderr.write(`${err.message}\n`);
  else process.stderr.write(`liaison: failed to start: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
  process.exit(1);
});
