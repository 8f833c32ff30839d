import { foldLines } from 'ical-generator';

// The one iCalendar (RFC 5545) encoder. Every calendar Liaison emits is written by ical-generator;
// every value a person typed goes through one of the functions below on its way there, and the
// finished text through `finishCalendar`. What ical-generator 10 does with each value, and so what
// is left to do here:
// - TEXT values (SUMMARY, LOCATION, DESCRIPTION): it escapes `\`, `;`, `,` and writes a line break
//   as `\n`, which is right; it does not remove control characters or lone surrogates → `textValue`.
// - Parameter values (CN): it writes `"` + value + `"`, with `\` and `"` backslash-escaped and a
//   line break as `\n`. RFC 5545 knows no escapes in a quoted-string: parsers end the parameter at
//   the `\"` and read the rest of a name as parameters and address (issue 11, `Bob":mailto:…`), so
//   `paramValue` encodes per RFC 6868 first and `finishCalendar` undoes the `\\` it then adds.
// - The CAL-ADDRESS of ORGANIZER and ATTENDEE: it writes `mailto:` / `MAILTO:` + the address
//   TEXT-escaped → `mailtoAddress` leaves nothing there that escaping or a URI would touch, and
//   `finishCalendar` writes the scheme in lowercase.
// - The URL: it TEXT-escapes a URI value too (`a=1;b=2` becomes `a=1\;b=2`, not a URI any more)
//   → `uriValue`, then `finishCalendar` takes the backslashes out again.
// - The RRULE, passed as raw text (so every part of the stored rule is kept): written unescaped
//   → `recurValue`.
// - The calendar: it leaves off the CRLF after `END:VCALENDAR` → `finishCalendar` adds it.

// CONTROL in RFC 5545 §3.1 (every C0 character but HTAB, and DEL) may appear nowhere in a line.
// Line breaks are normalised to `\n` first and then encoded (TEXT: by ical-generator, parameters:
// RFC 6868 here); the rest are removed.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f]/g;
const LINE_BREAK = /\r\n|\r|\n/g;

// A lone surrogate has no UTF-8 form: it becomes U+FFFD, as a UTF-8 encoder would write it.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const wellFormed = (s: string) => s.replace(LONE_SURROGATE, '\uFFFD');

/** Text a line can hold: well-formed, every line break as `\n`, no other control character. */
export const textValue = (s: string) => wellFormed(s).replace(LINE_BREAK, '\n').replace(CONTROL, '');

/**
 * A parameter value for ical-generator to quote: RFC 6868 encoded (`^` as `^^`, a line break as
 * `^n`, `"` as `^'`), which calendar clients decode back into the name; `;`, `:` and `,` are plain
 * text inside the quotes. Empty when nothing writable is left.
 */
export const paramValue = (s: string) =>
  textValue(s)
    .replace(/\^/g, '^^')
    .replace(/\n/g, '^n')
    .replace(/"/g, "^'");

/** Byte of an address kept as it is in a mailto: URI (RFC 6068); every other is %-encoded. */
const ADDRESS_SAFE = /[A-Za-z0-9\-._~!$&'()*+=@]/;

/** The address of a CAL-ADDRESS (§3.3.3), without the scheme ical-generator writes before it. */
export function mailtoAddress(email: string): string {
  let out = '';
  for (const byte of Buffer.from(wellFormed(email), 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte < 0x80 && ADDRESS_SAFE.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * A URI value (§3.3.13): characters no URI may hold (space, controls, `"`, `\`, non-ASCII…)
 * %-encoded. `;` and `,` stay, so the link is the one given; see `finishCalendar`.
 */
export function uriValue(uri: string): string {
  let out = '';
  for (const byte of Buffer.from(wellFormed(uri), 'utf8')) {
    const c = String.fromCharCode(byte);
    out += byte > 0x20 && byte < 0x7f && !/["<>\\^`{|}]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * A RECUR value (§3.3.10), whose grammar has letters, digits and `=;,+-` only. A stored rule was
 * validated when written, but the validator is lenient (`COUNT=3\` passes): whatever else it let
 * through is dropped here, so the rule can never carry anything else into the calendar.
 */
export const recurValue = (rule: string) => rule.replace(/[^A-Za-z0-9=;,+-]/g, '');

/** Programming error: a value reached ical-generator without going through this module. */
const unencoded = (line: string) => new Error(`iCalendar value not encoded before ical-generator: ${line.slice(0, 40)}`);

/**
 * Corrects one logical line of ical-generator's output where it departs from RFC 5545:
 * - it backslash-escapes inside a quoted parameter value, where RFC 5545 has no escapes
 *   (`CN="a\\b"` is read as a name with two backslashes) → `CN="a\b"`;
 * - it TEXT-escapes the URL's URI value (`a=1\;b=2`, no longer the link given) → `a=1;b=2`;
 * - it writes an ATTENDEE's address as `MAILTO:…` (an ORGANIZER's as `mailto:…`); RFC 3986 §3.1
 *   says to produce schemes in lowercase, and a client matching the organizer among the attendees
 *   by address then finds them → `mailto:…`.
 * Every backslash undone is the library's, since `paramValue` and `uriValue` leave no `"`, line
 * break or `\` of their own that it could have escaped; anything else escaped there is refused.
 */
function restoreLine(line: string): string {
  let head = '';
  let quoted = false;
  let i = 0;
  for (; i < line.length; i++) {
    const c = line[i]!;
    if (!quoted && c === ':') break;
    if (quoted && c === '\\') {
      if (line[++i] !== '\\') throw unencoded(line);
      head += '\\';
      continue;
    }
    if (c === '"') quoted = !quoted;
    head += c;
  }
  const value = line.slice(i);
  if (head.startsWith('ATTENDEE;') && value.startsWith(':MAILTO:')) return `${head}:mailto:${value.slice(8)}`;
  if (head !== 'URL;VALUE=URI') return head + value;
  if (value.replace(/\\[;,]/g, '').includes('\\')) throw unencoded(line);
  return head + value.replace(/\\([;,])/g, '$1');
}

/**
 * The calendar as sent, from `ICalCalendar.toString()`: each line corrected by `restoreLine`, and
 * the CRLF added that ical-generator leaves off after `END:VCALENDAR` (§3.1: every content line
 * ends with one). The library's folds are undone first (it inserts exactly CRLF + space, and no
 * value it writes holds a line break) and redone by its own `foldLines`, which never splits a
 * UTF-8 sequence and keeps lines within 75 octets.
 */
export function finishCalendar(text: string): string {
  const lines = text.replace(/\r\n /g, '').split('\r\n').map(restoreLine);
  return `${foldLines(lines.join('\r\n'))}\r\n`;
}
