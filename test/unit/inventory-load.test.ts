import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Db } from '../../src/core/store/db';
import { loadInventory, loadInventoryDocument } from '../../src/core/inventory/load';
import { A, B, R, VPC, ENI, I, EXPECTED_KIND, estate, writeEstate, eni, ENIS } from './inventory-fixtures';

async function withDb<T>(fn: (db: Db) => Promise<T>): Promise<T> {
  const db = await Db.open(':memory:');
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

async function loaded(fn: (db: Db, root: string) => Promise<void>, files = estate()): Promise<void> {
  const { dir, root } = writeEstate(files);
  try {
    await withDb(async (db) => {
      const rep = await loadInventory(db, [root]);
      const failed = rep.files.filter((f) => f.status !== 'loaded');
      assert.deepEqual(failed, [], JSON.stringify(failed));
      await fn(db, root);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Who held `addr` in `vpc` at time `t`: [eni_id, arn]. */
async function holder(db: Db, addr: string, t: string): Promise<[string, string][]> {
  const rows = await db.all<{ eni_id: string; arn: string }>(
    `SELECT eni_id, arn FROM inv_addresses WHERE addr = $a AND vpc_id = $v AND valid_from <= $t::TIMESTAMP AND $t::TIMESTAMP < valid_to ORDER BY eni_id`,
    { a: addr, v: VPC, t },
  );
  return rows.map((r) => [r.eni_id, r.arn]);
}

test('every file of the estate is recognised by content and loaded', async () => {
  const { dir, root } = writeEstate();
  try {
    await withDb(async (db) => {
      const rep = await loadInventory(db, [root]);
      const kinds = Object.fromEntries(rep.files.map((f) => [f.name.slice(root.length + 1), [f.kind, f.status, f.items]]));
      assert.deepEqual(kinds[`${A}/${R}/ec2-describe-network-interfaces.json`], ['ec2:DescribeNetworkInterfaces', 'loaded', ENIS.length]);
      assert.deepEqual(kinds[`${A}/${R}/target-health-web.json`], ['elbv2:DescribeTargetHealth', 'loaded', 1]);
      assert.deepEqual(kinds[`${A}/${R}/get-managed-prefix-list-entries-pl-63a5400a.json`], ['ec2:GetManagedPrefixListEntries', 'loaded', 2]);
      assert.deepEqual(kinds[`${A}/${R}/cloudtrail-lookup-events.json`], ['cloudtrail:LookupEvents', 'loaded', 10]);
      assert.deepEqual(kinds['ip-ranges.json'], ['ip-ranges', 'loaded', 4]);
      assert.equal(rep.files.length, Object.keys(estate()).length);
      assert.ok(rep.files.every((f) => f.status === 'loaded'), JSON.stringify(rep.files.filter((f) => f.status !== 'loaded')));
      assert.deepEqual(rep.warnings, []);
      // NAT gateways carry no OwnerId: the account came from the path
      assert.equal(await db.value(`SELECT account_id FROM inv_gateways WHERE kind = 'nat-gateway'`), A);
      assert.equal(await db.value(`SELECT az FROM inv_gateways WHERE kind = 'nat-gateway'`), 'us-east-1a');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each ENI is classified into its resource', async () => {
  await loaded(async (db) => {
    const rows = await db.all<{ eni_id: string; kind: string; arn: string }>(
      `SELECT eni_id, kind, arn FROM inv_enis WHERE valid_to = TIMESTAMP '9999-12-31' ORDER BY eni_id`,
    );
    const byId = new Map(rows.map((r) => [r.eni_id, r]));
    for (const [n, kind] of Object.entries(EXPECTED_KIND)) {
      assert.equal(byId.get(ENI(Number(n)))?.kind, kind, `${ENI(Number(n))}`);
    }
    const arn = (n: number) => byId.get(ENI(n))!.arn;
    assert.equal(arn(0x01), `arn:aws:ec2:${R}:${A}:instance/${I(1)}`);
    assert.equal(arn(0x02), `arn:aws:ec2:${R}:${A}:instance/${I(2)}`);
    assert.equal(arn(0x03), `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/app/web/0123456789abcdef`);
    assert.equal(arn(0x07), `arn:aws:ec2:${R}:${A}:natgateway/nat-00000000000000001`);
    // the shared Lambda ENI: the function named in its description, with its twin recorded
    assert.equal(arn(0x0a), `arn:aws:lambda:${R}:${A}:function:orders`);
    const owners = await db.all<{ arn: string; chosen: boolean }>(`SELECT arn, chosen FROM inv_eni_owners WHERE eni_id = $e ORDER BY arn`, { e: ENI(0x0a) });
    assert.deepEqual(owners.map((o) => [o.arn.split(':').pop(), o.chosen]), [['billing', false], ['orders', true]]);
    // RDS: the DB whose subnet group, security groups and AZ fit (not db-other: other SG; not aurora-1: other AZ)
    assert.equal(arn(0x0b), `arn:aws:rds:${R}:${A}:db:db-main`);
    assert.equal(arn(0x0c), `arn:aws:rds:${R}:${A}:db-proxy:prx-0000000000000001`);
    assert.equal(arn(0x0d), `arn:aws:elasticache:${R}:${A}:cluster:cache-0001-001`);
    assert.equal(arn(0x0e), `arn:aws:elasticfilesystem:${R}:${A}:file-system/fs-0123456789abcdef0`);
    assert.equal(arn(0x0f), `arn:aws:ecs:${R}:${A}:attachment/1a2b3c4d-0000-1111-2222-333344445555`);
    assert.equal(arn(0x10), `arn:aws:ec2:${R}:${A}:transit-gateway-attachment/tgw-attach-00000000000000001`);
    assert.equal(arn(0x11), `arn:aws:ec2:${R}:${A}:network-interface/${ENI(0x11)}`);
    // resources: the EKS node is an eks-node, ENI-only owners exist as derived resources
    assert.equal(await db.value(`SELECT kind FROM inv_resources WHERE resource_id = $i`, { i: I(2) }), 'eks-node');
    assert.equal(await db.value(`SELECT kind FROM inv_resources WHERE resource_id = $i`, { i: I(1) }), 'instance');
    assert.equal(await db.value(`SELECT type FROM inv_resources WHERE arn = $a`, { a: arn(0x0e) }), 'efs:file-system');
    assert.equal(await db.value(`SELECT type FROM inv_resources WHERE arn = $a`, { a: arn(0x0f) }), 'ecs:task');
    assert.equal(await db.value(`SELECT count(*) FROM inv_enis WHERE arn IS NULL`), 0n);
    // az_id comes from the subnet when the ENI does not carry it
    assert.equal(byId.has(ENI(0x13)), true);
    assert.equal(await db.value(`SELECT az_id FROM inv_enis WHERE eni_id = $e`, { e: ENI(1) }), 'use1-az1');
  });
});

test('every address of an ENI is recorded: secondary, /28 prefix, IPv6, public', async () => {
  await loaded(async (db) => {
    const rows = await db.all<{ addr_kind: string; n: bigint }>(
      `SELECT addr_kind, count(*) AS n FROM inv_addresses WHERE eni_id = $e GROUP BY ALL ORDER BY ALL`,
      { e: ENI(1) },
    );
    assert.deepEqual(rows.map((r) => [r.addr_kind, Number(r.n)]), [['ipv6', 1], ['prefix', 16], ['primary', 1], ['public', 1], ['secondary', 1]]);
    assert.equal(await db.value(`SELECT addr FROM inv_addresses WHERE eni_id = $e AND addr_kind = 'ipv6'`, { e: ENI(1) }), '2600:1f18:0:1::10');
    assert.equal(await db.value(`SELECT max(addr) FROM inv_addresses WHERE eni_id = $e AND addr_kind = 'prefix' AND addr LIKE '10.0.1.2%'`, { e: ENI(1) }), '10.0.1.239');
    // attach time is the start; the pod IPs of the EKS node belong to the node
    assert.equal(String(await db.value(`SELECT min(valid_from)::VARCHAR FROM inv_addresses WHERE eni_id = $e`, { e: ENI(1) })), '2024-01-01 00:00:00');
    assert.deepEqual(await holder(db, '10.0.1.21', '2024-06-01'), [[ENI(2), `arn:aws:ec2:${R}:${A}:instance/${I(2)}`]]);
    // the NAT's public IP is the NAT's
    assert.equal(await db.value(`SELECT arn FROM inv_addresses WHERE addr = '203.0.113.70' AND addr_kind = 'public'`), `arn:aws:ec2:${R}:${A}:natgateway/nat-00000000000000001`);
  });
});

test('CloudTrail rebuilds who held an address when, across ENIs that are gone', async () => {
  await loaded(async (db) => {
    const eniAa1 = ENI(0xaa1);
    const eniArn = `arn:aws:ec2:${R}:${A}:network-interface/${eniAa1}`;
    const inst = `arn:aws:ec2:${R}:${A}:instance/${I(1)}`;
    assert.deepEqual(await holder(db, '10.0.1.200', '2024-02-28 00:00:00'), []);
    assert.deepEqual(await holder(db, '10.0.1.200', '2024-03-01 10:01:00'), [[eniAa1, eniArn]]);
    assert.deepEqual(await holder(db, '10.0.1.200', '2024-03-01 10:10:00'), [[eniAa1, inst]]); // attached to i-1
    assert.deepEqual(await holder(db, '10.0.1.200', '2024-03-01 10:45:00'), [[eniAa1, eniArn]]); // detached
    assert.deepEqual(await holder(db, '10.0.1.200', '2024-03-01 11:30:00'), []); // deleted at 11:00
    assert.deepEqual(await holder(db, '10.0.1.200', '2024-03-01 12:00:00'), [[ENI(0xaa2), `arn:aws:ec2:${R}:${A}:network-interface/${ENI(0xaa2)}`]]);
    assert.deepEqual(await holder(db, '10.0.1.200', '2030-01-01'), [[ENI(0xaa2), `arn:aws:ec2:${R}:${A}:network-interface/${ENI(0xaa2)}`]]);
    // an instance launched and terminated inside the trail: its ENI and address live [launch, terminate)
    const i9 = `arn:aws:ec2:${R}:${A}:instance/${I(9)}`;
    assert.deepEqual(await holder(db, '10.0.1.201', '2024-03-02 03:00:00'), [[ENI(0xbb1), i9]]);
    assert.deepEqual(await holder(db, '10.0.1.201', '2024-03-02 06:00:00'), []);
    const r = await db.one<{ kind: string; f: string; t: string }>(
      `SELECT kind, valid_from::VARCHAR AS f, valid_to::VARCHAR AS t FROM inv_resources WHERE arn = $a`, { a: i9 },
    );
    assert.deepEqual(r, { kind: 'instance', f: '2024-03-02 00:00:00', t: '2024-03-02 06:00:00' });
    // failed (dry-run) and read-only events are not kept
    assert.equal(await db.value(`SELECT count(*) FROM inv_events`), 10n);
  });
});

test('tag history: CreateTags/DeleteTags intervals, snapshot tags current', async () => {
  await loaded(async (db) => {
    const inst = `arn:aws:ec2:${R}:${A}:instance/${I(1)}`;
    const rows = await db.all<{ key: string; value: string; f: string; t: string }>(
      `SELECT key, value, valid_from::VARCHAR AS f, valid_to::VARCHAR AS t FROM inv_tags WHERE arn = $a ORDER BY key, valid_from`, { a: inst },
    );
    assert.deepEqual(rows.map((r) => [r.key, r.value, r.f, r.t]), [
      ['Name', 'web-1', '1970-01-01 00:00:00', '9999-12-31 00:00:00'],
      ['app', 'web-old', '2024-03-01 00:00:00', '2024-03-05 00:00:00'],
      ['app', 'web', '2024-03-05 00:00:00', '9999-12-31 00:00:00'],
      ['temp', 'x', '1970-01-01 00:00:00', '2024-03-03 00:00:00'],
    ]);
    // tags of an instance that only CloudTrail knew; GetResources tags of a function; RDS TagList
    assert.equal(await db.value(`SELECT value FROM inv_tags WHERE arn = $a AND key = 'app'`, { a: `arn:aws:ec2:${R}:${A}:instance/${I(9)}` }), 'batch');
    assert.equal(await db.value(`SELECT value FROM inv_tags WHERE arn = $a AND key = 'app'`, { a: `arn:aws:lambda:${R}:${A}:function:orders` }), 'orders');
    assert.equal(await db.value(`SELECT value FROM inv_tags WHERE arn = $a AND key = 'app'`, { a: `arn:aws:rds:${R}:${A}:db:db-main` }), 'orders');
    assert.equal(await db.value(`SELECT value FROM inv_tags WHERE arn = $a AND key = 'Name'`, { a: `arn:aws:ec2:${R}:${A}:vpc/${VPC}` }), 'prod');
  });
});

test('VPC links: peering both ways with peer region/account, every pair on a transit gateway', async () => {
  await loaded(async (db) => {
    const peering = await db.all(`SELECT vpc_id, account_id, region, peer_vpc_id, peer_account_id, peer_region FROM inv_vpc_links WHERE kind = 'peering' ORDER BY vpc_id`);
    assert.deepEqual(peering, [
      { vpc_id: VPC, account_id: A, region: R, peer_vpc_id: 'vpc-0b0b0b0b0b0b0b0b0', peer_account_id: B, peer_region: 'eu-west-1' },
      { vpc_id: 'vpc-0b0b0b0b0b0b0b0b0', account_id: B, region: 'eu-west-1', peer_vpc_id: VPC, peer_account_id: A, peer_region: R },
    ].sort((a, b) => (a.vpc_id < b.vpc_id ? -1 : 1)));
    const tgw = await db.all<{ vpc_id: string; peer_vpc_id: string; link_id: string }>(
      `SELECT vpc_id, peer_vpc_id, link_id FROM inv_vpc_links WHERE kind = 'transit-gateway' ORDER BY ALL`,
    );
    assert.equal(tgw.length, 6);
    assert.ok(tgw.every((l) => l.link_id === 'tgw-00000000000000001' && l.vpc_id !== l.peer_vpc_id));
    assert.equal(String(await db.value(`SELECT min(valid_from)::VARCHAR FROM inv_vpc_links WHERE kind = 'transit-gateway' AND vpc_id = $v AND peer_vpc_id = 'vpc-0e0e0e0e0e0e0e0e0'`, { v: VPC })), '2024-01-03 00:00:00');
  });
});

test('prefixes, endpoints, targets, proxies, flow logs', async () => {
  await loaded(async (db) => {
    const pl = await db.all(`SELECT prefix, service, region, lo::VARCHAR AS lo FROM inv_prefixes WHERE source = 'prefix-list' ORDER BY prefix`);
    assert.deepEqual(pl, [
      { prefix: '3.5.0.0/19', service: 'S3', region: R, lo: String(0x03050000) },
      { prefix: '52.216.0.0/15', service: 'S3', region: R, lo: String(0x34d80000) },
    ]);
    assert.equal(await db.value(`SELECT count(*) FROM inv_prefixes WHERE source = 'ip-ranges' AND family = 6`), 1n);
    assert.equal(await db.value(`SELECT sync_token FROM inv_prefixes WHERE source = 'ip-ranges' LIMIT 1`), '1700000000');
    assert.deepEqual(
      await db.all(`SELECT endpoint_type, aws_service, prefix_list_id FROM inv_vpc_endpoints ORDER BY endpoint_id`),
      [
        { endpoint_type: 'Interface', aws_service: 'ecr.dkr', prefix_list_id: null },
        { endpoint_type: 'GatewayLoadBalancer', aws_service: null, prefix_list_id: null },
        { endpoint_type: 'Gateway', aws_service: 's3', prefix_list_id: 'pl-63a5400a' },
      ],
    );
    assert.deepEqual(await db.all(`SELECT lb_arn, target_type, target_id, target_arn, port, protocol, health FROM inv_lb_targets`), [{
      lb_arn: `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/app/web/0123456789abcdef`, target_type: 'instance', target_id: I(1),
      target_arn: `arn:aws:ec2:${R}:${A}:instance/${I(1)}`, port: 80, protocol: 'HTTP', health: 'healthy',
    }]);
    assert.deepEqual(await db.all(`SELECT proxy_arn, db_arn FROM inv_db_proxy_targets`), [
      { proxy_arn: `arn:aws:rds:${R}:${A}:db-proxy:prx-0000000000000001`, db_arn: `arn:aws:rds:${R}:${A}:db:db-main` },
    ]);
    assert.deepEqual(await db.one(`SELECT destination_type, file_format, max_aggregation_interval, account_id FROM inv_flow_logs`), {
      destination_type: 's3', file_format: 'plain-text', max_aggregation_interval: 60, account_id: A,
    });
  });
});

async function dump(db: Db): Promise<string> {
  const tables = await db.all<{ t: string }>(`SELECT table_name AS t FROM information_schema.tables WHERE table_name LIKE 'inv\\_%' ESCAPE '\\' AND table_name <> 'inv_files' ORDER BY 1`);
  const out: Record<string, unknown> = {};
  for (const { t } of tables) {
    const cols = t === 'inv_obs_tags' || t === 'inv_obs_enis' ? '* EXCLUDE (seq)' : '*';
    out[t] = await db.json(`SELECT ${cols} FROM ${t} ORDER BY ALL`);
  }
  return JSON.stringify(out);
}

test('idempotent: the same folder twice leaves every table identical; a newer dump replaces', async () => {
  await loaded(async (db, root) => {
    const before = await dump(db);
    const again = await loadInventory(db, [root]);
    assert.ok(again.files.every((f) => f.status === 'duplicate'), JSON.stringify(again.files));
    assert.equal(await dump(db), before);
    // the same content under another name adds nothing either
    const doc = estate()[`${A}/${R}/ec2-describe-network-interfaces.json`];
    const r = await loadInventoryDocument(db, `collector/${A}/${R}/DescribeNetworkInterfaces-1`, doc);
    assert.equal(r.status, 'loaded');
    assert.equal(await dump(db), before);
    // a newer dump of one ENI replaces it (one row, new description), as two pages in one file
    const changed = eni({ ...ENIS.find((e) => e.n === 0x11)!, description: 'renamed interface' });
    const r2 = await loadInventoryDocument(db, `collector/${A}/${R}/DescribeNetworkInterfaces-2`, [{ NetworkInterfaces: [changed] }, { NetworkInterfaces: [], NextToken: null }]);
    assert.equal(r2.items, 1);
    assert.deepEqual(await db.all(`SELECT description FROM inv_enis WHERE eni_id = $e`, { e: ENI(0x11) }), [{ description: 'renamed interface' }]);
    assert.equal(await db.value(`SELECT count(*) FROM inv_addresses WHERE eni_id = $e`, { e: ENI(0x11) }), 1n);
  });
});

test('unrecognised files are named; bad JSON names the file and position; a failing file leaves nothing', async () => {
  const files: Record<string, unknown> = {
    [`${A}/${R}/notes.txt`]: 'just some notes',
    [`${A}/${R}/something-else.json`]: { Foo: [1, 2] },
    [`${A}/${R}/broken.json`]: '{\n  "NetworkInterfaces": [\n    { "NetworkInterfaceId": "eni-1", }\n  ]\n}',
    [`${A}/${R}/health-without-tg.json`]: { TargetHealthDescriptions: [{ Target: { Id: 'i-1', Port: 80 } }] },
    [`${A}/${R}/get-managed-prefix-list-entries-pl-0000aaaa.json`]: { Entries: [{ Cidr: '192.0.2.0/24' }, { Cidr: '192.0.2.0/99' }] },
    [`${A}/${R}/vpcs.json`]: { Vpcs: [{ VpcId: VPC, CidrBlock: '10.0.0.0/16', OwnerId: A }] },
  };
  const { dir, root } = writeEstate(files);
  try {
    await withDb(async (db) => {
      const rep = await loadInventory(db, [root]);
      const st = Object.fromEntries(rep.files.map((f) => [f.name.split('/').pop(), f]));
      assert.equal(st['notes.txt'].status, 'unrecognised');
      assert.equal(st['something-else.json'].status, 'unrecognised');
      // told once, by the status (enrich names them from it); not a second time among the warnings
      assert.ok(!rep.warnings.some((w) => w.includes('something-else.json') || w.includes('notes.txt')), rep.warnings.join('\n'));
      assert.equal(st['broken.json'].status, 'failed');
      assert.match(st['broken.json'].error!, /broken\.json: invalid JSON at line 3, column \d+/);
      assert.equal(st['health-without-tg.json'].status, 'failed');
      assert.match(st['health-without-tg.json'].error!, /health-without-tg\.json.*TargetGroupArn/);
      const pl = st['get-managed-prefix-list-entries-pl-0000aaaa.json'];
      assert.equal(pl.status, 'failed');
      assert.match(pl.error!, /pl-0000aaaa.*192\.0\.2\.0\/99/);
      assert.equal(await db.value(`SELECT count(*) FROM inv_prefixes`), 0n); // the good entry was rolled back too
      assert.equal(await db.value(`SELECT count(*) FROM inv_files`), 1n); // only vpcs.json
      assert.equal(st['vpcs.json'].status, 'loaded');
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('account and region: from the content, else the path, else a warning', async () => {
  await withDb(async (db) => {
    const nat = { NatGateways: [{ NatGatewayId: 'nat-0000000000000000f', SubnetId: 'subnet-1', VpcId: VPC, State: 'available', NatGatewayAddresses: [] }] };
    const r1 = await loadInventoryDocument(db, 'somewhere/nat.json', nat);
    assert.ok(r1.warnings.some((w) => /somewhere\/nat\.json: account unknown for 1 item/.test(w)), r1.warnings.join('\n'));
    assert.ok(r1.warnings.some((w) => /region unknown/.test(w)));
    const r2 = await loadInventoryDocument(db, 'x/nat.json', nat, { accountId: B, region: 'eu-west-1' });
    assert.deepEqual(r2.warnings, []);
    assert.equal(await db.value(`SELECT arn FROM inv_gateways`), `arn:aws:ec2:eu-west-1:${B}:natgateway/nat-0000000000000000f`);
    // content wins over the path: the subnet's ARN names its own account and region
    const sub = { Subnets: [{ SubnetId: 'subnet-0000000000000000f', VpcId: VPC, AvailabilityZone: 'eu-west-1a', SubnetArn: `arn:aws:ec2:eu-west-1:${B}:subnet/subnet-0000000000000000f` }] };
    await loadInventoryDocument(db, `inventory/${A}/${R}/subnets.json`, sub);
    assert.deepEqual(await db.one(`SELECT account_id, region FROM inv_subnets`), { account_id: B, region: 'eu-west-1' });
  });
});

const REAL = join(__dirname, '../../../../shared/data/aws-ip-ranges.json');
const REAL2 = '/work/shared/data/aws-ip-ranges.json';

test('the real ip-ranges.json loads every IPv4 and IPv6 prefix', { skip: !existsSync(REAL) && !existsSync(REAL2) }, async () => {
  await withDb(async (db) => {
    const t0 = Date.now();
    const rep = await loadInventory(db, [existsSync(REAL) ? REAL : REAL2]);
    assert.equal(rep.files[0].kind, 'ip-ranges');
    const counts = await db.all<{ family: number; n: bigint }>(`SELECT family, count(*) AS n FROM inv_prefixes GROUP BY 1 ORDER BY 1`);
    assert.deepEqual(counts.map((c) => [c.family, Number(c.n)]), [[4, 10666], [6, 6160]]);
    assert.equal(await db.value(`SELECT DISTINCT sync_token FROM inv_prefixes`), '1787433425');
    // lo/hi are the integer range: 3.5.140.0/22 -> [0x03058c00, 0x03058fff]
    assert.deepEqual(await db.one(`SELECT lo::VARCHAR AS lo, hi::VARCHAR AS hi FROM inv_prefixes WHERE prefix = '3.5.140.0/22' LIMIT 1`), { lo: String(0x03058c00), hi: String(0x03058fff) });
    console.log(`real ip-ranges: ${Date.now() - t0} ms`);
  });
});

test('a big DescribeNetworkInterfaces loads set-based', async () => {
  const n = 5000;
  const nis: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    nis.push(eni({ n: 0x100000 + i, description: i % 2 ? 'Primary network interface' : `AWS Lambda VPC ENI-fn${i % 7}-3f1b2c4d-1111-2222-3333-444455556666`, ips: [`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, `10.200.${(i >> 8) & 255}.${i & 255}`], instance: i % 2 ? I(i) : undefined, type: i % 2 ? 'interface' : 'lambda' }));
  }
  await withDb(async (db) => {
    const t0 = Date.now();
    const r = await loadInventoryDocument(db, `inventory/${A}/${R}/big.json`, { NetworkInterfaces: nis });
    const ms = Date.now() - t0;
    assert.equal(r.items, n);
    assert.equal(await db.value(`SELECT count(*) FROM inv_addresses`), BigInt(2 * n));
    console.log(`5,000 ENIs loaded and rebuilt in ${ms} ms`);
    assert.ok(ms < 30000);
  });
});


test('cancelling stops between files, keeps what was loaded consistent, and says so', async () => {
  const { dir, root } = writeEstate();
  try {
    await withDb(async (db) => {
      const ac = new AbortController();
      ac.abort(new Error('user cancelled'));
      await assert.rejects(loadInventory(db, [root], { signal: ac.signal }), /user cancelled/);
      assert.equal(await db.value(`SELECT count(*) FROM inv_files`), 0n);
      const rep = await loadInventory(db, [root]);
      assert.ok(rep.files.every((f) => f.status === 'loaded'));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('CloudTrail log files as S3 delivers them ({"Records": […]}) feed the same history', async () => {
  await withDb(async (db) => {
    const events = (estate()[`${A}/${R}/cloudtrail-lookup-events.json`] as { Events: { CloudTrailEvent: string }[] }).Events.map((e) => JSON.parse(e.CloudTrailEvent));
    const r = await loadInventoryDocument(db, `AWSLogs/${A}/CloudTrail/${R}/2024/03/01/trail.json`, { Records: events });
    assert.equal(r.kind, 'cloudtrail:LogFile');
    assert.equal(await db.value(`SELECT count(*) FROM inv_events`), 10n);
    assert.deepEqual(await holder(db, '10.0.1.201', '2024-03-02 03:00:00'), [[ENI(0xbb1), `arn:aws:ec2:${R}:${A}:instance/${I(9)}`]]);
  });
});
