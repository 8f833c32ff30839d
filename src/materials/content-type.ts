// What a stored file is, judged from its first bytes rather than from what the uploader claimed,
// and how to name it in a download.

const startsWith = (head: Buffer, magic: number[], offset = 0) => head.length >= offset + magic.length && magic.every((b, i) => head[offset + i] === b);

const ooxml: [marker: string, type: string][] = [
  ['word/', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'],
  ['xl/', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet'],
  ['ppt/', 'application/vnd.openxmlformats-officedocument.presentationml.presentation'],
];

/** Readable text: valid UTF-8 (a sequence cut at the end of `head` is fine) without control bytes. */
function looksLikeText(head: Buffer): boolean {
  if (head.length === 0) return false;
  for (const b of head) if (b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d && b !== 0x0c) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(head, { stream: true });
    return true;
  } catch {
    return false;
  }
}

/** The content type the magic numbers of `head` (the file's first bytes) show, or null. */
export function detectContentType(head: Buffer): string | null {
  if (startsWith(head, [0x25, 0x50, 0x44, 0x46, 0x2d])) return 'application/pdf';
  if (startsWith(head, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (startsWith(head, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (startsWith(head, [0x47, 0x49, 0x46, 0x38]) && (head[4] === 0x37 || head[4] === 0x39) && head[5] === 0x61) return 'image/gif';
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) {
    // An Office Open XML document is a zip whose first entries name its part folder.
    const names = head.subarray(0, 64 * 1024).toString('latin1');
    if (names.includes('[Content_Types].xml')) for (const [marker, type] of ooxml) if (names.includes(marker)) return type;
    return 'application/zip';
  }
  if (startsWith(head, [0xef, 0xbb, 0xbf]) || looksLikeText(head)) return 'text/plain';
  return null;
}

// Types a browser would render or run from our origin: never served as declared.
const active = /^(text\/html|application\/xhtml\+xml|image\/svg\+xml|text\/javascript|application\/javascript|application\/ecmascript|text\/xml|application\/xml)$/;
const mediaType = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The uploader's claim, reduced to a bare lower-case media type, or null when unusable. */
export function normaliseDeclared(declared: string | undefined): string | null {
  const bare = (declared ?? '').split(';')[0]!.trim().toLowerCase();
  return mediaType.test(bare) ? bare : null;
}

/**
 * The type served on download. The bytes win; the claim is kept only where it refines them (a
 * `.csv` is text, a `.odt` is a zip) or where the bytes say nothing, and never for a type a
 * browser would execute.
 */
export function effectiveContentType(detected: string | null, declared: string | null): string {
  if (declared && !active.test(declared)) {
    if (detected === 'text/plain' && declared.startsWith('text/')) return declared;
    if (detected === 'application/zip' && (declared.endsWith('+zip') || declared.startsWith('application/vnd.'))) return declared;
    if (detected === null) return declared;
  }
  if (detected === 'text/plain') return 'text/plain; charset=utf-8';
  return detected ?? 'application/octet-stream';
}

/** A file name as sent, without path or control characters; null when nothing is left. */
export function cleanFileName(name: string | undefined): string | null {
  const base = (name ?? '').split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return cleaned.length > 0 ? cleaned : null;
}

// A download's name goes out through the one header-parameter encoder.
export { attachmentDisposition as contentDisposition } from '../platform/header-parameters.js';
