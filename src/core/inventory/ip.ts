/**
 * IP address arithmetic without any DuckDB extension: parsing, canonical text, integers, CIDR ranges.
 * Canonical text is dotted-quad IPv4 and lower-case RFC 5952 compressed IPv6 (the form inv_addresses
 * stores and the enrichment compares with). Integers are bigint; IPv4 sits in the low 32 bits.
 */

export type Family = 4 | 6;

export interface ParsedIp {
  family: Family;
  value: bigint;
}

export class IpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IpError';
  }
}

const V4_PART = /^(0|[1-9]\d{0,2})$/;

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!V4_PART.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseV6(text: string): bigint | undefined {
  let s = text;
  const pct = s.indexOf('%'); // zone index (fe80::1%eth0) is not part of the address
  if (pct >= 0) s = s.slice(0, pct);
  if (s.length < 2) return undefined;
  // An embedded IPv4 tail (::ffff:192.0.2.1) becomes two hextets.
  let tail: number[] = [];
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) >= 0) {
    const v4 = parseV4(s.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [Number(v4 >> 16n), Number(v4 & 0xffffn)];
    s = s.slice(0, lastColon + 1);
    if (!s.endsWith('::')) s = s.slice(0, -1);
  }
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return undefined;
  const hex = /^[0-9a-fA-F]{1,4}$/;
  const split = (x: string): number[] | undefined => {
    if (x === '') return [];
    const out: number[] = [];
    for (const h of x.split(':')) {
      if (!hex.test(h)) return undefined;
      out.push(parseInt(h, 16));
    }
    return out;
  };
  let groups: number[];
  if (dbl >= 0) {
    const head = split(s.slice(0, dbl));
    const rest = split(s.slice(dbl + 2));
    if (!head || !rest) return undefined;
    const missing = 8 - head.length - rest.length - tail.length;
    if (missing < 1) return undefined;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest, ...tail];
  } else {
    const all = split(s);
    if (!all) return undefined;
    groups = [...all, ...tail];
    if (groups.length !== 8) return undefined;
  }
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return v;
}

/** Parses an IPv4 or IPv6 address; undefined when it is neither. */
export function tryParseIp(text: string): ParsedIp | undefined {
  const t = text.trim();
  if (t.includes(':')) {
    const v = parseV6(t);
    return v === undefined ? undefined : { family: 6, value: v };
  }
  const v = parseV4(t);
  return v === undefined ? undefined : { family: 4, value: v };
}

export function parseIp(text: string): ParsedIp {
  const p = tryParseIp(text);
  if (!p) throw new IpError(`not an IP address: ${JSON.stringify(text)}`);
  return p;
}

export function ipFamily(text: string): Family | undefined {
  return tryParseIp(text)?.family;
}

/** The address as an integer (IPv4 in the low 32 bits). */
export function ipToBigInt(text: string): bigint {
  return parseIp(text).value;
}

/** Canonical text of an integer address of the given family. */
export function bigIntToIp(value: bigint, family: Family): string {
  if (family === 4) {
    if (value < 0n || value > 0xffffffffn) throw new IpError(`IPv4 value out of range: ${value}`);
    return [24n, 16n, 8n, 0n].map((s) => String((value >> s) & 0xffn)).join('.');
  }
  if (value < 0n || value >= 1n << 128n) throw new IpError(`IPv6 value out of range: ${value}`);
  const groups: number[] = [];
  for (let i = 7; i >= 0; i--) groups.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  // RFC 5952: compress the longest run (leftmost on ties) of two or more zero groups.
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLen).join(':');
  return `${head}::${tail}`;
}

/** Canonical text (dotted IPv4, lower-case compressed IPv6); throws on bad input. */
export function canonicalIp(text: string): string {
  const p = parseIp(text);
  return bigIntToIp(p.value, p.family);
}

export function tryCanonicalIp(text: string | undefined | null): string | undefined {
  if (typeof text !== 'string') return undefined;
  const p = tryParseIp(text);
  return p ? bigIntToIp(p.value, p.family) : undefined;
}

export interface Cidr {
  /** Canonical text of the network: network address / length (host bits cleared). */
  prefix: string;
  family: Family;
  length: number;
  lo: bigint;
  hi: bigint;
}

/** Parses a CIDR (a bare address is a /32 or /128). Host bits are cleared in the canonical prefix. */
export function parseCidr(text: string): Cidr {
  const t = text.trim();
  const slash = t.indexOf('/');
  const addr = parseIp(slash >= 0 ? t.slice(0, slash) : t);
  const bits = addr.family === 4 ? 32 : 128;
  let length = bits;
  if (slash >= 0) {
    const l = t.slice(slash + 1);
    if (!/^\d{1,3}$/.test(l) || Number(l) > bits) throw new IpError(`bad prefix length in CIDR ${JSON.stringify(text)}`);
    length = Number(l);
  }
  const hostBits = BigInt(bits - length);
  const mask = (1n << hostBits) - 1n;
  const lo = addr.value & ~mask & ((1n << BigInt(bits)) - 1n);
  const hi = lo | mask;
  return { prefix: `${bigIntToIp(lo, addr.family)}/${length}`, family: addr.family, length, lo, hi };
}

