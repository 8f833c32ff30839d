import { and, asc, eq, gt, inArray } from 'drizzle-orm';
import { tenantFinder } from '../platform/finders.js';
import { agendaItems, materialFiles, materials, materialVersions, meetings } from '../../db/schema/index.js';
import type { ChangeRecorder } from '../platform/changes.js';
import type { DbOrTx } from '../platform/database.js';
import { Conflict, NotFound, UnknownReference } from '../platform/errors.js';
import { afterCreated, decodeCursor } from '../platform/pagination.js';
import { iso } from '../platform/schemas.js';
import type { ApiMaterial, MaterialPatch } from './schemas.js';
import { toMaterialSummary } from './summary.js';
import type { UploadedFile } from './upload.js';

type Row = typeof materials.$inferSelect;
type VersionRow = typeof materialVersions.$inferSelect;

/** What a version holds: a URL, or a stored file and what it is. */
export type Content = { kind: 'link'; url: string } | ({ kind: 'file' } & UploadedFile);

export function toApiMaterial(r: Row): ApiMaterial {
  return {
    id: r.id,
    meetingId: r.meetingId,
    agendaItemId: r.agendaItemId,
    title: r.title,
    kind: r.kind,
    url: r.url,
    fileName: r.fileName,
    contentType: r.contentType,
    declaredContentType: r.declaredContentType,
    detectedContentType: r.detectedContentType,
    sizeBytes: r.sizeBytes,
    sha256: r.sha256,
    required: r.required,
    contentVersion: r.contentVersion,
    sharedAt: iso(r.sharedAt)!,
    late: r.late,
    createdAt: iso(r.createdAt)!,
    updatedAt: iso(r.updatedAt)!,
    version: r.version,
  };
}

export function toApiVersion(r: VersionRow) {
  return {
    materialId: r.materialId,
    contentVersion: r.contentVersion,
    kind: r.kind,
    url: r.url,
    fileName: r.fileName,
    contentType: r.contentType,
    declaredContentType: r.declaredContentType,
    detectedContentType: r.detectedContentType,
    sizeBytes: r.sizeBytes,
    sha256: r.sha256,
    sharedAt: iso(r.sharedAt)!,
    late: r.late,
  };
}

/** The columns a version's content fills, the same in `materials` and `material_versions`. */
function contentColumns(c: Content) {
  if (c.kind === 'link') {
    return { kind: c.kind, url: c.url, fileName: null, contentType: null, declaredContentType: null, detectedContentType: null, sizeBytes: null, sha256: null };
  }
  const { fileId: _fileId, ...file } = c;
  return { url: null, ...file };
}

const meetingColumns = {
  id: meetings.id,
  title: meetings.title,
  status: meetings.status,
  startsAt: meetings.startsAt,
  materialsDueAt: meetings.materialsDueAt,
  invitationsSentAt: meetings.invitationsSentAt,
};
export type MaterialMeeting = { id: string; title: string; status: string; startsAt: Date; materialsDueAt: Date; invitationsSentAt: Date | null };

/** The meeting a material belongs to; `lock` holds it (FOR SHARE) so it cannot be cancelled meanwhile. */
export async function findMaterialMeeting(db: DbOrTx, organizationId: string, meetingId: string, opts: { lock?: boolean } = {}): Promise<MaterialMeeting> {
  const q = db.select(meetingColumns).from(meetings).where(and(eq(meetings.organizationId, organizationId), eq(meetings.id, meetingId)));
  const [row] = opts.lock ? await q.for('share') : await q;
  if (!row) throw new NotFound('Meeting');
  return row;
}

/** A cancelled or completed meeting is a closed record: its materials no longer change. */
export function assertMeetingOpen(meeting: MaterialMeeting) {
  if (meeting.status === 'cancelled' || meeting.status === 'completed') {
    throw new Conflict(`The meeting is ${meeting.status}; its materials can no longer be added or changed.`);
  }
}

async function assertAgendaItemOfMeeting(db: DbOrTx, organizationId: string, meetingId: string, agendaItemId: string | null | undefined) {
  if (!agendaItemId) return;
  const [item] = await db
    .select({ id: agendaItems.id })
    .from(agendaItems)
    .where(and(eq(agendaItems.organizationId, organizationId), eq(agendaItems.meetingId, meetingId), eq(agendaItems.id, agendaItemId)));
  if (!item) throw new UnknownReference('body.agendaItemId', 'agenda item of this meeting');
}

export const findMaterial = tenantFinder(materials, 'Material', 'find_material');

export async function listMaterials(db: DbOrTx, organizationId: string, meetingId: string, q: { limit: number; cursor?: string }) {
  await findMaterialMeeting(db, organizationId, meetingId);
  return db
    .select()
    .from(materials)
    .where(and(eq(materials.organizationId, organizationId), eq(materials.meetingId, meetingId), afterCreated(materials.createdAt, materials.id, q.cursor)))
    .orderBy(materials.createdAt, materials.id)
    .limit(q.limit + 1);
}

export async function findVersion(db: DbOrTx, organizationId: string, materialId: string, contentVersion: number) {
  const [row] = await db
    .select()
    .from(materialVersions)
    .where(and(eq(materialVersions.organizationId, organizationId), eq(materialVersions.materialId, materialId), eq(materialVersions.contentVersion, contentVersion)));
  if (!row) throw new NotFound(`Version ${contentVersion} of the material`);
  return row;
}

