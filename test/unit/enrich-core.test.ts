/**
 * The enrichment SQL on a small hand-built estate whose answers are known: dedup of both ends, NAT
 * legs, peering, overlapping private ranges, address reuse over time, orientation, REJECT, AWS prefixes,
 * special-purpose addresses, addresses outside every known VPC link (inferred), a record proving its own ENI.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Db } from '../../src/core/store/db';
import { ensureSchema } from '../../src/core/store/schema';
import { recordTable } from '../../src/core/store/records';
import { FLOW_FIELDS } from '../../src/core/model/flowFields';
import { rebuild } from '../../src/core/enrich/rebuild';
import { INVENTORY_TABLES } from '../../src/core/enrich/conversations';
import { installMacros } from '../../src/core/enrich/macros';
import { exportConversations } from '../../src/core/export';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';
import { factRows } from '../support/rewritten-facts';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const A = '111111111111';
const B = '222222222222';
const T0 = 1790000000 - (1790000000 % 60); // a minute boundary
const T1 = T0 + 3600; // the moment 10.0.1.50 changes hands

let db: Db;

const arn = (svc: string, what: string, region = 'us-east-1') => `arn:aws:${svc}:${region}:${A}:${what}`;

async function seedInventory(): Promise<void> {
  await db.exec(`
    INSERT INTO inv_vpcs VALUES ('vpc-a', '${A}', 'us-east-1', ['10.0.0.0/16'], [], false, 'a'),
                                ('vpc-b', '${A}', 'us-east-1', ['10.1.0.0/16', '10.0.1.0/24'], [], false, 'b');
    INSERT INTO inv_vpc_links VALUES
      ('pcx-1', 'peering', 'vpc-a', '${A}', 'us-east-1', 'vpc-b', '${A}', 'us-east-1', DEFAULT, DEFAULT),
      ('pcx-1', 'peering', 'vpc-b', '${A}', 'us-east-1', 'vpc-a', '${A}', 'us-east-1', DEFAULT, DEFAULT),
      -- the same two VPCs are also attached to one transit gateway: one attribution, not two
      ('tgw-1', 'transit-gateway', 'vpc-a', '${A}', 'us-east-1', 'vpc-b', '${A}', 'us-east-1', DEFAULT, DEFAULT),
      ('tgw-1', 'transit-gateway', 'vpc-b', '${A}', 'us-east-1', 'vpc-a', '${A}', 'us-east-1', DEFAULT, DEFAULT);
    INSERT INTO inv_gateways VALUES
      ('nat-1', 'nat-gateway', NULL, 'vpc-a', '${A}', 'us-east-1', 'subnet-pub', 'us-east-1a', 'public', ['3.3.3.3'], ['10.0.0.5'], ['eni-nat']),
      ('igw-1', 'internet-gateway', NULL, 'vpc-a', '${A}', 'us-east-1', NULL, NULL, NULL, [], [], []);
    INSERT INTO inv_vpc_endpoints VALUES
      ('vpce-s3', NULL, 'vpc-b', '${A}', 'us-east-1', 'Gateway', 'com.amazonaws.us-east-1.s3', 's3', ['rtb-1'], [], [], 'pl-63a5400a');
    INSERT INTO inv_prefixes VALUES
      ('52.216.0.0/15', 4, 15, 886571008, 886702079, 'S3', 'us-east-1', 'us-east-1', 'ip-ranges', NULL, '1'),
      ('52.216.0.0/14', 4, 14, 886571008, 886833151, 'AMAZON', 'us-east-1', 'us-east-1', 'ip-ranges', NULL, '1'),
      -- AMAZON also lists a narrower prefix inside S3's (as ip-ranges.json does): the specific service still wins
      ('52.216.8.0/24', 4, 24, 886573056, 886573311, 'AMAZON', 'us-east-1', 'us-east-1', 'ip-ranges', NULL, '1'),
      -- an AWS prefix inside documentation space (192.0.2.128/25): AWS's prefix says more than the documentation type
      ('192.0.2.128/25', 4, 25, 3221226112, 3221226239, 'CLOUDFRONT', 'GLOBAL', 'GLOBAL', 'ip-ranges', NULL, '1');
  `);
  const res = [
    [arn('ec2', 'instance/i-web1'), 'i-web1', 'ec2:instance', 'instance', 'vpc-a'],
    [arn('rds', 'db:orders'), 'orders', 'rds:db', 'rds', 'vpc-a'],
    [arn('ec2', 'natgateway/nat-1'), 'nat-1', 'ec2:natgateway', 'natgateway', 'vpc-a'],
    [arn('ec2', 'instance/i-b1'), 'i-b1', 'ec2:instance', 'instance', 'vpc-b'],
    [arn('ec2', 'instance/i-dup'), 'i-dup', 'ec2:instance', 'instance', 'vpc-b'],
    [arn('ecs', 'task/c/one'), 'one', 'ecs:task', 'ecs-task', 'vpc-a'],
    [arn('ecs', 'task/c/two'), 'two', 'ecs:task', 'ecs-task', 'vpc-a'],
    [arn('ec2', 'instance/i-pub'), 'i-pub', 'ec2:instance', 'instance', 'vpc-a'],
    [arn('lambda', 'function:report'), 'report', 'lambda:function', 'lambda', 'vpc-a'],
    [arn('rds', 'db-proxy:prx-1'), 'prx-1', 'rds:db-proxy', 'rds-proxy', 'vpc-a'],
  ];
  for (const [a, id, type, kind, vpc] of res) {
    await db.exec(`INSERT INTO inv_resources (arn, resource_id, type, kind, name, account_id, region, vpc_id)
                   VALUES ($1, $2, $3, $4, $2, '${A}', 'us-east-1', $5)`, [a, id, type, kind, vpc]);
  }
  const enis: [string, string, string, string, string, string, string, string?][] = [
    // eni, arn, kind, vpc, subnet, az, primary ip, public ip
    ['eni-web1', res[0][0], 'instance', 'vpc-a', 'subnet-a1', 'us-east-1a', '10.0.1.10'],
    ['eni-db', res[1][0], 'rds', 'vpc-a', 'subnet-a2', 'us-east-1b', '10.0.2.20'],
    ['eni-nat', res[2][0], 'natgateway', 'vpc-a', 'subnet-pub', 'us-east-1a', '10.0.0.5', '3.3.3.3'],
    ['eni-b1', res[3][0], 'instance', 'vpc-b', 'subnet-b1', 'us-east-1a', '10.1.0.10'],
    ['eni-dup', res[4][0], 'instance', 'vpc-b', 'subnet-b2', 'us-east-1b', '10.0.1.10'],
    ['eni-fn', res[8][0], 'lambda', 'vpc-a', 'subnet-a2', 'us-east-1b', '10.0.2.30'],
    ['eni-prx', res[9][0], 'rds-proxy', 'vpc-a', 'subnet-a2', 'us-east-1b', '10.0.2.40'],
  ];
  for (const [eni, a, kind, vpc, subnet, az, ip, pub] of enis) {
    await db.exec(`INSERT INTO inv_enis (eni_id, arn, kind, account_id, region, vpc_id, subnet_id, az, security_group_ids)
                   VALUES ($1, $2, $3, '${A}', 'us-east-1', $4, $5, $6, ['sg-' || $3])`, [eni, a, kind, vpc, subnet, az]);
    await db.exec(`INSERT INTO inv_addresses (addr, family, addr_kind, vpc_id, eni_id, arn) VALUES ($1, 4, 'primary', $2, $3, $4)`,
      [ip, vpc, eni, a]);
    if (pub) await db.exec(`INSERT INTO inv_addresses (addr, family, addr_kind, vpc_id, eni_id, arn) VALUES ($1, 4, 'public', $2, $3, $4)`,
      [pub, vpc, eni, a]);
  }
  await db.exec(`INSERT INTO inv_tags VALUES
    ('${res[0][0]}', 'app', 'web', DEFAULT, fl_ts(${T1})),
    ('${res[0][0]}', 'app', 'storefront', fl_ts(${T1}), DEFAULT),
    ('${res[0][0]}', 'owner', 'team-a', DEFAULT, DEFAULT)`);
  // 10.0.1.50: task one until T1, then task two (a new ENI).
  await db.exec(`
    INSERT INTO inv_enis (eni_id, arn, kind, account_id, region, vpc_id, subnet_id, az, valid_from, valid_to) VALUES
      ('eni-t1', '${res[5][0]}', 'ecs-task', '${A}', 'us-east-1', 'vpc-a', 'subnet-a2', 'us-east-1b', DEFAULT, fl_ts(${T1})),
      ('eni-t2', '${res[6][0]}', 'ecs-task', '${A}', 'us-east-1', 'vpc-a', 'subnet-a1', 'us-east-1a', fl_ts(${T1}), DEFAULT);
    INSERT INTO inv_addresses VALUES
      ('10.0.1.50', 4, 'primary', 'vpc-a', 'eni-t1', '${res[5][0]}', TIMESTAMP '1970-01-01', fl_ts(${T1})),
      ('10.0.1.50', 4, 'primary', 'vpc-a', 'eni-t2', '${res[6][0]}', fl_ts(${T1}), TIMESTAMP '9999-12-31');
  `);
  // 10.0.1.70: task one's ENI eni-t3, whose end the inventory never learned (its interval stays open), then from
  // T1 task two's eni-t4: one holder at a time, the later one from T1.
  await db.exec(`
    INSERT INTO inv_enis (eni_id, arn, kind, account_id, region, vpc_id, subnet_id, az, valid_from, valid_to) VALUES
      ('eni-t3', '${res[5][0]}', 'ecs-task', '${A}', 'us-east-1', 'vpc-a', 'subnet-a2', 'us-east-1b', DEFAULT, DEFAULT),
      ('eni-t4', '${res[6][0]}', 'ecs-task', '${A}', 'us-east-1', 'vpc-a', 'subnet-a1', 'us-east-1a', fl_ts(${T1}), DEFAULT);
    INSERT INTO inv_addresses VALUES
      ('10.0.1.70', 4, 'primary', 'vpc-a', 'eni-t3', '${res[5][0]}', TIMESTAMP '1970-01-01', TIMESTAMP '9999-12-31'),
      ('10.0.1.70', 4, 'primary', 'vpc-a', 'eni-t4', '${res[6][0]}', fl_ts(${T1}), TIMESTAMP '9999-12-31');
  `);
  // web1 is a load balancer's target on port 8443; the proxy fronts the orders database
  await db.exec(`INSERT INTO inv_lb_targets VALUES ('${arn('elasticloadbalancing', 'targetgroup/web/1')}', '${arn('elasticloadbalancing', 'loadbalancer/app/web/1')}',
      'instance', 'i-web1', '${res[0][0]}', 8443, 'HTTPS', 'healthy');
    INSERT INTO inv_db_proxy_targets (proxy_arn, db_arn) VALUES ('${res[9][0]}', '${res[1][0]}');`);
  // i-pub gets two public addresses at T1 (both at once: still one conversation each).
  await db.exec(`
    INSERT INTO inv_enis (eni_id, arn, kind, account_id, region, vpc_id, subnet_id, az) VALUES
      ('eni-pub', '${res[7][0]}', 'instance', '${A}', 'us-east-1', 'vpc-a', 'subnet-pub', 'us-east-1a');
    INSERT INTO inv_addresses VALUES
      ('10.0.0.60', 4, 'primary', 'vpc-a', 'eni-pub', '${res[7][0]}', TIMESTAMP '1970-01-01', TIMESTAMP '9999-12-31'),
      ('54.0.0.60', 4, 'public', 'vpc-a', 'eni-pub', '${res[7][0]}', fl_ts(${T1}), TIMESTAMP '9999-12-31'),
      ('54.0.0.61', 4, 'public', 'vpc-a', 'eni-pub', '${res[7][0]}', fl_ts(${T1}), TIMESTAMP '9999-12-31'),
      ('2600:1f18:aaaa::60', 6, 'ipv6', 'vpc-a', 'eni-pub', '${res[7][0]}', TIMESTAMP '1970-01-01', TIMESTAMP '9999-12-31');
  `);
  await seedUnlinked();
}

const arnB = (what: string) => `arn:aws:ec2:us-east-1:${B}:${what}`;

/**
 * VPCs no link joins to vpc-a: vpc-c in account B and vpc-d in account A. 10.2.0.5 is eni-c1's alone; 10.3.0.7 is
 * held in both; 10.3.0.8 is vpc-c's until T1 and vpc-d's from T1; 10.2.0.9 is held in vpc-a and in vpc-c. And a
 * failover ENI of vpc-a whose snapshot (inventory and addresses) starts at T1, its AttachTime; and an ENI whose
 * owner is known before the address the records show it with.
 */
