import { wallClock } from '../meetings/recurrence.js';

// Wall clock ↔ instant in an IANA zone, fast enough to lay out working hours for a hundred
// people over two months per request. Intl (the runtime's tz data) is asked once per zone and
// UTC year for the year's offset changes; every conversion after that is arithmetic.

const DAY = 24 * 3600 * 1000;
const MINUTE = 60_000;

interface YearOffsets {
  start: number;
  end: number;
  /** Offsets (ms, wall minus UTC) in force from each instant on, the year's start first. */
  from: number[];
  offset: number[];
}

const years = new Map<string, Map<number, YearOffsets>>();
/** Tables kept at most (a zone-year is a few hundred bytes); past it the cache starts afresh. */
const MAX_TABLES = 5000;
let tables = 0;
/** The table used last per zone: conversions come in runs over one window. */
const recent = new Map<string, YearOffsets>();

const intlOffset = (tz: string, at: number) => wallClock(new Date(at), tz).getTime() - at;

function yearOf(tz: string, year: number): YearOffsets {
  if (tables >= MAX_TABLES) {
    years.clear();
    tables = 0;
  }
  let zone = years.get(tz);
  if (!zone) years.set(tz, (zone = new Map()));
  const hit = zone.get(year);
  if (hit) return hit;
  const start = Date.UTC(year, 0, 1);
  const end = Date.UTC(year + 1, 0, 1);
  const table: YearOffsets = { start, end, from: [start], offset: [intlOffset(tz, start)] };
  // No zone changes its offset twice within a day: a daily probe finds every change, and a
  // bisection to the minute places it.
  for (let t = start + DAY; t <= end; t += DAY) {
    const prev = table.offset[table.offset.length - 1]!;
    if (intlOffset(tz, Math.min(t, end)) === prev) continue;
    let lo = t - DAY;
    let hi = Math.min(t, end);
    while (hi - lo > MINUTE) {
      const mid = lo + Math.floor((hi - lo) / (2 * MINUTE)) * MINUTE;
      if (intlOffset(tz, mid) === prev) lo = mid;
      else hi = mid;
    }
    if (hi < end) {
      table.from.push(hi);
      table.offset.push(intlOffset(tz, hi));
    }
  }
  zone.set(year, table);
  tables++;
  return table;
}

/** The zone's offset (wall minus UTC, ms) at an instant. */
export function offsetAt(tz: string, instant: number): number {
  let table = recent.get(tz);
  if (!table || instant < table.start || instant >= table.end) {
    table = yearOf(tz, new Date(instant).getUTCFullYear());
    recent.set(tz, table);
  }
  let i = table.from.length - 1;
  while (i > 0 && table.from[i]! > instant) i--;
  return table.offset[i]!;
}

/** The wall-clock time at an instant, as epoch ms whose UTC fields hold it. */
export const wallOf = (tz: string, instant: number) => instant + offsetAt(tz, instant);

/**
 * The instant a wall-clock time names (epoch ms whose UTC fields hold it), as
 * src/meetings/recurrence.ts reads it: a time that a spring-forward gap skips is read with the
 * offset in force after the change, one repeated in autumn as its first occurrence.
 */
export function instantOf(tz: string, wall: number): number {
  const guess = wall - offsetAt(tz, wall);
  return wall - offsetAt(tz, guess);
}
