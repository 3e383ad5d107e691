/**
 * Version 7 flow logs name the ECS task of the interface (ecs-task-arn, ecs-cluster-name, ecs-service-name): with no
 * inventory at all, a Fargate task's records attribute its side to the task (its ARN, its VPC and account, named
 * by its service on the map), as the client and as the server of another task whose records name it.
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
import { NAMES_CTE } from '../../src/core/topology/sql';

const A = '111111111111';
const T0 = 1790000000 - (1790000000 % 60);
const CLUSTER = `arn:aws:ecs:us-east-1:${A}:cluster/shop`;
const task = (id: string) => `arn:aws:ecs:us-east-1:${A}:task/shop/${id}`;
const TASK1 = task('0f1e2d3c4b5a69788796a5b4c3d2e1f0');
const TASK2 = task('1a2b3c4d5e6f708192a3b4c5d6e7f809');
const FIELDS = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status ' +
  'vpc-id subnet-id region flow-direction ecs-cluster-arn ecs-cluster-name ecs-container-instance-arn ecs-container-instance-id ' +
  'ecs-container-id ecs-second-container-id ecs-service-name ecs-task-definition-arn ecs-task-arn ecs-task-id';

let dir: string;
let db: Db;

/** A record of a Fargate task's interface (no container instance). */
function line(eni: string, taskArn: string, service: string, src: string, sport: number, dst: string, dport: number, bytes: number, direction: string): string {
  return [7, A, eni, src, dst, sport, dport, 6, Math.ceil(bytes / 1000), bytes, T0 + 1, T0 + 59, 'ACCEPT', 'OK', 'vpc-a', 'subnet-a1',
    'us-east-1', direction, CLUSTER, 'shop', '-', '-', 'c0ffee' + service, '-', service, `arn:aws:ecs:us-east-1:${A}:task-definition/${service}:3`,
    taskArn, taskArn.split('/').pop()].join(' ');
}

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-ecs-v7-'));
  db = await openDataset(join(dir, 'ecs.duckdb'));
  const file = join(dir, 'v7.log');
  writeFileSync(file, [FIELDS,
    // checkout (task 1) calls a payment provider's private address nothing explains
    line('eni-task1', TASK1, 'checkout', '10.0.5.10', 40000, '10.9.9.9', 443, 700, 'egress'),
    line('eni-task1', TASK1, 'checkout', '10.9.9.9', 443, '10.0.5.10', 40000, 5000, 'ingress'),
    // cart (task 2) calls checkout, logged at both tasks' interfaces
    line('eni-task2', TASK2, 'cart', '10.0.5.11', 41000, '10.0.5.10', 8080, 300, 'egress'),
    line('eni-task2', TASK2, 'cart', '10.0.5.10', 8080, '10.0.5.11', 41000, 900, 'ingress'),
    line('eni-task1', TASK1, 'checkout', '10.0.5.11', 41000, '10.0.5.10', 8080, 300, 'ingress'),
    line('eni-task1', TASK1, 'checkout', '10.0.5.10', 8080, '10.0.5.11', 41000, 900, 'egress'),
  ].join('\n') + '\n');
  const reports = await ingestFiles(db, [file]);
  assert.deepEqual(reports.map((r) => [r.status, r.records]), [['loaded', 6]], JSON.stringify(reports));
  await rebuild(db);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const SIDE = (s: string) => `${s}_arn, ${s}_type, ${s}_kind, ${s}_eni, ${s}_vpc, ${s}_subnet, ${s}_account, ${s}_region, ${s}_attribution`;

test('without any inventory, a task\'s version 7 records attribute its side to the task: as the client, and as the server of another task', async () => {
  assert.equal(await db.value(`SELECT count(*) FROM inv_resources`), 0n, 'no inventory');
  const rows = await db.json(`SELECT server_port, ${SIDE('client')}, ${SIDE('server')}, observer_eni, uploaded, downloaded
    FROM conversations ORDER BY server_port`);
  const side = (arn: string, eni: string) => [arn, 'ecs:task', 'ecs-task', eni, 'vpc-a', 'subnet-a1', A, 'us-east-1', 'exact'];
  const named = (r: Record<string, unknown>, s: string) => ['arn', 'type', 'kind', 'eni', 'vpc', 'subnet', 'account', 'region', 'attribution'].map((c) => r[`${s}_${c}`]);
  assert.deepEqual(rows.map((r) => [r.server_port, named(r, 'client'), named(r, 'server'), r.observer_eni, r.uploaded, r.downloaded]), [
    [443, side(TASK1, 'eni-task1'), [null, 'unknown', null, null, null, null, null, null, null], 'eni-task1', 700, 5000],
    [8080, side(TASK2, 'eni-task2'), side(TASK1, 'eni-task1'), 'eni-task2', 300, 900],
  ]);
});

test('the map names a task only its records name by its service', async () => {
  const names = await db.json(`WITH ${NAMES_CTE} SELECT key, label FROM names WHERE key LIKE 'arn:aws:ecs:%' ORDER BY label`);
  assert.deepEqual(names, [{ key: TASK2, label: 'cart' }, { key: TASK1, label: 'checkout' }]);
});
