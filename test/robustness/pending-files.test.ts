/**
 * A dataset that keeps no raw records counts and checks a local file's records where they are at load time and
 * reads them from there when it enriches (record_files). A file that goes between the two is said by name,
 * nothing is enriched without it, and forgetting it (even though it is gone) lets the rest go on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/core/api';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { loadInventory } from '../../src/core/inventory/load';
import { rebuildInventory } from '../../src/core/inventory/rebuild';
import { fingerprint, flowlens, record, useTempDir, writeFlowLog, writeInventory } from './fixture';

let dir: string;
useTempDir('flowlens-robust-pending-', (d) => (dir = d));

test('records of a local file are read from it, not stored; a file gone before its enrichment is named, and forgetting it lets the rest go on', async () => {
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  const a = writeFlowLog(join(flows, 'a.log'), [record()]);
  const b = writeFlowLog(join(flows, 'b.log'), [record({ srcport: 41000, bytes: 1000, packets: 2 })]);
  const path = join(dir, 'p.duckdb');
  let db = await openDataset(path);
  try {
    await loadInventory(db, [writeInventory(dir)]);
    await rebuildInventory(db);
    const loaded = await ingestFiles(db, [flows]);
    assert.deepEqual(loaded.map((r) => [r.name, r.status, r.records]), [[a, 'loaded', 1], [b, 'loaded', 1]]);
    // nothing staged: both files are where the enrichment reads their records from
    assert.deepEqual(await db.json(`SELECT count(*) AS n FROM duckdb_tables() WHERE starts_with(table_name, 'flow_stage_')`), [{ n: 0 }]);
    assert.deepEqual(await db.json(`SELECT path FROM record_files ORDER BY file_id`), [{ path: a }, { path: b }]);
    assert.deepEqual(await db.json(`SELECT count(*) AS n, sum(bytes)::VARCHAR AS bytes FROM flow_records`), [{ n: 2, bytes: '5249' }]);
  } finally {
    db.close();
  }
  // b.log goes before the enrichment (a process that loaded it and ended, a clean-up in between)
  renameSync(b, b + '.moved');
  const message = `flowlens: cannot enrich: 1 loaded file is no longer where it was loaded from (${b}), and its records are not enriched yet; put it back, or forget it (flowlens forget <file> --db …)\n`;
  const refused = flowlens(dir, 'enrich', '--flow-logs', a, '--db', path, '--quiet');
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, message);
  // flow_records leaves b.log out once the dataset was opened for writing; nothing else changed
  const after = await fingerprint(path);
  assert.deepEqual(after, { files: 2, records: 1, bytes: '4249', packets: '10', conversations: 0, uploaded: '0', windows: 0 });
  const twice = flowlens(dir, 'enrich', '--flow-logs', flows, '--db', path, '--quiet');
  assert.deepEqual([twice.code, twice.stderr], [1, message]);
  assert.deepEqual(await fingerprint(path), after);

  // forgetting the file that is gone is allowed (nothing needs reading from it), and a.log's records are enriched
  const forgot = flowlens(dir, 'forget', b, '--db', path, '--quiet');
  assert.equal(forgot.code, 0, forgot.stderr);
  assert.equal(forgot.stdout, `forgot ${b}: 1 record\n${path}: 1 file forgotten, 1 conversation\n`);
  assert.deepEqual(await fingerprint(path), { files: 1, records: 1, bytes: '4249', packets: '10', conversations: 1, uploaded: '4249', windows: 1 });

  // put back, it loads again as new and is enriched once
  renameSync(b + '.moved', b);
  const again = flowlens(dir, 'enrich', '--flow-logs', flows, '--db', path, '--quiet');
  assert.equal(again.code, 0, again.stderr);
  assert.deepEqual(await fingerprint(path), { files: 2, records: 2, bytes: '5249', packets: '12', conversations: 2, uploaded: '5249', windows: 1 });
});
