import rrule from 'rrule';

const { RRule } = rrule;
type RRuleOptions = ConstructorParameters<typeof RRule>[0];

// Occurrences follow the wall clock of the meeting's zone: a weekly 10:00 in Berlin stays at 10:00
// across daylight-saving changes. rrule computes in "floating" time, so rules are evaluated over
// dates whose UTC fields hold the zone's wall time and each result is mapped back to an instant.

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string) {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    formatters.set(tz, f);
  }
  return f;
}

/** The zone's wall-clock time at `instant`, as a Date whose UTC fields hold it. */
export function wallClock(instant: Date, tz: string): Date {
  const p: Record<string, number> = {};
  for (const part of formatter(tz).formatToParts(instant)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return new Date(Date.UTC(p.year!, p.month! - 1, p.day!, p.hour!, p.minute!, p.second!, instant.getUTCMilliseconds()));
}

/** Inverse of wallClock (a wall time that a DST gap skips resolves to the later offset). */
export function instantOf(wall: Date, tz: string): Date {
  const offset = (at: Date) => wallClock(at, tz).getTime() - at.getTime();
  const guess = new Date(wall.getTime() - offset(wall));
  return new Date(wall.getTime() - offset(guess));
}

/** `YYYY-MM-DDTHH:mm:ss` in the zone, the form ical-generator writes with a TZID. */
export function wallString(instant: Date, tz: string): string {
  return wallClock(instant, tz).toISOString().slice(0, 19);
}

const allowed = new Set([RRule.YEARLY, RRule.MONTHLY, RRule.WEEKLY, RRule.DAILY]);

function parseRule(recurrence: string): RRuleOptions | null {
  const body = recurrence.trim().replace(/^RRULE:/i, '');
  if (!body || /[\r\n]|DTSTART|TZID/i.test(body)) return null;
  try {
    const opts = RRule.parseString(body);
    if (opts.freq === undefined || !allowed.has(opts.freq)) return null;
    if (opts.interval !== undefined && (opts.interval < 1 || opts.interval > 366)) return null;
    if (opts.count !== undefined && opts.count !== null && (opts.count < 1 || opts.count > 1000)) return null;
    return opts;
  } catch {
    return null;
  }
}

export function validRecurrence(recurrence: string): boolean {
  return parseRule(recurrence) !== null;
}

/** The canonical text of a rule (no `RRULE:` prefix). */
export function normaliseRecurrence(recurrence: string): string {
  return recurrence.trim().replace(/^RRULE:/i, '').toUpperCase();
}

/** At most this many occurrences are materialised in one pass. */
export const OCCURRENCE_BATCH = 400;

/** How far a pass got: `until`, or just past the last start when the batch filled up first. */
export const coveredUntil = (starts: Date[], until: Date) => (starts.length >= OCCURRENCE_BATCH ? new Date(starts.at(-1)!.getTime() + 1) : until);

/**
 * Starts of the rule's occurrences in [from, until), the first being `firstStartsAt` itself when
 * it matches the rule. At most `limit` results.
 */
export function occurrences(recurrence: string, tz: string, firstStartsAt: Date, from: Date, until: Date, limit = OCCURRENCE_BATCH): Date[] {
  const opts = parseRule(recurrence);
  if (!opts) return [];
  const rule = new RRule({
    ...opts,
    dtstart: wallClock(firstStartsAt, tz),
    until: opts.until ? wallClock(opts.until, tz) : null,
    tzid: null,
  });
  const out: Date[] = [];
  const after = new Date(wallClock(from, tz).getTime() - 1);
  rule.between(after, wallClock(until, tz), false, (d) => {
    const at = instantOf(d, tz);
    if (at >= from && at < until) out.push(at);
    return out.length < limit;
  });
  return out;
}
