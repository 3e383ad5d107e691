/**
 * A dataset that holds one sample estate is not given another's flow logs (another seed or size, or the estate of
 * an older Flowlens, whose first records are often the same content: the dataset would hold some of each). Found
 * by running `npm run demo` over the demo dataset an older Flowlens made: 5,589 of 5,751 files were skipped as
 * "loaded before" (each named on a line of its own) and 162 were added to the old estate. Real CLI processes; the
 * sample cache is a temporary folder (XDG_CACHE_HOME).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, flowlens, record, writeFlowLog, writeInventory, useTempDir } from './fixture';
import { openDataset } from '../../src/core/api';
import { sampleKey } from '../../src/core/sample/cache';

let dir: string;
useTempDir('flowlens-robust-other-sample-', (d) => (dir = d));

const OLD = 'v4-seed-42-days-61-scale-1';

/** A dataset holding an older Flowlens's sample estate (one file of it), at `path`. */
function oldSampleDataset(path: string): void {
  process.env.XDG_CACHE_HOME = join(dir, 'cache');
  const flows = join(dir, 'cache', 'flowlens', 'sample', OLD, 'flowlogs');
  mkdirSync(flows, { recursive: true, mode: 0o700 }); // the cache must be the user's own (src/core/sample/cache.ts)
  writeFlowLog(join(flows, 'a.log'), [record(), record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 })]);
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', path, '--quiet');
  assert.equal(r.code, 0, r.stderr);
}

const refusal = (db: string, wanted: string) =>
  `flowlens: ${db} holds the sample estate ${OLD}, not ${wanted} (another seed or size, or an older Flowlens's estate): ` +
  'enrich the sample into another dataset, or delete this one to start it anew\n';

test("the sample into a dataset of another sample estate is refused, naming both, and nothing is loaded or generated", async () => {
  const db = join(dir, 'mine.duckdb');
  oldSampleDataset(db);
  const before = await fingerprint(db);
  assert.deepEqual(before, { files: 1, records: 2, bytes: '4581', packets: '15', conversations: 1, uploaded: '4581', windows: 1 });
  for (const args of [['enrich', '--sample'], ['demo']]) {
    const r = flowlens(dir, ...args, '--db', db, '--quiet');
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr, refusal(db, sampleKey({})));
    assert.equal(r.stdout, '');
  }
  assert.deepEqual(await fingerprint(db), before);
  assert.deepEqual(readdirSync(join(dir, 'cache', 'flowlens', 'sample')), [OLD]);
});

test("the demo's own dataset of another sample estate is made anew, and says so", async () => {
  const cwd = join(dir, 'demo');
  mkdirSync(cwd);
  const db = join(cwd, 'flowlens-demo.duckdb');
  oldSampleDataset(db);
  const r = flowlens(cwd, 'demo', '--days', '0.125', '--quiet', '--rows', '1');
  const wanted = sampleKey({ days: 0.125 });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, `flowlens: ${db} held the sample estate ${OLD}: made anew for ${wanted}\n`);
  const d = await openDataset(db, { readOnly: true });
  try {
    const [f] = await d.json<{ files: number; other: number }>(`SELECT count(*) AS files, count(*) FILTER (WHERE name NOT LIKE $p) AS other FROM ingest_files`,
      { p: `%/sample/${wanted}/%` });
    assert.ok(f.files > 0);
    assert.equal(f.other, 0, 'no file of the old estate is left');
  } finally {
    d.close();
  }
  // run again: the same estate, nothing new, nothing remade
  const again = flowlens(cwd, 'demo', '--days', '0.125', '--quiet', '--rows', '1');
  assert.equal(again.code, 0, again.stderr);
  assert.equal(again.stderr, '');
  assert.match(again.stdout, /: 0 flow records from 0 files \([\d,]+ already loaded\)/);
});

test('files skipped for content loaded before are named up to five, the rest counted', async () => {
  const flows = join(dir, 'seven');
  mkdirSync(flows);
  const a = writeFlowLog(join(flows, 'a.log'), [record({ srcport: 45000 })]);
  const db = join(dir, 'seven.duckdb');
  assert.equal(flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', db, '--quiet').code, 0);
  const copies = join(dir, 'copies');
  mkdirSync(copies);
  for (let i = 1; i <= 7; i++) copyFileSync(a, join(copies, `copy-${i}.log`));
  const r = flowlens(dir, 'enrich', '--flow-logs', copies, '--inventory', join(dir, 'inventory'), '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /: 0 flow records from 0 files \(7 already loaded\), 1 conversation, /);
  assert.deepEqual(lines.slice(1), [
    ...[1, 2, 3, 4, 5].map((i) => `  skipped: ${join(copies, `copy-${i}.log`)}: the same content as ${a}, loaded before`),
    '  skipped: 2 more files with the same content as files loaded before',
  ]);
  assert.equal(existsSync(join(dir, 'cache', 'flowlens', 'sample', sampleKey({}))), false);
});
