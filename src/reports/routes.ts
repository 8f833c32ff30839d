import { z } from 'zod';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { departments, initiatives } from '../../db/schema/index.js';
import { BadRequest } from '../platform/errors.js';
import { assertReferences } from '../platform/references.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { effectivenessReport } from './effectiveness.js';
import { EffectivenessReport, PeriodBound, periodBound } from './schemas.js';

const MAX_PERIOD_DAYS = 5 * 366;

export const reportRoutes: FastifyPluginAsyncZod = async (app) => {
  app.get('/v1/reports/effectiveness', {
    config: { access: 'member' },
    schema: {
      operationId: 'getEffectivenessReport', tags: ['Reports'],
      summary: 'How well cross-department communication worked over a period',
      description:
        'Counts how the organisation\'s meetings, materials, decisions, issues and feedback went over a period, in total and per department under `byDepartment`; every figure is defined in the response schema, and one with nothing to measure is null. The period is [from, to), at most five years; `from` and `to` take a timestamp or a date (00:00 UTC). Refuses a `to` that is not after `from` and a period over five years (400), and an `initiativeId` or `departmentId` that names nothing in the organisation (400).',
      querystring: z.object({
        from: PeriodBound.describe('Start of the period (inclusive).'),
        to: PeriodBound.describe('End of the period (exclusive).'),
        initiativeId: Id.optional().describe("Only this initiative's meetings and issues."),
        departmentId: Id.optional().describe("Report this department's figures at the top level."),
      }),
      response: { 200: EffectivenessReport, ...errorResponses },
    },
  }, async (req) => {
    const q = req.query;
    const from = periodBound(q.from);
    const to = periodBound(q.to);
    if (!(from < to)) throw new BadRequest('`to` must be after `from`.', [{ path: 'querystring.to', message: 'must be after from' }]);
    if (to.getTime() - from.getTime() > MAX_PERIOD_DAYS * 86_400_000) {
      throw new BadRequest('The period is longer than five years.', [{ path: 'querystring.to', message: 'period too long' }]);
    }
    const organizationId = req.auth.organizationId;
    await assertReferences(app.db, organizationId, [
      { path: 'querystring.initiativeId', table: initiatives, id: q.initiativeId, what: 'initiative' },
      { path: 'querystring.departmentId', table: departments, id: q.departmentId, what: 'department' },
    ]);
    return effectivenessReport(app.db, { organizationId, from, to, initiativeId: q.initiativeId, departmentId: q.departmentId });
  });
};
