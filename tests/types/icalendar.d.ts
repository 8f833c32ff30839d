// The parts of the `icalendar` package (an RFC 5545 parser independent of ical.js) that the
// calendar tests read; it ships no types of its own.
declare module 'icalendar' {
  export interface CalendarProperty {
    name: string;
    type: string;
    value: unknown;
    parameters: Record<string, string>;
  }
  export interface CalendarObject {
    element: string;
    properties: Record<string, CalendarProperty[]>;
    components: Record<string, CalendarObject[]>;
    getComponents(type?: string): CalendarObject[];
    getProperties(name: string): CalendarProperty[];
    getPropertyValue(name: string): unknown;
  }
  export function parse_calendar(text: string): CalendarObject;
  const icalendar: { parse_calendar: typeof parse_calendar };
  export default icalendar;
}