async function seedUnlinked(): Promise<void> {
  await db.exec(`
    INSERT INTO inv_vpcs VALUES ('vpc-c', '${B}', 'us-east-1', ['10.2.0.0/16', '10.3.0.0/16'], [], false, 'c'),
                                ('vpc-d', '${A}', 'us-east-1', ['10.3.0.0/16'], [], false, 'd');
    INSERT INTO inv_resources (arn, resource_id, type, kind, name, account_id, region, vpc_id) VALUES
      ('${arnB('instance/i-c1')}', 'i-c1', 'ec2:instance', 'instance', 'i-c1', '${B}', 'us-east-1', 'vpc-c'),
      ('${arnB('instance/i-c7')}', 'i-c7', 'ec2:instance', 'instance', 'i-c7', '${B}', 'us-east-1', 'vpc-c'),
      ('${arn('ec2', 'instance/i-a7')}', 'i-a7', 'ec2:instance', 'instance', 'i-a7', '${A}', 'us-east-1', 'vpc-a'),
      ('${arn('ec2', 'instance/i-fo')}', 'i-fo', 'ec2:instance', 'instance', 'i-fo', '${A}', 'us-east-1', 'vpc-a'),
      ('${arn('ec2', 'instance/i-fo2')}', 'i-fo2', 'ec2:instance', 'instance', 'i-fo2', '${A}', 'us-east-1', 'vpc-a');
    INSERT INTO inv_enis (eni_id, arn, kind, account_id, region, vpc_id, subnet_id, az, security_group_ids, valid_from) VALUES
      ('eni-c1', '${arnB('instance/i-c1')}', 'instance', '${B}', 'us-east-1', 'vpc-c', 'subnet-c1', 'us-east-1c', ['sg-c'], DEFAULT),
      ('eni-c2', NULL, NULL, '${B}', 'us-east-1', 'vpc-c', 'subnet-c1', 'us-east-1c', ['sg-c'], DEFAULT),
      ('eni-c7', '${arnB('instance/i-c7')}', 'instance', '${B}', 'us-east-1', 'vpc-c', 'subnet-c1', 'us-east-1c', ['sg-c'], DEFAULT),
      ('eni-d1', NULL, NULL, '${A}', 'us-east-1', 'vpc-d', 'subnet-d1', 'us-east-1d', ['sg-d'], DEFAULT),
      ('eni-a7', '${arn('ec2', 'instance/i-a7')}', 'instance', '${A}', 'us-east-1', 'vpc-a', 'subnet-a1', 'us-east-1a', ['sg-a7'], DEFAULT),
      ('eni-fo', '${arn('ec2', 'instance/i-fo')}', 'instance', '${A}', 'us-east-1', 'vpc-a', 'subnet-a2', 'us-east-1b', ['sg-fo', 'sg-db-clients'], fl_ts(${T1})),
      ('eni-fo2', '${arn('ec2', 'instance/i-fo2')}', 'instance', '${A}', 'us-east-1', 'vpc-a', 'subnet-a2', 'us-east-1b', ['sg-fo2'], DEFAULT);
    INSERT INTO inv_addresses VALUES
      ('10.2.0.5', 4, 'primary', 'vpc-c', 'eni-c1', '${arnB('instance/i-c1')}', DEFAULT, DEFAULT),
      ('10.3.0.7', 4, 'primary', 'vpc-c', 'eni-c2', NULL, DEFAULT, DEFAULT),
      ('10.3.0.7', 4, 'primary', 'vpc-d', 'eni-d1', NULL, DEFAULT, DEFAULT),
      ('10.3.0.8', 4, 'secondary', 'vpc-c', 'eni-c2', NULL, DEFAULT, fl_ts(${T1})),
      ('10.3.0.8', 4, 'secondary', 'vpc-d', 'eni-d1', NULL, fl_ts(${T1}), DEFAULT),
      ('10.2.0.9', 4, 'primary', 'vpc-c', 'eni-c7', '${arnB('instance/i-c7')}', DEFAULT, DEFAULT),
      ('10.2.0.9', 4, 'primary', 'vpc-a', 'eni-a7', '${arn('ec2', 'instance/i-a7')}', DEFAULT, DEFAULT),
      ('10.0.2.77', 4, 'primary', 'vpc-a', 'eni-fo', '${arn('ec2', 'instance/i-fo')}', fl_ts(${T1}), DEFAULT),
      ('10.0.2.78', 4, 'secondary', 'vpc-a', 'eni-fo2', '${arn('ec2', 'instance/i-fo2')}', fl_ts(${T1}), DEFAULT);
  `);
}

