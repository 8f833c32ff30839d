import type { BenchContext, Row } from './context.js';
import { cpuPerRequest } from './cpu-per-request.js';

export type Principal = [who: string, headers: Record<string, string>];

/**
 * The three kinds of principal SPEC §8 reads with: the admin key (sees every meeting, no
 * visibility check), an integration key with scope `read` only, and `personId`'s person-bound key.
 */
export async function principalsOf(ctx: BenchContext, personId: string): Promise<Principal[]> {
  const keyed = async (body: Record<string, unknown>) => ({ ...ctx.headers, authorization: `Bearer ${(await ctx.post('/v1/api-keys', { name: 'bench', ...body })).secret}` });
  return [
    ['admin key', ctx.headers],
    ['integration key', await keyed({ scopes: ['read'] })],
    ['person-bound key', await keyed({ scopes: ['read'], personId })],
  ];
}

/**
 * Measures `url` for each principal against the bare route, then its CPU per request in
 * interleaved runs, noted on each row beside the admin key's (the target: within 5 %).
 */
export async function byPrincipal(ctx: BenchContext, name: string, url: string, principals: Principal[], target: string): Promise<Row[]> {
  const rows: Row[] = [];
  for (const [who, headers] of principals) rows.push(await ctx.againstBare(`${name}, ${who}`, { url, headers }, target));
  if (!ctx.pids.api) return rows;
  const cpu = await cpuPerRequest(principals.map(([who, headers]) => ({ name: who, opts: { url, headers } })), ctx.pids.api);
  const admin = cpu.get(principals[0]![0])!;
  principals.forEach(([who], i) => {
    const c = cpu.get(who)!;
    rows[i]!.note = `${rows[i]!.note ?? ''}; interleaved: API ${c.apiUs} µs/req (${(c.apiUs / admin.apiUs).toFixed(2)} of admin's), machine ${c.machineUs} µs/req (${(c.machineUs / admin.machineUs).toFixed(2)}), ${c.requestsPerSec} req/s`;
  });
  return rows;
}
