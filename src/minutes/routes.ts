import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { ActionBody } from '../platform/optional-body.js';
import { listOf, page } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { getDraft, getRevision, listRevisions, saveDraft, toApiRevision } from './draft.js';
import { publishMinutes } from './publish.js';
import { MinutesDraft, MinutesDraftContent, MinutesRevision, RevisionListQuery } from './schemas.js';

const params = z.object({ meetingId: Id });

export const minutesRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Minutes'];
  app.get('/v1/meetings/:meetingId/minutes', {
    config: { access: 'member' },
    schema: {
      operationId: 'getMinutesDraft', tags, summary: 'Get the draft minutes of a meeting',
      description:
        'The meeting\'s current draft (summary in Markdown, attendance, acknowledgements) with its `ETag`; before the first save an empty draft at version 0. An unknown meeting is 404.',
      params, response: { 200: MinutesDraft, ...errorResponses },
    },
  }, async (req, reply) => {
    const draft = await getDraft(app.db, req.auth.organizationId, req.params.meetingId);
    setEtag(reply, draft);
    return draft;
  });

  app.put('/v1/meetings/:meetingId/minutes', {
    config: { access: 'minutes-editor' },
    schema: {
      operationId: 'saveMinutesDraft', tags, summary: 'Replace the draft minutes (If-Match "v0" when creating)',
      description:
        'Replaces the whole draft; published revisions stay as they are. Attendance names participants of the meeting, each once (400 otherwise); acknowledgements may thank any person of the organisation (400 for one that is unknown). A cancelled meeting has no minutes (409). With `If-Match` (`"v0"` before the first save), a concurrent edit is 412.',
      params, body: MinutesDraftContent, response: { 200: MinutesDraft, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => saveDraft(rec, req.params.meetingId, req.body, (v) => checkIfMatch(req, v)));
  });

  app.post('/v1/meetings/:meetingId/minutes/publish', {
    config: { access: 'minutes-editor' },
    schema: {
      operationId: 'publishMinutes', tags, summary: 'Publish the draft as the next immutable revision',
      description:
        'Freezes the draft as the next immutable revision, records attendance on the participants and emits `minutes.published` with the whole revision: summary, attendance, decisions, and issues with owners and due dates. Takes no body, or `{}` (anything else is 400). Refused with 409 unless the meeting is in progress or completed, when there is no draft, and when nothing changed since the last revision; `If-Match` names the draft\'s version (412).',
      params, body: ActionBody, response: { 201: MinutesRevision, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => publishMinutes(rec, req.params.meetingId, (v) => checkIfMatch(req, v)));
  });

  app.get('/v1/meetings/:meetingId/minutes/revisions', {
    config: { access: 'member' },
    schema: {
      operationId: 'listMinutesRevisions', tags, summary: 'List the published revisions, oldest first',
      description:
        'The published revisions of the meeting\'s minutes, oldest first. An unknown meeting is 404.',
      params, querystring: RevisionListQuery, response: { 200: listOf(MinutesRevision), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listRevisions(app.db, req.auth.organizationId, req.params.meetingId, req.query);
    return page(req, reply, rows, req.query.limit, (r) => [r.revision], toApiRevision);
  });

  app.get('/v1/meetings/:meetingId/minutes/revisions/:revision', {
    config: { access: 'member' },
    schema: {
      operationId: 'getMinutesRevision', tags, summary: 'Get a published revision',
      description:
        'Returns one published revision, which never changes, with its `ETag`. 404 when the meeting or the revision number is unknown.',
      params: params.extend({ revision: z.coerce.number().int().min(1).max(1_000_000) }), response: { 200: MinutesRevision, ...errorResponses },
    },
  }, async (req, reply) => {
    const revision = await getRevision(app.db, req.auth.organizationId, req.params.meetingId, req.params.revision);
    setEtag(reply, revision);
    return revision;
  });
};
