/**
 * Issue 10, item 8 (in part): the inventory walk reports an unreadable subfolder and goes on, follows symbolic
 * links to files and folders, and walks a folder met again through a link once. Real CLI process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, flowlens, record, writeFlowLog, writeInventory, useTempDir } from './fixture';
import { openDataset } from '../../src/core/api';
import { loadInventory } from '../../src/core/inventory/load';

let dir: string;
useTempDir('flowlens-robust-inv-', (d) => (dir = d));

test('a symlinked inventory file is followed, a link loop walked once, an unreadable folder reported while the rest loads', async () => {
  const real = writeInventory(join(dir, 'real'));
  const inv = join(dir, 'inventory');
  mkdirSync(inv);
  symlinkSync(join(real, 'ec2.DescribeNetworkInterfaces.json'), join(inv, 'enis.json'));
  symlinkSync(inv, join(inv, 'loop'));
  symlinkSync(join(dir, 'nowhere.json'), join(inv, 'dangling.json'));
  const locked = join(inv, 'locked');
  mkdirSync(locked);
  const db = await openDataset(join(dir, 'i.duckdb'));
  try {
    // root reads any folder, so the unreadable folder is checked only where the tests do not run as root
    chmodSync(locked, 0o000);
    const asRoot = process.getuid?.() === 0;
    const report = await loadInventory(db, [inv]);
    const byName = Object.fromEntries(report.files.map((f) => [f.name, f.status]));
    assert.equal(byName[join(inv, 'enis.json')], 'loaded');
    assert.equal(byName[join(inv, 'dangling.json')], 'failed');
    assert.equal(report.files.find((f) => f.name === join(inv, 'dangling.json'))?.error, `${join(inv, 'dangling.json')}: a symbolic link to nothing`);
    assert.equal(report.files.filter((f) => f.name.includes('loop')).length, 0, 'the loop is walked once');
    if (!asRoot) {
      assert.equal(report.files.find((f) => f.name === locked)?.error?.startsWith(`cannot read folder ${locked}: EACCES`), true);
    }
    assert.equal(Number(await db.value(`SELECT count(*) FROM inv_enis`)), 2);
  } finally {
    db.close();
    chmodSync(locked, 0o700);
  }
  // and through the CLI: the enrichment runs with the linked inventory
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  writeFlowLog(join(flows, 'a.log'), [record()]);
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', join(dir, 'c.duckdb'), '--quiet');
  assert.match(r.stdout, /1 flow record from 1 file, 1 conversation/);
  assert.equal((await fingerprint(join(dir, 'c.duckdb'))).conversations, 1);
});
