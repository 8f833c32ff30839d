import { wallClock } from './recurrence.js';

// RFC 5545 wants a VTIMEZONE for every TZID a calendar uses. ical-generator leaves building it to
// a generator; this one derives the zone's offsets and transitions from the runtime's own tz data
// (Intl), so no separate tz database has to be shipped or kept current.

const HOUR = 3600_000;
const cache = new Map<string, string>();

const offsetAt = (tz: string, at: number) => wallClock(new Date(at), tz).getTime() - at;

function fmtOffset(ms: number): string {
  const sign = ms < 0 ? '-' : '+';
  const mins = Math.abs(Math.round(ms / 60000));
  return `${sign}${String(Math.floor(mins / 60)).padStart(2, '0')}${String(mins % 60).padStart(2, '0')}`;
}

const fmtLocal = (at: number, offset: number) => new Date(at + offset).toISOString().slice(0, 19).replace(/[-:]/g, '');

/** Observances from two years back to six years ahead: covers what meetings are scheduled in. */
export function vtimezone(tz: string): string {
  const hit = cache.get(tz);
  if (hit) return hit;
  const year = new Date().getUTCFullYear();
  const start = Date.UTC(year - 2, 0, 1);
  const end = Date.UTC(year + 6, 0, 1);
  const transitions: { at: number; from: number; to: number }[] = [];
  let prev = offsetAt(tz, start);
  const initial = prev;
  for (let t = start + 6 * HOUR; t <= end; t += 6 * HOUR) {
    const cur = offsetAt(tz, t);
    if (cur === prev) continue;
    let lo = t - 6 * HOUR;
    let hi = t;
    while (hi - lo > 60000) {
      const mid = lo + Math.floor((hi - lo) / 120000) * 60000;
      if (offsetAt(tz, mid) === prev) lo = mid;
      else hi = mid;
    }
    transitions.push({ at: hi, from: prev, to: cur });
    prev = cur;
  }
  const standard = Math.min(initial, ...transitions.map((x) => x.to));
  const lines = ['BEGIN:VTIMEZONE', `TZID:${tz}`];
  const observance = (at: number, from: number, to: number) => {
    const kind = to > standard ? 'DAYLIGHT' : 'STANDARD';
    lines.push(`BEGIN:${kind}`, `DTSTART:${fmtLocal(at, from)}`, `TZOFFSETFROM:${fmtOffset(from)}`, `TZOFFSETTO:${fmtOffset(to)}`, `END:${kind}`);
  };
  observance(start, initial, initial);
  for (const x of transitions) observance(x.at, x.from, x.to);
  lines.push('END:VTIMEZONE');
  const text = lines.join('\r\n');
  cache.set(tz, text);
  return text;
}
