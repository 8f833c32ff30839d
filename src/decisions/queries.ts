import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { tenantFinder } from '../platform/finders.js';
import { decisions, decisionStances } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';
import { NotFound } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { iso } from '../platform/schemas.js';
import { inVisibleMeeting, type Viewer } from '../access/viewer.js';
import type { ApiDecision, DecisionListQuery } from './schemas.js';

export type DecisionRow = typeof decisions.$inferSelect;
type StanceRow = typeof decisionStances.$inferSelect;

export interface Stances {
  supporters: string[];
  objections: { personId: string; note: string | null }[];
}

export function toApiDecision(r: DecisionRow, s: Stances): ApiDecision {
  return {
    id: r.id,
    meetingId: r.meetingId,
    agendaItemId: r.agendaItemId,
    initiativeId: r.initiativeId,
    title: r.title,
    statement: r.statement,
    rationale: r.rationale,
    decidedAt: iso(r.decidedAt)!,
    supporters: s.supporters,
    objections: s.objections,
    status: r.status as ApiDecision['status'],
    supersedesId: r.supersedesId,
    supersededById: r.supersededById,
    revocationReason: r.revocationReason,
    revokedAt: iso(r.revokedAt),
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

/** Supporters and objections of each decision, in one query. */
export async function stancesOf(db: DbOrTx, organizationId: string, decisionIds: string[]): Promise<Map<string, Stances>> {
  const out = new Map<string, Stances>(decisionIds.map((id) => [id, { supporters: [], objections: [] }]));
  if (decisionIds.length === 0) return out;
  const rows: StanceRow[] = await db
    .select()
    .from(decisionStances)
    .where(and(eq(decisionStances.organizationId, organizationId), inArray(decisionStances.decisionId, decisionIds)))
    .orderBy(asc(decisionStances.decisionId), asc(decisionStances.position));
  for (const r of rows) {
    const s = out.get(r.decisionId)!;
    if (r.objects) s.objections.push({ personId: r.personId, note: r.note });
    else s.supporters.push(r.personId);
  }
  return out;
}

export async function withStances(db: DbOrTx, organizationId: string, rows: DecisionRow[]): Promise<ApiDecision[]> {
  const stances = await stancesOf(db, organizationId, rows.map((r) => r.id));
  return rows.map((r) => toApiDecision(r, stances.get(r.id)!));
}

export const findDecision = tenantFinder(decisions, 'Decision', 'find_decision');

export async function getDecision(db: DbOrTx, organizationId: string, id: string): Promise<ApiDecision> {
  const [api] = await withStances(db, organizationId, [await findDecision(db, organizationId, id)]);
  return api!;
}

/** The page of decisions after the cursor, without those of meetings `viewer` may not see (SPEC §8). */
export async function listDecisions(db: DbOrTx, organizationId: string, viewer: Viewer, q: DecisionListQuery): Promise<DecisionRow[]> {
  return db
    .select()
    .from(decisions)
    .where(
      and(
        eq(decisions.organizationId, organizationId),
        q.meetingId ? eq(decisions.meetingId, q.meetingId) : undefined,
        q.initiativeId ? eq(decisions.initiativeId, q.initiativeId) : undefined,
        q.status ? eq(decisions.status, q.status) : undefined,
        inVisibleMeeting(viewer, organizationId, sql`${decisions.meetingId}`),
        afterCreated(decisions.createdAt, decisions.id, q.cursor),
      ),
    )
    .orderBy(decisions.createdAt, decisions.id)
    .limit(q.limit + 1);
}

/** Every decision recorded in a meeting, in creation order (minutes snapshots). */
export async function decisionsOfMeeting(db: DbOrTx, organizationId: string, meetingId: string): Promise<ApiDecision[]> {
  const rows = await db
    .select()
    .from(decisions)
    .where(and(eq(decisions.organizationId, organizationId), eq(decisions.meetingId, meetingId)))
    .orderBy(decisions.createdAt, decisions.id);
  return withStances(db, organizationId, rows);
}
