import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type postgres from 'postgres';
import { migrationsPending } from './database.js';
import { ServiceUnavailable } from './errors.js';
import { errorResponses } from './schemas.js';

const Health = z.object({ status: z.literal('ok') }).meta({ id: 'Health' });

/** Liveness, readiness and metrics: no API key, no rate limit. */
export function operationsRoutes(sql: postgres.Sql, onQueueGauges?: () => Promise<void>): FastifyPluginAsyncZod {
  return async (app) => {
    const config = { public: true };
    const tags = ['Operations'];
    app.get('/healthz', {
      config,
      schema: { operationId: 'getHealth', tags, summary: 'Liveness: the process is up', security: [], response: { 200: Health, '4XX': errorResponses[400] } },
    }, async () => ({ status: 'ok' as const }));

    app.get('/readyz', {
      config,
      schema: {
        operationId: 'getReadiness', tags, summary: 'Readiness: database reachable and migrations applied', security: [],
        response: { 200: Health, '4XX': errorResponses[400], 503: errorResponses[503] },
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
      schema: { operationId: 'getMetrics', tags, summary: 'Prometheus metrics', security: [], response: { 200: z.string(), '4XX': errorResponses[400] } },
    }, async (_req, reply) => {
      await onQueueGauges?.().catch(() => {});
      reply.type(app.metrics.registry.contentType);
      return app.metrics.registry.metrics();
    });
  };
}
