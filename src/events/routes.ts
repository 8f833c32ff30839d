import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { ALL, ORGANIZATION, seesEveryMeeting, viewerOf, type Viewer } from '../access/viewer.js';
import { Forbidden, ServiceUnavailable } from '../platform/errors.js';
import { listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id, Timestamp } from '../platform/schemas.js';
import { eventTypeList } from './documentation.js';
import { eventCursorKey, findEvent, positionAfterCursor, positionNamedBy, readEvents, toApiEvent } from './queries.js';
import { Event, EventType } from './schemas.js';
import { eventHubFor } from './stream.js';

const typeList = (value: string | undefined) => value?.split(',').map((s) => s.trim()).filter(Boolean);

export const eventRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Events'];
  const hub = eventHubFor(app);

  app.get('/v1/events', {
    config: { access: 'member' },
    schema: {
      operationId: 'listEvents', tags, summary: 'List events in log order (for polling and catching up)',
      description:
        'The organisation\'s event log in commit order, for polling and for catching up after an outage: page on with the opaque `nextCursor`, or start after a known event with `after`; `type` (comma-separated, `meeting.*` wildcards) and `from`/`to` narrow it. Refuses a cursor this API did not issue to this organisation (or one altered) and an `after` that names no event of the organisation (400). Events about a confidential meeting (SPEC §8) are listed only for keys that see the meeting: its organizer\'s and participants\' person-bound keys and integration keys with scope `confidential`.',
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
    const viewer = viewerOf(req.auth);
    const { cursor, after: afterId } = req.query;
    const after = cursor
      ? await positionAfterCursor(app.db, org, cursor, viewer)
      : afterId
        ? await positionNamedBy(app.db, org, afterId, 'querystring.after', '`after` names no event of this organisation (it may be older than the retention period).', viewer)
        : null;
    const rows = await readEvents(app.db, org, viewer, {
      after,
      types: typeList(req.query.type),
      from: req.query.from,
      to: req.query.to,
      limit: req.query.limit + 1,
    });
    return page(req, reply, rows, req.query.limit, eventCursorKey, toApiEvent);
  });

  app.get('/v1/events/stream', {
    config: { access: 'member' },
    schema: {
      operationId: 'streamEvents', tags, summary: 'Live stream of events (Server-Sent Events)',
      description:
        'One `id:`/`event:`/`data:` frame per event (data is the Event), a `: heartbeat` comment every 15 s. Reconnect with `Last-Event-ID` to receive exactly what was missed, in log order. A backlog is sent at the pace the client reads; a client that takes nothing for 10 s is disconnected. An API key may hold a limited number of streams at once (`LIAISON_STREAMS_PER_KEY`, 20 by default, counted across every API process): beyond it the answer is 429 with `Retry-After`. Events about confidential meetings (SPEC §8) are carried only with `includeConfidential=true` (scope `confidential`, 403 without). Refused: a `Last-Event-ID` naming no event of the organisation (400).',
      querystring: z.object({
        types: z.string().max(2000).optional().describe('Comma-separated event types; `meeting.*` wildcards allowed.'),
        includeConfidential: z
          .stringbool()
          .default(false)
          .describe('Also carry events about confidential meetings (SPEC §8); needs scope `confidential` of a key acting as itself (403 otherwise). Without it the stream never carries them.'),
      }),
      headers: z.object({ 'last-event-id': Id.optional().describe('Resume after this event (sent by EventSource on reconnect).') }),
      response: {
        200: { description: 'An endless text/event-stream.', content: { 'text/event-stream': { schema: z.string() } } },
        ...errorResponses,
      },
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    if (req.query.includeConfidential && !seesEveryMeeting(req.auth)) throw new Forbidden('confidential');
    // Whoever the key is, a stream without includeConfidential carries no confidential meeting's events.
    const viewer: Viewer = req.query.includeConfidential ? ALL : ORGANIZATION;
    const lastId = req.headers['last-event-id'];
    const position = lastId
      ? await positionNamedBy(app.db, org, lastId, 'headers.last-event-id', 'Last-Event-ID names no event of this organisation (it may be older than the retention period).', viewer)
      : await hub.currentPosition();
    await hub.listen().catch(() => {
      throw new ServiceUnavailable('Live events are unavailable right now; poll GET /v1/events meanwhile.');
    });
    // From here on the stream holds a place among the key's streams; hub.open gives it back when
    // the stream ends (at once, should the client already be gone).
    const lease = await hub.admit(org, req.auth.keyId);
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
    hub.open(org, lease, reply.raw, position, typeList(req.query.types), viewer);
  });

  app.get('/v1/events/:eventId', {
    config: { access: 'member' },
    schema: {
      operationId: 'getEvent', tags, summary: 'Get an event',
      description:
        'Returns one event of the log: its type, when the change happened and its `data` (the resource with its `version`). An unknown id, another organisation\'s event, or one about a confidential meeting the key does not see (SPEC §8), is 404.',
      params: z.object({ eventId: Id }), response: { 200: Event, ...errorResponses },
    },
  }, async (req) => toApiEvent(await findEvent(app.db, req.auth.organizationId, req.params.eventId, viewerOf(req.auth))));

  app.get('/v1/event-types', {
    config: { access: 'member' },
    schema: {
      operationId: 'listEventTypes', tags, summary: 'The event catalogue: every type with the JSON Schema of its data and an example',
      description:
        'The catalogue of every event type this API emits, each with a description, the JSON Schema of its `data` and an example; the document lists the same types under `webhooks`. Takes no parameters; needs an API key with scope `read` (401 without one, 403 without the scope).',
      response: { 200: z.object({ data: z.array(EventType) }), ...errorResponses },
    },
  }, async () => ({ data: eventTypeList() }));
};
