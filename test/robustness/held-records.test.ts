/**
 * An enrichment that loads local files keeps the rows its load parsed (a dataset that keeps no records) and takes
 * them from memory instead of reading the files a second time. Whatever the batch met (a bad line, a header inside
 * a file, a record that breaks a value rule and is read again line by line, a truncated gzip that rolls the batch
 * back; Parquet files, one with a row that breaks a value rule), the dataset is the one made by loading the files and
 * then enriching them from the files; nothing is held once the enrichment ends.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { enrich, openDataset } from '../../src/core/api';
import type { Db } from '../../src/core/store/db';
import { rebuild } from '../../src/core/enrich/rebuild';
import { compressHeld } from '../../src/core/store/records';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { loadInventory } from '../../src/core/inventory/load';
import { rebuildInventory } from '../../src/core/inventory/rebuild';
import { record, useTempDir, writeFlowLog, writeInventory } from './fixture';

let dir: string;
useTempDir('flowlens-robust-held-', (d) => (dir = d));

/** Every fact, window and record of a dataset, as sorted text (the rows' content, whatever their order). */
async function content(db: Db): Promise<Record<string, string[]>> {
  const rows = async (sql: string) => (await db.json<Record<string, unknown>>(sql)).map((r) => JSON.stringify(r)).sort();
  return {
    facts: await rows(`SELECT * FROM conversation_facts`),
    windows: await rows(`SELECT * FROM windows_1m`),
    records: await rows(`SELECT * EXCLUDE (record_no) FROM flow_records`),
    files: await rows(`SELECT name, records, bad_lines FROM ingest_files`),
  };
}

test('rows held from the load give the dataset that reading the files again gives, whatever the batch met', async () => {
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  for (let i = 0; i < 6; i++) {
    writeFlowLog(join(flows, `ok-${i}.log`), Array.from({ length: 5 }, (_, k) => record({ srcport: 40000 + i * 10 + k, bytes: 1000 + i * 100 + k, start: 1790000040 + k * 60, end: 1790000099 + k * 60 })));
  }
  // a bad line among good ones: skipped and reported, the file stays in place
  writeFlowLog(join(flows, 'bad-line.log'), [record({ srcport: 41001 }), 'this is not a flow record', record({ srcport: 41002 })]);
  // its own header again inside (files joined with cat)
  writeFileSync(join(flows, 'joined.log'), [readFileSync(join(flows, 'ok-0.log'), 'utf8').trim(), readFileSync(join(flows, 'ok-1.log'), 'utf8').trim()].join('\n') + '\n');
  // a record that breaks a value rule (a port over 65535): the file is read again line by line and stored
  writeFlowLog(join(flows, 'rule.log'), [record({ srcport: 41003 }), record({ srcport: 70000 })]);
  // gzip, in their own batch, one of them truncated: that batch rolls back and its files load one by one
  const gz = join(dir, 'gz');
  mkdirSync(gz);
  for (let i = 0; i < 3; i++) {
    const text = readFileSync(writeFlowLog(join(dir, `g-${i}.log`), [record({ srcport: 42000 + i, bytes: 2000 + i })]));
    const data = gzipSync(text);
    writeFileSync(join(gz, `g-${i}.log.gz`), i === 2 ? data.subarray(0, data.length - 6) : data);
  }
  // Parquet (AWS's column names), in their own batch: one has a row that breaks a value rule and is stored without it
  const pq = join(dir, 'pq');
  mkdirSync(pq);
  const parquet = async (db: Db, name: string, lines: string[]) => {
    const text = writeFlowLog(join(dir, `${name}.log`), lines);
    await db.exec(`COPY (SELECT * FROM read_csv('${text}', delim = ' ', header = true, normalize_names = true)) TO '${join(pq, `${name}.parquet`)}' (FORMAT parquet)`);
  };
  const inventory = writeInventory(dir);

  // held: one enrich() that loads and enriches
  const held = await openDataset(join(dir, 'held.duckdb'));
  let a: Record<string, string[]>;
  try {
    for (let i = 0; i < 2; i++) await parquet(held, `p-${i}`, [record({ srcport: 43000 + i, bytes: 3000 + i }), record({ srcport: 43010 + i, start: 1790000100, end: 1790000159 })]);
    await parquet(held, 'p-rule', [record({ srcport: 43020 }), record({ srcport: 43021, protocol: 300 })]);
    const s = await enrich(held, { source: { kind: 'files', flowLogs: [flows, gz, pq], inventory: [inventory] } });
    assert.deepEqual(s.files.map((f) => [f.name.slice(dir.length + 1), f.status, f.records, f.badLines]), [
      ['flows/bad-line.log', 'loaded', 2, 1], ['flows/joined.log', 'loaded', 10, 0],
      ...Array.from({ length: 6 }, (_, i) => [`flows/ok-${i}.log`, 'loaded', 5, 0]),
      ['flows/rule.log', 'loaded', 1, 1], ['gz/g-0.log.gz', 'loaded', 1, 0], ['gz/g-1.log.gz', 'loaded', 1, 0], ['gz/g-2.log.gz', 'failed', 0, 0],
      ['pq/p-0.parquet', 'loaded', 2, 0], ['pq/p-1.parquet', 'loaded', 2, 0], ['pq/p-rule.parquet', 'loaded', 1, 1],
    ]);
    assert.equal(s.files[11].error, `${join(gz, 'g-2.log.gz')}: the gzip data is truncated (unexpected end of file); nothing of it was loaded`);
    assert.equal(s.records, 50);
    assert.deepEqual(await held.json(`SELECT count(*) AS n FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'fl_held_')`), [{ n: 0 }]);
    a = await content(held);
  } finally {
    held.close();
  }
  // read again: the files loaded first (nothing held), then enriched from the files
  const read = await openDataset(join(dir, 'read.duckdb'));
  try {
    await loadInventory(read, [inventory]);
    await rebuildInventory(read);
    await ingestFiles(read, [flows, gz, pq]);
    await rebuild(read, { full: true });
    const b = await content(read);
    assert.ok(a.facts.length > 0 && a.records.length === 50, `${a.facts.length} facts, ${a.records.length} records`);
    assert.deepEqual(a, b);
  } finally {
    read.close();
  }
});