type Rec = Partial<Record<string, string | number | null>>;
let fileId = 0;
async function records(rows: Rec[]): Promise<void> {
  fileId++;
  for (const r of rows) {
    const cols = Object.keys(r);
    const table = await recordTable(db, FLOW_FIELDS.filter((f) => cols.includes(f.column)));
    await db.exec(
      `INSERT INTO ${table} (file_id, ${cols.map((c) => `"${c}"`).join(', ')}) VALUES (${fileId}, ${cols.map((_, i) => `$${i + 1}`).join(', ')})`,
      cols.map((c) => r[c] ?? null) as (string | number | null)[],
    );
  }
}

function rec(eni: string, src: string, sport: number, dst: string, dport: number, bytes: number, extra: Rec = {}): Rec {
  return { version: 2, account_id: A, interface_id: eni, srcaddr: src, dstaddr: dst, srcport: sport, dstport: dport,
    protocol: 6, packets: 10, bytes, start: T0 + 5, end: T0 + 55, action: 'ACCEPT', log_status: 'OK', ...extra };
}

before(async () => {
  db = await Db.open(':memory:');
  await ensureSchema(db);
  await installMacros(db);
  await seedInventory();
  await records([
    // 1. web1 -> db:5432 seen at both ends, both directions.
    rec('eni-web1', '10.0.1.10', 40000, '10.0.2.20', 5432, 1000, { tcp_flags: 2 }),
    rec('eni-web1', '10.0.2.20', 5432, '10.0.1.10', 40000, 9000, { tcp_flags: 18 }),
    rec('eni-db', '10.0.1.10', 40000, '10.0.2.20', 5432, 1000, { tcp_flags: 2 }),
    rec('eni-db', '10.0.2.20', 5432, '10.0.1.10', 40000, 9000, { tcp_flags: 18 }),
    // 2. web1 -> S3 through the NAT gateway: the instance's records and both NAT legs (v5 pkt-* fields).
    rec('eni-web1', '10.0.1.10', 40001, '52.216.8.10', 443, 500, { traffic_path: 1, flow_direction: 'egress' }),
    rec('eni-web1', '52.216.8.10', 443, '10.0.1.10', 40001, 70000),
    rec('eni-nat', '10.0.1.10', 40001, '10.0.0.5', 443, 500, { pkt_srcaddr: '10.0.1.10', pkt_dstaddr: '52.216.8.10' }),
    rec('eni-nat', '10.0.0.5', 61000, '52.216.8.10', 443, 500, { pkt_srcaddr: '10.0.0.5', pkt_dstaddr: '52.216.8.10' }),
    rec('eni-nat', '52.216.8.10', 443, '10.0.0.5', 61000, 70000, { pkt_srcaddr: '52.216.8.10', pkt_dstaddr: '10.0.0.5' }),
    rec('eni-nat', '10.0.0.5', 443, '10.0.1.10', 40001, 70000, { pkt_srcaddr: '52.216.8.10', pkt_dstaddr: '10.0.1.10' }),
    // 3. b1 -> S3 in a VPC with an S3 gateway endpoint.
    rec('eni-b1', '10.1.0.10', 40002, '52.216.8.11', 443, 300),
    // 3b. the same with traffic-path 2 (internet gateway or gateway endpoint): the VPC's endpoint decides.
    rec('eni-b1', '10.1.0.10', 40013, '52.216.8.11', 443, 310, { traffic_path: 2 }),
    // 4. web1 -> b1 over peering, logged only in vpc-a.
    rec('eni-web1', '10.0.1.10', 40003, '10.1.0.10', 8080, 200),
    // 5. b1 -> 10.0.1.10 inside vpc-b: the overlapping address is i-dup's there, not web1's.
    rec('eni-b1', '10.1.0.10', 40004, '10.0.1.10', 6379, 100),
    // 6. web1 -> 10.0.1.50 before and after the address changed hands.
    rec('eni-web1', '10.0.1.10', 40005, '10.0.1.50', 80, 10),
    rec('eni-web1', '10.0.1.10', 40006, '10.0.1.50', 80, 20, { start: T1 + 65, end: T1 + 110 }),
    // 6b. web1 -> 10.0.1.70 before its second holder appeared (the first one's end never seen) and at the very
    // second it did (an interval ends where the next begins: [from, to)).
    rec('eni-web1', '10.0.1.10', 40010, '10.0.1.70', 80, 11),
    rec('eni-web1', '10.0.1.10', 40011, '10.0.1.70', 80, 21, { start: T1, end: T1 + 50 }),
    // 7. no flags, only the server's reply logged: ports decide (443 is the server).
    rec('eni-db', '10.0.1.10', 443, '10.0.2.20', 51000, 77),
    // 7b. only the server's SYN-ACK logged, the server on a high port and the client on a low one: the SYN-ACK
    // decides over the ports.
    rec('eni-db', '10.0.2.20', 50000, '10.0.1.10', 1022, 66, { tcp_flags: 18 }),
    // 8. the internet knocking on ssh, rejected.
    rec('eni-web1', '81.2.69.7', 51515, '10.0.1.10', 22, 60, { action: 'REJECT' }),
    // 9. i-pub -> the internet before it had a public address (through the NAT) and after (its own IGW route).
    rec('eni-pub', '10.0.0.60', 40007, '89.160.20.9', 443, 30),
    rec('eni-pub', '10.0.0.60', 40008, '89.160.20.9', 443, 40, { start: T1 + 5, end: T1 + 55 }),
    // 10. i-pub -> S3 once it has a public address: the internet gateway, not the NAT.
    rec('eni-pub', '10.0.0.60', 40016, '52.216.8.12', 443, 45, { start: T1 + 5, end: T1 + 55 }),
    // 11. the report Lambda reaches the orders database directly, and through its proxy.
    rec('eni-fn', '10.0.2.30', 40014, '10.0.2.20', 5432, 100, { tcp_flags: 2 }),
    rec('eni-fn', '10.0.2.30', 40015, '10.0.2.40', 5432, 120, { tcp_flags: 2 }),
    // 12. i-pub reaches web1 on the load balancer's target port (bypassing it), and on ssh (not a bypass).
    rec('eni-pub', '10.0.0.60', 40017, '10.0.1.10', 8443, 33, { tcp_flags: 2 }),
    rec('eni-pub', '10.0.0.60', 40018, '10.0.1.10', 22, 44, { tcp_flags: 2 }),
    // 12b. a carrier-grade NAT address (no resource, as the internet is none) reaches web1 on the target port
    rec('eni-web1', '100.64.7.7', 40034, '10.0.1.10', 8443, 34, { tcp_flags: 2 }),
    // 13. special-purpose addresses (address_types), each once: from web1 (vpc-a: a NAT, an internet gateway and a
    // transit gateway) ...
    rec('eni-web1', '10.0.1.10', 40020, '169.254.169.254', 80, 50),
    rec('eni-web1', '10.0.1.10', 40021, '169.254.169.253', 53, 51, { protocol: 17 }),
    rec('eni-web1', '10.0.1.10', 40022, '169.254.10.10', 8080, 52),
    rec('eni-web1', '10.0.1.10', 40023, '100.64.1.5', 443, 53),
    rec('eni-web1', '10.0.1.10', 40024, '239.1.1.1', 5353, 54, { protocol: 17 }),
    rec('eni-web1', '10.0.1.10', 40025, '255.255.255.255', 67, 55, { protocol: 17 }),
    // a private address nothing explains stays unknown
    rec('eni-web1', '10.0.1.10', 40026, '10.9.9.9', 443, 56),
    // ... and from i-pub, through the NAT before it has a public address: documentation space, and an AWS
    // prefix inside it
    rec('eni-pub', '10.0.0.60', 40027, '192.0.2.55', 443, 57),
    rec('eni-pub', '10.0.0.60', 40028, '192.0.2.130', 443, 58),
    // ... and over IPv6
    rec('eni-pub', '2600:1f18:aaaa::60', 40029, 'fe80::1', 443, 59),
    rec('eni-pub', '2600:1f18:aaaa::60', 40030, 'fd00:ec2::254', 80, 60),
    rec('eni-pub', '2600:1f18:aaaa::60', 40031, 'fd12:3456::1', 443, 61),
    rec('eni-pub', '2600:1f18:aaaa::60', 40032, 'ff02::fb', 5353, 62, { protocol: 17 }),
    rec('eni-pub', '2600:1f18:aaaa::60', 40033, '2001:db8::5', 443, 63, { start: T1 + 5, end: T1 + 55 }),
    // 14. private addresses outside every VPC vpc-a is linked to: one holder in the whole inventory (in account
    // B), two holders at once, one holder at a time (vpc-c's, then vpc-d's) ...
    rec('eni-web1', '10.0.1.10', 40040, '10.2.0.5', 443, 70, { tcp_flags: 2 }),
    rec('eni-web1', '10.0.1.10', 40041, '10.3.0.7', 443, 71, { tcp_flags: 2 }),
    rec('eni-web1', '10.0.1.10', 40042, '10.3.0.8', 443, 72, { tcp_flags: 2 }),
    rec('eni-web1', '10.0.1.10', 40043, '10.3.0.8', 443, 73, { tcp_flags: 2, start: T1 + 5, end: T1 + 55 }),
    // ... and one held in the observer's VPC and elsewhere: the observer's VPC decides, from either VPC
    rec('eni-web1', '10.0.1.10', 40044, '10.2.0.9', 443, 74, { tcp_flags: 2 }),
    rec('eni-c1', '10.2.0.5', 40045, '10.2.0.9', 443, 75, { tcp_flags: 2 }),
    // 15. the failover ENI logs before its AttachTime and after; the other one with an address it got later
    rec('eni-fo', '10.0.2.77', 40046, '10.0.2.20', 5432, 76, { tcp_flags: 2 }),
    rec('eni-fo', '10.0.2.77', 40047, '10.0.2.20', 5432, 77, { tcp_flags: 2, start: T1 + 5, end: T1 + 55 }),
    rec('eni-fo2', '10.0.2.78', 40048, '10.0.2.20', 5432, 78, { tcp_flags: 2 }),
    // 16. web1 reaches the failover ENI before its AttachTime, logged at both ends: the client's records are
    // counted, and the server's own records prove the server's side
    rec('eni-web1', '10.0.1.10', 40049, '10.0.2.77', 9000, 79, { tcp_flags: 2 }),
    rec('eni-web1', '10.0.2.77', 9000, '10.0.1.10', 40049, 80, { tcp_flags: 18 }),
    rec('eni-fo', '10.0.1.10', 40049, '10.0.2.77', 9000, 79, { tcp_flags: 2 }),
    rec('eni-fo', '10.0.2.77', 9000, '10.0.1.10', 40049, 80, { tcp_flags: 18 }),
    // NODATA is kept in flow_records but makes no conversation.
    { version: 2, account_id: A, interface_id: 'eni-db', start: T0, end: T0 + 60, log_status: 'NODATA' },
  ]);
  await rebuild(db);
});

