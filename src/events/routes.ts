import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { BadRequest, HttpProblem, ServiceUnavailable } from '../platform/errors.js';
import { decodeCursor, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id, Timestamp } from '../platform/schemas.js';
import { eventTypeList } from './documentation.js';
import { eventPosition, findEvent, readEvents, toApiEvent } from './queries.js';
import { Event, EventType } from './schemas.js';
import { eventHubFor } from './stream.js';

const typeList = (value: string | undefined) => value?.split(',').map((s) => s.trim()).filter(Boolean);

export const eventRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Events'];
  const hub = eventHubFor(app);

  app.get('/v1/events', {
    schema: {
      operationId: 'listEvents', tags, summary: 'List events in log order (for polling and catching up)',
      querystring: z.object({
        ...pageQuery,
        type: z.string().max(2000).optional().describe('Comma-separated event types; `meeting.*` wildcards allowed.'),
        after: Id.optional().describe('Return events after this event id.'),
        from: Timestamp.optional(),
        to: Timestamp.optional(),
      }),
      response: { 200: listOf(Event), ...errorResponses },
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    const fromCursor = decodeCursor(req.query.cursor, 2) as [string, string] | null;
    const after = fromCursor ?? (req.query.after ? await eventPosition(app.db, org, req.query.after) : null);
    const rows = await readEvents(app.db, org, {
      after,
      types: typeList(req.query.type),
      from: req.query.from,
      to: req.query.to,
      limit: req.query.limit + 1,
    });
    return page(req, reply, rows, req.query.limit, (r) => [r.txid, r.seq], toApiEvent);
  });

  app.get('/v1/events/stream', {
    schema: {
      operationId: 'streamEvents', tags, summary: 'Live stream of events (Server-Sent Events)',
      description:
        'One `id:`/`event:`/`data:` frame per event (data is the Event), a `: heartbeat` comment every 15 s. Reconnect with `Last-Event-ID` to receive exactly what was missed, in log order. Clients that do not keep up are disconnected.',
      querystring: z.object({ types: z.string().max(2000).optional().describe('Comma-separated event types; `meeting.*` wildcards allowed.') }),
      headers: z.object({ 'last-event-id': Id.optional().describe('Resume after this event (sent by EventSource on reconnect).') }),
      response: {
        200: { description: 'An endless text/event-stream.', content: { 'text/event-stream': { schema: z.string() } } },
        ...errorResponses,
      },
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    const lastId = req.headers['last-event-id'];
    const position = lastId
      ? await eventPosition(app.db, org, lastId).catch((err: unknown) => {
          if (err instanceof HttpProblem && err.status === 404) {
            throw new BadRequest('Last-Event-ID names no event of this organisation (it may be older than the retention period).', [
              { path: 'headers.last-event-id', message: 'unknown event' },
            ]);
          }
          throw err;
        })
      : await hub.currentPosition();
    await hub.listen().catch(() => {
      throw new ServiceUnavailable('Live events are unavailable right now; poll GET /v1/events meanwhile.');
    });
    reply.hijack();
    // A stream outlives any request deadline; it ends when the client leaves or the server drains.
    clearTimeout(req.deadline);
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': req.id,
    });
    reply.raw.write('retry: 1000\n: connected\n\n');
    hub.open(org, reply.raw, position, typeList(req.query.types));
  });

  app.get('/v1/events/:eventId', {
    schema: { operationId: 'getEvent', tags, summary: 'Get an event', params: z.object({ eventId: Id }), response: { 200: Event, ...errorResponses } },
  }, async (req) => toApiEvent(await findEvent(app.db, req.auth.organizationId, req.params.eventId)));

  app.get('/v1/event-types', {
    schema: {
      operationId: 'listEventTypes', tags, summary: 'The event catalogue: every type with the JSON Schema of its data and an example',
      response: { 200: z.object({ data: z.array(EventType) }), ...errorResponses },
    },
  }, async () => ({ data: eventTypeList() }));
};
