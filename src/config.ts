import net from 'node:net';
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { parseAllowCidrs } from './webhooks/ssrf.js';

// Every setting the service reads, parsed once at start. A wrong value stops the process with a
// message that names the variable (see loadConfig).
const duration = /^\d+(ms|s|m|h|d)(,\d+(ms|s|m|h|d))*$/;
const rate = /^\d+\/(second|minute|hour)$/;
// A DNS name by RFC 1123 syntax; whether it resolves is found out when the port is bound.
const hostName = /^(?=.{1,253}\.?$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

const EnvSchema = z.object({
  DATABASE_URL: z.url().optional(),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z
    .string()
    .refine((v) => net.isIP(v) !== 0 || hostName.test(v), 'must be an IP address or a host name, such as 127.0.0.1, 0.0.0.0, ::1 or localhost')
    .default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LIAISON_DATA_DIR: z.string().min(1).default('./.liaison'),
  LIAISON_ROLE: z.enum(['api', 'worker', 'all']).default('all'),
  LIAISON_BOOTSTRAP_KEY: z
    .string()
    .regex(/^lsn_[A-Za-z0-9_-]{24,}$/, 'must look like lsn_ followed by at least 24 URL-safe characters')
    .optional(),
  // Checked here, with the guard's own parser, so that a typo stops the start before anything is
  // created rather than when the webhook routes are built.
  LIAISON_WEBHOOK_ALLOW_CIDRS: z
    .string()
    .superRefine((v, ctx) => {
      try {
        parseAllowCidrs(v);
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: (err as Error).message.replace(/^LIAISON_WEBHOOK_ALLOW_CIDRS: /, '') });
      }
    })
    .default(''),
  LIAISON_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(15_000),
  LIAISON_WEBHOOK_RETRY_SCHEDULE: z
    .string()
    .regex(duration, 'must be a comma-separated list of durations such as 5s,5m,30m,2h')
    .default('5s,5m,30m,2h,5h,10h,14h,20h,24h'),
  LIAISON_MATERIAL_MAX_BYTES: z.coerce.number().int().min(1).max(1024 ** 3).default(25 * 1024 * 1024),
  LIAISON_RATE_LIMIT: z.string().regex(rate, 'must look like 600/minute').default('1200/minute'),
  /** Requests without a valid API key, per client address. */
  LIAISON_RATE_LIMIT_UNAUTHENTICATED: z.string().regex(rate, 'must look like 300/minute').default('300/minute'),
  LIAISON_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(1024 * 1024),
  LIAISON_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  LIAISON_HANDLER_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(20_000),
  LIAISON_EVENT_RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  /** How often the worker's scheduler fires what is due (reminders, overdue issues) and runs its maintenance. */
  LIAISON_SCHEDULER_TICK_MS: z.coerce.number().int().min(100).max(60_000).default(15_000),
  /** Event streams (SSE) one API key may hold open at once, across every API process. */
  LIAISON_STREAMS_PER_KEY: z.coerce.number().int().min(1).max(10_000).default(20),
  LIAISON_DB_POOL_SIZE: z.coerce.number().int().min(2).max(200).optional(),
  /** `transaction`: DATABASE_URL is a pooler in transaction mode (PgBouncer); see platform/database.ts. */
  LIAISON_DB_POOLER: z.enum(['none', 'transaction']).default('none'),
  /** The database itself, bypassing the pooler, for what needs a session (LISTEN, migrations' lock). */
  LIAISON_DB_DIRECT_URL: z.url().optional(),
  /** File uploads streamed at once per process, each on a connection of the uploads' own pool. */
  LIAISON_UPLOAD_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(4),
  /** Checks JSON rendered in SQL against the response schema on every answer (tests; costs CPU). */
  LIAISON_VERIFY_JSON_TEXT: z.enum(['true', 'false']).default('false'),
}).superRefine((e, ctx) => {
  // Behind a transaction pooler a session lasts one transaction: what needs a session must be
  // able to reach the database without it, and there must be a pooler to be behind.
  if (e.LIAISON_DB_POOLER !== 'transaction') return;
  if (!e.LIAISON_DB_DIRECT_URL || e.LIAISON_DB_DIRECT_URL === e.DATABASE_URL) {
    ctx.addIssue({ code: 'custom', path: ['LIAISON_DB_DIRECT_URL'], message: 'is required when LIAISON_DB_POOLER=transaction: the database itself, not the pooler that DATABASE_URL names' });
  }
  if (!e.DATABASE_URL) {
    ctx.addIssue({ code: 'custom', path: ['LIAISON_DB_POOLER'], message: 'transaction needs DATABASE_URL to name the pooler (the embedded PostgreSQL has none in front of it)' });
  }
});

