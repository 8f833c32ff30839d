const UNIT_MS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const DEFAULT_RETRY_SCHEDULE_SPEC = '5s,5m,30m,2h,5h,10h,14h,20h,24h';

/** Fraction of each delay that is randomised, so many failing deliveries don't retry in lock-step. */
export const RETRY_JITTER = 0.2;

/** Statuses whose Retry-After header is honoured. */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/** Parses e.g. `1s,2s,4s` into milliseconds; units ms, s, m, h, d are required to avoid ambiguity. */
export function parseRetrySchedule(value: string): number[] {
  const entries = value.split(',').map((e) => e.trim());
  return entries.map((entry) => {
    const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(entry);
    if (!match) {
      throw new Error(
        `invalid retry schedule entry "${entry}" in "${value}" (expected a comma-separated list like 5s,5m,2h; units ms,s,m,h,d)`,
      );
    }
    return Math.round(Number(match[1]) * UNIT_MS[match[2]]);
  });
}

export const DEFAULT_RETRY_SCHEDULE: readonly number[] = Object.freeze(parseRetrySchedule(DEFAULT_RETRY_SCHEDULE_SPEC));

/**
 * Delay before the next attempt, given how many attempts were already made; null means the
 * schedule is exhausted and the delivery has failed. Zero attempts made means "send now".
 */
export function nextAttemptDelay(
  attemptsMade: number,
  schedule: readonly number[],
  random: () => number = Math.random,
): number | null {
  if (!Number.isInteger(attemptsMade) || attemptsMade < 0) {
    throw new RangeError(`attemptsMade must be a non-negative integer, got ${attemptsMade}`);
  }
  if (attemptsMade === 0) return 0;
  if (attemptsMade > schedule.length) return null;
  const base = schedule[attemptsMade - 1];
  const factor = 1 + (random() * 2 - 1) * RETRY_JITTER;
  return Math.round(base * factor);
}

/**
 * Honour a receiver's Retry-After (delta seconds or HTTP date), but never sooner than our own
 * schedule and never more than twice it, so a hostile header can't stall or hammer the queue.
 */
export function retryAfterDelay(headerValue: string | undefined, scheduledMs: number, now: Date): number {
  const max = scheduledMs * 2;
  if (headerValue === undefined) return scheduledMs;
  const text = headerValue.trim();
  let requested: number;
  if (/^\d+$/.test(text)) {
    requested = Number(text) * 1000;
  } else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return scheduledMs;
    requested = at - now.getTime();
  }
  return Math.min(max, Math.max(scheduledMs, requested));
}
