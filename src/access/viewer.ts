import { sql, type SQL } from 'drizzle-orm';
import { scopeSatisfied } from '../platform/api-key-crypto.js';
import type { AuthContext } from '../platform/auth.js';

/**
 * Whose eyes a request reads with (SPEC §8): `all` for an integration key with scope
 * `confidential` acting as itself; `organization` for one without, which sees meetings of
 * visibility `organization` only; a person (a person-bound key, or on behalf of one) sees those
 * and the meetings it organises or takes part in.
 */
export type Viewer = { kind: 'all' } | { kind: 'organization' } | { kind: 'person'; personId: string };

export const ALL: Viewer = { kind: 'all' };
export const ORGANIZATION: Viewer = { kind: 'organization' };

export function viewerOf(auth: Pick<AuthContext, 'personId' | 'scopes'>): Viewer {
  if (auth.personId !== null) return { kind: 'person', personId: auth.personId };
  return scopeSatisfied(auth.scopes, 'confidential') ? ALL : ORGANIZATION;
}

/**
 * Whether the request may have confidential meetings' events sent to an endpoint or a stream
 * (`includeConfidential`): only a key that sees every meeting, acting as itself.
 */
export const seesEveryMeeting = (auth: Pick<AuthContext, 'personId' | 'scopes'>): boolean => viewerOf(auth).kind === 'all';

/**
 * The condition that the meeting row `m` (an alias of meetings, as raw SQL such as `m`) is
 * visible to `viewer`; `true` for `all`, so that the planner drops it.
 */
export function meetingVisible(viewer: Viewer, m: SQL): SQL {
  if (viewer.kind === 'all') return sql`true`;
  if (viewer.kind === 'organization') return sql`${m}.visibility = 'organization'`;
  return sql`(${m}.visibility = 'organization' or ${m}.organizer_id = ${viewer.personId}::uuid or exists (
    select 1 from meeting_participants vp
    where vp.organization_id = ${m}.organization_id and vp.meeting_id = ${m}.id and vp.person_id = ${viewer.personId}::uuid))`;
}

/**
 * `meetingVisible` for a kind of viewer, over the placeholder `viewerPersonId` for the person
 * (see `viewerPlaceholders`), so that one prepared statement per kind of viewer serves every
 * viewer; undefined for `all`, which sees every meeting.
 */
export function visibleToKind(kind: Viewer['kind'], m: SQL): SQL | undefined {
  if (kind === 'all') return undefined;
  const viewer: Viewer = kind === 'person' ? { kind, personId: sql.placeholder('viewerPersonId') as unknown as string } : { kind };
  return meetingVisible(viewer, m);
}

/** The value of `visibleToKind`'s placeholder for a viewer. */
export const viewerPlaceholders = (viewer: Viewer) => ({ viewerPersonId: viewer.kind === 'person' ? viewer.personId : undefined });

/**
 * The condition that a row belonging to the meeting `meetingId` (a column, possibly null for rows
 * that need not belong to one, such as issues) is visible: it belongs to no meeting, or to one
 * the viewer sees.
 */
export function inVisibleMeeting(viewer: Viewer, organizationId: SQL | string, meetingId: SQL): SQL {
  if (viewer.kind === 'all') return sql`true`;
  return sql`(${meetingId} is null or exists (
    select 1 from meetings vm where vm.organization_id = ${organizationId} and vm.id = ${meetingId} and ${meetingVisible(viewer, sql.raw('vm'))}))`;
}

/**
 * The condition that an event row `e` (with its `confidential_meeting_id`) may be shown to
 * `viewer`. Webhooks and streams created with `includeConfidential` read as `all`.
 */
export function eventVisible(viewer: Viewer, e: SQL): SQL {
  if (viewer.kind === 'all') return sql`true`;
  if (viewer.kind === 'organization') return sql`${e}.confidential_meeting_id is null`;
  return sql`(${e}.confidential_meeting_id is null or exists (
    select 1 from meetings vm where vm.organization_id = ${e}.organization_id and vm.id = ${e}.confidential_meeting_id and ${meetingVisible(viewer, sql.raw('vm'))}))`;
}
