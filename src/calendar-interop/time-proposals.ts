import { and, asc, eq } from 'drizzle-orm';
import { meetingParticipants, meetingTimeProposals, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { Conflict, NotFound } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { iso } from '../platform/schemas.js';
import { assertMeetingEditable, findMeeting, meetingApi } from '../meetings/queries.js';
import { updateMeeting } from '../meetings/update.js';
import { declineCounterText } from './decline-counter.js';
import type { ApiTimeProposal, ApiTimeProposalDecision } from './schemas.js';
import { insertReturning } from '../platform/built-once.js';

const insertMeetingTimeProposals = insertReturning(meetingTimeProposals);

export type ProposalRow = typeof meetingTimeProposals.$inferSelect;
type Proposer = { name: string; email: string };

export function toApiProposal(r: ProposalRow, p: Proposer): ApiTimeProposal {
  return {
    id: r.id,
    meetingId: r.meetingId,
    personId: r.personId,
    name: p.name,
    email: p.email,
    startsAt: iso(r.startsAt)!,
    endsAt: iso(r.endsAt)!,
    comment: r.comment,
    status: r.status as ApiTimeProposal['status'],
    sequence: r.sequence,
    decidedAt: iso(r.decidedAt),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

const proposer = { name: people.name, email: people.email };

/** A meeting's proposals in the order they arrived, a page at a time (`limit + 1` rows). */
export function listProposals(db: DbOrTx, organizationId: string, meetingId: string, q: { status?: string; cursor?: string; limit: number }) {
  return db
    .select({ r: meetingTimeProposals, p: proposer })
    .from(meetingTimeProposals)
    .innerJoin(people, and(eq(people.organizationId, meetingTimeProposals.organizationId), eq(people.id, meetingTimeProposals.personId)))
    .where(and(
      eq(meetingTimeProposals.organizationId, organizationId),
      eq(meetingTimeProposals.meetingId, meetingId),
      q.status ? eq(meetingTimeProposals.status, q.status) : undefined,
      afterCreated(meetingTimeProposals.createdAt, meetingTimeProposals.id, q.cursor),
    ))
    .orderBy(asc(meetingTimeProposals.createdAt), asc(meetingTimeProposals.id))
    .limit(q.limit + 1);
}

/** Records an attendee's proposal (audited); the caller emits the event. */
export async function insertProposal(rec: ChangeRecorder, input: { meetingId: string; personId: string; startsAt: Date; endsAt: Date; comment: string | null; sequence: number }, who: Proposer) {
  const [row] = await insertMeetingTimeProposals(rec.tx, { organizationId: rec.organizationId, ...input });
  const api = toApiProposal(row!, who);
  await rec.audit({ action: 'create', entityType: 'meeting_time_proposal', entityId: row!.id, after: api });
  return api;
}

/**
 * The proposal, locked, with who made it and their current answer, after its meeting (locked
 * first, as every change of the meeting does). 404 for a meeting or proposal not found; 409 once
 * the proposal was decided; If-Match names the meeting's version, as for PATCH of the meeting.
 */
async function openProposal(rec: ChangeRecorder, meetingId: string, proposalId: string, checkVersion: (v: number) => void) {
  const meeting = await findMeeting(rec.tx, rec.organizationId, meetingId, { forUpdate: true });
  const [found] = await rec.tx
    .select({ r: meetingTimeProposals, p: proposer, response: meetingParticipants.response })
    .from(meetingTimeProposals)
    .innerJoin(people, and(eq(people.organizationId, meetingTimeProposals.organizationId), eq(people.id, meetingTimeProposals.personId)))
    .leftJoin(meetingParticipants, and(
      eq(meetingParticipants.organizationId, meetingTimeProposals.organizationId),
      eq(meetingParticipants.meetingId, meetingTimeProposals.meetingId),
      eq(meetingParticipants.personId, meetingTimeProposals.personId),
    ))
    .where(and(eq(meetingTimeProposals.organizationId, rec.organizationId), eq(meetingTimeProposals.meetingId, meetingId), eq(meetingTimeProposals.id, proposalId)))
    .for('update', { of: meetingTimeProposals });
  if (!found) throw new NotFound('Time proposal');
  checkVersion(meeting.version);
  assertMeetingEditable(meeting);
  if (found.r.status !== 'proposed') throw new Conflict(`The proposal was already ${found.r.status}.`);
  return { meeting, ...found };
}

async function decide(rec: ChangeRecorder, current: ProposalRow, who: Proposer, status: 'accepted' | 'declined') {
  const [row] = await rec.tx
    .update(meetingTimeProposals)
    .set({ status, decidedAt: new Date(), updatedAt: new Date(), version: current.version + 1 })
    .where(and(eq(meetingTimeProposals.organizationId, rec.organizationId), eq(meetingTimeProposals.id, current.id)))
    .returning();
  const after = toApiProposal(row!, who);
  await rec.audit({ action: 'update', entityType: 'meeting_time_proposal', entityId: current.id, before: toApiProposal(current, who), after });
  return after;
}

/**
 * Accepts a proposal: the meeting moves to the proposed time through the same path as a PATCH of
 * `startsAt`/`endsAt` (SEQUENCE raised, answers but the organizer's back to `needs_action`,
 * `meeting.updated` with the new REQUEST).
 */
export async function acceptProposal(rec: ChangeRecorder, meetingId: string, proposalId: string, checkVersion: (v: number) => void): Promise<ApiTimeProposalDecision> {
  const { r, p } = await openProposal(rec, meetingId, proposalId, checkVersion);
  const meeting = await updateMeeting(rec, meetingId, { startsAt: r.startsAt.toISOString(), endsAt: r.endsAt.toISOString() }, 'occurrence', () => {});
  return { proposal: await decide(rec, r, p, 'accepted'), meeting };
}

/** Declines a proposal: the meeting stays; `meeting.time_proposal.declined` carries the DECLINECOUNTER. */
export async function declineProposal(rec: ChangeRecorder, meetingId: string, proposalId: string, checkVersion: (v: number) => void): Promise<ApiTimeProposalDecision> {
  const { meeting, r, p, response } = await openProposal(rec, meetingId, proposalId, checkVersion);
  const [organizer] = meeting.organizerId
    ? await rec.tx.select(proposer).from(people).where(and(eq(people.organizationId, rec.organizationId), eq(people.id, meeting.organizerId)))
    : [];
  const proposal = await decide(rec, r, p, 'declined');
  const api = await meetingApi(rec.tx, meeting);
  const ics = declineCounterText(meeting, organizer ?? null, { ...p, response: response ?? 'needs_action' }, new Date());
  await rec.event('meeting.time_proposal.declined', { meeting: api, proposal, ics });
  return { proposal, meeting: api };
}
