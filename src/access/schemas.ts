import { z } from 'zod';
import { SCOPES } from '../platform/api-key-crypto.js';
import { Id, Timestamp, text, Version } from '../platform/schemas.js';

export const Scope = z.enum(SCOPES).meta({ id: 'Scope', description: '`admin` includes every scope; `write` includes `read`.' });

export const ApiKey = z
  .object({
    id: Id,
    name: z.string(),
    prefix: z.string().describe('The first characters of the key, to tell keys apart.'),
    scopes: z.array(Scope),
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
    scopes: z.array(Scope).min(1).max(4),
  })
  .meta({ id: 'NewApiKey' });
