import { z } from 'zod';
import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { webhookDeliveries } from '../../db/schema/index.js';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { createdKey, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id, Timestamp } from '../platform/schemas.js';
import { performAttempt, type AttemptDeps } from './attempt.js';
import { getDelivery, listDeliveries, replayEvents, retryDelivery, toApiDelivery } from './deliveries.js';
import { claimOne, LEASE_MS } from './queue.js';
import { parseRetrySchedule } from './schedule.js';
import { Delivery, DeliveryStatus, NewWebhook, Replay, ReplayResult, RotateSecret, Webhook, WebhookPatch, WebhookWithSecret } from './schemas.js';
import { createWebhookAgent } from './send.js';
import { parseAllowCidrs } from './ssrf.js';
import { createWebhook, deleteWebhook, findWebhook, listWebhooks, rotateSecret, toApiWebhook, updateWebhook, webhookSummary } from './subscriptions.js';
import { newWorkerId } from './worker.js';

const params = z.object({ webhookId: Id });
const deliveryParams = z.object({ webhookId: Id, deliveryId: Id });

export const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Webhooks'];
  const config = { scope: 'webhooks' as const };
  const allow = parseAllowCidrs(app.config.webhookAllowCidrs);
  // The test route sends from the API process, with the same guarded agent as the workers.
  const deps: AttemptDeps = {
    db: app.db,
    agent: createWebhookAgent({ allow, timeoutMs: app.config.webhookTimeoutMs }),
    metrics: app.metrics,
    schedule: parseRetrySchedule(app.config.webhookRetrySchedule),
    timeoutMs: app.config.webhookTimeoutMs,
    workerId: newWorkerId('api'),
  };
  app.addHook('onClose', () => deps.agent.close());

  app.post('/v1/webhooks', {
    config,
    schema: { operationId: 'createWebhook', tags, summary: 'Subscribe an endpoint (its secret is shown once)', body: NewWebhook, response: { 201: WebhookWithSecret, ...errorResponses } },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => createWebhook(rec, req.body, allow), { secretBearing: true });
  });

  app.get('/v1/webhooks', {
    config,
    schema: { operationId: 'listWebhooks', tags, summary: 'List webhook endpoints', querystring: z.object(pageQuery), response: { 200: listOf(Webhook), ...errorResponses } },
  }, async (req, reply) => {
    const rows = await listWebhooks(app.db, req.auth.organizationId, req.query);
    return page(req, reply, rows, req.query.limit, createdKey, toApiWebhook);
  });

  app.get('/v1/webhooks/:webhookId', {
    config,
    schema: { operationId: 'getWebhook', tags, summary: 'Get a webhook endpoint', params, response: { 200: Webhook, ...errorResponses } },
  }, async (req, reply) => {
    const hook = toApiWebhook(await findWebhook(app.db, req.auth.organizationId, req.params.webhookId));
    setEtag(reply, hook);
    return hook;
  });

  app.patch('/v1/webhooks/:webhookId', {
    config,
    schema: { operationId: 'updateWebhook', tags, summary: 'Update a webhook endpoint (enable, disable, change URL or event types)', params, body: WebhookPatch, response: { 200: Webhook, ...errorResponses } },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateWebhook(rec, req.params.webhookId, req.body, allow, (v) => checkIfMatch(req, v)));
  });

  app.delete('/v1/webhooks/:webhookId', {
    config,
    schema: { operationId: 'deleteWebhook', tags, summary: 'Delete a webhook endpoint and its delivery log', params, response: { 204: z.undefined().describe('Deleted'), ...errorResponses } },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => deleteWebhook(rec, req.params.webhookId, (v) => checkIfMatch(req, v)));
    return reply.send(undefined);
  });

  app.post('/v1/webhooks/:webhookId/rotate-secret', {
    config,
    schema: {
      operationId: 'rotateWebhookSecret', tags, summary: 'Issue a new secret; the old one keeps signing during the overlap (default 24 h)',
      params, body: RotateSecret, response: { 200: WebhookWithSecret, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => rotateSecret(rec, req.params.webhookId, req.body.overlapSeconds), { secretBearing: true });
  });

  app.post('/v1/webhooks/:webhookId/test', {
    config,
    schema: {
      operationId: 'testWebhook', tags, summary: 'Send a `webhook.test` event to this endpoint now and answer the attempt',
      description: 'A failed test is retried on the usual schedule like any delivery.',
      params, response: { 200: Delivery, ...errorResponses },
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    const { webhookId } = req.params;
    const { deliveryId } = await mutate(req, reply, 200, async (rec) => {
      const hook = await findWebhook(rec.tx, org, webhookId);
      const event = await rec.event('webhook.test', { webhook: webhookSummary(hook), message: 'This is a test delivery from Liaison.' });
      // Queued already leased by this process, so no worker sends it too; if this process dies
      // before recording the outcome, the lease runs out and a worker takes over.
      const [row] = await rec.tx
        .insert(webhookDeliveries)
        .values({
          organizationId: org, webhookId, eventId: event.id, eventType: event.type, nextAttemptAt: sql`now()`,
          leaseUntil: sql`now() + ${`${deps.timeoutMs + LEASE_MS} milliseconds`}::interval`, leasedBy: deps.workerId,
        })
        .returning();
      await rec.audit({ action: 'create', entityType: 'webhook_delivery', entityId: row!.id, after: toApiDelivery(row!, []) });
      return { deliveryId: row!.id };
    });
    if (reply.getHeader('idempotent-replayed') !== 'true') {
      const claimed = await claimOne(app.db, deps.workerId, org, deliveryId, deps.timeoutMs + LEASE_MS);
      if (claimed) await performAttempt(deps, claimed);
    }
    return getDelivery(app.db, org, webhookId, deliveryId);
  });

  app.get('/v1/webhooks/:webhookId/deliveries', {
    config,
    schema: {
      operationId: 'listWebhookDeliveries', tags, summary: 'The delivery log of an endpoint, each delivery with its attempts',
      params,
      querystring: z.object({
        ...pageQuery,
        status: DeliveryStatus.optional(),
        eventType: z.string().max(200).optional(),
        from: Timestamp.optional().describe('Deliveries queued at or after this time.'),
        to: Timestamp.optional().describe('Deliveries queued before this time.'),
      }),
      response: { 200: listOf(Delivery), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listDeliveries(app.db, req.auth.organizationId, req.params.webhookId, req.query);
    return page(req, reply, rows, req.query.limit, (r) => createdKey(r.row), (r) => toApiDelivery(r.row, r.attempts));
  });

  app.get('/v1/webhooks/:webhookId/deliveries/:deliveryId', {
    config,
    schema: { operationId: 'getWebhookDelivery', tags, summary: 'Get a delivery with its attempts', params: deliveryParams, response: { 200: Delivery, ...errorResponses } },
  }, async (req) => getDelivery(app.db, req.auth.organizationId, req.params.webhookId, req.params.deliveryId));

  app.post('/v1/webhooks/:webhookId/deliveries/:deliveryId/retry', {
    config,
    schema: { operationId: 'retryWebhookDelivery', tags, summary: 'Send a delivery again now (a new round of the retry schedule)', params: deliveryParams, response: { 202: Delivery, ...errorResponses } },
  }, async (req, reply) => mutate(req, reply, 202, (rec) => retryDelivery(rec, req.params.webhookId, req.params.deliveryId)));

  app.post('/v1/webhooks/:webhookId/replay', {
    config,
    schema: {
      operationId: 'replayWebhookEvents', tags, summary: 'Send an endpoint the events of a time window again (failed and skipped ones, or all)',
      params, body: Replay, response: { 202: ReplayResult, ...errorResponses },
    },
  }, async (req, reply) => mutate(req, reply, 202, (rec) => replayEvents(rec, req.params.webhookId, req.body)));
};
