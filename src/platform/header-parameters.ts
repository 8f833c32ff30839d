// The one encoder for text in HTTP header parameters (RFC 9110 §5.6.6), used for every
// `Content-Disposition` the service sends. A name a person chose (`季度计划.pdf`,
// `a"; filename="x.exe`, `100%.pdf`) reaches the client exactly, and can neither end its quoted
// string, nor add a parameter, nor break the header line.

// A lone surrogate has no UTF-8 form (encodeURIComponent would throw): U+FFFD instead.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
// Only printable ASCII can stand in a quoted-string that every client reads alike; `"` and `\`
// would end it or escape, so they are replaced too.
const NOT_QDTEXT = /[^\x20-\x21\x23-\x5b\x5d-\x7e]/gu;
// A `%XX` in the plain parameter is percent-decoded by some user agents: those that do read
// the exact name from the extended parameter instead.
const PERCENT_ESCAPE = /%[0-9A-Fa-f]{2}/;

/** RFC 8187 `UTF-8''…`: every byte outside attr-char percent-encoded. */
function extValue(text: string): string {
  const encoded = encodeURIComponent(text).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `UTF-8''${encoded}`;
}

/**
 * `name="…"` with an ASCII stand-in for the text (`_` for what it cannot hold) and, whenever the
 * stand-in is not the text itself, `name*=UTF-8''…` with the exact text, which RFC 6266 clients
 * prefer over the plain one.
 */
export function textParameter(name: string, value: string): string {
  const text = value.replace(LONE_SURROGATE, '\uFFFD');
  const fallback = text.replace(NOT_QDTEXT, '_');
  const plain = `${name}="${fallback}"`;
  return fallback === text && !PERCENT_ESCAPE.test(text) ? plain : `${plain}; ${name}*=${extValue(text)}`;
}

/** `Content-Disposition: attachment` naming the file (RFC 6266). */
export const attachmentDisposition = (fileName: string) => `attachment; ${textParameter('filename', fileName)}`;
