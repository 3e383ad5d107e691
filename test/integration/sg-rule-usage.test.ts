/**
 * Issue 15, part 1: security-group rules as data and which rules carried traffic. A small estate written as the
 * AWS CLI writes it: a web server (IPv4 and IPv6), an app server and a database, each with its group; the web and
 * app groups' rules from `aws ec2 describe-security-group-rules` (with ids), the database group's only from the
 * IpPermissions of `aws ec2 describe-security-groups`; an office prefix list of the account's own. Flow logs as VPC
 * Flow Logs write them. Real DuckDB, the real loader and enrichment, the templates through a read-only open as
 * `flowlens query` runs them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import type { Db, Row } from '../../src/core/store/db';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';
import { enrichSmallEstate } from '../support/small-estate';

const A = '111111111111';
const R = 'us-east-1';
const VPC = 'vpc-0a0000000000000a1';
const SG_WEB = 'sg-0e0000000000000e1';
const SG_APP = 'sg-0a0000000000000a1';
const SG_DB = 'sg-0d0000000000000d1';
const SG_BATCH = 'sg-0b0000000000000b1';
const PL_OFFICE = 'pl-0f0000000000000f1';
const ENI = { web: 'eni-0e0000000000000e1', app: 'eni-0a0000000000000a1', db: 'eni-0d0000000000000d1', batch: 'eni-0b0000000000000b1' };
const WEB_V6 = '2600:1f18:aaaa:1::10';

const eni = (id: string, ip: string, group: string, name: string, v6: string[] = []) => ({
  NetworkInterfaceId: id, InterfaceType: 'interface', OwnerId: A, VpcId: VPC, AvailabilityZone: 'us-east-1a', SubnetId: 'subnet-0a1',
  Status: 'in-use', RequesterManaged: false, Description: 'Primary network interface', Groups: [{ GroupId: group, GroupName: name }],
  PrivateIpAddress: ip, PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }], Ipv6Addresses: v6.map((a) => ({ Ipv6Address: a })),
  Attachment: { InstanceId: `i-${id.slice(4)}`, InstanceOwnerId: A, DeviceIndex: 0, Status: 'attached', AttachTime: '2026-01-01T00:00:00+00:00' },
  TagSet: [],
});

/** One rule as `aws ec2 describe-security-group-rules` writes it. */
const rule = (id: string, group: string, egress: boolean, proto: string, from: number, to: number, peer: Record<string, unknown>) => ({
  SecurityGroupRuleId: id, GroupId: group, GroupOwnerId: A, IsEgress: egress, IpProtocol: proto, FromPort: from, ToPort: to, Tags: [], ...peer,
});
const perm = (proto: string, from: number | undefined, to: number | undefined, peers: Record<string, unknown>) => ({
  IpProtocol: proto, ...(from === undefined ? {} : { FromPort: from, ToPort: to }), IpRanges: [], Ipv6Ranges: [], PrefixListIds: [], UserIdGroupPairs: [], ...peers,
});
const group = (id: string, name: string, ingress: unknown[], egress: unknown[]) => ({
  Description: name, GroupName: name, IpPermissions: ingress, OwnerId: A, GroupId: id, IpPermissionsEgress: egress, VpcId: VPC,
});
const ALL_OUT = perm('-1', undefined, undefined, { IpRanges: [{ CidrIp: '0.0.0.0/0' }] });

