import Fastify, { type FastifyInstance } from 'fastify';
import { randomUUID } from 'node:crypto';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Config } from './config.js';
import type { Database } from './platform/database.js';
import { registerAuth } from './platform/auth.js';
import { registerAuthorization } from './access/authorize.js';
import { KeyStore } from './platform/key-store.js';
import { registerDeadline } from './platform/deadline.js';
import { registerDrain } from './platform/drain.js';
import { registerRouteConfig } from './platform/route-config.js';
import { verifyJsonText } from './platform/json-text.js';
import { createMetrics, registerRequestMetrics } from './platform/metrics.js';
import { registerOpenApi } from './platform/openapi.js';
import { operationsRoutes } from './platform/operations-routes.js';
import { acceptOmittedBodies } from './platform/optional-body.js';
import { registerRateLimit } from './platform/rate-limit.js';
import { answerClientError, refuseConnect } from './platform/parser-errors.js';
import { answerFrameworkError, MAX_PARAM_LENGTH, registerProblemHandlers } from './platform/problem-handler.js';
import { accessRoutes } from './access/routes.js';
import { documentAccessRules, documentOnBehalfOf } from './access/documentation.js';
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
import { availabilityRoutes } from './availability/routes.js';
import { calendarInteropRoutes } from './calendar-interop/routes.js';
import { calendarInteropEventTypes } from './calendar-interop/events.js';
import { refreshQueueGauges } from './webhooks/queue.js';
import { addEventWebhooks } from './events/documentation.js';
import { registerEventTypes } from './events/catalogue.js';
import { registerEventSubscriber } from './events/outbox.js';
import { registerVisibilityFollower } from './events/meeting-visibility.js';
import { meetingEventTypes } from './meetings/events.js';
import { materialEventTypes } from './materials/events.js';
import { minutesEventTypes } from './minutes/events.js';
import { decisionEventTypes } from './decisions/events.js';
import { issueEventTypes } from './issues/events.js';
import { webhookEventTypes } from './webhooks/events.js';
import { reportDigestEventTypes } from './follow-through/report-digest-events.js';
import { meetingRuleEventTypes } from './follow-through/meeting-rule-events.js';
import { issueRuleEventTypes } from './follow-through/issue-rule-events.js';
import { followThroughPolicyRoutes } from './follow-through/policy-routes.js';
import { fanOutToWebhooks, skipNewlyConfidential } from './webhooks/fan-out.js';
import { registerFiringRules } from './platform/scheduler.js';
import { issueOverdueRule } from './issues/overdue-scan.js';
import { followThroughRules } from './follow-through/rules.js';
import { reminderRoutes } from './follow-through/reminders-routes.js';

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
  // The event log knows no feature: each tells it its event types, and what must happen in an
  // event's transaction (webhook deliveries are queued with it).
  registerEventTypes(meetingEventTypes, materialEventTypes, minutesEventTypes, decisionEventTypes, issueEventTypes, webhookEventTypes, reportDigestEventTypes, meetingRuleEventTypes, issueRuleEventTypes, calendarInteropEventTypes);
  registerEventSubscriber(fanOutToWebhooks);
  registerVisibilityFollower(skipNewlyConfidential);
  // The time-driven rules, so that GET /v1/reminders knows them (the worker's scheduler fires them).
  registerFiringRules(issueOverdueRule, ...followThroughRules);
  const app = Fastify({
    logger: opts.logger === false ? false : { level: config.logLevel },
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,100}$/.test(given) ? given : randomUUID();
    },
    bodyLimit: config.bodyLimitBytes,
    requestTimeout: config.requestTimeoutMs,
    // Requests that arrive while draining are answered by platform/drain.ts, as problem+json.
    return503OnClosing: false,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: MAX_PARAM_LENGTH },
    // Refusals raised before routing answer problem+json too (SPEC §4).
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    ajv: { customOptions: { removeAdditional: false } },
  }).withTypeProvider<ZodTypeProvider>();

  // Only JSON bodies (and multipart on the routes that register it) are read: text/plain on a
  // JSON route is 415, not a string handed to the body schema.
  app.removeContentTypeParser('text/plain');
  app.server.on('connect', refuseConnect);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  acceptOmittedBodies(app);
  app.decorate('db', database.db);
  app.decorate('config', config);
  app.decorate('metrics', createMetrics());

  registerProblemHandlers(app);
  registerRouteConfig(app);
  registerDrain(app);
  registerRequestMetrics(app, app.metrics);
  registerDeadline(app, config.handlerTimeoutMs);
  if (config.verifyJsonText) verifyJsonText(app);
  await registerOpenApi(app, [addEventWebhooks, documentOnBehalfOf, documentAccessRules]);

  const keys = new KeyStore(database.sql);
  if (!opts.describeOnly) await keys.start();
  app.addHook('onClose', () => keys.stop());
  registerAuth(app, keys, await registerRateLimit(app, config, database.sql, opts));
  registerAuthorization(app, database.db);

  // Every answer is private to its caller and carries the request id for support.
  app.addHook('onSend', (req, reply, payload, done) => {
    reply.header('cache-control', 'no-store');
    reply.header('x-request-id', req.id);
    done(null, payload);
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
  await app.register(materialRoutes, { uploads: database.uploads });
  await app.register(minutesRoutes);
  await app.register(decisionRoutes);
  await app.register(issueRoutes);
  await app.register(feedbackRoutes);
  await app.register(searchRoutes);
  await app.register(reportRoutes);
  await app.register(webhookRoutes);
  await app.register(availabilityRoutes);
  await app.register(calendarInteropRoutes);
  await app.register(followThroughPolicyRoutes);
  await app.register(reminderRoutes);
  return app;
}
