import { initiatives, meetingParticipants, meetings, meetingSeries, people, type SeriesParticipant } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import { BadRequest } from '../platform/errors.js';
import { assertReferences } from '../platform/references.js';
import { appendAgendaItems, type AgendaItemInput } from '../agenda/queries.js';
import { assertMeetingTimes, assertPeople, loadMeetingDetail, toApiMeeting, type MeetingRow } from './queries.js';
import { coveredUntil, normaliseRecurrence, occurrences } from './recurrence.js';
import type { ApiMeetingDetail, NewMeeting } from './schemas.js';
import { insertReturning } from '../platform/built-once.js';

const insertMeetings = insertReturning(meetings);

const DAY_MS = 24 * 3600 * 1000;
/** Occurrences of a series exist as meetings this far ahead (the worker keeps extending it). */
export const SERIES_HORIZON_DAYS = 90;
export const horizonFrom = (firstStartsAt: Date, now = new Date()) => new Date(Math.max(now.getTime(), firstStartsAt.getTime()) + SERIES_HORIZON_DAYS * DAY_MS);

/** What other modules pass to create a meeting (the follow-up names the meeting it follows). */
export type CreateMeetingInput = Omit<NewMeeting, 'agendaItems'> & {
  agendaItems?: AgendaItemInput[];
  followUpOfId?: string | null;
};

export type SeriesRow = typeof meetingSeries.$inferSelect;

/**
 * Inserts the occurrences of a series that start at `starts` (the template gives everything
 * else) with the template's participants. Occurrences that already exist are skipped, so two
 * workers extending the same series add each occurrence once.
 */
export async function materializeOccurrences(rec: ChangeRecorder, series: SeriesRow, starts: Date[], extra: { followUpOfId?: string | null } = {}): Promise<MeetingRow[]> {
  if (starts.length === 0) return [];
  const duration = series.durationMinutes * 60000;
  const lead = series.materialsLeadMinutes * 60000;
  const rows = await rec.tx
    .insert(meetings)
    .values(
      starts.map((at, i) => ({
        organizationId: rec.organizationId,
        seriesId: series.id,
        followUpOfId: i === 0 ? (extra.followUpOfId ?? null) : null,
        initiativeId: series.initiativeId,
        title: series.title,
        objective: series.objective,
        startsAt: at,
        endsAt: new Date(at.getTime() + duration),
        timeZone: series.timeZone,
        location: series.location,
        onlineUrl: series.onlineUrl,
        organizerId: series.organizerId,
        visibility: series.visibility,
        materialsDueAt: new Date(at.getTime() - lead),
        recurrence: series.recurrence,
        originalStartsAt: at,
        // Once the series was sent out, its invitation (with the RRULE) already covers new occurrences.
        ...(series.invitationsSentAt ? { status: 'scheduled', invitationsSentAt: series.invitationsSentAt } : {}),
      })),
    )
    .onConflictDoNothing()
    .returning();
  await addParticipants(rec, rows.map((r) => r.id), series.participants);
  for (const row of rows) await rec.audit({ action: 'create', entityType: 'meeting', entityId: row.id, after: toApiMeeting(row) });
  return rows.sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime());
}

async function addParticipants(rec: ChangeRecorder, meetingIds: string[], list: SeriesParticipant[]) {
  if (meetingIds.length === 0 || list.length === 0) return;
  const values = meetingIds.flatMap((meetingId) => list.map((p) => ({ organizationId: rec.organizationId, meetingId, personId: p.personId, role: p.role })));
  await rec.tx.insert(meetingParticipants).values(values);
  for (const v of values) {
    await rec.audit({ action: 'create', entityType: 'meeting_participant', entityId: v.meetingId, after: { meetingId: v.meetingId, personId: v.personId, role: v.role, response: 'needs_action' } });
  }
}

/**
 * Creates a meeting with its participants and agenda in the caller's transaction; with
 * `recurrence` it creates a series and materialises its occurrences over the horizon (the agenda
 * goes on the first). Any invalid part throws before the transaction commits, so nothing of the
 * meeting is left behind. Returns the (first) meeting as GET /v1/meetings/{id} shows it.
 */
export async function createMeeting(rec: ChangeRecorder, input: CreateMeetingInput): Promise<ApiMeetingDetail> {
  const org = rec.organizationId;
  const startsAt = new Date(input.startsAt);
  const endsAt = new Date(input.endsAt);
  const materialsDueAt = input.materialsDueAt ? new Date(input.materialsDueAt) : new Date(startsAt.getTime() - DAY_MS);
  assertMeetingTimes(startsAt, endsAt, materialsDueAt);
  await assertReferences(rec.tx, org, [
    { path: 'body.organizerId', table: people, id: input.organizerId, what: 'person' },
    { path: 'body.initiativeId', table: initiatives, id: input.initiativeId, what: 'initiative' },
  ]);
  const participants = input.participants ?? [];
  const seen = new Set<string>();
  for (const [i, p] of participants.entries()) {
    if (seen.has(p.personId)) throw new BadRequest('A person is listed twice among the participants.', [{ path: `body.participants[${i}].personId`, message: 'listed twice' }]);
    seen.add(p.personId);
  }
  await assertPeople(rec.tx, org, participants.map((p, i) => ({ path: `body.participants[${i}].personId`, id: p.personId })));
  const template: SeriesParticipant[] = participants.map((p) => ({ personId: p.personId, role: p.role ?? 'required' }));

  const common = {
    title: input.title,
    objective: input.objective ?? null,
    location: input.location ?? null,
    onlineUrl: input.onlineUrl ?? null,
    organizerId: input.organizerId ?? null,
    initiativeId: input.initiativeId ?? null,
    timeZone: input.timeZone,
    visibility: input.visibility ?? 'organization',
  };
  let first: MeetingRow;
  if (input.recurrence) {
    const recurrence = normaliseRecurrence(input.recurrence);
    const until = horizonFrom(startsAt);
    const starts = occurrences(recurrence, input.timeZone, startsAt, startsAt, until);
    if (starts[0]?.getTime() !== startsAt.getTime()) {
      throw new BadRequest('startsAt must be the first occurrence of the recurrence rule.', [{ path: 'body.recurrence', message: 'startsAt is not an occurrence of this rule' }]);
    }
    const [series] = await rec.tx
      .insert(meetingSeries)
      .values({
        ...common,
        organizationId: org,
        recurrence,
        firstStartsAt: startsAt,
        durationMinutes: Math.round((endsAt.getTime() - startsAt.getTime()) / 60000),
        materialsLeadMinutes: Math.round((startsAt.getTime() - materialsDueAt.getTime()) / 60000),
        materializedUntil: coveredUntil(starts, until),
        participants: template,
      })
      .returning();
    await rec.audit({ action: 'create', entityType: 'meeting_series', entityId: series!.id, after: { ...common, recurrence, firstStartsAt: startsAt.toISOString() } });
    [first] = (await materializeOccurrences(rec, series!, starts, { followUpOfId: input.followUpOfId })) as [MeetingRow];
  } else {
    const [row] = await insertMeetings(rec.tx, { ...common, organizationId: org, startsAt, endsAt, materialsDueAt, followUpOfId: input.followUpOfId ?? null });
    first = row!;
    await rec.audit({ action: 'create', entityType: 'meeting', entityId: first.id, after: toApiMeeting(first) });
    await addParticipants(rec, [first.id], template);
  }
  await appendAgendaItems(rec, first.id, (input.agendaItems ?? []).map(({ position: _p, ...item }: AgendaItemInput & { position?: number }) => item));
  return loadMeetingDetail(rec.tx, org, first.id);
}
