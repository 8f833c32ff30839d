import autocannon from 'autocannon';
import { cpuTicks, machineTicks, TICKS_PER_SECOND } from './load-sampler.js';

export interface CpuPerRequest {
  /** CPU of the API process per request, in microseconds. */
  apiUs: number;
  /** Busy CPU of the whole machine per request (API, PostgreSQL and the load generator), in microseconds. */
  machineUs: number;
  requestsPerSec: number;
}

/**
 * What each variant of a request costs in CPU, measured in short runs taken in turn (A B C, B C A,
 * C A B, …) so that the machine's drift from one moment to the next falls on every variant alike; a
 * throughput ratio on this machine moves more from run to run than the differences it is asked
 * to show, the CPU a request takes much less.
 */
export async function cpuPerRequest(
  variants: { name: string; opts: autocannon.Options }[],
  apiPid: number,
  { rounds = 5, seconds = 4 } = {},
): Promise<Map<string, CpuPerRequest>> {
  const sums = new Map(variants.map((v) => [v.name, { api: 0, machine: 0, requests: 0, seconds: 0 }]));
  for (let round = 0; round < rounds; round++) {
    // Each round starts with the next variant, so that none always runs first (or after the same one).
    for (const v of [...variants.slice(round % variants.length), ...variants.slice(0, round % variants.length)]) {
      const [api0, m0] = await Promise.all([cpuTicks(apiPid), machineTicks()]);
      const result = await autocannon({ connections: 32, duration: seconds, ...v.opts });
      const [api1, m1] = await Promise.all([cpuTicks(apiPid), machineTicks()]);
      if (result.non2xx + result.errors > 0) throw new Error(`${v.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
      const s = sums.get(v.name)!;
      s.api += api1! - api0!;
      s.machine += m1.busy - m0.busy;
      s.requests += result.requests.total;
      s.seconds += seconds;
    }
  }
  const us = (ticks: number, requests: number) => Math.round(((ticks / TICKS_PER_SECOND) * 1e6) / requests);
  return new Map([...sums].map(([name, s]) => [name, { apiUs: us(s.api, s.requests), machineUs: us(s.machine, s.requests), requestsPerSec: Math.round(s.requests / s.seconds) }]));
}
