import { measure } from '../harness.js';
import type { Scenario } from '../context.js';

/** Authenticated single-resource read against the bare primary-key route (target ≥ 0.6). */
export const directory: Scenario = async (ctx) => {
  const dept = await ctx.post('/v1/departments', { name: 'Bench department', code: `B${Date.now() % 100000}` });
  const got = await measure('GET /v1/departments/{id}', { url: `${ctx.api}/v1/departments/${dept.id}`, headers: ctx.headers });
  return [{ ...got, ratio: got.requestsPerSec / ctx.baseline.requestsPerSec, target: '≥ 0.6 of bare' }];
};
