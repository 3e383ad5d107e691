/**
 * A transit gateway's flow log (AWS's default transit gateway format, from a file) attributed to both VPCs: the
 * record's attachment interface is the observer, both ends resolve in its VPC and the VPC the transit gateway links
 * it to (another account's), the egress path is the transit gateway, and a flow the VPC flow log saw too is counted
 * once, from the client's own records.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../src/core/store/db';
import { openDataset } from '../../src/core/api';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { rebuild } from '../../src/core/enrich/rebuild';
import { TGW_DEFAULT_FORMAT, DEFAULT_FORMAT } from '../../src/core/model/flowFields';

const A = '111111111111';
const B = '222222222222';
const C = '333333333333'; // owns the transit gateway
const T0 = 1790000000 - (1790000000 % 60);
const arnA = (what: string) => `arn:aws:ec2:us-east-1:${A}:${what}`;
const arnB = (what: string) => `arn:aws:ec2:us-east-1:${B}:${what}`;

let dir: string;
let db: Db;

/** One transit gateway record of a flow from VPC a (the app) to VPC b (the database), at attachment a or b. */
function tgwLine(o: { at: 'a' | 'b'; direction: 'ingress' | 'egress'; src: string; sport: number; dst: string; dport: number; bytes: number; flags: number }): string {
  const fromA = o.src.startsWith('10.0.');
  const [sv, dv, sa, da, ss, ds, se, de, sz, dz] = fromA
    ? ['vpc-a', 'vpc-b', A, B, 'subnet-a1', 'subnet-b1', 'eni-tgwa', 'eni-tgwb', 'use1-az1', 'use1-az2']
    : ['vpc-b', 'vpc-a', B, A, 'subnet-b1', 'subnet-a1', 'eni-tgwb', 'eni-tgwa', 'use1-az2', 'use1-az1'];
  const [att, pair] = o.at === 'a' ? ['tgw-attach-a', 'tgw-attach-b'] : ['tgw-attach-b', 'tgw-attach-a'];
  return [6, 'TransitGatewayAttachment', C, 'tgw-1', att, sa, da, sv, dv, ss, ds, se, de, sz, dz, pair, o.src, o.dst, o.sport, o.dport, 6,
    Math.ceil(o.bytes / 1000), o.bytes, T0 + 3, T0 + 58, 'OK', 'IPv4', 0, 0, 0, 0, o.flags, 'us-east-1', o.direction, '-', '-'].join(' ');
}

