import { TZDate } from '@date-fns/tz';
import ical, { ICalAttendeeStatus, ICalCalendarMethod } from 'ical-generator';
import { finishCalendar, mailtoAddress, paramValue, textValue } from '../platform/icalendar-text.js';
import { meetingUid } from '../meetings/calendar.js';
import type { MeetingRow } from '../meetings/queries.js';
import { vtimezone } from '../meetings/vtimezone.js';

// The organizer's answer to a COUNTER it does not take (RFC 5546 §3.2.8): METHOD:DECLINECOUNTER
// with the meeting's UID, its current SEQUENCE and time (what stands), RECURRENCE-ID for an
// occurrence of a series, the organizer and the attendee who proposed. Written by ical-generator,
// every value a person typed through the project's encoder, like every other calendar Liaison sends.

interface CalPerson { name: string; email: string }

const partstat: Record<string, ICalAttendeeStatus> = {
  accepted: ICalAttendeeStatus.ACCEPTED,
  declined: ICalAttendeeStatus.DECLINED,
  tentative: ICalAttendeeStatus.TENTATIVE,
  needs_action: ICalAttendeeStatus.NEEDSACTION,
};

const calAddress = (p: CalPerson) => ({ name: paramValue(p.name) || mailtoAddress(p.email), email: mailtoAddress(p.email) });
const inZone = (instant: Date, tz: string) => new TZDate(instant.getTime(), tz);

export function declineCounterText(meeting: MeetingRow, organizer: CalPerson | null, proposer: CalPerson & { response: string }, now: Date): string {
  const tz = meeting.timeZone;
  const cal = ical({ prodId: { company: 'Liaison', product: 'Liaison API', language: 'EN' }, method: ICalCalendarMethod.DECLINECOUNTER });
  cal.timezone({ name: null, generator: vtimezone });
  const ev = cal.createEvent({
    id: meetingUid(meeting.seriesId ?? meeting.id),
    sequence: meeting.sequence,
    stamp: now,
    start: inZone(meeting.startsAt, tz),
    end: inZone(meeting.endsAt, tz),
    timezone: tz,
    summary: textValue(meeting.title),
    organizer: organizer ? calAddress(organizer) : null,
    ...(meeting.seriesId && meeting.originalStartsAt ? { recurrenceId: inZone(meeting.originalStartsAt, tz) } : {}),
  });
  ev.createAttendee({ ...calAddress(proposer), status: partstat[proposer.response] ?? ICalAttendeeStatus.NEEDSACTION });
  return finishCalendar(cal.toString());
}
