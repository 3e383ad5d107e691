/**
 * Completion in SQL cells (issue 12, item 11): the catalogue read through the extension's real DuckDB process from
 * an enriched dataset, and what is offered at a position: relations, a relation's or alias's columns, macros, the
 * cell's $parameters.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset } from '../../src/core/api';
import { WorkerClient } from '../../src/host/workerClient';
import { parseCellParams } from '../../src/host/cellParams';
import { catalogueFromRows, completionsAt, CATALOGUE_SQL, type Catalogue } from '../../src/host/sqlCompletion';

let dir: string;
let cat: Catalogue;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-completion-'));
  const path = join(dir, 'd.duckdb');
  const db = await openDataset(path);
  try {
    await enrich(db, { source: { kind: 'sample', days: 1, scale: 0.2 } });
    await db.exec(`CREATE MACRO bytes_of(c) AS c.uploaded + c.downloaded`);
  } finally {
    db.close();
  }
  const worker = new WorkerClient({ workerPath: join(__dirname, '../../src/host/duckdbWorker.js') });
  try {
    await worker.request('open', { path });
    cat = catalogueFromRows((await worker.request('query', { sql: CATALOGUE_SQL, rowCap: 10_000 })).rows as unknown[][]);
  } finally {
    await worker.dispose();
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** The labels offered where `|` stands in `cell`. */
function offered(cell: string, kind?: string): string[] {
  const at = cell.indexOf('|');
  const text = cell.replace('|', '');
  let params: string[] = [];
  try {
    params = parseCellParams(text).map((p) => p.name);
  } catch {
    // none
  }
  return completionsAt(text, at, cat, params).filter((i) => !kind || i.kind === kind).map((i) => i.label);
}

test('the relations a user queries, with their columns; no work tables', () => {
  const views = offered('SELECT * FROM |', 'view');
  for (const v of ['conversations', 'conversations_v', 'windows_1m', 'windows_5m', 'windows_1h', 'flow_records']) assert.ok(views.includes(v), v);
  const tables = offered('SELECT * FROM |', 'table');
  for (const t of ['conversation_facts', 'endpoints', 'inv_tags', 'inv_resources']) assert.ok(tables.includes(t), t);
  assert.deepEqual([...views, ...tables].filter((n) => n.startsWith('fl_') || n.endsWith('_next')), []);
  assert.deepEqual(offered('SELECT * FROM |', 'macro'), ['bytes_of']);
});

test('after alias. or relation. the columns of that relation, in table order', () => {
  const conv = cat.relations.find((r) => r.name === 'conversations')!;
  assert.deepEqual(offered('SELECT c.| FROM conversations c'), conv.columns);
  assert.deepEqual(offered('SELECT w.cl| FROM windows_1h AS w JOIN conversations c ON true'), cat.relations.find((r) => r.name === 'windows_1h')!.columns);
  assert.deepEqual(offered('SELECT endpoints.| FROM conversations'), cat.relations.find((r) => r.name === 'endpoints')!.columns);
  assert.deepEqual(offered('SELECT nope.| FROM conversations'), []);
  assert.ok(conv.columns.includes('client_az') && conv.columns.includes('uploaded'));
});

test('elsewhere: the columns of the relations the cell reads; after $ the cell\'s parameters', () => {
  const cols = offered('SELECT | FROM inv_tags', 'column');
  assert.deepEqual(cols, cat.relations.find((r) => r.name === 'inv_tags')!.columns);
  const cell = `-- param: since TIMESTAMP = 2026-01-01 00:00:00\n-- param: tag_key VARCHAR = app\nSELECT * FROM conversations WHERE window_start >= $|`;
  assert.deepEqual(offered(cell), ['since', 'tag_key']);
});