after(() => db.close());

async function conv(where: string): Promise<Record<string, unknown>[]> {
  return db.json(`SELECT * FROM conversations WHERE ${where} ORDER BY start`);
}

test('a flow logged at both ends is one conversation, oriented by SYN, counted once', async () => {
  const rows = await conv(`server_port = 5432 AND client_addr = '10.0.1.10'`);
  assert.equal(rows.length, 1);
  const c = rows[0];
  assert.equal(c.client_arn, arn('ec2', 'instance/i-web1'));
  assert.equal(c.server_arn, arn('rds', 'db:orders'));
  assert.equal(c.server_type, 'rds:db');
  assert.equal(c.uploaded, 1000);
  assert.equal(c.downloaded, 9000);
  assert.equal(c.observer_side, 'client');
  assert.equal(c.orientation, 'syn');
  assert.equal(c.egress_path, 'same-vpc');
  assert.equal(c.cross_az, true);
});

test('NAT gateway: the outside leg is not counted again, the path is the NAT, S3 wins over AMAZON', async () => {
  const rows = await conv(`client_port = 40001 OR server_addr = '52.216.8.10'`);
  assert.equal(rows.length, 1, JSON.stringify(rows));
  const c = rows[0];
  assert.equal(c.client_arn, arn('ec2', 'instance/i-web1'));
  assert.equal(c.server_type, 'aws:service');
  assert.equal(c.server_aws_service, 'S3');
  assert.equal(c.server_node, 'aws:S3');
  assert.equal(c.egress_path, 'nat-gateway');
  assert.equal(c.uploaded, 500);
  assert.equal(c.downloaded, 70000);
  assert.equal(c.server_rfc1918, false);
  assert.equal(c.client_rfc1918, true);
  // the client's own records are counted, the NAT gateway's inside leg (the same bytes) only without them
  assert.equal(c.observer_eni, 'eni-web1');
  assert.equal(c.observer_side, 'client');
  assert.equal(c.records, 2);
});

