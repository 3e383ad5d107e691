/**
 * A small estate on disk as the AWS CLI writes one account and region's inventory (`files`: file name → the JSON
 * document) and VPC Flow Logs write records (`flows`: the lines, header first), loaded and enriched by the real
 * loader into a new dataset in a temporary folder, then opened read-only as `flowlens query` opens it. Every file
 * must load, without an inventory warning.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset } from '../../src/core/api';
import type { Db } from '../../src/core/store/db';

export async function enrichSmallEstate(prefix: string, account: string, region: string, files: Record<string, unknown>,
  flows: string[]): Promise<{ dir: string; db: Db }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const inventory = join(dir, 'inventory', account, region);
  const flowDir = join(dir, 'flows');
  mkdirSync(inventory, { recursive: true });
  mkdirSync(flowDir, { recursive: true });
  for (const [f, doc] of Object.entries(files)) writeFileSync(join(inventory, f), JSON.stringify(doc, null, 2));
  writeFileSync(join(flowDir, 'a.log'), flows.join('\n') + '\n');
  const path = join(dir, 'sg.duckdb');
  const w = await openDataset(path);
  const summary = await enrich(w, { source: { kind: 'files', inventory: [join(dir, 'inventory')], flowLogs: [flowDir] } });
  w.close();
  assert.deepEqual(summary.files.filter((f) => f.status !== 'loaded'), []);
  assert.deepEqual(summary.inventoryWarnings, []);
  return { dir, db: await openDataset(path, { readOnly: true }) };
}
