import { z } from 'zod';
import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { webhookDeliveries } from '../../db/schema/index.js';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { ActionBody } from '../platform/optional-body.js';
import { createdKey, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id, Timestamp } from '../platform/schemas.js';
import { performAttempt, type AttemptDeps } from './attempt.js';
import { getDelivery, listDeliveries, replayEvents, retryDelivery, toApiDelivery } from './deliveries.js';
import { claimOne, LEASE_MS } from './queue.js';
import { parseRetrySchedule } from './schedule.js';
import { Delivery, DeliveryStatus, NewWebhook, Replay, ReplayResult, RotateSecret, Webhook, WebhookPatch, WebhookWithSecret } from './schemas.js';
import { createWebhookAgent } from './send.js';
import { parseAllowCidrs } from './ssrf.js';
import { seesEveryMeeting } from '../access/viewer.js';
import { createWebhook, deleteWebhook, findWebhook, listWebhooks, rotateSecret, toApiWebhook, updateWebhook, webhookSummary } from './subscriptions.js';
import { newWorkerId } from './worker.js';

const params = z.object({ webhookId: Id });
const deliveryParams = z.object({ webhookId: Id, deliveryId: Id });

export const webhookRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Webhooks'];
  const config = { scope: 'webhooks' as const, access: 'integration' as const };
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
    schema: {
      operationId: 'createWebhook', tags, summary: 'Subscribe an endpoint (its secret is shown once)',
      description:
        'Subscribes an `http(s)` endpoint to event types (exact names, `prefix.*` or `*`); its signing secret (`whsec_…`) is in this answer only. Refuses an unknown event type (400) and a URL that is not http(s), or whose host resolves to loopback, private, link-local, CGNAT, multicast or other special-purpose addresses outside the operator\'s allow-list (400). Needs scope `webhooks` (403). Events about confidential meetings are delivered only with `includeConfidential: true`, which needs scope `confidential` of a key acting as itself (403 otherwise, nothing written).',
      body: NewWebhook, response: { 201: WebhookWithSecret, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => createWebhook(rec, req.body, allow, seesEveryMeeting(req.auth)), { secretBearing: true });
  });

  app.get('/v1/webhooks', {
    config,
    schema: {
      operationId: 'listWebhooks', tags, summary: 'List webhook endpoints',
      description:
        'Lists the organisation\'s webhook endpoints, oldest first, without their secrets. Needs scope `webhooks` (403); a malformed `cursor` is 400.',
      querystring: z.object(pageQuery), response: { 200: listOf(Webhook), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listWebhooks(app.db, req.auth.organizationId, req.query);
    return page(req, reply, rows, req.query.limit, createdKey, toApiWebhook);
  });

  app.get('/v1/webhooks/:webhookId', {
    config,
    schema: {
      operationId: 'getWebhook', tags, summary: 'Get a webhook endpoint',
      description:
        'Returns one endpoint with its `ETag`, without its secret. Needs scope `webhooks`; an unknown id, or another organisation\'s, is 404.',
      params, response: { 200: Webhook, ...errorResponses },
    },
  }, async (req, reply) => {
    const hook = toApiWebhook(await findWebhook(app.db, req.auth.organizationId, req.params.webhookId));
    setEtag(reply, hook);
    return hook;
  });

  app.patch('/v1/webhooks/:webhookId', {
    config,
    schema: {
      operationId: 'updateWebhook', tags, summary: 'Update a webhook endpoint (enable, disable, change URL or event types)',
      description:
        'Changes the URL, description, event types, `enabled` or `includeConfidential`; re-enabling starts the five-day no-success clock afresh. Setting `includeConfidential` to true, or changing the URL of an endpoint that has it, needs scope `confidential` of a key acting as itself (403); turning it off skips its still-pending deliveries about confidential meetings. Refuses what subscribing refuses (400) and a stale `If-Match` (412); an unknown endpoint is 404.',
      params, body: WebhookPatch, response: { 200: Webhook, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateWebhook(rec, req.params.webhookId, req.body, allow, (v) => checkIfMatch(req, v), seesEveryMeeting(req.auth)));
  });

  app.delete('/v1/webhooks/:webhookId', {
    config,
    schema: {
      operationId: 'deleteWebhook', tags, summary: 'Delete a webhook endpoint and its delivery log',
      description:
        'Deletes the endpoint with its delivery log; nothing more is sent to it. A stale `If-Match` is 412, an unknown endpoint 404.',
      params, response: { 204: z.undefined().describe('Deleted'), ...errorResponses },
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => deleteWebhook(rec, req.params.webhookId, (v) => checkIfMatch(req, v)));
    return reply.send(undefined);
  });

  app.post('/v1/webhooks/:webhookId/rotate-secret', {
    config,
    schema: {
      operationId: 'rotateWebhookSecret', tags, summary: 'Issue a new secret; the old one keeps signing during the overlap (default 24 h)',
      description:
        'Issues a new signing secret, shown in this answer only; the old one keeps signing beside it for `overlapSeconds` (24 h by default, at most 7 days; 0 retires it at once). The body may be left out. An overlap out of range is 400; an unknown endpoint 404.',
      params, body: RotateSecret, response: { 200: WebhookWithSecret, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => rotateSecret(rec, req.params.webhookId, req.body.overlapSeconds), { secretBearing: true });
  });

  app.post('/v1/webhooks/:webhookId/test', {
    config,
    schema: {
      operationId: 'testWebhook', tags, summary: 'Send a `webhook.test` event to this endpoint now and answer the attempt',
      description:
        'Sends a `webhook.test` event to this endpoint now, signed like any delivery, and answers the delivery with the attempt: response status, first 1 KiB of the body, duration or error. A failed test is retried on the usual schedule like any delivery. Takes no body, or `{}` (anything else is 400); an unknown endpoint is 404.',
      params, body: ActionBody, response: { 200: Delivery, ...errorResponses },
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
          organizationId: org, webhookId, eventId: event.id, eventOccurredAt: event.occurredAt, eventType: event.type, nextAttemptAt: sql`now()`,
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
      description:
        'The endpoint\'s delivery log, oldest first, each delivery with its attempts (response status, first 1 KiB of the body, duration, error, next attempt); `status`, `eventType` and the queue window narrow it. A malformed filter or `cursor` is 400; an unknown endpoint 404.',
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
    schema: {
      operationId: 'getWebhookDelivery', tags, summary: 'Get a delivery with its attempts',
      description:
        'Returns one delivery with every attempt made. 404 when the endpoint is unknown or the delivery is not one of its deliveries.',
      params: deliveryParams, response: { 200: Delivery, ...errorResponses },
    },
  }, async (req) => getDelivery(app.db, req.auth.organizationId, req.params.webhookId, req.params.deliveryId));

  app.post('/v1/webhooks/:webhookId/deliveries/:deliveryId/retry', {
    config,
    schema: {
      operationId: 'retryWebhookDelivery', tags, summary: 'Send a delivery again now (a new round of the retry schedule)',
      description:
        'Queues a delivery again now, as a new round of the retry schedule; its `webhook-id` stays the event id. Takes no body, or `{}` (anything else is 400). Refused while an attempt is in flight, while the endpoint is disabled, or when the event is about a confidential meeting and the endpoint does not have `includeConfidential` (409); an unknown delivery is 404.',
      params: deliveryParams, body: ActionBody, response: { 202: Delivery, ...errorResponses },
    },
  }, async (req, reply) => mutate(req, reply, 202, (rec) => retryDelivery(rec, req.params.webhookId, req.params.deliveryId)));

  app.post('/v1/webhooks/:webhookId/replay', {
    config,
    schema: {
      operationId: 'replayWebhookEvents', tags, summary: 'Send an endpoint the events of a time window again (failed and skipped ones, or all)',
      description:
        'Queues the endpoint\'s events from `since` until `until` (default now) again: by default those whose delivery failed or was skipped, with `all` every event it subscribes to; at most 10,000 per call (`capped` says more remained); events about confidential meetings only for an endpoint with `includeConfidential`. Refuses an unknown event type (400) and a disabled endpoint (409); an unknown endpoint is 404.',
      params, body: Replay, response: { 202: ReplayResult, ...errorResponses },
    },
  }, async (req, reply) => mutate(req, reply, 202, (rec) => replayEvents(rec, req.params.webhookId, req.body)));
};
