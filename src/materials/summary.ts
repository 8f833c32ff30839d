import { z } from 'zod';
import type { materials } from '../../db/schema/index.js';
import { Id, iso, Timestamp } from '../platform/schemas.js';

// The short form of a material that meetings embed (GET /v1/meetings/{id}, invitation events) and
// that `material.shared` carries. Kept apart from the module's other shapes so that the meetings
// module can import it without pulling in routes.

export const MaterialKind = z.enum(['link', 'file']).describe('`link` (a URL) or `file` (bytes stored by the service).');

export const MaterialSummary = z
  .object({
    id: Id,
    title: z.string(),
    kind: z.string().describe('`link` or `file`.'),
    url: z.string().nullable().describe('The link (kind `link`).'),
    fileName: z.string().nullable().describe('The file name (kind `file`); download from `/v1/materials/{id}/content`.'),
    contentType: z.string().nullable(),
    sizeBytes: z.number().int().nullable(),
    sha256: z.string().nullable().describe('Hex SHA-256 of the current version\'s bytes; also the download\'s ETag.'),
    agendaItemId: Id.nullable(),
    required: z.boolean().describe('Participants are expected to read it before the meeting.'),
    contentVersion: z.number().int().describe('Number of the current content version (1 for the first).'),
    late: z.boolean().describe('Shared after the meeting\'s `materialsDueAt`.'),
    sharedAt: Timestamp.nullable(),
    version: z.number().int(),
  })
  .meta({ id: 'MaterialSummary' });
export type ApiMaterialSummary = z.infer<typeof MaterialSummary>;

type Row = typeof materials.$inferSelect;

export function toMaterialSummary(r: Row): ApiMaterialSummary {
  return {
    id: r.id,
    title: r.title,
    kind: r.kind,
    url: r.url,
    fileName: r.fileName,
    contentType: r.contentType,
    sizeBytes: r.sizeBytes,
    sha256: r.sha256,
    agendaItemId: r.agendaItemId,
    required: r.required,
    contentVersion: r.contentVersion,
    late: r.late,
    sharedAt: iso(r.sharedAt),
    version: r.version,
  };
}
