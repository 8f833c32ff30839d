import { eq } from 'drizzle-orm';
import { organizations } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { NotFound } from '../platform/errors.js';
import { iso } from '../platform/schemas.js';
import type { OrganizationPatch } from './schemas.js';
import { DEFAULT_TIME_ZONE, DEFAULT_WORKING_HOURS } from './working-hours.js';

type Row = typeof organizations.$inferSelect;

/** The settings as they apply: what was set, else the built-in defaults. */
export function toApiOrganization(r: Row) {
  return {
    id: r.id,
    name: r.name,
    slug: r.slug,
    defaultTimeZone: r.defaultTimeZone ?? DEFAULT_TIME_ZONE,
    defaultWorkingHours: r.defaultWorkingHours ?? DEFAULT_WORKING_HOURS,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

export async function findOrganization(db: DbOrTx, organizationId: string, opts: { forUpdate?: boolean } = {}): Promise<Row> {
  const query = db.select().from(organizations).where(eq(organizations.id, organizationId));
  const [row] = opts.forUpdate ? await query.for('update') : await query;
  if (!row) throw new NotFound('Organization');
  return row;
}

export async function updateOrganization(rec: ChangeRecorder, patch: OrganizationPatch, checkVersion: (v: number) => void) {
  const current = await findOrganization(rec.tx, rec.organizationId, { forUpdate: true });
  checkVersion(current.version);
  const [row] = await rec.tx
    .update(organizations)
    .set({ ...patch, updatedAt: new Date(), version: current.version + 1 })
    .where(eq(organizations.id, rec.organizationId))
    .returning();
  const after = toApiOrganization(row!);
  await rec.audit({ action: 'update', entityType: 'organization', entityId: rec.organizationId, before: toApiOrganization(current), after });
  return after;
}
