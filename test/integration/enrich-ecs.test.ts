/**
 * ECS tasks are tasks: an awsvpc task's ENI carries its attachment's ARN as description, and
 * `aws ecs describe-tasks --include TAGS` links that attachment to the task. Flows through the ENI are the
 * task's (its ARN, named by its service, with its tags); without DescribeTasks the attachment stands in.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset } from '../../src/core/api';
import type { Db } from '../../src/core/store/db';
import { topologyGraph } from '../../src/core/topology/graph';

const A = '111111111111';
const R = 'us-east-1';
const ATTACHMENT = 'a1b2c3d4-0000-4000-8000-0123456789ab';
const TASK = `arn:aws:ecs:${R}:${A}:task/shop/0f1e2d3c4b5a69788796a5b4c3d2e1f0`;
const TASK_ENI = 'eni-0c0000000000000c1';
const WEB_ENI = 'eni-0a0000000000000a1';

let dir: string;

/** The ENIs as `aws ec2 describe-network-interfaces` prints them: a web instance and the task's ENI. */
function enis(taskEniTags: { Key: string; Value: string }[] = []): unknown {
  const common = { InterfaceType: 'interface', OwnerId: A, VpcId: 'vpc-0a', Status: 'in-use', Ipv6Addresses: [] };
  return {
    NetworkInterfaces: [
      {
        ...common, NetworkInterfaceId: WEB_ENI, Description: 'Primary network interface', AvailabilityZone: 'us-east-1a', SubnetId: 'subnet-0a1',
        RequesterManaged: false, Attachment: { InstanceId: 'i-0a0000000000000a1', InstanceOwnerId: A, DeviceIndex: 0, Status: 'attached' },
        Groups: [{ GroupId: 'sg-0a1', GroupName: 'web' }], PrivateIpAddress: '10.0.1.10',
        PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.1.10' }], TagSet: [],
      },
      {
        ...common, NetworkInterfaceId: TASK_ENI, Description: `arn:aws:ecs:${R}:${A}:attachment/${ATTACHMENT}`, AvailabilityZone: 'us-east-1b',
        SubnetId: 'subnet-0b2', RequesterId: 'AROAEXAMPLEROLEID0001:ecs-service-scheduler', RequesterManaged: true,
        Attachment: { AttachmentId: 'ela-attach-0c1', InstanceOwnerId: '888888888888', DeviceIndex: 1, Status: 'attached' },
        Groups: [{ GroupId: 'sg-0c1', GroupName: 'checkout' }], PrivateIpAddress: '10.0.2.20',
        PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.2.20' }], TagSet: taskEniTags,
      },
    ],
  };
}

/** `aws ecs describe-tasks --cluster shop --tasks … --include TAGS --output json`. */
const DESCRIBE_TASKS = {
  tasks: [
    {
      attachments: [
        {
          id: ATTACHMENT,
          type: 'ElasticNetworkInterface',
          status: 'ATTACHED',
          details: [
            { name: 'subnetId', value: 'subnet-0b2' },
            { name: 'networkInterfaceId', value: TASK_ENI },
            { name: 'macAddress', value: '0e:12:34:56:78:9a' },
            { name: 'privateDnsName', value: 'ip-10-0-2-20.ec2.internal' },
            { name: 'privateIPv4Address', value: '10.0.2.20' },
          ],
        },
      ],
      availabilityZone: 'us-east-1b',
      clusterArn: `arn:aws:ecs:${R}:${A}:cluster/shop`,
      containers: [{ name: 'checkout', lastStatus: 'RUNNING', networkInterfaces: [{ attachmentId: ATTACHMENT, privateIpv4Address: '10.0.2.20' }] }],
      createdAt: '2026-09-21T12:00:00.000000+00:00',
      desiredStatus: 'RUNNING',
      group: 'service:checkout',
      lastStatus: 'RUNNING',
      launchType: 'FARGATE',
      startedAt: '2026-09-21T12:00:40.000000+00:00',
      startedBy: 'ecs-svc/1234567890123456789',
      tags: { app: 'checkout', owner: 'team-api', 'aws:ecs:serviceName': 'checkout', 'aws:ecs:clusterName': 'shop' },
      taskArn: TASK,
      taskDefinitionArn: `arn:aws:ecs:${R}:${A}:task-definition/checkout:7`,
      version: 3,
    },
  ],
  failures: [],
};

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/** One estate folder: inventory files and one flow-log file (the web instance calls the task on 8080). */
function estate(name: string, files: Record<string, unknown>): { inventory: string; flows: string } {
  const inventory = join(dir, name, 'inventory', A, R);
  const flows = join(dir, name, 'flows');
  mkdirSync(inventory, { recursive: true });
  mkdirSync(flows, { recursive: true });
  for (const [f, doc] of Object.entries(files)) writeFileSync(join(inventory, f), JSON.stringify(doc, null, 2));
  // 2026-09-23T12:00:00Z, while the task runs
  writeFileSync(join(flows, 'a.log'), [
    HEADER,
    `2 ${A} ${WEB_ENI} 10.0.1.10 10.0.2.20 40000 8080 6 10 4249 1790164800 1790164859 ACCEPT OK`,
    `2 ${A} ${WEB_ENI} 10.0.2.20 10.0.1.10 8080 40000 6 5 332 1790164800 1790164859 ACCEPT OK`,
  ].join('\n') + '\n');
  return { inventory: join(dir, name, 'inventory'), flows };
}

