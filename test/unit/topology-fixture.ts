/**
 * A small estate for the topology tests: one account, one VPC over two AZs, an ALB in front of two
 * web servers, an API server that bypasses the ALB, a Lambda function reaching RDS directly, NAT
 * traffic to S3 and to the internet, a rejected flow, and a tag that changes value mid-window.
 * (Fake account 111111111111, documentation addresses.)
 */
import { Db } from '../../src/core/store/db';
import { ensureSchema } from '../../src/core/store/schema';
import { WIDE_TABLE, createWideConversations, storeWideConversations } from '../support/conversations';
import type { QueryRows } from '../../src/core/topology/graph';

export const ACCOUNT = '111111111111';
export const REGION = 'us-east-1';
const arn = (svc: string, res: string) => `arn:aws:${svc}:${REGION}:${ACCOUNT}:${res}`;
export const ARN = {
  web1: arn('ec2', 'instance/i-0000000000000web1'),
  web2: arn('ec2', 'instance/i-0000000000000web2'),
  api: arn('ec2', 'instance/i-00000000000000api'),
  alb: arn('elasticloadbalancing', 'loadbalancer/app/shop-alb/0123456789abcdef'),
  lambda: arn('lambda', 'function:jobs-worker'),
  rds: arn('rds', 'db:orders-db'),
  nat: arn('ec2', 'natgateway/nat-0000000000000001'),
};

interface Res {
  arn: string; id: string; type: string; kind: string; name: string; eni: string; subnet: string; az: string; sgs: string[]; addr: string;
}
export const RESOURCES: Res[] = [
  { arn: ARN.web1, id: 'i-0000000000000web1', type: 'ec2:instance', kind: 'instance', name: 'web-1', eni: 'eni-web1', subnet: 'subnet-a', az: 'us-east-1a', sgs: ['sg-web'], addr: '10.0.1.10' },
  { arn: ARN.web2, id: 'i-0000000000000web2', type: 'ec2:instance', kind: 'instance', name: 'web-2', eni: 'eni-web2', subnet: 'subnet-b', az: 'us-east-1b', sgs: ['sg-web'], addr: '10.0.2.10' },
  { arn: ARN.api, id: 'i-00000000000000api', type: 'ec2:instance', kind: 'instance', name: 'api-1', eni: 'eni-api', subnet: 'subnet-b', az: 'us-east-1b', sgs: ['sg-api', 'sg-common'], addr: '10.0.2.20' },
  { arn: ARN.alb, id: 'shop-alb', type: 'elasticloadbalancing:loadbalancer', kind: 'alb', name: 'shop-alb', eni: 'eni-alb', subnet: 'subnet-a', az: 'us-east-1a', sgs: ['sg-alb'], addr: '10.0.1.5' },
  { arn: ARN.lambda, id: 'jobs-worker', type: 'lambda:function', kind: 'lambda', name: 'jobs-worker', eni: 'eni-lambda', subnet: 'subnet-a', az: 'us-east-1a', sgs: ['sg-lambda'], addr: '10.0.1.30' },
  { arn: ARN.rds, id: 'orders-db', type: 'rds:db', kind: 'rds', name: 'orders-db', eni: 'eni-rds', subnet: 'subnet-b', az: 'us-east-1b', sgs: ['sg-db'], addr: '10.0.2.40' },
  { arn: ARN.nat, id: 'nat-0000000000000001', type: 'ec2:natgateway', kind: 'natgateway', name: 'nat-a', eni: 'eni-nat', subnet: 'subnet-a', az: 'us-east-1a', sgs: [], addr: '10.0.1.4' },
];

export const T0 = Date.UTC(2026, 10, 1, 10, 0); // 2026-11-01 10:00 UTC
export const MIN = 60_000;

