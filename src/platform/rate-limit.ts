import type { FastifyInstance, FastifyRequest } from 'fastify';
import rateLimit, { normalizeIP, type FastifyRateLimitStore } from '@fastify/rate-limit';
import type postgres from 'postgres';
import type { Config } from '../config.js';
import type { UnauthenticatedLimit } from './auth.js';
import { HttpProblem } from './errors.js';
import { SharedCounters, type Take } from './shared-counters.js';
import { routeConfigOf } from './route-config.js';

const retryAfter = (ms: number) => String(Math.max(1, Math.ceil(ms / 1000)));

/** The plugin's count for a take: a refused request is not counted (nothing to share), and the plugin refuses when current > max. */
const countOf = (t: Take, max: number) => ({ current: t.admitted ? t.count : max + 1, ttl: t.resetInMs });

/**
 * @fastify/rate-limit's store interface over the counters every API process shares: the limit per
 * API key holds across processes (SPEC §4). The plugin's key is `organizationId/keyId`.
 */
function sharedStore(counters: SharedCounters) {
  return class SharedStore implements FastifyRateLimitStore {
    incr(key: string, cb: (err: Error | null, res?: { current: number; ttl: number }) => void, timeWindow: number, max: number) {
      const [organizationId, keyId] = key.split('/') as [string, string];
      const subject = { organizationId, keyId };
      // Decided at once while the key is within its allowance, without a closure (this runs on every request).
      const now = counters.tryTake(subject, max, timeWindow);
      if (now) return cb(null, countOf(now, max));
      counters.take(subject, max, timeWindow).then((t) => cb(null, countOf(t, max)), (err: Error) => cb(err));
    }
    child() {
      return this;
    }
  };
}

/**
 * Rate limits: per API key (LIAISON_RATE_LIMIT) and, for requests that carry no valid key, per
 * client address (LIAISON_RATE_LIMIT_UNAUTHENTICATED), both counted across every API process
 * sharing the database. Public routes (health, docs) and unknown routes are not limited.
 * Returns the limit the authentication hook applies before it looks a key up.
 */
export async function registerRateLimit(app: FastifyInstance, config: Config, sql: postgres.Sql, opts: { describeOnly?: boolean } = {}): Promise<UnauthenticatedLimit> {
  const counters = new SharedCounters(sql, app.log, Math.max(config.rateLimit.timeWindowMs, config.unauthenticatedRateLimit.timeWindowMs));
  // A worker serves only public routes: it counts nothing and must not count as a process sharing the limits.
  if (!opts.describeOnly && config.role !== 'worker') {
    await counters.start();
    app.addHook('onClose', () => counters.stop());
  }

  await app.register(rateLimit, {
    global: true,
    // After authentication, which names the key.
    hook: 'preHandler',
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.timeWindowMs,
    store: sharedStore(counters),
    keyGenerator: (req) => (req.auth ? `${req.auth.organizationId}/${req.auth.keyId}` : ''),
    allowList: (req) => {
      const config = routeConfigOf(req);
      return config.public === true || !config.url;
    },
    errorResponseBuilder: (_req, ctx) =>
      new HttpProblem(429, `Rate limit of ${ctx.max} requests per ${ctx.after} exceeded for this API key.`, undefined, {
        'retry-after': retryAfter(ctx.ttl),
      }),
  });

  const { max, timeWindowMs } = config.unauthenticatedRateLimit;
  // IPv6 clients are counted per /64, the block one subscriber usually holds.
  const subject = (req: FastifyRequest) => ({ address: normalizeIP(req.ip) });
  const spent = (resetInMs: number) =>
    new HttpProblem(429, `Too many requests without a valid API key from this address (at most ${max} per window); retry later.`, undefined, {
      'retry-after': retryAfter(resetInMs),
    });
  return {
    check(req) {
      const seen = counters.peek(subject(req), timeWindowMs);
      if (seen.count >= max) throw spent(seen.resetInMs);
    },
    async count(req) {
      // The check saw this process's view; counting may find the others have spent the rest meanwhile.
      const taken = await counters.take(subject(req), max, timeWindowMs);
      if (!taken.admitted) throw spent(taken.resetInMs);
    },
  };
}
