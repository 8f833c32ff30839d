// The one Markdown encoder: text a person typed (a title, a name, an objective) becomes Markdown
// that every CommonMark renderer (GFM tables, strikethrough and linkify included) shows as exactly
// that text, and never as HTML, a link, an image or a structure of its own. Backslash escapes are
// CommonMark's own way to say "this character is text" (any ASCII punctuation may be escaped), so
// the page stays readable as plain text in a mail client too. Only what a renderer gives meaning
// to is escaped, which keeps `Kick-off (Q1), 3 days` as it is.

// Escaped wherever they stand: the backslash, code spans, emphasis, links and images, raw HTML and
// autolinks, entity references, strikethrough, table cells, a heading's closing `#`s; and what
// linkify (markdown-it's, GFM's autolink extension) needs to turn `https://…`, `www.x.org`, `x.org`
// or `a@b.org` into a link with no syntax at all: an escape splits the text it would match.
const SIGNIFICANT = /[\\`*_[\]<&~|#@]|[.:](?=\S)/g;
// At the start of a line a character can open a block: a list (`-`, `+`, `1.`, `1)`), a quote,
// a setext underline (`=`); an indented line would be code.
const BLOCK_START = /^([-+=>]|\d{1,9}(?=[.)]))/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;

declare const encoded: unique symbol;
/** Markdown source: either encoded by this module or composed by the service from its own words and numbers. */
export type Markdown = string & { readonly [encoded]: true };

/** Text the service composed itself (dates, counts, its own words): nothing in it needs escaping. */
export const composed = (text: string) => text as Markdown;

function encodeLine(line: string): Markdown {
  const text = line.replace(CONTROL, '').trim();
  const escaped = text.replace(SIGNIFICANT, '\\$&');
  const m = BLOCK_START.exec(escaped);
  if (!m) return escaped as Markdown;
  // `1.` / `1)`: the delimiter after the digits is what opens the list.
  return (/\d/.test(m[1]!) ? `${m[1]}\\${escaped.slice(m[1]!.length)}` : `\\${escaped}`) as Markdown;
}

/** Text on one line (a heading, a list item, a table cell): line breaks become spaces. */
export function markdownText(value: string): Markdown {
  return encodeLine(value.replace(/\s*[\r\n]+\s*/g, ' '));
}

/** Text over several lines, each encoded on its own (for a block quote, prefix each with `> `). */
export function markdownLines(value: string): Markdown[] {
  return value.split(/\r\n|\r|\n/).map(encodeLine);
}
