/**
 * Issue 15, rules' history from CloudTrail: AuthorizeSecurityGroup* and RevokeSecurityGroup* events as the inventory
 * reads them, bad and partial ones included. Each case says exactly what is stored, in force when, and warned.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/core/api';
import { loadInventory } from '../../src/core/inventory/load';
import { useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-sg-events-', (d) => (dir = d));

const A = '111111111111';
const SG = 'sg-0e0000000000000e1';
let n = 0;

/** One LookupEvents item around a CloudTrail event of `name` at `time`. */
function event(name: string, time: string, request: unknown, response: unknown, extra: Record<string, unknown> = {}) {
  const id = `00000000-0000-0000-0000-${String(++n).padStart(12, '0')}`;
  const detail = { eventVersion: '1.09', eventTime: time, eventSource: 'ec2.amazonaws.com', eventName: name, awsRegion: 'us-east-1',
    requestParameters: request, responseElements: response, eventID: id, recipientAccountId: A, ...extra };
  return { EventId: id, EventName: name, EventTime: time, CloudTrailEvent: JSON.stringify(detail) };
}
const item = (id: string, peer: Record<string, unknown>, port = 443) => ({
  securityGroupRuleId: id, groupId: SG, groupOwnerId: A, isEgress: false, ipProtocol: 'tcp', fromPort: port, toPort: port, ...peer,
});

async function load(events: unknown[], rules: unknown[] = []) {
  const inv = join(dir, `inv-${++n}`, A, 'us-east-1');
  mkdirSync(inv, { recursive: true });
  writeFileSync(join(inv, 'cloudtrail.LookupEvents.json'), JSON.stringify({ Events: events }));
  writeFileSync(join(inv, 'ec2.DescribeSecurityGroupRules.json'), JSON.stringify({ SecurityGroupRules: rules }));
  const db = await openDataset(join(dir, `d-${n}.duckdb`));
  try {
    const report = await loadInventory(db, [join(dir, `inv-${n}`)]);
    const rows = await db.json(`SELECT rule_id, source, peer, strftime(valid_from, '%Y-%m-%d %H:%M') AS valid_from,
      strftime(valid_to, '%Y-%m-%d %H:%M') AS valid_to FROM inv_sg_rules ORDER BY rule_id`);
    return { warnings: report.warnings, rows };
  } finally {
    db.close();
  }
}

test('a revoked rule is known from its events: by its details, or by id with the details of the event that added it', async () => {
  const r = await load([
    event('AuthorizeSecurityGroupIngress', '2026-09-01T10:00:00Z', { groupId: SG }, { _return: true, securityGroupRuleSet: { items: [item('sgr-1', { cidrIpv4: '10.0.0.0/16' })] } }),
    // by id only: what it admitted is the Authorize event's
    event('RevokeSecurityGroupIngress', '2026-09-02T10:00:00Z', { groupId: SG, securityGroupRuleIds: { items: [{ securityGroupRuleId: 'sgr-1' }] } }, { _return: true }),
    // its details in the answer, a group named as referencedGroupId; never added in the window: in force since ever
    event('RevokeSecurityGroupIngress', '2026-09-03T10:00:00Z', { groupId: SG }, { _return: true, revokedSecurityGroupRuleSet: { items: [item('sgr-2', { referencedGroupId: 'sg-0a0000000000000a1' })] } }),
    // added and still there: the describe call lists it, the event says since when
    event('AuthorizeSecurityGroupIngress', '2026-09-04T10:00:00Z', { groupId: SG }, { _return: true, securityGroupRuleSet: { items: [item('sgr-3', { cidrIpv6: '::/0' })] } }),
    // a revocation that failed revokes nothing
    event('RevokeSecurityGroupIngress', '2026-09-05T10:00:00Z', { groupId: SG, securityGroupRuleIds: { items: [{ securityGroupRuleId: 'sgr-3' }] } }, null, { errorCode: 'InvalidPermission.NotFound' }),
    // revoked by id, never seen added: nothing says what it admitted, so it is not a rule here
    event('RevokeSecurityGroupIngress', '2026-09-06T10:00:00Z', { groupId: SG, securityGroupRuleIds: { items: [{ securityGroupRuleId: 'sgr-9' }] } }, { _return: true }),
  ], [{ SecurityGroupRuleId: 'sgr-3', GroupId: SG, GroupOwnerId: A, IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv6: '::/0' }]);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.rows, [
    { rule_id: 'sgr-1', source: 'cloudtrail', peer: '10.0.0.0/16', valid_from: '2026-09-01 10:00', valid_to: '2026-09-02 10:00' },
    { rule_id: 'sgr-2', source: 'cloudtrail', peer: 'sg-0a0000000000000a1', valid_from: '1970-01-01 00:00', valid_to: '2026-09-03 10:00' },
    { rule_id: 'sgr-3', source: 'rules', peer: '::/0', valid_from: '2026-09-04 10:00', valid_to: '9999-12-31 00:00' },
  ]);
});

