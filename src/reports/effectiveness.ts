import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../platform/database.js';
import type { Figures } from './schemas.js';

export interface EffectivenessQuery {
  organizationId: string;
  from: Date;
  to: Date;
  initiativeId?: string;
  departmentId?: string;
}

// The scope key of the organisation-wide figures, next to one key per department.
const ALL = '00000000-0000-0000-0000-000000000000';

/**
 * Builds every figure of SPEC §2 "Effectiveness" in one statement, organisation-wide (scope ALL)
 * and per department. The definitions are those of `figureFields` in schemas.ts (the OpenAPI
 * descriptions). On a year of 10,000 meetings the cost is per-row CPU in hash tables, so the
 * statement is shaped to touch each row as few times as possible:
 * - the period's meetings (`m`) are read once; their materials, agenda items and decisions are
 *   counted per meeting (`c`), and their participants are read once with their current department
 *   and the meeting's flags attached (`p`);
 * - participant figures group `p` by (department, flags), which has a handful of groups, instead of
 *   aggregating per meeting first;
 * - a department's meetings are its distinct (meeting, department) pairs (`md`), the only
 *   per-meeting-and-department grouping; the meeting's own counts are joined to those pairs once;
 * - the organisation-wide meeting figures come straight from `m` and `c`, so no meeting row is
 *   duplicated to serve both scopes.
 * Only one row per scope leaves the database.
 */
