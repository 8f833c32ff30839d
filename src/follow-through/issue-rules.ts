import { inArray, sql } from 'drizzle-orm';
import { issues } from '../../db/schema/index.js';
import type { DbOrTx } from '../platform/database.js';
import type { FiringOutcome, FiringRule, PlannedFiring } from '../platform/scheduler-types.js';
import { toApiIssue, unresolvedStatuses, type IssueRow } from '../issues/queries.js';
import { loadEffectivePolicies } from './policy.js';
import { keyRows, personSummary, RecipientList, type PersonRecord } from './recipients-load.js';
import type { Recipient } from './recipients.js';
import { dueMoments, momentOf, ON_TIME_SECONDS, plannedMoments, policyOffsets, unitMs, type MomentSpec } from './rule-moments.js';

// The two issue rules of SPEC §6. Both scan issues_unresolved_due_idx (db/schema/outcomes.ts).
// Late firings: issue.due_soon goes late only while the issue is not yet due (after that,
// issue.overdue says it); issue.escalated goes late whenever the issue is still unresolved,
// within the one-day look-back of every rule.

const UNRESOLVED = `t.status in ('open', 'in_progress', 'blocked') and t.due_at is not null`;

interface IssueContext {
  row: IssueRow;
  owner: PersonRecord | null;
  initiative: { id: string; title: string; sponsor: PersonRecord | null; owner: PersonRecord | null } | null;
  departmentLead: PersonRecord | null;
}

const personJson = (a: string) =>
  sql.raw(`case when ${a}.id is null then null else json_build_object('id', ${a}.id, 'organizationId', ${a}.organization_id, 'name', ${a}.name, 'email', ${a}.email,
    'departmentId', ${a}.department_id, 'timeZone', coalesce(${a}.time_zone, o.default_time_zone)) end`);

/** The issues with their owner, initiative leads and department lead: two queries per batch, sent together. */
async function loadIssueContexts(db: DbOrTx, keys: { organizationId: string; id: string }[], lock: boolean): Promise<Map<string, IssueContext>> {
  if (keys.length === 0) return new Map();
  const rowsQuery = db.select().from(issues).where(inArray(issues.id, [...new Set(keys.map((k) => k.id))]));
  const [rows, people] = await Promise.all([
    lock ? rowsQuery.for('share') : rowsQuery,
    db.execute(sql`
      select iss.id, ${personJson('ow')} as owner, i.id as "initiativeId", i.title as "initiativeTitle",
        ${personJson('sp')} as sponsor, ${personJson('io')} as "initiativeOwner", ${personJson('dl')} as "departmentLead"
      from ${keyRows(keys, 'k')}
      join issues iss on iss.organization_id = k.organization_id and iss.id = k.id
      join organizations o on o.id = iss.organization_id
      left join people ow on ow.organization_id = iss.organization_id and ow.id = iss.owner_id
      left join initiatives i on i.organization_id = iss.organization_id and i.id = iss.initiative_id
      left join people sp on sp.organization_id = i.organization_id and sp.id = i.sponsor_id
      left join people io on io.organization_id = i.organization_id and io.id = i.owner_id
      left join departments d on d.organization_id = iss.organization_id and d.id = coalesce(ow.department_id, iss.department_id)
      left join people dl on dl.organization_id = d.organization_id and dl.id = d.lead_id`) as unknown as Promise<
      { id: string; owner: PersonRecord | null; initiativeId: string | null; initiativeTitle: string | null; sponsor: PersonRecord | null; initiativeOwner: PersonRecord | null; departmentLead: PersonRecord | null }[]
    >,
  ]);
  const around = new Map(people.map((p) => [p.id, p]));
  const out = new Map<string, IssueContext>();
  const asked = new Set(keys.map((k) => `${k.organizationId}/${k.id}`));
  for (const row of rows) {
    const p = around.get(row.id);
    if (!asked.has(`${row.organizationId}/${row.id}`) || !p) continue;
    out.set(`${row.organizationId}/${row.id}`, {
      row,
      owner: p.owner,
      initiative: p.initiativeId ? { id: p.initiativeId, title: p.initiativeTitle!, sponsor: p.sponsor, owner: p.initiativeOwner } : null,
      departmentLead: p.departmentLead,
    });
  }
  return out;
}

interface IssueRuleDef {
  spec: MomentSpec;
  eventType: string;
  /** True for issue.due_soon: pointless once the issue is due, and for a moment before the issue existed. */
  beforeDue: boolean;
  recipients(c: IssueContext): Recipient[];
  data(c: IssueContext, offset: number): Record<string, unknown>;
}

