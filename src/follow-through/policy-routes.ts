import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { FollowThroughPolicyResource, PolicySettings } from './policy-schemas.js';
import { deleteInitiativePolicy, getPolicyLevel, putPolicyLevel } from './policy-store.js';

const initiativeParams = z.object({ initiativeId: Id });

const answer =
  'The answer holds `settings` (what this level sets, what PUT replaces), `effective` (every field resolved: initiative over organisation over defaults), `sources` (where each effective field comes from) and `version` (0 while the level was never set), which is also the `ETag`.';
const validation =
  'Offsets are whole hours (minutes for `startingSoonMinutes`) from 0 to 720, at most 5 a rule, no repeats; `reportDigest.rrule` is an RRULE without DTSTART, UNTIL or COUNT, HOURLY or coarser; `reportDigest.timeZone` an IANA zone. A bad value or an unknown field is 400 naming the field, and nothing is written.';

export const followThroughPolicyRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Follow-through'];
  const admin = { scope: 'admin' as const };

  app.get('/v1/follow-through-policy', {
    config: { ...admin, access: 'member' },
    schema: {
      operationId: 'getFollowThroughPolicy', tags, summary: "The organisation's follow-through policy (reminders, escalations, digest)",
      description: `When Liaison reminds, nudges and escalates on its own (SPEC §6). ${answer} Needs scope \`admin\` (403).`,
      response: { 200: FollowThroughPolicyResource, ...errorResponses },
    },
  }, async (req, reply) => {
    const policy = await getPolicyLevel(app.db, { organizationId: req.auth.organizationId, initiativeId: null });
    setEtag(reply, policy);
    return policy;
  });

  app.put('/v1/follow-through-policy', {
    config: { ...admin, access: 'integration' },
    schema: {
      operationId: 'putFollowThroughPolicy', tags, summary: "Replace the organisation's follow-through policy",
      description: `The body is the whole policy of the organisation level: a field given overrides the default, a field left out follows the default, \`[]\`, \`false\` or \`null\` turns a rule off. It takes effect for every firing still planned. ${validation} A stale \`If-Match\` is 412 (without one the write goes ahead). Needs scope \`admin\` (403).`,
      body: PolicySettings, response: { 200: FollowThroughPolicyResource, ...errorResponses },
    },
  }, async (req, reply) =>
    mutate(req, reply, 200, (rec) => putPolicyLevel(rec, { organizationId: rec.organizationId, initiativeId: null }, req.body, (v) => checkIfMatch(req, v))),
  );

  app.get('/v1/initiatives/:initiativeId/follow-through-policy', {
    config: { access: 'member' },
    schema: {
      operationId: 'getInitiativeFollowThroughPolicy', tags, summary: "An initiative's follow-through policy (its override and what applies)",
      description: `${answer} An initiative without an override answers \`settings: {}\` and \`version: 0\`, its \`effective\` policy being the organisation's. An unknown initiative, or another organisation's, is 404.`,
      params: initiativeParams, response: { 200: FollowThroughPolicyResource, ...errorResponses },
    },
  }, async (req, reply) => {
    const policy = await getPolicyLevel(app.db, { organizationId: req.auth.organizationId, initiativeId: req.params.initiativeId });
    setEtag(reply, policy);
    return policy;
  });

  app.put('/v1/initiatives/:initiativeId/follow-through-policy', {
    config: { ...admin, access: 'integration' },
    schema: {
      operationId: 'putInitiativeFollowThroughPolicy', tags, summary: "Replace an initiative's override of the follow-through policy",
      description: `The body is the initiative's whole override: a field given overrides the organisation's, a field left out follows the organisation (then the defaults). ${validation} A stale \`If-Match\` is 412, an unknown initiative 404. Needs scope \`admin\` (403).`,
      params: initiativeParams, body: PolicySettings, response: { 200: FollowThroughPolicyResource, ...errorResponses },
    },
  }, async (req, reply) =>
    mutate(req, reply, 200, (rec) => putPolicyLevel(rec, { organizationId: rec.organizationId, initiativeId: req.params.initiativeId }, req.body, (v) => checkIfMatch(req, v))),
  );

  app.delete('/v1/initiatives/:initiativeId/follow-through-policy', {
    config: { ...admin, access: 'integration' },
    schema: {
      operationId: 'deleteInitiativeFollowThroughPolicy', tags, summary: "Remove an initiative's override (it follows the organisation's policy again)",
      description: 'Deletes the override; what is still planned follows the organisation\'s policy from now on. 404 when the initiative is unknown or has no override, 412 for a stale `If-Match`. Needs scope `admin` (403).',
      params: initiativeParams, response: { 204: z.undefined(), ...errorResponses },
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) =>
      deleteInitiativePolicy(rec, { organizationId: rec.organizationId, initiativeId: req.params.initiativeId }, (v) => checkIfMatch(req, v)),
    );
    return reply.send(undefined);
  });
};
