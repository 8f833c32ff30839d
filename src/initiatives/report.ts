import { and, asc, eq, inArray, sql, type SQL } from 'drizzle-orm';
import { goalMeasurements, goals, people } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';
import { iso } from '../platform/schemas.js';
import { isoSql } from '../platform/json-text.js';
import { inVisibleMeeting, meetingVisible, type Viewer } from '../access/viewer.js';
import { toApiGoal } from './goals.js';
import { getInitiative } from './initiatives.js';
import type { InitiativeReport, ReportIssue, ReportMeeting } from './report-schemas.js';

interface Ctx {
  db: DbOrTx;
  org: SQL;
  id: SQL;
  from: SQL;
  to: SQL;
  viewer: Viewer;
}

/**
 * A list section of the report: its full count, over every row `of` selects, and the first `limit`
 * of those the viewer may see, in `order`, as its lines. A meeting of visibility `participants` the
 * viewer may not see (SPEC §8) counts in the total but is no line, nor is anything in it. One
 * statement: the count, and the lines joined to it laterally so that an empty page still carries the
 * total; `n` keeps the lines in order.
 */
function sectionSql(table: SQL, of: SQL, visible: SQL, columns: SQL, order: SQL, limit: number): SQL {
  return sql`
    select l.*, t.total from (select count(*)::int as total from ${table} where ${of}) t
    left join lateral (
      select ${columns}, (row_number() over (order by ${order}))::int as n
      from ${table}
      where ${of} and ${visible}
      order by ${order}
      limit ${limit}) l on true
    order by l.n`;
}

// A row of a section: a line with the section's total, or (with every column of the line null,
// `id` included) only the total, for a section with no line to show.
type SectionRow<T> = T & { total: number; n: number | null };

type MeetingRow = Omit<ReportMeeting, 'attendanceRate' | 'materialsOnTime'>;

async function meetingLines(c: Ctx, where: SQL, order: SQL, limit: number) {
  const rows = (await c.db.execute(sectionSql(
    sql`meetings m`,
    sql`m.organization_id = ${c.org} and m.initiative_id = ${c.id} and ${where}`,
    meetingVisible(c.viewer, sql.raw('m')),
    sql`m.id, m.title, ${isoSql('m.starts_at')} as "startsAt", ${isoSql('m.ends_at')} as "endsAt", m.status,
      (select count(*)::int from meeting_participants p where p.organization_id = m.organization_id and p.meeting_id = m.id) as participants,
      (select count(*)::int from meeting_participants p where p.organization_id = m.organization_id and p.meeting_id = m.id and p.attended) as attended,
      (select count(*)::int from materials mt where mt.organization_id = m.organization_id and mt.meeting_id = m.id) as materials,
      (select count(*)::int from materials mt where mt.organization_id = m.organization_id and mt.meeting_id = m.id and mt.late) as "materialsLate"`,
    sql`${order}, m.id`,
    limit,
  ))) as unknown as SectionRow<MeetingRow>[];
  const lines: ReportMeeting[] = linesOf(rows).map((r) => ({
    ...r,
    attendanceRate: r.participants > 0 ? r.attended / r.participants : null,
    materialsOnTime: r.materials > 0 ? r.materialsLate === 0 : null,
  }));
  return { lines, total: rows[0]?.total ?? 0 };
}

/** The lines of a section's rows (without the row that only carries the total of an empty page). */
function linesOf<T extends { id: string }>(rows: SectionRow<T>[]): T[] {
  return rows.filter((r) => r.id !== null).map(({ total: _t, n: _n, ...r }) => r as unknown as T);
}

type IssueRow = { id: string; title: string; status: string; priority: string; dueAt: string | null; resolvedAt: string | null; ownerId: string | null; ownerName: string | null; departmentId: string | null; departmentName: string | null; departmentCode: string | null };

