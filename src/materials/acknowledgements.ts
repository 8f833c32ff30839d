import { and, eq } from 'drizzle-orm';
import { materialAcknowledgements, people } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { BadRequest } from '../platform/errors.js';
import { afterCreated } from '../platform/pagination.js';
import { assertReferences } from '../platform/references.js';
import { iso } from '../platform/schemas.js';
import { findMaterial } from './materials.js';
import type { NewAcknowledgement } from './schemas.js';

type Row = typeof materialAcknowledgements.$inferSelect;

export function toApiAcknowledgement(r: Row) {
  return { id: r.id, materialId: r.materialId, contentVersion: r.contentVersion, personId: r.personId, acknowledgedAt: iso(r.acknowledgedAt)! };
}

/** Keyset for listing by acknowledgement time; `afterCreated` compares the same pair. */
export const acknowledgedKey = (r: Row) => [r.acknowledgedAt.toISOString(), r.id];

/**
 * Records that a person has read a version of a material. Once per person and version: repeating
 * it answers the first record (`created: false`) and writes nothing.
 */
export async function acknowledge(rec: ChangeRecorder, materialId: string, input: NewAcknowledgement) {
  const material = await findMaterial(rec.tx, rec.organizationId, materialId);
  await assertReferences(rec.tx, rec.organizationId, [{ path: 'body.personId', table: people, id: input.personId, what: 'person' }]);
  const contentVersion = input.contentVersion ?? material.contentVersion;
  if (contentVersion > material.contentVersion) {
    throw new BadRequest(`The material has no version ${contentVersion}; its current version is ${material.contentVersion}.`, [
      { path: 'body.contentVersion', message: 'unknown version' },
    ]);
  }
  const [inserted] = await rec.tx
    .insert(materialAcknowledgements)
    .values({ organizationId: rec.organizationId, materialId, contentVersion, personId: input.personId })
    .onConflictDoNothing()
    .returning();
  if (inserted) {
    const api = toApiAcknowledgement(inserted);
    await rec.audit({ action: 'create', entityType: 'material_acknowledgement', entityId: api.id, after: api });
    return { created: true, acknowledgement: api };
  }
  const [existing] = await rec.tx
    .select()
    .from(materialAcknowledgements)
    .where(
      and(
        eq(materialAcknowledgements.organizationId, rec.organizationId),
        eq(materialAcknowledgements.materialId, materialId),
        eq(materialAcknowledgements.contentVersion, contentVersion),
        eq(materialAcknowledgements.personId, input.personId),
      ),
    );
  return { created: false, acknowledgement: toApiAcknowledgement(existing!) };
}

export async function listAcknowledgements(db: DbOrTx, organizationId: string, materialId: string, q: { limit: number; cursor?: string; contentVersion?: number }) {
  await findMaterial(db, organizationId, materialId);
  return db
    .select()
    .from(materialAcknowledgements)
    .where(
      and(
        eq(materialAcknowledgements.organizationId, organizationId),
        eq(materialAcknowledgements.materialId, materialId),
        q.contentVersion !== undefined ? eq(materialAcknowledgements.contentVersion, q.contentVersion) : undefined,
        afterCreated(materialAcknowledgements.acknowledgedAt, materialAcknowledgements.id, q.cursor),
      ),
    )
    .orderBy(materialAcknowledgements.acknowledgedAt, materialAcknowledgements.id)
    .limit(q.limit + 1);
}
