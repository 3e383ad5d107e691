/**
 * Parquet flow-log files a dataset reads its raw records from where they were loaded (a dataset that keeps no raw
 * records): flow_records gives every record of files that name their columns differently (AWS's `_`, the field names'
 * `-`, another set of fields), after the dataset is opened again; a dataset whose files' columns were not remembered
 * (made before they were) reads them as before; and a file damaged after it was enriched does not stop the dataset
 * from opening: its facts stay readable, and a read of its raw records names it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { enrich, openDataset, type Db } from '../../src/core/api';
import { flowlens, useTempDir, writeInventory } from './fixture';

let dir: string;
useTempDir('flowlens-robust-parquet-', (d) => (dir = d));

const V5 = ['version', 'account_id', 'interface_id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log_status', 'tcp_flags'];

/** A Parquet file of `n` records of the fixture's two instances, its columns named by `name`, `fields` of V5. */
async function writeParquet(db: Db, path: string, n: number, bytes: number, fields = V5, name = (c: string) => c): Promise<void> {
  const value: Record<string, (i: number) => string> = {
    version: () => '5::INTEGER', account_id: () => `'111111111111'`, interface_id: () => `'eni-0a0000000000000a1'`,
    srcaddr: () => `'10.0.1.10'`, dstaddr: () => `'10.0.2.20'`, srcport: (i) => `${40000 + i}::INTEGER`, dstport: () => '8080::INTEGER',
    protocol: () => '6::INTEGER', packets: () => '10::BIGINT', bytes: () => `${bytes}::BIGINT`, start: (i) => `${1790000040 + i * 60}::BIGINT`,
    end: (i) => `${1790000099 + i * 60}::BIGINT`, action: () => `'ACCEPT'`, log_status: () => `'OK'`, tcp_flags: () => '2::INTEGER',
  };
  const rows = Array.from({ length: n }, (_, i) => `SELECT ${fields.map((f) => `${value[f]!(i)} AS "${name(f)}"`).join(', ')}`).join(' UNION ALL ');
  await db.exec(`COPY (${rows}) TO '${path}' (FORMAT parquet)`);
}

async function records(path: string): Promise<{ n: number; bytes: number; files: number }> {
  const db = await openDataset(path);
  try {
    const r = await db.one<{ n: bigint; bytes: bigint; files: bigint }>(`SELECT count(*) AS n, sum(bytes) AS bytes, count(DISTINCT file_id) AS files FROM flow_records`);
    return { n: Number(r!.n), bytes: Number(r!.bytes), files: Number(r!.files) };
  } finally {
    db.close();
  }
}

/** Five Parquet files in three namings, enriched into a dataset that keeps no raw records: 5 + 4 + 3 + 2 + 1 records. */
async function enriched(sub: string): Promise<{ path: string; files: string[] }> {
  const flows = join(dir, sub, 'flows');
  mkdirSync(flows, { recursive: true });
  const path = join(dir, sub, 'd.duckdb');
  const db = await openDataset(path);
  const files = ['a1', 'a2', 'a3', 'b1', 'c1'].map((f) => join(flows, `${f}.parquet`));
  try {
    await writeParquet(db, files[0]!, 5, 100);
    await writeParquet(db, files[1]!, 4, 200);
    await writeParquet(db, files[2]!, 3, 300);
    await writeParquet(db, files[3]!, 2, 400, V5.slice(0, 14)); // the default fields only
    await writeParquet(db, files[4]!, 1, 500, V5, (c) => c.replace(/_/g, '-')); // the fields' own names
    const s = await enrich(db, { source: { kind: 'files', flowLogs: [flows], inventory: [writeInventory(join(dir, sub))] } });
    assert.deepEqual(s.files.map((f) => f.status), ['loaded', 'loaded', 'loaded', 'loaded', 'loaded'], JSON.stringify(s.files));
    const kept = await db.value<bigint>(`SELECT count(*) FROM record_files`);
    assert.equal(Number(kept), 5, 'read from where they were loaded');
  } finally {
    db.close();
  }
  return { path, files };
}

const ALL = { n: 15, bytes: 5 * 100 + 4 * 200 + 3 * 300 + 2 * 400 + 500, files: 5 };

test('Parquet files naming their columns three ways: every raw record read from them after the dataset opens again', async () => {
  const { path } = await enriched('namings');
  assert.deepEqual(await records(path), ALL);
  const db = await openDataset(path);
  try {
    const named = await db.all<{ n: bigint }>(`SELECT count(DISTINCT source_columns) AS n FROM ingest_files WHERE source_columns IS NOT NULL`);
    assert.equal(Number(named[0]!.n), 3, 'three namings remembered');
    const flags = await db.all<{ tcp_flags: number | null; n: bigint }>(`SELECT tcp_flags, count(*) AS n FROM flow_records GROUP BY ALL ORDER BY ALL`);
    assert.deepEqual(flags.map((r) => [r.tcp_flags, Number(r.n)]), [[2, 13], [null, 2]], 'the default-fields file has no tcp-flags');
  } finally {
    db.close();
  }
});

test('a dataset whose Parquet files\' columns were not remembered (made before) reads every record as before', async () => {
  const { path } = await enriched('before');
  const db = await openDataset(path);
  await db.exec(`UPDATE ingest_files SET source_columns = NULL`);
  db.close();
  assert.deepEqual(await records(path), ALL);
});

test('a Parquet file damaged after it was enriched: the dataset opens, its facts are read, a read of the raw records names the file, and forgetting it reads the others', async () => {
  const { path, files } = await enriched('damaged');
  const before = await openDataset(path);
  const facts = Number(await before.value<bigint>(`SELECT sum(uploaded + downloaded) FROM conversation_facts`));
  before.close();
  assert.equal(facts, ALL.bytes);
  // the first file of its naming, the one a read of the group starts with
  writeFileSync(files[0]!, 'not parquet any more');
  const db = await openDataset(path);
  try {
    assert.equal(Number(await db.value<bigint>(`SELECT sum(uploaded + downloaded) FROM conversation_facts`)), facts);
    await assert.rejects(db.all(`SELECT count(*) FROM flow_records`), {
      message: `Invalid Input Error: cannot read the flow records of a loaded file: No magic bytes found at end of file '${files[0]}'; `
        + 'put the file back as it was loaded, or forget it (flowlens forget <file>)',
    });
  } finally {
    db.close();
  }
  const forgot = flowlens(dir, 'forget', files[0]!, '--db', path);
  assert.equal(forgot.code, 0, forgot.stderr);
  assert.deepEqual(await records(path), { n: ALL.n - 5, bytes: ALL.bytes - 5 * 100, files: 4 });
  const after = await openDataset(path);
  try {
    assert.equal(Number(await after.value<bigint>(`SELECT sum(uploaded + downloaded) FROM conversation_facts`)), facts - 5 * 100);
  } finally {
    after.close();
  }
});