test('a file loaded alone is held as a batch is, and one read again line by line is not', async () => {
  // alone: the only file of its format (a header naming another field order), and one whose record breaks a value rule
  const flows = join(dir, 'alone');
  mkdirSync(flows);
  for (let i = 0; i < 3; i++) writeFlowLog(join(flows, `ok-${i}.log`), [record({ srcport: 44000 + i }), record({ srcport: 44010 + i })]);
  const v2 = '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';
  const reordered = v2.replace('${packets} ${bytes}', '${bytes} ${packets}');
  const swap = (line: string) => { const f = line.split(' '); [f[8], f[9]] = [f[9]!, f[8]!]; return f.join(' '); };
  writeFileSync(join(flows, 'other-format.log'), `${reordered.replace(/\$\{([^}]+)\}/g, '$1')}\n${[record({ srcport: 44100 }), record({ srcport: 44101 }), record({ srcport: 44102 })].map(swap).join('\n')}\n`);
  const rule = join(dir, 'rule-alone.log');
  writeFlowLog(rule, [record({ srcport: 44200 }), record({ srcport: 70000 })]);
  const db = await openDataset(join(dir, 'alone.duckdb'));
  try {
    const loaded = await ingestFiles(db, [flows, rule], { hold: true });
    assert.deepEqual(loaded.map((f) => [f.name.slice(dir.length + 1), f.status, f.records, f.badLines]), [
      ['alone/ok-0.log', 'loaded', 2, 0], ['alone/ok-1.log', 'loaded', 2, 0], ['alone/ok-2.log', 'loaded', 2, 0],
      ['alone/other-format.log', 'loaded', 3, 0], ['rule-alone.log', 'loaded', 1, 1],
    ]);
    // held: the batch's 6 rows and the lone file's 3 (before, the lone file was not, and the enrichment then copied
    // every held row to read it beside them); the file read line by line is read from where it is stored
    const held = await db.json<{ table_name: string }>(`SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'fl_held_')`);
    let rows = 0;
    for (const t of held) rows += Number(await db.value(`SELECT count(*) FROM temp.${t.table_name}`));
    assert.deepEqual([held.length, rows], [2, 9]);
    // past COMPRESS_HELD_ROWS (here 8) the held rows are compressed before the enrichment reads them; it reads the same
    assert.deepEqual([await compressHeld(db, 9), await compressHeld(db, 8)], [false, true]);
    await rebuild(db);
    assert.equal(Number(await db.value('SELECT sum(records) FROM conversation_facts')), 10);
    const read = await openDataset(join(dir, 'alone-read.duckdb'));
    try {
      await ingestFiles(read, [flows, rule]);
      await rebuild(read);
      assert.deepEqual(await content(db), await content(read));
    } finally {
      read.close();
    }
  } finally {
    db.close();
  }
});
