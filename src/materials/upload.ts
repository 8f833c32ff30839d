import { createHash } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { Tx } from '../platform/database.js';
import { BadRequest } from '../platform/errors.js';
import { cleanFileName, detectContentType, effectiveContentType, normaliseDeclared } from './content-type.js';
import { readPieces, storeFile } from './storage.js';

export const MAX_FIELDS = 10;
const FIELD_BYTES = 4096;

/** A file as stored (or, for an idempotent retry, only read and hashed). */
export interface UploadedFile {
  fileId: string | null;
  fileName: string;
  contentType: string;
  declaredContentType: string | null;
  detectedContentType: string | null;
  sizeBytes: number;
  sha256: string;
}

/**
 * One multipart request, read once. Parts are handled in the order they arrive: the file is
 * streamed into storage as it comes (fields may come before or after it), and the text fields are
 * collected for validation once the body has been read.
 */
export class MultipartUpload {
  readonly fields: Record<string, string> = {};
  file: UploadedFile | null = null;
  private read = false;

  constructor(
    private readonly req: FastifyRequest,
    private readonly maxBytes: number,
  ) {}

  /** Reads the whole body; with a transaction the file's bytes are stored, without one only hashed. */
  async consume(store: { tx: Tx; organizationId: string } | null): Promise<void> {
    if (this.read) throw new Error('the request body was already read');
    this.read = true;
    const parts = this.req.parts({ limits: { fileSize: this.maxBytes, files: 1, fields: MAX_FIELDS, fieldSize: FIELD_BYTES, parts: MAX_FIELDS + 1 } });
    for await (const part of parts) {
      if (part.type === 'file') await this.takeFile(part, store);
      else this.takeField(part);
    }
    if (!this.file) throw new BadRequest('The form has no `file` part.', [{ path: 'body.file', message: 'required' }]);
  }

  private async takeFile(part: MultipartFile, store: { tx: Tx; organizationId: string } | null) {
    if (part.fieldname !== 'file') {
      throw new BadRequest(`Files go in the \`file\` part, not \`${part.fieldname}\`.`, [{ path: `body.${part.fieldname}`, message: 'unknown file part' }]);
    }
    const fileName = cleanFileName(part.filename);
    if (!fileName || fileName.length > 255) {
      throw new BadRequest('The file part needs a file name of 1 to 255 characters.', [{ path: 'body.file', message: 'invalid file name' }]);
    }
    const read = store ? await storeFile(store.tx, store.organizationId, part.file, this.maxBytes) : { fileId: null, ...(await readPieces(part.file, this.maxBytes, null)) };
    if (read.sizeBytes === 0) throw new BadRequest('The file is empty.', [{ path: 'body.file', message: 'empty file' }]);
    const declared = normaliseDeclared(part.mimetype);
    const detected = detectContentType(read.head);
    this.file = {
      fileId: read.fileId,
      fileName,
      contentType: effectiveContentType(detected, declared),
      declaredContentType: declared,
      detectedContentType: detected,
      sizeBytes: read.sizeBytes,
      sha256: read.sha256,
    };
  }

  private takeField(part: MultipartValue) {
    const name = part.fieldname;
    if (part.fieldnameTruncated || part.valueTruncated) {
      throw new BadRequest(`The form field \`${name}\` is longer than ${FIELD_BYTES} bytes.`, [{ path: `body.${name}`, message: 'too long' }]);
    }
    if (name === 'file') throw new BadRequest('`file` must be a file part, with a file name.', [{ path: 'body.file', message: 'not a file' }]);
    if (name in this.fields) throw new BadRequest(`The form field \`${name}\` is given twice.`, [{ path: `body.${name}`, message: 'duplicate field' }]);
    this.fields[name] = String(part.value);
  }

  /**
   * What identifies this request for Idempotency-Key: method, path, fields and the file's name,
   * declared type and SHA-256. Reads (without storing) a body not yet read, to check a retry.
   */
  async fingerprint(): Promise<string> {
    if (!this.read) await this.consume(null);
    const f = this.file;
    const h = createHash('sha256');
    h.update(`${this.req.method} ${this.req.url.split('?')[0]}\n`);
    h.update(JSON.stringify([Object.entries(this.fields).sort(), f && [f.fileName, f.declaredContentType, f.sizeBytes, f.sha256]]));
    return h.digest('hex');
  }
}