async function enriched(name: string, files: Record<string, unknown>, fn: (db: Db) => Promise<void>): Promise<void> {
  const e = estate(name, files);
  const db = await openDataset(join(dir, `${name}.duckdb`));
  try {
    const summary = await enrich(db, { source: { kind: 'files', inventory: [e.inventory], flowLogs: [e.flows] } });
    assert.deepEqual(summary.files.filter((f) => f.status === 'failed'), []);
    assert.deepEqual(summary.inventoryWarnings, []);
    await fn(db);
  } finally {
    db.close();
  }
}

const graph = (db: Db, level: 'resource' | 'app') =>
  topologyGraph((sql, params) => db.json(sql, params), { level, tagKey: 'app', action: 'all' });

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-ecs-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

test('describe-tasks makes the ENI the task: its ARN, named by its service, with its tags, for the time it ran', async () => {
  await enriched('with-tasks', { 'ec2-describe-network-interfaces.json': enis(), 'ecs-describe-tasks.json': DESCRIBE_TASKS }, async (db) => {
    assert.deepEqual(await db.json(`SELECT name, kind, status, items FROM (SELECT split_part(name, '/', -1) AS name, kind, 'loaded' AS status, items
      FROM inv_files) ORDER BY name`), [
      { name: 'ec2-describe-network-interfaces.json', kind: 'ec2:DescribeNetworkInterfaces', status: 'loaded', items: 2 },
      { name: 'ecs-describe-tasks.json', kind: 'ecs:DescribeTasks', status: 'loaded', items: 1 },
    ]);
    assert.deepEqual(await db.json(`SELECT arn, resource_id, type, kind, name, account_id, region,
        json_extract_string(attrs, '$.cluster') AS cluster, json_extract_string(attrs, '$.service') AS service,
        strftime(valid_from, '%Y-%m-%d %H:%M:%S') AS valid_from, strftime(valid_to, '%Y') AS valid_to
      FROM inv_resources WHERE type = 'ecs:task'`), [{
      arn: TASK, resource_id: '0f1e2d3c4b5a69788796a5b4c3d2e1f0', type: 'ecs:task', kind: 'ecs-task', name: 'checkout', account_id: A, region: R,
      cluster: 'shop', service: 'checkout', valid_from: '2026-09-21 12:00:00', valid_to: '9999',
    }]);
    assert.deepEqual(await db.json(`SELECT eni_id, arn, kind, rule, chosen FROM inv_eni_owners WHERE eni_id = '${TASK_ENI}'`), [
      { eni_id: TASK_ENI, arn: TASK, kind: 'ecs-task', rule: 'ecs-describe-tasks', chosen: true },
    ]);
    assert.deepEqual(await db.json(`SELECT server_type, server_kind, server_arn, server_node, server_eni, server_port, uploaded, downloaded,
        server_tags FROM conversations_v`), [{
      server_type: 'ecs:task', server_kind: 'ecs-task', server_arn: TASK, server_node: TASK, server_eni: TASK_ENI, server_port: 8080,
      uploaded: 4249, downloaded: 332,
      server_tags: { app: 'checkout', 'aws:ecs:clusterName': 'shop', 'aws:ecs:serviceName': 'checkout', owner: 'team-api' },
    }]);
    const byResource = await graph(db, 'resource');
    assert.deepEqual(byResource.nodes.map((n) => [n.id, n.label, n.type]).sort(), [
      ['arn:aws:ec2:us-east-1:111111111111:instance/i-0a0000000000000a1', 'i-0a0000000000000a1', 'ec2:instance'],
      [TASK, 'checkout', 'ecs:task'],
    ]);
    const byApp = await graph(db, 'app');
    assert.deepEqual(byApp.nodes.map((n) => n.id).sort(), ['app:checkout', 'arn:aws:ec2:us-east-1:111111111111:instance/i-0a0000000000000a1']);
  });
});

test('without describe-tasks the attachment stands for the task, named by the service its ENI is tagged with', async () => {
  const tagged = enis([{ Key: 'aws:ecs:serviceName', Value: 'checkout' }, { Key: 'aws:ecs:clusterName', Value: 'shop' }]);
  await enriched('eni-tags', { 'ec2-describe-network-interfaces.json': tagged }, async (db) => {
    const attachment = `arn:aws:ecs:${R}:${A}:attachment/${ATTACHMENT}`;
    assert.deepEqual(await db.json(`SELECT server_type, server_arn FROM conversations`), [{ server_type: 'ecs:task', server_arn: attachment }]);
    assert.deepEqual(await db.json(`SELECT arn, resource_id, name, kind FROM inv_resources WHERE type = 'ecs:task'`), [
      { arn: attachment, resource_id: ATTACHMENT, name: 'checkout', kind: 'ecs-task' },
    ]);
    const byResource = await graph(db, 'resource');
    assert.deepEqual(byResource.nodes.find((n) => n.id === attachment)?.label, 'checkout');
  });
  // nothing says which service: the attachment's id is all there is to show
  await enriched('bare', { 'ec2-describe-network-interfaces.json': enis() }, async (db) => {
    assert.deepEqual(await db.json(`SELECT resource_id, name FROM inv_resources WHERE type = 'ecs:task'`), [{ resource_id: ATTACHMENT, name: null }]);
  });
});
