import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';

/**
 * What must follow when events become confidential or open again, in the same statement: a
 * data-modifying statement over `changed` (columns id, organization_id, occurred_at,
 * confidential_meeting_id: the events whose confidentiality just changed, null for those open
 * again). Registered at composition (app.ts, worker.ts), as the event subscribers are: the event
 * log knows none of them.
 */
export type VisibilityFollower = (changed: SQL) => SQL;

const followers: VisibilityFollower[] = [];

export function registerVisibilityFollower(follower: VisibilityFollower) {
  if (!followers.includes(follower)) followers.push(follower);
}

/**
 * Brings the events about meetings in line with the meetings' new visibility, in the transaction
 * that changes it (SPEC §8: a confidential meeting's events reach only those who may see it, in
 * every list). Made `participants`, the earlier events about them become confidential; made
 * `organization` again, those they made confidential are not any more (an event that is
 * confidential because of another meeting it names stays so). One statement, by
 * events_org_meeting_idx, with what the followers do. What was already sent stays sent.
 */
export async function followMeetingVisibility(tx: DbOrTx, organizationId: string, meetingIds: string[], visibility: 'organization' | 'participants') {
  if (meetingIds.length === 0) return;
  const ids = sql.join(meetingIds.map((id) => sql`${id}::uuid`), sql`, `);
  const change = visibility === 'participants'
    ? sql`set confidential_meeting_id = meeting_id where organization_id = ${organizationId} and meeting_id in (${ids}) and confidential_meeting_id is null`
    : sql`set confidential_meeting_id = null where organization_id = ${organizationId} and meeting_id in (${ids}) and confidential_meeting_id = meeting_id`;
  const ctes = [sql`changed_events as (update events ${change} returning id, organization_id, occurred_at, confidential_meeting_id)`];
  followers.forEach((follow, i) => ctes.push(sql`${sql.raw(`visibility_follower_${i}`)} as (${follow(sql.raw('changed_events'))})`));
  await tx.execute(sql`with ${sql.join(ctes, sql`, `)} select count(*) from changed_events`);
}
