import type { Availability } from './busy-time.js';
import { ForwardCursor, intersect, subtract, type Interval } from './intervals.js';
import type { FindTimesResult } from './schemas.js';
import { workingIntervals } from './working-hours.js';

export interface FindTimesQuery {
  required: string[];
  optional: string[];
  from: number;
  to: number;
  durationMs: number;
  granularityMs: number;
  respectWorkingHours: boolean;
  minimumOptional: number;
  limit: number;
}

type Reason = 'busy' | 'outside_working_hours';

/** Starts on the granularity grid (from 00:00 UTC) at which a slot of `length` fits in a gap. */
function slotStarts(gaps: Interval[], length: number, step: number): number[] {
  const starts: number[] = [];
  for (const [s, e] of gaps) {
    for (let t = Math.ceil(s / step) * step; t + length <= e; t += step) starts.push(t);
  }
  return starts;
}

const hasSlot = (gaps: Interval[], length: number, step: number) =>
  gaps.some(([s, e]) => Math.ceil(s / step) * step + length <= e);

/**
 * Candidate times for a meeting (SPEC §7). Every person's time is read as intervals: working
 * hours in their own zone (DST included, see workingIntervals) minus their busy time. The
 * required attendees' free intervals are intersected, slots are laid on the grid inside what is
 * left, and each optional attendee is checked against all slots in one forward sweep of their
 * intervals: the cost grows with slots plus intervals, never with their product.
 */
export function findTimes(q: FindTimesQuery, data: Availability): FindTimesResult {
  const window: Interval[] = [[q.from, q.to]];
  const hoursOf = (id: string): Interval[] => {
    const p = data.people.get(id)!;
    return q.respectWorkingHours ? workingIntervals(p.workingHours, p.timeZone, q.from, q.to) : window;
  };
  const busyOf = (id: string) => data.busy.get(id) ?? [];

  let commonHours = window;
  let commonFree = window;
  for (const id of q.required) {
    const hours = hoursOf(id);
    commonHours = intersect(commonHours, hours);
    commonFree = intersect(commonFree, subtract(hours, busyOf(id)));
  }
  const starts = slotStarts(commonFree, q.durationMs, q.granularityMs);
  if (starts.length === 0) {
    const emptyReason = hasSlot(commonHours, q.durationMs, q.granularityMs) ? 'all_busy' : 'no_common_working_hours';
    return { candidates: [], emptyReason };
  }

  // Per optional attendee and slot: null when free, else why not.
  const reasons: (Reason | null)[][] = q.optional.map((id) => {
    const busy = new ForwardCursor(busyOf(id));
    const hours = new ForwardCursor(hoursOf(id));
    return starts.map((t): Reason | null => {
      const end = t + q.durationMs;
      // Both cursors are asked about every slot, in order, so neither falls behind.
      const isBusy = busy.overlaps(t, end);
      const inHours = hours.covers(t, end);
      return isBusy ? 'busy' : inHours ? null : 'outside_working_hours';
    });
  });
  const freeCount = starts.map((_, i) => reasons.reduce((n, r) => n + (r[i] === null ? 1 : 0), 0));
  const needed = q.optional.length ? Math.ceil(q.minimumOptional * q.optional.length - 1e-9) : 0;

  // Most optional attendees free first, then earliest: slots are already in time order, so a
  // pass per count, from the highest down, picks them without sorting.
  const picked: number[] = [];
  for (let count = q.optional.length; count >= needed && picked.length < q.limit; count--) {
    for (let i = 0; i < starts.length && picked.length < q.limit; i++) if (freeCount[i] === count) picked.push(i);
  }
  if (picked.length === 0) return { candidates: [], emptyReason: 'too_few_optional' };

  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    candidates: picked.map((i) => ({
      startsAt: iso(starts[i]!),
      endsAt: iso(starts[i]! + q.durationMs),
      score: q.optional.length ? freeCount[i]! / q.optional.length : 1,
      attendees: [
        ...q.required.map((personId) => ({ personId, required: true, available: true, reason: null })),
        ...q.optional.map((personId, o) => ({ personId, required: false, available: reasons[o]![i] === null, reason: reasons[o]![i]! })),
      ],
    })),
    emptyReason: null,
  };
}
