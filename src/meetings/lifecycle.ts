import { and, eq, gt } from 'drizzle-orm';
import { meetings, meetingSeries } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { Conflict } from '../platform/errors.js';
import { loadCalendarData, renderCalendar, type CalendarMethod } from './calendar.js';
import { findMeeting, loadMeetingDetail, meetingApi, toApiMeeting, type MeetingRow } from './queries.js';
import { carryOverToNextOccurrence } from './follow-up.js';
import type { ApiMeeting, ApiMeetingDetail } from './schemas.js';

// The meeting state machine: draft → scheduled → in_progress → completed, and any state that is
// not final → cancelled. Re-sending invitations keeps a scheduled meeting scheduled.
export type MeetingAction = 'invitations' | 'cancel' | 'start' | 'end';
const transitions: Record<MeetingAction, { from: string[]; to: string; verb: string }> = {
  invitations: { from: ['draft', 'scheduled'], to: 'scheduled', verb: 'send invitations for' },
  cancel: { from: ['draft', 'scheduled', 'in_progress'], to: 'cancelled', verb: 'cancel' },
  start: { from: ['scheduled'], to: 'in_progress', verb: 'start' },
  end: { from: ['in_progress'], to: 'completed', verb: 'end' },
};

/** 409 naming the current state when `action` is not allowed from it. */
export function assertTransition(meeting: Pick<MeetingRow, 'status'>, action: MeetingAction): string {
  const t = transitions[action];
  if (!t.from.includes(meeting.status)) {
    throw new Conflict(`Cannot ${t.verb} a meeting that is ${meeting.status}; allowed from ${t.from.join(', ')}.`);
  }
  return t.to;
}

/** The meeting's calendar (a series occurrence also carries its series' RRULE master). */
export async function meetingIcs(db: DbOrTx, row: MeetingRow, method: CalendarMethod): Promise<string> {
  return renderCalendar(await loadCalendarData(db, row.organizationId, [row]), method);
}

async function setState(rec: ChangeRecorder, current: MeetingRow, set: Partial<MeetingRow>): Promise<MeetingRow> {
  const [row] = await rec.tx
    .update(meetings)
    .set({ ...set, updatedAt: new Date(), version: current.version + 1 })
    .where(and(eq(meetings.organizationId, rec.organizationId), eq(meetings.id, current.id)))
    .returning();
  await rec.audit({ action: 'update', entityType: 'meeting', entityId: current.id, before: toApiMeeting(current), after: toApiMeeting(row!) });
  return row!;
}

/**
 * Sends (or re-sends) the invitations: the meeting becomes scheduled and `meeting.invitation.sent`
 * carries the meeting, its participants, agenda, materials and the METHOD:REQUEST calendar. For a
 * series the invitation is the series' (its RRULE covers every occurrence), so the series'
 * draft occurrences not yet started are scheduled with it.
 */
export async function sendInvitations(rec: ChangeRecorder, id: string, checkVersion: (v: number) => void): Promise<ApiMeetingDetail> {
  const current = await findMeeting(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  const to = assertTransition(current, 'invitations');
  const now = new Date();
  const row = await setState(rec, current, { status: to, invitationsSentAt: now });
  if (current.seriesId) {
    await rec.tx
      .update(meetingSeries)
      .set({ invitationsSentAt: now, updatedAt: now })
      .where(and(eq(meetingSeries.organizationId, rec.organizationId), eq(meetingSeries.id, current.seriesId)));
    const others = await rec.tx
      .select()
      .from(meetings)
      .where(and(eq(meetings.organizationId, rec.organizationId), eq(meetings.seriesId, current.seriesId), eq(meetings.status, 'draft'), gt(meetings.startsAt, now)))
      .for('update');
    for (const o of others) if (o.id !== id) await setState(rec, o, { status: 'scheduled', invitationsSentAt: now });
  }
  const detail = await loadMeetingDetail(rec.tx, rec.organizationId, id);
  await rec.event('meeting.invitation.sent', { meeting: detail, resent: current.invitationsSentAt !== null, ics: await meetingIcs(rec.tx, row, 'REQUEST') });
  return detail;
}

/** Cancels one meeting (one occurrence of a series leaves the others as they are). */
export async function cancelMeeting(rec: ChangeRecorder, id: string, reason: string, checkVersion: (v: number) => void): Promise<ApiMeeting> {
  const current = await findMeeting(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  const to = assertTransition(current, 'cancel');
  const row = await setState(rec, current, { status: to, cancelledAt: new Date(), cancelReason: reason, sequence: current.sequence + 1 });
  const api = await meetingApi(rec.tx, row);
  await rec.event('meeting.cancelled', { meeting: api, reason, ics: await meetingIcs(rec.tx, row, 'CANCEL') });
  return api;
}

export async function startMeeting(rec: ChangeRecorder, id: string, checkVersion: (v: number) => void): Promise<ApiMeeting> {
  const current = await findMeeting(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  const row = await setState(rec, current, { status: assertTransition(current, 'start'), startedAt: new Date() });
  const api = await meetingApi(rec.tx, row);
  await rec.event('meeting.started', { meeting: api });
  return api;
}

export async function endMeeting(rec: ChangeRecorder, id: string, checkVersion: (v: number) => void): Promise<ApiMeeting> {
  const current = await findMeeting(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  const row = await setState(rec, current, { status: assertTransition(current, 'end'), endedAt: new Date() });
  await carryOverToNextOccurrence(rec, row); // a series' next occurrence takes what this one left open
  const api = await meetingApi(rec.tx, row);
  await rec.event('meeting.ended', { meeting: api });
  return api;
}
