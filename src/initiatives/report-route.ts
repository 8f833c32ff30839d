import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { FastifyRequest } from 'fastify';
import { BadRequest, HttpProblem } from '../platform/errors.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { PeriodBound, periodBound } from '../reports/schemas.js';
import { viewerOf } from '../access/viewer.js';
import { initiativeReport } from './report.js';
import { reportMarkdown } from './report-markdown.js';
import { InitiativeReport } from './report-schemas.js';

const MARKDOWN = 'text/markdown';
const JSON_TYPE = 'application/json';

/**
 * Picks JSON or Markdown from `Accept`: each type takes the q-value of its most specific matching
 * range (RFC 9110 §12.5.1); Markdown only when preferred strictly, JSON when absent or tied.
 */
export function preferredType(req: FastifyRequest): typeof MARKDOWN | typeof JSON_TYPE {
  const accept = req.headers.accept;
  if (!accept) return JSON_TYPE;
  const ranges = new Map<string, number>();
  for (const part of accept.split(',')) {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    ranges.set(range!.trim(), Number.isFinite(q) ? q : 0);
  }
  const qOf = (...specificFirst: string[]) => {
    for (const r of specificFirst) if (ranges.has(r)) return ranges.get(r)!;
    return 0;
  };
  const markdown = qOf(MARKDOWN, 'text/*', '*/*');
  const json = qOf(JSON_TYPE, 'application/*', '*/*');
  if (markdown <= 0 && json <= 0) throw new HttpProblem(406, 'This report is available as application/json or text/markdown.');
  return markdown > json ? MARKDOWN : JSON_TYPE;
}

export const reportRoute: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/initiatives/:initiativeId/report', {
    config: { access: 'member' },
    schema: {
      operationId: 'getInitiativeReport', tags: ['Initiatives'],
      summary: "The leader's report: goals, meetings, decisions, issues, departments needing attention, next steps",
      description:
        'Send `Accept: text/markdown` for the same report as a Markdown page (headings and tables) a leader can read by mail. `from`/`to` (a timestamp or a date, 00:00 UTC) bound the period; without `from` it runs from the beginning, without `to` until now. A meeting the caller may not see (visibility `participants`) counts in `counts` and the departments\' figures but is not listed, nor are its decisions and the issues raised in it. Refuses a `to` that is not after `from` (400) and an `Accept` that takes neither JSON nor Markdown (406); an unknown initiative is 404.',
      params: z.object({ initiativeId: Id }),
      querystring: z.object({ from: PeriodBound.optional(), to: PeriodBound.optional() }),
      response: {
        200: {
          description: 'The report, as JSON or as Markdown (content negotiation on `Accept`).',
          content: {
            [JSON_TYPE]: { schema: InitiativeReport },
            [MARKDOWN]: { schema: z.string().describe('The same report as a Markdown page.') },
          },
        },
        406: { description: 'Neither JSON nor Markdown is acceptable.', content: errorResponses[400].content },
        ...errorResponses,
      },
    },
  }, async (req, reply) => {
    const type = preferredType(req);
    const from = req.query.from ? periodBound(req.query.from) : null;
    const to = req.query.to ? periodBound(req.query.to) : new Date();
    if (from && !(from < to)) throw new BadRequest('`to` must be after `from`.', [{ path: 'querystring.to', message: 'must be after from' }]);
    const report = await initiativeReport(app.db, req.auth.organizationId, req.params.initiativeId, { from, to }, viewerOf(req.auth));
    reply.header('vary', 'Accept');
    if (type === MARKDOWN) {
      // Sent as text: the JSON serializer of the route's schema would quote it.
      return reply.type(`${MARKDOWN}; charset=utf-8`).serializer((s: unknown) => s as string).send(reportMarkdown(report));
    }
    return report;
  });
};