/** [lo, hi] of a CIDR as integers. */
export function cidrRange(text: string): [bigint, bigint] {
  const c = parseCidr(text);
  return [c.lo, c.hi];
}

export function cidrContains(cidr: string, addr: string): boolean {
  const c = parseCidr(cidr);
  const a = tryParseIp(addr);
  return !!a && a.family === c.family && a.value >= c.lo && a.value <= c.hi;
}

/** Every address of a small CIDR (at most `max`, default 256), canonical text. */
export function expandCidr(text: string, max = 256): string[] {
  const c = parseCidr(text);
  const n = c.hi - c.lo + 1n;
  if (n > BigInt(max)) throw new IpError(`CIDR ${text} has ${n} addresses, more than ${max}`);
  const out: string[] = [];
  for (let v = c.lo; v <= c.hi; v++) out.push(bigIntToIp(v, c.family));
  return out;
}

const RFC1918: [bigint, bigint][] = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'].map(cidrRange);

/** True for 10/8, 172.16/12 and 192.168/16 (IPv4 only). */
export function isRfc1918(addr: string): boolean {
  const a = tryParseIp(addr);
  if (!a || a.family !== 4) return false;
  return RFC1918.some(([lo, hi]) => a.value >= lo && a.value <= hi);
}

/**
 * Special-purpose addresses: what they are, whatever holds them. Where nothing in the inventory or AWS's prefixes
 * explains an address, the enrichment types it by the longest of these prefixes that holds it instead of calling it
 * `internet` (or, for a private one, `unknown`). The one list: the store writes it as the `address_types` table
 * (store/schema.ts), which the enrichment SQL and the templates read; docs/schema.md lists it for users.
 * - `type`: the side's type in the conversations (`kind` names a well-known address in it, else none).
 * - `reach`: how traffic to it leaves a VPC (the egress path): `link` never leaves its subnet; `private` only
 *   over private links (a transit or virtual private gateway); `public` as a public address would.
 */
export interface AddressType {
  prefix: string;
  type: 'documentation' | 'link-local' | 'carrier-grade-nat' | 'unique-local' | 'multicast' | 'broadcast';
  kind?: string;
  reach: 'link' | 'private' | 'public';
  about: string;
}

export const ADDRESS_TYPES: readonly AddressType[] = [
  { prefix: '192.0.2.0/24', type: 'documentation', reach: 'public', about: 'TEST-NET-1, documentation (RFC 5737)' },
  { prefix: '198.51.100.0/24', type: 'documentation', reach: 'public', about: 'TEST-NET-2, documentation (RFC 5737)' },
  { prefix: '203.0.113.0/24', type: 'documentation', reach: 'public', about: 'TEST-NET-3, documentation (RFC 5737)' },
  { prefix: '2001:db8::/32', type: 'documentation', reach: 'public', about: 'IPv6 documentation (RFC 3849)' },
  { prefix: '3fff::/20', type: 'documentation', reach: 'public', about: 'IPv6 documentation (RFC 9637)' },
  { prefix: '169.254.0.0/16', type: 'link-local', reach: 'link', about: 'IPv4 link-local (RFC 3927)' },
  { prefix: '169.254.169.254/32', type: 'link-local', kind: 'instance-metadata', reach: 'link', about: 'EC2 instance metadata service' },
  { prefix: '169.254.169.253/32', type: 'link-local', kind: 'amazon-dns', reach: 'link', about: 'Amazon DNS server (Route 53 Resolver)' },
  { prefix: '169.254.169.123/32', type: 'link-local', kind: 'time-sync', reach: 'link', about: 'Amazon Time Sync Service' },
  { prefix: '169.254.170.2/32', type: 'link-local', kind: 'ecs-task-metadata', reach: 'link', about: 'ECS task metadata and credentials endpoint' },
  { prefix: 'fe80::/10', type: 'link-local', reach: 'link', about: 'IPv6 link-local (RFC 4291)' },
  { prefix: '100.64.0.0/10', type: 'carrier-grade-nat', reach: 'private', about: 'shared address space for carrier-grade NAT (RFC 6598)' },
  { prefix: 'fc00::/7', type: 'unique-local', reach: 'private', about: 'IPv6 unique local addresses (RFC 4193)' },
  { prefix: 'fd00:ec2::254/128', type: 'unique-local', kind: 'instance-metadata', reach: 'link', about: 'EC2 instance metadata service (IPv6)' },
  { prefix: 'fd00:ec2::253/128', type: 'unique-local', kind: 'amazon-dns', reach: 'link', about: 'Amazon DNS server (IPv6)' },
  { prefix: 'fd00:ec2::123/128', type: 'unique-local', kind: 'time-sync', reach: 'link', about: 'Amazon Time Sync Service (IPv6)' },
  { prefix: '224.0.0.0/4', type: 'multicast', reach: 'private', about: 'IPv4 multicast (RFC 5771)' },
  { prefix: 'ff00::/8', type: 'multicast', reach: 'private', about: 'IPv6 multicast (RFC 4291)' },
  { prefix: '255.255.255.255/32', type: 'broadcast', reach: 'link', about: 'limited broadcast (RFC 919)' },
];
