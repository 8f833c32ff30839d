import { and, eq, sql } from 'drizzle-orm';
import { followThroughPolicies } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { NotFound } from '../platform/errors.js';
import { resolvePolicyWithSources } from './policy.js';
import type { FollowThroughPolicyResource, PolicySettings } from './policy-schemas.js';

type LevelRow = {
  id: string | null;
  initiativeId: string | null;
  settings: PolicySettings | null;
  version: number | null;
  updatedAt: string | null;
  defaultTimeZone: string | null;
  initiativeExists: boolean;
};

interface Level {
  organizationId: string;
  initiativeId: string | null;
}

/**
 * One round trip: the organisation's zone and policy row, the initiative's override (when asked
 * for) and whether that initiative exists in the organisation.
 */
async function readLevel(db: DbOrTx, { organizationId, initiativeId }: Level) {
  const rows = (await db.execute(sql`
    select p.id, p.initiative_id as "initiativeId", p.settings, p.version, to_char(p.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as "updatedAt",
      o.default_time_zone as "defaultTimeZone",
      ${initiativeId ? sql`exists (select 1 from initiatives i where i.organization_id = o.id and i.id = ${initiativeId}::uuid)` : sql`true`} as "initiativeExists"
    from organizations o
    left join follow_through_policies p on p.organization_id = o.id
      and (p.initiative_id is null ${initiativeId ? sql`or p.initiative_id = ${initiativeId}::uuid` : sql``})
    where o.id = ${organizationId}::uuid`)) as unknown as LevelRow[];
  const first = rows[0];
  if (initiativeId && !first?.initiativeExists) throw new NotFound('Initiative');
  const org = rows.find((r) => r.id && r.initiativeId === null) ?? null;
  const own = initiativeId ? (rows.find((r) => r.initiativeId === initiativeId) ?? null) : org;
  return { org, own, zone: first?.defaultTimeZone ?? null };
}

function toResource(level: Level, org: PolicySettings | null, own: { settings: PolicySettings | null; version: number | null; updatedAt: string | null } | null, zone: string | null): FollowThroughPolicyResource {
  const { effective, sources } = resolvePolicyWithSources(org, level.initiativeId ? own?.settings : null, zone);
  return {
    level: level.initiativeId ? 'initiative' : 'organization',
    initiativeId: level.initiativeId,
    settings: own?.settings ?? {},
    effective,
    sources,
    version: own?.version ?? 0,
    updatedAt: own?.updatedAt ?? null,
  };
}

export async function getPolicyLevel(db: DbOrTx, level: Level): Promise<FollowThroughPolicyResource> {
  const { org, own, zone } = await readLevel(db, level);
  return toResource(level, org?.settings ?? null, own, zone);
}

/** Writes of one level queue behind each other (the first PUT of a level inserts its row). */
async function lockAndRead(rec: ChangeRecorder, level: Level) {
  await rec.tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`follow_through_policy:${level.organizationId}:${level.initiativeId ?? ''}`}, 0))`);
  return readLevel(rec.tx, level);
}

const auditView = (settings: PolicySettings | null, initiativeId: string | null) => (settings ? { initiativeId, settings } : null);

/** PUT: `settings` replaces what this level sets (absent fields inherit). */
export async function putPolicyLevel(rec: ChangeRecorder, level: Level, settings: PolicySettings, checkVersion: (v: number) => void): Promise<FollowThroughPolicyResource> {
  const { org, own, zone } = await lockAndRead(rec, level);
  checkVersion(own?.version ?? 0);
  const now = new Date();
  const [row] = own?.id
    ? await rec.tx
        .update(followThroughPolicies)
        .set({ settings, version: own.version! + 1, updatedAt: now })
        .where(and(eq(followThroughPolicies.organizationId, level.organizationId), eq(followThroughPolicies.id, own.id)))
        .returning()
    : await rec.tx
        .insert(followThroughPolicies)
        .values({ organizationId: level.organizationId, initiativeId: level.initiativeId, settings, createdAt: now, updatedAt: now })
        .returning();
  await rec.audit({
    action: own?.id ? 'update' : 'create',
    entityType: 'follow_through_policy',
    entityId: row!.id,
    before: auditView(own?.settings ?? null, level.initiativeId),
    after: auditView(settings, level.initiativeId),
  });
  const written = { settings, version: row!.version, updatedAt: row!.updatedAt.toISOString() };
  return toResource(level, level.initiativeId ? (org?.settings ?? null) : settings, written, zone);
}

/** DELETE of an initiative's override: the initiative follows the organisation's policy again. */
export async function deleteInitiativePolicy(rec: ChangeRecorder, level: Level & { initiativeId: string }, checkVersion: (v: number) => void): Promise<void> {
  const { own } = await lockAndRead(rec, level);
  if (!own?.id) throw new NotFound('Follow-through policy override of this initiative');
  checkVersion(own.version!);
  await rec.tx.delete(followThroughPolicies).where(and(eq(followThroughPolicies.organizationId, level.organizationId), eq(followThroughPolicies.id, own.id)));
  await rec.audit({ action: 'delete', entityType: 'follow_through_policy', entityId: own.id, before: auditView(own.settings, level.initiativeId) });
}
