import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type postgres from 'postgres';
import { migrationsPending } from './database.js';
import { ServiceUnavailable } from './errors.js';
import { errorResponses } from './schemas.js';

const Health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });
// These routes take no input that can be wrong, so their only error answer is the one a process
// gives while it drains.
const closing = { ...errorResponses[503], description: 'The process is shutting down.' };

/** Liveness, readiness and metrics: no API key, no rate limit. */
export function operationsRoutes(sql: postgres.Sql, onQueueGauges?: () => Promise<void>): FastifyPluginAsyncZod {
  return async (app) => {
    const config = { public: true };
    const tags = ['Operations'];
    app.get('/healthz', {
      config,
      schema: {
        operationId: 'getHealth', tags, summary: 'Liveness: the process is up', security: [],
        description: 'Answers 200 while the process serves requests, whatever the state of the database (see `/readyz` for that). Needs no API key and is never rate limited. Answers 503 once the process has begun to shut down.',
        response: { 200: Health, 503: closing },
      },
    }, async () => ({ status: 'ok' as const }));

    app.get('/readyz', {
      config,
      schema: {
        operationId: 'getReadiness', tags, summary: 'Readiness: database reachable and migrations applied', security: [],
        description: 'Answers 200 when the database answers within 2 s and every migration is applied. Answers 503 when the database is unreachable or slow, when migrations are pending, or once the process has begun to shut down, so that a load balancer stops sending traffic. Needs no API key and is never rate limited.',
        response: { 200: Health, 503: errorResponses[503] },
      },
    }, async () => {
      const pending = await Promise.race([
        migrationsPending(sql),
        new Promise<never>((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]).catch(() => {
        throw new ServiceUnavailable('The database is not reachable.');
      });
      if (pending) throw new ServiceUnavailable('Database migrations are pending.');
      return { status: 'ok' as const };
    });

    app.get('/metrics', {
      config,
      schema: {
        operationId: 'getMetrics', tags, summary: 'Prometheus metrics', security: [],
        description: 'The Prometheus text exposition of this process: request durations by route and status, webhook delivery outcomes and latency, queue depth and the age of the oldest due delivery, and the Node.js process metrics. Needs no API key and is never rate limited. Answers 503 once the process has begun to shut down.',
        response: {
          200: { description: 'Prometheus text format 0.0.4.', content: { 'text/plain': { schema: z.string().describe('Metric families, one sample per line.') } } },
          503: closing,
        },
      },
    }, async (_req, reply) => {
      await onQueueGauges?.().catch(() => {});
      reply.type(app.metrics.registry.contentType);
      return app.metrics.registry.metrics();
    });
  };
}