test('a rule an event describes badly is skipped with a warning naming the file, the event and why', async () => {
  const events = [
    event('RevokeSecurityGroupIngress', '2026-09-02T10:00:00Z', { groupId: SG }, { _return: true, revokedSecurityGroupRuleSet: { items: [item('sgr-4', {})] } }),
    event('AuthorizeSecurityGroupIngress', '2026-09-01T10:00:00Z', { groupId: SG }, { _return: true, securityGroupRuleSet: { items: [{ ...item('sgr-5', { cidrIpv4: '10.0.0.0/16' }), ipProtocol: 'tcpx' }] } }),
    event('RevokeSecurityGroupIngress', '2026-09-02T11:00:00Z', { groupId: SG }, { _return: true, revokedSecurityGroupRuleSet: { items: [item('sgr-6', { cidrIpv4: '10.0.0.0/33' })] } }),
  ];
  const r = await load(events);
  const file = join(dir, `inv-${n}`, A, 'us-east-1', 'cloudtrail.LookupEvents.json');
  const id = (k: number) => events[k].EventId;
  assert.deepEqual(r.warnings, [
    `${file}: RevokeSecurityGroupIngress ${id(0)}: SecurityGroupRules[0]: no CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo; the rule is skipped`,
    `${file}: AuthorizeSecurityGroupIngress ${id(1)}: SecurityGroupRules[0]: IpProtocol "tcpx" is not a protocol; the rule is skipped`,
    `${file}: RevokeSecurityGroupIngress ${id(2)}: SecurityGroupRules[0]: bad prefix length in CIDR "10.0.0.0/33"; the rule is skipped`,
  ]);
  assert.deepEqual(r.rows, []);
});

/** A ModifySecurityGroupRules event's request as CloudTrail records it: the group, and per rule its id and new shape. */
const modify = (updates: unknown) => ({ ModifySecurityGroupRulesRequest: { GroupId: SG, SecurityGroupRule: updates } });