function stateSkip(def: IssueRuleDef, c: IssueContext | undefined, moment: Date): string | null {
  if (!c) return 'issue_deleted';
  if (!unresolvedStatuses.includes(c.row.status as never)) return 'issue_resolved';
  if (def.beforeDue && moment < c.row.createdAt) return 'before_created';
  return null;
}

function issueRule(def: IssueRuleDef): FiringRule {
  const { spec } = def;
  return {
    rule: spec.rule,
    subjectType: 'issue',

    due: (tx, now, limit) => dueMoments(tx, spec, now, limit),

    async fire(tx, recorderFor, firings, now) {
      const [contexts, policies] = await Promise.all([
        loadIssueContexts(tx, firings.map((f) => ({ organizationId: f.organizationId, id: f.subjectId })), true),
        loadEffectivePolicies(tx, firings.map((f) => f.organizationId)),
      ]);
      const outcomes: FiringOutcome[] = [];
      for (const f of firings) {
        const c = contexts.get(`${f.organizationId}/${f.subjectId}`);
        let reason = stateSkip(def, c, f.moment);
        const dueAt = c?.row.dueAt ?? null;
        const offsets = c ? policyOffsets(spec, policies.for(f.organizationId, c.row.initiativeId)[spec.rule]) : [];
        const offset = dueAt ? Math.abs(f.moment.getTime() - dueAt.getTime()) / unitMs(spec) : NaN;
        if (!reason && (!dueAt || !offsets.includes(offset) || momentOf(spec, dueAt, offset).getTime() !== f.moment.getTime())) reason = 'moment_changed';
        if (!reason && def.beforeDue && f.lateBySeconds > ON_TIME_SECONDS && now >= dueAt!) reason = 'too_late';
        if (!reason && spec.kind === 'list' && offsets.some((o) => o < offset && momentOf(spec, dueAt!, o) <= now)) reason = 'superseded';
        const recipients = reason ? [] : def.recipients(c!);
        if (!reason && recipients.length === 0) reason = 'no_recipients';
        if (reason) {
          outcomes.push({ status: 'skipped', reason });
          continue;
        }
        const event = await recorderFor(f.organizationId).event(def.eventType, {
          rule: spec.rule, dueAt: f.moment.toISOString(), firedAt: now.toISOString(), lateBy: f.lateBySeconds, recipients, ...def.data(c!, offset),
          issue: toApiIssue(c!.row, now), owner: c!.owner && personSummary(c!.owner),
        });
        outcomes.push({ status: 'fired', eventId: event.id, eventOccurredAt: event.occurredAt, recipients });
      }
      return outcomes;
    },

    async planned(db, organizationId, window, filter) {
      const moments = await plannedMoments(db, spec, organizationId, window, filter);
      if (moments.length === 0) return [];
      const contexts = await loadIssueContexts(db, [...new Set(moments.map((m) => m.subjectId))].map((id) => ({ organizationId, id })), false);
      return moments.map((m): PlannedFiring => {
        const c = contexts.get(`${organizationId}/${m.subjectId}`);
        const recipients = c ? def.recipients(c) : [];
        const skipReason = stateSkip(def, c, m.moment) ?? (recipients.length === 0 ? 'no_recipients' : null);
        return { organizationId, rule: spec.rule, subjectType: 'issue', subjectId: m.subjectId, moment: m.moment, recipients, ...(skipReason ? { skipReason } : {}) };
      });
    },
  };
}

const issueDueSoon = issueRule({
  spec: { rule: 'issueDueSoonHours', subjectType: 'issue', table: 'issues', column: 'due_at', side: 'before', unit: 'hour', kind: 'list', live: UNRESOLVED },
  eventType: 'issue.due_soon',
  beforeDue: true,
  recipients: (c) => new RecipientList().add(c.owner, 'owner').list,
  data: (_c, offset) => ({ hoursBefore: offset }),
});

const issueEscalated = issueRule({
  spec: { rule: 'issueEscalationHours', subjectType: 'issue', table: 'issues', column: 'due_at', side: 'after', unit: 'hour', kind: 'single', live: UNRESOLVED },
  eventType: 'issue.escalated',
  beforeDue: false,
  recipients: (c) =>
    c.initiative
      ? new RecipientList().add(c.initiative.sponsor, 'sponsor').add(c.initiative.owner, 'initiative_owner').list
      : new RecipientList().add(c.departmentLead, 'department_lead').list,
  data: (c, offset) => ({ hoursOverdue: offset, initiative: c.initiative && { id: c.initiative.id, title: c.initiative.title } }),
});

export const issueRules: FiringRule[] = [issueDueSoon, issueEscalated];
