import { z } from 'zod';
import { BadRequest } from '../platform/errors.js';
import { Id, resourceMeta, text, Timestamp } from '../platform/schemas.js';
import { MaterialKind } from './summary.js';

const url = z.url({ protocol: /^https?$/ }).max(2048).describe('An http(s) URL.');
const agendaItemId = Id.nullable().optional().describe('The agenda item this material prepares; an item of the same meeting.');
const required = z.boolean().optional().describe('Participants are expected to read it before the meeting (default false).');

export const NewLinkMaterial = z
  .strictObject({ title: text(300), url, agendaItemId, required })
  .meta({
    id: 'NewLinkMaterial',
    description:
      'A link shared as a pre-read (`application/json`). To share a file instead, send `multipart/form-data` with a `file` part and the optional fields `title` (default: the file name), `agendaItemId` and `required` (`true`/`false`).',
  });

const formField = (description: string, extra: Record<string, unknown> = {}) => ({ type: 'string', description, ...extra });

/**
 * A create or new-version request body: JSON for a link, or null when the request is multipart
 * (the file is read as a stream in the handler). The OpenAPI document gets one schema per media
 * type, the multipart one describing the form.
 */
export function jsonOrForm<T extends z.ZodType>(json: T, ref: string, form: Record<string, unknown>) {
  return json.nullable().meta({
    content: {
      'application/json': { schema: { $ref: `#/components/schemas/${ref}` } },
      'multipart/form-data': { schema: { type: 'object', required: ['file'], properties: form, additionalProperties: false } },
    },
  });
}

export const uploadForm = {
  file: formField('The file, with its name and Content-Type; at most LIAISON_MATERIAL_MAX_BYTES.', { format: 'binary' }),
  title: formField('Default: the file name.', { maxLength: 300 }),
  agendaItemId: formField('An agenda item of the same meeting.', { format: 'uuid' }),
  required: formField('Participants are expected to read it before the meeting.', { enum: ['true', 'false'] }),
};
export const versionForm = { file: uploadForm.file };

export const MaterialPatch = z.strictObject({ title: text(300), agendaItemId, required: z.boolean() }).partial().meta({ id: 'MaterialPatch' });

export const NewLinkVersion = z
  .strictObject({ url })
  .meta({ id: 'NewLinkVersion', description: 'A new URL for a link material (`application/json`). A file material takes `multipart/form-data` with a `file` part.' });

/** The fields of a multipart upload, all text; unknown ones are refused like unknown JSON fields. */
export const UploadFields = z.strictObject({
  title: text(300).optional(),
  agendaItemId: Id.optional(),
  required: z.stringbool().optional(),
});

const contentFields = {
  kind: MaterialKind,
  url: z.string().nullable().describe('The link (kind `link`).'),
  fileName: z.string().nullable().describe('The uploaded file\'s name (kind `file`).'),
  contentType: z.string().nullable().describe('What downloads are served as: the detected type, refined by the declared one where compatible.'),
  declaredContentType: z.string().nullable().describe('The type the uploader declared for the file part.'),
  detectedContentType: z.string().nullable().describe('The type the file\'s first bytes show (PDF, PNG, JPEG, GIF, ZIP/OOXML, text), null when unknown.'),
  sizeBytes: z.number().int().nullable(),
  sha256: z.string().nullable().describe('Hex SHA-256 of the bytes; the download\'s ETag.'),
};

export const Material = z
  .object({
    ...resourceMeta,
    meetingId: Id,
    agendaItemId: Id.nullable(),
    title: z.string(),
    ...contentFields,
    required: z.boolean(),
    contentVersion: z.number().int().describe('Number of the current content version; `GET …/versions` lists them all.'),
    sharedAt: Timestamp.describe('When the first version was shared.'),
    late: z.boolean().describe('The first version was shared after the meeting\'s `materialsDueAt`.'),
  })
  .meta({ id: 'Material' });

export const MaterialVersion = z
  .object({
    materialId: Id,
    contentVersion: z.number().int(),
    ...contentFields,
    sharedAt: Timestamp,
    late: z.boolean().describe('This version was shared after the meeting\'s `materialsDueAt`.'),
  })
  .meta({ id: 'MaterialVersion' });

export const NewAcknowledgement = z
  .strictObject({
    personId: Id.describe('A person of the organisation who has read the material.'),
    contentVersion: z.number().int().min(1).max(1_000_000).optional().describe('The version read; default the current one.'),
  })
  .meta({ id: 'NewMaterialAcknowledgement' });

export const Acknowledgement = z
  .object({ id: Id, materialId: Id, contentVersion: z.number().int(), personId: Id, acknowledgedAt: Timestamp })
  .meta({ id: 'MaterialAcknowledgement' });

export const ContentQuery = z.object({
  version: z.coerce.number().int().min(1).max(1_000_000).optional().describe('A content version number from `GET …/versions`; default the current one.'),
});

export type NewLinkMaterial = z.infer<typeof NewLinkMaterial>;
export type MaterialPatch = z.infer<typeof MaterialPatch>;
export type NewAcknowledgement = z.infer<typeof NewAcknowledgement>;
export type ApiMaterial = z.infer<typeof Material>;

/** Validates multipart fields with the same problem answer a JSON body gets. */
export function parseUploadFields(fields: Record<string, string>) {
  const parsed = UploadFields.safeParse(fields);
  if (parsed.success) return parsed.data;
  const errors = parsed.error.issues.flatMap((i) =>
    i.code === 'unrecognized_keys' ? i.keys.map((k) => ({ path: `body.${k}`, message: 'unknown field' })) : [{ path: `body.${i.path.join('.')}`, message: i.message }],
  );
  throw new BadRequest(`The form is invalid: ${errors.map((e) => `${e.path}: ${e.message}`).slice(0, 3).join('; ')}`, errors);
}

/** A new file version is only its `file` part: any other field is refused. */
export function refuseFields(fields: Record<string, string>) {
  const names = Object.keys(fields);
  if (names.length === 0) return;
  throw new BadRequest(`A new version takes only a \`file\` part; change ${names.join(', ')} with PATCH.`, names.map((n) => ({ path: `body.${n}`, message: 'unknown field' })));
}
