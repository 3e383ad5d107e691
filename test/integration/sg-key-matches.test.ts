/**
 * Security-group rules are matched once per key (fl_sg_key_matches, usage.sql): the units whose sides the same rules
 * admit (the same direction, set of groups of the guarded ENI, peer ENI and address, protocol and server port) are
 * matched together, at the key's first minute. What a user sees must not change: each unit still counts for every
 * rule that admits it, once, and unit by unit (fl_sg_rule_matches) each unit has its own count, bytes and minutes.
 * A small estate as the AWS CLI writes it: two web servers carrying the same group (the first lists it twice), one
 * client whose group the web group references; the client calls both servers at different minutes. Real DuckDB, the
 * real loader and enrichment.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Db, Row } from '../../src/core/store/db';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';
import { enrichSmallEstate } from '../support/small-estate';

const A = '111111111111';
const R = 'us-east-1';
const VPC = 'vpc-0c0000000000000c1';
const SG_WEB = 'sg-0c0000000000000e1';
const SG_CLIENT = 'sg-0c0000000000000c1';
const ENI = { web1: 'eni-0c0000000000000e1', web2: 'eni-0c0000000000000e2', client: 'eni-0c0000000000000c1' };
const IP = { web1: '10.1.1.1', web2: '10.1.1.2', client: '10.1.3.3' };

const eni = (id: string, ip: string, groups: string[]) => ({
  NetworkInterfaceId: id, InterfaceType: 'interface', OwnerId: A, VpcId: VPC, AvailabilityZone: 'us-east-1a', SubnetId: 'subnet-0c1',
  Status: 'in-use', RequesterManaged: false, Description: 'Primary network interface',
  Groups: groups.map((g) => ({ GroupId: g, GroupName: g === SG_WEB ? 'web' : 'client' })),
  PrivateIpAddress: ip, PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }], Ipv6Addresses: [],
  Attachment: { InstanceId: `i-${id.slice(4)}`, InstanceOwnerId: A, DeviceIndex: 0, Status: 'attached', AttachTime: '2026-01-01T00:00:00+00:00' },
  TagSet: [],
});
const rule = (id: string, group: string, egress: boolean, proto: string, from: number, to: number, peer: Record<string, unknown>) => ({
  SecurityGroupRuleId: id, GroupId: group, GroupOwnerId: A, IsEgress: egress, IpProtocol: proto, FromPort: from, ToPort: to, Tags: [], ...peer,
});
const group = (id: string, name: string) => ({
  Description: name, GroupName: name, IpPermissions: [], OwnerId: A, GroupId: id, IpPermissionsEgress: [], VpcId: VPC,
});

const FILES: Record<string, unknown> = {
  'ec2-describe-vpcs.json': { Vpcs: [{ VpcId: VPC, OwnerId: A, CidrBlock: '10.1.0.0/16' }] },
  'ec2-describe-network-interfaces.json': {
    NetworkInterfaces: [
      eni(ENI.web1, IP.web1, [SG_WEB, SG_WEB]), eni(ENI.web2, IP.web2, [SG_WEB]), eni(ENI.client, IP.client, [SG_CLIENT]),
    ],
  },
  'ec2-describe-security-groups.json': { SecurityGroups: [group(SG_WEB, 'web'), group(SG_CLIENT, 'client')] },
  'ec2-describe-security-group-rules.json': {
    SecurityGroupRules: [
      rule('sgr-00000000000cidr1', SG_WEB, false, 'tcp', 443, 443, { CidrIpv4: '10.1.0.0/16' }),
      rule('sgr-00000000000cref1', SG_WEB, false, 'tcp', 443, 443, { ReferencedGroupInfo: { GroupId: SG_CLIENT, UserId: A } }),
      rule('sgr-00000000000wide1', SG_WEB, false, 'tcp', 0, 65535, { CidrIpv4: '10.1.3.0/24' }),
      rule('sgr-00000000000cout1', SG_CLIENT, true, '-1', -1, -1, { CidrIpv4: '0.0.0.0/0' }),
    ],
  },
};

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const T = 1790164800; // 2026-09-23T12:00:00Z
/** A connection in minute `m` after T logged at `eni`: the request and the answer. */
const conn = (eni: string, client: string, server: string, cport: number, m: number, bytes: number) => [
  `2 ${A} ${eni} ${client} ${server} ${cport} 443 6 10 ${bytes} ${T + 60 * m} ${T + 60 * m + 59} ACCEPT OK`,
  `2 ${A} ${eni} ${server} ${client} 443 ${cport} 6 5 ${bytes * 10} ${T + 60 * m} ${T + 60 * m + 59} ACCEPT OK`,
];
const FLOWS = [
  // the client calls web1 in minutes 2 and 5, web2 in minute 0 (each server's interface logs it)
  ...conn(ENI.web1, IP.client, IP.web1, 50001, 2, 100),
  ...conn(ENI.web1, IP.client, IP.web1, 50002, 5, 100),
  ...conn(ENI.web2, IP.client, IP.web2, 50003, 0, 300),
];

