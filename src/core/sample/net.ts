/** IPv4/IPv6 helpers for the simulator (text <-> integers, CIDR arithmetic). */

export function ipv4ToInt(addr: string): number {
  const p = addr.split('.').map(Number);
  return ((p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]) >>> 0;
}

export function intToIpv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}

export function cidrBase(cidr: string): number {
  return ipv4ToInt(cidr.split('/')[0]);
}

export function isRfc1918(addr: string): boolean {
  if (addr.includes(':')) return false;
  const n = ipv4ToInt(addr);
  return (n >>> 24) === 10 || (n >>> 20) === (0xac1 as number) || (n >>> 16) === 0xc0a8;
}

/** Is an IPv4 address inside a CIDR? */
export function inCidr(addr: string, cidr: string): boolean {
  if (addr.includes(':') !== cidr.includes(':')) return false;
  if (addr.includes(':')) return expandIpv6(addr).startsWith(expandIpv6(cidr.split('/')[0]).slice(0, Number(cidr.split('/')[1]) / 4));
  const [base, len] = cidr.split('/');
  const bits = Number(len);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return ((ipv4ToInt(addr) & mask) >>> 0) === ((ipv4ToInt(base) & mask) >>> 0);
}

/** The 32 hex digits of an IPv6 address (for prefix comparisons on nibble boundaries). */
export function expandIpv6(addr: string): string {
  const [head, tail] = addr.includes('::') ? addr.split('::') : [addr, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? [] : new Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((g) => g.padStart(4, '0')).join('');
}