export async function listVersions(db: DbOrTx, organizationId: string, materialId: string, q: { limit: number; cursor?: string }) {
  await findMaterial(db, organizationId, materialId);
  const after = decodeCursor(q.cursor, 1);
  return db
    .select()
    .from(materialVersions)
    .where(and(eq(materialVersions.organizationId, organizationId), eq(materialVersions.materialId, materialId), after ? gt(materialVersions.contentVersion, Number(after[0])) : undefined))
    .orderBy(asc(materialVersions.contentVersion))
    .limit(q.limit + 1);
}

/**
 * Records a version's sharing: its row, its audit record, and `material.shared` when the meeting's
 * invitations are already out (before that, the invitation itself carries the material list).
 */
async function shareVersion(rec: ChangeRecorder, meeting: MaterialMeeting, material: Row, content: Content, sharedAt: Date, late: boolean) {
  const [version] = await rec.tx
    .insert(materialVersions)
    .values({ organizationId: rec.organizationId, materialId: material.id, contentVersion: material.contentVersion, fileId: content.kind === 'file' ? content.fileId : null, ...contentColumns(content), sharedAt, late })
    .returning();
  await rec.audit({ action: 'create', entityType: 'material_version', entityId: version!.id, after: toApiVersion(version!) });
  if (meeting.invitationsSentAt) {
    await rec.event('material.shared', {
      material: toMaterialSummary(material),
      meeting: { id: meeting.id, title: meeting.title, startsAt: meeting.startsAt.toISOString() },
      contentVersion: material.contentVersion,
      version: material.version,
    });
  }
}

export async function createMaterial(
  rec: ChangeRecorder,
  meeting: MaterialMeeting,
  input: { title: string; agendaItemId?: string | null; required?: boolean; content: Content },
) {
  await assertAgendaItemOfMeeting(rec.tx, rec.organizationId, meeting.id, input.agendaItemId);
  const sharedAt = new Date();
  const late = sharedAt > meeting.materialsDueAt;
  const [row] = await rec.tx
    .insert(materials)
    .values({
      organizationId: rec.organizationId,
      meetingId: meeting.id,
      agendaItemId: input.agendaItemId ?? null,
      title: input.title,
      required: input.required ?? false,
      ...contentColumns(input.content),
      sharedAt,
      late,
    })
    .returning();
  const api = toApiMaterial(row!);
  await rec.audit({ action: 'create', entityType: 'material', entityId: api.id, after: api });
  await shareVersion(rec, meeting, row!, input.content, sharedAt, late);
  return api;
}

/** A new content version; the previous ones stay readable. The kind of a material never changes. */
export async function addVersion(rec: ChangeRecorder, current: Row, meeting: MaterialMeeting, content: Content) {
  const sharedAt = new Date();
  const [row] = await rec.tx
    .update(materials)
    .set({ ...contentColumns(content), contentVersion: current.contentVersion + 1, updatedAt: sharedAt, version: current.version + 1 })
    .where(eq(materials.id, current.id))
    .returning();
  const after = toApiMaterial(row!);
  await rec.audit({ action: 'update', entityType: 'material', entityId: current.id, before: toApiMaterial(current), after });
  await shareVersion(rec, meeting, row!, content, sharedAt, sharedAt > meeting.materialsDueAt);
  return after;
}

export function assertKind(material: Row, kind: 'link' | 'file') {
  if (material.kind !== kind) {
    const how = material.kind === 'link' ? 'send JSON `{ "url": … }`' : 'send multipart/form-data with a `file` part';
    throw new Conflict(`The material is a ${material.kind}; for a new version ${how}.`);
  }
}

export async function updateMaterial(rec: ChangeRecorder, id: string, patch: MaterialPatch, checkVersion: (v: number) => void) {
  const current = await findMaterial(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  assertMeetingOpen(await findMaterialMeeting(rec.tx, rec.organizationId, current.meetingId, { lock: true }));
  await assertAgendaItemOfMeeting(rec.tx, rec.organizationId, current.meetingId, patch.agendaItemId);
  const [row] = await rec.tx
    .update(materials)
    .set({ ...patch, updatedAt: new Date(), version: current.version + 1 })
    .where(eq(materials.id, id))
    .returning();
  const after = toApiMaterial(row!);
  await rec.audit({ action: 'update', entityType: 'material', entityId: id, before: toApiMaterial(current), after });
  return after;
}

/** Deletes the material with its versions, acknowledgements and stored bytes. */
export async function deleteMaterial(rec: ChangeRecorder, id: string, checkVersion: (v: number) => void) {
  const current = await findMaterial(rec.tx, rec.organizationId, id, { forUpdate: true });
  checkVersion(current.version);
  assertMeetingOpen(await findMaterialMeeting(rec.tx, rec.organizationId, current.meetingId, { lock: true }));
  const files = await rec.tx
    .select({ fileId: materialVersions.fileId })
    .from(materialVersions)
    .where(and(eq(materialVersions.organizationId, rec.organizationId), eq(materialVersions.materialId, id)));
  await rec.tx.delete(materials).where(eq(materials.id, id));
  const fileIds = files.map((f) => f.fileId).filter((f): f is string => f !== null);
  if (fileIds.length > 0) {
    await rec.tx.delete(materialFiles).where(and(eq(materialFiles.organizationId, rec.organizationId), inArray(materialFiles.id, fileIds)));
  }
  await rec.audit({ action: 'delete', entityType: 'material', entityId: id, before: toApiMaterial(current) });
}
