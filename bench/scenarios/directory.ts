import type { Scenario } from '../context.js';

/** Authenticated single-resource read against the bare primary-key route (target ≥ 0.6). */
export const directory: Scenario = async (ctx) => {
  const dept = await ctx.post('/v1/departments', { name: 'Bench department', code: `B${Date.now() % 100000}` });
  return [await ctx.againstBare('GET /v1/departments/{id}', { url: `${ctx.api}/v1/departments/${dept.id}`, headers: ctx.headers }, '≥ 0.6 of bare')];
};
