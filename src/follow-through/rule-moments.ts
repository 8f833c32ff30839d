import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../platform/database.js';
import type { DueFiring, ReminderFilter } from '../platform/scheduler-types.js';
import { DEFAULT_POLICY, distinctOffsets } from './policy.js';

// The moments of the offset rules of SPEC §6, computed in SQL from the current state: a rule's
// moment is a column of its subject (starts_at, materials_due_at, ends_at, due_at) shifted by an
// offset of the subject's effective policy (its initiative's override, else its organisation's,
// else the default). The due scan reads the offsets in use anywhere (a query over the small
// policies table), then per offset one range of a global index over the column (the scheduler
// scans across organisations), keeps the offsets the subject's own policy names, and anti-joins
// scheduled_firings: two queries whose cost is the moments of the look-back window, not the tables.

/** How far back a tick looks for a moment it missed: older moments are never fired (nor scanned). */
export const LOOKBACK_MS = 86_400_000;

/** A firing this late or less always goes, whatever the rule: the tick's own delay, not an outage. */
export const ON_TIME_SECONDS = 60;

export type OffsetRule = 'rsvpReminderHours' | 'prereadsDue' | 'prereadReminderHours' | 'startingSoonMinutes' | 'minutesDueHours' | 'issueDueSoonHours' | 'issueEscalationHours';

export interface MomentSpec {
  rule: OffsetRule;
  subjectType: 'meeting' | 'issue';
  table: 'meetings' | 'issues';
  column: 'starts_at' | 'materials_due_at' | 'ends_at' | 'due_at';
  /** `before`: moment = column − offset; `after`: column + offset. */
  side: 'before' | 'after';
  unit: 'hour' | 'minute';
  /** The policy field's shape: a list of offsets, one offset, or a flag (offset 0). */
  kind: 'list' | 'single' | 'flag';
  /** Literal SQL over `t`, the predicate of the partial index the due scan reads (a parameter would hide the implication from the planner). */
  live: string;
  /** More that must hold for a moment to be due (over `t`), e.g. nothing published yet. */
  pending?: SQL;
}

export const unitMs = (spec: MomentSpec) => (spec.unit === 'hour' ? 3_600_000 : 60_000);

/** The moment of `offset` for a subject whose column reads `at`. */
export const momentOf = (spec: MomentSpec, at: Date, offset: number) => new Date(at.getTime() + (spec.side === 'before' ? -1 : 1) * offset * unitMs(spec));

/** The offsets of the field a resolved policy names (a flag that is on: [0]). */
export function policyOffsets(spec: MomentSpec, value: unknown): number[] {
  if (spec.kind === 'flag') return value === true ? [0] : [];
  if (spec.kind === 'single') return typeof value === 'number' ? [value] : [];
  return Array.isArray(value) ? (value as number[]) : [];
}

/** Every offset of the field in use in any policy, and the default's (one query over the small policies table). */
async function offsetsInUse(db: DbOrTx, spec: MomentSpec): Promise<number[]> {
  if (spec.kind === 'flag') return [0];
  return distinctOffsets(db, spec.rule as Parameters<typeof distinctOffsets>[1]);
}

/** True when the subject's effective policy names the offset `s.v` (absent fields inherit; JSON null turns the rule off). */
function inPolicy(spec: MomentSpec): SQL {
  const field = spec.rule;
  const value = sql`coalesce(ip.settings -> ${field}, op.settings -> ${field}, ${JSON.stringify(DEFAULT_POLICY[field])}::jsonb)`;
  return spec.kind === 'flag' ? sql`${value} = 'true'::jsonb` : sql`${value} @> to_jsonb(s.v)`;
}

type MomentRow = { organizationId: string; subjectId: string; moment: string | Date; offset: number };

/**
 * The subjects whose moment for some offset falls in (after, until] (or [from, to) with
 * `halfOpen`), one UNION ALL branch per offset with constant bounds: each branch is a range of
 * an index over the column that the planner estimates from its statistics (bounds computed in
 * the query would leave it guessing, and a guessed cost of millions switches JIT compilation on).
 */
