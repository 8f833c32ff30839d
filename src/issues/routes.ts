import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { createdKey, listOf, page } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { findMeeting } from '../meetings/queries.js';
import { followUpRoutes } from './follow-up-routes.js';
import { viewerOf } from '../access/viewer.js';
import { findIssue, listIssues, toApiIssue } from './queries.js';
import { Issue, IssueListQuery, IssuePatch, NewIssue, NewMeetingIssue } from './schemas.js';
import { createIssue, updateIssue } from './service.js';

const issueParams = z.object({ issueId: Id });
const meetingParams = z.object({ meetingId: Id });

export const issueRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Issues'];
  app.get('/v1/issues', {
    config: { access: 'member' },
    schema: {
      operationId: 'listIssues', tags, summary: 'List issues (open questions, actions, risks)',
      description:
        'Lists issues, oldest first, each with its derived `overdue` flag; one or several `status` values, `ownerId`, `departmentId`, `initiativeId`, `meetingId`, `overdue` and `dueBefore` narrow the list. Issues raised in a meeting the caller may not see (visibility `participants`) are left out. A malformed filter or `cursor` is 400.',
      querystring: IssueListQuery,
      response: { 200: listOf(Issue), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listIssues(app.db, req.auth.organizationId, viewerOf(req.auth), req.query);
    const now = new Date();
    return page(req, reply, rows, req.query.limit, createdKey, (r) => toApiIssue(r, now));
  });

  app.post('/v1/issues', {
    config: { access: 'member' },
    schema: {
      operationId: 'createIssue', tags, summary: 'Open an issue',
      description:
        'Opens an issue (kind `action` and priority `normal` unless given) and emits `issue.opened`. Without a department it takes its owner\'s; raised in a meeting (`meetingId`) it takes the meeting\'s initiative. Refuses a reference that names nothing in the organisation (400), an `agendaItemId` without a meeting or of another meeting (400) and a cancelled meeting (409).',
      body: NewIssue, response: { 201: Issue, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => createIssue(rec, req.body));
  });

  app.post('/v1/meetings/:meetingId/issues', {
    config: { access: 'member' },
    schema: {
      operationId: 'createMeetingIssue', tags, summary: 'Open an issue raised in a meeting',
      description:
        'Opens an issue raised in this meeting, with the meeting\'s initiative unless given, and emits `issue.opened`. Refuses an `agendaItemId` that is not on this meeting\'s agenda (400), a reference that names nothing in the organisation (400) and a cancelled meeting (409); an unknown meeting is 404.',
      params: meetingParams, body: NewMeetingIssue, response: { 201: Issue, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, async (rec) => {
      const meeting = await findMeeting(rec.tx, rec.organizationId, req.params.meetingId); // 404 for another organisation's
      return createIssue(rec, req.body, meeting);
    });
  });

  app.get('/v1/issues/:issueId', {
    config: { access: 'member' },
    schema: {
      operationId: 'getIssue', tags, summary: 'Get an issue',
      description:
        'Returns one issue with its derived `overdue` flag and its `ETag`. An unknown id, or another organisation\'s, is 404.',
      params: issueParams, response: { 200: Issue, ...errorResponses },
    },
  }, async (req, reply) => {
    const issue = toApiIssue(await findIssue(app.db, req.auth.organizationId, req.params.issueId));
    setEtag(reply, issue);
    return issue;
  });

  app.patch('/v1/issues/:issueId', {
    config: { access: 'issue-owner' },
    schema: {
      operationId: 'updateIssue', tags, summary: 'Update an issue or move it through its lifecycle',
      description:
        'Changes the fields given and moves the issue through its lifecycle (`open → in_progress | resolved`, `in_progress ⇄ blocked`, `in_progress | blocked → resolved`, `resolved → closed | open`); emits `issue.updated`, and `issue.resolved` on resolving. Resolving needs a `resolution` (400); re-opening clears it. Any other status change is 409; a reference that names nothing is 400, a stale `If-Match` 412.',
      params: issueParams, body: IssuePatch, response: { 200: Issue, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateIssue(rec, req.params.issueId, req.body, (v) => checkIfMatch(req, v)));
  });

  await app.register(followUpRoutes);
};