const FILES: Record<string, unknown> = {
  'ec2-describe-vpcs.json': { Vpcs: [{ VpcId: VPC, OwnerId: A, CidrBlock: '10.0.0.0/16', Ipv6CidrBlockAssociationSet: [{ Ipv6CidrBlock: '2600:1f18:aaaa::/56' }] }] },
  'ec2-describe-network-interfaces.json': {
    NetworkInterfaces: [
      eni(ENI.web, '10.0.1.10', SG_WEB, 'web', [WEB_V6]), eni(ENI.app, '10.0.2.20', SG_APP, 'app'), eni(ENI.db, '10.0.3.30', SG_DB, 'db'),
      eni(ENI.batch, '10.0.4.40', SG_BATCH, 'batch'),
    ],
  },
  // the groups' names; the web group's rules here are superseded by describe-security-group-rules' (with ids)
  'ec2-describe-security-groups.json': {
    SecurityGroups: [
      group(SG_WEB, 'web', [perm('tcp', 443, 443, { IpRanges: [{ CidrIp: '0.0.0.0/0' }] })], [ALL_OUT]),
      group(SG_APP, 'app', [], []),
      group(SG_DB, 'db', [
        perm('tcp', 5432, 5432, { UserIdGroupPairs: [{ GroupId: SG_APP, UserId: A }, { GroupId: SG_WEB, UserId: A, Description: 'web, once' }], IpRanges: [{ CidrIp: '10.0.9.0/24' }] }),
      ], [ALL_OUT]),
      group(SG_BATCH, 'batch', [perm('tcp', 443, 443, { IpRanges: [{ CidrIp: '10.0.0.0/16' }] })], []),
    ],
  },
  'ec2-describe-security-group-rules.json': {
    SecurityGroupRules: [
      rule('sgr-0000000000000web1', SG_WEB, false, 'tcp', 443, 443, { CidrIpv4: '0.0.0.0/0' }),
      rule('sgr-0000000000000web2', SG_WEB, false, 'tcp', 443, 443, { PrefixListId: PL_OFFICE, Description: 'office' }),
      rule('sgr-0000000000000web3', SG_WEB, false, 'tcp', 22, 22, { CidrIpv4: '10.0.0.0/8' }),
      rule('sgr-0000000000000web4', SG_WEB, false, '6', 443, 443, { CidrIpv6: '::/0' }),
      rule('sgr-0000000000000web5', SG_WEB, true, '-1', -1, -1, { CidrIpv4: '0.0.0.0/0' }),
      rule('sgr-0000000000000web6', SG_WEB, false, 'tcp', 0, 65535, { CidrIpv4: '198.51.100.1/32', Description: 'one host, every port' }),
      rule('sgr-0000000000000app1', SG_APP, false, 'tcp', 8080, 8080, { ReferencedGroupInfo: { GroupId: SG_WEB, UserId: A } }),
      rule('sgr-0000000000000app2', SG_APP, false, 'tcp', 8000, 8999, { CidrIpv4: '10.0.0.0/16' }),
      rule('sgr-0000000000000app3', SG_APP, true, '-1', -1, -1, { CidrIpv4: '0.0.0.0/0' }),
    ],
  },
  'ec2-describe-managed-prefix-lists.json': {
    PrefixLists: [{ PrefixListId: PL_OFFICE, AddressFamily: 'IPv4', State: 'create-complete', PrefixListArn: `arn:aws:ec2:${R}:${A}:prefix-list/${PL_OFFICE}`, PrefixListName: 'office', MaxEntries: 5, Version: 1, OwnerId: A }],
  },
  // aws ec2 get-managed-prefix-list-entries --prefix-list-id pl-… --query "{PrefixListId: 'pl-…', Entries: Entries}"
  'ec2-get-managed-prefix-list-entries.json': { PrefixListId: PL_OFFICE, Entries: [{ Cidr: '203.0.113.0/24', Description: 'office' }] },
};

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const T = 1790164800; // 2026-09-23T12:00:00Z
/** A connection logged at `eni`: the request and the answer (client → server, then back). */
const conn = (eni: string, client: string, server: string, cport: number, sport: number, bytes: number, action = 'ACCEPT') => [
  `2 ${A} ${eni} ${client} ${server} ${cport} ${sport} 6 10 ${bytes} ${T} ${T + 59} ${action} OK`,
  `2 ${A} ${eni} ${server} ${client} ${sport} ${cport} 6 5 ${bytes * 10} ${T} ${T + 59} ${action} OK`,
];
const FLOWS = [
  // three internet clients and one office address call the web server on 443 (IPv4), two on IPv6
  ...conn(ENI.web, '198.51.100.1', '10.0.1.10', 50001, 443, 100),
  ...conn(ENI.web, '198.51.100.2', '10.0.1.10', 50002, 443, 100),
  ...conn(ENI.web, '198.51.100.3', '10.0.1.10', 50003, 443, 100),
  ...conn(ENI.web, '203.0.113.7', '10.0.1.10', 50004, 443, 100),
  ...conn(ENI.web, '2001:db8:1::5', WEB_V6, 50005, 443, 100),
  ...conn(ENI.web, '2001:db8:1::9', WEB_V6, 50006, 443, 100),
  // web calls app on 8080 and 8500; app calls the database on 5432 and an internet address on 443
  ...conn(ENI.web, '10.0.1.10', '10.0.2.20', 40001, 8080, 1000),
  ...conn(ENI.web, '10.0.1.10', '10.0.2.20', 40004, 8500, 1000),
  ...conn(ENI.app, '10.0.2.20', '10.0.3.30', 40002, 5432, 2000),
  ...conn(ENI.app, '10.0.2.20', '198.51.100.9', 40005, 443, 2000),
  // refused: counts for no rule (the database's interface logged it, so it was logged)
  ...conn(ENI.db, '10.0.1.10', '10.0.3.30', 40003, 5432, 60, 'REJECT'),
];

