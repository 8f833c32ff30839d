import { sql } from 'drizzle-orm';
import { issues } from '../db/schema/index.js';
import type { Db } from '../src/platform/database.js';

/** `n` open issues of the organisation due at `dueAt` (a millisecond apart), inserted in bulk; their ids. */
export async function dueIssues(db: Db, organizationId: string, n: number, dueAt: Date, title = 'Due'): Promise<string[]> {
  const ids: string[] = [];
  for (let done = 0; done < n; done += 1000) {
    const rows = Array.from({ length: Math.min(1000, n - done) }, (_, i) => ({
      organizationId,
      title: `${title} ${done + i}`,
      dueAt: new Date(dueAt.getTime() + done + i),
    }));
    ids.push(...(await db.insert(issues).values(rows).returning({ id: issues.id })).map((r) => r.id));
  }
  return ids;
}

/** issue.overdue events of the organisation, counted per issue. */
export async function overdueEventsPerIssue(db: Db, organizationId: string): Promise<Map<string, number>> {
  const rows = (await db.execute(sql`
    select data->'issue'->>'id' as id, count(*)::int as n from events
    where organization_id = ${organizationId}::uuid and type = 'issue.overdue' group by 1`)) as unknown as { id: string; n: number }[];
  return new Map(rows.map((r) => [r.id, r.n]));
}

/** The organisation's firings of a rule: how many, and how many of them point at an event that exists. */
export async function firingCounts(db: Db, organizationId: string, rule = 'issueOverdue') {
  const [row] = (await db.execute(sql`
    select count(*)::int as firings,
      count(*) filter (where f.status = 'fired')::int as fired,
      count(e.id)::int as "withEvent",
      count(distinct f.subject_id)::int as subjects
    from scheduled_firings f
    left join events e on e.organization_id = f.organization_id and e.id = f.event_id and e.occurred_at = f.event_occurred_at
    where f.organization_id = ${organizationId}::uuid and f.rule = ${rule}`)) as unknown as { firings: number; fired: number; withEvent: number; subjects: number }[];
  return row!;
}
