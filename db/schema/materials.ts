import { boolean, customType, foreignKey, index, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { people } from './directory.js';
import { agendaItems, meetings } from './meetings.js';
import { primaryId, tenantId, timestamps, ts } from './columns.js';

const bytea = customType<{ data: Buffer; driverData: Buffer }>({ dataType: () => 'bytea' });

/**
 * A pre-read of a meeting: a link or a stored file. The row carries the current content version's
 * metadata (what meeting summaries embed); every version's own metadata is in material_versions.
 * `version` is the row's concurrency version (ETag); `contentVersion` numbers the content.
 */
export const materials = pgTable(
  'materials',
  {
    id: primaryId(),
    organizationId: tenantId(),
    meetingId: uuid().notNull().references(() => meetings.id, { onDelete: 'cascade' }),
    agendaItemId: uuid().references(() => agendaItems.id, { onDelete: 'set null' }),
    title: text().notNull(),
    kind: text().$type<'link' | 'file'>().notNull(),
    url: text(),
    fileName: text(),
    contentType: text(),
    declaredContentType: text(),
    detectedContentType: text(),
    sizeBytes: integer(),
    sha256: text(),
    required: boolean().notNull().default(false),
    contentVersion: integer().notNull().default(1),
    /** When the first version was shared; `late` when that was after the meeting's materialsDueAt. */
    sharedAt: ts().notNull().defaultNow(),
    late: boolean().notNull().default(false),
    ...timestamps(),
  },
  (t) => [
    index('materials_org_meeting_list_idx').on(t.organizationId, t.meetingId, t.createdAt, t.id),
    // Search reads a common word's hits newest first from this order (src/search/queries.ts).
    index('materials_org_created_idx').on(t.organizationId, t.createdAt, t.id),
  ],
);

/**
 * Stored bytes, one row per upload. Created before the material row so that a multipart body can
 * be streamed in whatever order its parts arrive; the bytes themselves are in material_file_chunks.
 */
export const materialFiles = pgTable('material_files', {
  id: primaryId(),
  organizationId: tenantId(),
  sizeBytes: integer().notNull().default(0),
  sha256: text(),
  createdAt: ts().notNull().defaultNow(),
});

/** The bytes of a file in fixed-size pieces, so uploads stream in and downloads stream out. */
export const materialFileChunks = pgTable(
  'material_file_chunks',
  {
    organizationId: tenantId(),
    fileId: uuid().notNull().references(() => materialFiles.id, { onDelete: 'cascade' }),
    seq: integer().notNull(),
    data: bytea().notNull(),
  },
  (t) => [primaryKey({ columns: [t.organizationId, t.fileId, t.seq] })],
);

/** Each content version of a material; old versions stay readable. */
export const materialVersions = pgTable(
  'material_versions',
  {
    id: primaryId(),
    organizationId: tenantId(),
    materialId: uuid().notNull().references(() => materials.id, { onDelete: 'cascade' }),
    contentVersion: integer().notNull(),
    kind: text().$type<'link' | 'file'>().notNull(),
    url: text(),
    fileId: uuid().references(() => materialFiles.id),
    fileName: text(),
    contentType: text(),
    declaredContentType: text(),
    detectedContentType: text(),
    sizeBytes: integer(),
    sha256: text(),
    sharedAt: ts().notNull().defaultNow(),
    late: boolean().notNull().default(false),
    createdAt: ts().notNull().defaultNow(),
  },
  (t) => [uniqueIndex('material_versions_org_material_version_key').on(t.organizationId, t.materialId, t.contentVersion)],
);

/** Who has read which version of a material: at most one row per person and version. */
export const materialAcknowledgements = pgTable(
  'material_acknowledgements',
  {
    id: primaryId(),
    organizationId: tenantId(),
    materialId: uuid().notNull(),
    contentVersion: integer().notNull(),
    personId: uuid().notNull().references(() => people.id),
    acknowledgedAt: ts().notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('material_acknowledgements_org_material_version_person_key').on(t.organizationId, t.materialId, t.contentVersion, t.personId),
    index('material_acknowledgements_org_material_list_idx').on(t.organizationId, t.materialId, t.acknowledgedAt, t.id),
    index('material_acknowledgements_org_person_idx').on(t.organizationId, t.personId),
    foreignKey({
      columns: [t.organizationId, t.materialId, t.contentVersion],
      foreignColumns: [materialVersions.organizationId, materialVersions.materialId, materialVersions.contentVersion],
      name: 'material_acknowledgements_version_fk',
    }).onDelete('cascade'),
  ],
);
