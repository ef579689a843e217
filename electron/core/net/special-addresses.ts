/**
 * Addresses the remote-content proxy must never connect to: this machine, the local network
 * and every special-purpose range. The tables follow IANA's registries as of 2024:
 *   IPv4 Special-Purpose Address Registry (RFC 6890 and updates)
 *     https://www.iana.org/assignments/iana-ipv4-special-registry/
 *   IPv6 Special-Purpose Address Registry
 *     https://www.iana.org/assignments/iana-ipv6-special-registry/
 * Every entry is refused, including the few marked "globally reachable" (AS112, AMT, anycast
 * PCP/TURN): none of them serves a mail's images, and a short rule is easier to trust.
 * Multicast (not in the special registries) and IPv6 outside global unicast 2000::/3 go too.
 *
 * IPv6 forms that carry an IPv4 address (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16) are
 * judged by the IPv4 address inside, so a NAT64 network still loads public images while
 * `[64:ff9b::a00:1]` (10.0.0.1) is refused.
 */
import net from 'node:net';

/** IANA IPv4 special-purpose registry, plus multicast 224.0.0.0/4. */
export const SPECIAL_IPV4: readonly (readonly [string, number])[] = [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8], // private-use
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local
  ['172.16.0.0', 12], // private-use
  ['192.0.0.0', 24], // IETF protocol assignments (DS-Lite, NAT64 discovery, PCP/TURN anycast…)
  ['192.0.2.0', 24], // documentation TEST-NET-1
  ['192.31.196.0', 24], // AS112-v4
  ['192.52.193.0', 24], // AMT
  ['192.88.99.0', 24], // deprecated 6to4 relay anycast
  ['192.168.0.0', 16], // private-use
  ['192.175.48.0', 24], // direct delegation AS112 service
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation TEST-NET-2
  ['203.0.113.0', 24], // documentation TEST-NET-3
  ['224.0.0.0', 4], // multicast (its own registry)
  ['240.0.0.0', 4], // reserved, and 255.255.255.255 limited broadcast inside it
];

/** IANA IPv6 special-purpose registry, less the IPv4-carrying forms judged by their IPv4. */
export const SPECIAL_IPV6: readonly (readonly [string, number])[] = [
  ['::', 96], // unspecified ::/128, loopback ::1/128 and deprecated IPv4-compatible ::a.b.c.d
  ['::ffff:0:0:0', 96], // SIIT IPv4-translated (RFC 2765), not an address to fetch from
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation
  ['100::', 64], // discard-only
  ['100:0:0:1::', 64], // dummy IPv6 prefix
  ['2001::', 23], // IETF protocol assignments (Teredo, benchmarking, ORCHID, AS112, AMT…)
  ['2001:db8::', 32], // documentation
  ['2620:4f:8000::', 48], // direct delegation AS112 service
  ['3fff::', 20], // documentation
  ['5f00::', 16], // segment routing (SRv6) SIDs
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local unicast
  ['fec0::', 10], // deprecated site-local
  ['ff00::', 8], // multicast
  // Not global unicast at all: everything outside 2000::/3 (after the IPv4-carrying forms).
  ['::', 3],
  ['4000::', 2],
  ['8000::', 1],
];

/** IPv6 prefixes whose address is judged by the IPv4 address they carry, and where it sits. */
const CARRIES_IPV4: readonly { prefix: readonly number[]; v4At: number }[] = [
  { prefix: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff], v4At: 12 }, // IPv4-mapped ::ffff:0:0/96
  { prefix: [0x00, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], v4At: 12 }, // NAT64 64:ff9b::/96
  { prefix: [0x20, 0x02], v4At: 2 }, // 6to4 2002::/16
];

const V4 = new net.BlockList();
for (const [address, prefix] of SPECIAL_IPV4) V4.addSubnet(address, prefix, 'ipv4');
const V6 = new net.BlockList();
for (const [address, prefix] of SPECIAL_IPV6) V6.addSubnet(address, prefix, 'ipv6');

/** The 16 bytes of an IPv6 address (with or without a trailing dotted quad), or null. */
export function ipv6Bytes(ip: string): number[] | null {
  if (!net.isIPv6(ip) || ip.includes('%')) return null;
  let text = ip;
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad[1]!.split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -quad[1]!.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  if (groups.length !== 8) return null;
  return groups.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

/**
 * True for every address the proxy must not reach; also for anything that is not an IP
 * address at all (a zone-scoped `fe80::1%eth0` included), so that a mistake refuses.
 */
export function isPrivateAddress(ip: string): boolean {
  if (net.isIPv4(ip)) return V4.check(ip, 'ipv4');
  const bytes = ipv6Bytes(ip);
  if (!bytes) return true;
  for (const { prefix, v4At } of CARRIES_IPV4) {
    if (prefix.every((b, i) => bytes[i] === b)) return V4.check(bytes.slice(v4At, v4At + 4).join('.'), 'ipv4');
  }
  return V6.check(ip, 'ipv6');
}
