import dns from 'node:dns';
import net from 'node:net';
import { forbiddenReason } from './special-addresses.js';

export { forbiddenReason };

export function parseAllowCidrs(value: string | undefined): net.BlockList {
  const allow = new net.BlockList();
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const [addr, prefixText, extra] = entry.split('/');
    const family = net.isIP(addr);
    const max = family === 4 ? 32 : 128;
    const prefix = prefixText === undefined ? max : Number(prefixText);
    if (family === 0 || extra !== undefined || !/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
      throw new Error(
        `LIAISON_WEBHOOK_ALLOW_CIDRS: invalid entry "${entry}" (expected a CIDR such as 10.0.0.0/8 or ::1/128)`,
      );
    }
    allow.addSubnet(addr, prefix, family === 4 ? 'ipv4' : 'ipv6');
  }
  return allow;
}

function describe(reason: string, ip: string): string {
  const article = /^[aeiou]/.test(reason) ? 'an' : 'a';
  return `${article} ${reason} address (${ip})`;
}

export type Resolver = (hostname: string) => Promise<dns.LookupAddress[]>;

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export type UrlCheck = { ok: true } | { ok: false; reason: string };

/** The longest URL stored, after normalisation (punycode and percent-encoding can lengthen it). */
export const MAX_WEBHOOK_URL_LENGTH = 2000;

// Control characters (C0, DEL, C1) and every kind of space or line break. WHATWG URL parsing
// drops tabs and newlines silently and percent-encodes the rest, so a URL carrying them would
// be stored as something other than what was given; a raw CR or LF could also split a log line.
const UNSAFE_CHARACTER = /[\p{Cc}\p{Z}]/u;

/**
 * The URL as it is stored and sent: WHATWG-serialised (lower-case scheme and host, IDN as
 * punycode, default port dropped, path percent-encoded), or why it is refused. User info is
 * refused rather than kept: credentials in a URL end up in logs, audit records and every event
 * that describes the endpoint, and receivers authenticate deliveries by their signature instead.
 */
export function normaliseWebhookUrl(raw: string): { ok: true; url: URL } | { ok: false; reason: string } {
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    return { ok: false, reason: 'is not a valid absolute URL' };
  }
  // Judged on the text as given: the parsed form has already lost or encoded these characters.
  const unsafe = UNSAFE_CHARACTER.exec(raw);
  if (unsafe) {
    const code = `U+${unsafe[0].codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    return { ok: false, reason: `contains a control or whitespace character (${code} at position ${unsafe.index}); percent-encode it` };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: `uses unsupported scheme "${parsed.protocol.replace(/:$/, '')}" (only http and https)` };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'must not contain credentials (user info); receivers verify the signature instead' };
  }
  if (parsed.href.length > MAX_WEBHOOK_URL_LENGTH) {
    return { ok: false, reason: `is longer than ${MAX_WEBHOOK_URL_LENGTH} characters once normalised` };
  }
  return { ok: true, url: parsed };
}

export async function checkWebhookUrl(
  url: string,
  allow: net.BlockList,
  resolve: Resolver = systemResolver,
): Promise<UrlCheck> {
  const normalised = normaliseWebhookUrl(url);
  if (!normalised.ok) return normalised;
  const parsed = normalised.url;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (net.isIP(host) !== 0) {
    const reason = forbiddenReason(host, allow);
    return reason === null ? { ok: true } : { ok: false, reason: `is ${describe(reason, host)}` };
  }
  let addresses: dns.LookupAddress[];
  try {
    addresses = await resolve(host);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unknown error';
    return { ok: false, reason: `host ${host} could not be resolved (${code})` };
  }
  if (addresses.length === 0) return { ok: false, reason: `host ${host} resolved to no addresses` };
  // One bad address is enough: the connection may later pick any of them.
  for (const { address } of addresses) {
    const reason = forbiddenReason(address, allow);
    if (reason !== null) return { ok: false, reason: `resolves to ${describe(reason, address)}` };
  }
  return { ok: true };
}

export const BLOCKED_CODE = 'ELIAISONBLOCKED';

export function blockedError(host: string, ip: string, reason: string): NodeJS.ErrnoException {
  const target = host === ip ? ip : `${host} (${ip})`;
  return Object.assign(new Error(`refusing to connect to ${target}: ${describe(reason, ip)} is not allowed`), {
    code: BLOCKED_CODE,
  });
}

/**
 * A `lookup` for net/tls/undici `connect` options. It re-checks at connect time because the
 * answer seen at subscription time can change (DNS rebinding).
 */
export function guardedLookup(allow: net.BlockList): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '');
      for (const { address } of addresses) {
        const reason = forbiddenReason(address, allow);
        if (reason !== null) return callback(blockedError(hostname, address, reason), '');
      }
      if (addresses.length === 0) return callback(Object.assign(new Error(`no addresses for ${hostname}`), { code: 'ENOTFOUND' }), '');
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
