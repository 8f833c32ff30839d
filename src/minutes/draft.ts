import { and, asc, eq, gt } from 'drizzle-orm';
import { minutes, minutesRevisions } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { BadRequest, Conflict, NotFound } from '../platform/errors.js';
import { decodeCursor } from '../platform/pagination.js';
import { iso } from '../platform/schemas.js';
import { assertPeople, findMeeting } from '../meetings/queries.js';
import { assertParticipants } from '../issues/meeting-context.js';
import type { ApiMinutesDraft, ApiMinutesRevision, MinutesDraftContent } from './schemas.js';

export type DraftRow = typeof minutes.$inferSelect;

export function toApiDraft(meetingId: string, r: DraftRow | undefined): ApiMinutesDraft {
  return {
    meetingId,
    summary: r?.summary ?? '',
    attendance: r?.attendance ?? [],
    acknowledgements: r?.acknowledgements ?? [],
    publishedRevision: r?.publishedRevision ? r.publishedRevision : null,
    createdAt: iso(r?.createdAt),
    updatedAt: iso(r?.updatedAt),
    version: r?.version ?? 0,
  };
}

export async function findDraft(db: DbOrTx, organizationId: string, meetingId: string, opts: { forUpdate?: boolean } = {}): Promise<DraftRow | undefined> {
  const q = db.select().from(minutes).where(and(eq(minutes.organizationId, organizationId), eq(minutes.meetingId, meetingId)));
  const [row] = opts.forUpdate ? await q.for('update') : await q;
  return row;
}

/** The draft of a meeting's minutes; an empty one (version 0) before it is first saved. */
export async function getDraft(db: DbOrTx, organizationId: string, meetingId: string): Promise<ApiMinutesDraft> {
  await findMeeting(db, organizationId, meetingId);
  return toApiDraft(meetingId, await findDraft(db, organizationId, meetingId));
}

/**
 * Replaces the draft (PUT). Attendance names participants of the meeting, each once;
 * acknowledgements may thank any person of the organisation. A cancelled meeting has no minutes.
 */
export async function saveDraft(rec: ChangeRecorder, meetingId: string, input: MinutesDraftContent, checkVersion: (v: number) => void): Promise<ApiMinutesDraft> {
  const org = rec.organizationId;
  const meeting = await findMeeting(rec.tx, org, meetingId, { forUpdate: true });
  if (meeting.status === 'cancelled') throw new Conflict('The meeting is cancelled; it has no minutes.');
  const current = await findDraft(rec.tx, org, meetingId, { forUpdate: true });
  checkVersion(current?.version ?? 0);
  const seen = new Set<string>();
  input.attendance.forEach((a, i) => {
    if (seen.has(a.personId)) throw new BadRequest('A person is listed twice in the attendance.', [{ path: `body.attendance[${i}].personId`, message: 'listed twice' }]);
    seen.add(a.personId);
  });
  await assertParticipants(rec.tx, org, meetingId, input.attendance.map((a, i) => ({ path: `body.attendance[${i}].personId`, id: a.personId })));
  await assertPeople(
    rec.tx,
    org,
    input.acknowledgements.flatMap((a, i) => (a.personId ? [{ path: `body.acknowledgements[${i}].personId`, id: a.personId }] : [])),
  );
  const content = {
    summary: input.summary,
    attendance: input.attendance,
    acknowledgements: input.acknowledgements.map((a) => ({ personId: a.personId ?? null, note: a.note })),
  };
  const now = new Date();
  const [row] = current
    ? await rec.tx.update(minutes).set({ ...content, updatedAt: now, version: current.version + 1 }).where(eq(minutes.id, current.id)).returning()
    : await rec.tx.insert(minutes).values({ ...content, organizationId: org, meetingId }).returning();
  const before = current ? toApiDraft(meetingId, current) : null;
  const after = toApiDraft(meetingId, row);
  await rec.audit({ action: current ? 'update' : 'create', entityType: 'minutes', entityId: row!.id, before, after });
  return after;
}

export function toApiRevision(r: typeof minutesRevisions.$inferSelect): ApiMinutesRevision {
  return r.content as unknown as ApiMinutesRevision;
}

export async function listRevisions(db: DbOrTx, organizationId: string, meetingId: string, q: { limit: number; cursor?: string }) {
  await findMeeting(db, organizationId, meetingId);
  const c = decodeCursor(q.cursor, 1);
  return db
    .select()
    .from(minutesRevisions)
    .where(
      and(
        eq(minutesRevisions.organizationId, organizationId),
        eq(minutesRevisions.meetingId, meetingId),
        c ? gt(minutesRevisions.revision, Number(c[0])) : undefined,
      ),
    )
    .orderBy(asc(minutesRevisions.revision))
    .limit(q.limit + 1);
}

export async function getRevision(db: DbOrTx, organizationId: string, meetingId: string, revision: number): Promise<ApiMinutesRevision> {
  await findMeeting(db, organizationId, meetingId);
  const [row] = await db
    .select()
    .from(minutesRevisions)
    .where(and(eq(minutesRevisions.organizationId, organizationId), eq(minutesRevisions.meetingId, meetingId), eq(minutesRevisions.revision, revision)));
  if (!row) throw new NotFound('Minutes revision');
  return toApiRevision(row);
}
