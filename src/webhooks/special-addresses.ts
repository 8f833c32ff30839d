import net from 'node:net';

// Which IP addresses a webhook may connect to, after the IANA IPv4 and IPv6 Special-Purpose
// Address Registries (RFC 6890 and its updates). Every block whose "Globally Reachable" is False
// is refused. Where the registry says True but the address does not name one host on the
// internet, it is refused too, and the entry says why. A null reason marks a block that is
// globally reachable inside a larger refused one. The first matching entry wins, so each table
// lists the more specific blocks first.

type Entry = [cidr: string, reason: string | null];

const IPV4: Entry[] = [
  ['0.0.0.0/32', 'unspecified'],
  ['0.0.0.0/8', 'reserved'], // "this network"
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'cgnat'], // shared address space
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'], // also cloud metadata (169.254.169.254)
  ['172.16.0.0/12', 'private'],
  // IETF protocol assignments: DS-Lite, the dummy address, NAT64 discovery. Its two global
  // entries, the PCP and TURN anycast addresses (192.0.0.9, 192.0.0.10), reach the nearest such
  // server, which is the operator's own gateway as often as not: refused with the rest.
  ['192.0.0.0/24', 'special-purpose'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'], // the deprecated 6to4 relay anycast and the 6a44 relay
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  // Multicast has a registry of its own; no group is a webhook receiver.
  ['224.0.0.0/4', 'multicast'],
  ['255.255.255.255/32', 'broadcast'],
  ['240.0.0.0/4', 'reserved'],
];

// IPv4-mapped (::ffff:0:0/96), NAT64 (64:ff9b::/96) and 6to4 (2002::/16) addresses are judged by
// the IPv4 address inside them (see embeddedIPv4) before this table is consulted.
const IPV6: Entry[] = [
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['::/96', 'deprecated IPv4-compatible'], // RFC 4291 §2.5.5.1
  ['64:ff9b:1::/48', 'private'], // NAT64 for local use
  ['100::/64', 'discard-only'],
  ['100:0:0:1::/64', 'reserved'], // dummy prefix (RFC 9780)
  // 2001::/23, IETF protocol assignments, is not global except for the blocks named here.
  ['2001::/32', 'Teredo'], // a tunnel to addresses it embeds, global or not
  ['2001:1::1/128', 'anycast service'], // PCP: the nearest server, usually the local gateway
  ['2001:1::2/128', 'anycast service'], // TURN, likewise
  ['2001:1::3/128', 'anycast service'], // DNS-SD service registration, likewise
  ['2001:2::/48', 'benchmarking'],
  ['2001:3::/32', null], // AMT relays
  ['2001:4:112::/48', null], // AS112-v6 DNS service
  // ORCHID, ORCHIDv2 and drone entity tags are host identities, not locators: a HIP stack on
  // the sending host would map them to whatever locator it holds. IANA marks the latter two
  // global; they still name no host a webhook can be sent to.
  ['2001:10::/28', 'overlay identifier'],
  ['2001:20::/28', 'overlay identifier'],
  ['2001:30::/28', 'overlay identifier'],
  ['2001:db8::/32', 'documentation'],
  ['2001::/23', 'special-purpose'],
  ['3fff::/20', 'documentation'],
  ['5f00::/16', 'special-purpose'], // segment routing (SRv6) identifiers
  ['fc00::/7', 'private'], // unique local
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'private'], // deprecated site-local
  ['ff00::/8', 'multicast'],
];

interface Block {
  bytes: number[];
  prefix: number;
  reason: string | null;
}

const blocksOf = (entries: Entry[]): Block[] =>
  entries.map(([cidr, reason]) => {
    const [addr, prefix] = cidr.split('/') as [string, string];
    return { bytes: addressBytes(addr), prefix: Number(prefix), reason };
  });

const V4_BLOCKS = blocksOf(IPV4);
const V6_BLOCKS = blocksOf(IPV6);

// Everything routable on the IPv6 internet lies in 2000::/3; the rest is unassigned or special.
const GLOBAL_UNICAST_V6 = blocksOf([['2000::/3', null]])[0]!;

function ipv4Bytes(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** The 16 bytes of a valid IPv6 address (as net.isIP accepts it, without a zone). */
function ipv6Bytes(ip: string): number[] {
  let text = ip;
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted) {
    tail.push(...ipv4Bytes(dotted[1]!));
    text = text.slice(0, -dotted[1]!.length) + '0:0';
  }
  const [head, rest] = text.split('::') as [string, string | undefined];
  const headGroups = head ? head.split(':') : [];
  const restGroups = rest ? rest.split(':') : [];
  const fill = rest === undefined ? [] : Array<string>(8 - headGroups.length - restGroups.length).fill('0');
  const bytes = [...headGroups, ...fill, ...restGroups].flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]);
  if (tail.length) bytes.splice(12, 4, ...tail);
  return bytes;
}

function addressBytes(ip: string): number[] {
  return net.isIPv4(ip) ? ipv4Bytes(ip) : ipv6Bytes(ip);
}

function within(bytes: number[], block: Block): boolean {
  for (let bit = 0; bit < block.prefix; bit += 8) {
    const width = Math.min(8, block.prefix - bit);
    const mask = (0xff << (8 - width)) & 0xff;
    if ((bytes[bit / 8]! & mask) !== (block.bytes[bit / 8]! & mask)) return false;
  }
  return true;
}

// IPv4 addresses inside IPv6 forms (mapped, the NAT64 well-known prefix, 6to4) reach the same
// IPv4 hosts, so they must be judged by the embedded address.
function embeddedIPv4(b: number[]): string | null {
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
  if (allow.check(addr, family === 4 ? 'ipv4' : 'ipv6')) return null;
  const bytes = addressBytes(addr);
  if (family === 6) {
    const v4 = embeddedIPv4(bytes);
    if (v4 !== null) return forbiddenReason(v4, allow);
  }
  const match = (family === 4 ? V4_BLOCKS : V6_BLOCKS).find((block) => within(bytes, block));
  if (match) return match.reason;
  if (family === 6 && !within(bytes, GLOBAL_UNICAST_V6)) return 'reserved';
  return null;
}