function effectivenessSql(q: EffectivenessQuery): SQL {
  const org = sql`${q.organizationId}::uuid`;
  const from = sql`${q.from.toISOString()}::timestamptz`;
  const to = sql`${q.to.toISOString()}::timestamptz`;
  const all = sql`${ALL}::uuid`;
  const byInitiative = (col: SQL) => (q.initiativeId ? sql`and ${col} = ${q.initiativeId}::uuid` : sql``);
  // With `departmentId` only that department's scope is computed; otherwise ALL plus every department.
  const byDepartment = (col: SQL) => (q.departmentId ? sql`and ${col} = ${q.departmentId}::uuid` : sql``);
  // Grouping sets give the organisation (the () set) and each department in one pass; a department
  // row whose key is null (people without a department) is no scope.
  const scope = (col: SQL) => sql`case when grouping(${col}) = 1 then ${all} else ${col} end`;
  const scopes = (col: SQL) => (q.departmentId ? sql`grouping sets ((${col}))` : sql`grouping sets ((), (${col}))`);
  const named = (col: SQL) => sql`grouping(${col}) = 1 or ${col} is not null`;
  const extraScopes = [
    q.departmentId ? sql`union select ${q.departmentId}::uuid` : sql`union select ${all}`,
    q.initiativeId && !q.departmentId
      ? sql`union select department_id from initiative_departments where organization_id = ${org} and initiative_id = ${q.initiativeId}::uuid`
      : sql``,
  ];
  // The per-meeting counts (`c`) summed over a scope's meetings.
  const meetingCounts = sql`coalesce(sum(c.materials), 0)::int as shared, coalesce(sum(c.on_time), 0)::int as on_time,
    coalesce(sum(c.discussed), 0)::int as discussed, coalesce(sum(c.deferred), 0)::int as deferred,
    coalesce(sum(c.decisions), 0)::int as decisions`;
  return sql`
with
m as materialized (
  select id, starts_at, status in ('in_progress', 'completed') as held, status = 'cancelled' as cancelled,
    status <> 'cancelled' and invitations_sent_at is not null as invited,
    -- float8 is what percentile_cont reads; casting here changes no value.
    case when status <> 'cancelled' and invitations_sent_at is not null
      then (extract(epoch from starts_at - invitations_sent_at) / 3600)::float8 end as lead_hours
  from meetings
  where organization_id = ${org} and starts_at >= ${from} and starts_at < ${to} ${byInitiative(sql`initiative_id`)}
),
-- Per meeting: materials (of meetings not cancelled), agenda items and decisions (of held meetings).
c as materialized (
  select meeting_id, sum(materials)::int as materials, sum(on_time)::int as on_time, sum(required)::int as required,
    sum(discussed)::int as discussed, sum(deferred)::int as deferred, sum(decisions)::int as decisions
  from (
    select mt.meeting_id, 1 as materials, (not mt.late)::int as on_time, mt.required::int as required, 0 as discussed, 0 as deferred, 0 as decisions
    from m join materials mt on mt.organization_id = ${org} and mt.meeting_id = m.id
    where not m.cancelled
    union all
    select ai.meeting_id, 0, 0, 0, (ai.status = 'discussed')::int, (ai.status = 'deferred')::int, 0
    from m join agenda_items ai on ai.organization_id = ${org} and ai.meeting_id = m.id
    where m.held
    union all
    select d.meeting_id, 0, 0, 0, 0, 0, 1
    from m join decisions d on d.organization_id = ${org} and d.meeting_id = m.id
    where m.held
  ) x
  group by meeting_id
),
-- The participants of the period's meetings with their current department (null for none).
p as materialized (
  select mp.meeting_id, mp.person_id, pe.department_id, m.held, m.cancelled, m.invited, m.lead_hours,
    mp.attended, mp.response <> 'needs_action' as responded
  from m
  join meeting_participants mp on mp.organization_id = ${org} and mp.meeting_id = m.id
  join people pe on pe.organization_id = ${org} and pe.id = mp.person_id
  where true ${byDepartment(sql`pe.department_id`)}
),
f_people as (
  select ${scope(sql`department_id`)} as scope,
    coalesce(sum(n) filter (where held), 0) as expected,
    coalesce(sum(n) filter (where held and attended), 0) as attended,
    coalesce(sum(n) filter (where invited), 0) as invited,
    coalesce(sum(n) filter (where invited and responded), 0) as responded
  from (select department_id, held, invited, attended, responded, count(*) as n from p group by 1, 2, 3, 4, 5) pc
  group by ${scopes(sql`department_id`)}
  having ${named(sql`department_id`)}
),
-- One row per meeting and department of its participants (null included, for the pairs below).
md as materialized (
  select meeting_id, department_id, held, cancelled, invited, lead_hours, count(*) as participants
  from p
  group by meeting_id, department_id, held, cancelled, invited, lead_hours
),
f_departments as (
  select md.department_id as scope,
    count(*) filter (where md.held)::int as held,
    count(*) filter (where md.cancelled)::int as cancelled,
    -- The median of each department's lead times, from an array per department, so that the pairs
    -- are hashed into one group per department instead of being sorted by department.
    (select percentile_cont(0.5) within group (order by h) from unnest(array_agg(md.lead_hours) filter (where md.invited)) h) as lead_hours,
    ${meetingCounts}
  from md left join c on c.meeting_id = md.meeting_id
  where md.department_id is not null
  group by md.department_id
),
f_meetings as (
  ${q.departmentId ? sql`` : sql`select ${all} as scope,
    count(*) filter (where m.held)::int as held,
    count(*) filter (where m.cancelled)::int as cancelled,
    percentile_cont(0.5) within group (order by m.lead_hours) filter (where m.invited) as lead_hours,
    ${meetingCounts}
  from m left join c on c.meeting_id = m.id
  union all`}
  select * from f_departments
),
-- (required material of a held meeting, participant) pairs: all of them, and those acknowledged
-- (some version) before the start.
f_pairs as (
  select ${scope(sql`md.department_id`)} as scope, sum(md.participants * c.required) as pairs
  from md join c on c.meeting_id = md.meeting_id
  where md.held and c.required > 0
  group by ${scopes(sql`md.department_id`)}
  having ${named(sql`md.department_id`)}
),
f_acks as (
  select ${scope(sql`p.department_id`)} as scope, count(*) as acknowledged
  from (
    select distinct mt.meeting_id, a.material_id, a.person_id
    from m
    join materials mt on mt.organization_id = ${org} and mt.meeting_id = m.id and mt.required
    join material_acknowledgements a on a.organization_id = ${org} and a.material_id = mt.id and a.acknowledged_at < m.starts_at
    where m.held
  ) k
  join p on p.meeting_id = k.meeting_id and p.person_id = k.person_id
  group by ${scopes(sql`p.department_id`)}
  having ${named(sql`p.department_id`)}
),
f_feedback as (
  select ${scope(sql`pe.department_id`)} as scope, avg(fb.rating)::float8 as rating
  from m
  join feedback fb on fb.organization_id = ${org} and fb.meeting_id = m.id
  join people pe on pe.organization_id = ${org} and pe.id = fb.person_id
  where m.held ${byDepartment(sql`pe.department_id`)}
  group by ${scopes(sql`pe.department_id`)}
  having ${named(sql`pe.department_id`)}
),
f_issues as (
  select ${scope(sql`department_id`)} as scope,
    count(*) filter (where opened)::int as opened,
    count(*) filter (where resolved)::int as resolved,
    count(*) filter (where overdue)::int as overdue,
    percentile_cont(0.5) within group (order by extract(epoch from resolved_at - created_at) / 3600) filter (where resolved) as resolve_hours
  from (
    select department_id, created_at, resolved_at,
      created_at >= ${from} and created_at < ${to} as opened,
      resolved_at >= ${from} and resolved_at < ${to} as resolved,
      due_at >= ${from} and due_at < least(${to}, now())
        and (resolved_at is null or resolved_at > due_at) and (closed_at is null or closed_at > due_at) as overdue
    from issues
    where organization_id = ${org} ${byInitiative(sql`initiative_id`)} ${byDepartment(sql`department_id`)}
      and created_at < ${to} and (created_at >= ${from} or resolved_at >= ${from} or due_at >= ${from})
  ) i
  where opened or resolved or overdue
  group by ${scopes(sql`department_id`)}
  having ${named(sql`department_id`)}
),
-- Scopes: ALL, the departments with a participant in a meeting of the period or an issue counted,
-- and with initiativeId the initiative's departments.
s as (
  select scope from f_departments union select scope from f_issues where scope <> ${all} ${extraScopes[0]!} ${extraScopes[1]!}
)
select s.scope, d.name, d.code,
  coalesce(fm.held, 0) as "meetingsHeld",
  coalesce(fm.cancelled, 0) as "meetingsCancelled",
  case when fp.expected > 0 then fp.attended::float8 / fp.expected end as "attendanceRate",
  case when fp.invited > 0 then fp.responded::float8 / fp.invited end as "rsvpResponseRate",
  fm.lead_hours as "medianInvitationLeadHours",
  case when fm.shared > 0 then fm.on_time::float8 / fm.shared end as "materialsOnTimeRate",
  case when fr.pairs > 0 then coalesce(fa.acknowledged, 0)::float8 / fr.pairs end as "requiredMaterialsAcknowledgedRate",
  coalesce(fm.discussed, 0) as "agendaItemsDiscussed",
  coalesce(fm.deferred, 0) as "agendaItemsDeferred",
  case when fm.held > 0 then fm.decisions::float8 / fm.held end as "decisionsPerMeeting",
  coalesce(fi.opened, 0) as "issuesOpened",
  coalesce(fi.resolved, 0) as "issuesResolved",
  coalesce(fi.overdue, 0) as "issuesOverdue",
  fi.resolve_hours as "medianHoursToResolve",
  ff.rating as "averageFeedbackRating"
from s
left join departments d on d.organization_id = ${org} and d.id = s.scope
left join f_meetings fm on fm.scope = s.scope
left join f_people fp on fp.scope = s.scope
left join f_pairs fr on fr.scope = s.scope
left join f_acks fa on fa.scope = s.scope
left join f_issues fi on fi.scope = s.scope
left join f_feedback ff on ff.scope = s.scope
order by d.name nulls first, d.code, s.scope`;
}

