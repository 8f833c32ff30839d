import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { findInitiative } from './initiatives.js';
import { addMember, findMember, listMembers, memberKey, removeMember, toApiMember, updateMember } from './members.js';
import { Member, MemberPatch, memberRoles, NewMember } from './schemas.js';

const initiativeParams = z.object({ initiativeId: Id });
const memberParams = z.object({ initiativeId: Id, personId: Id });

export const memberRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Initiative members'];
  app.get('/v1/initiatives/:initiativeId/members', {
    schema: {
      operationId: 'listInitiativeMembers', tags, summary: "List an initiative's team",
      params: initiativeParams,
      querystring: z.object({ ...pageQuery, role: z.enum(memberRoles).optional() }),
      response: { 200: listOf(Member), ...errorResponses },
    },
  }, async (req, reply) => {
    await findInitiative(app.db, req.auth.organizationId, req.params.initiativeId);
    const rows = await listMembers(app.db, req.auth.organizationId, req.params.initiativeId, req.query);
    return page(req, reply, rows, req.query.limit, memberKey, toApiMember);
  });

  app.post('/v1/initiatives/:initiativeId/members', {
    schema: {
      operationId: 'addInitiativeMember', tags, summary: 'Add a person to the team (409 if already a member or for a second sponsor/owner)',
      params: initiativeParams, body: NewMember, response: { 201: Member, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 201, async (rec) => {
      // Locks the initiative so that membership changes and sponsor/owner hand-overs queue.
      await findInitiative(rec.tx, rec.organizationId, req.params.initiativeId, { forUpdate: true });
      return addMember(rec, req.params.initiativeId, req.body);
    });
  });

  app.get('/v1/initiatives/:initiativeId/members/:personId', {
    schema: { operationId: 'getInitiativeMember', tags, summary: 'Get a member', params: memberParams, response: { 200: Member, ...errorResponses } },
  }, async (req, reply) => {
    const member = toApiMember(await findMember(app.db, req.auth.organizationId, req.params.initiativeId, req.params.personId));
    setEtag(reply, member);
    return member;
  });

  app.patch('/v1/initiatives/:initiativeId/members/:personId', {
    schema: {
      operationId: 'updateInitiativeMember', tags, summary: "Change a member's role (liaison/member) or responsibility",
      params: memberParams, body: MemberPatch, response: { 200: Member, ...errorResponses },
    },
  }, async (req, reply) => {
    const { initiativeId, personId } = req.params;
    return mutate(req, reply, 200, async (rec) => {
      await findInitiative(rec.tx, rec.organizationId, initiativeId, { forUpdate: true });
      return updateMember(rec, initiativeId, personId, req.body, (v) => checkIfMatch(req, v));
    });
  });

  app.delete('/v1/initiatives/:initiativeId/members/:personId', {
    schema: {
      operationId: 'removeInitiativeMember', tags, summary: 'Remove a member (the sponsor and owner are handed over on the initiative instead: 409)',
      params: memberParams, response: { 204: z.undefined().describe('Removed'), ...errorResponses },
    },
  }, async (req, reply) => {
    const { initiativeId, personId } = req.params;
    await mutate(req, reply, 204, async (rec) => {
      await findInitiative(rec.tx, rec.organizationId, initiativeId, { forUpdate: true });
      return removeMember(rec, initiativeId, personId, (v) => checkIfMatch(req, v));
    });
    return reply.send(undefined);
  });
};
