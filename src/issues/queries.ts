import { and, eq, gte, inArray, isNotNull, isNull, lt, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { tenantFinder } from '../platform/finders.js';
import { issues } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';
import { NotFound } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { iso } from '../platform/schemas.js';
import { inVisibleMeeting, type Viewer } from '../access/viewer.js';
import type { ApiIssue, IssueListQuery, IssueStatus } from './schemas.js';

export type IssueRow = typeof issues.$inferSelect;

/** Statuses in which an issue still needs work (and can become overdue). */
export const unresolvedStatuses: IssueStatus[] = ['open', 'in_progress', 'blocked'];

export function isOverdue(r: Pick<IssueRow, 'status' | 'dueAt'>, now = new Date()): boolean {
  return r.dueAt !== null && r.dueAt < now && unresolvedStatuses.includes(r.status as IssueStatus);
}

export function toApiIssue(r: IssueRow, now = new Date()): ApiIssue {
  return {
    id: r.id,
    title: r.title,
    description: r.description,
    kind: r.kind as ApiIssue['kind'],
    priority: r.priority as ApiIssue['priority'],
    status: r.status as ApiIssue['status'],
    ownerId: r.ownerId,
    departmentId: r.departmentId,
    dueAt: iso(r.dueAt),
    overdue: isOverdue(r, now),
    resolution: r.resolution,
    resolvedAt: iso(r.resolvedAt),
    closedAt: iso(r.closedAt),
    meetingId: r.meetingId,
    agendaItemId: r.agendaItemId,
    initiativeId: r.initiativeId,
    followUpMeetingId: r.followUpMeetingId,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

export const findIssue = tenantFinder(issues, 'Issue', 'find_issue');

function overdueFilter(overdue: boolean | undefined): SQL | undefined {
  if (overdue === undefined) return undefined;
  const now = new Date();
  const isOver = and(inArray(issues.status, unresolvedStatuses), isNotNull(issues.dueAt), lt(issues.dueAt, now));
  return overdue ? isOver : or(notInArray(issues.status, unresolvedStatuses), isNull(issues.dueAt), gte(issues.dueAt, now));
}

/** The page of issues after the cursor, without those raised in meetings `viewer` may not see (SPEC §8). */
export async function listIssues(db: DbOrTx, organizationId: string, viewer: Viewer, q: IssueListQuery): Promise<IssueRow[]> {
  return db
    .select()
    .from(issues)
    .where(
      and(
        eq(issues.organizationId, organizationId),
        q.status?.length ? inArray(issues.status, q.status) : undefined,
        q.ownerId ? eq(issues.ownerId, q.ownerId) : undefined,
        q.departmentId ? eq(issues.departmentId, q.departmentId) : undefined,
        q.initiativeId ? eq(issues.initiativeId, q.initiativeId) : undefined,
        q.meetingId ? eq(issues.meetingId, q.meetingId) : undefined,
        q.dueBefore ? lt(issues.dueAt, new Date(q.dueBefore)) : undefined,
        overdueFilter(q.overdue),
        inVisibleMeeting(viewer, organizationId, sql`${issues.meetingId}`),
        afterCreated(issues.createdAt, issues.id, q.cursor),
      ),
    )
    .orderBy(issues.createdAt, issues.id)
    .limit(q.limit + 1);
}
