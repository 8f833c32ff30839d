import { systemClock } from '../platform/clock.js';
import { BadRequest } from '../platform/errors.js';

const DAY = 24 * 3600 * 1000;

/**
 * The window a request names, as epoch ms: it must end after it starts and span at most
 * `maxDays`. `from` defaults to now and `to` to `defaultDays` after `from` (when given; else
 * both are required). `where` is the part of the request they came from, for `errors[]`.
 */
export function readWindow(from: string | undefined, to: string | undefined, maxDays: number, where: 'body' | 'querystring', defaultDays?: number): { from: number; to: number } {
  const start = from ? Date.parse(from) : systemClock.now().getTime();
  const end = to ? Date.parse(to) : defaultDays !== undefined ? start + defaultDays * DAY : NaN;
  if (Number.isNaN(end)) throw new BadRequest('`to` is required.', [{ path: `${where}.to`, message: 'required' }]);
  if (!(start < end)) throw new BadRequest('The window must end after it starts.', [{ path: `${where}.to`, message: 'must be after from' }]);
  if (end - start > maxDays * DAY) throw new BadRequest(`The window spans at most ${maxDays} days.`, [{ path: `${where}.to`, message: `at most ${maxDays} days after from` }]);
  return { from: start, to: end };
}
