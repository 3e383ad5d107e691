/**
 * Issue 10, item 11 (in part): a second process is told who holds the dataset and what it is doing, not DuckDB's
 * raw "Could not set lock"; the extension's DuckDB process holds the dataset read-only while idle, so that
 * `flowlens sql` works beside it. A real worker process and real CLI processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { enrichedDataset, fingerprint, flowlens, useTempDir } from './fixture';
import { WorkerClient } from '../../src/host/workerClient';

let dir: string;
useTempDir('flowlens-robust-lock-', (d) => (dir = d));

test('beside the idle extension flowlens sql reads; a writer is told which process holds the dataset and what it does', async () => {
  const db = enrichedDataset(dir);
  const clean = await fingerprint(db);
  const client = new WorkerClient({ workerPath: join(__dirname, '../../src/host/duckdbWorker.js') });
  try {
    await client.request('open', { path: db });
    const pid = client.pid;
    const sql = flowlens(dir, 'sql', 'SELECT count(*) AS n FROM conversations', '--db', db, '--format', 'json');
    assert.equal(sql.code, 0, sql.stderr);
    assert.deepEqual(JSON.parse(sql.stdout), [{ n: 1 }]);
    const enrich = flowlens(dir, 'enrich', '--flow-logs', join(dir, 'flows-d.duckdb'), '--inventory', join(dir, 'inventory'), '--db', db, '--quiet');
    assert.equal(enrich.code, 1);
    assert.match(enrich.stderr, new RegExp(`^flowlens: ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by the Flowlens extension's DuckDB process \\(pid ${pid}, reading it since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\); try again when it has finished, or stop it\\n$`));
    // while the worker enriches it holds the dataset writable: a reader is told so
    const running = client.request('enrich', { source: { kind: 'sample', days: 1, scale: 0.2 } });
    let busy: ReturnType<typeof flowlens> | undefined;
    for (let i = 0; i < 100 && !busy; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const r = flowlens(dir, 'sql', 'SELECT 1', '--db', db);
      if (r.code !== 0) busy = r;
    }
    await running;
    assert.ok(busy, 'the dataset was never busy');
    assert.match(busy!.stderr, /is in use by the Flowlens extension's DuckDB process \(pid \d+, writing to it since /);
  } finally {
    await client.dispose();
  }
  const after = await fingerprint(db);
  assert.ok(after.records > clean.records);
});

test('the note of a process killed while it held the dataset is removed by the next one that opens it; a live one stays', async () => {
  const db = enrichedDataset(dir, 'stale.duckdb');
  // a process that is gone (a pid that cannot exist) and this test's own parent, which is alive
  const gone = join(dir, '.stale.duckdb.flowlens-999999999');
  const live = join(dir, `.stale.duckdb.flowlens-${process.ppid}`);
  writeFileSync(gone, JSON.stringify({ pid: 999999999, what: 'flowlens enrich', readOnly: false, since: '2026-01-01T00:00:00Z' }));
  writeFileSync(live, JSON.stringify({ pid: process.ppid, what: 'flowlens sql', readOnly: true, since: '2026-01-01T00:00:00Z' }));
  const r = flowlens(dir, 'sql', 'SELECT count(*) AS n FROM conversations', '--db', db, '--format', 'json');
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), [{ n: 1 }]);
  assert.deepEqual(readdirSync(dir).filter((n) => n.startsWith('.stale.duckdb.flowlens-')), [`.stale.duckdb.flowlens-${process.ppid}`]);
  rmSync(live);
});
