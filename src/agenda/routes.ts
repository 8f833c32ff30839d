import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { findMeeting } from '../meetings/queries.js';
import { findAgendaItem, listAgenda, toApiAgendaItem } from './queries.js';
import { addAgendaItem, deleteAgendaItem, reorderAgenda, updateAgendaItem } from './writes.js';
import { AgendaItem, AgendaItemPatch, AgendaOrder, NewAgendaItem } from './schemas.js';

const meetingParams = z.object({ meetingId: Id });
const params = z.object({ meetingId: Id, itemId: Id });
const ifMatch = (req: Parameters<typeof checkIfMatch>[0]) => (v: number) => checkIfMatch(req, v);
// An agenda is short and always read whole, in order; it is not paginated (at most 1000 items).
const Agenda = z.object({ data: z.array(AgendaItem), nextCursor: z.null() }).meta({ id: 'Agenda' });

export const agendaRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Agenda'];

  app.get('/v1/meetings/:meetingId/agenda-items', {
    config: { access: 'member' },
    schema: {
      operationId: 'listAgendaItems', tags, summary: 'The agenda of a meeting, in order',
      description:
        'The meeting\'s whole agenda in order (not paginated; at most 1000 items), each item with its owner, kind, time box, status and the item it was carried from. An unknown meeting is 404.',
      params: meetingParams, response: { 200: Agenda, ...errorResponses },
    },
  }, async (req) => {
    await findMeeting(app.db, req.auth.organizationId, req.params.meetingId);
    const rows = await listAgenda(app.db, req.auth.organizationId, req.params.meetingId);
    return { data: rows.map(toApiAgendaItem), nextCursor: null };
  });

  app.post('/v1/meetings/:meetingId/agenda-items', {
    config: { access: 'integration' },
    schema: {
      operationId: 'addAgendaItem', tags, summary: 'Add an agenda item',
      description:
        'Adds an item at `position` (1-based; last by default), moving the items from there down by one. Refuses an `ownerId` that names no person of the organisation (400) and a cancelled or completed meeting (409).',
      params: meetingParams, body: NewAgendaItem, response: { 201: AgendaItem, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => addAgendaItem(rec, req.params.meetingId, req.body));
  });

  app.put('/v1/meetings/:meetingId/agenda-items/order', {
    config: { access: 'integration' },
    schema: {
      operationId: 'reorderAgendaItems', tags, summary: 'Reorder the agenda (every item, each once)',
      description:
        'Puts the agenda in the order of `itemIds`, which lists every item of the meeting exactly once (400 naming the entry that is unknown or repeated, or the items missing). Refused once the meeting is cancelled or completed (409).',
      params: meetingParams, body: AgendaOrder, response: { 200: Agenda, ...errorResponses },
    },
  }, async (req, reply) => {
    const data = await mutate(req, reply, 200, (rec) => reorderAgenda(rec, req.params.meetingId, req.body.itemIds));
    return { data, nextCursor: null };
  });

  app.get('/v1/meetings/:meetingId/agenda-items/:itemId', {
    config: { access: 'member' },
    schema: {
      operationId: 'getAgendaItem', tags, summary: 'Get an agenda item',
      description:
        'Returns one agenda item with its `ETag`. 404 when the meeting is unknown or the item is not on its agenda.',
      params, response: { 200: AgendaItem, ...errorResponses },
    },
  }, async (req, reply) => {
    const item = toApiAgendaItem(await findAgendaItem(app.db, req.auth.organizationId, req.params.meetingId, req.params.itemId));
    setEtag(reply, item);
    return item;
  });

  app.patch('/v1/meetings/:meetingId/agenda-items/:itemId', {
    config: { access: 'agenda-item-owner' },
    schema: {
      operationId: 'updateAgendaItem', tags, summary: 'Update an agenda item',
      description:
        'Changes the fields given. Once the meeting is completed only `status` (`discussed`, `deferred`) may still change; any other change to a completed or cancelled meeting\'s agenda is 409. Refuses an `ownerId` that names no person (400) and a stale `If-Match` (412).',
      params, body: AgendaItemPatch, response: { 200: AgendaItem, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateAgendaItem(rec, req.params.meetingId, req.params.itemId, req.body, ifMatch(req)));
  });

  app.delete('/v1/meetings/:meetingId/agenda-items/:itemId', {
    config: { access: 'agenda-item-owner' },
    schema: {
      operationId: 'deleteAgendaItem', tags, summary: 'Remove an agenda item',
      description:
        'Removes an item; the items after it move up by one. Refused once the meeting is cancelled or completed (409); a stale `If-Match` is 412, an item not on this agenda 404.',
      params, response: { 204: z.undefined().describe('Removed'), ...errorResponses },
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => deleteAgendaItem(rec, req.params.meetingId, req.params.itemId, ifMatch(req)));
    return reply.send(undefined);
  });
};
