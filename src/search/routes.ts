import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { pageQuery, page } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { searchTypes, snippetOf, type SearchType } from './documents.js';
import { viewerOf } from '../access/viewer.js';
import { cursorKey, search } from './queries.js';

const SearchType = z.enum(searchTypes).meta({ id: 'SearchType' });

export const SearchHit = z
  .object({
    type: SearchType,
    id: Id,
    title: z.string(),
    snippet: z.string().describe('The text around the first match, on one line.'),
    rank: z
      .number()
      .describe('Higher is better: 2 when the query occurs in the title, 1 when only in the other text. Hits are ordered by rank, then newest first (ties by type, then id).'),
    meetingId: Id.nullable().describe('The meeting the hit belongs to (itself for a meeting).'),
  })
  .meta({ id: 'SearchHit' });

const SearchQuery = z.object({
  ...pageQuery,
  q: z.string().trim().min(1).max(200).describe('Text to find, in any language (`跨部门`, `预算`, `budget`); matched as a case-insensitive substring.'),
  types: z
    .string()
    .max(100)
    .transform((s) => [...new Set(s.split(',').map((x) => x.trim()).filter(Boolean))])
    .pipe(z.array(SearchType).min(1))
    .optional()
    .describe('Comma-separated: `meeting,decision,issue,material` (default: all).'),
});

export const searchRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/search', {
    config: { access: 'member' },
    schema: {
      operationId: 'search', tags: ['Search'], summary: 'Search meetings, decisions, issues and materials',
      description:
        'Finds `q` (any language, case-insensitive substring) in meetings, decisions, issues and materials, or in the `types` given: title matches first, then newest, each hit with a one-line snippet and its meeting. Nothing of a meeting the caller may not see (visibility `participants`) is found. Refuses an empty `q`, one longer than 200 characters and an unknown type (400).',
      querystring: SearchQuery,
      response: { 200: z.object({ data: z.array(SearchHit), nextCursor: z.string().nullable() }), ...errorResponses },
    },
  }, async (req, reply) => {
    const { q, limit, cursor } = req.query;
    const types: SearchType[] = req.query.types ?? [...searchTypes];
    const rows = await search(app.db, req.auth.organizationId, viewerOf(req.auth), { q, types, limit, cursor });
    return page(req, reply, rows, limit, cursorKey, (r) => ({
      type: r.type,
      id: r.id,
      title: r.title,
      snippet: snippetOf(r.doc, q),
      rank: r.tier,
      meetingId: r.meeting_id,
    }));
  });
};
