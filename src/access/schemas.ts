import { z } from 'zod';
import { SCOPES } from '../platform/api-key-crypto.js';
import { Id, Timestamp, text, Version } from '../platform/schemas.js';

export const Scope = z.enum(SCOPES).meta({
  id: 'Scope',
  description:
    '`admin` includes every scope; `write` includes `read`. `act_as` lets an integration key act on behalf of a person with the `Liaison-On-Behalf-Of` header. `confidential` lets an integration key see meetings of visibility `participants` and everything in them, and create webhooks and streams with `includeConfidential`.',
});

export const ApiKey = z
  .object({
    id: Id,
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, to tell keys apart.'),
    scopes: z.array(Scope),
    personId: Id.nullable().describe(
      'The person a person-bound key acts as; null for an integration key. A person-bound key is refused (401) once its person is deleted.',
    ),
    lastUsedAt: Timestamp.nullable(),
    revokedAt: Timestamp.nullable(),
    createdAt: Timestamp,
    updatedAt: Timestamp,
    version: Version,
  })
  .meta({ id: 'ApiKey' });

export const CreatedApiKey = ApiKey.extend({
  secret: z.string().describe('The key itself. Shown only in this answer: store it now.'),
}).meta({ id: 'CreatedApiKey' });

export const NewApiKey = z
  .strictObject({
    name: text(200),
    scopes: z.array(Scope).min(1).max(SCOPES.length),
    personId: Id.optional().describe(
      'Makes the key person-bound: it acts as this person of the organisation (it cannot also have `act_as`). Leave it out for an integration key.',
    ),
  })
  .meta({ id: 'NewApiKey' });

export type NewApiKey = z.infer<typeof NewApiKey>;

/** Who made a change: the API key and the person it acted as (null for an integration key acting as itself); both null for the service itself. */
export const Actor = z
  .object({
    keyId: Id.nullable().describe('The API key that made the change; null for the service itself.'),
    personId: Id.nullable().describe(
      'The person the key acted as: a person-bound key\'s own, or the one named by `Liaison-On-Behalf-Of`; null otherwise.',
    ),
  })
  .meta({ id: 'Actor' });
