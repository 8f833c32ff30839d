import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { errorResponses } from '../platform/schemas.js';
import { findOrganization, toApiOrganization, updateOrganization } from './organization.js';
import { Organization, OrganizationPatch } from './schemas.js';

export const organizationRoutes: FastifyPluginAsyncZod = async (app) => {
  const tags = ['Organization'];
  app.get('/v1/organization', {
    config: { access: 'member' },
    schema: {
      operationId: 'getOrganization', tags, summary: 'The organisation\'s settings',
      description:
        'The organisation the API key belongs to: its name and the defaults that apply to people who set none, `defaultTimeZone` (`UTC` until set) and `defaultWorkingHours` (Monday to Friday, 09:00 to 17:00 until set), with its `ETag`. A key without the `read` scope is 403.',
      response: { 200: Organization, ...errorResponses },
    },
  }, async (req, reply) => {
    const org = toApiOrganization(await findOrganization(app.db, req.auth.organizationId));
    setEtag(reply, org);
    return org;
  });

  app.patch('/v1/organization', {
    config: { access: 'integration', scope: 'admin' },
    schema: {
      operationId: 'updateOrganization', tags, summary: 'Change the organisation\'s settings',
      description:
        'Changes the fields given (scope `admin`); `null` puts a default back to the built-in one. Refuses a time zone that is not an IANA name and working hours that are not valid (ranges out of order, overlapping, more than 4 a day, unknown weekdays) with 400, a key without the `admin` scope with 403, and a stale `If-Match` with 412.',
      body: OrganizationPatch, response: { 200: Organization, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateOrganization(rec, req.body, (v) => checkIfMatch(req, v)));
  });
};
