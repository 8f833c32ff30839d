import { and, asc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { agendaItems, issues, meetingParticipants, meetings } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import { appendAgendaItems, type AgendaItemInput } from '../agenda/queries.js';
import type { ApiAgendaItem } from '../agenda/schemas.js';
import { toApiIssue } from '../issues/queries.js';
import type { ApiIssue } from '../issues/schemas.js';
import { emitIssueUpdated } from '../issues/service.js';
import { createMeeting, type CreateMeetingInput } from './create.js';
import { assertMeetingEditable, findMeeting, loadMeetingDetail, type MeetingRow } from './queries.js';
import type { ApiMeetingDetail, NewParticipant } from './schemas.js';

const WEEK_MS = 7 * 24 * 3600 * 1000;

export interface CarriedOver {
  agendaItems: ApiAgendaItem[];
  issues: ApiIssue[];
}

/**
 * Carries what a meeting left open onto another meeting's agenda, in the caller's transaction:
 * each agenda item left `pending` or `deferred` (as a new item with `carriedFrom`), and one item
 * per unresolved issue of the meeting (raised in it, or carried onto its agenda), linked to the
 * issue, whose `followUpMeetingId` becomes the target. Nothing is carried twice: an item already
 * carried anywhere, or an issue already followed up in another meeting, is skipped, so calling
 * this again (or from both a follow-up and a series end) adds nothing. Locks the target meeting.
 */
export async function carryOverInto(rec: ChangeRecorder, fromMeetingId: string, toMeetingId: string): Promise<CarriedOver> {
  const org = rec.organizationId;
  const target = await findMeeting(rec.tx, org, toMeetingId, { forUpdate: true });
  assertMeetingEditable(target);
  await findMeeting(rec.tx, org, fromMeetingId);

  const openItems = await rec.tx
    .select()
    .from(agendaItems)
    .where(
      and(
        eq(agendaItems.organizationId, org),
        eq(agendaItems.meetingId, fromMeetingId),
        inArray(agendaItems.status, ['pending', 'deferred']),
        sql`not exists (select 1 from agenda_items c where c.organization_id = ${org} and c.carried_from_id = ${agendaItems.id})`,
      ),
    )
    .orderBy(asc(agendaItems.position));

  const openIssues = await rec.tx
    .select()
    .from(issues)
    .where(
      and(
        eq(issues.organizationId, org),
        inArray(issues.status, ['open', 'in_progress', 'blocked']),
        or(
          eq(issues.meetingId, fromMeetingId),
          sql`${issues.id} in (select issue_id from agenda_items where organization_id = ${org} and meeting_id = ${fromMeetingId} and issue_id is not null)`,
        ),
        or(isNull(issues.followUpMeetingId), eq(issues.followUpMeetingId, fromMeetingId)),
        sql`not exists (select 1 from agenda_items t where t.organization_id = ${org} and t.meeting_id = ${toMeetingId} and t.issue_id = ${issues.id})`,
      ),
    )
    .orderBy(asc(issues.createdAt), asc(issues.id));
  const carriedIssueIds = new Set(openIssues.map((i) => i.id));

  // An agenda item that stood for an issue travels with its issue (or not at all once it is resolved).
  const itemForIssue = new Map(openItems.filter((i) => i.issueId).map((i) => [i.issueId!, i.id]));
  const plain: AgendaItemInput[] = openItems
    .filter((i) => !i.issueId)
    .map((i) => ({
      title: i.title,
      description: i.description,
      kind: i.kind as AgendaItemInput['kind'],
      ownerId: i.ownerId,
      durationMinutes: i.durationMinutes,
      carriedFromId: i.id,
    }));
  const forIssues: AgendaItemInput[] = openIssues.map((issue) => ({
    title: issue.title.slice(0, 300),
    description: issue.description?.slice(0, 5000) ?? null,
    kind: 'discussion',
    ownerId: issue.ownerId,
    issueId: issue.id,
    carriedFromId: itemForIssue.get(issue.id) ?? null,
  }));
  const created = await appendAgendaItems(rec, toMeetingId, [...plain, ...forIssues], 'carryOver');

  const updatedIssues: ApiIssue[] = [];
  if (carriedIssueIds.size > 0) {
    const now = new Date();
    const rows = await rec.tx
      .update(issues)
      .set({ followUpMeetingId: toMeetingId, updatedAt: now, version: sql`${issues.version} + 1` })
      .where(and(eq(issues.organizationId, org), inArray(issues.id, [...carriedIssueIds])))
      .returning();
    const previous = new Map(openIssues.map((i) => [i.id, i]));
    for (const row of rows.sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || a.id.localeCompare(b.id))) {
      const before = toApiIssue(previous.get(row.id)!, now);
      const after = toApiIssue(row, now);
      await rec.audit({ action: 'update', entityType: 'issue', entityId: row.id, before, after });
      await emitIssueUpdated(rec, before, after);
      updatedIssues.push(after);
    }
  }
  return { agendaItems: created, issues: updatedIssues };
}