async function issueLines(c: Ctx, where: SQL, order: SQL, limit: number) {
  // Owner and department are joined by key, so the planner leaves them out of the count.
  const rows = (await c.db.execute(sectionSql(
    sql`issues i left join people o on o.organization_id = i.organization_id and o.id = i.owner_id
      left join departments d on d.organization_id = i.organization_id and d.id = i.department_id`,
    sql`i.organization_id = ${c.org} and i.initiative_id = ${c.id} and ${where}`,
    inVisibleMeeting(c.viewer, c.org, sql.raw('i.meeting_id')),
    sql`i.id, i.title, i.status, i.priority, ${isoSql('i.due_at')} as "dueAt", ${isoSql('i.resolved_at')} as "resolvedAt",
      o.id as "ownerId", o.name as "ownerName", d.id as "departmentId", d.name as "departmentName", d.code as "departmentCode"`,
    sql`${order}, i.id`,
    limit,
  ))) as unknown as SectionRow<IssueRow>[];
  const lines: ReportIssue[] = linesOf(rows).map((r) => ({
    id: r.id, title: r.title, status: r.status, priority: r.priority, dueAt: r.dueAt, resolvedAt: r.resolvedAt,
    owner: r.ownerId ? { id: r.ownerId, name: r.ownerName! } : null,
    department: r.departmentId ? { id: r.departmentId, name: r.departmentName!, code: r.departmentCode! } : null,
  }));
  return { lines, total: rows[0]?.total ?? 0 };
}

const unresolved = sql`i.status in ('open', 'in_progress', 'blocked')`;

/**
 * The leader's report on one initiative. Each section is one query (related rows joined or counted
 * in the database); `to` (default now) is the reference time for "overdue" and "coming". Figures
 * reflect the records' current state. What `viewer` may not see of a confidential meeting (SPEC §8)
 * is in the counts and the departments' figures only; by default, as for a digest that goes to every
 * webhook, the report is the organisation's view, without any confidential meeting's detail.
 */
