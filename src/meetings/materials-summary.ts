import { sql } from 'drizzle-orm';
import { isoSql } from '../platform/json-text.js';
import type { ApiMaterialSummary } from './schemas.js';

/**
 * The meeting's materials as summaries (MaterialSummary), a JSON aggregate for embedding in the
 * meeting's one detail query (correlated with the outer `meetings` row). The materials table belongs to the materials module.
 */
export function materialSummariesJson() {
  return sql<ApiMaterialSummary[]>`coalesce((
    select json_agg(json_build_object(
      'id', mt.id, 'title', mt.title, 'kind', mt.kind, 'url', mt.url, 'fileName', mt.file_name, 'contentType', mt.content_type,
      'sizeBytes', mt.size_bytes, 'sha256', mt.sha256, 'agendaItemId', mt.agenda_item_id, 'required', mt.required,
      'contentVersion', mt.content_version, 'late', mt.late,
      'sharedAt', ${isoSql('mt.shared_at')}, 'version', mt.version
    ) order by mt.created_at, mt.id)
    from materials mt
    where mt.organization_id = meetings.organization_id and mt.meeting_id = meetings.id), '[]'::json)`;
}
