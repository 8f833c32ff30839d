import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
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
 * Builds every figure of SPEC §2 "Effectiveness" in one statement: the meetings of the period
 * are read once (by `meetings_org_starts_idx` / `meetings_org_initiative_starts_idx`), their
 * participants, materials, agenda items, decisions and feedback are joined through
 * organisation-led indexes, and each figure is aggregated per *scope*: the whole organisation
 * (key ALL) and each department. Only the per-scope totals leave the database.
 * The definitions are those of `figureFields` in schemas.ts (the OpenAPI description).
 */
function effectivenessSql(q: EffectivenessQuery): SQL {
  const org = sql`${q.organizationId}::uuid`;
  const from = sql`${q.from.toISOString()}::timestamptz`;
  const to = sql`${q.to.toISOString()}::timestamptz`;
  const all = sql`${ALL}::uuid`;
  const byInitiative = (col: SQL) => (q.initiativeId ? sql`and ${col} = ${q.initiativeId}::uuid` : sql``);
  // With `departmentId` only that department's scope is computed; otherwise ALL plus every department.
  const deptOnly = (col: SQL) => (q.departmentId ? sql`and ${col} = ${q.departmentId}::uuid` : sql``);
  const overall = (select: SQL) => (q.departmentId ? sql`` : sql`${select} union all`);
  const extraScopes = [
    q.departmentId ? sql`union select ${q.departmentId}::uuid` : sql`union select ${all}`,
    q.initiativeId && !q.departmentId
      ? sql`union select department_id from initiative_departments where organization_id = ${org} and initiative_id = ${q.initiativeId}::uuid`
      : sql``,
  ];
  return sql`
with
m as materialized (
  select id, starts_at, status, invitations_sent_at, status in ('in_progress', 'completed') as held,
         status <> 'cancelled' and invitations_sent_at is not null as invited
  from meetings
  where organization_id = ${org} and starts_at >= ${from} and starts_at < ${to} ${byInitiative(sql`initiative_id`)}
),
p as materialized (
  select mp.meeting_id, mp.person_id, mp.response, mp.attended, pe.department_id
  from m
  join meeting_participants mp on mp.organization_id = ${org} and mp.meeting_id = m.id
  join people pe on pe.organization_id = ${org} and pe.id = mp.person_id
),
sm as (
  ${overall(sql`select ${all} as scope, id as meeting_id from m`)}
  select distinct department_id, meeting_id from p where department_id is not null ${deptOnly(sql`department_id`)}
),
sp as (
  ${overall(sql`select ${all} as scope, p.* from p`)}
  select p.department_id, p.* from p where p.department_id is not null ${deptOnly(sql`p.department_id`)}
),
f_meetings as (
  select sm.scope,
    count(*) filter (where m.held)::int as held,
    count(*) filter (where m.status = 'cancelled')::int as cancelled,
    percentile_cont(0.5) within group (order by extract(epoch from m.starts_at - m.invitations_sent_at) / 3600) filter (where m.invited) as lead_hours
  from sm join m on m.id = sm.meeting_id
  group by sm.scope
),
f_people as (
  select sp.scope,
    count(*) filter (where m.held)::int as expected,
    count(*) filter (where m.held and sp.attended)::int as attended,
    count(*) filter (where m.invited)::int as invited,
    count(*) filter (where m.invited and sp.response <> 'needs_action')::int as responded
  from sp join m on m.id = sp.meeting_id
  group by sp.scope
),
f_materials as (
  select sm.scope, count(*)::int as shared, count(*) filter (where not mt.late)::int as on_time
  from sm
  join m on m.id = sm.meeting_id and m.status <> 'cancelled'
  join materials mt on mt.organization_id = ${org} and mt.meeting_id = sm.meeting_id
  group by sm.scope
),
f_acks as (
  select sp.scope, count(*)::int as pairs,
    count(*) filter (where exists (
      select 1 from material_acknowledgements a
      where a.organization_id = ${org} and a.material_id = mt.id and a.person_id = sp.person_id and a.acknowledged_at < m.starts_at
    ))::int as acknowledged
  from sp
  join m on m.id = sp.meeting_id and m.held
  join materials mt on mt.organization_id = ${org} and mt.meeting_id = sp.meeting_id and mt.required
  group by sp.scope
),
f_agenda as (
  select sm.scope,
    count(*) filter (where ai.status = 'discussed')::int as discussed,
    count(*) filter (where ai.status = 'deferred')::int as deferred
  from sm
  join m on m.id = sm.meeting_id and m.held
  join agenda_items ai on ai.organization_id = ${org} and ai.meeting_id = sm.meeting_id
  group by sm.scope
),
f_decisions as (
  select sm.scope, count(*)::int as decisions
  from sm
  join m on m.id = sm.meeting_id and m.held
  join decisions d on d.organization_id = ${org} and d.meeting_id = sm.meeting_id
  group by sm.scope
),
fb as (
  select fb.rating, pe.department_id
  from m
  join feedback fb on fb.organization_id = ${org} and fb.meeting_id = m.id
  join people pe on pe.organization_id = ${org} and pe.id = fb.person_id
  where m.held
),
f_feedback as (
  ${overall(sql`select ${all} as scope, avg(rating)::float8 as rating from fb having count(*) > 0`)}
  select department_id, avg(rating)::float8 from fb where department_id is not null ${deptOnly(sql`department_id`)} group by department_id
),
i as materialized (
  select department_id, created_at, resolved_at, closed_at, due_at,
    created_at >= ${from} and created_at < ${to} as opened,
    resolved_at >= ${from} and resolved_at < ${to} as resolved,
    due_at >= ${from} and due_at < least(${to}, now())
      and (resolved_at is null or resolved_at > due_at) and (closed_at is null or closed_at > due_at) as overdue
  from issues
  where organization_id = ${org} ${byInitiative(sql`initiative_id`)}
    and (created_at < ${to} and (created_at >= ${from} or resolved_at >= ${from} or due_at >= ${from}))
),
si as (
  ${overall(sql`select ${all} as scope, i.* from i`)}
  select i.department_id, i.* from i where i.department_id is not null ${deptOnly(sql`i.department_id`)}
),
f_issues as (
  select scope,
    count(*) filter (where opened)::int as opened,
    count(*) filter (where resolved)::int as resolved,
    count(*) filter (where overdue)::int as overdue,
    percentile_cont(0.5) within group (order by extract(epoch from resolved_at - created_at) / 3600) filter (where resolved) as resolve_hours
  from si
  where opened or resolved or overdue
  group by scope
),
scopes as (
  select scope from f_meetings union select scope from f_issues ${extraScopes[0]!} ${extraScopes[1]!}
)
select s.scope, d.name, d.code,
  coalesce(fm.held, 0) as "meetingsHeld",
  coalesce(fm.cancelled, 0) as "meetingsCancelled",
  case when fp.expected > 0 then fp.attended::float8 / fp.expected end as "attendanceRate",
  case when fp.invited > 0 then fp.responded::float8 / fp.invited end as "rsvpResponseRate",
  fm.lead_hours as "medianInvitationLeadHours",
  case when fmt.shared > 0 then fmt.on_time::float8 / fmt.shared end as "materialsOnTimeRate",
  case when fa.pairs > 0 then fa.acknowledged::float8 / fa.pairs end as "requiredMaterialsAcknowledgedRate",
  coalesce(fag.discussed, 0) as "agendaItemsDiscussed",
  coalesce(fag.deferred, 0) as "agendaItemsDeferred",
  case when fm.held > 0 then coalesce(fd.decisions, 0)::float8 / fm.held end as "decisionsPerMeeting",
  coalesce(fi.opened, 0) as "issuesOpened",
  coalesce(fi.resolved, 0) as "issuesResolved",
  coalesce(fi.overdue, 0) as "issuesOverdue",
  fi.resolve_hours as "medianHoursToResolve",
  ff.rating as "averageFeedbackRating"
from scopes s
left join departments d on d.organization_id = ${org} and d.id = s.scope
left join f_meetings fm on fm.scope = s.scope
left join f_people fp on fp.scope = s.scope
left join f_materials fmt on fmt.scope = s.scope
left join f_acks fa on fa.scope = s.scope
left join f_agenda fag on fag.scope = s.scope
left join f_decisions fd on fd.scope = s.scope
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

export async function effectivenessReport(db: DbOrTx, q: EffectivenessQuery) {
  const rows = (await db.execute(effectivenessSql(q))) as unknown as Row[];
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
