import { and, eq, inArray, ne, sql } from 'drizzle-orm';
import { meetingParticipants, meetings, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { BadRequest, Conflict, NotFound } from '../platform/errors.js';
import { iso } from '../platform/schemas.js';
import { assertMeetingEditable, findMeeting, participantJson, type MeetingRow } from './queries.js';
import type { ApiParticipant, NewParticipant } from './schemas.js';

type Row = typeof meetingParticipants.$inferSelect;
type PersonBits = { name: string; email: string; departmentId: string | null };

export function toApiParticipant(r: Row, p: PersonBits): ApiParticipant {
  return {
    personId: r.personId,
    name: p.name,
    email: p.email,
    departmentId: p.departmentId,
    role: r.role as ApiParticipant['role'],
    response: r.response as ApiParticipant['response'],
    respondedAt: iso(r.respondedAt),
    attended: r.attended,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

export async function listParticipants(db: DbOrTx, organizationId: string, meetingId: string): Promise<ApiParticipant[]> {
  const [row] = await db
    .select({ list: participantJson() })
    .from(meetings)
    .where(and(eq(meetings.organizationId, organizationId), eq(meetings.id, meetingId)));
  if (!row) throw new NotFound('Meeting');
  return row.list as ApiParticipant[];
}

export async function findParticipant(db: DbOrTx, organizationId: string, meetingId: string, personId: string, opts: { forUpdate?: boolean } = {}) {
  const q = db
    .select({ p: meetingParticipants, person: { name: people.name, email: people.email, departmentId: people.departmentId } })
    .from(meetingParticipants)
    .innerJoin(people, eq(people.id, meetingParticipants.personId))
    .where(and(eq(meetingParticipants.organizationId, organizationId), eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.personId, personId)));
  const [row] = opts.forUpdate ? await q.for('update', { of: meetingParticipants }) : await q;
  if (!row) throw new NotFound('Participant');
  return row;
}

export async function addParticipant(rec: ChangeRecorder, meetingId: string, input: NewParticipant): Promise<ApiParticipant> {
  const meeting = await findMeeting(rec.tx, rec.organizationId, meetingId, { forUpdate: true });
  assertMeetingEditable(meeting);
  const [person] = await rec.tx
    .select({ name: people.name, email: people.email, departmentId: people.departmentId })
    .from(people)
    .where(and(eq(people.organizationId, rec.organizationId), eq(people.id, input.personId)));
  // The person is named in the body: unknown (or another organisation's) is 400 like any body reference.
  if (!person) throw new BadRequest('body.personId does not name a person of this organisation', [{ path: 'body.personId', message: 'unknown person' }]);
  const [row] = await rec.tx
    .insert(meetingParticipants)
    .values({ organizationId: rec.organizationId, meetingId, personId: input.personId, role: input.role ?? 'required' })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new Conflict('The person is already a participant of this meeting.');
  const api = toApiParticipant(row, person);
  await rec.audit({ action: 'create', entityType: 'meeting_participant', entityId: meetingId, after: { meetingId, ...api } });
  return api;
}

export async function updateParticipant(
  rec: ChangeRecorder,
  meetingId: string,
  personId: string,
  patch: { role?: string; attended?: boolean | null },
  checkVersion: (v: number) => void,
): Promise<ApiParticipant> {
  const meeting = await findMeeting(rec.tx, rec.organizationId, meetingId);
  const { p: current, person } = await findParticipant(rec.tx, rec.organizationId, meetingId, personId, { forUpdate: true });
  checkVersion(current.version);
  if (patch.role !== undefined) assertMeetingEditable(meeting);
  // Attendance is a fact of a meeting that took place (or is taking place).
  if (patch.attended !== undefined && patch.attended !== null && !['in_progress', 'completed'].includes(meeting.status)) {
    throw new Conflict(`Attendance is recorded once the meeting has started; the meeting is ${meeting.status}.`);
  }
  const [row] = await rec.tx
    .update(meetingParticipants)
    .set({ ...patch, updatedAt: new Date(), version: current.version + 1 })
    .where(and(eq(meetingParticipants.organizationId, rec.organizationId), eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.personId, personId)))
    .returning();
  const before = toApiParticipant(current, person);
  const after = toApiParticipant(row!, person);
  await rec.audit({ action: 'update', entityType: 'meeting_participant', entityId: meetingId, before: { meetingId, ...before }, after: { meetingId, ...after } });
  return after;
}

export async function removeParticipant(rec: ChangeRecorder, meetingId: string, personId: string, checkVersion: (v: number) => void) {
  const meeting = await findMeeting(rec.tx, rec.organizationId, meetingId, { forUpdate: true });
  assertMeetingEditable(meeting);
  const { p: current, person } = await findParticipant(rec.tx, rec.organizationId, meetingId, personId, { forUpdate: true });
  checkVersion(current.version);
  await rec.tx
    .delete(meetingParticipants)
    .where(and(eq(meetingParticipants.organizationId, rec.organizationId), eq(meetingParticipants.meetingId, meetingId), eq(meetingParticipants.personId, personId)));
  await rec.audit({ action: 'delete', entityType: 'meeting_participant', entityId: meetingId, before: { meetingId, ...toApiParticipant(current, person) } });
}

/** Where an RSVP answer came from: the API's RSVP route, or a calendar client's iTIP REPLY. */
export type ResponseSource = 'api' | 'itip';

/** Records an RSVP answer and emits `participant.responded` (only when the answer changed). */
export async function respond(
  rec: ChangeRecorder,
  meetingId: string,
  personId: string,
  response: string,
  checkVersion: (v: number) => void,
  source: ResponseSource = 'api',
): Promise<ApiParticipant> {
  const meeting = await findMeeting(rec.tx, rec.organizationId, meetingId);
  assertMeetingEditable(meeting);
  const { p: current, person } = await findParticipant(rec.tx, rec.organizationId, meetingId, personId, { forUpdate: true });
  checkVersion(current.version);
  const [after] = await recordAnswers(rec, [{ meeting, current, person }], personId, response, source);
  return after!;
}

/**
 * One person's answer to several meetings at once (a calendar's reply to a whole series), in a
 * fixed number of statements however many meetings: the meetings (each must still be editable)
 * and the person's participations, locked, then the answers written as `respond` writes one.
 * Meetings the person takes no part in are left out.
 */
export async function respondToMeetings(rec: ChangeRecorder, meetingIds: string[], personId: string, response: string, source: ResponseSource): Promise<ApiParticipant[]> {
  if (meetingIds.length === 0) return [];
  const org = rec.organizationId;
  const [rows, participations] = await Promise.all([
    rec.tx.select().from(meetings).where(and(eq(meetings.organizationId, org), inArray(meetings.id, meetingIds))),
    rec.tx
      .select({ p: meetingParticipants, person: { name: people.name, email: people.email, departmentId: people.departmentId } })
      .from(meetingParticipants)
      .innerJoin(people, eq(people.id, meetingParticipants.personId))
      .where(and(eq(meetingParticipants.organizationId, org), eq(meetingParticipants.personId, personId), inArray(meetingParticipants.meetingId, meetingIds)))
      .orderBy(meetingParticipants.meetingId)
      .for('update', { of: meetingParticipants }),
  ]);
  const byId = new Map(rows.map((m) => [m.id, m]));
  const taking = new Map(participations.map((r) => [r.p.meetingId, r]));
  const answers = meetingIds.filter((id) => byId.has(id) && taking.has(id)).map((id) => ({ meeting: byId.get(id)!, current: taking.get(id)!.p, person: taking.get(id)!.person }));
  for (const a of answers) assertMeetingEditable(a.meeting);
  return recordAnswers(rec, answers, personId, response, source);
}

/** Writes the answers that changed (one statement), each audited and announced as `participant.responded`. */
async function recordAnswers(
  rec: ChangeRecorder,
  answers: { meeting: MeetingRow; current: Row; person: PersonBits }[],
  personId: string,
  response: string,
  source: ResponseSource,
): Promise<ApiParticipant[]> {
  const changing = answers.filter((a) => a.current.response !== response);
  const rows = changing.length
    ? await rec.tx
        .update(meetingParticipants)
        .set({ response, respondedAt: sql`now()`, updatedAt: new Date(), version: sql`${meetingParticipants.version} + 1` })
        .where(and(eq(meetingParticipants.organizationId, rec.organizationId), eq(meetingParticipants.personId, personId), inArray(meetingParticipants.meetingId, changing.map((a) => a.meeting.id))))
        .returning()
    : [];
  const written = new Map(rows.map((r) => [r.meetingId, r]));
  const out: ApiParticipant[] = [];
  for (const { meeting, current, person } of answers) {
    const row = written.get(meeting.id);
    if (!row) {
      out.push(toApiParticipant(current, person));
      continue;
    }
    const before = toApiParticipant(current, person);
    const after = toApiParticipant(row, person);
    await rec.audit({ action: 'update', entityType: 'meeting_participant', entityId: meeting.id, before: { meetingId: meeting.id, ...before }, after: { meetingId: meeting.id, ...after } });
    await rec.event('participant.responded', {
      meeting: { id: meeting.id, title: meeting.title, startsAt: meeting.startsAt.toISOString(), seriesId: meeting.seriesId, version: meeting.version },
      participant: after,
      previousResponse: current.response,
      source,
    });
    out.push(after);
  }
  return out;
}

/** A participant whose answer a time change returned to `needs_action`. */
export interface ResetResponse {
  meetingId: string;
  personId: string;
  previousResponse: ApiParticipant['response'];
}

/**
 * iTIP (RFC 5546 §2.1.4): a REQUEST that moves the meeting asks every attendee again, so each
 * answer given for the old time returns to `needs_action`. The organizer's stays: the organizer
 * proposed the new time. Audited like an RSVP; the caller reports the list in `meeting.updated`,
 * so no `participant.responded` is emitted (nobody answered).
 */
export async function resetResponses(rec: ChangeRecorder, meeting: Pick<MeetingRow, 'id' | 'organizerId'>): Promise<ResetResponse[]> {
  const answered = and(
    eq(meetingParticipants.organizationId, rec.organizationId),
    eq(meetingParticipants.meetingId, meeting.id),
    ne(meetingParticipants.response, 'needs_action'),
    meeting.organizerId ? ne(meetingParticipants.personId, meeting.organizerId) : undefined,
  );
  const current = await rec.tx
    .select({ p: meetingParticipants, person: { name: people.name, email: people.email, departmentId: people.departmentId } })
    .from(meetingParticipants)
    .innerJoin(people, eq(people.id, meetingParticipants.personId))
    .where(answered)
    .orderBy(meetingParticipants.personId)
    .for('update', { of: meetingParticipants });
  if (current.length === 0) return [];
  const rows = await rec.tx
    .update(meetingParticipants)
    .set({ response: 'needs_action', respondedAt: null, updatedAt: new Date(), version: sql`${meetingParticipants.version} + 1` })
    .where(and(answered, inArray(meetingParticipants.personId, current.map((c) => c.p.personId))))
    .returning();
  const after = new Map(rows.map((r) => [r.personId, r]));
  // Pipelined on the transaction's connection: one audit record per answer, not one round trip each.
  await Promise.all(
    current.map(({ p, person }) =>
      rec.audit({
        action: 'update',
        entityType: 'meeting_participant',
        entityId: meeting.id,
        before: { meetingId: meeting.id, ...toApiParticipant(p, person) },
        after: { meetingId: meeting.id, ...toApiParticipant(after.get(p.personId)!, person) },
      }),
    ),
  );
  return current.map(({ p }) => ({ meetingId: meeting.id, personId: p.personId, previousResponse: p.response as ApiParticipant['response'] }));
}
