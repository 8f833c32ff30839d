import { z } from 'zod';
import multipart from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { ChangeRecorder } from '../platform/changes.js';
import type { Pool } from '../platform/database.js';
import { deadlineSignal } from '../platform/deadline.js';
import { BadRequest, HttpProblem } from '../platform/errors.js';
import { checkIfMatch, setEtag } from '../platform/etag.js';
import { mutate } from '../platform/mutation.js';
import { createdKey, listOf, page, pageQuery } from '../platform/pagination.js';
import { errorResponses, Id } from '../platform/schemas.js';
import { acknowledge, acknowledgedKey, listAcknowledgements, toApiAcknowledgement } from './acknowledgements.js';
import { contentDisposition } from './content-type.js';
import { addVersion, assertKind, assertMeetingOpen, createMaterial, deleteMaterial, findMaterial, findMaterialMeeting, findVersion, listMaterials, listVersions, toApiMaterial, toApiVersion, updateMaterial, type Content } from './materials.js';
import { Acknowledgement, ContentQuery, Material, MaterialPatch, MaterialVersion, NewAcknowledgement, NewLinkMaterial, NewLinkVersion, jsonOrForm, parseUploadFields, refuseFields, uploadForm, versionForm } from './schemas.js';
import { fileStream } from './storage.js';
import { MAX_FIELDS, MultipartUpload, UploadSlots } from './upload.js';

const meetingParams = z.object({ meetingId: Id });
const materialParams = z.object({ materialId: Id });
const tags = ['Materials'];

/** Only JSON (a link) and multipart (a file) are read; anything else is 415 before any work. */
async function jsonOrMultipart(req: FastifyRequest) {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && type !== 'multipart/form-data') {
    throw new HttpProblem(415, 'Send application/json for a link or multipart/form-data with a `file` part for a file.');
  }
}

/** The JSON body, or null for a multipart request (read later, as a stream). */
function jsonBody<T>(req: FastifyRequest, body: T | null): T | null {
  if (req.isMultipart()) return null;
  if (body === null) throw new BadRequest('The body must be a JSON object.', [{ path: 'body', message: 'expected object' }]);
  return body;
}

/** If-None-Match against the download's ETag, by weak comparison as RFC 9110 §13.1.2 prescribes. */
function notModified(req: FastifyRequest, etag: string): boolean {
  const header = req.headers['if-none-match'];
  if (!header) return false;
  return header.split(',').some((t) => {
    const tag = t.trim();
    return tag === '*' || tag === etag || tag === `W/${etag}`;
  });
}

