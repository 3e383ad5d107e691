/**
 * Issue 11, item 1: Elastic IPs (`aws ec2 describe-addresses`) attributed end to end. An Elastic IP whose interface
 * the inventory does not show (another account's, only its addresses collected) is the side itself, with its
 * account and tags; one the inventory's interface holds leaves the side that interface's, and names the Elastic
 * IP the traffic went through (conversations_v *_elastic_ip, *_elastic_ip_tags): its public address, or its private
 * address through the internet gateway. Real DuckDB, the real loader, files as the aws CLI writes them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset } from '../../src/core/api';
import type { Db } from '../../src/core/store/db';
import { JSONL_SELECT } from '../../src/core/export';

const A = '111111111111';
const B = '222222222222';
const R = 'us-east-1';
const WEB = `arn:aws:ec2:${R}:${A}:instance/i-0a0000000000000a1`;
const WORKER = `arn:aws:ec2:${R}:${A}:instance/i-0b0000000000000b1`;
const EIP_A = `arn:aws:ec2:${R}:${A}:elastic-ip/eipalloc-0a0000000000000a1`;
const EIP_B = `arn:aws:ec2:${R}:${B}:elastic-ip/eipalloc-0b0000000000000b1`;

const eni = (id: string, ip: string, instance: string, o: Record<string, unknown> = {}) => ({
  NetworkInterfaceId: id, InterfaceType: 'interface', OwnerId: A, VpcId: 'vpc-0a', AvailabilityZone: 'us-east-1a', SubnetId: 'subnet-0a1',
  Status: 'in-use', RequesterManaged: false, Description: 'Primary network interface', Groups: [{ GroupId: 'sg-0a1', GroupName: 'app' }],
  PrivateIpAddress: ip, PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }], Ipv6Addresses: [], TagSet: [],
  Attachment: { InstanceId: instance, InstanceOwnerId: A, DeviceIndex: 0, Status: 'attached' }, ...o,
});

const WEB_EIP = {
  PublicIp: '198.51.100.7', AllocationId: 'eipalloc-0a0000000000000a1', AssociationId: 'eipassoc-0a0000000000000a1', Domain: 'vpc',
  NetworkInterfaceId: 'eni-0a0000000000000a1', NetworkInterfaceOwnerId: A, PrivateIpAddress: '10.0.1.10', InstanceId: 'i-0a0000000000000a1',
  PublicIpv4Pool: 'amazon', NetworkBorderGroup: R, Tags: [{ Key: 'Name', Value: 'web-egress' }, { Key: 'team', Value: 'web' }],
};

/** inventory/<account>/<region>/<file>: each as the aws CLI writes it. */
const FILES: Record<string, Record<string, unknown>> = {
  [A]: {
    // aws ec2 describe-network-interfaces: the web instance's interface carries its Elastic IP's association
    'ec2-describe-network-interfaces.json': {
      NetworkInterfaces: [
        eni('eni-0a0000000000000a1', '10.0.1.10', 'i-0a0000000000000a1', {
          Association: { PublicIp: '198.51.100.7', AllocationId: WEB_EIP.AllocationId, AssociationId: WEB_EIP.AssociationId, IpOwnerId: A, PublicDnsName: '' },
          PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.1.10', Association: { PublicIp: '198.51.100.7', IpOwnerId: A } }],
        }),
        eni('eni-0b0000000000000b1', '10.0.1.11', 'i-0b0000000000000b1'),
      ],
    },
    'ec2-describe-internet-gateways.json': {
      InternetGateways: [{ InternetGatewayId: 'igw-0a', OwnerId: A, Attachments: [{ VpcId: 'vpc-0a', State: 'available' }], Tags: [] }],
    },
    // aws ec2 describe-addresses
    'ec2-describe-addresses.json': { Addresses: [WEB_EIP] },
  },
  [B]: {
    // a partner account of which only the addresses were collected: its Elastic IP's interface is nowhere in the inventory
    'ec2-describe-addresses.json': {
      Addresses: [{
        PublicIp: '198.51.100.99', AllocationId: 'eipalloc-0b0000000000000b1', AssociationId: 'eipassoc-0b0000000000000b1', Domain: 'vpc',
        NetworkInterfaceId: 'eni-0f0000000000000f9', NetworkInterfaceOwnerId: B, PrivateIpAddress: '172.16.0.9', PublicIpv4Pool: 'amazon',
        NetworkBorderGroup: R, Tags: [{ Key: 'Name', Value: 'partner-api' }, { Key: 'team', Value: 'partner' }],
      }],
    },
  },
};

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const T0 = 1790164800; // 2026-09-23T12:00:00Z
const flow = (eniId: string, src: string, dst: string, sp: number, dp: number, bytes: number) =>
  `2 ${A} ${eniId} ${src} ${dst} ${sp} ${dp} 6 10 ${bytes} ${T0} ${T0 + 59} ACCEPT OK`;
const both = (eniId: string, client: string, server: string, cp: number, sp: number) =>
  [flow(eniId, client, server, cp, sp, 1000), flow(eniId, server, client, sp, cp, 300)];