let dir: string;
let db: Db;

before(async () => {
  ({ dir, db } = await enrichSmallEstate('flowlens-sg-keys-', A, R, FILES, [HEADER, ...FLOWS]));
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ALL = `TIMESTAMP '-infinity', TIMESTAMP 'infinity'`;
const minute = (m: number) => new Date((T + 60 * m) * 1000).toISOString().replace('T', ' ').replace('.000Z', '');

test('two servers with the same groups called by one client are one key: matched once, each rule counting all three conversation-minutes once', async () => {
  const keys = await db.json<Row>(`SELECT rule_id, direction, peer_addr, peer_eni, conversations::INTEGER AS conversations, bytes::INTEGER AS bytes,
      strftime(first_seen, '%Y-%m-%d %H:%M:%S') AS first_seen, strftime(last_seen, '%Y-%m-%d %H:%M:%S') AS last_seen, most_specific
    FROM fl_sg_key_matches(${ALL}) WHERE direction = 'ingress' ORDER BY rule_id`);
  const conversations = 3, bytes = 2 * (100 + 1000) + (300 + 3000);
  const one = { direction: 'ingress', peer_addr: IP.client, peer_eni: ENI.client, conversations, bytes, first_seen: minute(0), last_seen: minute(5) };
  assert.deepEqual(keys, [
    // the CIDR and the group reference have the same port: the reference is the more specific; the wide port range never is
    { rule_id: 'sgr-00000000000cidr1', ...one, most_specific: false },
    { rule_id: 'sgr-00000000000cref1', ...one, most_specific: true },
    { rule_id: 'sgr-00000000000wide1', ...one, most_specific: false },
  ]);
});

test('unit by unit each server keeps its own conversations, bytes and minutes; web1, which lists its group twice, counts once', async () => {
  const units = await db.json<Row>(`SELECT rule_id, eni, conversations::INTEGER AS conversations, bytes::INTEGER AS bytes,
      strftime(first_seen, '%Y-%m-%d %H:%M:%S') AS first_seen, strftime(last_seen, '%Y-%m-%d %H:%M:%S') AS last_seen, most_specific
    FROM fl_sg_rule_matches(${ALL}) WHERE direction = 'ingress' ORDER BY rule_id, eni`);
  const web1 = { eni: ENI.web1, conversations: 2, bytes: 2 * 1100, first_seen: minute(2), last_seen: minute(5) };
  const web2 = { eni: ENI.web2, conversations: 1, bytes: 3300, first_seen: minute(0), last_seen: minute(0) };
  assert.deepEqual(units, ['sgr-00000000000cidr1', 'sgr-00000000000cref1', 'sgr-00000000000wide1'].flatMap((rule_id) => [
    { rule_id, ...web1, most_specific: rule_id === 'sgr-00000000000cref1' },
    { rule_id, ...web2, most_specific: rule_id === 'sgr-00000000000cref1' },
  ]));
  // outbound: the client's rule admits each server: two keys (two peers), one unit each
  const out = await db.json<Row>(`SELECT rule_id, peer_addr, conversations::INTEGER AS conversations FROM fl_sg_key_matches(${ALL})
    WHERE direction = 'egress' ORDER BY peer_addr`);
  assert.deepEqual(out, [
    { rule_id: 'sgr-00000000000cout1', peer_addr: IP.web1, conversations: 2 },
    { rule_id: 'sgr-00000000000cout1', peer_addr: IP.web2, conversations: 1 },
  ]);
});

test('sg-rule-usage sums the keys as it summed the units: three conversations a rule, one peer, the most specific the reference', async () => {
  const { sql, params } = bindTemplate(findTemplate('sg-rule-usage'), {});
  const rows = await db.json<Row>(sql, params);
  const got = Object.fromEntries(rows.map((r) => [r.rule_id, [Number(r.conversations), Number(r.most_specific_conversations), Number(r.peers)]]));
  assert.deepEqual(got, {
    'sgr-00000000000cidr1': [3, 0, 1],
    'sgr-00000000000cref1': [3, 3, 1],
    'sgr-00000000000wide1': [3, 0, 1],
    'sgr-00000000000cout1': [3, 3, 2],
  });
});
