import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../src/core/store/db';
import { openDataset } from '../../src/core/api';
import { installDefinitions } from '../../src/core/store/definitions';

const viewText = async (db: Db, name: string) =>
  (await db.all<{ sql: string }>(`SELECT sql FROM duckdb_views() WHERE view_name = $n AND NOT temporary`, { n: name }))[0]?.sql;

test('definitions run once: again only when their text changed or one of their views is gone', async () => {
  const db = await Db.open(':memory:');
  try {
    await db.exec('CREATE TABLE meta (key VARCHAR PRIMARY KEY, value VARCHAR)');
    const v1 = 'CREATE OR REPLACE MACRO fl_t_double(x) AS x * 2;\nCREATE OR REPLACE VIEW t_view AS SELECT fl_t_double(21) AS n;';
    await installDefinitions(db, 'test', v1);
    assert.equal(await db.value<number>('SELECT n FROM t_view'), 42);
    const stored = await db.value<string>(`SELECT value FROM meta WHERE key = 'definitions:test'`);
    assert.match(stored ?? '', /^[0-9a-f]{64}$/);

    // the same text again: not run (a view changed by hand stays as it is)
    await db.exec('CREATE OR REPLACE VIEW t_view AS SELECT 7 AS n');
    await installDefinitions(db, 'test', v1);
    assert.equal(await db.value<number>('SELECT n FROM t_view'), 7);

    // one of its views gone: run again
    await db.exec('DROP VIEW t_view');
    await installDefinitions(db, 'test', v1);
    assert.equal(await db.value<number>('SELECT n FROM t_view'), 42);

    // another text (another Flowlens): run, and its hash kept
    const v2 = v1.replace('x * 2', 'x * 3');
    await installDefinitions(db, 'test', v2);
    assert.equal(await db.value<number>('SELECT n FROM t_view'), 63);
    assert.notEqual(await db.value<string>(`SELECT value FROM meta WHERE key = 'definitions:test'`), stored);

    // a table made from data (basis: what it is made from): again when the basis differs, or the table is gone
    await db.exec('CREATE TABLE src (x INTEGER); INSERT INTO src VALUES (1), (2)');
    const made = 'CREATE OR REPLACE TABLE t_made AS SELECT sum(x) AS n FROM src;';
    await installDefinitions(db, 'made', made, 'basis-1');
    await db.exec('INSERT INTO src VALUES (4)');
    await installDefinitions(db, 'made', made, 'basis-1');
    assert.equal(await db.value<bigint>('SELECT n FROM t_made'), 3n, 'the same basis: not made again');
    await installDefinitions(db, 'made', made, 'basis-2');
    assert.equal(await db.value<bigint>('SELECT n FROM t_made'), 7n, 'another basis: made again');
    await db.exec('INSERT INTO src VALUES (8); DROP TABLE t_made');
    await installDefinitions(db, 'made', made, 'basis-2');
    assert.equal(await db.value<bigint>('SELECT n FROM t_made'), 15n, 'gone: made again');
  } finally {
    db.close();
  }
});

test('a dataset opened again keeps its security-group views and macros without making them again; a dropped view comes back', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-definitions-'));
  const path = join(dir, 'd.duckdb');
  try {
    let db = await openDataset(path);
    const made = await viewText(db, 'sg_rule_matches');
    assert.ok(made, 'sg_rule_matches is made at the first open');
    const keys = await db.all<{ key: string }>(`SELECT key FROM meta WHERE starts_with(key, 'definitions:') ORDER BY key`);
    assert.deepEqual(keys.map((k) => k.key), ['definitions:macros', 'definitions:sg-usage']);
    db.close();

    db = await openDataset(path);
    assert.equal(await viewText(db, 'sg_rule_matches'), made);
    assert.equal(await db.value<string>(`SELECT fl_ip_text(fl_ip_int('10.1.2.3'), 4)`), '10.1.2.3');
    await db.exec('DROP VIEW sg_rule_matches');
    db.close();

    db = await openDataset(path);
    assert.equal(await viewText(db, 'sg_rule_matches'), made);
    db.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