let dir: string;
let db: Db;

before(async () => {
  ({ dir, db } = await enrichSmallEstate('flowlens-sg-rules-', A, R, FILES, [HEADER, ...FLOWS]));
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run<T extends Row>(id: string, params: Record<string, string> = {}): Promise<T[]> {
  const { sql, params: bound } = bindTemplate(findTemplate(id), params);
  return db.json<T>(sql, bound);
}

const dbRule = (peer: string) => `${SG_DB}/ingress/6/5432-5432/${peer}`;

test('rules are read from both APIs, one row per rule and peer; the rules API wins for the groups it describes', async () => {
  assert.deepEqual(await db.json(`SELECT rule_id, direction, protocol, ports, peer FROM sg_rules_shown WHERE security_group IN ($db, $web) ORDER BY rule_id`, { db: SG_DB, web: SG_WEB }), [
    { rule_id: `${SG_DB}/egress/all/all/0.0.0.0/0`, direction: 'egress', protocol: 'all', ports: 'all', peer: '0.0.0.0/0' },
    { rule_id: dbRule('10.0.9.0/24'), direction: 'ingress', protocol: 'tcp', ports: '5432', peer: '10.0.9.0/24' },
    { rule_id: dbRule(SG_APP), direction: 'ingress', protocol: 'tcp', ports: '5432', peer: SG_APP },
    { rule_id: dbRule(SG_WEB), direction: 'ingress', protocol: 'tcp', ports: '5432', peer: SG_WEB },
    { rule_id: 'sgr-0000000000000web1', direction: 'ingress', protocol: 'tcp', ports: '443', peer: '0.0.0.0/0' },
    { rule_id: 'sgr-0000000000000web2', direction: 'ingress', protocol: 'tcp', ports: '443', peer: PL_OFFICE },
    { rule_id: 'sgr-0000000000000web3', direction: 'ingress', protocol: 'tcp', ports: '22', peer: '10.0.0.0/8' },
    { rule_id: 'sgr-0000000000000web4', direction: 'ingress', protocol: 'tcp', ports: '443', peer: '::/0' },
    { rule_id: 'sgr-0000000000000web5', direction: 'egress', protocol: 'all', ports: 'all', peer: '0.0.0.0/0' },
    { rule_id: 'sgr-0000000000000web6', direction: 'ingress', protocol: 'tcp', ports: 'all', peer: '198.51.100.1/32' },
  ]);
});

test('an account\'s own prefix list expands a rule but is no AWS prefix: the office address stays the internet', async () => {
  assert.deepEqual(await db.json(`SELECT prefix FROM inv_prefix_list_entries WHERE prefix_list_id = $pl`, { pl: PL_OFFICE }), [{ prefix: '203.0.113.0/24' }]);
  assert.equal(await db.value<bigint>(`SELECT count(*) FROM inv_prefixes WHERE prefix_list_id = $pl`, { pl: PL_OFFICE }), 0n);
  assert.deepEqual(await db.json(`SELECT DISTINCT client_type FROM conversations WHERE client_addr = '203.0.113.7'`), [{ client_type: 'documentation' }]);
});

interface Usage extends Row {
  rule_id: string;
  conversations: number;
  most_specific_conversations: number;
  bytes: number;
  peers: number;
  narrowest_cidr: string | null;
  group_instead: string | null;
}

test('sg-rule-usage: each rule\'s conversations, the most specific marked, peers, bytes and the narrowest CIDR', async () => {
  const rows = await run<Usage & { first_seen: string; last_seen: string }>('sg-rule-usage');
  const by = new Map(rows.map((r) => [r.rule_id, r]));
  const pick = (id: string) => {
    const r = by.get(id);
    assert.ok(r, id);
    return { conversations: r.conversations, most_specific: r.most_specific_conversations, peers: r.peers, narrowest: r.narrowest_cidr, group: r.group_instead };
  };
  // 0.0.0.0/0 :443 admitted all four IPv4 callers; for the office address the prefix-list rule is more specific,
  // so the three internet callers are what it is needed for: 198.51.100.0/30 would do
  assert.deepEqual(pick('sgr-0000000000000web1'), { conversations: 4, most_specific: 3, peers: 4, narrowest: '198.51.100.0/30', group: null });
  // one host on every port: a longer prefix, but the wider port range, so :443 is the more specific rule for it
  assert.deepEqual(pick('sgr-0000000000000web6'), { conversations: 1, most_specific: 0, peers: 1, narrowest: null, group: null });
  assert.deepEqual(pick('sgr-0000000000000web2'), { conversations: 1, most_specific: 1, peers: 1, narrowest: null, group: null });
  assert.deepEqual(pick('sgr-0000000000000web3'), { conversations: 0, most_specific: 0, peers: 0, narrowest: null, group: null });
  // IPv6: ::/0 used by 2001:db8:1::5 and ::9
  assert.deepEqual(pick('sgr-0000000000000web4'), { conversations: 2, most_specific: 2, peers: 2, narrowest: '2001:db8:1::/124', group: null });
  // outbound: web's egress admitted its two calls to app (whose ENI carries sg-app: a reference to it would do);
  // the answers of every inbound call needed no rule
  assert.deepEqual(pick('sgr-0000000000000web5'), { conversations: 2, most_specific: 2, peers: 1, narrowest: '10.0.2.20/32', group: SG_APP });
  // app's inbound: for 8080 the group reference (web's ENI carries sg-web) is more specific than 8000-8999 from the
  // VPC, which is the only rule for 8500: what it is needed for is web alone, its address or its group
  assert.deepEqual(pick('sgr-0000000000000app1'), { conversations: 1, most_specific: 1, peers: 1, narrowest: null, group: null });
  assert.deepEqual(pick('sgr-0000000000000app2'), { conversations: 2, most_specific: 1, peers: 1, narrowest: '10.0.1.10/32', group: SG_WEB });
  // app's egress: the database and an internet address, which carries no group
  assert.deepEqual(pick('sgr-0000000000000app3'), { conversations: 2, most_specific: 2, peers: 2, narrowest: null, group: null });
  // the database: app's group is referenced and used; web's is referenced too, but web's call was refused
  assert.deepEqual(pick(dbRule(SG_APP)), { conversations: 1, most_specific: 1, peers: 1, narrowest: null, group: null });
  assert.deepEqual(pick(dbRule(SG_WEB)), { conversations: 0, most_specific: 0, peers: 0, narrowest: null, group: null });
  assert.deepEqual(pick(dbRule('10.0.9.0/24')), { conversations: 0, most_specific: 0, peers: 0, narrowest: null, group: null });
  assert.equal(by.get('sgr-0000000000000app1')!.bytes, 1000 + 10000);
  assert.equal(by.get('sgr-0000000000000web1')!.first_seen, '2026-09-23 12:00:00');
  // a period without the traffic: nothing used
  const before = await run<Usage>('sg-rule-usage', { until: '2026-09-23 11:00' });
  assert.deepEqual(before.filter((r) => r.conversations > 0), []);
});

test('sg-unused-rules: rules no conversation used, unused only where every guarded interface logged', async () => {
  const rows = await run<{ rule_id: string; verdict: string; guarded_enis: number; logged_enis: number }>('sg-unused-rules', { days: '30' });
  assert.deepEqual(rows.map((r) => [r.rule_id, r.verdict, r.guarded_enis, r.logged_enis]), [
    [`${SG_DB}/egress/all/all/0.0.0.0/0`, 'unused', 1, 1],
    [dbRule('10.0.9.0/24'), 'unused', 1, 1],
    [dbRule(SG_WEB), 'unused', 1, 1],
    ['sgr-0000000000000web3', 'unused', 1, 1],
    // the batch interface logged nothing: its rule is not called unused
    [`${SG_BATCH}/ingress/6/443-443/10.0.0.0/16`, `not proven: ${ENI.batch} logged nothing 2026-09-23 12:00–12:01`, 1, 0],
  ]);
});
