import { and, eq } from 'drizzle-orm';
import { feedback } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { Conflict } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { iso } from '../platform/schemas.js';
import { findMeeting } from '../meetings/queries.js';
import { assertParticipants } from '../issues/meeting-context.js';
import type { NewFeedback } from './schemas.js';

type Row = typeof feedback.$inferSelect;

export function toApiFeedback(r: Row) {
  return {
    id: r.id,
    meetingId: r.meetingId,
    personId: r.personId,
    rating: r.rating,
    comment: r.comment,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

/** One rating per participant per meeting, once the meeting has started. */
export async function giveFeedback(rec: ChangeRecorder, meetingId: string, input: NewFeedback) {
  const org = rec.organizationId;
  const meeting = await findMeeting(rec.tx, org, meetingId);
  if (meeting.status !== 'in_progress' && meeting.status !== 'completed') {
    throw new Conflict(`The meeting is ${meeting.status}; feedback is taken once it is in progress or completed.`);
  }
  await assertParticipants(rec.tx, org, meetingId, [{ path: 'body.personId', id: input.personId }]);
  const [row] = await rec.tx
    .insert(feedback)
    .values({ organizationId: org, meetingId, personId: input.personId, rating: input.rating, comment: input.comment ?? null })
    .onConflictDoNothing()
    .returning();
  if (!row) throw new Conflict('This participant has already given feedback on the meeting.');
  const api = toApiFeedback(row);
  await rec.audit({ action: 'create', entityType: 'feedback', entityId: api.id, after: api });
  return api;
}

export async function listFeedback(db: DbOrTx, organizationId: string, meetingId: string, q: { limit: number; cursor?: string }) {
  await findMeeting(db, organizationId, meetingId);
  return db
    .select()
    .from(feedback)
    .where(and(eq(feedback.organizationId, organizationId), eq(feedback.meetingId, meetingId), afterCreated(feedback.createdAt, feedback.id, q.cursor)))
    .orderBy(feedback.createdAt, feedback.id)
    .limit(q.limit + 1);
}
