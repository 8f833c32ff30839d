import { sql } from 'drizzle-orm';
import type { z } from 'zod';
import type { DbOrTx } from '../platform/database.js';
import type { EffectivePolicy, PolicyFieldName, PolicySettings, PolicySource } from './policy-schemas.js';

/** The follow-through policy with every field resolved (SPEC §6). */
export type FollowThroughPolicy = z.infer<typeof EffectivePolicy>;

export const DEFAULT_DIGEST_RRULE = 'FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0';

/** The defaults; the digest's zone is filled in per organisation (its default time zone, else UTC). */
export const DEFAULT_POLICY: FollowThroughPolicy = Object.freeze({
  rsvpReminderHours: [48, 24],
  prereadsDue: true,
  prereadReminderHours: [12],
  startingSoonMinutes: [15],
  minutesDueHours: 24,
  issueDueSoonHours: [48],
  issueEscalationHours: 72,
  reportDigest: { rrule: DEFAULT_DIGEST_RRULE, timeZone: 'UTC' },
});

const FIELDS = Object.keys(DEFAULT_POLICY) as PolicyFieldName[];
const LIST_FIELDS = ['rsvpReminderHours', 'prereadReminderHours', 'startingSoonMinutes', 'issueDueSoonHours'] as const;
type ListField = (typeof LIST_FIELDS)[number];
type ScalarHoursField = 'minutesDueHours' | 'issueEscalationHours';

/** Each effective field with the level it came from. */
export function resolvePolicyWithSources(
  org: PolicySettings | null | undefined,
  initiative?: PolicySettings | null,
  orgTimeZone?: string | null,
): { effective: FollowThroughPolicy; sources: Record<PolicyFieldName, z.infer<typeof PolicySource>> } {
  const zone = orgTimeZone || 'UTC';
  const out: Record<string, unknown> = {};
  const sources = {} as Record<PolicyFieldName, z.infer<typeof PolicySource>>;
  for (const field of FIELDS) {
    let value: unknown;
    if (initiative && field in initiative && initiative[field] !== undefined) {
      value = initiative[field];
      sources[field] = 'initiative';
    } else if (org && field in org && org[field] !== undefined) {
      value = org[field];
      sources[field] = 'organization';
    } else {
      // The default digest runs in the organisation's zone (DEFAULT_POLICY shows it as UTC).
      value = field === 'reportDigest' ? { rrule: DEFAULT_DIGEST_RRULE } : DEFAULT_POLICY[field];
      sources[field] = 'default';
    }
    out[field] = normalise(field, value, zone);
  }
  return { effective: out as FollowThroughPolicy, sources };
}

function normalise(field: PolicyFieldName, value: unknown, zone: string): unknown {
  if ((LIST_FIELDS as readonly string[]).includes(field)) return [...((value as number[] | null) ?? [])].sort((a, b) => b - a);
  if (field === 'prereadsDue') return value === true;
  if (field === 'reportDigest') {
    const d = value as { rrule: string; timeZone?: string } | null;
    return d ? { rrule: d.rrule, timeZone: d.timeZone ?? zone } : null;
  }
  return value ?? null;
}

/** The effective policy: initiative settings over the organisation's, over the defaults. */
export function resolvePolicy(org: PolicySettings | null | undefined, initiative?: PolicySettings | null, orgTimeZone?: string | null): FollowThroughPolicy {
  return resolvePolicyWithSources(org, initiative, orgTimeZone).effective;
}

/** The effective policies of a batch of organisations (and their initiatives' overrides). */
export interface PolicyIndex {
  for(organizationId: string, initiativeId: string | null): FollowThroughPolicy;
}

type PolicyRow = { organizationId: string; initiativeId: string | null; settings: PolicySettings | null; defaultTimeZone: string | null };

/**
 * One query for any number of organisations: their default time zone, their policy and every
 * initiative override. `for` resolves (and remembers) the policy of an organisation or one of
 * its initiatives; an organisation not asked for gets the defaults.
 */
export async function loadEffectivePolicies(db: DbOrTx, organizationIds: string[]): Promise<PolicyIndex> {
  const ids = [...new Set(organizationIds)];
  const rows = ids.length
    ? ((await db.execute(sql`
        select o.id as "organizationId", p.initiative_id as "initiativeId", p.settings, o.default_time_zone as "defaultTimeZone"
        from organizations o
        left join follow_through_policies p on p.organization_id = o.id
        where o.id = any(${`{${ids.join(',')}}`}::uuid[])`)) as unknown as PolicyRow[])
    : [];
  const orgs = new Map<string, { settings: PolicySettings | null; zone: string | null; overrides: Map<string, PolicySettings> }>();
  for (const r of rows) {
    let o = orgs.get(r.organizationId);
    if (!o) orgs.set(r.organizationId, (o = { settings: null, zone: r.defaultTimeZone, overrides: new Map() }));
    if (r.settings && r.initiativeId) o.overrides.set(r.initiativeId, r.settings);
    else if (r.settings) o.settings = r.settings;
  }
  const resolved = new Map<string, FollowThroughPolicy>();
  return {
    for(organizationId, initiativeId) {
      const key = `${organizationId}/${initiativeId ?? ''}`;
      let policy = resolved.get(key);
      if (!policy) {
        const o = orgs.get(organizationId);
        policy = resolvePolicy(o?.settings, initiativeId ? o?.overrides.get(initiativeId) : null, o?.zone);
        resolved.set(key, policy);
      }
      return policy;
    },
  };
}

/**
 * Every offset of a rule in use across all policies, the default's included, largest first, so a
 * rule can range-scan its subjects once per offset (a superset: each subject is then checked
 * against its own effective policy). One query over the policies table.
 */
export async function distinctOffsets(db: DbOrTx, field: ListField | ScalarHoursField): Promise<number[]> {
  const list = (LIST_FIELDS as readonly string[]).includes(field);
  const rows = (await db.execute(
    list
      ? sql`select distinct (x.v)::int as v from follow_through_policies p, jsonb_array_elements(p.settings -> ${field}) as x(v)
            where jsonb_typeof(p.settings -> ${field}) = 'array'`
      : sql`select distinct (p.settings ->> ${field})::int as v from follow_through_policies p
            where jsonb_typeof(p.settings -> ${field}) = 'number'`,
  )) as unknown as { v: number }[];
  const fallback = DEFAULT_POLICY[field];
  const all = new Set<number>(rows.map((r) => Number(r.v)));
  for (const v of Array.isArray(fallback) ? fallback : fallback === null ? [] : [fallback]) all.add(v);
  return [...all].sort((a, b) => b - a);
}
