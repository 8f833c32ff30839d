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
    config: { access: 'member' },
    schema: {
      operationId: 'listInitiativeMembers', tags, summary: "List an initiative's team",
      description:
        'The initiative\'s team: each member\'s role (`sponsor`, `owner`, `liaison`, `member`) and responsibility; `role` narrows the list. An unknown initiative is 404.',
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
    config: { access: 'integration' },
    schema: {
      operationId: 'addInitiativeMember', tags, summary: 'Add a person to the team (409 if already a member or for a second sponsor/owner)',
      description:
        'Adds a person to the team as `member` (the default) or `liaison`, with their responsibility. Refuses a person already in the team and the roles `sponsor` and `owner`, which change through the initiative\'s `sponsorId`/`ownerId` (409), and a `personId` that names no person of the organisation (400).',
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
    config: { access: 'member' },
    schema: {
      operationId: 'getInitiativeMember', tags, summary: 'Get a member',
      description:
        'Returns one member of the team with its `ETag`. 404 when the initiative is unknown or the person is not in its team.',
      params: memberParams, response: { 200: Member, ...errorResponses },
    },
  }, async (req, reply) => {
    const member = toApiMember(await findMember(app.db, req.auth.organizationId, req.params.initiativeId, req.params.personId));
    setEtag(reply, member);
    return member;
  });

  app.patch('/v1/initiatives/:initiativeId/members/:personId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'updateInitiativeMember', tags, summary: "Change a member's role (liaison/member) or responsibility",
      description:
        'Changes a member\'s responsibility, or their role between `liaison` and `member`. Moving the sponsor or the owner to another role, or anyone into those roles, is 409 (set `sponsorId`/`ownerId` on the initiative). A stale `If-Match` is 412; a person not in the team 404.',
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
    config: { access: 'integration' },
    schema: {
      operationId: 'removeInitiativeMember', tags, summary: 'Remove a member (the sponsor and owner are handed over on the initiative instead: 409)',
      description:
        'Removes a person from the team. The sponsor and the owner stay until the initiative names others (409); a stale `If-Match` is 412, a person not in the team 404.',
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