export async function initiativeReport(
  db: DbOrTx,
  organizationId: string,
  initiativeId: string,
  period: { from: Date | null; to: Date },
  viewer: Viewer = { kind: 'organization' },
): Promise<InitiativeReport> {
  const initiative = await getInitiative(db, organizationId, initiativeId);
  const c: Ctx = {
    db,
    org: sql`${organizationId}::uuid`,
    id: sql`${initiativeId}::uuid`,
    from: period.from ? sql`${period.from.toISOString()}::timestamptz` : sql`'-infinity'::timestamptz`,
    to: sql`${period.to.toISOString()}::timestamptz`,
    viewer,
  };

  const leads = await db
    .select({ id: people.id, name: people.name })
    .from(people)
    .where(and(eq(people.organizationId, organizationId), inArray(people.id, [initiative.sponsorId, initiative.ownerId].filter((x): x is string => !!x))));
  const personRef = (id: string | null) => leads.find((p) => p.id === id) ?? null;

  const goalRows = await db
    .select()
    .from(goals)
    .where(and(eq(goals.organizationId, organizationId), eq(goals.initiativeId, initiativeId)))
    .orderBy(asc(goals.createdAt), asc(goals.id))
    .limit(100);
  const trendRows = goalRows.length
    ? ((await db.execute(sql`
        select goal_id as "goalId", value, ${isoSql('measured_at')} as "measuredAt" from (
          select gm.*, row_number() over (partition by gm.goal_id order by gm.measured_at desc, gm.id desc) as n
          from ${goalMeasurements} gm
          where gm.organization_id = ${c.org} and gm.goal_id in (${sql.join(goalRows.map((g) => sql`${g.id}::uuid`), sql`, `)})
            and gm.measured_at >= ${c.from} and gm.measured_at < ${c.to}
        ) t where n <= 50 order by measured_at, id`)) as unknown as { goalId: string; value: number | null; measuredAt: string }[])
    : [];

  const held = await meetingLines(c, sql`m.status in ('in_progress', 'completed') and m.starts_at >= ${c.from} and m.starts_at < ${c.to}`, sql`m.starts_at`, 100);
  const coming = await meetingLines(c, sql`m.status in ('draft', 'scheduled') and m.starts_at >= ${c.to}`, sql`m.starts_at`, 20);

  const decisions = (await db.execute(sectionSql(
    sql`decisions d`,
    sql`d.organization_id = ${c.org} and d.initiative_id = ${c.id} and d.status = 'active' and d.decided_at < ${c.to}`,
    inVisibleMeeting(viewer, c.org, sql.raw('d.meeting_id')),
    sql`d.id, d.title, d.statement, ${isoSql('d.decided_at')} as "decidedAt", d.meeting_id as "meetingId"`,
    sql`d.decided_at, d.id`,
    100,
  ))) as unknown as SectionRow<InitiativeReport['decisionsInForce'][number]>[];

  const overdue = await issueLines(c, sql`${unresolved} and i.due_at < ${c.to} and i.created_at < ${c.to}`, sql`i.due_at`, 100);
  const open = await issueLines(c, sql`${unresolved} and (i.due_at is null or i.due_at >= ${c.to}) and i.created_at < ${c.to}`, sql`i.due_at nulls last`, 100);
  const resolved = await issueLines(c, sql`i.resolved_at >= ${c.from} and i.resolved_at < ${c.to}`, sql`i.resolved_at`, 100);

  // The initiative's departments that missed a held meeting of the period, and every department
  // owning an overdue issue of the initiative.
  const attention = (await db.execute(sql`
    with held as (
      select id from meetings
      where organization_id = ${c.org} and initiative_id = ${c.id} and status in ('in_progress', 'completed')
        and starts_at >= ${c.from} and starts_at < ${c.to}
    ),
    attended as (
      select pe.department_id, count(distinct h.id)::int as n
      from held h
      join meeting_participants mp on mp.organization_id = ${c.org} and mp.meeting_id = h.id and mp.attended
      join people pe on pe.organization_id = ${c.org} and pe.id = mp.person_id
      group by pe.department_id
    ),
    late as (
      select i.department_id, count(*)::int as n from issues i
      where i.organization_id = ${c.org} and i.initiative_id = ${c.id} and ${unresolved} and i.due_at < ${c.to} and i.created_at < ${c.to}
        and i.department_id is not null
      group by i.department_id
    ),
    candidates as (
      select department_id, true as member from initiative_departments where organization_id = ${c.org} and initiative_id = ${c.id}
      union all select department_id, false from late
    )
    select d.id, d.name, d.code, (select count(*)::int from held) as "meetingsHeld",
      case when bool_or(cd.member) then (select count(*)::int from held) - coalesce(max(a.n), 0) else 0 end as "meetingsMissed",
      coalesce(max(l.n), 0) as "overdueIssues"
    from candidates cd
    join departments d on d.organization_id = ${c.org} and d.id = cd.department_id
    left join attended a on a.department_id = cd.department_id
    left join late l on l.department_id = cd.department_id
    group by d.id, d.name, d.code
    having (bool_or(cd.member) and (select count(*) from held) > coalesce(max(a.n), 0)) or coalesce(max(l.n), 0) > 0
    order by d.name, d.code`)) as unknown as { id: string; name: string; code: string; meetingsHeld: number; meetingsMissed: number; overdueIssues: number }[];

  const due = await issueLines(c, sql`${unresolved} and i.due_at >= ${c.to}`, sql`i.due_at`, 5);

  return {
    initiative,
    sponsor: personRef(initiative.sponsorId),
    owner: personRef(initiative.ownerId),
    from: iso(period.from),
    to: period.to.toISOString(),
    goals: goalRows.map((g) => ({
      ...toApiGoal(g),
      trend: trendRows.filter((t) => t.goalId === g.id).map((t) => ({ value: t.value, measuredAt: t.measuredAt })),
    })),
    meetings: { held: held.lines, coming: coming.lines },
    decisionsInForce: linesOf(decisions),
    issues: { overdue: overdue.lines, open: open.lines, resolved: resolved.lines },
    counts: {
      meetingsHeld: held.total,
      meetingsComing: coming.total,
      decisionsInForce: decisions[0]?.total ?? 0,
      issuesOverdue: overdue.total,
      issuesOpen: open.total,
      issuesResolved: resolved.total,
    },
    departmentsNeedingAttention: attention.map((a) => ({
      department: { id: a.id, name: a.name, code: a.code },
      meetingsHeld: a.meetingsHeld,
      meetingsMissed: a.meetingsMissed,
      overdueIssues: a.overdueIssues,
    })),
    nextSteps: { nextMeeting: coming.lines[0] ?? null, dueIssues: due.lines },
  };
}
