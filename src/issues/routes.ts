import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { createdKey, listOf, page } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { findMeeting } from '../meetings/queries.js';
import { followUpRoutes } from './follow-up-routes.js';
import { findIssue, listIssues, toApiIssue } from './queries.js';
import { Issue, IssueListQuery, IssuePatch, NewIssue, NewMeetingIssue } from './schemas.js';
import { createIssue, updateIssue } from './service.js';

const issueParams = z.object({ issueId: Id });
const meetingParams = z.object({ meetingId: Id });

export const issueRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Issues'];
  app.get('/v1/issues', {
    schema: {
      operationId: 'listIssues', tags, summary: 'List issues (open questions, actions, risks)',
      querystring: IssueListQuery,
      response: { 200: listOf(Issue), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listIssues(app.db, req.auth.organizationId, req.query);
    const now = new Date();
    return page(req, reply, rows, req.query.limit, createdKey, (r) => toApiIssue(r, now));
  });

  app.post('/v1/issues', {
    schema: { operationId: 'createIssue', tags, summary: 'Open an issue', body: NewIssue, response: { 201: Issue, ...errorResponses } },
  }, async (req, reply) => {
    return mutate(req, reply, 201, (rec) => createIssue(rec, req.body));
  });

  app.post('/v1/meetings/:meetingId/issues', {
    schema: {
      operationId: 'createMeetingIssue', tags, summary: 'Open an issue raised in a meeting',
      params: meetingParams, body: NewMeetingIssue, response: { 201: Issue, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, async (rec) => {
      const meeting = await findMeeting(rec.tx, rec.organizationId, req.params.meetingId); // 404 for another organisation's
      return createIssue(rec, req.body, meeting);
    });
  });

  app.get('/v1/issues/:issueId', {
    schema: { operationId: 'getIssue', tags, summary: 'Get an issue', params: issueParams, response: { 200: Issue, ...errorResponses } },
  }, async (req, reply) => {
    const issue = toApiIssue(await findIssue(app.db, req.auth.organizationId, req.params.issueId));
    setEtag(reply, issue);
    return issue;
  });

  app.patch('/v1/issues/:issueId', {
    schema: {
      operationId: 'updateIssue', tags, summary: 'Update an issue or move it through its lifecycle',
      params: issueParams, body: IssuePatch, response: { 200: Issue, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateIssue(rec, req.params.issueId, req.body, (v) => checkIfMatch(req, v)));
  });

  await app.register(followUpRoutes);
};
