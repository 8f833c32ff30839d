import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { decodeCursor, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id, Timestamp } from '../platform/schemas.js';
import { eventPosition, findEvent, readEvents, toApiEvent } from './queries.js';
import { Event } from './schemas.js';

export const eventRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Events'];
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
      types: req.query.type?.split(',').map((s) => s.trim()).filter(Boolean),
      from: req.query.from,
      to: req.query.to,
      limit: req.query.limit + 1,
    });
    return page(req, reply, rows, req.query.limit, (r) => [r.txid, r.seq], toApiEvent);
  });

  app.get('/v1/events/:eventId', {
    schema: { operationId: 'getEvent', tags, summary: 'Get an event', params: z.object({ eventId: Id }), response: { 200: Event, ...errorResponses } },
  }, async (req) => toApiEvent(await findEvent(app.db, req.auth.organizationId, req.params.eventId)));
};