export interface Conv {
  at: number; client: string; server: string; port: number; up: number; down: number;
  path?: string; action?: 'ACCEPT' | 'REJECT'; protocol?: number;
}
/** client/server: a resource ARN, 'internet' or 'aws:S3'. */
export const CONVERSATIONS: Conv[] = [
  { at: T0, client: 'internet', server: ARN.alb, port: 443, up: 1000, down: 5000, path: 'internet-gateway' },
  { at: T0 + 1 * MIN, client: ARN.alb, server: ARN.web1, port: 80, up: 800, down: 4000 },
  { at: T0 + 2 * MIN, client: ARN.alb, server: ARN.web2, port: 80, up: 700, down: 3000 },
  { at: T0 + 3 * MIN, client: ARN.api, server: ARN.web1, port: 80, up: 100, down: 200 },
  { at: T0 + 4 * MIN, client: ARN.lambda, server: ARN.rds, port: 5432, up: 300, down: 600 },
  { at: T0 + 5 * MIN, client: ARN.web1, server: 'aws:S3', port: 443, up: 50, down: 10000, path: 'nat-gateway' },
  { at: T0 + 6 * MIN, client: ARN.web2, server: ARN.api, port: 8080, up: 60, down: 0, action: 'REJECT' },
  { at: T0 + 7 * MIN, client: ARN.web1, server: 'internet', port: 443, up: 20, down: 30, path: 'nat-gateway' },
  // after web-2's app tag changed (10:30): still alb -> web-2
  { at: T0 + 40 * MIN, client: ARN.alb, server: ARN.web2, port: 80, up: 500, down: 1500 },
  { at: T0 + 41 * MIN, client: ARN.lambda, server: ARN.rds, port: 5432, up: 30, down: 60, protocol: 6 },
  { at: T0 + 42 * MIN, client: ARN.web2, server: ARN.web1, port: 9000, up: 7, down: 9, protocol: 17 },
];

const ts = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');