type Row = Figures & { scope: string; name: string | null; code: string | null };

const figuresOf = (r: Row): Figures => ({
  meetingsHeld: r.meetingsHeld,
  meetingsCancelled: r.meetingsCancelled,
  attendanceRate: r.attendanceRate,
  rsvpResponseRate: r.rsvpResponseRate,
  medianInvitationLeadHours: r.medianInvitationLeadHours,
  materialsOnTimeRate: r.materialsOnTimeRate,
  requiredMaterialsAcknowledgedRate: r.requiredMaterialsAcknowledgedRate,
  agendaItemsDiscussed: r.agendaItemsDiscussed,
  agendaItemsDeferred: r.agendaItemsDeferred,
  decisionsPerMeeting: r.decisionsPerMeeting,
  issuesOpened: r.issuesOpened,
  issuesResolved: r.issuesResolved,
  issuesOverdue: r.issuesOverdue,
  medianHoursToResolve: r.medianHoursToResolve,
  averageFeedbackRating: r.averageFeedbackRating,
});

export async function effectivenessReport(db: Db, q: EffectivenessQuery) {
  // One short read-only transaction whose settings are sent together with the report (pipelined,
  // one round trip for both). JIT compilation would cost more than the query; a little more
  // work_mem keeps its hashing in memory; and a custom plan for each call, because the generic
  // plan of a prepared statement cannot see how many meetings the period holds and costs about
  // half as much again as planning with the actual bounds.
  const rows = await db.transaction(
    async (tx) => {
      const [, report] = await Promise.all([
        tx.execute(sql`select set_config('jit', 'off', true), set_config('work_mem', '32MB', true),
          set_config('plan_cache_mode', 'force_custom_plan', true)`),
        tx.execute(effectivenessSql(q)),
      ]);
      return report as unknown as Row[];
    },
    { accessMode: 'read only' },
  );
  const departmentsRows = rows.filter((r) => r.scope !== ALL && r.name !== null);
  const top = q.departmentId ? rows.find((r) => r.scope === q.departmentId) : rows.find((r) => r.scope === ALL);
  return {
    from: q.from.toISOString(),
    to: q.to.toISOString(),
    initiativeId: q.initiativeId ?? null,
    departmentId: q.departmentId ?? null,
    ...figuresOf(top!),
    byDepartment: departmentsRows.map((r) => ({ departmentId: r.scope, name: r.name!, code: r.code!, ...figuresOf(r) })),
  };
}

/** For EXPLAIN in the scratch benchmark script. */
export const effectivenessStatement = effectivenessSql;
