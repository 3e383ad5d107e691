/**
 * Issue 13: version 7 records whose ECS fields do not name a task, or name one whose own address the records cannot
 * tell. An EC2 interface outside ECS (`-`) and a task ARN that is not one add no task; a task whose records show one
 * peer and no flow-direction is kept without an address, and its conversation's sides stay as the inventory says
 * (unknown here). Real CLI process, no inventory.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowlens, useTempDir } from './fixture';
import { openDataset } from '../../src/core/api';

let dir: string;
useTempDir('flowlens-robust-ecs-v7-', (d) => (dir = d));

const TASK = 'arn:aws:ecs:us-east-1:111111111111:task/shop/0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status ecs-cluster-name ecs-service-name ecs-task-arn';
const line = (eni: string, src: string, sport: number, dst: string, dport: number, ecs: string) =>
  `7 111111111111 ${eni} ${src} ${dst} ${sport} ${dport} 6 2 1500 1790000040 1790000099 ACCEPT OK ${ecs}`;

test('ECS fields that name no task add none; a task whose own address its records cannot tell is kept without one', async () => {
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFileSync(join(flows, 'v7.log'), [HEADER,
    // an EC2 interface outside ECS
    line('eni-0a1', '10.0.1.10', 40000, '10.0.2.20', 443, '- - -'),
    // a task ARN that is not one
    line('eni-0b2', '10.0.1.11', 40001, '10.0.2.20', 443, 'shop checkout task/shop/abc'),
    // a task with one peer, both ways, no flow-direction: both addresses are in every record
    line('eni-0c3', '10.0.1.12', 40002, '10.0.2.20', 443, `shop checkout ${TASK}`),
    line('eni-0c3', '10.0.2.20', 443, '10.0.1.12', 40002, `shop checkout ${TASK}`),
  ].join('\n') + '\n');
  const db = join(dir, 'd.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /4 flow records from 1 file, 3 conversations/);
  const ds = await openDataset(db, { readOnly: true });
  try {
    assert.deepEqual(await ds.json(`SELECT eni_id, task_arn, cluster_name, service_name, addr FROM inv_record_tasks`),
      [{ eni_id: 'eni-0c3', task_arn: TASK, cluster_name: 'shop', service_name: 'checkout', addr: null }]);
    assert.deepEqual(await ds.json(`SELECT DISTINCT client_type, server_type, observer_side FROM conversations`),
      [{ client_type: 'unknown', server_type: 'unknown', observer_side: 'other' }]);
  } finally {
    ds.close();
  }
});
