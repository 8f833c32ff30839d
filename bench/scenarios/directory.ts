import type { Scenario } from '../context.js';
import { byPrincipal, principalsOf } from '../principals.js';

/**
 * Authenticated single-resource read against the bare primary-key route (target ≥ 0.6), by each
 * kind of principal (SPEC §8: a department is visible to all of them alike).
 */
export const directory: Scenario = async (ctx) => {
  const dept = await ctx.post('/v1/departments', { name: 'Bench department', code: `B${Date.now() % 100000}` });
  const person = await ctx.post('/v1/people', { name: 'Bench reader', email: `bench-reader-${Date.now()}@example.com`, departmentId: dept.id });
  return byPrincipal(ctx, 'GET /v1/departments/{id}', `${ctx.api}/v1/departments/${dept.id}`, await principalsOf(ctx, person.id), '≥ 0.6 of bare');
};