/** A flow from the app to the database seen at both attachments, both ways (four records). */
function tgwFlow(sport: number, dport: number, up: number, down: number): string[] {
  const req = { src: '10.0.1.10', sport, dst: '10.1.2.20', dport, bytes: up, flags: 2 };
  const res = { src: '10.1.2.20', sport: dport, dst: '10.0.1.10', dport: sport, bytes: down, flags: 18 };
  return [tgwLine({ ...req, at: 'a', direction: 'ingress' }), tgwLine({ ...req, at: 'b', direction: 'egress' }),
    tgwLine({ ...res, at: 'b', direction: 'ingress' }), tgwLine({ ...res, at: 'a', direction: 'egress' })];
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-tgw-'));
  db = await openDataset(join(dir, 'tgw.duckdb'));
  await db.exec(`
    INSERT INTO inv_vpcs VALUES ('vpc-a', '${A}', 'us-east-1', ['10.0.0.0/16'], [], false, 'app'),
                                ('vpc-b', '${B}', 'us-east-1', ['10.1.0.0/16'], [], false, 'data');
    INSERT INTO inv_vpc_links VALUES
      ('tgw-1', 'transit-gateway', 'vpc-a', '${A}', 'us-east-1', 'vpc-b', '${B}', 'us-east-1', DEFAULT, DEFAULT),
      ('tgw-1', 'transit-gateway', 'vpc-b', '${B}', 'us-east-1', 'vpc-a', '${A}', 'us-east-1', DEFAULT, DEFAULT);
    INSERT INTO inv_resources (arn, resource_id, type, kind, name, account_id, region, vpc_id) VALUES
      ('${arnA('instance/i-app')}', 'i-app', 'ec2:instance', 'instance', 'app', '${A}', 'us-east-1', 'vpc-a'),
      ('${arnB('instance/i-db')}', 'i-db', 'ec2:instance', 'instance', 'db', '${B}', 'us-east-1', 'vpc-b'),
      ('arn:aws:ec2:us-east-1:${C}:transit-gateway-attachment/tgw-attach-a', 'tgw-attach-a', 'ec2:transit-gateway-attachment', 'tgw-attachment', 'tgw-attach-a', '${C}', 'us-east-1', 'vpc-a'),
      ('arn:aws:ec2:us-east-1:${C}:transit-gateway-attachment/tgw-attach-b', 'tgw-attach-b', 'ec2:transit-gateway-attachment', 'tgw-attachment', 'tgw-attach-b', '${C}', 'us-east-1', 'vpc-b');
    INSERT INTO inv_enis (eni_id, arn, kind, account_id, region, vpc_id, subnet_id, az, security_group_ids) VALUES
      ('eni-app', '${arnA('instance/i-app')}', 'instance', '${A}', 'us-east-1', 'vpc-a', 'subnet-a1', 'us-east-1a', ['sg-app']),
      ('eni-db', '${arnB('instance/i-db')}', 'instance', '${B}', 'us-east-1', 'vpc-b', 'subnet-b2', 'us-east-1b', ['sg-db']),
      ('eni-tgwa', 'arn:aws:ec2:us-east-1:${C}:transit-gateway-attachment/tgw-attach-a', 'tgw-attachment', '${A}', 'us-east-1', 'vpc-a', 'subnet-a1', 'us-east-1a', []),
      ('eni-tgwb', 'arn:aws:ec2:us-east-1:${C}:transit-gateway-attachment/tgw-attach-b', 'tgw-attachment', '${B}', 'us-east-1', 'vpc-b', 'subnet-b1', 'us-east-1b', []);
    INSERT INTO inv_addresses (addr, family, addr_kind, vpc_id, eni_id, arn) VALUES
      ('10.0.1.10', 4, 'primary', 'vpc-a', 'eni-app', '${arnA('instance/i-app')}'),
      ('10.1.2.20', 4, 'primary', 'vpc-b', 'eni-db', '${arnB('instance/i-db')}'),
      ('10.0.1.200', 4, 'primary', 'vpc-a', 'eni-tgwa', 'arn:aws:ec2:us-east-1:${C}:transit-gateway-attachment/tgw-attach-a'),
      ('10.1.1.200', 4, 'primary', 'vpc-b', 'eni-tgwb', 'arn:aws:ec2:us-east-1:${C}:transit-gateway-attachment/tgw-attach-b');
  `);
  const header = (fields: readonly { name: string }[]) => fields.map((f) => f.name).join(' ');
  // the transit gateway's flow log: app -> db:5432 (only here), app -> db:6379 (the app's VPC flow log saw it too)
  const tgw = join(dir, 'tgw.log');
  writeFileSync(tgw, [header(TGW_DEFAULT_FORMAT), ...tgwFlow(40000, 5432, 1200, 64000), ...tgwFlow(40001, 6379, 300, 900)].join('\n') + '\n');
  // the app's own VPC flow log (AWS's default format) of the second flow
  const vpc = join(dir, 'vpc-a.log');
  writeFileSync(vpc, [header(DEFAULT_FORMAT),
    `2 ${A} eni-app 10.0.1.10 10.1.2.20 40001 6379 6 1 300 ${T0 + 2} ${T0 + 59} ACCEPT OK`,
    `2 ${A} eni-app 10.1.2.20 10.0.1.10 6379 40001 6 1 900 ${T0 + 2} ${T0 + 59} ACCEPT OK`].join('\n') + '\n');
  // from an office over a site-to-site VPN attachment (no VPC, no interface) to the database: the transit gateway
  // logs it entering from the VPN and leaving to VPC b
  const vpn = (at: 'vpn' | 'b', direction: string) => [6, 'TransitGatewayAttachment', C, 'tgw-1', at === 'vpn' ? 'tgw-attach-vpn' : 'tgw-attach-b',
    C, B, '-', 'vpc-b', '-', 'subnet-b1', '-', 'eni-tgwb', '-', 'use1-az2', at === 'vpn' ? 'tgw-attach-b' : 'tgw-attach-vpn',
    '192.168.7.5', '10.1.2.20', 50000, 5432, 6, 2, 1500, T0 + 3, T0 + 58, 'OK', 'IPv4', 0, 0, 0, 0, 2, 'us-east-1', direction, '-', '-'].join(' ');
  const office = join(dir, 'tgw-vpn.log');
  writeFileSync(office, [header(TGW_DEFAULT_FORMAT), vpn('vpn', 'ingress'), vpn('b', 'egress')].join('\n') + '\n');
  const reports = await ingestFiles(db, [tgw, vpc, office]);
  assert.deepEqual(reports.map((r) => [r.status, r.records]), [['loaded', 8], ['loaded', 2], ['loaded', 2]], JSON.stringify(reports));
  await rebuild(db);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a transit gateway flow log is attributed to both VPCs: each end in its own VPC and account, the attachment observes it, the path is the transit gateway', async () => {
  const rows = await db.json(`SELECT client_arn, client_vpc, client_account, client_az, server_arn, server_vpc, server_account, server_az,
      uploaded, downloaded, records, observer_eni, observer_side, orientation, egress_path, cross_vpc, cross_account, cross_az,
      client_attribution, server_attribution
    FROM conversations WHERE server_port = 5432 AND client_addr = '10.0.1.10'`);
  assert.deepEqual(rows, [{
    client_arn: arnA('instance/i-app'), client_vpc: 'vpc-a', client_account: A, client_az: 'us-east-1a',
    server_arn: arnB('instance/i-db'), server_vpc: 'vpc-b', server_account: B, server_az: 'us-east-1b',
    // the flow once (two attachments logged it), from the attachment in the client's VPC (the first interface)
    uploaded: 1200, downloaded: 64000, records: 2, observer_eni: 'eni-tgwa', observer_side: 'other', orientation: 'syn',
    egress_path: 'transit-gateway', cross_vpc: true, cross_account: true, cross_az: true,
    client_attribution: 'exact', server_attribution: 'exact',
  }]);
});

