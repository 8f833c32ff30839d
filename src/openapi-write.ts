import { writeFileSync } from 'node:fs';
import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { openDatabase } from './platform/database.js';

/** The OpenAPI document as the app describes itself, with stable key order for a readable diff. */
export async function generateOpenApi(): Promise<string> {
  const config = loadConfig({ LOG_LEVEL: 'silent' });
  // Never connected: postgres.js opens connections lazily and a describe-only app issues no query.
  const database = openDatabase('postgres://describe-only@127.0.0.1:1/none', { max: 1 });
  const app = await buildApp(config, database, { logger: false, describeOnly: true });
  await app.ready();
  const doc = app.swagger();
  await app.close();
  await database.close();
  return `${JSON.stringify(doc, null, 2)}\n`;
}

const target = new URL('../openapi/openapi.json', import.meta.url);
if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  writeFileSync(target, await generateOpenApi());
  process.stdout.write(`wrote ${target.pathname}\n`);
}
