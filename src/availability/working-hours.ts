import { z } from 'zod';
import type { Interval } from './intervals.js';
import { instantOf, wallOf } from './zone-offsets.js';

// Working hours (SPEC §7): per weekday, up to four wall-clock ranges in the person's own zone.
// A day left out (or given as []) has none. `24:00` may end a range, so a day can run to midnight.

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

const MAX_RANGES_A_DAY = 4;

const CLOCK_TIME = /^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const ClockTime = z
  .string()
  .regex(CLOCK_TIME, 'must be HH:MM (00:00 to 23:59, or 24:00 to end a range at midnight)');

const TimeRange = z
  .array(ClockTime)
  .length(2, 'a range is [start, end]')
  .meta({ id: 'WorkingTimeRange', description: '`[start, end]`: two `HH:MM` wall-clock times in the owner\'s zone, start before end.' });

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const DayRanges = z
  .array(TimeRange)
  .max(MAX_RANGES_A_DAY, `at most ${MAX_RANGES_A_DAY} ranges a day`)
  .superRefine((ranges, ctx) => {
    let previousEnd = -1;
    ranges.forEach((range, i) => {
      // A range that is not two valid times has its issue already; the order checks need both.
      if (range.length !== 2 || !range.every((time) => CLOCK_TIME.test(time))) return;
      const [start, end] = [range[0]!, range[1]!];
      if (start === '24:00') ctx.addIssue({ code: 'custom', path: [i, 0], message: '24:00 can only end a range' });
      else if (minutesOf(start) >= minutesOf(end)) ctx.addIssue({ code: 'custom', path: [i, 1], message: 'a range must end after it starts' });
      else if (minutesOf(start) < previousEnd) ctx.addIssue({ code: 'custom', path: [i, 0], message: 'ranges must be in order and must not overlap' });
      previousEnd = Math.max(previousEnd, minutesOf(end));
    });
  })
  .meta({ id: 'WorkingDayHours', description: `One day's working hours: at most ${MAX_RANGES_A_DAY} ranges, in order and not overlapping.` });

export const WorkingHours = z
  .strictObject(Object.fromEntries(weekdays.map((d) => [d, DayRanges.optional()])) as Record<Weekday, z.ZodOptional<typeof DayRanges>>)
  .refine((hours) => weekdays.some((d) => (hours[d]?.length ?? 0) > 0), 'at least one day needs working hours')
  .meta({
    id: 'WorkingHours',
    description:
      'Working hours per weekday (`mon` … `sun`), each day up to 4 ranges `[start, end]` of `HH:MM` wall-clock times in the owner\'s time zone, in order and not overlapping (`24:00` may end a range). A day left out has no working hours.',
    examples: [{ mon: [['09:00', '12:00'], ['13:00', '17:30']], tue: [['09:00', '17:00']], wed: [['09:00', '17:00']], thu: [['09:00', '17:00']], fri: [['09:00', '15:00']] }],
  });
export type WorkingHours = z.infer<typeof WorkingHours>;

/** Monday to Friday, 09:00 to 17:00: the hours of an organisation that has set none. */
export const DEFAULT_WORKING_HOURS: WorkingHours = Object.fromEntries(weekdays.slice(0, 5).map((d) => [d, [['09:00', '17:00']]]));
export const DEFAULT_TIME_ZONE = 'UTC';

// Date#getUTCDay numbering (0 = Sunday) to the keys above.
const byDayNumber: Weekday[] = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const DAY = 24 * 3600 * 1000;
const MINUTE = 60_000;

/**
 * The instants a person works within [from, to), in order, computed in their zone day by day, so
 * that 09:00 stays 09:00 across a daylight-saving change (and a day that loses or gains an hour
 * is shorter or longer in absolute time). Ranges are clipped to the window.
 */
export function workingIntervals(hours: WorkingHours, tz: string, from: number, to: number): Interval[] {
  const out: Interval[] = [];
  // From the local day before `from`: the zone's day may begin before `from` in UTC.
  const firstWall = wallOf(tz, from);
  for (let day = firstWall - (firstWall % DAY) - DAY; instantOf(tz, day) < to; day += DAY) {
    for (const range of hours[byDayNumber[new Date(day).getUTCDay()]!] ?? []) {
      const lo = Math.max(instantOf(tz, day + minutesOf(range[0]!) * MINUTE), from);
      const hi = Math.min(instantOf(tz, day + minutesOf(range[1]!) * MINUTE), to);
      if (lo < hi) out.push([lo, hi]);
    }
  }
  return out;
}
