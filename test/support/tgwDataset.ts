/**
 * A transit gateway's flow log (AWS's default transit gateway format, from a file), a VPC flow log of one of the same
 * flows, and the inventory of both VPCs, their attachments and the transit gateway: test/integration/enrich-tgw.test.ts
 * (the attribution) and test/integration/topology-tgw.test.ts (the map) read it.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../src/core/store/db';
import { openDataset } from '../../src/core/api';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { rebuild } from '../../src/core/enrich/rebuild';
import { TGW_DEFAULT_FORMAT, DEFAULT_FORMAT } from '../../src/core/model/flowFields';

export const A = '111111111111';
export const B = '222222222222';
export const C = '333333333333'; // owns the transit gateway
export const T0 = 1790000000 - (1790000000 % 60);
export const arnA = (what: string) => `arn:aws:ec2:us-east-1:${A}:${what}`;
export const arnB = (what: string) => `arn:aws:ec2:us-east-1:${B}:${what}`;

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

/**
 * A dataset in `dir` with an app in VPC a (account A) talking to a database in VPC b (account B) through transit gateway
 * tgw-1 (account C's, named core-tgw): app -> db:5432 logged only by the transit gateway (1,200 bytes up, 64,000 down), app
 * -> db:6379 logged by the transit gateway and the app's VPC flow log (300 up, 900 down), and an office behind a VPN
 * attachment -> db:5432 (1,500 up). Enriched.
 */
export async function tgwDataset(dir: string): Promise<Db> {
  const db = await openDataset(join(dir, 'tgw.duckdb'));
  const tgwAttrs = (vpc: string) => `{"transit_gateway_id": "tgw-1", "transit_gateway_owner_id": "${C}", "resource_type": "vpc", "resource_id": "${vpc}"}`;
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
    UPDATE inv_resources SET attrs = CASE vpc_id WHEN 'vpc-a' THEN '${tgwAttrs('vpc-a')}' ELSE '${tgwAttrs('vpc-b')}' END::JSON
      WHERE type = 'ec2:transit-gateway-attachment';
    INSERT INTO inv_gateways (gateway_id, kind, arn, account_id, region) VALUES
      ('tgw-1', 'transit-gateway', 'arn:aws:ec2:us-east-1:${C}:transit-gateway/tgw-1', '${C}', 'us-east-1');
    INSERT INTO inv_tags (arn, key, value) VALUES ('arn:aws:ec2:us-east-1:${C}:transit-gateway/tgw-1', 'Name', 'core-tgw');
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
  return db;
}


/**
 * The dataset for one test file: made in a temporary folder before its tests (`db` and `query`, the map's way of
 * reading it, are set then) and removed after them.
 */
export function tgwFixture(name: string): { db: Db; query: (sql: string, params: Record<string, string | number | boolean | null>) => Promise<Record<string, unknown>[]> } {
  const fx = {} as ReturnType<typeof tgwFixture>;
  let dir = '';
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), `flowlens-${name}-`));
    fx.db = await tgwDataset(dir);
    fx.query = (sql, params) => fx.db.json(sql, params);
  });
  after(() => {
    fx.db?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return fx;
}
