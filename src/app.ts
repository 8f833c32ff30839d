import Fastify, { type FastifyInstance } from 'fastify';
import rateLimit from '@fastify/rate-limit';
import { randomUUID } from 'node:crypto';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Database } from './platform/database.js';
import { KeyStore, registerAuth } from './platform/auth.js';
import { registerDeadline } from './platform/deadline.js';
import { HttpProblem } from './platform/errors.js';
import { verifyJsonText } from './platform/json-text.js';
import { createMetrics, registerRequestMetrics } from './platform/metrics.js';
import { registerOpenApi } from './platform/openapi.js';
import { operationsRoutes } from './platform/operations-routes.js';
import { registerProblemHandlers } from './platform/problem-handler.js';
import { accessRoutes } from './access/routes.js';
import { auditRoutes } from './audit/routes.js';
import { directoryRoutes } from './directory/routes.js';
import { eventRoutes } from './events/routes.js';
import { meetingRoutes } from './meetings/routes.js';
import { agendaRoutes } from './agenda/routes.js';
import { materialRoutes } from './materials/routes.js';
import { minutesRoutes } from './minutes/routes.js';
import { decisionRoutes } from './decisions/routes.js';
import { issueRoutes } from './issues/routes.js';
import { feedbackRoutes } from './feedback/routes.js';
import { searchRoutes } from './search/routes.js';
import { initiativeRoutes } from './initiatives/routes.js';
import { reportRoutes } from './reports/routes.js';
import { webhookRoutes } from './webhooks/routes.js';
import { refreshQueueGauges } from './webhooks/queue.js';
import { addEventWebhooks } from './events/documentation.js';

declare module 'fastify' {
  interface FastifyInstance {
    config: Config;
  }
}

/** The whole plugin graph, top to bottom. Route modules get the database through `app.db`. */
export interface BuildOptions {
  logger?: boolean;
  /** Build only to describe the API (OpenAPI generation): no database connection is opened. */
  describeOnly?: boolean;
}

export async function buildApp(config: Config, database: Database, opts: BuildOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger === false ? false : { level: config.logLevel },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    return503OnClosing: true,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.decorate('db', database.db);
  app.decorate('config', config);
  app.decorate('metrics', createMetrics());

  registerProblemHandlers(app);
  registerRequestMetrics(app, app.metrics);
  registerDeadline(app, config.handlerTimeoutMs);
  if (config.verifyJsonText) verifyJsonText(app);
  await registerOpenApi(app, [addEventWebhooks]);

  const keys = new KeyStore(database.sql);
  if (!opts.describeOnly) await keys.start();
  app.addHook('onClose', () => keys.stop());
  registerAuth(app, keys);

  await app.register(rateLimit, {
    global: true,
    hook: 'preHandler',
    max: config.rateLimit.max,
    timeWindow: config.rateLimit.timeWindowMs,
    keyGenerator: (req) => req.auth?.keyId ?? req.ip,
    allowList: (req) => req.routeOptions.config.public === true || !req.routeOptions.url,
    errorResponseBuilder: (_req, ctx) =>
      new HttpProblem(429, `Rate limit of ${ctx.max} requests per ${ctx.after} exceeded for this API key.`, undefined, {
        'retry-after': String(Math.max(1, Math.ceil(ctx.ttl / 1000))),
      }),
  });

  // Every answer is private to its caller and carries the request id for support. While draining,
  // answers also close their connection: an in-flight request on a keep-alive connection would
  // otherwise hold the server open until the keep-alive time-out.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', async (req, reply) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-request-id', req.id);
    if (draining) reply.header('connection', 'close');
  });

  await app.register(operationsRoutes(database.sql, () => refreshQueueGauges(database.db, app.metrics)));
  // A worker process serves only health, readiness and metrics.
  if (config.role === 'worker') return app;
  await app.register(accessRoutes, { keys });
  await app.register(directoryRoutes);
  await app.register(eventRoutes);
  await app.register(auditRoutes);
  await app.register(initiativeRoutes);
  await app.register(meetingRoutes);
  await app.register(agendaRoutes);
  await app.register(materialRoutes);
  await app.register(minutesRoutes);
  await app.register(decisionRoutes);
  await app.register(issueRoutes);
  await app.register(feedbackRoutes);
  await app.register(searchRoutes);
  await app.register(reportRoutes);
  await app.register(webhookRoutes);
  return app;
}