const FLOWS = [
  // 1. the web instance calls the partner's Elastic IP
  ...both('eni-0a0000000000000a1', '10.0.1.10', '198.51.100.99', 40001, 443),
  // 2. someone on the internet calls the web instance through its Elastic IP (logged with the private address)
  ...both('eni-0a0000000000000a1', '81.2.69.142', '10.0.1.10', 51000, 443),
  // 3. the worker calls the web instance by its Elastic IP's public address
  ...both('eni-0b0000000000000b1', '10.0.1.11', '198.51.100.7', 40003, 443),
  // 4. the worker calls the web instance inside the VPC: no Elastic IP on the way
  ...both('eni-0b0000000000000b1', '10.0.1.11', '10.0.1.10', 40004, 8080),
];

let dir: string;
let db: Db;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-eip-'));
  for (const [account, files] of Object.entries(FILES)) {
    const d = join(dir, 'inventory', account, R);
    mkdirSync(d, { recursive: true });
    for (const [f, doc] of Object.entries(files)) writeFileSync(join(d, f), JSON.stringify(doc, null, 2));
  }
  mkdirSync(join(dir, 'flows'));
  writeFileSync(join(dir, 'flows', 'a.log'), [HEADER, ...FLOWS].join('\n') + '\n');
  db = await openDataset(join(dir, 'eip.duckdb'));
  const summary = await enrich(db, { source: { kind: 'files', inventory: [join(dir, 'inventory')], flowLogs: [join(dir, 'flows')] } });
  assert.deepEqual(summary.files.filter((f) => f.status !== 'loaded'), []);
  assert.deepEqual(summary.inventoryWarnings, []);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Tags as the dataset's JSON gives a map: an object of its keys. */
const tags = (o: Record<string, string>) => o;

test("an Elastic IP whose interface the inventory does not show is the side itself, with its account and tags", async () => {
  assert.deepEqual(await db.json(`SELECT server_arn, server_type, server_kind, server_account, server_region, server_node,
      server_attribution, server_tags, server_elastic_ip, server_elastic_ip_tags, server_aws_service, egress_path, cross_account
    FROM conversations_v WHERE server_addr = '198.51.100.99'`), [{
    server_arn: EIP_B, server_type: 'ec2:elastic-ip', server_kind: 'elastic-ip', server_account: B, server_region: R, server_node: EIP_B,
    server_attribution: 'exact', server_tags: tags({ Name: 'partner-api', team: 'partner' }), server_elastic_ip: EIP_B,
    server_elastic_ip_tags: tags({ Name: 'partner-api', team: 'partner' }), server_aws_service: null, egress_path: 'internet-gateway', cross_account: true,
  }]);
  // the windows and the map name it by its ARN
  assert.deepEqual(await db.json(`SELECT DISTINCT server_node, server_type FROM windows_1h WHERE server_type = 'ec2:elastic-ip'`),
    [{ server_node: EIP_B, server_type: 'ec2:elastic-ip' }]);
});

test('traffic from the internet through an Elastic IP names it on the interface that holds it', async () => {
  assert.deepEqual(await db.json(`SELECT client_type, server_arn, server_elastic_ip, server_elastic_ip_tags, egress_path
    FROM conversations_v WHERE client_addr = '81.2.69.142'`), [{
    client_type: 'internet', server_arn: WEB, server_elastic_ip: EIP_A, server_elastic_ip_tags: tags({ Name: 'web-egress', team: 'web' }),
    egress_path: 'internet-gateway',
  }]);
});

test("a call to an Elastic IP's public address is its holder's, through that Elastic IP", async () => {
  assert.deepEqual(await db.json(`SELECT client_arn, client_elastic_ip, server_arn, server_type, server_elastic_ip, server_elastic_ip_tags
    FROM conversations_v WHERE server_addr = '198.51.100.7'`), [{
    client_arn: WORKER, client_elastic_ip: null, server_arn: WEB, server_type: 'ec2:instance', server_elastic_ip: EIP_A,
    server_elastic_ip_tags: tags({ Name: 'web-egress', team: 'web' }),
  }]);
});

test('traffic inside the VPC goes through no Elastic IP, even to its holder', async () => {
  assert.deepEqual(await db.json(`SELECT client_arn, client_elastic_ip, server_arn, server_elastic_ip, server_elastic_ip_tags, egress_path
    FROM conversations_v WHERE server_port = 8080`), [{
    client_arn: WORKER, client_elastic_ip: null, server_arn: WEB, server_elastic_ip: null, server_elastic_ip_tags: null, egress_path: 'same-vpc',
  }]);
});

test('the JSON export carries the Elastic IP and its tags', async () => {
  const lines = (await db.json<{ line: string }>(JSONL_SELECT)).map((r) => JSON.parse(r.line) as { Server: Record<string, unknown> });
  const partner = lines.find((l) => l.Server.Addr === '198.51.100.99')!;
  assert.equal(partner.Server.ElasticIp, EIP_B);
  assert.deepEqual(partner.Server.ElasticIpTags, { Name: 'partner-api', team: 'partner' });
  assert.equal(lines.find((l) => l.Server.Addr === '10.0.1.10' && l.Server.Arns === WEB && !('ElasticIp' in l.Server)) !== undefined, true);
});