export async function loadFixture(db: Db): Promise<void> {
  await ensureSchema(db);
  await db.exec(`INSERT INTO inv_vpcs (vpc_id, account_id, region, cidr_blocks, name) VALUES ('vpc-a', '${ACCOUNT}', '${REGION}', ['10.0.0.0/16'], 'shop-vpc')`);
  await db.exec(`INSERT INTO inv_subnets (subnet_id, vpc_id, account_id, region, az, cidr, name) VALUES
    ('subnet-a', 'vpc-a', '${ACCOUNT}', '${REGION}', 'us-east-1a', '10.0.1.0/24', 'private-a'),
    ('subnet-b', 'vpc-a', '${ACCOUNT}', '${REGION}', 'us-east-1b', '10.0.2.0/24', NULL)`);
  for (const [id, name] of [['sg-web', 'web'], ['sg-api', 'api'], ['sg-common', 'common'], ['sg-alb', 'alb'], ['sg-lambda', 'lambda'], ['sg-db', 'db']]) {
    await db.exec(`INSERT INTO inv_security_groups (group_id, group_name, vpc_id, account_id, region) VALUES ($1, $2, 'vpc-a', '${ACCOUNT}', '${REGION}')`, [id, name]);
  }
  for (const r of RESOURCES) {
    await db.exec(
      `INSERT INTO inv_resources (arn, resource_id, type, kind, name, account_id, region, vpc_id) VALUES ($1, $2, $3, $4, $5, '${ACCOUNT}', '${REGION}', 'vpc-a')`,
      [r.arn, r.id, r.type, r.kind, r.name],
    );
    await db.exec(
      `INSERT INTO inv_enis (eni_id, arn, kind, account_id, region, vpc_id, subnet_id, az, security_group_ids)
       VALUES ($1, $2, $3, '${ACCOUNT}', '${REGION}', 'vpc-a', $4, $5, $6::VARCHAR[])`,
      [r.eni, r.arn, r.kind, r.subnet, r.az, `[${r.sgs.join(',')}]`],
    );
  }
  const tag = (a: string, key: string, value: string, from?: number, to?: number) =>
    db.exec(
      `INSERT INTO inv_tags (arn, key, value, valid_from, valid_to) VALUES ($1, $2, $3, coalesce($4::TIMESTAMP, TIMESTAMP '1970-01-01'), coalesce($5::TIMESTAMP, TIMESTAMP '9999-12-31'))`,
      [a, key, value, from === undefined ? null : ts(from), to === undefined ? null : ts(to)],
    );
  await tag(ARN.web1, 'app', 'shop');
  await tag(ARN.web2, 'app', 'shop', undefined, T0 + 30 * MIN);
  await tag(ARN.web2, 'app', 'shop-canary', T0 + 30 * MIN);
  await tag(ARN.api, 'app', 'api');
  await tag(ARN.lambda, 'app', 'jobs');
  await tag(ARN.rds, 'app', 'jobs');
  await tag(ARN.web1, 'team', 'storefront');
  await tag(ARN.web2, 'team', 'storefront');
  await tag(ARN.api, 'team', 'storefront');
  await db.exec(`INSERT INTO inv_lb_targets (target_group_arn, lb_arn, target_type, target_id, target_arn, port, protocol, health) VALUES
    ('tg-web', '${ARN.alb}', 'instance', 'i-0000000000000web1', '${ARN.web1}', 80, 'HTTP', 'healthy'),
    ('tg-web', '${ARN.alb}', 'instance', 'i-0000000000000web2', '${ARN.web2}', 80, 'HTTP', 'healthy')`);

  const byArn = new Map(RESOURCES.map((r) => [r.arn, r]));
  await createWideConversations(db);
  for (const c of CONVERSATIONS) {
    const cl = byArn.get(c.client);
    const sv = byArn.get(c.server);
    const crossAz = !!(cl && sv && cl.az !== sv.az);
    await db.exec(
      `INSERT INTO ${WIDE_TABLE} (start, "end", window_start, protocol, action,
         client_addr, client_port, client_eni, client_arn, client_type, client_kind, client_vpc, client_subnet, client_az, client_account, client_region, client_aws_service, client_rfc1918, client_node,
         server_addr, server_port, server_eni, server_arn, server_type, server_kind, server_vpc, server_subnet, server_az, server_account, server_region, server_aws_service, server_rfc1918, server_node,
         uploaded, downloaded, packets_up, packets_down, records, observer_eni, observer_side, orientation, egress_path, cross_az, cross_region, cross_vpc, cross_account)
       VALUES ($start, $start + 60, $ws::TIMESTAMP, $proto, $action,
         $caddr, 40000, $ceni, $carn, $ctype, $ckind, $cvpc, $csub, $caz, $cacct, $creg, $csvc, $crfc, $cnode,
         $saddr, $port, $seni, $sarn, $stype, $skind, $svpc, $ssub, $saz, $sacct, $sreg, $ssvc, $srfc, $snode,
         $up, $down, 1, 1, 2, $ceni, 'client', 'syn', $path, $xaz, false, false, false)`,
      {
        start: Math.floor(c.at / 1000), ws: ts(c.at), proto: c.protocol ?? 6, action: c.action ?? 'ACCEPT',
        caddr: cl?.addr ?? '198.51.100.7', ceni: cl?.eni ?? null, carn: cl?.arn ?? null, ctype: cl?.type ?? null, ckind: cl?.kind ?? null,
        cvpc: cl ? 'vpc-a' : null, csub: cl?.subnet ?? null, caz: cl?.az ?? null, cacct: cl ? ACCOUNT : null, creg: cl ? REGION : null,
        csvc: null, crfc: !!cl, cnode: cl?.arn ?? c.client,
        saddr: sv?.addr ?? (c.server === 'aws:S3' ? '192.0.2.80' : '203.0.113.9'), port: c.port, seni: sv?.eni ?? null, sarn: sv?.arn ?? null,
        stype: sv?.type ?? null, skind: sv?.kind ?? null, svpc: sv ? 'vpc-a' : null, ssub: sv?.subnet ?? null, saz: sv?.az ?? null,
        sacct: sv ? ACCOUNT : null, sreg: sv ? REGION : null, ssvc: c.server === 'aws:S3' ? 'S3' : null, srfc: !!sv, snode: sv?.arn ?? c.server,
        up: c.up, down: c.down, path: c.path ?? 'same-vpc', xaz: crossAz,
      },
    );
  }
  await storeWideConversations(db);
}

export async function openFixture(): Promise<{ db: Db; query: QueryRows }> {
  const db = await Db.open(':memory:');
  await loadFixture(db);
  return { db, query: (sql, params) => db.json(sql, params) };
}
