/**
 * A dataset an older version wrote is upgraded when this version opens it (columns added to ingest_files). A process
 * killed right after that upgrade leaves it in DuckDB's write-ahead log, which the next open replays. DuckDB 1.5 could
 * not replay a column added to a table whose column had a default calling a function (ingest_files.loaded_at DEFAULT
 * current_timestamp: "Failure while replaying WAL file …"), so the dataset could no longer be opened at all. Now no
 * stored column has such a default, and an older dataset's is dropped before anything is added; a dataset an older
 * version left that way is opened by replaying its log with the file attached to an in-memory database.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { openDataset } from '../../src/core/api';
import { enrichedDataset, fingerprint, useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-upgrade-', (d) => (dir = d));

const API = join(__dirname, '..', '..', 'src', 'core', 'api.js');

/** A dataset as an older version left it (ingest_files without athena_read, loaded_at defaulting to current_timestamp). */
async function aged(name: string): Promise<{ path: string; loadedAt: { name: string; loaded_at: string }[] }> {
  const path = enrichedDataset(dir, name);
  const old = await openDataset(path);
  await old.exec(`DROP VIEW IF EXISTS flow_records`); // (remade at every open: it may name the column)
  await old.exec(`ALTER TABLE ingest_files DROP COLUMN athena_read;
    ALTER TABLE ingest_files ALTER COLUMN loaded_at SET DEFAULT current_timestamp;
    ALTER TABLE inv_files ALTER COLUMN loaded_at SET DEFAULT current_timestamp; CHECKPOINT`);
  const loadedAt = await old.json<{ name: string; loaded_at: string }>(`SELECT name, loaded_at::VARCHAR AS loaded_at FROM ingest_files ORDER BY name`);
  old.close();
  assert.ok(!existsSync(`${path}.wal`) || statSync(`${path}.wal`).size === 0, 'the aged dataset is checkpointed');
  return { path, loadedAt };
}

/** Runs `script` (given `path`) in a process that is killed once it is done, before it closes anything. */
function killedAfter(path: string, script: string): void {
  const killed = spawnSync(process.execPath, ['-e', `const path = ${JSON.stringify(path)}; (${script})().then(() => process.kill(process.pid, 'SIGKILL'))`],
    { encoding: 'utf8' });
  assert.equal(killed.signal, 'SIGKILL', killed.stderr);
  assert.ok(statSync(`${path}.wal`).size > 0, 'the upgrade is in the write-ahead log, to be replayed');
}

test('a dataset upgraded by a process killed before it closed opens again, with everything it held', async () => {
  const { path, loadedAt } = await aged('d.duckdb');
  // this version opens it (the upgrade), and the process is killed before it closes the dataset
  killedAfter(path, `() => require(${JSON.stringify(API)}).openDataset(path)`);
  await opensWhole(path, loadedAt);
});

test('a dataset an older version upgraded, killed before it closed, opens: its log is replayed with the file attached', async () => {
  const { path, loadedAt } = await aged('e.duckdb');
  // what an older version did: the column added while loaded_at still defaulted to current_timestamp
  killedAfter(path, `async () => {
    const { DuckDBInstance } = require(${JSON.stringify(require.resolve('@duckdb/node-api'))});
    await (await (await DuckDBInstance.create(path)).connect()).run('ALTER TABLE ingest_files ADD COLUMN athena_read VARCHAR');
  }`);
  await opensWhole(path, loadedAt);
});

async function opensWhole(path: string, loadedAt: { name: string; loaded_at: string }[]): Promise<void> {
  const db = await openDataset(path);
  try {
    assert.deepEqual(await db.json(`SELECT table_name, column_name, column_default FROM duckdb_columns()
      WHERE NOT internal AND database_name = current_database() AND column_default IS NOT NULL
        AND NOT regexp_full_match(column_default, $$CAST\\('[^']*' AS [A-Z]+\\)|'[^']*'|-?[0-9.]+|NULL|true|false$$)
      ORDER BY ALL`), [], 'no stored column has a default other than a constant');
    assert.deepEqual(await db.json(`SELECT name, loaded_at::VARCHAR AS loaded_at FROM ingest_files ORDER BY name`), loadedAt);
    assert.equal(Number(await db.value(`SELECT count(*) FROM ingest_files WHERE athena_read IS NULL`)), loadedAt.length);
  } finally {
    db.close();
  }
  assert.deepEqual(await fingerprint(path), { files: 1, records: 2, bytes: '4581', packets: '15', conversations: 1, uploaded: '4581', windows: 1 });
}