test('a gateway endpoint in the VPC makes S3 traffic gateway-endpoint, with or without traffic-path 2', async () => {
  const rows = await db.json(`SELECT * FROM conversations WHERE client_port IN (40002, 40013) ORDER BY client_port`);
  assert.deepEqual(rows.map((c) => [c.client_port, c.egress_path, c.server_aws_service]), [[40002, 'gateway-endpoint', 'S3'], [40013, 'gateway-endpoint', 'S3']]);
});

test('private addresses resolve in peered VPCs, and overlapping ranges resolve within the observer VPC', async () => {
  const [peer] = await conv(`client_port = 40003`);
  assert.equal(peer.server_arn, arn('ec2', 'instance/i-b1'));
  assert.equal(peer.egress_path, 'peering-intra-region');
  assert.equal(peer.cross_vpc, true);
  const [overlap] = await conv(`client_port = 40004`);
  assert.equal(overlap.server_arn, arn('ec2', 'instance/i-dup'));
  assert.equal(overlap.egress_path, 'same-vpc');
});

test('a reused address is attributed to whoever held it at the flow time', async () => {
  const rows = await conv(`server_addr = '10.0.1.50'`);
  assert.deepEqual(rows.map((r) => r.server_arn), [arn('ecs', 'task/c/one'), arn('ecs', 'task/c/two')]);
  assert.deepEqual(rows.map((r) => r.server_az), ['us-east-1b', 'us-east-1a']);
});

test('an address has one holder at a time: a holder whose end was never seen gives way to the next one, from its first second', async () => {
  const rows = await conv(`server_addr = '10.0.1.70'`);
  assert.deepEqual(rows.map((r) => [r.client_port, r.server_eni, r.server_arn, r.uploaded]), [
    [40010, 'eni-t3', arn('ecs', 'task/c/one'), 11],
    [40011, 'eni-t4', arn('ecs', 'task/c/two'), 21],
  ]);
});

test('without flags the service port decides the server; rejected internet traffic stays REJECT', async () => {
  const [byPort] = await conv(`server_port = 443 AND client_addr = '10.0.2.20'`);
  assert.equal(byPort.orientation, 'port');
  assert.equal(byPort.server_addr, '10.0.1.10');
  assert.equal(byPort.downloaded, 77);
  const [synAck] = await conv(`client_addr = '10.0.1.10' AND server_addr = '10.0.2.20' AND orientation = 'syn-ack'`);
  assert.deepEqual([synAck.client_port, synAck.server_port, synAck.uploaded, synAck.downloaded, synAck.observer_side],
    [1022, 50000, 0, 66, 'server']);
  const [rej] = await conv(`server_port = 22`);
  assert.equal(rej.action, 'REJECT');
  assert.equal(rej.client_type, 'internet');
  assert.equal(rej.client_node, 'internet');
  assert.equal(rej.egress_path, 'internet-gateway');
});

test('an instance reaches the internet through the NAT gateway until it has a public address, then directly', async () => {
  const rows = await conv(`client_addr = '10.0.0.60' AND server_type = 'internet'`);
  assert.deepEqual(rows.map((r) => [r.client_port, r.egress_path, r.server_type]), [
    [40007, 'nat-gateway', 'internet'],
    [40008, 'internet-gateway', 'internet'],
  ]);
});

test('special-purpose addresses have their own type, kind, node and egress path; a holder or an AWS prefix still comes first', async () => {
  const rows = await db.json(`SELECT client_port, server_addr, server_type, server_kind, server_node, egress_path, server_rfc1918, server_arn
    FROM conversations WHERE client_port BETWEEN 40020 AND 40033 ORDER BY client_port`);
  assert.deepEqual(rows.map((r) => [r.client_port, r.server_type, r.server_kind, r.server_node, r.egress_path]), [
    [40020, 'link-local', 'instance-metadata', 'link-local:169.254.169.254', 'same-vpc'],
    [40021, 'link-local', 'amazon-dns', 'link-local:169.254.169.253', 'same-vpc'],
    [40022, 'link-local', null, 'link-local:169.254.10.10', 'same-vpc'],
    [40023, 'carrier-grade-nat', null, 'carrier-grade-nat:100.64.1.5', 'transit-gateway'],
    [40024, 'multicast', null, 'multicast:239.1.1.1', 'transit-gateway'],
    [40025, 'broadcast', null, 'broadcast:255.255.255.255', 'same-vpc'],
    [40026, 'unknown', null, 'unknown:10.9.9.9', 'transit-gateway'],
    [40027, 'documentation', null, 'documentation:192.0.2.55', 'nat-gateway'],
    [40028, 'aws:service', null, 'aws:CLOUDFRONT', 'nat-gateway'],
    [40029, 'link-local', null, 'link-local:fe80::1', 'same-vpc'],
    [40030, 'unique-local', 'instance-metadata', 'unique-local:fd00:ec2::254', 'same-vpc'],
    [40031, 'unique-local', null, 'unique-local:fd12:3456::1', 'transit-gateway'],
    [40032, 'multicast', null, 'multicast:ff02::fb', 'transit-gateway'],
    [40033, 'documentation', null, 'documentation:2001:db8::5', 'internet-gateway'],
  ]);
  assert.ok(rows.every((r) => r.server_rfc1918 === (r.server_addr === '10.9.9.9') && r.server_arn === null));
  // the client is its holder, whatever the server is
  assert.deepEqual(await db.json(`SELECT DISTINCT client_arn FROM conversations WHERE client_port BETWEEN 40020 AND 40033 ORDER BY 1`),
    [{ client_arn: arn('ec2', 'instance/i-pub') }, { client_arn: arn('ec2', 'instance/i-web1') }]);
  // the internet is what is left
  const [net] = await conv(`client_port = 40007`);
  assert.deepEqual([net.server_type, net.server_node], ['internet', 'internet']);
});

