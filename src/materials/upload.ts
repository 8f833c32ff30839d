import { createHash } from 'node:crypto';
import { addAbortSignal } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import type { MultipartFile, MultipartValue } from '@fastify/multipart';
import type { Tx } from '../platform/database.js';
import { BadRequest, HttpProblem } from '../platform/errors.js';
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
 * The parts as they arrive, or the abort reason as soon as `signal` fires: a client that stalls
 * between parts (or before the first) would otherwise keep the reader waiting for ever.
 */
async function* untilAborted<T>(parts: AsyncIterable<T>, signal: AbortSignal): AsyncGenerator<T> {
  signal.throwIfAborted();
  const aborted = new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
  aborted.catch(() => {});
  const it = parts[Symbol.asyncIterator]();
  let done = false;
  try {
    for (;;) {
      const next = await Promise.race([it.next(), aborted]);
      if (next.done) {
        done = true;
        return;
      }
      yield next.value;
    }
  } finally {
    // Left early (a refused part, or the deadline): end the parts' own iteration as well.
    if (!done) void it.return?.()?.catch(() => {});
  }
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
    /** The request's deadline: once it fires, reading stops at once, whatever the client does. */
    private readonly signal: AbortSignal,
  ) {}

  /** Reads the whole body; with a transaction the file's bytes are stored, without one only hashed. */
  async consume(store: { tx: Tx; organizationId: string } | null): Promise<void> {
    if (this.read) throw new Error('the request body was already read');
    this.read = true;
    const parts = this.req.parts({ limits: { fileSize: this.maxBytes, files: 1, fields: MAX_FIELDS, fieldSize: FIELD_BYTES, parts: MAX_FIELDS + 1 } });
    for await (const part of untilAborted(parts, this.signal)) {
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
    // Past the deadline the file stream fails, so reading it (and the COPY it feeds) stops. The
    // failure reaches whoever reads it; until then it must not count as an unhandled 'error'.
    addAbortSignal(this.signal, part.file).on('error', () => {});
    const read = store ? await storeFile(store.tx, store.organizationId, part.file, this.maxBytes, this.signal) : { fileId: null, ...(await readPieces(part.file, this.maxBytes, null)) };
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

/** Every upload slot of this process is taken: answered before the body is read. */
export class UploadsBusy extends HttpProblem {
  constructor(size: number) {
    // The body is never read, so the connection closes rather than waiting for it to arrive.
    super(503, `This server is receiving as many uploads as it takes at once (${size}); retry shortly.`, undefined, { 'retry-after': '5', connection: 'close' });
  }
}

/**
 * At most `size` uploads at once, one for each connection of the uploads' pool: one beyond that is
 * refused at once, rather than left to wait for a connection while its client sends the file.
 */
export class UploadSlots {
  private taken = 0;
  constructor(private readonly size: number) {}

  /** Takes a slot and returns the function that gives it back; throws UploadsBusy when none is free. */
  take(): () => void {
    if (this.taken >= this.size) throw new UploadsBusy(this.size);
    this.taken++;
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.taken--;
    };
  }
}
