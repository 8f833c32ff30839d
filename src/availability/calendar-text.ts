import ICAL from 'ical.js';
import { BadRequest, HttpProblem } from '../platform/errors.js';

// Reading an iCalendar text (RFC 5545) that an integration sends, so that a refusal can name the
// line at fault. The text is unfolded here with each logical line's first physical line number;
// each content line is then parsed by ical.js's own property parser and the components are
// assembled into the jCal tree ical.js works on. Values are decoded lazily by ical.js, so their
// reads go through `valueAt`, which names the property's line when one does not decode.

type JCal = [name: string, properties: unknown[], components: JCal[]];

/** The calendar's VCALENDAR component, with where each property and component began. */
export interface CalendarText {
  calendar: ICAL.Component;
  lineOf(item: ICAL.Property | ICAL.Component): number;
}

const MAX_MESSAGE = 200;

export function malformed(line: number, message: string): BadRequest {
  const what = message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
  return new BadRequest(`The calendar is malformed at line ${line}: ${what}`, [{ path: 'body', message: `line ${line}: ${what}` }]);
}

function unfold(text: string): { no: number; text: string }[] {
  const lines: { no: number; text: string }[] = [];
  const physical = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  physical.forEach((raw, i) => {
    if ((raw.startsWith(' ') || raw.startsWith('\t')) && lines.length > 0) lines[lines.length - 1]!.text += raw.slice(1);
    else if (raw.trim() !== '') lines.push({ no: i + 1, text: raw });
    else if (raw !== '' && lines.length === 0) throw malformed(i + 1, 'a calendar starts with BEGIN:VCALENDAR');
  });
  return lines;
}

export function readCalendarText(text: string): CalendarText {
  const lines = unfold(text);
  const where = new WeakMap<object, number>();
  const stack: JCal[] = [];
  let root: JCal | null = null;
  for (const { no, text: line } of lines) {
    const begin = /^BEGIN:(.+)$/i.exec(line);
    const end = /^END:(.+)$/i.exec(line);
    if (root && stack.length === 0) throw malformed(no, 'nothing may follow END:VCALENDAR');
    if (begin) {
      const component: JCal = [begin[1]!.trim().toLowerCase(), [], []];
      where.set(component, no);
      if (stack.length === 0) {
        if (component[0] !== 'vcalendar') throw malformed(no, 'a calendar starts with BEGIN:VCALENDAR');
        root = component;
      } else stack[stack.length - 1]![2].push(component);
      stack.push(component);
      continue;
    }
    if (stack.length === 0) throw malformed(no, 'a calendar starts with BEGIN:VCALENDAR');
    if (end) {
      const open = stack[stack.length - 1]!;
      if (end[1]!.trim().toLowerCase() !== open[0]) throw malformed(no, `END:${end[1]} does not close BEGIN:${open[0].toUpperCase()}`);
      stack.pop();
      continue;
    }
    let property: unknown[];
    try {
      property = ICAL.parse.property(line) as unknown[];
    } catch (err) {
      throw malformed(no, (err as Error).message);
    }
    if (!Array.isArray(property)) throw malformed(no, 'not a content line');
    where.set(property, no);
    stack[stack.length - 1]![1].push(property);
  }
  if (!root) throw malformed(1, 'a calendar starts with BEGIN:VCALENDAR');
  if (stack.length > 0) throw malformed(where.get(stack[stack.length - 1]!)!, `BEGIN:${stack[stack.length - 1]![0].toUpperCase()} is never closed`);
  return {
    calendar: new ICAL.Component(root),
    lineOf: (item) => where.get(item.toJSON() as object) ?? 0,
  };
}

/** A property's value(s), decoded by ical.js; a value that does not decode is a 400 naming its line. */
export function valueAt<T>(cal: CalendarText, prop: ICAL.Property, read: (p: ICAL.Property) => T): T {
  try {
    return read(prop);
  } catch (err) {
    if (err instanceof HttpProblem) throw err;
    throw malformed(cal.lineOf(prop), `${prop.name.toUpperCase()}: ${(err as Error).message}`);
  }
}
