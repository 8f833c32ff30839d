import rrule from 'rrule';
import { instantOf, wallClock } from '../meetings/recurrence.js';

const { RRule } = rrule;
type Options = ReturnType<typeof RRule.parseString>;

// The digest's RRULE is a standing cadence evaluated in the policy's time zone: it has no DTSTART
// of its own. Every evaluation anchors it at the start of an interval period counted from one
// fixed epoch (Monday 2001-01-01 00:00 wall time), so "every other Monday" picks the same Mondays
// whatever window is asked for, and a rule without BYHOUR/BYMINUTE fires at 00:00, a WEEKLY one
// without BYDAY on Mondays, a MONTHLY one without BYMONTHDAY on the 1st.
// rrule computes in floating time (see meetings/recurrence.ts): wall times in UTC fields, mapped
// back to instants.

const EPOCH = Date.UTC(2001, 0, 1);
const HOUR = 3600_000;
const DAY = 24 * HOUR;

const FREQS = new Map<string, number>([
  ['HOURLY', RRule.HOURLY],
  ['DAILY', RRule.DAILY],
  ['WEEKLY', RRule.WEEKLY],
  ['MONTHLY', RRule.MONTHLY],
  ['YEARLY', RRule.YEARLY],
]);
const PARTS = new Set(['FREQ', 'INTERVAL', 'BYDAY', 'BYMONTHDAY', 'BYMONTH', 'BYHOUR', 'BYMINUTE', 'BYSETPOS']);
const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const list = <T>(v: T | T[] | null | undefined): T[] => (v === null || v === undefined ? [] : Array.isArray(v) ? v : [v]);

// The shapes a digest takes. Each refusal below rules out a combination that can name no moment
// at all (rrule would then search to the year 9999 on every evaluation) or fire more than hourly.
function shapeProblem(o: Options): string | null {
  const interval = o.interval ?? 1;
  if (!Number.isInteger(interval) || interval < 1 || interval > 12) return 'INTERVAL must be 1 to 12';
  const fine = o.freq === RRule.HOURLY || o.freq === RRule.DAILY;
  const coarse = o.freq === RRule.MONTHLY || o.freq === RRule.YEARLY;
  const byDay = list(o.byweekday as unknown as { n?: number } | { n?: number }[]).map((d) => (typeof d === 'object' && d.n ? d.n : 0));
  const [hours, months, monthDays, setPos] = [list(o.byhour), list(o.bymonth), list(o.bymonthday), list(o.bysetpos)];
  if (fine && interval > 1 && (hours.length || byDay.length || monthDays.length || months.length)) {
    return 'an HOURLY or DAILY rule with INTERVAL above 1 takes no BYDAY, BYMONTHDAY, BYMONTH or BYHOUR';
  }
  if (o.freq === RRule.MONTHLY && interval > 1 && months.length) return 'a MONTHLY rule with INTERVAL above 1 takes no BYMONTH';
  if (list(o.byminute).length > 1) return 'BYMINUTE takes one value: a digest fires at most once an hour';
  const numbered = byDay.filter((n) => n !== 0);
  if (numbered.length) {
    // rrule.js treats a mix as both at once (a numbered day that is also a plain one): none match.
    if (numbered.length !== byDay.length) return 'BYDAY takes numbered days (1MO, -1FR) or plain ones (MO, FR), not both';
    if (!coarse) return 'a numbered BYDAY (1MO, -1FR) needs FREQ=MONTHLY or YEARLY';
    if (monthDays.length) return 'a numbered BYDAY does not combine with BYMONTHDAY';
    const most = o.freq === RRule.MONTHLY || months.length ? 5 : 52;
    if (numbered.some((n) => Math.abs(n) > most)) return `a numbered BYDAY counts at most ${most} weekdays here`;
  }
  if (setPos.length) {
    if (!coarse) return 'BYSETPOS needs FREQ=MONTHLY or YEARLY';
    if (monthDays.length) return 'BYSETPOS does not combine with BYMONTHDAY';
    // The fewest candidates a period can hold: four of each plain weekday, one of a numbered one.
    const perPeriod = (byDay.length ? byDay.reduce((n, d) => n + (d ? 1 : 4), 0) : 1) * Math.max(1, hours.length);
    if (setPos.some((n) => n === 0 || Math.abs(n) > perPeriod)) return `BYSETPOS must be ±1 to ±${perPeriod} for this rule`;
  }
  if (months.length && monthDays.length && !months.some((m) => monthDays.some((d) => Math.abs(d) <= DAYS_IN_MONTH[m - 1]!))) {
    return 'BYMONTH and BYMONTHDAY name no day that exists';
  }
  return null;
}

/** Why a digest rule is refused, or null when it is accepted. */
export function digestRuleProblem(text: string): string | null {
  const body = canonical(text);
  if (!body || /[\r\n]/.test(body)) return 'must be one RRULE line such as FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0';
  const keys = body.split(';').map((p) => p.split('=')[0]!.trim());
  const refused = keys.find((k) => !PARTS.has(k));
  if (refused) {
    return ['DTSTART', 'UNTIL', 'COUNT'].includes(refused)
      ? `${refused} is not taken: a digest is a standing cadence (set reportDigest to null to stop it)`
      : `${refused} is not taken; use FREQ, INTERVAL, BYDAY, BYMONTHDAY, BYMONTH, BYHOUR, BYMINUTE, BYSETPOS (the time zone is the timeZone field)`;
  }
  if (new Set(keys).size !== keys.length) return 'names a part twice';
  const freqText = /(?:^|;)\s*FREQ=([A-Z]+)/.exec(body)?.[1];
  if (!freqText || !FREQS.has(freqText)) return 'FREQ must be HOURLY, DAILY, WEEKLY, MONTHLY or YEARLY (nothing finer than hourly)';
  let o: Options;
  try {
    o = RRule.parseString(body);
    new RRule({ ...o, dtstart: new Date(EPOCH) });
  } catch {
    return 'is not an RRULE the rrule package accepts';
  }
  const shape = shapeProblem(o);
  if (shape) return shape;
  if (!everyYear(o)) return 'must occur at least once in every year (no gap over 366 days)';
  cache.set(body, o);
  return null;
}

