/**
 * The topology of the sample estate, by value: untagged resources grouped by workload at the app level
 * (ECS tasks by service, instances by Auto Scaling group, EKS nodes by cluster), and names a person knows
 * (no UUIDs, no ARNs, repeated names told apart) at the resource level and in a node's peers.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../src/core/store/db';
import { enrich, openDataset } from '../../src/core/api';
import { writeSampleEstate } from '../../src/core/sample/index';
import { topologyGraph, topologyNodeDetails, type QueryRows } from '../../src/core/topology/graph';
import { defaultQuery, defaultViewState, type GraphQuery } from '../../src/protocol/topology';

let dir: string;
let db: Db;
let query: QueryRows;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-topology-sample-'));
  const manifest = await writeSampleEstate(join(dir, 'estate'), { days: 2 });
  db = await openDataset(join(dir, 'sample.duckdb'));
  await enrich(db, { source: { kind: 'files', inventory: [manifest.inventoryDir], flowLogs: manifest.flowLogDirs } });
  query = (sql, params) => db.json(sql, params);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const q = (over: Partial<GraphQuery>): GraphQuery => ({ ...defaultQuery(), ...over });
const UUIDISH = /[0-9a-f]{16,}|[0-9a-f]{8}-[0-9a-f]{4}-/;

test('the map opens at the app level', () => {
  assert.equal(defaultViewState().query.level, 'app');
  assert.equal(defaultViewState().query.tagKey, 'app');
});

test('app level by a tag nobody carries: ECS tasks by service, instances by Auto Scaling group, EKS nodes by cluster', async () => {
  const g = await topologyGraph(query, q({ level: 'app', tagKey: 'no-such-tag' }));
  const resource = await topologyGraph(query, q({ level: 'resource' }));
  assert.ok(resource.nodes.filter((n) => n.type === 'ecs:task').length > 2, 'the estate has ECS tasks');
  assert.ok(g.nodes.length <= 60, `${g.nodes.length} nodes`);
  assert.equal(g.nodes.filter((n) => n.type === 'ecs:task').length, 0, 'no task stands alone');

  // each service node stands for the tasks of that service seen in traffic, counted here independently
  const services = await db.json<{ key: string; name: string; tasks: number }>(
    `WITH seen AS (SELECT client_arn AS arn FROM conversations UNION SELECT server_arn FROM conversations)
     SELECT 'ecs-service:' || r.account_id || ':' || r.region || ':' || json_extract_string(r.attrs, '$.cluster') || '/' || json_extract_string(r.attrs, '$.service') AS key,
            json_extract_string(r.attrs, '$.service') AS name, count(DISTINCT r.arn)::INTEGER AS tasks
     FROM inv_resources r JOIN seen USING (arn) WHERE r.type = 'ecs:task' GROUP BY ALL ORDER BY key`,
  );
  assert.ok(services.length >= 2);
  const shown = g.nodes.filter((n) => n.type === 'ecs:service').map((n) => ({ key: n.id, name: n.label, tasks: n.members }));
  assert.deepEqual(shown.sort((a, b) => a.key.localeCompare(b.key)), services);

  // instances in an Auto Scaling group (not EKS nodes) become the group
  const groups = await db.json<{ name: string; instances: number }>(
    `WITH seen AS (SELECT client_arn AS arn FROM conversations UNION SELECT server_arn FROM conversations)
     SELECT t.value AS name, count(DISTINCT t.arn)::INTEGER AS instances FROM inv_tags t JOIN seen USING (arn)
     WHERE t.key = 'aws:autoscaling:groupName'
       AND NOT EXISTS (SELECT 1 FROM inv_tags k WHERE k.arn = t.arn AND k.key LIKE 'kubernetes.io/cluster/%')
     GROUP BY 1 ORDER BY 1`,
  );
  assert.ok(groups.length >= 3);
  assert.deepEqual(
    g.nodes.filter((n) => n.type === 'autoscaling:group').map((n) => ({ name: n.label, instances: n.members })).sort((a, b) => a.name.localeCompare(b.name)),
    groups,
  );
  const eks = g.nodes.filter((n) => n.type === 'eks:cluster');
  assert.deepEqual(eks.map((n) => [n.label, n.members]), [['analytics', 2]]);

  // with the app tag every resource of the estate is tagged: apps, the internet and AWS services only
  const apps = await topologyGraph(query, q({ level: 'app', tagKey: 'app' }));
  assert.ok(apps.nodes.length <= 60);
  assert.deepEqual([...new Set(apps.nodes.map((n) => n.type))].sort(), ['app', 'aws-service', 'internet']);
});

test('names a person knows: no ARN, no UUID, and a repeated name told apart by AZ, account or id', async () => {
  for (const level of ['resource', 'app'] as const) {
    const g = await topologyGraph(query, q({ level }));
    const labels = g.nodes.map((n) => n.label);
    assert.equal(new Set(labels).size, labels.length, `${level}: labels repeat: ${labels.filter((l, i) => labels.indexOf(l) !== i).join(', ')}`);
    for (const l of labels) {
      assert.doesNotMatch(l, /^arn:/, `${level}: ${l}`);
      assert.doesNotMatch(l, UUIDISH, `${level}: ${l}`);
    }
  }
  const g = await topologyGraph(query, q({ level: 'resource' }));
  // the two EKS nodes share a Name tag; they sit in different AZs
  const eksNodes = g.nodes.filter((n) => n.label.startsWith('analytics-eks-node'));
  assert.equal(eksNodes.length, 2);
  for (const n of eksNodes) assert.equal(n.label, `analytics-eks-node (${n.az})`);
  // an ECS task is named by its service
  const task = g.nodes.find((n) => n.type === 'ecs:task')!;
  const svc = await db.json<{ s: string }>(`SELECT json_extract_string(attrs, '$.service') AS s FROM inv_resources WHERE arn = $a`, { a: task.id });
  assert.ok(task.label.startsWith(`${svc[0].s} (`), task.label);

  // the internet's top clients: names, told apart
  const d = await topologyNodeDetails(query, q({ level: 'resource' }), 'internet');
  const peers = [...d.peersIn, ...d.peersOut];
  assert.ok(peers.length > 0);
  const names = peers.map((p) => p.label);
  for (const l of names) assert.doesNotMatch(l, UUIDISH, l);
  assert.equal(new Set(d.peersIn.map((p) => p.label)).size, d.peersIn.length, d.peersIn.map((p) => p.label).join(', '));
});
