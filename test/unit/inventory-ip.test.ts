import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADDRESS_TYPES, canonicalIp, ipToBigInt, bigIntToIp, parseCidr, cidrRange, expandCidr, isRfc1918, tryParseIp, cidrContains,
} from '../../src/core/inventory/ip';

test('IPv4 parses to integers and back, rejecting malformed text', () => {
  assert.equal(ipToBigInt('10.0.0.1'), 0x0a000001n);
  assert.equal(ipToBigInt('255.255.255.255'), 0xffffffffn);
  assert.equal(bigIntToIp(0xc0000201n, 4), '192.0.2.1');
  for (const bad of ['10.0.0', '10.0.0.256', '01.2.3.4', '1.2.3.4.5', 'a.b.c.d', '']) {
    assert.equal(tryParseIp(bad), undefined, bad);
  }
});

test('IPv6 canonical text follows RFC 5952', () => {
  assert.equal(canonicalIp('2001:0DB8:0000:0000:0000:0000:0002:0001'), '2001:db8::2:1');
  assert.equal(canonicalIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1'); // leftmost of equal runs
  assert.equal(canonicalIp('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1'); // a single zero group stays
  assert.equal(canonicalIp('::'), '::');
  assert.equal(canonicalIp('::1'), '::1');
  assert.equal(canonicalIp('fe80::'), 'fe80::');
  assert.equal(canonicalIp('::ffff:192.0.2.1'), '::ffff:c000:201');
  assert.equal(ipToBigInt('::ffff:192.0.2.1'), 0xffffc0000201n);
  for (const bad of ['1::2::3', '12345::', '1:2:3:4:5:6:7:8:9', ':::', 'g::1']) {
    assert.equal(tryParseIp(bad), undefined, bad);
  }
});

test('CIDR ranges and expansion', () => {
  assert.deepEqual(cidrRange('10.0.1.16/28'), [0x0a000110n, 0x0a00011fn]);
  assert.equal(parseCidr('10.0.1.17/28').prefix, '10.0.1.16/28');
  const v6 = parseCidr('2600:1f18::/32');
  assert.equal(v6.lo, 0x26001f18n << 96n);
  assert.equal(v6.hi, (0x26001f18n << 96n) | ((1n << 96n) - 1n));
  const sixteen = expandCidr('10.0.1.16/28');
  assert.equal(sixteen.length, 16);
  assert.equal(sixteen[0], '10.0.1.16');
  assert.equal(sixteen[15], '10.0.1.31');
  assert.ok(cidrContains('10.0.0.0/16', '10.0.255.1'));
  assert.ok(!cidrContains('10.0.0.0/16', '10.1.0.1'));
  assert.throws(() => parseCidr('10.0.0.0/33'));
});

test('RFC 1918 membership', () => {
  assert.ok(isRfc1918('10.1.2.3'));
  assert.ok(isRfc1918('172.31.255.255'));
  assert.ok(!isRfc1918('172.32.0.1'));
  assert.ok(isRfc1918('192.168.0.1'));
  assert.ok(!isRfc1918('198.51.100.1'));
  assert.ok(!isRfc1918('fd00::1'));
});

test('every special-purpose prefix is a network of its family, none twice, and docs/schema.md lists each as the table says', () => {
  const docs = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'schema.md'), 'utf8');
  const seen = new Set<string>();
  for (const t of ADDRESS_TYPES) {
    const c = parseCidr(t.prefix);
    assert.equal(c.prefix, t.prefix, `${t.prefix} is written as its network`);
    assert.ok(!seen.has(c.prefix), `${t.prefix} once`);
    seen.add(c.prefix);
    const row = `| \`${t.prefix}\` | \`${t.type}\` | ${t.kind ? `\`${t.kind}\`` : ''} | \`${t.reach}\` | ${t.about} |`;
    assert.ok(docs.includes(row), `docs/schema.md has: ${row}`);
  }
  // the well-known AWS addresses sit inside their type's prefix
  for (const [addr, type] of [['169.254.169.254', 'link-local'], ['fd00:ec2::254', 'unique-local'], ['198.51.100.7', 'documentation'], ['3fff::1', 'documentation']]) {
    const holders = ADDRESS_TYPES.filter((t) => cidrContains(t.prefix, addr));
    assert.ok(holders.length > 0 && holders.every((t) => t.type === type), addr);
  }
  assert.equal(ADDRESS_TYPES.filter((t) => cidrContains(t.prefix, '81.2.69.7')).length, 0, 'an ordinary public address is none');
});