test('ModifySecurityGroupRules ends a rule\'s shape and starts its new one: the old as it was added, the new from the change', async () => {
  const r = await load([
    event('AuthorizeSecurityGroupIngress', '2026-09-01T10:00:00Z', { groupId: SG }, { _return: true, securityGroupRuleSet: { items: [item('sgr-7', { cidrIpv4: '10.0.0.0/16' })] } }),
    // one update (an object), then two (a list): the second names a group
    event('ModifySecurityGroupRules', '2026-09-02T10:00:00Z', modify({ SecurityGroupRuleId: 'sgr-7', SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, CidrIpv4: '10.1.0.0/16' }, tag: 1 }), { _return: true }),
    event('ModifySecurityGroupRules', '2026-09-03T10:00:00Z', modify([
      { SecurityGroupRuleId: 'sgr-7', SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, ReferencedGroupId: 'sg-0a0000000000000a1', Description: 'app only' }, tag: 1 },
    ]), { _return: true }),
    // a change that failed changes nothing
    event('ModifySecurityGroupRules', '2026-09-04T10:00:00Z', modify({ SecurityGroupRuleId: 'sgr-7', SecurityGroupRule: { IpProtocol: '-1', CidrIpv4: '0.0.0.0/0' } }), null, { errorCode: 'InvalidSecurityGroupRuleId.NotFound' }),
    // a rule changed that no event added: before the change nothing says what it admitted; from it, its new shape
    event('ModifySecurityGroupRules', '2026-09-05T10:00:00Z', modify({ SecurityGroupRuleId: 'sgr-8', SecurityGroupRule: { IpProtocol: 'udp', FromPort: 53, ToPort: 53, CidrIpv6: '::/0' } }), { _return: true }),
  ], [
    { SecurityGroupRuleId: 'sgr-7', GroupId: SG, GroupOwnerId: A, IsEgress: false, IpProtocol: 'tcp', FromPort: 8443, ToPort: 8443, ReferencedGroupInfo: { GroupId: 'sg-0a0000000000000a1', UserId: A } },
    { SecurityGroupRuleId: 'sgr-8', GroupId: SG, GroupOwnerId: A, IsEgress: true, IpProtocol: 'udp', FromPort: 53, ToPort: 53, CidrIpv6: '::/0' },
  ]);
  assert.deepEqual(r.warnings, []);
  assert.deepEqual(r.rows, [
    { rule_id: 'sgr-7', source: 'cloudtrail', peer: '10.0.0.0/16', valid_from: '2026-09-01 10:00', valid_to: '2026-09-02 10:00' },
    { rule_id: 'sgr-7', source: 'modified', peer: '10.1.0.0/16', valid_from: '2026-09-02 10:00', valid_to: '2026-09-03 10:00' },
    { rule_id: 'sgr-7', source: 'modified', peer: 'sg-0a0000000000000a1', valid_from: '2026-09-03 10:00', valid_to: '9999-12-31 00:00' },
    { rule_id: 'sgr-8', source: 'modified', peer: '::/0', valid_from: '2026-09-05 10:00', valid_to: '9999-12-31 00:00' },
  ]);
});

test('a ModifySecurityGroupRules event that says too little is skipped with a warning naming the file, the event and what is missing', async () => {
  const events = [
    event('ModifySecurityGroupRules', '2026-09-02T10:00:00Z', { GroupId: SG }, { _return: true }),
    event('ModifySecurityGroupRules', '2026-09-02T11:00:00Z', modify([{ SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '10.0.0.0/8' } }]), { _return: true }),
    event('ModifySecurityGroupRules', '2026-09-02T12:00:00Z', modify({ SecurityGroupRuleId: 'sgr-9' }), { _return: true }),
    event('ModifySecurityGroupRules', '2026-09-02T13:00:00Z', modify({ SecurityGroupRuleId: 'sgr-9', SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 22, ToPort: 22 } }), { _return: true }),
  ];
  const r = await load(events);
  const file = join(dir, `inv-${n}`, A, 'us-east-1', 'cloudtrail.LookupEvents.json');
  const id = (k: number) => events[k].EventId;
  assert.deepEqual(r.warnings, [
    `${file}: ModifySecurityGroupRules ${id(0)}: no ModifySecurityGroupRulesRequest with a GroupId in requestParameters; the change is skipped`,
    `${file}: ModifySecurityGroupRules ${id(1)}: SecurityGroupRule[0]: no SecurityGroupRuleId; the change is skipped`,
    `${file}: ModifySecurityGroupRules ${id(2)}: SecurityGroupRule[0]: no SecurityGroupRule (the new rule); the change is skipped`,
    `${file}: ModifySecurityGroupRules ${id(3)}: SecurityGroupRule[0]: no CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo; the rule is skipped`,
  ]);
  assert.deepEqual(r.rows, []);
});
