import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import { events } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';

/**
 * Brings the events about meetings in line with the meetings' new visibility, in the transaction
 * that changes it (SPEC §8: a confidential meeting's events reach only those who may see it, in
 * every list). Made `participants`, the earlier events about them become confidential; made
 * `organization` again, those they made confidential are not any more (an event that is
 * confidential because of another meeting it names stays so). One statement, by
 * events_org_meeting_idx. What was already sent to a webhook or a stream stays sent.
 */
export async function followMeetingVisibility(tx: DbOrTx, organizationId: string, meetingIds: string[], visibility: 'organization' | 'participants') {
  if (meetingIds.length === 0) return;
  const about = and(eq(events.organizationId, organizationId), inArray(events.meetingId, meetingIds));
  if (visibility === 'participants') {
    await tx.update(events).set({ confidentialMeetingId: sql`${events.meetingId}` }).where(and(about, isNull(events.confidentialMeetingId)));
  } else {
    await tx.update(events).set({ confidentialMeetingId: null }).where(and(about, eq(events.confidentialMeetingId, events.meetingId)));
  }
}