/** `uploads`: the pool that file uploads run on, never the one every other request needs. */
export const materialRoutes: FastifyPluginAsyncZod<{ uploads: Pool }> = async (app, { uploads }) => {
  const maxBytes = app.config.materialMaxBytes;
  // Registered here so that only these routes accept multipart bodies; parts are streamed, never
  // attached to the body, and the limits below are applied again per request.
  await app.register(multipart, { limits: { fileSize: maxBytes, files: 1, fields: MAX_FIELDS, parts: MAX_FIELDS + 1 } });

  const slots = new UploadSlots(uploads.max);
  /**
   * Runs an upload's write: the file is streamed into storage inside a transaction of the uploads'
   * pool, in one of its slots (503 when none is free). Null when the request passed its deadline:
   * it was answered 503 then, and its transaction rolled back.
   */
  const upload = async <T>(req: FastifyRequest, reply: FastifyReply, status: number, fn: (u: MultipartUpload, rec: ChangeRecorder) => Promise<T>): Promise<T | null> => {
    const release = slots.take();
    const signal = deadlineSignal(req);
    const u = new MultipartUpload(req, maxBytes, signal);
    try {
      return await mutate(req, reply, status, (rec) => fn(u, rec), { fingerprint: () => u.fingerprint(), db: uploads.db });
    } catch (err) {
      if (signal.aborted) return null;
      throw err;
    } finally {
      release();
    }
  };
  const fileContent = (u: MultipartUpload): Content => ({ kind: 'file', ...u.file! });

  // Uploads stream up to LIAISON_MATERIAL_MAX_BYTES, so they get the longer upload deadline, and
  // are aborted when it passes (see platform/deadline.ts).
  const uploadConfig = { deadlineMs: app.config.uploadTimeoutMs, streamsBody: true };
  app.post('/v1/meetings/:meetingId/materials', {
    config: { ...uploadConfig, access: 'participant' },
    onRequest: jsonOrMultipart,
    schema: {
      operationId: 'createMaterial', tags, summary: 'Share a pre-read: a link (JSON) or a file (multipart/form-data)',
      description:
        'A link as `application/json`, or a file as `multipart/form-data` with a `file` part and optional `title`, `agendaItemId` and `required` fields. Files are limited to `LIAISON_MATERIAL_MAX_BYTES` (413 beyond); an empty file is 400. `late` is set when shared after the meeting\'s `materialsDueAt`; sharing after the invitations went out emits `material.shared`. An `agendaItemId` that is not on this meeting\'s agenda is 400; a cancelled or completed meeting refuses new materials (409). A file is refused with 503 and `Retry-After` while the server is already receiving `LIAISON_UPLOAD_CONCURRENCY` uploads, and answered 503 if it has not fully arrived by the upload deadline (nothing is stored then).',
      params: meetingParams,
      // A multipart body is read in the handler as a stream, so validation sees it as null.
      body: jsonOrForm(NewLinkMaterial, 'NewLinkMaterial', uploadForm),
      response: { 201: Material, ...errorResponses },
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    const meetingId = req.params.meetingId;
    const body = jsonBody(req, req.body);
    const material = body
      ? await mutate(req, reply, 201, async (rec) => {
          const meeting = await findMaterialMeeting(rec.tx, org, meetingId, { lock: true });
          assertMeetingOpen(meeting);
          return createMaterial(rec, meeting, { title: body.title, agendaItemId: body.agendaItemId, required: body.required, content: { kind: 'link', url: body.url } });
        })
      : await upload(req, reply, 201, async (u, rec) => {
          // Checked before reading the body, and again under a lock once the bytes are stored.
          assertMeetingOpen(await findMaterialMeeting(rec.tx, org, meetingId));
          await u.consume({ tx: rec.tx, organizationId: org });
          const fields = parseUploadFields(u.fields);
          const meeting = await findMaterialMeeting(rec.tx, org, meetingId, { lock: true });
          assertMeetingOpen(meeting);
          return createMaterial(rec, meeting, { title: fields.title ?? u.file!.fileName, agendaItemId: fields.agendaItemId, required: fields.required, content: fileContent(u) });
        });
    if (!material) return;
    setEtag(reply, material);
    return material;
  });

  app.get('/v1/meetings/:meetingId/materials', {
    config: { access: 'member' },
    schema: {
      operationId: 'listMaterials', tags, summary: 'List a meeting\'s materials',
      description:
        'The meeting\'s materials, oldest first, each with its kind, current version, size, SHA-256, `required` flag, `late` and when it was shared. An unknown meeting is 404.',
      params: meetingParams, querystring: z.object(pageQuery), response: { 200: listOf(Material), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listMaterials(app.db, req.auth.organizationId, req.params.meetingId, req.query);
    return page(req, reply, rows, req.query.limit, createdKey, toApiMaterial);
  });

  app.get('/v1/materials/:materialId', {
    config: { access: 'member' },
    schema: {
      operationId: 'getMaterial', tags, summary: 'Get a material',
      description:
        'Returns one material with its `ETag`. An unknown id, or another organisation\'s, is 404.',
      params: materialParams, response: { 200: Material, ...errorResponses },
    },
  }, async (req, reply) => {
    const material = toApiMaterial(await findMaterial(app.db, req.auth.organizationId, req.params.materialId));
    setEtag(reply, material);
    return material;
  });

  app.patch('/v1/materials/:materialId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'updateMaterial', tags, summary: 'Update a material\'s title, agenda item or required flag',
      description:
        'Changes a material\'s title, agenda item or `required` flag. Refuses an `agendaItemId` that is not on the same meeting\'s agenda (400), a cancelled or completed meeting (409) and a stale `If-Match` (412).',
      params: materialParams, body: MaterialPatch, response: { 200: Material, ...errorResponses },
    },
  }, async (req, reply) => {
    return mutate(req, reply, 200, (rec) => updateMaterial(rec, req.params.materialId, req.body, (v) => checkIfMatch(req, v)));
  });

  app.delete('/v1/materials/:materialId', {
    config: { access: 'integration' },
    schema: {
      operationId: 'deleteMaterial', tags, summary: 'Delete a material with all its versions',
      description:
        'Deletes a material with all its versions. Refused once the meeting is cancelled or completed (409); a stale `If-Match` is 412, an unknown material 404.',
      params: materialParams, response: { 204: z.undefined().describe('Deleted'), ...errorResponses },
    },
  }, async (req, reply) => {
    await mutate(req, reply, 204, (rec) => deleteMaterial(rec, req.params.materialId, (v) => checkIfMatch(req, v)));
    return reply.send(undefined);
  });

  app.get('/v1/materials/:materialId/content', {
    config: { access: 'member' },
    schema: {
      operationId: 'downloadMaterial', tags, summary: 'Download a file material\'s bytes',
      description:
        'Streams the stored bytes of the current version (or `?version=N`) with `ETag` (the SHA-256 in quotes), the stored `Content-Type` and `Content-Disposition: attachment` carrying the file name (RFC 6266, UTF-8 via `filename*`). `If-None-Match` with that ETag answers 304. A link material has no bytes: 409 (fetch its `url`). An unknown material or version is 404.',
      params: materialParams,
      querystring: ContentQuery,
      response: {
        200: { description: 'The file\'s bytes.', content: { 'application/octet-stream': { schema: z.string().describe('The bytes, served with the stored Content-Type.') } } },
        304: z.undefined().describe('Not modified: the If-None-Match ETag is current.'),
        ...errorResponses,
      },
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    const material = await findMaterial(app.db, org, req.params.materialId);
    assertKind(material, 'file');
    const version = await findVersion(app.db, org, material.id, req.query.version ?? material.contentVersion);
    const etag = `"${version.sha256}"`;
    reply.header('etag', etag);
    if (notModified(req, etag)) return reply.code(304).send();
    reply
      .header('content-type', version.contentType ?? 'application/octet-stream')
      .header('content-length', String(version.sizeBytes))
      .header('content-disposition', contentDisposition(version.fileName ?? 'download'))
      // Uploaded bytes are never rendered or sniffed as active content from the API's origin.
      .header('x-content-type-options', 'nosniff')
      .header('content-security-policy', "default-src 'none'; sandbox");
    // The response schema describes the bytes for OpenAPI; a stream goes out unserialised.
    return reply.send(fileStream(app.db, org, version.fileId!, version.sizeBytes ?? 0) as never);
  });

  app.get('/v1/materials/:materialId/versions', {
    config: { access: 'member' },
    schema: {
      operationId: 'listMaterialVersions', tags, summary: 'List a material\'s content versions, oldest first',
      description:
        'Every content version of a material, oldest first, each with its number, size, SHA-256, content type and file name or URL, and when it was shared. An unknown material is 404.',
      params: materialParams, querystring: z.object(pageQuery), response: { 200: listOf(MaterialVersion), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listVersions(app.db, req.auth.organizationId, req.params.materialId, req.query);
    return page(req, reply, rows, req.query.limit, (r) => [r.contentVersion], toApiVersion);
  });

  app.post('/v1/materials/:materialId/versions', {
    config: { ...uploadConfig, access: 'participant' },
    onRequest: jsonOrMultipart,
    schema: {
      operationId: 'createMaterialVersion', tags, summary: 'Share a new version of a material',
      description:
        'A link material takes JSON `{ "url": … }`; a file material takes `multipart/form-data` with a `file` part (409 for the other kind). Earlier versions stay readable (`GET …/content?version=N`). Emits `material.shared` when the meeting\'s invitations are out. Refused once the meeting is cancelled or completed (409). Uploads are refused (503 with `Retry-After`) as for `createMaterial`.',
      params: materialParams,
      body: jsonOrForm(NewLinkVersion, 'NewLinkVersion', versionForm),
      response: { 201: Material, ...errorResponses },
    },
  }, async (req, reply) => {
    const org = req.auth.organizationId;
    const id = req.params.materialId;
    const body = jsonBody(req, req.body);
    const lockOpen = async (rec: ChangeRecorder, kind: 'link' | 'file') => {
      const current = await findMaterial(rec.tx, org, id, { forUpdate: true });
      assertKind(current, kind);
      const meeting = await findMaterialMeeting(rec.tx, org, current.meetingId, { lock: true });
      assertMeetingOpen(meeting);
      return { current, meeting };
    };
    const material = body
      ? await mutate(req, reply, 201, async (rec) => {
          const { current, meeting } = await lockOpen(rec, 'link');
          return addVersion(rec, current, meeting, { kind: 'link', url: body.url });
        })
      : await upload(req, reply, 201, async (u, rec) => {
          const { current, meeting } = await lockOpen(rec, 'file');
          await u.consume({ tx: rec.tx, organizationId: org });
          refuseFields(u.fields);
          return addVersion(rec, current, meeting, fileContent(u));
        });
    if (!material) return;
    setEtag(reply, material);
    return material;
  });

  app.post('/v1/materials/:materialId/acknowledgements', {
    config: { access: 'self' },
    schema: {
      operationId: 'acknowledgeMaterial', tags, summary: 'Record that a person has read a material',
      description:
        'Records that a person has read a version of the material (the current one unless `contentVersion` is given). Once per person and version: the first record answers 201, a repeat 200 with the same record. Refuses a `personId` that names no person of the organisation and a `contentVersion` the material does not have (400); an unknown material is 404.',
      params: materialParams, body: NewAcknowledgement, response: { 200: Acknowledgement, 201: Acknowledgement, ...errorResponses },
    },
  }, async (req, reply) => {
    let created = true;
    const ack = await mutate(req, reply, 201, async (rec) => {
      const out = await acknowledge(rec, req.params.materialId, req.body);
      created = out.created;
      return out.acknowledgement;
    });
    if (!created) reply.code(200);
    return ack;
  });

  app.get('/v1/materials/:materialId/acknowledgements', {
    config: { access: 'member' },
    schema: {
      operationId: 'listMaterialAcknowledgements', tags, summary: 'Who has read a material',
      description:
        'Who has read a material and which version, in the order they acknowledged it; `contentVersion` keeps one version. An unknown material is 404.',
      params: materialParams,
      querystring: z.object({ ...pageQuery, contentVersion: z.coerce.number().int().min(1).max(1_000_000).optional().describe('Only acknowledgements of this version.') }),
      response: { 200: listOf(Acknowledgement), ...errorResponses },
    },
  }, async (req, reply) => {
    const rows = await listAcknowledgements(app.db, req.auth.organizationId, req.params.materialId, req.query);
    return page(req, reply, rows, req.query.limit, acknowledgedKey, toApiAcknowledgement);
  });
};
