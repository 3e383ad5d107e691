/**
 * Small inventory files load many to a transaction. One that fails while it is written (a DescribeTargetHealth
 * page that does not name its target group, after one that does) leaves nothing behind, and the others load as they
 * would one by one: the same reports, warnings said once, the same rows as loading each file on its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/core/api';
import type { Db } from '../../src/core/store/db';
import { loadInventory } from '../../src/core/inventory/load';
import { useTempDir, writeInventory } from './fixture';

let dir: string;
useTempDir('flowlens-robust-invbatch-', (d) => (dir = d));

async function tables(db: Db): Promise<Record<string, unknown>> {
  const rows = async (sql: string) => (await db.json<Record<string, unknown>>(sql)).map((r) => JSON.stringify(r)).sort();
  return {
    files: await rows(`SELECT name, kind, items FROM inv_files`),
    enis: await rows(`SELECT eni_id, subnet_id, vpc_id, account_id FROM inv_enis`),
    resources: await rows(`SELECT arn, type FROM inv_resources`),
    enisSeen: await rows(`SELECT eni_id, subnet_id FROM inv_obs_enis`),
    health: await rows(`SELECT count(*) AS n FROM inv_obs_target_health`),
  };
}

test('a file that fails in a batch leaves nothing; the rest load as they would one by one', async () => {
  const inv = writeInventory(dir);
  const region = join(inv, '111111111111', 'us-east-1');
  mkdirSync(region, { recursive: true });
  writeFileSync(join(region, 'ec2.DescribeVpcs.json'), JSON.stringify({ Vpcs: [{ VpcId: 'vpc-0a', OwnerId: '111111111111', CidrBlock: '10.0.0.0/16', State: 'available', IsDefault: false }] }));
  const bad = join(region, 'elbv2.DescribeTargetHealth.json');
  // two pages: the first is written before the second fails
  const health = { TargetHealthDescriptions: [{ Target: { Id: 'i-0a0000000000000a1', Port: 8080 }, TargetHealth: { State: 'healthy' } }] };
  writeFileSync(bad, JSON.stringify([{ TargetGroupArn: 'arn:aws:elasticloadbalancing:us-east-1:111111111111:targetgroup/web/0123456789abcdef', ...health }, health]));
  writeFileSync(join(region, 'lambda.ListFunctions.json'), JSON.stringify({ Functions: [] }));
  const files = [join(inv, 'ec2.DescribeNetworkInterfaces.json'), join(region, 'ec2.DescribeVpcs.json'), bad, join(region, 'lambda.ListFunctions.json')];

  const batched = await openDataset(join(dir, 'batched.duckdb'));
  let a: Record<string, unknown>;
  try {
    const report = await loadInventory(batched, [inv]);
    assert.deepEqual(report.files.map((f) => [f.name.slice(inv.length + 1), f.status, f.items]).sort(), [
      ['111111111111/us-east-1/ec2.DescribeVpcs.json', 'loaded', 1],
      ['111111111111/us-east-1/elbv2.DescribeTargetHealth.json', 'failed', 0],
      ['111111111111/us-east-1/lambda.ListFunctions.json', 'loaded', 0],
      ['ec2.DescribeNetworkInterfaces.json', 'loaded', 2],
    ]);
    assert.equal(report.files.find((f) => f.name === bad)!.error,
      `${bad}: DescribeTargetHealth output does not name its target group: wrap it as {"TargetGroupArn": "arn:aws:elasticloadbalancing:…", "TargetHealthDescriptions": […]}`);
    assert.equal(new Set(report.warnings).size, report.warnings.length, report.warnings.join('\n'));
    a = await tables(batched);
    assert.deepEqual(a.health, ['{"n":0}']);
  } finally {
    batched.close();
  }
  // the same files, each loaded on its own (a transaction each)
  const alone = await openDataset(join(dir, 'alone.duckdb'));
  try {
    for (const f of files) await loadInventory(alone, [f]);
    assert.deepEqual(await tables(alone), a);
  } finally {
    alone.close();
  }
});