/**
 * Whether no two consecutive moments are more than 366 days apart over 2001–2028 (weekdays on
 * month days repeat within 28 years; other patterns within 5, leap days included).
 * Hours do not change the days a rule names, so all but the first are left out of the probe.
 * Time-independent: a rule accepted today is accepted tomorrow.
 */
function everyYear(o: Options): boolean {
  const [byDay, monthDays, months, setPos, hours, minutes] = [o.byweekday, o.bymonthday, o.bymonth, o.bysetpos, o.byhour, o.byminute].map((v) => list(v as unknown));
  const dayFilters = byDay!.length + monthDays!.length + months!.length + setPos!.length > 0;
  if ((o.freq === RRule.HOURLY || o.freq === RRule.DAILY) && !dayFilters) return true;
  const probe = new RRule({
    ...o,
    freq: o.freq === RRule.HOURLY ? RRule.DAILY : o.freq,
    byhour: setPos!.length ? o.byhour : hours!.length ? [hours![0] as number] : null,
    byminute: minutes!.length ? [minutes![0] as number] : null,
    dtstart: new Date(EPOCH),
    tzid: null, count: null, until: null,
  });
  // Plain weekdays on given month days (Friday the 13th) repeat within 28 years; the rest within 5.
  const plainDays = (byDay as { n?: number }[]).some((d) => typeof d === 'object' ? !d.n : true);
  const end = Date.UTC(plainDays && monthDays!.length ? 2029 : 2006, 0, 1);
  let last = EPOCH;
  let ok = true;
  probe.between(new Date(EPOCH), new Date(end), true, (d) => {
    if (d.getTime() - last > 366 * DAY) ok = false;
    last = d.getTime();
    return ok;
  });
  return ok && end - last <= 366 * DAY;
}

const cache = new Map<string, Options>();

/** The rule as evaluated: without an `RRULE:` prefix, upper case, no empty parts. */
const canonical = (text: string) =>
  text.trim().replace(/^RRULE:/i, '').toUpperCase().split(';').map((p) => p.trim()).filter(Boolean).join(';');

function optionsOf(text: string): Options {
  const body = canonical(text);
  let o = cache.get(body);
  if (!o) {
    if (cache.size > 1000) cache.clear();
    o = RRule.parseString(body);
    cache.set(body, o);
  }
  return o;
}

/** The start of the interval period holding `wall`, one period earlier (so the rule covers `wall`). */
function anchor(wall: Date, freq: number, interval: number): Date {
  const align = (n: number) => n - (((n % interval) + interval) % interval) - interval;
  if (freq === RRule.MONTHLY || freq === RRule.YEARLY) {
    const months = (wall.getUTCFullYear() - 2001) * 12 + wall.getUTCMonth();
    if (freq === RRule.YEARLY) return new Date(Date.UTC(2001 + align(Math.floor(months / 12)), 0, 1));
    return new Date(Date.UTC(2001, align(months), 1));
  }
  const unit = freq === RRule.HOURLY ? HOUR : freq === RRule.DAILY ? DAY : 7 * DAY;
  return new Date(EPOCH + align(Math.floor((wall.getTime() - EPOCH) / unit)) * unit);
}

/**
 * The digest moments (UTC instants) of `rule` in `timeZone` within [from, to), at most `limit`,
 * earliest first. Wall times that a daylight-saving gap skips resolve to the later offset.
 */
export function digestMoments(rule: string, timeZone: string, from: Date, to: Date, limit = 500): Date[] {
  if (!(from < to)) return [];
  const o = optionsOf(rule);
  // Wall clocks run up to a few hours either side of UTC offsets changing: widen, then filter.
  const wallFrom = new Date(wallClock(from, timeZone).getTime() - 3 * HOUR);
  const wallTo = new Date(wallClock(to, timeZone).getTime() + 3 * HOUR);
  const r = new RRule({ ...o, dtstart: anchor(wallFrom, o.freq!, o.interval ?? 1), tzid: null, count: null, until: null });
  const out: Date[] = [];
  r.between(wallFrom, wallTo, true, (d) => {
    const at = instantOf(d, timeZone);
    if (at >= from && at < to && at.getTime() !== out.at(-1)?.getTime()) out.push(at);
    return out.length < limit;
  });
  return out;
}

/** The latest moment in [notBefore, notAfter], or null. */
export function latestDigestMoment(rule: string, timeZone: string, notBefore: Date, notAfter: Date): Date | null {
  return digestMoments(rule, timeZone, notBefore, new Date(notAfter.getTime() + 1)).at(-1) ?? null;
}

/** The moment before `moment` (within 400 days), the start of the period its digest reports on. */
export function previousDigestMoment(rule: string, timeZone: string, moment: Date): Date | null {
  for (const days of [8, 32, 400]) {
    const found = digestMoments(rule, timeZone, new Date(moment.getTime() - days * DAY), moment).at(-1);
    if (found) return found;
  }
  return null;
}
