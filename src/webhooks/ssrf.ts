import dns from 'node:dns';
import net from 'node:net';

// Ordered most-specific first: the first matching range names the reason.
const FORBIDDEN: ReadonlyArray<[cidr: string, reason: string]> = [
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'reserved'],
  ['127.0.0.0/8', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['169.254.0.0/16', 'link-local'],
  ['100.64.0.0/10', 'cgnat'],
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'reserved'],
  ['198.18.0.0/15', 'reserved'],
  ['198.51.100.0/24', 'reserved'],
  ['203.0.113.0/24', 'reserved'],
  ['192.88.99.0/24', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['fc00::/7', 'private'],
  ['fec0::/10', 'private'],
  ['fe80::/10', 'link-local'],
  ['ff00::/8', 'multicast'],
  ['64:ff9b:1::/48', 'private'],
  ['2001:db8::/32', 'reserved'],
  ['100::/64', 'reserved'],
];

const forbiddenLists = FORBIDDEN.map(([cidr, reason]) => ({ reason, list: blockListOf(cidr) }));

// Everything routable on the IPv6 internet lives in 2000::/3; the rest is unassigned or special.
const GLOBAL_UNICAST_V6 = blockListOf('2000::/3');

function blockListOf(cidr: string): net.BlockList {
  const [addr, prefix] = cidr.split('/');
  const list = new net.BlockList();
  list.addSubnet(addr, Number(prefix), net.isIPv4(addr) ? 'ipv4' : 'ipv6');
  return list;
}

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

function ipv6Bytes(ip: string): number[] {
  let text = ip;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail.push(...dotted[1].split('.').map(Number));
    text = text.slice(0, -dotted[1].length) + '0:0';
  }
  const [head, rest] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const fill = rest === undefined ? [] : Array(8 - headGroups.length - restGroups.length).fill('0');
  const groups = [...headGroups, ...fill, ...restGroups];
  const bytes = groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

// IPv4 addresses smuggled inside IPv6 forms (mapped, NAT64 well-known prefix, 6to4) reach
// the same IPv4 hosts, so they must be judged by the embedded address.
function embeddedIPv4(ip: string): string | null {
  const b = ipv6Bytes(ip);
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return b.slice(12).join('.');
  if (b[0] === 0 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return b.slice(12).join('.');
  if (b[0] === 0x20 && b[1] === 0x02) return b.slice(2, 6).join('.');
  return null;
}

/** Why connecting to `ip` is refused, or null when it is allowed. */
export function forbiddenReason(ip: string, allow: net.BlockList): string | null {
  const addr = ip.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const family = net.isIP(addr);
  if (family === 0) return 'invalid';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (allow.check(addr, type)) return null;
  if (family === 6) {
    const v4 = embeddedIPv4(addr);
    if (v4 !== null) return forbiddenReason(v4, allow);
  }
  for (const { reason, list } of forbiddenLists) {
    if (list.check(addr, type)) return reason;
  }
  if (family === 6 && !GLOBAL_UNICAST_V6.check(addr, 'ipv6')) return 'reserved';
  return null;
}

function describe(reason: string, ip: string): string {
  const article = /^[aeiou]/.test(reason) ? 'an' : 'a';
  return `${article} ${reason} address (${ip})`;
}

export type Resolver = (hostname: string) => Promise<dns.LookupAddress[]>;

const systemResolver: Resolver = (hostname) => dns.promises.lookup(hostname, { all: true, verbatim: true });

export type UrlCheck = { ok: true } | { ok: false; reason: string };

export async function checkWebhookUrl(
  url: string,
  allow: net.BlockList,
  resolve: Resolver = systemResolver,
): Promise<UrlCheck> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, reason: 'is not a valid absolute URL' };
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return { ok: false, reason: `uses unsupported scheme "${parsed.protocol.replace(/:$/, '')}" (only http and https)` };
  }
  if (parsed.username !== '' || parsed.password !== '') {
    return { ok: false, reason: 'must not contain credentials' };
  }
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
