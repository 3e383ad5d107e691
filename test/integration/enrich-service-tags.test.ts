/**
 * Issue 11, item 1: tags from each service's own API. Inventory written the way the AWS CLI writes it (the
 * commands docs/aws.md lists), a web instance calling a load balancer, two Lambda functions, an RDS database, an
 * ElastiCache cluster and an EFS file system: each server's tags come from its service's own API (no
 * tag:GetResources here) and show on the enriched conversations' server_tags. Real DuckDB, the real loader.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset } from '../../src/core/api';
import type { Db } from '../../src/core/store/db';

const A = '111111111111';
const R = 'us-east-1';
const LB = `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/app/web/50dc6c495c0c9188`;
const ORDERS_FN = `arn:aws:lambda:${R}:${A}:function:orders-api`;
const BILLING_FN = `arn:aws:lambda:${R}:${A}:function:billing`;
const DB = `arn:aws:rds:${R}:${A}:db:orders`;
const CACHE = `arn:aws:elasticache:${R}:${A}:cluster:sessions-001`;
const FS = 'fs-0123456789abcdef0';
const FS_ARN = `arn:aws:elasticfilesystem:${R}:${A}:file-system/${FS}`;
const EIP = `arn:aws:ec2:${R}:${A}:elastic-ip/eipalloc-0123456789abcdef0`;

const eni = (id: string, ip: string, o: Record<string, unknown>) => ({
  NetworkInterfaceId: id, InterfaceType: 'interface', OwnerId: A, VpcId: 'vpc-0a', AvailabilityZone: 'us-east-1a', SubnetId: 'subnet-0a1',
  Status: 'in-use', RequesterManaged: true, Groups: [{ GroupId: 'sg-0a1', GroupName: 'app' }], PrivateIpAddress: ip,
  PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }], Ipv6Addresses: [], TagSet: [], ...o,
});

/** Every file as the aws CLI writes it (docs/aws.md: the command beside each). */
const FILES: Record<string, unknown> = {
  // aws ec2 describe-network-interfaces
  'ec2-describe-network-interfaces.json': {
    NetworkInterfaces: [
      eni('eni-0a0000000000000a1', '10.0.1.10', {
        Description: 'Primary network interface', RequesterManaged: false,
        Attachment: { InstanceId: 'i-0a0000000000000a1', InstanceOwnerId: A, DeviceIndex: 0, Status: 'attached' },
      }),
      eni('eni-0b0000000000000b1', '10.0.1.20', { Description: 'ELB app/web/50dc6c495c0c9188', RequesterId: 'amazon-elb' }),
      eni('eni-0c0000000000000c1', '10.0.1.30', {
        InterfaceType: 'lambda', Description: 'AWS Lambda VPC ENI-orders-api-2f2d5c36-1b1a-4c1e-9d1e-0123456789ab', RequesterId: 'AROAEXAMPLE:orders-api',
      }),
      eni('eni-0c0000000000000c2', '10.0.1.31', {
        InterfaceType: 'lambda', Description: 'AWS Lambda VPC ENI-billing-6a1f0e2d-3c4b-4a59-8e7f-0123456789ab', Groups: [{ GroupId: 'sg-0b1', GroupName: 'billing' }],
      }),
      eni('eni-0d0000000000000d1', '10.0.1.40', { Description: 'RDSNetworkInterface', RequesterId: 'amazon-rds', Groups: [{ GroupId: 'sg-0d1', GroupName: 'db' }] }),
      eni('eni-0e0000000000000e1', '10.0.1.50', { Description: 'ElastiCache sessions-001', RequesterId: 'amazon-elasticache' }),
    ],
  },
  // aws elbv2 describe-tags --resource-arns <the load balancer>
  'elbv2-describe-tags.json': { TagDescriptions: [{ ResourceArn: LB, Tags: [{ Key: 'team', Value: 'web' }, { Key: 'env', Value: 'prod' }] }] },
  // aws lambda list-tags --resource <arn> --query "{Resource: '<arn>', Tags: Tags}"
  'lambda-list-tags.json': { Resource: ORDERS_FN, Tags: { team: 'orders', env: 'prod' } },
  // aws lambda get-function --function-name billing
  'lambda-get-function.json': {
    Configuration: {
      FunctionName: 'billing', FunctionArn: BILLING_FN, Runtime: 'python3.12', Role: `arn:aws:iam::${A}:role/billing`, Handler: 'app.handler',
      MemorySize: 256, LastModified: '2026-09-01T10:00:00.000+0000', PackageType: 'Zip',
      VpcConfig: { SubnetIds: ['subnet-0a1'], SecurityGroupIds: ['sg-0b1'], VpcId: 'vpc-0a' },
    },
    Code: { RepositoryType: 'S3', Location: 'https://awslambda-us-east-1-tasks.s3.us-east-1.amazonaws.com/snapshots/…' },
    Tags: { team: 'billing' },
  },
  // aws rds describe-db-instances (this one without its TagList) and list-tags-for-resource, wrapped
  'rds-describe-db-instances.json': {
    DBInstances: [{
      DBInstanceIdentifier: 'orders', DBInstanceArn: DB, Engine: 'postgres', DBInstanceStatus: 'available', AvailabilityZone: 'us-east-1a',
      Endpoint: { Address: 'orders.abc.us-east-1.rds.amazonaws.com', Port: 5432 }, InstanceCreateTime: '2026-01-01T00:00:00.000Z',
      DBSubnetGroup: { DBSubnetGroupName: 'db', VpcId: 'vpc-0a', Subnets: [{ SubnetIdentifier: 'subnet-0a1', SubnetAvailabilityZone: { Name: 'us-east-1a' } }] },
      VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-0d1', Status: 'active' }],
    }],
  },
  'rds-list-tags-for-resource.json': { ResourceName: DB, TagList: [{ Key: 'team', Value: 'data' }] },
  // aws elasticache list-tags-for-resource --resource-name <arn> --query "{ResourceName: '<arn>', TagList: TagList}"
  'elasticache-list-tags-for-resource.json': { ResourceName: CACHE, TagList: [{ Key: 'team', Value: 'sessions' }] },
  // aws efs describe-file-systems; aws efs describe-mount-targets --file-system-id fs-…
  'efs-describe-file-systems.json': {
    FileSystems: [{
      OwnerId: A, CreationToken: 'shared', FileSystemId: FS, FileSystemArn: FS_ARN, CreationTime: '2026-01-01T00:00:00+00:00', LifeCycleState: 'available',
      Name: 'shared-home', NumberOfMountTargets: 1, SizeInBytes: { Value: 6144 }, PerformanceMode: 'generalPurpose', Encrypted: true,
      ThroughputMode: 'bursting', Tags: [{ Key: 'Name', Value: 'shared-home' }, { Key: 'team', Value: 'storage' }],
    }],
  },
  'efs-describe-mount-targets.json': {
    MountTargets: [{
      OwnerId: A, MountTargetId: 'fsmt-0123456789abcdef0', FileSystemId: FS, SubnetId: 'subnet-0a1', LifeCycleState: 'available', IpAddress: '10.0.1.60',
      NetworkInterfaceId: 'eni-0f0000000000000f1', AvailabilityZoneId: 'use1-az1', AvailabilityZoneName: 'us-east-1a', VpcId: 'vpc-0a',
    }],
  },
  // aws ec2 describe-addresses
  'ec2-describe-addresses.json': {
    Addresses: [{
      PublicIp: '198.51.100.7', AllocationId: 'eipalloc-0123456789abcdef0', AssociationId: 'eipassoc-0123456789abcdef0', Domain: 'vpc',
      NetworkInterfaceId: 'eni-0a0000000000000a1', NetworkInterfaceOwnerId: A, PrivateIpAddress: '10.0.1.10', InstanceId: 'i-0a0000000000000a1',
      PublicIpv4Pool: 'amazon', NetworkBorderGroup: R, Tags: [{ Key: 'Name', Value: 'web-egress' }, { Key: 'team', Value: 'web' }],
    }],
  },
};

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
// 2026-09-23T12:00:00Z: the web instance calls each server, logged at the web instance's ENI
const FLOWS = [['10.0.1.20', 443], ['10.0.1.30', 443], ['10.0.1.31', 443], ['10.0.1.40', 5432], ['10.0.1.50', 6379], ['10.0.1.60', 2049]]
  .flatMap(([to, port], i) => [
    `2 ${A} eni-0a0000000000000a1 10.0.1.10 ${to} ${40000 + i} ${port} 6 10 ${1000 + i} 1790164800 1790164859 ACCEPT OK`,
    `2 ${A} eni-0a0000000000000a1 ${to} 10.0.1.10 ${port} ${40000 + i} 6 5 ${300 + i} 1790164800 1790164859 ACCEPT OK`,
  ]);

