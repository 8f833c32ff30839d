import ICAL from 'ical.js';
import rrule from 'rrule';
import { BadRequest } from '../platform/errors.js';
import { malformed, readCalendarText, valueAt } from './calendar-text.js';
import type { Interval } from './intervals.js';
import { instantOf, wallOf } from './zone-offsets.js';
import { isTimeZone } from '../platform/schemas.js';

const { RRule } = rrule;

// Busy time from a calendar text: the FREEBUSY periods of VFREEBUSY components (all but
// FBTYPE=FREE), and the VEVENTs that hold time (not TRANSP:TRANSPARENT, not STATUS:CANCELLED),
// with RRULE/RDATE/EXDATE and moved or cancelled occurrences (RECURRENCE-ID) expanded within the
// window. Times in a TZID are read with the calendar's own VTIMEZONE when it has one, else as
// the IANA zone of that name; floating times and dates are the person's wall clock.

/** Wall clock ↔ instant for one zone; a wall time is epoch ms whose UTC fields hold it. */
interface Zone {
  toInstant(wall: number): number;
  toWall(instant: number): number;
}

const utcZone: Zone = { toInstant: (w) => w, toWall: (i) => i };

function ianaZone(tz: string): Zone {
  return { toInstant: (w) => instantOf(tz, w), toWall: (i) => wallOf(tz, i) };
}

function definedZone(zone: ICAL.Timezone): Zone {
  return {
    toInstant: (w) => {
      const d = new Date(w);
      const t = new ICAL.Time({ year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), second: d.getUTCSeconds() }, zone);
      return t.toUnixTime() * 1000;
    },
    toWall: (i) => {
      const t = ICAL.Time.fromJSDate(new Date(i), true).convertToZone(zone);
      return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute, t.second);
    },
  };
}

interface Moment {
  instant: number;
  zone: Zone;
  isDate: boolean;
}

export interface ImportOptions {
  /** The person's zone: floating times and dates are theirs. */
  timeZone: string;
  /** The window asked for; null to take it from the VFREEBUSY components' DTSTART and DTEND. */
  window: { from: number; to: number } | null;
  maxBlocks: number;
}

export interface Imported {
  window: { from: number; to: number } | null;
  blocks: Interval[];
}

const DAY = 24 * 3600 * 1000;

