import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import { meetingParticipants, meetings, meetingSeries, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import { Conflict, HttpProblem, NotFound } from '../platform/errors.js';
import { assertMeetingEditable, meetingApi, type MeetingRow } from '../meetings/queries.js';
import { respond, respondToMeetings } from '../meetings/participants.js';
import type { ApiParticipant } from '../meetings/schemas.js';
import type { ItipEvent, ItipMessage } from './itip-message.js';
import type { ApiItipOutcome } from './schemas.js';
import { insertProposal } from './time-proposals.js';

// What an iTIP message from an attendee's calendar client changes. Liaison wrote the invitation,
// so its UID names the meeting (`<meetingId>@liaison`) or, for a series, the series
// (`<seriesId>@liaison`) with RECURRENCE-ID naming the occurrence by the start its rule gave it
// (see meetings/calendar.ts). Anything else, or another organisation's, is a UID Liaison does not
// know (404). The answer is recorded through the same path as the RSVP route.

const UID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@liaison$/i;

/** What one VEVENT answers: one meeting, or a whole series (the master, no RECURRENCE-ID). */
type Target = { meeting: MeetingRow; sequence: number } | { series: typeof meetingSeries.$inferSelect; sequence: number };

const unknownUid = (ev: ItipEvent) => new NotFound(`No meeting of this organisation has the UID ${ev.uid.slice(0, 120)} (line ${ev.line})`);

async function targetOf(rec: ChangeRecorder, ev: ItipEvent): Promise<Target> {
  const id = UID.exec(ev.uid.trim())?.[1]?.toLowerCase();
  if (!id) throw unknownUid(ev);
  const org = rec.organizationId;
  // Pipelined: the meeting of that id (locked, so the SEQUENCE read holds until commit) and the series.
  const [meetingRows, seriesRows] = await Promise.all([
    ev.recurrenceId ? Promise.resolve([]) : rec.tx.select().from(meetings).where(and(eq(meetings.organizationId, org), eq(meetings.id, id))).for('update'),
    rec.tx.select().from(meetingSeries).where(and(eq(meetingSeries.organizationId, org), eq(meetingSeries.id, id))),
  ]);
  if (meetingRows[0]) return { meeting: meetingRows[0], sequence: meetingRows[0].sequence };
  const series = seriesRows[0];
  if (!series) throw unknownUid(ev);
  if (!ev.recurrenceId) return { series, sequence: series.sequence };
  const originalStartsAt = new Date(ev.recurrenceId(series.timeZone));
  const [occurrence] = await rec.tx
    .select()
    .from(meetings)
    .where(and(eq(meetings.organizationId, org), eq(meetings.seriesId, id), eq(meetings.originalStartsAt, originalStartsAt)))
    .for('update');
  if (!occurrence) throw new NotFound(`The series ${ev.uid.slice(0, 120)} has no occurrence with RECURRENCE-ID ${originalStartsAt.toISOString()} (line ${ev.line})`);
  return { meeting: occurrence, sequence: occurrence.sequence };
}

/** A SEQUENCE older than the invitation's answers a version of it that no longer stands (RFC 5546 §2.1.5). */
function assertCurrent(ev: ItipEvent, target: Target) {
  if (ev.sequence < target.sequence) {
    throw new Conflict(`The message answers SEQUENCE ${ev.sequence} (line ${ev.line}), but the invitation has changed since: it is at SEQUENCE ${target.sequence}. The attendee's client will answer the current invitation.`);
  }
}

/** The person whose address the ATTENDEE gives, among those taking part in `meetingIds`; 422 when none. */
async function attendeeOf(rec: ChangeRecorder, ev: ItipEvent, meetingIds: string[]) {
  const rows = meetingIds.length
    ? await rec.tx
        .select({ personId: people.id, meetingId: meetingParticipants.meetingId })
        .from(people)
        .innerJoin(meetingParticipants, and(eq(meetingParticipants.organizationId, people.organizationId), eq(meetingParticipants.personId, people.id)))
        .where(and(eq(people.organizationId, rec.organizationId), sql`lower(${people.email}) = ${ev.attendee}`, inArray(meetingParticipants.meetingId, meetingIds)))
    : [];
  if (rows.length === 0) {
    const detail = `mailto:${ev.attendee.slice(0, 200)} (line ${ev.attendeeLine}) is not an attendee of this meeting.`;
    throw new HttpProblem(422, detail, [{ path: 'body', message: `line ${ev.attendeeLine}: unknown attendee` }]);
  }
  return { personId: rows[0]!.personId, meetingIds: new Set(rows.map((r) => r.meetingId)) };
}

/** The occurrences a reply to the whole series answers: those not yet started that can still change. */
async function upcomingOccurrences(rec: ChangeRecorder, seriesId: string): Promise<MeetingRow[]> {
  return rec.tx
    .select()
    .from(meetings)
    .where(and(eq(meetings.organizationId, rec.organizationId), eq(meetings.seriesId, seriesId), inArray(meetings.status, ['draft', 'scheduled']), gt(meetings.startsAt, new Date())))
    .orderBy(asc(meetings.startsAt))
    .for('update');
}

async function applyReply(rec: ChangeRecorder, msg: ItipMessage): Promise<ApiItipOutcome> {
  // The master's answer first, so an override's answer for one occurrence (same message) stands.
  const ordered = [...msg.events].sort((a, b) => Number(!!a.recurrenceId) - Number(!!b.recurrenceId));
  const targets = await Promise.all(ordered.map((ev) => targetOf(rec, ev)));
  const named = new Set(targets.flatMap((t) => ('meeting' in t ? [t.meeting.id] : [])));
  const plans: { ev: ItipEvent; meetingIds: string[]; series: boolean }[] = [];
  for (const [i, ev] of ordered.entries()) {
    const target = targets[i]!;
    assertCurrent(ev, target);
    if ('meeting' in target) {
      assertMeetingEditable(target.meeting);
      plans.push({ ev, meetingIds: [target.meeting.id], series: false });
    } else {
      const upcoming = (await upcomingOccurrences(rec, target.series.id)).filter((m) => !named.has(m.id));
      if (upcoming.length === 0 && !named.size) throw new Conflict(`The series ${ev.uid.slice(0, 120)} (line ${ev.line}) has no occurrence left to answer.`);
      plans.push({ ev, meetingIds: upcoming.map((m) => m.id), series: true });
    }
  }
  const meetingIds: string[] = [];
  const participants: ApiParticipant[] = [];
  for (const { ev, meetingIds: ids, series } of plans) {
    if (ids.length === 0) continue; // every occurrence to come is answered by its own VEVENT
    const who = await attendeeOf(rec, ev, ids);
    const answered = ids.filter((m) => who.meetingIds.has(m));
    // One meeting as the RSVP route records it; a whole series in one pass over its occurrences.
    const recorded = series
      ? await respondToMeetings(rec, answered, who.personId, ev.response, 'itip')
      : [await respond(rec, answered[0]!, who.personId, ev.response, () => {}, 'itip')];
    participants.push(...recorded);
    meetingIds.push(...answered);
  }
  return { method: 'REPLY', meetingIds, participants };
}

async function applyCounter(rec: ChangeRecorder, ev: ItipEvent): Promise<ApiItipOutcome> {
  const target = await targetOf(rec, ev);
  if (!('meeting' in target)) {
    throw new HttpProblem(422, `A COUNTER for a whole series (line ${ev.line}) cannot be recorded: propose a time for one occurrence (with its RECURRENCE-ID).`, [
      { path: 'body', message: `line ${ev.line}: RECURRENCE-ID required for a series` },
    ]);
  }
  const { meeting } = target;
  assertCurrent(ev, target);
  assertMeetingEditable(meeting);
  const who = await attendeeOf(rec, ev, [meeting.id]);
  const [person] = await rec.tx.select({ name: people.name, email: people.email }).from(people).where(and(eq(people.organizationId, rec.organizationId), eq(people.id, who.personId)));
  const proposal = await insertProposal(rec, {
    meetingId: meeting.id,
    personId: who.personId,
    startsAt: new Date(ev.start!(meeting.timeZone)),
    endsAt: new Date(ev.end!(meeting.timeZone)),
    comment: ev.comment,
    sequence: ev.sequence,
  }, person!);
  await rec.event('meeting.time_proposed', { meeting: await meetingApi(rec.tx, meeting), proposal });
  return { method: 'COUNTER', meetingIds: [meeting.id], proposal };
}

/** Applies a REPLY (the RSVP answers) or a COUNTER (a time proposal) in the caller's transaction. */
export function applyItip(rec: ChangeRecorder, msg: ItipMessage): Promise<ApiItipOutcome> {
  return msg.method === 'REPLY' ? applyReply(rec, msg) : applyCounter(rec, msg.events[0]!);
}
