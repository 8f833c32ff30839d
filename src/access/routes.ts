import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { KeyStore } from '../platform/key-store.js';
import { mutate } from '../platform/mutation.js';
import { createdKey, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { createApiKey, listApiKeys, revokeApiKey, toApiKey } from './api-keys.js';
import { ApiKey, CreatedApiKey, NewApiKey } from './schemas.js';

export const accessRoutes: FastifyPluginAsyncZod<{ keys: KeyStore }> = async (app, { keys }) => {
  const tags = ['API keys'];
  const config = { scope: 'admin' as const, access: 'integration' as const };

  app.post('/v1/api-keys', {
    config,
    schema: {
      operationId: 'createApiKey', tags, summary: 'Create an API key (its secret is shown once)',
      description:
        'Creates a key of this organisation with the scopes given (`admin` includes every scope, `act_as` included; `write` includes `read`). With `personId` the key is person-bound: it acts as that person (and is refused once the person is deleted, which revokes it); without, it is an integration key, which with `act_as` may act on behalf of a person by sending `Liaison-On-Behalf-Of`. The secret is in this answer only: the service keeps just its hash, so replaying the request with the same `Idempotency-Key` answers 409 instead of showing it again. Needs scope `admin` (403); a missing name, an empty or unknown scope list, a `personId` naming no person of the organisation, or `act_as` on a person-bound key is 400.',
      body: NewApiKey, response: { 201: CreatedApiKey, ...errorResponses },
    },
  }, async (req, reply) => mutate(req, reply, 201, (rec) => createApiKey(rec, req.body), { secretBearing: true }));

  app.get('/v1/api-keys', {
    config,
    schema: {
      operationId: 'listApiKeys', tags, summary: 'List API keys',
      description:
        'Lists the organisation\'s keys, oldest first, revoked ones included (with `revokedAt`): name, prefix, scopes, the person of a person-bound key (`personId`, null for an integration key) and `lastUsedAt`, never a secret or its hash. Needs scope `admin` (403); a malformed `cursor` is 400.',
      querystring: z.object(pageQuery), response: { 200: listOf(ApiKey), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listApiKeys(app.db, req.auth.organizationId, req.query);
    return page(req, reply, rows, req.query.limit, createdKey, toApiKey);
  });

  app.delete('/v1/api-keys/:keyId', {
    config,
    schema: {
      operationId: 'revokeApiKey', tags, summary: 'Revoke an API key (effective on the next request)',
      description:
        'Revokes a key: every API process refuses it (401) from the next request on. Needs scope `admin` (403); an unknown or already revoked key is 404.',
      params: z.object({ keyId: Id }), response: { 204: z.undefined(), ...errorResponses },
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => revokeApiKey(rec, req.params.keyId));
    // This process forgets the key now; the others hear the NOTIFY sent on commit.
    keys.evict(req.params.keyId);
    return reply.send(undefined);
  });
};