const SIDE = ['eni', 'arn', 'type', 'vpc', 'subnet', 'az', 'account', 'region', 'attribution'];
const sides = (rows: Record<string, unknown>[], side: 'client' | 'server') =>
  rows.map((r) => [r.client_port, ...SIDE.map((c) => r[`${side}_${c}`])]);
const crosses = (rows: Record<string, unknown>[]) =>
  rows.map((r) => [r.client_port, r.cross_vpc, r.cross_account, r.cross_az, r.cross_region]);

test('a private address outside every linked VPC is inferred when exactly one ENI in the inventory held it then; else unknown, its cross flags NULL', async () => {
  const rows = await db.json(`SELECT * FROM conversations WHERE client_port BETWEEN 40040 AND 40043 ORDER BY client_port`);
  assert.deepEqual(sides(rows, 'server'), [
    [40040, 'eni-c1', arnB('instance/i-c1'), 'ec2:instance', 'vpc-c', 'subnet-c1', 'us-east-1c', B, 'us-east-1', 'inferred'],
    [40041, null, null, 'unknown', null, null, null, null, null, null],
    [40042, 'eni-c2', null, 'ec2:network-interface', 'vpc-c', 'subnet-c1', 'us-east-1c', B, 'us-east-1', 'inferred'],
    [40043, 'eni-d1', null, 'ec2:network-interface', 'vpc-d', 'subnet-d1', 'us-east-1d', A, 'us-east-1', 'inferred'],
  ]);
  assert.deepEqual(rows.map((r) => [r.client_port, r.client_eni, r.client_attribution, r.server_node, r.egress_path]), [
    [40040, 'eni-web1', 'exact', arnB('instance/i-c1'), 'unknown'],
    [40041, 'eni-web1', 'exact', 'unknown:10.3.0.7', 'transit-gateway'],
    [40042, 'eni-web1', 'exact', 'eni-c2', 'unknown'],
    [40043, 'eni-web1', 'exact', 'eni-d1', 'unknown'],
  ]);
  assert.deepEqual(crosses(rows), [
    [40040, true, true, true, false],
    [40041, null, null, null, null],
    [40042, true, true, true, false],
    [40043, true, false, true, false],
  ]);
  // the windows say the same
  assert.deepEqual(await db.json(`SELECT server_node, cross_az, cross_region FROM windows_1m
    WHERE server_node IN ('unknown:10.3.0.7', '${arnB('instance/i-c1')}') ORDER BY 1`),
  [{ server_node: arnB('instance/i-c1'), cross_az: true, cross_region: false }, { server_node: 'unknown:10.3.0.7', cross_az: null, cross_region: null }]);
});

test('an address held in the observer\'s VPC and in another is the observer VPC\'s, exact: an inferred holder never hides it', async () => {
  const rows = await db.json(`SELECT * FROM conversations WHERE client_port IN (40044, 40045) ORDER BY client_port`);
  assert.deepEqual(sides(rows, 'server'), [
    [40044, 'eni-a7', arn('ec2', 'instance/i-a7'), 'ec2:instance', 'vpc-a', 'subnet-a1', 'us-east-1a', A, 'us-east-1', 'exact'],
    [40045, 'eni-c7', arnB('instance/i-c7'), 'ec2:instance', 'vpc-c', 'subnet-c1', 'us-east-1c', B, 'us-east-1', 'exact'],
  ]);
  assert.deepEqual(rows.map((r) => [r.client_port, r.client_eni, r.client_attribution, r.egress_path]),
    [[40044, 'eni-web1', 'exact', 'same-vpc'], [40045, 'eni-c1', 'exact', 'same-vpc']]);
  assert.deepEqual(crosses(rows), [[40044, false, false, false, false], [40045, false, false, false, false]]);
  // every other side is exact, but for the address nothing explains (10.9.9.9)
  assert.deepEqual(await db.json(`SELECT DISTINCT client_attribution AS c, server_attribution AS s, server_type = 'unknown' AS u
    FROM conversations WHERE client_port < 40040 OR client_port > 40048 ORDER BY ALL`),
  [{ c: 'exact', s: 'exact', u: false }, { c: 'exact', s: null, u: true }]);
});

test('a record proves its own ENI before the inventory\'s AttachTime: the ENI\'s facts, the owner only when known then', async () => {
  const rows = await db.json(`SELECT * FROM conversations_v WHERE client_port BETWEEN 40046 AND 40048 ORDER BY client_port`);
  assert.deepEqual(sides(rows, 'client'), [
    [40046, 'eni-fo', null, 'ec2:network-interface', 'vpc-a', 'subnet-a2', 'us-east-1b', A, 'us-east-1', 'exact'],
    [40047, 'eni-fo', arn('ec2', 'instance/i-fo'), 'ec2:instance', 'vpc-a', 'subnet-a2', 'us-east-1b', A, 'us-east-1', 'exact'],
    [40048, 'eni-fo2', arn('ec2', 'instance/i-fo2'), 'ec2:instance', 'vpc-a', 'subnet-a2', 'us-east-1b', A, 'us-east-1', 'exact'],
  ]);
  assert.deepEqual(rows.map((r) => [r.client_port, r.client_security_group_ids, r.client_node, r.observer_eni, r.observer_side, r.server_arn, r.egress_path]), [
    [40046, ['sg-fo', 'sg-db-clients'], 'eni-fo', 'eni-fo', 'client', arn('rds', 'db:orders'), 'same-vpc'],
    [40047, ['sg-fo', 'sg-db-clients'], arn('ec2', 'instance/i-fo'), 'eni-fo', 'client', arn('rds', 'db:orders'), 'same-vpc'],
    [40048, ['sg-fo2'], arn('ec2', 'instance/i-fo2'), 'eni-fo2', 'client', arn('rds', 'db:orders'), 'same-vpc'],
  ]);
  assert.deepEqual(crosses(rows), [[40046, false, false, false, false], [40047, false, false, false, false], [40048, false, false, false, false]]);
});

