import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import { createOrganization, findOrganizationBySlug, insertApiKey } from './access/api-keys.js';
import { SCOPES, type Scope } from './platform/api-key-crypto.js';
import type { Db } from './platform/database.js';
import { openRuntime } from './runtime.js';

const usage = `Usage: liaison <command>
  migrate                                   apply database migrations
  org create <slug> [--name <name>]         create an organisation
  key create --org <slug> --scopes read,write[,webhooks,admin,act_as,confidential] [--name <name>]
                                            create an API key and print it (shown once)
  serve                                     run the API and/or worker (LIAISON_ROLE)
  help, --help, -h                          print this help

Settings are environment variables (DATABASE_URL, PORT, HOST, ...; see the README).`;

class UsageError extends Error {
  constructor(message: string, readonly withUsage = false) {
    super(message);
  }
}

/** What the command line asks for, checked in full before any database is opened. */
type Command =
  | { kind: 'help' }
  | { kind: 'serve' }
  | { kind: 'migrate' }
  | { kind: 'org'; slug: string; name: string }
  | { kind: 'key'; org: string; scopes: Scope[]; name: string };

function parseCommand(argv: string[]): Command {
  const [command, sub, ...rest] = argv;
  if (command === 'help' || argv.includes('--help') || argv.includes('-h')) return { kind: 'help' };
  if (command === 'serve' && argv.length === 1) return { kind: 'serve' };
  if (command === 'migrate' && argv.length === 1) return { kind: 'migrate' };
  if (command === 'org' && sub === 'create') {
    const { values, positionals } = strictArgs(rest, { name: { type: 'string' } }, true);
    const slug = positionals[0];
    if (!slug || positionals.length > 1 || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(slug)) throw new UsageError('org create needs one slug of lowercase letters, digits and dashes');
    return { kind: 'org', slug, name: values.name ?? slug };
  }
  if (command === 'key' && sub === 'create') {
    const { values } = strictArgs(rest, { org: { type: 'string' }, scopes: { type: 'string' }, name: { type: 'string' } }, false);
    if (!values.org) throw new UsageError('key create needs --org <slug> of an existing organisation');
    const scopes = (values.scopes ?? '').split(',').map((s) => s.trim()).filter(Boolean);
    if (scopes.length === 0 || scopes.some((s) => !SCOPES.includes(s as Scope))) {
      throw new UsageError(`--scopes must list some of ${SCOPES.join(', ')}`);
    }
    return { kind: 'key', org: values.org, scopes: scopes as Scope[], name: values.name ?? 'cli' };
  }
  throw new UsageError(command === undefined ? 'no command given' : `unknown command: ${argv.join(' ')}`, true);
}

/** parseArgs, with its complaints (unknown option, missing value) as usage errors rather than crashes. */
function strictArgs<O extends Record<string, { type: 'string' }>>(args: string[], options: O, allowPositionals: boolean) {
  try {
    return parseArgs({ args, options, allowPositionals, strict: true });
  } catch (err) {
    if (String((err as NodeJS.ErrnoException).code).startsWith('ERR_PARSE_ARGS')) throw new UsageError((err as Error).message);
    throw err;
  }
}

async function run(command: Command, db: Db): Promise<void> {
  switch (command.kind) {
    case 'migrate':
      process.stdout.write('migrations applied\n'); // openRuntime applied them
      return;
    case 'org': {
      if (await findOrganizationBySlug(db, command.slug)) throw new UsageError(`organisation "${command.slug}" already exists`);
      const org = await createOrganization(db, command.slug, command.name);
      process.stdout.write(`${org.id}\n`);
      return;
    }
    case 'key': {
      const org = await findOrganizationBySlug(db, command.org);
      if (!org) throw new UsageError('key create needs --org <slug> of an existing organisation');
      const key = await insertApiKey(db, org.id, { name: command.name, scopes: command.scopes });
      process.stdout.write(`${key.secret}\n`);
      return;
    }
  }
}

async function main(argv: string[]): Promise<number> {
  const command = parseCommand(argv);
  if (command.kind === 'help') {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (command.kind === 'serve') {
    await import('./server.js');
    return -1; // the server owns the process from here
  }
  const config = loadConfig();
  const runtime = await openRuntime(config, (m) => process.stderr.write(`liaison: ${m}\n`), { poolSize: 2 });
  try {
    await run(command, runtime.database.db);
    return 0;
  } finally {
    await runtime.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err) => {
    // A command line that cannot be run gets the usage after the reason; a configuration error
    // is already one printable line per bad setting.
    if (err instanceof UsageError) {
      process.stderr.write(`liaison: ${err.message}\n${err.withUsage ? `${usage}\n` : ''}`);
      process.exit(2);
    }
    process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `liaison: ${(err as Error).stack}\n`);
    process.exit(1);
  },
);
