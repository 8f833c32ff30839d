import { and, eq, gt, inArray } from 'drizzle-orm';
import { initiatives, meetings, meetingSeries, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import { diffFields } from '../platform/changes.js';
import { BadRequest } from '../platform/errors.js';
import { assertReferences } from '../platform/references.js';
import { meetingIcs } from './lifecycle.js';
import { followMeetingVisibility } from '../events/meeting-visibility.js';
import { resetResponses, type ResetResponse } from './participants.js';
import { assertMeetingEditable, assertMeetingTimes, findMeeting, meetingApi, toApiMeeting, type MeetingRow } from './queries.js';
import type { ApiMeeting, MeetingPatch } from './schemas.js';

export type UpdateScope = 'occurrence' | 'series';

/** Fields whose change invalidates the invitation: they raise the iCalendar SEQUENCE. */
const significant = ['startsAt', 'endsAt', 'timeZone', 'location', 'onlineUrl'] as const;
/** Fields whose change reschedules the meeting: answers given for the old time no longer hold. */
const rescheduling = ['startsAt', 'endsAt'] as const;
const textFields = ['title', 'objective', 'location', 'onlineUrl', 'organizerId', 'initiativeId', 'timeZone', 'visibility'] as const;

/** The new values of one meeting under a patch; times of other occurrences move by the same amounts. */
function applyPatch(m: MeetingRow, patch: MeetingPatch, startShift: number, newDuration: number | null, dueLead: number | null, moveRule: boolean) {
  const set: Partial<MeetingRow> = {};
  for (const f of textFields) if (patch[f] !== undefined) (set as Record<string, unknown>)[f] = patch[f];
  const startsAt = new Date(m.startsAt.getTime() + startShift);
  const endsAt = newDuration === null ? new Date(m.endsAt.getTime() + startShift) : new Date(startsAt.getTime() + newDuration);
  const lead = dueLead ?? m.startsAt.getTime() - m.materialsDueAt.getTime();
  const materialsDueAt = new Date(startsAt.getTime() - lead);
  if (startsAt.getTime() !== m.startsAt.getTime()) set.startsAt = startsAt;
  if (endsAt.getTime() !== m.endsAt.getTime()) set.endsAt = endsAt;
  if (materialsDueAt.getTime() !== m.materialsDueAt.getTime()) set.materialsDueAt = materialsDueAt;
  // Moving the series moves its rule, so the occurrence's place in it (RECURRENCE-ID) moves too;
  // moving one occurrence keeps that place, which is how calendars match the override.
  if (moveRule && m.originalStartsAt && startShift !== 0) set.originalStartsAt = new Date(m.originalStartsAt.getTime() + startShift);
  return set;
}

/**
 * Edits a meeting, or with scope `series` the meeting and every occurrence of its series not
 * yet started (and the template later occurrences are made from). Once invitations are out, a
 * change of time, place or link raises `sequence`, a change of time returns the participants'
 * answers to `needs_action` (RFC 6638 §3.2.8; the organizer's aside), and any change emits
 * `meeting.updated` with the new calendar and the answers that were reset.
 */
export async function updateMeeting(rec: ChangeRecorder, id: string, patch: MeetingPatch, scope: UpdateScope, checkVersion: (v: number) => void): Promise<ApiMeeting> {
  const org = rec.organizationId;
  const current = await findMeeting(rec.tx, org, id, { forUpdate: true });
  checkVersion(current.version);
  assertMeetingEditable(current);
  if (scope === 'series' && !current.seriesId) {
    throw new BadRequest('scope=series applies only to an occurrence of a series.', [{ path: 'querystring.scope', message: 'the meeting is not part of a series' }]);
  }
  await assertReferences(rec.tx, org, [
    { path: 'body.organizerId', table: people, id: patch.organizerId, what: 'person' },
    { path: 'body.initiativeId', table: initiatives, id: patch.initiativeId, what: 'initiative' },
  ]);
  const startsAt = patch.startsAt ? new Date(patch.startsAt) : current.startsAt;
  const endsAt = patch.endsAt ? new Date(patch.endsAt) : new Date(current.endsAt.getTime() + (startsAt.getTime() - current.startsAt.getTime()));
  const dueLead = patch.materialsDueAt ? startsAt.getTime() - new Date(patch.materialsDueAt).getTime() : null;
  assertMeetingTimes(startsAt, endsAt, new Date(startsAt.getTime() - (dueLead ?? current.startsAt.getTime() - current.materialsDueAt.getTime())));
  const startShift = startsAt.getTime() - current.startsAt.getTime();
  const newDuration = patch.endsAt ? endsAt.getTime() - startsAt.getTime() : null;

  let targets = [current];
  if (scope === 'series') {
    const later = await rec.tx
      .select()
      .from(meetings)
      .where(and(eq(meetings.organizationId, org), eq(meetings.seriesId, current.seriesId!), inArray(meetings.status, ['draft', 'scheduled']), gt(meetings.startsAt, new Date())))
      .orderBy(meetings.startsAt)
      .for('update');
    targets = [current, ...later.filter((m) => m.id !== id)];
  }

  let changedAny = false;
  let raised = false;
  let updated = current;
  const changedIds: string[] = [];
  const visibilityChanged: string[] = [];
  const responsesReset: ResetResponse[] = [];
  for (const m of targets) {
    const set = applyPatch(m, patch, startShift, newDuration, dueLead, scope === 'series');
    const before = toApiMeeting(m);
    const changed = Object.keys(diffFields(before, { ...before, ...Object.fromEntries(Object.entries(set).map(([k, v]) => [k, v instanceof Date ? v.toISOString() : v])) }));
    if (changed.length === 0) continue;
    const bump = m.status !== 'draft' && changed.some((f) => (significant as readonly string[]).includes(f));
    raised ||= bump;
    const [row] = await rec.tx
      .update(meetings)
      .set({ ...set, sequence: m.sequence + (bump ? 1 : 0), updatedAt: new Date(), version: m.version + 1 })
      .where(and(eq(meetings.organizationId, org), eq(meetings.id, m.id)))
      .returning();
    await rec.audit({ action: 'update', entityType: 'meeting', entityId: m.id, before, after: toApiMeeting(row!) });
    // A draft's participants were never asked, so there is nothing to ask again.
    if (m.status !== 'draft' && changed.some((f) => (rescheduling as readonly string[]).includes(f))) responsesReset.push(...(await resetResponses(rec, row!)));
    changedIds.push(m.id);
    if (changed.includes('visibility')) visibilityChanged.push(m.id);
    if (m.id === id) updated = row!;
    changedAny = true;
  }

  await followMeetingVisibility(rec.tx, org, visibilityChanged, patch.visibility!);

  if (scope === 'series' && changedAny) {
    const [series] = await rec.tx.select().from(meetingSeries).where(and(eq(meetingSeries.organizationId, org), eq(meetingSeries.id, current.seriesId!))).for('update');
    const s = series!;
    const set: Partial<typeof meetingSeries.$inferInsert> = { updatedAt: new Date(), version: s.version + 1 };
    for (const f of textFields) if (patch[f] !== undefined) (set as Record<string, unknown>)[f] = patch[f];
    if (startShift) set.firstStartsAt = new Date(s.firstStartsAt.getTime() + startShift);
    if (newDuration !== null) set.durationMinutes = Math.round(newDuration / 60000);
    if (dueLead !== null) set.materialsLeadMinutes = Math.round(dueLead / 60000);
    if (raised) set.sequence = s.sequence + 1;
    await rec.tx.update(meetingSeries).set(set).where(and(eq(meetingSeries.organizationId, org), eq(meetingSeries.id, s.id)));
    await rec.audit({ action: 'update', entityType: 'meeting_series', entityId: s.id, before: { sequence: s.sequence, firstStartsAt: s.firstStartsAt }, after: { sequence: set.sequence ?? s.sequence, firstStartsAt: set.firstStartsAt ?? s.firstStartsAt } });
  }

  const api = await meetingApi(rec.tx, updated);
  if (changedAny && (current.status !== 'draft' || responsesReset.length > 0)) {
    const changes = diffFields(toApiMeeting(current), toApiMeeting(updated));
    delete changes.version;
    // Rendered after the reset, so the REQUEST asks each attendee again (PARTSTAT=NEEDS-ACTION).
    const ics = await meetingIcs(rec.tx, updated, 'REQUEST');
    await rec.event('meeting.updated', { meeting: api, scope, occurrenceIds: changedIds, changes, responsesReset, ics });
  }
  return api;
}