export function importCalendar(text: string, opts: ImportOptions): Imported {
  const cal = readCalendarText(text);
  const personZone = ianaZone(opts.timeZone);

  const momentOf = (prop: ICAL.Property, time: ICAL.Time): Moment => {
    const tzid = prop.getFirstParameter('tzid');
    let zone: Zone;
    if (time.zone === ICAL.Timezone.utcTimezone) zone = utcZone;
    else if (tzid && time.zone?.tzid === tzid) zone = definedZone(time.zone);
    else if (tzid && isTimeZone(tzid)) zone = ianaZone(tzid);
    else if (tzid) throw malformed(cal.lineOf(prop), `TZID ${tzid.slice(0, 64)} is neither defined by a VTIMEZONE nor an IANA time zone`);
    else zone = personZone;
    const wall = Date.UTC(time.year, time.month - 1, time.day, time.isDate ? 0 : time.hour, time.isDate ? 0 : time.minute, time.isDate ? 0 : time.second);
    return { instant: zone.toInstant(wall), zone, isDate: time.isDate };
  };
  const timeAt = (prop: ICAL.Property): Moment =>
    valueAt(cal, prop, (p) => {
      const v = p.getFirstValue();
      if (!(v instanceof ICAL.Time)) throw new Error('expected a date or date-time');
      return momentOf(p, v);
    });

  // The window: the one asked for, else the VFREEBUSY components' own.
  const freeBusy = cal.calendar.getAllSubcomponents('vfreebusy');
  let window = opts.window;
  if (!window) {
    for (const fb of freeBusy) {
      const start = fb.getFirstProperty('dtstart');
      const end = fb.getFirstProperty('dtend');
      if (!start || !end) continue;
      const [s, e] = [timeAt(start).instant, timeAt(end).instant];
      window = window ? { from: Math.min(window.from, s), to: Math.max(window.to, e) } : { from: s, to: e };
    }
  }
  if (!window) return { window: null, blocks: [] };
  const { from, to } = window;

  const blocks: Interval[] = [];
  const add = (s: number, e: number, line: number) => {
    if (e < s) throw malformed(line, 'the end is before the start');
    const lo = Math.max(s, from);
    const hi = Math.min(e, to);
    if (lo >= hi) return;
    blocks.push([lo, hi]);
    if (blocks.length > opts.maxBlocks) throw tooMany(opts.maxBlocks);
  };

  for (const fb of freeBusy) {
    for (const prop of fb.getAllProperties('freebusy')) {
      const type = String(prop.getFirstParameter('fbtype') ?? 'BUSY').toUpperCase();
      if (type === 'FREE') continue;
      const periods = valueAt(cal, prop, (p) => p.getValues()) as ICAL.Period[];
      for (const period of periods) {
        const start = valueAt(cal, prop, () => momentOf(prop, period.start).instant);
        const end = valueAt(cal, prop, () => momentOf(prop, period.getEnd()).instant);
        add(start, end, cal.lineOf(prop));
      }
    }
  }

  // Occurrences moved or cancelled by an override (same UID with RECURRENCE-ID) leave the rule.
  const events = cal.calendar.getAllSubcomponents('vevent');
  const overridden = new Map<string, Set<number>>();
  for (const ev of events) {
    const rid = ev.getFirstProperty('recurrence-id');
    if (!rid) continue;
    const uid = String(ev.getFirstPropertyValue('uid') ?? '');
    if (!overridden.has(uid)) overridden.set(uid, new Set());
    overridden.get(uid)!.add(timeAt(rid).instant);
  }

  for (const ev of events) {
    const line = cal.lineOf(ev);
    const status = String(ev.getFirstPropertyValue('status') ?? '').toUpperCase();
    const transp = String(ev.getFirstPropertyValue('transp') ?? '').toUpperCase();
    const dtstart = ev.getFirstProperty('dtstart');
    if (!dtstart) throw malformed(line, 'a VEVENT needs a DTSTART');
    const start = timeAt(dtstart);
    const dtend = ev.getFirstProperty('dtend');
    const durationProp = ev.getFirstProperty('duration');
    let length: number;
    if (dtend) length = timeAt(dtend).instant - start.instant;
    else if (durationProp) length = valueAt(cal, durationProp, (p) => (p.getFirstValue() as ICAL.Duration).toSeconds() * 1000);
    else length = start.isDate ? DAY : 0;
    if (length < 0) throw malformed(dtend ? cal.lineOf(dtend) : line, 'the event ends before it starts');
    if (status === 'CANCELLED' || transp === 'TRANSPARENT' || length === 0) continue;

    const rules = ev.getAllProperties('rrule');
    const rdates = ev.getAllProperties('rdate');
    if (rules.length === 0 && rdates.length === 0) {
      add(start.instant, start.instant + length, line);
      continue;
    }
    const skip = new Set<number>(overridden.get(String(ev.getFirstPropertyValue('uid') ?? '')) ?? []);
    for (const prop of ev.getAllProperties('exdate')) {
      for (const t of valueAt(cal, prop, (p) => p.getValues()) as ICAL.Time[]) skip.add(valueAt(cal, prop, () => momentOf(prop, t).instant));
    }
    const occurrence = (s: number, l: number, at: number) => {
      if (!skip.has(s)) add(s, s + l, at);
    };
    // The master's own start counts even when the rule would not produce it (RFC 5545 §3.8.5.3).
    occurrence(start.instant, length, line);
    for (const prop of rules) {
      const expand = () => {
        const text = (prop.getFirstValue() as ICAL.Recur).toString();
        const options = RRule.parseString(text);
        if (options.freq === undefined || options.freq === null) throw new Error('FREQ is missing or not one RFC 5545 defines');
        // rrule works in floating time: the wall clock of the start's zone, mapped back per occurrence.
        const until = options.until && /UNTIL=\d{8}(T\d{6})?Z/i.test(text) ? new Date(start.zone.toWall(options.until.getTime())) : options.until;
        const rule = new RRule({ ...options, dtstart: new Date(start.zone.toWall(start.instant)), until: until ?? null, tzid: null });
        const wallFrom = new Date(start.zone.toWall(from - length) - DAY);
        const wallTo = new Date(start.zone.toWall(to) + DAY);
        rule.between(wallFrom, wallTo, true, (d) => {
          const s = start.zone.toInstant(d.getTime());
          if (s !== start.instant) occurrence(s, length, cal.lineOf(prop));
          return s < to;
        });
      };
      try {
        expand();
      } catch (err) {
        if ((err as { status?: number }).status) throw err;
        throw malformed(cal.lineOf(prop), `RRULE: ${(err as Error).message}`);
      }
    }
    for (const prop of rdates) {
      for (const v of valueAt(cal, prop, (p) => p.getValues()) as (ICAL.Time | ICAL.Period)[]) {
        if (v instanceof ICAL.Period) occurrence(momentOf(prop, v.start).instant, momentOf(prop, v.getEnd()).instant - momentOf(prop, v.start).instant, cal.lineOf(prop));
        else if (momentOf(prop, v).instant !== start.instant) occurrence(momentOf(prop, v).instant, length, cal.lineOf(prop));
      }
    }
  }
  return { window, blocks };
}

/** More blocks than one import may hold: 400, as for any array past its maximum size. */
export function tooMany(max: number): BadRequest {
  return new BadRequest(`An import holds at most ${max} busy blocks; split it into smaller windows.`, [{ path: 'body.blocks', message: `at most ${max} blocks` }]);
}
