/**
 * Issue 11, item 2: malformed `aws ecs describe-tasks` output. A task that is not one (its taskArn not an ECS
 * task ARN) is reported with the file's path and its index, and the file's other tasks load; a file cut short
 * is reported by its path, and every other file loads. Real CLI process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { flowlens, record, writeFlowLog, writeInventory, useTempDir } from './fixture';
import { openDataset } from '../../src/core/api';

let dir: string;
useTempDir('flowlens-robust-ecs-', (d) => (dir = d));

const TASK = 'arn:aws:ecs:us-east-1:111111111111:task/shop/0f1e2d3c4b5a69788796a5b4c3d2e1f0';

test('a describe-tasks file with a task that is not one, and one cut short: each reported by its path, nothing else lost', async () => {
  const inv = writeInventory(dir);
  const good = {
    taskArn: TASK, clusterArn: 'arn:aws:ecs:us-east-1:111111111111:cluster/shop', group: 'service:checkout', lastStatus: 'RUNNING',
    createdAt: '2026-09-21T12:00:00.000000+00:00',
    attachments: [{ id: 'a1b2c3d4-0000-4000-8000-0123456789ab', type: 'ElasticNetworkInterface', details: 'not a list' }],
    tags: [{ key: 'aws:ecs:serviceName', value: 'checkout' }],
  };
  const mixed = join(inv, 'ecs.DescribeTasks.json');
  writeFileSync(mixed, JSON.stringify({ tasks: [good, { taskArn: 'task/shop/abc', group: 'service:checkout' }, { taskArn: 42 }], failures: [] }));
  const cut = join(inv, 'ecs.DescribeTasks-tools.json');
  writeFileSync(cut, JSON.stringify({ tasks: [{ ...good, taskArn: TASK.replace('shop', 'tools') }], failures: [] }).slice(0, 120));
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFlowLog(join(flows, 'a.log'), [record()]);
  const db = join(dir, 'd.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet');
  assert.match(r.stdout, /1 flow record from 1 file, 1 conversation/);
  const lines = r.stdout.split('\n').filter((l) => l.includes('DescribeTasks')).map((l) => l.trim()).sort();
  assert.deepEqual(lines, [
    `inventory: ${cut}: invalid JSON at line 1, column 121: Unterminated string in JSON at position 120`,
    `inventory: ${mixed}: tasks[1]: taskArn is not an ECS task ARN: "task/shop/abc"`,
    `inventory: ${mixed}: tasks[2]: taskArn is not an ECS task ARN: 42`,
  ]);
  const d = await openDataset(db);
  try {
    assert.deepEqual(await d.json(`SELECT arn, name FROM inv_resources WHERE type = 'ecs:task'`), [{ arn: TASK, name: 'checkout' }]);
    assert.deepEqual(await d.json(`SELECT key, value FROM inv_tags WHERE arn = '${TASK}'`), [{ key: 'aws:ecs:serviceName', value: 'checkout' }]);
    assert.equal(Number(await d.value(`SELECT count(*) FROM inv_enis`)), 2);
    assert.equal(Number(await d.value(`SELECT count(*) FROM conversations`)), 1);
  } finally {
    d.close();
  }
});