async function scan(db: DbOrTx, spec: MomentSpec, window: { from: Date; to: Date; halfOpen: boolean }, where: SQL, tail: SQL): Promise<MomentRow[]> {
  const offsets = await offsetsInUse(db, spec);
  if (offsets.length === 0) return [];
  const t = sql.raw(spec.table);
  const col = sql.raw(`t.${spec.column}`);
  const [gt, lt] = window.halfOpen ? [sql.raw('>='), sql.raw('<')] : [sql.raw('>'), sql.raw('<=')];
  const branches = offsets.map((v) => {
    const shiftMs = (spec.side === 'before' ? -1 : 1) * v * unitMs(spec);
    const lo = new Date(window.from.getTime() - shiftMs).toISOString();
    const hi = new Date(window.to.getTime() - shiftMs).toISOString();
    return sql`select t.organization_id, t.id, t.initiative_id, ${col} + ${`${shiftMs / 1000} seconds`}::interval as moment, ${v}::int as v
      from ${t} t where ${where} and ${col} ${gt} ${lo}::timestamptz and ${col} ${lt} ${hi}::timestamptz`;
  });
  return (await db.execute(sql`
    select s.organization_id as "organizationId", s.id as "subjectId", s.moment, s.v as "offset"
    from (${sql.join(branches, sql` union all `)}) s
    left join follow_through_policies op on op.organization_id = s.organization_id and op.initiative_id is null
    left join follow_through_policies ip on s.initiative_id is not null and ip.organization_id = s.organization_id and ip.initiative_id = s.initiative_id
    where ${inPolicy(spec)} ${tail}`)) as unknown as MomentRow[];
}

/**
 * The rule's due moments: in (now − LOOKBACK_MS, now], of live subjects (the index predicate and
 * `pending`), named by the subject's policy, not yet in scheduled_firings; earliest first. The
 * anti-join is a scalar subquery on purpose: one index probe per candidate, never a scan of
 * scheduled_firings (which only grows) for a hash join.
 */
export async function dueMoments(db: DbOrTx, spec: MomentSpec, now: Date, limit: number): Promise<DueFiring[]> {
  const where = sql`${sql.raw(spec.live)} ${spec.pending ? sql`and ${spec.pending}` : sql``}`;
  const rows = await scan(db, spec, { from: new Date(now.getTime() - LOOKBACK_MS), to: now, halfOpen: false }, where, sql`
      and (select 1 from scheduled_firings f
        where f.organization_id = s.organization_id and f.rule = ${spec.rule} and f.subject_id = s.id and f.moment = s.moment limit 1) is null
    order by s.moment, s.id
    limit ${limit}`);
  return rows.map((r) => ({ organizationId: r.organizationId, rule: spec.rule, subjectType: spec.subjectType, subjectId: r.subjectId, moment: new Date(r.moment) }));
}

/** At most this many moments of one rule in a GET /v1/reminders window. */
const PLANNED_LIMIT = 5000;

export interface PlannedMoment {
  subjectId: string;
  moment: Date;
  offset: number;
}

/**
 * One organisation's moments of the rule in [from, to) from the current state, whatever the
 * subject's status (the rule says which will not fire), read from an index leading with the
 * organisation over the column. Drafts never fire, so they plan nothing.
 */
export async function plannedMoments(db: DbOrTx, spec: MomentSpec, organizationId: string, window: { from: Date; to: Date }, filter: ReminderFilter): Promise<PlannedMoment[]> {
  const own = spec.subjectType === 'meeting' ? filter.meetingId : filter.issueId;
  const other = spec.subjectType === 'meeting' ? filter.issueId : filter.meetingId;
  if (other) return [];
  const where = sql`t.organization_id = ${organizationId}::uuid
    ${spec.table === 'meetings' ? sql`and t.status <> 'draft'` : sql``}
    ${own ? sql`and t.id = ${own}::uuid` : sql``}
    ${filter.initiativeId ? sql`and t.initiative_id = ${filter.initiativeId}::uuid` : sql``}`;
  const rows = await scan(db, spec, { ...window, halfOpen: true }, where, sql`order by s.moment, s.id limit ${PLANNED_LIMIT}`);
  return rows.map((r) => ({ subjectId: r.subjectId, moment: new Date(r.moment), offset: Number(r.offset) }));
}