test('a flow both the transit gateway and a VPC flow log saw is counted once, from the client\'s own records', async () => {
  const rows = await db.json(`SELECT client_arn, server_arn, uploaded, downloaded, records, observer_eni, observer_side, egress_path
    FROM conversations WHERE server_port = 6379`);
  assert.deepEqual(rows, [{ client_arn: arnA('instance/i-app'), server_arn: arnB('instance/i-db'), uploaded: 300, downloaded: 900, records: 2,
    observer_eni: 'eni-app', observer_side: 'client', egress_path: 'transit-gateway' }]);
});

test('a flow from a VPN attachment (no VPC, no interface) is counted once, from the attachment in the VPC, which finds the server', async () => {
  const rows = await db.json(`SELECT client_addr, client_type, server_arn, server_vpc, server_attribution, uploaded, records, observer_eni, observer_side, egress_path
    FROM conversations WHERE client_addr = '192.168.7.5'`);
  assert.deepEqual(rows, [{ client_addr: '192.168.7.5', client_type: 'unknown', server_arn: arnB('instance/i-db'), server_vpc: 'vpc-b',
    server_attribution: 'exact', uploaded: 1500, records: 1, observer_eni: 'eni-tgwb', observer_side: 'other', egress_path: 'transit-gateway' }]);
  assert.equal(await db.value(`SELECT count(*) FROM conversations`), 3n);
});