/**
 * For an occurrence of a series that just ended: carries what it left open onto the next
 * occurrence that has not started (skipping cancelled ones). Returns null when there is none.
 * The meetings module's `…/end` calls this in the ending transaction.
 */
export async function carryOverToNextOccurrence(rec: ChangeRecorder, ended: Pick<MeetingRow, 'id' | 'seriesId' | 'startsAt'>): Promise<CarriedOver | null> {
  if (!ended.seriesId) return null;
  const [next] = await rec.tx
    .select({ id: meetings.id })
    .from(meetings)
    .where(
      and(
        eq(meetings.organizationId, rec.organizationId),
        eq(meetings.seriesId, ended.seriesId),
        gt(meetings.startsAt, ended.startsAt),
        inArray(meetings.status, ['draft', 'scheduled']),
      ),
    )
    .orderBy(asc(meetings.startsAt))
    .limit(1);
  return next ? carryOverInto(rec, ended.id, next.id) : null;
}

export type FollowUpInput = Partial<Omit<CreateMeetingInput, 'recurrence' | 'followUpOfId' | 'participants'>> & {
  participants?: NewParticipant[];
};

/**
 * Creates the meeting that follows `meetingId` (same initiative, participants, place and length,
 * a week later, unless the input says otherwise) through the meetings module's own writer, then
 * carries the open agenda items and unresolved issues onto it, all in the caller's transaction.
 */
export async function createFollowUp(rec: ChangeRecorder, meetingId: string, input: FollowUpInput): Promise<ApiMeetingDetail> {
  const org = rec.organizationId;
  // Locking the source serialises concurrent follow-ups of one meeting: the second carries nothing twice.
  const source = await findMeeting(rec.tx, org, meetingId, { forUpdate: true });
  const duration = source.endsAt.getTime() - source.startsAt.getTime();
  const startsAt = input.startsAt ? new Date(input.startsAt) : new Date(source.startsAt.getTime() + WEEK_MS);
  const endsAt = input.endsAt ? new Date(input.endsAt) : new Date(startsAt.getTime() + duration);
  const participants =
    input.participants ??
    (
      await rec.tx
        .select({ personId: meetingParticipants.personId, role: meetingParticipants.role })
        .from(meetingParticipants)
        .where(and(eq(meetingParticipants.organizationId, org), eq(meetingParticipants.meetingId, meetingId)))
        .orderBy(asc(meetingParticipants.createdAt))
    ).map((p) => ({ personId: p.personId, role: p.role as NewParticipant['role'] }));
  const created = await createMeeting(rec, {
    title: input.title ?? `Follow-up: ${source.title}`.slice(0, 300),
    objective: input.objective !== undefined ? input.objective : source.objective,
    startsAt: startsAt.toISOString(),
    endsAt: endsAt.toISOString(),
    timeZone: input.timeZone ?? source.timeZone,
    location: input.location !== undefined ? input.location : source.location,
    onlineUrl: input.onlineUrl !== undefined ? input.onlineUrl : source.onlineUrl,
    organizerId: input.organizerId !== undefined ? input.organizerId : source.organizerId,
    initiativeId: input.initiativeId !== undefined ? input.initiativeId : source.initiativeId,
    materialsDueAt: input.materialsDueAt,
    // A follow-up of a confidential meeting is as confidential as the meeting it follows (SPEC §8).
    visibility: input.visibility ?? (source.visibility as CreateMeetingInput['visibility']),
    participants,
    agendaItems: input.agendaItems,
    followUpOfId: source.id,
  });
  await carryOverInto(rec, source.id, created.id);
  return loadMeetingDetail(rec.tx, org, created.id);
}