export type Env = z.infer<typeof EnvSchema>;

export interface Config {
  databaseUrl: string | undefined;
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  dataDir: string;
  role: Env['LIAISON_ROLE'];
  bootstrapKey: string | undefined;
  webhookAllowCidrs: string;
  webhookTimeoutMs: number;
  webhookRetrySchedule: string;
  materialMaxBytes: number;
  rateLimit: RateLimit;
  unauthenticatedRateLimit: RateLimit;
  bodyLimitBytes: number;
  requestTimeoutMs: number;
  handlerTimeoutMs: number;
  eventRetentionDays: number;
  schedulerTickMs: number;
  streamsPerKey: number;
  verifyJsonText: boolean;
  dbPoolSize: number;
  dbPooler: Env['LIAISON_DB_POOLER'];
  /** Where session-bound work connects: LIAISON_DB_DIRECT_URL, else the database URL itself. */
  dbDirectUrl: string | undefined;
  uploadConcurrency: number;
  /** An upload's deadline: the longer of the request-receive and handler time-outs. */
  uploadTimeoutMs: number;
}

/** A start-up problem the operator fixes in the environment; the message is ready to print, one line per problem. */
export class ConfigError extends Error {}

const windows = { second: 1000, minute: 60_000, hour: 3_600_000 } as const;

export interface RateLimit {
  max: number;
  timeWindowMs: number;
}

function parseRate(value: string): RateLimit {
  const [max, unit] = value.split('/') as [string, keyof typeof windows];
  return { max: Number(max), timeWindowMs: windows[unit] };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = EnvSchema.safeParse(input);
  if (!parsed.success) {
    // One line per bad setting, naming it, so that it reads at a glance in a terminal or a log.
    const lines = parsed.error.issues.map((i) => `liaison: invalid setting ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(lines.join('\n'));
  }
  const e = parsed.data;
  return {
    databaseUrl: e.DATABASE_URL,
    port: e.PORT,
    host: e.HOST,
    logLevel: e.LOG_LEVEL,
    dataDir: e.LIAISON_DATA_DIR,
    role: e.LIAISON_ROLE,
    bootstrapKey: e.LIAISON_BOOTSTRAP_KEY,
    webhookAllowCidrs: e.LIAISON_WEBHOOK_ALLOW_CIDRS,
    webhookTimeoutMs: e.LIAISON_WEBHOOK_TIMEOUT_MS,
    webhookRetrySchedule: e.LIAISON_WEBHOOK_RETRY_SCHEDULE,
    materialMaxBytes: e.LIAISON_MATERIAL_MAX_BYTES,
    rateLimit: parseRate(e.LIAISON_RATE_LIMIT),
    unauthenticatedRateLimit: parseRate(e.LIAISON_RATE_LIMIT_UNAUTHENTICATED),
    bodyLimitBytes: e.LIAISON_BODY_LIMIT_BYTES,
    requestTimeoutMs: e.LIAISON_REQUEST_TIMEOUT_MS,
    handlerTimeoutMs: e.LIAISON_HANDLER_TIMEOUT_MS,
    eventRetentionDays: e.LIAISON_EVENT_RETENTION_DAYS,
    schedulerTickMs: e.LIAISON_SCHEDULER_TICK_MS,
    streamsPerKey: e.LIAISON_STREAMS_PER_KEY,
    verifyJsonText: e.LIAISON_VERIFY_JSON_TEXT === 'true',
    // About twice the cores plus one (the usual sizing for a database on this machine): fewer
    // connections than callers lets postgres.js pipeline queries, which costs fewer system calls
    // and wake-ups than one connection per query.
    dbPoolSize: e.LIAISON_DB_POOL_SIZE ?? Math.min(10, 2 * availableParallelism() + 1),
    dbPooler: e.LIAISON_DB_POOLER,
    dbDirectUrl: e.LIAISON_DB_DIRECT_URL ?? e.DATABASE_URL,
    // Uploads hold their connection while the client sends the file, so they get their own pool
    // (and 503 beyond it) rather than a share of the one every other request needs.
    uploadConcurrency: e.LIAISON_UPLOAD_CONCURRENCY,
    // A 25 MiB file on a slow link takes longer than the general handler deadline of 20 s.
    uploadTimeoutMs: Math.max(e.LIAISON_HANDLER_TIMEOUT_MS, e.LIAISON_REQUEST_TIMEOUT_MS),
  };
}
