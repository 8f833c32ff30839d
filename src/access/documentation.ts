import type { DocumentExtension } from '../platform/openapi.js';
import { ACCESS_RULES, isAccessRule } from './rules.js';

/**
 * `Liaison-On-Behalf-Of`, declared once under `components.parameters` and referenced by every
 * operation that takes an API key (every path under /v1), so SDKs offer it everywhere the
 * service honours it (src/platform/auth.ts).
 */
export const documentOnBehalfOf: DocumentExtension = (doc) => {
  const components = (doc.components ??= {}) as { parameters?: Record<string, unknown> };
  (components.parameters ??= {}).OnBehalfOf = {
    name: 'Liaison-On-Behalf-Of',
    in: 'header',
    required: false,
    description:
      'The id of a person of this organisation the request acts as: it is done as that person, and its audit records and events carry `actor: { keyId, personId }`. Only an integration key with scope `act_as` may send it (403 otherwise, also for a person-bound key, which acts as its own person only); a malformed id, or one naming no person of this organisation, is 400 naming `headers.liaison-on-behalf-of`.',
    // No example: Swagger UI fills a parameter's example into "Try it out", and every request
    // tried from /docs would then act on behalf of a person who does not exist (400).
    schema: { type: 'string', format: 'uuid' },
  };
  const ref = { $ref: '#/components/parameters/OnBehalfOf' };
  for (const [path, item] of Object.entries((doc.paths ?? {}) as Record<string, Record<string, { parameters?: unknown[] }>>)) {
    if (!path.startsWith('/v1/')) continue;
    for (const op of Object.values(item)) (op.parameters ??= []).push(ref);
  }
};

/**
 * Each operation's access rule (`x-liaison-access`, from its route's `config.access`), said in its
 * description too: what a person-bound key, or a request on behalf of a person, may do there.
 */
export const documentAccessRules: DocumentExtension = (doc) => {
  for (const item of Object.values((doc.paths ?? {}) as Record<string, Record<string, { description?: string; 'x-liaison-access'?: string }>>)) {
    for (const op of Object.values(item)) {
      const rule = op['x-liaison-access'];
      if (!isAccessRule(rule) || rule === 'member') continue;
      const said = `As a person (a person-bound key, or \`Liaison-On-Behalf-Of\`): rule \`${rule}\`, allowed to ${ACCESS_RULES[rule]}; anyone else is 403 naming the rule.`;
      op.description = op.description ? `${op.description}\n\n${said}` : said;
    }
  }
};
