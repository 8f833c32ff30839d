import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { createOrganization, findOrganizationBySlug, insertApiKey } from './access/api-keys.js';
import { SCOPES, type Scope } from './platform/api-key-crypto.js';
import { openRuntime } from './runtime.js';

const usage = `Usage: liaison <command>
  migrate                                   apply database migrations
  org create <slug> [--name <name>]         create an organisation
  key create --org <slug> --scopes read,write[,webhooks,admin] [--name <name>]
                                            create an API key and print it (shown once)
  serve                                     run the API and/or worker (LIAISON_ROLE)`;

async function main(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  if (command === 'serve') {
    await import('./server.js');
    return -1; // the server owns the process from here
  }
  if (command !== 'migrate' && !(command === 'org' && sub === 'create') && !(command === 'key' && sub === 'create')) {
    process.stderr.write(`${usage}\n`);
    return 2;
  }
  const config = loadConfig();
  const runtime = await openRuntime(config, (m) => process.stderr.write(`liaison: ${m}\n`), { poolSize: 2 });
  try {
    const db = runtime.database.db;
    if (command === 'migrate') {
      process.stdout.write('migrations applied\n');
      return 0;
    }
    if (command === 'org') {
      const { values, positionals } = parseArgs({ args: rest, options: { name: { type: 'string' } }, allowPositionals: true });
      const slug = positionals[0];
      if (!slug || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) throw new UsageError('org create needs a slug of lowercase letters, digits and dashes');
      if (await findOrganizationBySlug(db, slug)) throw new UsageError(`organisation "${slug}" already exists`);
      const org = await createOrganization(db, slug, values.name ?? slug);
      process.stdout.write(`${org.id}\n`);
      return 0;
    }
    const { values } = parseArgs({ args: rest, options: { org: { type: 'string' }, scopes: { type: 'string' }, name: { type: 'string' } } });
    const org = values.org ? await findOrganizationBySlug(db, values.org) : null;
    if (!org) throw new UsageError(`key create needs --org <slug> of an existing organisation`);
    const scopes = (values.scopes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s as Scope))) {
      throw new UsageError(`--scopes must list some of ${SCOPES.join(', ')}`);
    }
    const key = await insertApiKey(db, org.id, { name: values.name ?? 'cli', scopes: scopes as Scope[] });
    process.stdout.write(`${key.secret}\n`);
    return 0;
  } finally {
    await runtime.close();
  }
}

class UsageError extends Error {}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    process.stderr.write(`liaison: ${err instanceof UsageError || err instanceof ConfigError ? err.message : (err as Error).stack}\n`);
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