test('each end\'s own records prove its side: the server\'s ENI logged too, before its AttachTime, and the client\'s records are counted', async () => {
  const rows = await db.json(`SELECT * FROM conversations_v WHERE client_port = 40049`);
  assert.deepEqual(sides(rows, 'server'), [
    [40049, 'eni-fo', null, 'ec2:network-interface', 'vpc-a', 'subnet-a2', 'us-east-1b', A, 'us-east-1', 'exact'],
  ]);
  assert.deepEqual(rows.map((r) => [r.server_security_group_ids, r.server_node, r.observer_eni, r.observer_side, r.client_arn,
    r.uploaded, r.downloaded, r.records, r.egress_path]), [
    [['sg-fo', 'sg-db-clients'], 'eni-fo', 'eni-web1', 'client', arn('ec2', 'instance/i-web1'), 79, 80, 2, 'same-vpc'],
  ]);
  assert.deepEqual(crosses(rows), [[40049, false, false, true, false]]);
});

/** A template's rows on this dataset. */
async function answer(id: string): Promise<Record<string, unknown>[]> {
  const { sql, params } = bindTemplate(findTemplate(id));
  return db.json(sql, params);
}

test('templates on the hand-made estate: NAT candidates, Lambda to RDS without its proxy, ALB bypass on the target port only', async () => {
  assert.deepEqual((await answer('nat-gateway-endpoint-candidates')).map((r) => [r.vpc, r.client, r.service, r.endpoint_exists, r.bytes]),
    [['vpc-a', arn('ec2', 'instance/i-web1'), 'S3', false, 70500]]);
  assert.deepEqual((await answer('lambda-rds-without-proxy')).map((r) => [r.function, r.db, r.port, r.conversations, r.new_connections_seen, r.bytes, r.proxy_available]),
    [[arn('lambda', 'function:report'), arn('rds', 'db:orders'), 5432, 1, 1, 100, arn('rds', 'db-proxy:prx-1')]]);
  assert.deepEqual((await answer('alb-bypass')).map((r) => [r.client, r.target, r.port, r.conversations, r.uploaded]),
    [[arn('ec2', 'instance/i-pub'), arn('ec2', 'instance/i-web1'), 8443, 1, 33]]);
});

test('alb-bypass leaves out a target reaching itself (the same node on both sides)', async () => {
  // a second conversation into web1 on its target port, from web1 itself: not a bypass
  await db.exec('BEGIN');
  try {
    await db.exec(`INSERT INTO conversation_facts
      SELECT * REPLACE (server_ep AS client_ep, client_port + 1 AS client_port) FROM conversation_facts
      WHERE server_port = 8443 AND server_addr = '10.0.1.10' AND client_addr = '10.0.0.60'`);
    const [self] = await db.json(`SELECT count(*) AS n FROM conversations WHERE server_port = 8443 AND client_node = server_node`);
    assert.equal(self.n, 1);
    assert.deepEqual((await answer('alb-bypass')).map((r) => [r.client, r.target, r.port, r.conversations, r.uploaded]),
      [[arn('ec2', 'instance/i-pub'), arn('ec2', 'instance/i-web1'), 8443, 1, 33]]);
  } finally {
    await db.exec('ROLLBACK');
  }
});

test('windows aggregate every byte of the conversations', async () => {
  for (const t of ['windows_1m', 'windows_5m', 'windows_1h']) {
    const [w] = await db.json(`SELECT sum(uploaded) + sum(downloaded) AS b, sum(conversations) AS n FROM ${t}`);
    const [c] = await db.json(`SELECT sum(uploaded) + sum(downloaded) AS b, count(*) AS n FROM conversations`);
    assert.deepEqual(w, c, t);
  }
  const [n] = await db.json(`SELECT count(*) AS n FROM conversations`);
  assert.equal(n.n, 45);
});

