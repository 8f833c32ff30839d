import { foldLines } from 'ical-generator';
import { mailtoAddress, paramValue } from '../platform/icalendar-text.js';
import type { AvailabilityPerson } from './busy-time.js';
import { complement, subtract, type Interval } from './intervals.js';
import { workingIntervals } from './working-hours.js';

export type BusyKind = 'busy' | 'busy_unavailable';
export interface Period {
  start: number;
  end: number;
  kind: BusyKind;
}

/**
 * A person's time in [from, to) that is not free: `busy` where meetings or blocks lie (already
 * merged), `busy_unavailable` for the rest of the time outside their working hours. In order and
 * never overlapping; nothing says what the busy time is.
 */
export function freeBusyPeriods(person: AvailabilityPerson, busy: Interval[], from: number, to: number): Period[] {
  const working = workingIntervals(person.workingHours, person.timeZone, from, to);
  const unavailable = subtract(complement(working, from, to), busy);
  const periods: Period[] = [
    ...busy.map(([start, end]) => ({ start, end, kind: 'busy' as const })),
    ...unavailable.map(([start, end]) => ({ start, end, kind: 'busy_unavailable' as const })),
  ];
  return periods.sort((a, b) => a.start - b.start);
}

/** `YYYYMMDDTHHMMSSZ`: FREEBUSY periods are in UTC (RFC 5545 §3.8.2.6). */
const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;

const FBTYPE: Record<BusyKind, string> = { busy: 'BUSY', busy_unavailable: 'BUSY-UNAVAILABLE' };

/**
 * The same periods as an RFC 5545 VFREEBUSY (METHOD:PUBLISH, as RFC 5546 §3.4.1 publishes busy
 * time): the person as ORGANIZER, one FREEBUSY line per period. The only text a person gave is
 * their name, a parameter value encoded by the platform's iCalendar encoder; lines are folded
 * by ical-generator's folding (never inside a UTF-8 sequence).
 */
export function renderFreeBusy(person: AvailabilityPerson, periods: Period[], from: number, to: number, now: Date): string {
  const name = paramValue(person.name);
  const lines = [
    'BEGIN:VCALENDAR',
    'VERSION:2.0',
    'PRODID:-//Liaison//Availability//EN',
    'METHOD:PUBLISH',
    'BEGIN:VFREEBUSY',
    `UID:freebusy-${person.id}-${utc(from)}-${utc(to)}@liaison`,
    `DTSTAMP:${utc(now.getTime())}`,
    `DTSTART:${utc(from)}`,
    `DTEND:${utc(to)}`,
    `ORGANIZER${name ? `;CN="${name}"` : ''}:mailto:${mailtoAddress(person.email)}`,
    ...periods.map((p) => `FREEBUSY;FBTYPE=${FBTYPE[p.kind]}:${utc(p.start)}/${utc(p.end)}`),
    'END:VFREEBUSY',
    'END:VCALENDAR',
  ];
  return `${foldLines(lines.join('\r\n'))}\r\n`;
}
