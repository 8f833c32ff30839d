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
 * Builds every figure of SPEC §2 "Effectiveness" in one statement. The meetings of the period are
 * read once (through `meetings_org_starts_idx` or `meetings_org_initiative_starts_idx` when the
 * period is selective), their participants, materials, agenda items, decisions and feedback are
 * joined on organisation-led keys, each child table is read once, and every figure is aggregated
 * per *scope*: the whole organisation (key ALL) and each department. Only the per-scope totals
 * (one row per department) leave the database. The definitions are those of `figureFields` in
 * schemas.ts, which is also the OpenAPI description.
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
-- Per-meeting counts of materials, agenda items and decisions, in one grouped pass.
mstats as (
  select meeting_id, sum(materials)::int as materials, sum(on_time)::int as on_time, sum(required)::int as required,
    sum(discussed)::int as discussed, sum(deferred)::int as deferred, sum(decisions)::int as decisions
  from (
    select mt.meeting_id, 1 as materials, (not mt.late)::int as on_time, mt.required::int as required, 0 as discussed, 0 as deferred, 0 as decisions
    from m join materials mt on mt.organization_id = ${org} and mt.meeting_id = m.id
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
-- One row per meeting with its meeting-level figures; scopes sum these rows, never re-join them.
mm as materialized (
  select m.id, m.status, m.held, m.invited,
    case when m.invited then extract(epoch from m.starts_at - m.invitations_sent_at) / 3600 end as lead_hours,
    case when m.status <> 'cancelled' then coalesce(s.materials, 0) else 0 end as materials,
    case when m.status <> 'cancelled' then coalesce(s.on_time, 0) else 0 end as on_time,
    coalesce(s.required, 0) as required,
    coalesce(s.discussed, 0) as discussed, coalesce(s.deferred, 0) as deferred, coalesce(s.decisions, 0) as decisions
  from m left join mstats s on s.meeting_id = m.id
),
-- The participants of the period's meetings with their current department (null for none), read once.
pp as materialized (
  select mp.meeting_id, mp.person_id, pe.department_id, mp.attended, mp.response
  from m
  join meeting_participants mp on mp.organization_id = ${org} and mp.meeting_id = m.id
  join people pe on pe.organization_id = ${org} and pe.id = mp.person_id
),
-- Per meeting and department: one grouped pass over participant rows and, for held meetings, the
-- (required material, participant) pairs acknowledged before the start.
pg as (
  select meeting_id, department_id, sum(participant)::int as participants, sum(attended)::int as attended,
    sum(responded)::int as responded, sum(acknowledged)::int as acknowledged
  from (
    select meeting_id, department_id, 1 as participant, attended::int as attended, (response <> 'needs_action')::int as responded, 0 as acknowledged
    from pp
    union all
    select pp.meeting_id, pp.department_id, 0, 0, 0, 1
    from (
      select distinct mt.meeting_id, mt.id, a.person_id
      from m
      join materials mt on mt.organization_id = ${org} and mt.meeting_id = m.id and mt.required
      join material_acknowledgements a on a.organization_id = ${org} and a.material_id = mt.id and a.acknowledged_at < m.starts_at
      where m.held
    ) ack
    join pp on pp.meeting_id = ack.meeting_id and pp.person_id = ack.person_id
  ) x
  group by meeting_id, department_id
),
-- ... with the meeting's own figures attached once per group, so department scopes need no re-join.
pd as materialized (
  select pg.*, mm.status, mm.held, mm.invited, mm.lead_hours, mm.materials, mm.on_time, mm.required, mm.discussed, mm.deferred, mm.decisions
  from pg join mm on mm.id = pg.meeting_id
),
-- Scopes: ALL holds every meeting and participant; a department the meetings its people took part
-- in (one pd row per meeting and department) and its own participants.
f_meetings as (
  select scope,
    count(*) filter (where held)::int as held,
    count(*) filter (where status = 'cancelled')::int as cancelled,
    percentile_cont(0.5) within group (order by lead_hours) filter (where invited) as lead_hours,
    sum(materials)::int as shared,
    sum(on_time)::int as on_time,
    sum(discussed)::int as discussed,
    sum(deferred)::int as deferred,
    sum(decisions)::int as decisions
  from (
    ${overall(sql`select ${all} as scope, status, held, invited, lead_hours, materials, on_time, discussed, deferred, decisions from mm`)}
    select department_id as scope, status, held, invited, lead_hours, materials, on_time, discussed, deferred, decisions
    from pd where department_id is not null ${deptOnly(sql`department_id`)}
  ) sm
  group by scope
),
f_people as (
  select scope,
    coalesce(sum(participants) filter (where held), 0)::int as expected,
    coalesce(sum(attended) filter (where held), 0)::int as attended,
    coalesce(sum(participants) filter (where invited), 0)::int as invited,
    coalesce(sum(responded) filter (where invited), 0)::int as responded,
    coalesce(sum(participants * required) filter (where held), 0)::int as pairs,
    coalesce(sum(acknowledged) filter (where held), 0)::int as acknowledged
  from (
    ${overall(sql`select ${all} as scope, held, invited, required, participants, attended, responded, acknowledged from pd`)}
    select department_id as scope, held, invited, required, participants, attended, responded, acknowledged
    from pd where department_id is not null ${deptOnly(sql`department_id`)}
  ) sp
  group by scope
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
  select department_id as scope, avg(rating)::float8 as rating from fb where department_id is not null ${deptOnly(sql`department_id`)} group by department_id
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
  select i.department_id as scope, i.* from i where i.department_id is not null ${deptOnly(sql`i.department_id`)}
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
  case when fm.shared > 0 then fm.on_time::float8 / fm.shared end as "materialsOnTimeRate",
  case when fp.pairs > 0 then fp.acknowledged::float8 / fp.pairs end as "requiredMaterialsAcknowledgedRate",
  coalesce(fm.discussed, 0) as "agendaItemsDiscussed",
  coalesce(fm.deferred, 0) as "agendaItemsDeferred",
  case when fm.held > 0 then fm.decisions::float8 / fm.held end as "decisionsPerMeeting",
  coalesce(fi.opened, 0) as "issuesOpened",
  coalesce(fi.resolved, 0) as "issuesResolved",
  coalesce(fi.overdue, 0) as "issuesOverdue",
  fi.resolve_hours as "medianHoursToResolve",
  ff.rating as "averageFeedbackRating"
from scopes s
left join departments d on d.organization_id = ${org} and d.id = s.scope
left join f_meetings fm on fm.scope = s.scope
left join f_people fp on fp.scope = s.scope
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
  // One short read-only transaction: JIT compilation costs far more than this query's few hundred
  // milliseconds of hashing and grouping, and a little more work_mem keeps those in memory.
  const rows = await db.transaction(
    async (tx) => {
      await tx.execute(sql`set local jit = off`);
      await tx.execute(sql`set local work_mem = '32MB'`);
      return (await tx.execute(effectivenessSql(q))) as unknown as Row[];
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
