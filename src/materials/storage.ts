import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { materialFileChunks, materialFiles } from '../../db/schema/index.js';
import type { Db, Tx } from '../platform/database.js';
import { HttpProblem } from '../platform/errors.js';

// Files live in PostgreSQL as rows of CHUNK_BYTES, so neither an upload nor a download ever holds
// more than a few pieces of a file in memory, whatever its size.
export const CHUNK_BYTES = 256 * 1024;
const HEAD_BYTES = 64 * 1024;
const READ_BATCH = 4;

export interface ReadBytes {
  sizeBytes: number;
  sha256: string;
  /** The first bytes, for content-type detection. */
  head: Buffer;
}

export class FileTooLarge extends HttpProblem {
  constructor(maxBytes: number) {
    super(413, `The file is larger than the ${maxBytes} bytes this service accepts.`);
  }
}

/**
 * Reads an uploaded file stream in CHUNK_BYTES pieces, hashing as it goes, and awaits `onPiece`
 * for each (that wait is the backpressure on the client). A stream cut short by the multipart size
 * limit (busboy marks it `truncated`) is refused with 413.
 */
export async function readPieces(
  stream: AsyncIterable<Buffer> & { truncated?: boolean },
  maxBytes: number,
  onPiece: ((piece: Buffer, seq: number) => Promise<void>) | null,
): Promise<ReadBytes> {
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let sizeBytes = 0;
  let seq = 0;
  let head: Buffer | null = null;
  const flush = async (piece: Buffer) => {
    if (head === null) head = Buffer.from(piece.subarray(0, HEAD_BYTES));
    if (onPiece) await onPiece(piece, seq);
    seq++;
  };
  for await (const chunk of stream) {
    hash.update(chunk);
    sizeBytes += chunk.length;
    pending.push(chunk);
    pendingBytes += chunk.length;
    while (pendingBytes >= CHUNK_BYTES) {
      const all = Buffer.concat(pending, pendingBytes);
      await flush(all.subarray(0, CHUNK_BYTES));
      const rest = all.subarray(CHUNK_BYTES);
      pending = rest.length > 0 ? [Buffer.from(rest)] : [];
      pendingBytes = rest.length;
    }
  }
  if (stream.truncated || sizeBytes > maxBytes) throw new FileTooLarge(maxBytes);
  if (pendingBytes > 0) await flush(Buffer.concat(pending, pendingBytes));
  return { sizeBytes, sha256: hash.digest('hex'), head: head ?? Buffer.alloc(0) };
}

/** Streams an upload into a new stored file inside the caller's transaction. */
export async function storeFile(tx: Tx, organizationId: string, stream: AsyncIterable<Buffer> & { truncated?: boolean }, maxBytes: number) {
  const [file] = await tx.insert(materialFiles).values({ organizationId }).returning({ id: materialFiles.id });
  const fileId = file!.id;
  const read = await readPieces(stream, maxBytes, async (data, seq) => {
    await tx.insert(materialFileChunks).values({ organizationId, fileId, seq, data });
  });
  await tx.update(materialFiles).set({ sizeBytes: read.sizeBytes, sha256: read.sha256 }).where(eq(materialFiles.id, fileId));
  return { fileId, ...read };
}

/**
 * The stored bytes as a stream that reads a few pieces at a time, only as fast as the client takes
 * them. Versions are immutable, so reading outside a transaction sees the same bytes unless the
 * material is deleted meanwhile, which ends the download with an error rather than short data.
 */
export function fileStream(db: Db, organizationId: string, fileId: string, sizeBytes: number): Readable {
  const pieces = Math.ceil(sizeBytes / CHUNK_BYTES);
  async function* read() {
    for (let from = 0; from < pieces; from += READ_BATCH) {
      const rows = await db
        .select({ seq: materialFileChunks.seq, data: materialFileChunks.data })
        .from(materialFileChunks)
        .where(and(eq(materialFileChunks.organizationId, organizationId), eq(materialFileChunks.fileId, fileId), gte(materialFileChunks.seq, from), lt(materialFileChunks.seq, from + READ_BATCH)))
        .orderBy(asc(materialFileChunks.seq));
      const expected = Math.min(READ_BATCH, pieces - from);
      if (rows.length !== expected) throw new Error(`stored file ${fileId} is missing pieces from ${from}`);
      for (const row of rows) yield row.data;
    }
  }
  return Readable.from(read(), { objectMode: false, highWaterMark: CHUNK_BYTES });
}