test('the jsonl export writes the documented shape, tags valid at the time, nulls left out', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-export-'));
  try {
    const file = join(dir, 'c.jsonl');
    assert.equal(await exportConversations(db, 'jsonl', file), 45);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.equal(lines.length, 45);
    const db5432 = lines.find((l) => l.ServerPort === 5432);
    assert.deepEqual(Object.keys(db5432).slice(0, 8), ['Protocol', 'Uploaded', 'Downloaded', 'Start', 'End', 'Action', 'Client', 'Server']);
    assert.deepEqual(db5432.Client, {
      Addr: '10.0.1.10', Arns: arn('ec2', 'instance/i-web1'), InterfaceId: 'eni-web1', SubnetId: 'subnet-a1', VpcId: 'vpc-a',
      AccountId: A, SecurityGroupIds: ['sg-instance'], AvailabilityZone: 'us-east-1a', Region: 'us-east-1',
      Type: 'ec2:instance', Rfc1918: true, Tags: { app: 'web', owner: 'team-a' },
    });
    assert.equal(db5432.Protocol, 'tcp');
    assert.equal(db5432.Start, String(T0 + 5));
    const s3 = lines.find((l) => l.Server.Addr === '52.216.8.10');
    assert.deepEqual(s3.Server, { Addr: '52.216.8.10', Region: 'us-east-1', Type: 'aws:service', AwsService: 's3', Rfc1918: false });
    assert.equal(s3.EgressPath, 'nat-gateway');
    const later = lines.find((l) => l.ClientPort === 40006);
    assert.deepEqual(later.Client.Tags, { app: 'storefront', owner: 'team-a' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the inventory's tables are kept for the connection's next enrichment, and made again when the inventory changed or one is gone", async () => {
  const oid = async () => (await db.json<{ o: number }>(`SELECT table_oid AS o FROM duckdb_tables() WHERE temporary AND table_name = 'fl_scope'`))[0]?.o;
  await records([rec('eni-web1', '10.0.1.10', 40021, '10.0.2.20', 5432, 5)]);
  await rebuild(db);
  const first = await oid();
  assert.ok(first !== undefined, 'fl_scope is kept');
  await records([rec('eni-web1', '10.0.1.10', 40022, '10.0.2.20', 5432, 5)]);
  await rebuild(db);
  assert.equal(await oid(), first, 'the same inventory: not made again');
  // another inventory (a tag more): made again from it
  await db.exec(`INSERT INTO inv_tags SELECT arn, 'cost-centre', 'cc-1', valid_from, valid_to FROM inv_tags LIMIT 1`);
  await records([rec('eni-web1', '10.0.1.10', 40023, '10.0.2.20', 5432, 5)]);
  await rebuild(db);
  const second = await oid();
  assert.ok(second !== undefined && second !== first, 'a changed inventory: made again');
  // one of them gone (dropped by hand): made again
  await db.exec('DROP TABLE temp.fl_eni');
  await records([rec('eni-web1', '10.0.1.10', 40024, '10.0.2.20', 5432, 5)]);
  await rebuild(db);
  assert.notEqual(await oid(), second);
  assert.equal(Number((await db.json<{ n: number }>(`SELECT count(*) AS n FROM conversations WHERE client_port BETWEEN 40021 AND 40024 AND server_type = 'rds:db'`))[0].n), 4);
});

test('a cancelled rebuild leaves the previous enrichment as it was and no work or _next tables behind', async () => {
  const before = await db.json(`SELECT count(*) AS n, sum(uploaded) AS up FROM conversations`);
  await records([rec('eni-web1', '10.0.1.10', 40009, '10.0.2.20', 5432, 5, { tcp_flags: 2 })]);
  for (const phase of ['enrich', 'windows']) {
    const ac = new AbortController();
    await assert.rejects(
      rebuild(db, { signal: ac.signal, onProgress: (p) => p.phase === phase && ac.abort() }),
      (err: Error) => err.message === 'cancelled',
      phase,
    );
    assert.deepEqual(await db.json(`SELECT count(*) AS n, sum(uploaded) AS up FROM conversations`), before, phase);
    assert.deepEqual(await db.json(`SELECT table_name FROM duckdb_tables()
      WHERE (temporary AND table_name LIKE 'fl\\_%' ESCAPE '\\' AND table_name NOT IN (${INVENTORY_TABLES.map((t) => `'${t}'`).join(', ')}))
        OR table_name LIKE '%\\_next' ESCAPE '\\'`), [], phase);
  }
  await rebuild(db);
  const [after] = await db.json<{ n: number }>(`SELECT count(*) AS n FROM conversations`);
  assert.equal(after.n, (before[0] as { n: number }).n + 1);
});

test('a later batch that changes a conversation-minute (now REJECT) moves it to its new window: no empty window is left', async () => {
  const [before] = await conv(`client_port = 40003`);
  assert.deepEqual([before.action, before.observer_eni], ['ACCEPT', 'eni-web1']);
  // the server's ENI logs the same minute, rejected by its security group
  await records([rec('eni-b1', '10.0.1.10', 40003, '10.1.0.10', 8080, 200, { action: 'REJECT' })]);
  await rebuild(db);
  const rows = await conv(`client_port = 40003`);
  assert.deepEqual(rows.map((c) => [c.action, c.observer_eni, c.uploaded]), [['REJECT', 'eni-web1', 200]]);
  for (const t of ['windows_1m', 'windows_5m', 'windows_1h']) {
    assert.deepEqual(await db.json(`SELECT window_start, action, conversations FROM ${t} WHERE conversations <= 0`), [], t);
    const [w] = await db.json(`SELECT sum(uploaded) + sum(downloaded) AS b, sum(conversations) AS n, count(*) AS keys FROM ${t}
      WHERE server_node = '${arn('ec2', 'instance/i-b1')}' AND server_port = 8080`);
    assert.deepEqual(w, { b: 200, n: 1, keys: 1 }, t);
  }
});

test("a long conversation's next minute (as a follower appends it): its earlier minutes, taken back the same, are not written again, and the facts equal one enrichment of every record", async () => {
  // web1 -> db:5432 for ten minutes two hours in, logged by the client's ENI (SYN in the first)
  const at = (m: number): Rec => ({ start: T0 + 7200 + m * 60 + 5, end: T0 + 7200 + m * 60 + 55 });
  const minute = (m: number) => [rec('eni-web1', '10.0.1.10', 40100, '10.0.2.20', 5432, 100 + m, { ...at(m), tcp_flags: m === 0 ? 2 : 0 }),
    rec('eni-web1', '10.0.2.20', 5432, '10.0.1.10', 40100, 1000 + m, at(m))];
  await records(Array.from({ length: 10 }, (_, m) => minute(m)).flat());
  await rebuild(db);
  // the eleventh minute, and the server's ENI's record of the third (which changes that minute's fact: both ends saw it)
  await records([...minute(10), rec('eni-db', '10.0.1.10', 40100, '10.0.2.20', 5432, 102, at(2))]);
  const rows = await factRows(db, () => rebuild(db));
  // the nine minutes taken back and made again the same keep their rows, as every other fact does
  assert.deepEqual(rows, { same: rows.same, kept: rows.same, touched: 9 });
  assert.deepEqual(await db.json(`SELECT (start - ${T0 + 7200}) // 60 AS m, uploaded, downloaded, server_observer IS NOT NULL AS both
    FROM conversation_facts WHERE client_port = 40100 AND (start - ${T0 + 7200}) // 60 IN (2, 10) ORDER BY m`),
  [{ m: 2, uploaded: 102, downloaded: 1002, both: true }, { m: 10, uploaded: 110, downloaded: 1010, both: false }]);
  // every conversation and window as one enrichment of all the records makes them
  const views = ['conversations_v', 'windows_1m', 'windows_5m', 'windows_1h'];
  for (const v of views) await db.exec(`CREATE OR REPLACE TEMP TABLE appended_${v} AS SELECT * FROM ${v}`);
  await rebuild(db, { full: true });
  for (const v of views) {
    const [d] = await db.json(`SELECT (SELECT count(*) FROM (FROM appended_${v} EXCEPT ALL FROM ${v})) AS missing,
      (SELECT count(*) FROM (FROM ${v} EXCEPT ALL FROM appended_${v})) AS extra`);
    assert.deepEqual(d, { missing: 0, extra: 0 }, v);
    await db.exec(`DROP TABLE appended_${v}`);
  }
});

test('a dataset enriched with another list of special-purpose addresses is attributed again at its next enrichment', async () => {
  const broadcast = async () => (await conv(`client_port = 40025`)).map((c) => [c.server_type, c.server_node, c.egress_path]);
  // as a version without the broadcast type left it: the limited broadcast address was the internet
  await db.exec(`DELETE FROM address_types WHERE type = 'broadcast'`);
  await rebuild(db);
  assert.deepEqual(await broadcast(), [['internet', 'internet', 'nat-gateway']]);
  // this version opens the dataset: the list is written again, and the next enrichment types it anew
  await ensureSchema(db);
  await rebuild(db);
  assert.deepEqual(await broadcast(), [['broadcast', 'broadcast:255.255.255.255', 'same-vpc']]);
});

test('attributed again from the stored facts alone (the inventory changed), every conversation is the same, inferred and record-proven sides too', async () => {
  await db.exec(`CREATE OR REPLACE TEMP TABLE before_again AS SELECT * FROM conversations_v`);
  // as after any change of the inventory: the fingerprint the facts were attributed with differs
  await db.exec(`DELETE FROM meta WHERE key = 'attributed_inventory'`);
  const phases: string[] = [];
  await rebuild(db, { onProgress: (p) => phases.push(p.message) });
  assert.ok(phases.includes('attributing the stored conversations again'), JSON.stringify(phases));
  const [d] = await db.json(`SELECT
    (SELECT count(*) FROM (SELECT * FROM before_again EXCEPT ALL SELECT * FROM conversations_v)) AS missing,
    (SELECT count(*) FROM (SELECT * FROM conversations_v EXCEPT ALL SELECT * FROM before_again)) AS extra,
    (SELECT count(*) FROM conversations_v WHERE server_attribution = 'inferred') AS inferred`);
  assert.deepEqual(d, { missing: 0, extra: 0, inferred: 3 });
});
