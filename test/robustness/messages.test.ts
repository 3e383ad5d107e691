/**
 * Issue 10, item 14: messages that name the cause. (The tab-separated line and `export --out -` are in
 * ingest-validation and export-and-sql.) Real DuckDB, real CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openDataset } from '../../src/core/api';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { HEADER, enrichedDataset, flowlens, record, writeFlowLog, writeInventory, useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-messages-', (d) => (dir = d));

test('gzip inside gzip says so; a broken Parquet file is one line without SQL', async () => {
  const twice = join(dir, 'twice.log.gz');
  writeFileSync(twice, gzipSync(gzipSync([HEADER, record()].join('\n') + '\n')));
  const pq = join(dir, 'broken.log.parquet');
  writeFileSync(pq, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(64, 7), Buffer.from('PAR1')]));
  const db = await openDataset(join(dir, 'm.duckdb'));
  try {
    const [a, b] = await ingestFiles(db, [twice, pq]);
    assert.equal(a.status, 'failed');
    assert.equal(a.error, `${twice} is gzip inside gzip (compressed twice): decompress it once (gunzip) and load the result`);
    assert.equal(b.status, 'failed');
    assert.match(b.error!, /^cannot read Parquet file .*broken\.log\.parquet: /);
    assert.doesNotMatch(b.error!, /\n|SELECT|read_parquet|LINE \d/);
  } finally {
    db.close();
  }
});

test('a parameter out of range names the parameter', () => {
  const db = enrichedDataset(dir);
  const r = flowlens(dir, 'query', 'top-talkers', '--param', 'top=99999999999999999999', '--db', db);
  assert.equal(r.code, 2);
  assert.equal(r.stderr, 'flowlens: parameter top: 99999999999999999999 is out of range for INTEGER (-2147483648 to 2147483647)\n');
  // a time that is not on the calendar names the parameter too (DuckDB's 'Conversion Error: timestamp field value out of
  // range' named none, and 2026-02-30 would have been read as 2026-03-02)
  for (const [param, value] of [['since', '2026-13-01'], ['until', '2026-02-30 12:00'], ['since', '2026-09-01T24:00:00Z']]) {
    const t = flowlens(dir, 'query', 'top-talkers', '--param', `${param}=${value}`, '--db', db);
    assert.equal(t.code, 2);
    assert.equal(t.stderr, `flowlens: parameter ${param}: "${value}" is not a time (2026-09-01, 2026-09-01T12:00:00Z, or back from now: 24h, 7d)\n`);
  }
  assert.equal(flowlens(dir, 'query', 'top-talkers', '--param', 'since=2028-02-29 23:59:59', '--db', db).code, 0);
});

test('an unrecognised inventory file is warned about once', () => {
  const inv = writeInventory(join(dir, 'inv-once'));
  writeFileSync(join(inv, 'notes.json'), JSON.stringify({ hello: 'world' }));
  const flows = join(dir, 'flows-once');
  mkdirSync(flows);
  writeFlowLog(join(flows, 'a.log'), [record()]);
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', join(dir, 'once.duckdb'), '--quiet');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n').filter((l) => l.includes('notes.json'));
  assert.deepEqual(lines, [`  inventory: ${join(inv, 'notes.json')}: not an inventory file Flowlens recognises`]);
});
