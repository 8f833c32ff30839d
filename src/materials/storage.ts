import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type postgres from 'postgres';
import { and, asc, eq, gte, lt } from 'drizzle-orm';
import { materialFileChunks, materialFiles } from '../../db/schema/index.js';
import { clientOf, type Db, type Tx } from '../platform/database.js';
import { HttpProblem } from '../platform/errors.js';

// Files live in PostgreSQL as rows of CHUNK_BYTES, so neither an upload nor a download ever holds
// more than a few pieces of a file in memory, whatever its size (bench/materials-rss.ts measures it).
export const CHUNK_BYTES = 256 * 1024;
const READ_BATCH = 2;
const HEAD_BYTES = 64 * 1024;

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

const uuidBytes = (id: string) => Buffer.from(id.replace(/-/g, ''), 'hex');
const COPY_HEADER = Buffer.concat([Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)]);
const COPY_TRAILER = Buffer.from([0xff, 0xff]);

/**
 * Streams an upload into a new stored file inside the caller's transaction. The pieces go through
 * one binary COPY: bytes travel as they are, where query parameters would turn each piece into a
 * hex string twice its size plus several copies (see bench/materials-rss.ts for the difference).
 * The COPY lasts as long as the client takes to send the file; `signal` (the request's deadline)
 * ends it sooner, and the uploads' pool bounds it on the server's side as well (database.ts).
 */
export async function storeFile(tx: Tx, organizationId: string, stream: AsyncIterable<Buffer> & { truncated?: boolean }, maxBytes: number, signal: AbortSignal) {
  signal.throwIfAborted();
  const [file] = await tx.insert(materialFiles).values({ organizationId }).returning({ id: materialFiles.id });
  const fileId = file!.id;
  const copy = await clientOf<postgres.TransactionSql>(tx)`copy material_file_chunks (organization_id, file_id, seq, data) from stdin with (format binary)`.writable();
  const send = async (chunk: Buffer) => {
    if (!copy.write(chunk)) await once(copy, 'drain', { signal });
  };
  const keys = Buffer.concat([Buffer.from([0, 4, 0, 0, 0, 16]), uuidBytes(organizationId), Buffer.from([0, 0, 0, 16]), uuidBytes(fileId), Buffer.from([0, 0, 0, 4])]);
  let read: ReadBytes;
  try {
    await send(COPY_HEADER);
    read = await readPieces(stream, maxBytes, async (piece, seq) => {
      const prefix = Buffer.alloc(keys.length + 8);
      keys.copy(prefix);
      prefix.writeInt32BE(seq, keys.length);
      prefix.writeInt32BE(piece.length, keys.length + 4);
      await send(Buffer.concat([prefix, piece]));
    });
    await send(COPY_TRAILER);
    copy.end();
    await finished(copy);
  } catch (err) {
    // A refused, broken or abandoned upload fails the COPY (CopyFail): PostgreSQL ends it at once,
    // whatever the client still sends or not, and the transaction rolls back as a whole.
    copy.destroy(err as Error);
    await finished(copy).catch(() => {});
    throw err;
  }
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
