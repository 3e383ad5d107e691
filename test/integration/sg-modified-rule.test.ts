/**
 * Issue 15: a rule ModifySecurityGroupRules changed, end to end. SSH from the VPC's 10.0.0.0/8 to a web server was
 * added at 11:00 (CloudTrail's AuthorizeSecurityGroupIngress) and moved to port 2222 at 12:30
 * (ModifySecurityGroupRules). A call on 22 at 12:00 was admitted by its first shape; the same call at 13:00 was
 * refused, and sg-would-have-allowed names the rule that had allowed it; a call on 3306 was never allowed, and it
 * names the narrowest rule to add. Real DuckDB, the real loader, the templates as `flowlens query` runs them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset } from '../../src/core/api';
import type { Db, Row } from '../../src/core/store/db';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';

const A = '111111111111';
const VPC = 'vpc-0d0000000000000d1';
const SG = 'sg-0d0000000000000d1';
const ENI = 'eni-0d0000000000000d1';
const RULE = 'sgr-0000000000000d001';

const ctEvent = (name: string, time: string, request: unknown, response: unknown) => {
  const id = `00000000-0000-0000-0000-${name.length}${time.slice(11, 13)}0000000000`.slice(0, 36);
  return { EventId: id, EventName: name, EventTime: time, CloudTrailEvent: JSON.stringify({
    eventVersion: '1.09', eventTime: time, eventSource: 'ec2.amazonaws.com', eventName: name, awsRegion: 'us-east-1',
    requestParameters: request, responseElements: response, eventID: id, recipientAccountId: A,
  }) };
};
const INVENTORY: Record<string, unknown> = {
  'ec2-describe-vpcs.json': { Vpcs: [{ VpcId: VPC, OwnerId: A, CidrBlock: '10.0.0.0/16' }] },
  'ec2-describe-network-interfaces.json': { NetworkInterfaces: [{
    NetworkInterfaceId: ENI, InterfaceType: 'interface', OwnerId: A, VpcId: VPC, AvailabilityZone: 'us-east-1a', SubnetId: 'subnet-0d1',
    Status: 'in-use', RequesterManaged: false, Description: 'Primary network interface', Groups: [{ GroupId: SG, GroupName: 'web' }],
    PrivateIpAddress: '10.0.1.10', PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.1.10' }], TagSet: [],
  }] },
  // as it is now: port 2222
  'ec2-describe-security-group-rules.json': { SecurityGroupRules: [
    { SecurityGroupRuleId: RULE, GroupId: SG, GroupOwnerId: A, IsEgress: false, IpProtocol: 'tcp', FromPort: 2222, ToPort: 2222, CidrIpv4: '10.0.0.0/8' },
  ] },
  'cloudtrail-lookup-events.json': { Events: [
    ctEvent('ModifySecurityGroupRules', '2026-09-23T12:30:00Z', { ModifySecurityGroupRulesRequest: { GroupId: SG, SecurityGroupRule: {
      SecurityGroupRuleId: RULE, SecurityGroupRule: { IpProtocol: 'tcp', FromPort: 2222, ToPort: 2222, CidrIpv4: '10.0.0.0/8' }, tag: 1 } } }, { _return: true }),
    ctEvent('AuthorizeSecurityGroupIngress', '2026-09-23T11:00:00Z', { groupId: SG }, { _return: true, securityGroupRuleSet: { items: [
      { securityGroupRuleId: RULE, groupId: SG, groupOwnerId: A, isEgress: false, ipProtocol: 'tcp', fromPort: 22, toPort: 22, cidrIpv4: '10.0.0.0/8' },
    ] } }),
  ] },
};

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const T = 1790164800; // 2026-09-23T12:00:00Z
const rec = (at: number, src: string, sport: number, dport: number, action: string) =>
  `2 ${A} ${ENI} ${src} 10.0.1.10 ${sport} ${dport} 6 3 180 ${at} ${at + 30} ${action} OK`;
const FLOWS = [
  rec(T, '10.0.9.9', 50001, 22, 'ACCEPT'), `2 ${A} ${ENI} 10.0.1.10 10.0.9.9 22 50001 6 3 900 ${T} ${T + 30} ACCEPT OK`,
  rec(T + 3600, '10.0.9.9', 50002, 22, 'REJECT'),
  rec(T + 3600, '10.0.9.8', 50003, 3306, 'REJECT'),
];

let dir: string;
let db: Db;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-sg-modified-'));
  const inventory = join(dir, 'inventory', A, 'us-east-1');
  mkdirSync(inventory, { recursive: true });
  for (const [f, doc] of Object.entries(INVENTORY)) writeFileSync(join(inventory, f), JSON.stringify(doc));
  mkdirSync(join(dir, 'flows'));
  writeFileSync(join(dir, 'flows', 'a.log'), [HEADER, ...FLOWS].join('\n') + '\n');
  const w = await openDataset(join(dir, 'm.duckdb'));
  const summary = await enrich(w, { source: { kind: 'files', inventory: [join(dir, 'inventory')], flowLogs: [join(dir, 'flows')] } });
  w.close();
  assert.deepEqual(summary.inventoryWarnings, []);
  db = await openDataset(join(dir, 'm.duckdb'), { readOnly: true });
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run<T extends Row>(id: string): Promise<T[]> {
  const { sql, params } = bindTemplate(findTemplate(id), {});
  return db.json<T>(sql, params);
}

test('a modified rule counts with its first shape until the change, and is shown as it is now, with when it changed', async () => {
  const rows = await run<Row & { ports: string; conversations: number; authorized: string; modified: string[] }>('sg-rule-usage');
  assert.deepEqual(rows.map((r) => [r.rule_id, r.ports, r.conversations, r.authorized, r.modified.map(String)]),
    [[RULE, '2222', 1, '2026-09-23 11:00:00', ['2026-09-23 12:30:00']]]);
});

test('sg-would-have-allowed: the refused call on 22 names the rule that allowed it before its change; the call on 3306 the rule to add', async () => {
  const rows = await run<Row>('sg-would-have-allowed');
  assert.deepEqual(rows.map((r) => [r.refused_by, r.direction, r.port, r.peer, r.conversations, r.rule_that_allowed, r.rule_to_add]), [
    [ENI, 'ingress', '22', '10.0.9.9', 1, RULE, null],
    [ENI, 'ingress', '3306', '10.0.9.8', 1, null, `${SG} ingress tcp 3306 from 10.0.9.8/32`],
  ]);
});

test('a hole in the logging across the change is one gap of the rule, not one per shape', async () => {
  const gaps = await db.json(`SELECT rule_id, eni_id, gap, strftime(gap_from, '%H:%M:%S') AS gap_from, strftime(gap_to, '%H:%M:%S') AS gap_to
    FROM fl_sg_gaps(TIMESTAMP '-infinity', TIMESTAMP 'infinity') WHERE gap IS NOT NULL`);
  // records at 12:00 and 13:00 only, of a flow log whose interval is not known (600 s): an hour without a record
  assert.deepEqual(gaps, [{ rule_id: RULE, eni_id: ENI, gap: 'logged nothing', gap_from: '12:00:30', gap_to: '13:00:00' }]);
});