let dir: string;
let db: Db;

async function load(name: string, files: Record<string, unknown>) {
  const inventory = join(dir, name, 'inventory', A, R);
  const flows = join(dir, name, 'flows');
  mkdirSync(inventory, { recursive: true });
  mkdirSync(flows, { recursive: true });
  for (const [f, doc] of Object.entries(files)) writeFileSync(join(inventory, f), JSON.stringify(doc, null, 2));
  writeFileSync(join(flows, 'a.log'), [HEADER, ...FLOWS].join('\n') + '\n');
  const d = await openDataset(join(dir, `${name}.duckdb`));
  const summary = await enrich(d, { source: { kind: 'files', inventory: [join(dir, name, 'inventory')], flowLogs: [flows] } });
  return { db: d, summary };
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-service-tags-'));
  const r = await load('all', FILES);
  db = r.db;
  assert.deepEqual(r.summary.files.filter((f) => f.status !== 'loaded'), []);
  assert.deepEqual(r.summary.inventoryWarnings, []);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The server's ARN, name and tags on the conversation to `addr`. */
async function server(addr: string): Promise<{ server_arn: string; server_name: string | null; server_tags: { key: string; value: string }[] | null }> {
  const rows = await db.json<{ server_arn: string; server_name: string | null; server_tags: { key: string; value: string }[] | null }>(
    `SELECT server_arn, (SELECT any_value(name) FROM inv_resources r WHERE r.arn = c.server_arn) AS server_name, server_tags
     FROM conversations_v c WHERE server_addr = $a`, { a: addr });
  assert.equal(rows.length, 1, `one conversation to ${addr}`);
  return rows[0]!;
}

test('every file is recognised as the API that wrote it', async () => {
  assert.deepEqual(await db.json(`SELECT split_part(name, '/', -1) AS file, kind FROM inv_files ORDER BY file`), [
    { file: 'ec2-describe-addresses.json', kind: 'ec2:DescribeAddresses' },
    { file: 'ec2-describe-network-interfaces.json', kind: 'ec2:DescribeNetworkInterfaces' },
    { file: 'efs-describe-file-systems.json', kind: 'efs:DescribeFileSystems' },
    { file: 'efs-describe-mount-targets.json', kind: 'efs:DescribeMountTargets' },
    { file: 'elasticache-list-tags-for-resource.json', kind: 'elasticache:ListTagsForResource' },
    { file: 'elbv2-describe-tags.json', kind: 'elbv2:DescribeTags' },
    { file: 'lambda-get-function.json', kind: 'lambda:GetFunction' },
    { file: 'lambda-list-tags.json', kind: 'lambda:ListTags' },
    { file: 'rds-describe-db-instances.json', kind: 'rds:DescribeDBInstances' },
    { file: 'rds-list-tags-for-resource.json', kind: 'rds:ListTagsForResource' },
  ]);
});

test('elbv2 describe-tags: the load balancer carries its tags', async () => {
  assert.deepEqual(await server('10.0.1.20'), { server_arn: LB, server_name: 'web', server_tags: { env: 'prod', team: 'web' } });
});

test('lambda list-tags (wrapped with the ARN asked for) and get-function: each function carries its tags', async () => {
  assert.deepEqual(await server('10.0.1.30'), { server_arn: ORDERS_FN, server_name: 'orders-api', server_tags: { env: 'prod', team: 'orders' } });
  assert.deepEqual(await server('10.0.1.31'), { server_arn: BILLING_FN, server_name: 'billing', server_tags: { team: 'billing' } });
});

test('rds list-tags-for-resource: the database carries its tags', async () => {
  assert.deepEqual(await server('10.0.1.40'), { server_arn: DB, server_name: 'orders', server_tags: { team: 'data' } });
});

test('elasticache list-tags-for-resource: the cluster carries its tags', async () => {
  assert.deepEqual(await server('10.0.1.50'), { server_arn: CACHE, server_name: 'sessions-001', server_tags: { team: 'sessions' } });
});

test('efs describe-file-systems and describe-mount-targets: the mount target is the file system, named and tagged', async () => {
  assert.deepEqual(await server('10.0.1.60'), {
    server_arn: FS_ARN, server_name: 'shared-home', server_tags: { Name: 'shared-home', team: 'storage' },
  });
  assert.deepEqual(await db.json(`SELECT eni_id, subnet_id, az FROM inv_enis WHERE eni_id = 'eni-0f0000000000000f1'`), [
    { eni_id: 'eni-0f0000000000000f1', subnet_id: 'subnet-0a1', az: 'us-east-1a' },
  ]);
});

test('ec2 describe-addresses: the Elastic IP is a resource with its tags and what holds it', async () => {
  assert.deepEqual(await db.json(`SELECT arn, name, json_extract_string(attrs, '$.public_ip') AS ip, json_extract_string(attrs, '$.eni_id') AS eni
    FROM inv_resources WHERE type = 'ec2:elastic-ip'`), [{ arn: EIP, name: 'web-egress', ip: '198.51.100.7', eni: 'eni-0a0000000000000a1' }]);
  assert.deepEqual(await db.json(`SELECT key, value FROM inv_tags WHERE arn = $a ORDER BY key`, { a: EIP }), [
    { key: 'Name', value: 'web-egress' }, { key: 'team', value: 'web' },
  ]);
});

test('a tag list that names no resource is refused with how to wrap it; the rest loads', async () => {
  const r = await load('bare', { ...FILES, 'rds-list-tags-for-resource.json': { TagList: [{ Key: 'team', Value: 'data' }] } });
  try {
    assert.equal(r.summary.inventoryWarnings.length, 1, r.summary.inventoryWarnings.join('\n'));
    assert.match(r.summary.inventoryWarnings[0]!, /rds-list-tags-for-resource\.json: a tag list that does not name its resource: wrap it as \{"ResourceName": "arn:…", "TagList": \[…\]\}/);
    // the database is still attributed, without the tags
    assert.deepEqual(await r.db.json(`SELECT server_arn, server_tags FROM conversations_v WHERE server_addr = '10.0.1.40'`), [{ server_arn: DB, server_tags: null }]);
  } finally {
    r.db.close();
  }
});
