/**
 * Issue 15: a security-group rule's protocol and ports as the usage matching reads them (port_lo/port_hi: the
 * server ports admitted), from both APIs' shapes: TCP/UDP ranges, all traffic, ICMP (type and code, not ports),
 * another protocol by number, and an unreadable protocol, which is said and skipped.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rowsOfIpPermissions, rowsOfSecurityGroupRules } from '../../src/core/inventory/sgRules';

const SG = 'sg-0a0000000000000a1';

test('protocols and ports: TCP/UDP ranges are the ports admitted; all traffic, ICMP and other protocols admit every port', () => {
  const warnings: string[] = [];
  const rows = rowsOfIpPermissions(SG, [
    { IpProtocol: 'udp', FromPort: 53, ToPort: 53, IpRanges: [{ CidrIp: '10.0.0.0/16' }] },
    { IpProtocol: 'tcp', FromPort: 1024, ToPort: 65535, Ipv6Ranges: [{ CidrIpv6: '2001:DB8::/32' }] },
    { IpProtocol: 'icmp', FromPort: 8, ToPort: -1, IpRanges: [{ CidrIp: '0.0.0.0/0' }] },
    { IpProtocol: '-1', UserIdGroupPairs: [{ GroupId: 'sg-0b0000000000000b1', UserId: '222222222222' }] },
    { IpProtocol: '50', PrefixListIds: [{ PrefixListId: 'pl-0f0000000000000f1' }] },
    { IpProtocol: 'bogus', FromPort: 1, ToPort: 2, IpRanges: [{ CidrIp: '10.0.0.0/8' }] },
  ], false, 'sg.json: sg', warnings);
  assert.deepEqual(rows.map((r) => [r.protocol, r.port_lo, r.port_hi, r.peer_kind, r.peer, r.rule_id]), [
    [17, 53, 53, 'cidr', '10.0.0.0/16', `${SG}/ingress/17/53-53/10.0.0.0/16`],
    [6, 1024, 65535, 'cidr', '2001:db8::/32', `${SG}/ingress/6/1024-65535/2001:db8::/32`],
    [1, 0, 65535, 'cidr', '0.0.0.0/0', `${SG}/ingress/1/all/0.0.0.0/0`],
    [null, 0, 65535, 'security-group', 'sg-0b0000000000000b1', `${SG}/ingress/all/all/sg-0b0000000000000b1`],
    [50, 0, 65535, 'prefix-list', 'pl-0f0000000000000f1', `${SG}/ingress/50/all/pl-0f0000000000000f1`],
  ]);
  assert.equal(rows[1]!.family, 6);
  assert.equal(rows[1]!.prefix_len, 32);
  assert.equal(rows[3]!.peer_account_id, '222222222222');
  assert.deepEqual(warnings, ['sg.json: sg.IpPermissions[5]: IpProtocol "bogus" is not a protocol; the rule is skipped']);
});

test('DescribeSecurityGroupRules: one peer a rule, AWS\'s id, the direction from IsEgress; a rule without a peer is said', () => {
  const warnings: string[] = [];
  const rows = rowsOfSecurityGroupRules([
    { SecurityGroupRuleId: 'sgr-01', GroupId: SG, GroupOwnerId: '111111111111', IsEgress: true, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '10.1.2.3/16' },
    { SecurityGroupRuleId: 'sgr-02', GroupId: SG, IsEgress: false, IpProtocol: 'tcp', FromPort: 80, ToPort: 80 },
  ], 'rules.json', warnings, '999999999999', 'us-east-1');
  assert.deepEqual(rows.map((r) => [r.rule_id, r.egress, r.peer, r.account_id, r.region, r.source]), [['sgr-01', true, '10.1.0.0/16', '111111111111', 'us-east-1', 'rules']]);
  assert.deepEqual(warnings, ['rules.json: SecurityGroupRules[1]: no CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo; the rule is skipped']);
});
