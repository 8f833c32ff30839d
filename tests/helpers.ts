import type { Test } from 'tap';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { createOrganization, insertApiKey } from '../src/access/api-keys.js';
import type { Scope } from '../src/platform/api-key-crypto.js';
import { openDatabase, type Database } from '../src/platform/database.js';
import { createTestDatabase } from './db.js';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  text: string;
}

export interface Caller {
  key: string;
  organizationId: string;
  request(method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  get(url: string, headers?: Record<string, string>): Promise<Answer>;
  post(url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  patch(url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  put(url: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  del(url: string, headers?: Record<string, string>): Promise<Answer>;
}

export interface TestApp extends Caller {
  app: FastifyInstance;
  database: Database;
  config: Config;
  /** Another organisation with its own key (for tenancy checks). */
  newOrganization(scopes?: Scope[]): Promise<Caller>;
  /** A key of this organisation with other scopes. */
  keyWith(scopes: Scope[]): Promise<Caller>;
  /** Row count of a table, to assert that a refused request wrote nothing. */
  count(table: string): Promise<number>;
  inject(opts: InjectOptions): Promise<Answer>;
  /** Another, independent app instance on the same database, as another API process would be. */
  anotherProcess(env?: Record<string, string>, poolSize?: number): Promise<FastifyInstance>;
}

/**
 * Tables that record the request itself rather than anything it changed (rate-limit counters count
 * every request, refused or not): tests asserting that a refusal wrote nothing leave them out.
 */
export const BOOKKEEPING_TABLES = ['rate_limit_key_windows', 'rate_limit_address_windows', 'rate_limit_peers'];

export const testEnv = (extra: Record<string, string> = {}) => ({
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
  LIAISON_RATE_LIMIT: '100000/minute',
  LIAISON_RATE_LIMIT_UNAUTHENTICATED: '100000/minute',
  LIAISON_WEBHOOK_ALLOW_CIDRS: '127.0.0.1/32,::1/128',
  LIAISON_WEBHOOK_RETRY_SCHEDULE: '1s,2s,4s',
  LIAISON_VERIFY_JSON_TEXT: 'true',
  ...extra,
});

function toAnswer(res: { statusCode: number; headers: Answer['headers']; body: string }): Answer {
  let body: unknown = undefined;
  const type = String(res.headers['content-type'] ?? '');
  if (res.body && type.includes('json')) body = JSON.parse(res.body);
  return { status: res.statusCode, headers: res.headers, body, text: res.body };
}

let unique = 0;
/** A name no other test uses, so tests never depend on each other's records. */
export const uniq = (prefix = 'x') => `${prefix}-${process.pid}-${Date.now().toString(36)}-${unique++}`;

export interface TestAppOptions {
  /** Route the app's database connections elsewhere (a fault-injecting proxy). */
  connectVia?: (databaseUrl: string) => Promise<string> | string;
  poolSize?: number;
}

export async function buildTestApp(t: Test, env: Record<string, string> = {}, opts: TestAppOptions = {}): Promise<TestApp> {
  const testDb = await createTestDatabase();
  const appUrl = opts.connectVia ? await opts.connectVia(testDb.url) : testDb.url;
  // Behind a pooler (LIAISON_DB_POOLER=transaction) the direct connection is the test database itself.
  const direct: Record<string, string> = env.LIAISON_DB_POOLER === 'transaction' ? { LIAISON_DB_DIRECT_URL: testDb.url } : {};
  const config = loadConfig({ ...testEnv({ ...direct, ...env }), DATABASE_URL: appUrl });
  const pooling = { pooler: config.dbPooler, directUrl: config.dbDirectUrl };
  const database = openDatabase(appUrl, { max: opts.poolSize ?? 5, uploads: { max: config.uploadConcurrency, timeoutMs: config.uploadTimeoutMs }, ...pooling });
  const app = await buildApp(config, database, { logger: config.logLevel !== 'silent' });
  await app.ready();
  t.teardown(async () => {
    await app.close();
    await database.close();
    await testDb.drop();
  });

  const inject = async (opts: InjectOptions) => toAnswer(await app.inject(opts));
  const caller = (key: string, organizationId: string): Caller => {
    const request = (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) =>
      inject({
        method: method as InjectOptions['method'],
        url,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        payload: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
    return {
      key,
      organizationId,
      request,
      get: (url, h) => request('GET', url, undefined, h),
      post: (url, b, h) => request('POST', url, b ?? {}, h),
      patch: (url, b, h) => request('PATCH', url, b, h),
      put: (url, b, h) => request('PUT', url, b, h),
      del: (url, h) => request('DELETE', url, undefined, h),
    };
  };
  const newOrganization = async (scopes: Scope[] = ['admin']) => {
    const org = await createOrganization(database.db, uniq('org'));
    const key = await insertApiKey(database.db, org.id, { name: 'test', scopes });
    return caller(key.secret, org.id);
  };
  const main = await newOrganization();
  return {
    ...main,
    app,
    database,
    config,
    inject,
    newOrganization,
    keyWith: async (scopes) => caller((await insertApiKey(database.db, main.organizationId, { name: 'scoped', scopes })).secret, main.organizationId),
    anotherProcess: async (extraEnv = {}, poolSize = 2) => {
      const other = openDatabase(appUrl, { max: poolSize, ...pooling });
      const b = await buildApp(loadConfig({ ...testEnv({ ...direct, ...env, ...extraEnv }), DATABASE_URL: appUrl }), other, { logger: false });
      await b.ready();
      t.teardown(async () => {
        await b.close();
        await other.close();
      });
      return b;
    },
    count: async (table) => {
      const [row] = await database.sql.unsafe(`select count(*)::int as n from "${table}"`);
      return row!.n as number;
    },
  };
}
