/**
 * The sidebar's Follow without VS Code: the real DuckDB child process (WorkerClient) follows a folder with the
 * `follow` request, reports each cycle, answers queries between cycles, and stops when cancelled or when another
 * dataset is opened.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerClient } from '../../src/host/workerClient';
import type { FollowCycle } from '../../src/protocol/worker';
import { flowLogText, flowRecords } from '../support/follower';

const workerPath = process.env.FLOWLENS_TEST_WORKER ?? join(__dirname, '../../src/host/duckdbWorker.js');
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-host-follow-'));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

function writeFile(folder: string, seed: number, n: number): void {
  mkdirSync(folder, { recursive: true });
  const path = join(folder, `flows-${seed}.log`);
  writeFileSync(path, flowLogText(flowRecords(seed, n).lines));
  utimesSync(path, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
}

/** Waits for a condition on the cycles seen so far, checking as each arrives (a broken follower fails, not hangs). */
async function until(what: string, ok: () => boolean, limitMs = 60_000): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`no ${what} after ${limitMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the worker follows the open dataset: cycles reported, queries answered between them, stopped by another dataset or a cancel', async () => {
  const c = new WorkerClient({ workerPath });
  const logs = join(dir, 'logs');
  writeFile(logs, 1, 30);
  const count = async () => Number((await c.request('query', { sql: 'SELECT count(*) FROM flow_records', rowCap: 1 })).rows[0]![0]);
  try {
    await c.request('open', { path: join(dir, 'a.duckdb') });
    const cycles: FollowCycle[] = [];
    const following = c.request('follow', { request: { source: { kind: 'files', flowLogs: [logs] } }, intervalMs: 1000 }, { onCycle: (x) => cycles.push(x) });
    await until('a first cycle', () => cycles.length >= 1);
    assert.deepEqual({ fetched: cycles[0]!.fetched, records: cycles[0]!.records, rebuilt: cycles[0]!.rebuilt, kind: cycles[0]!.kind }, { fetched: 1, records: 30, rebuilt: true, kind: 'files' });
    assert.equal(await count(), 30, 'a query runs between cycles');

    writeFile(logs, 2, 12);
    const at = cycles.length;
    await until('the new file', () => cycles.slice(at).some((x) => x.records === 12));
    assert.ok(cycles.length - at <= 2);
    assert.ok(cycles.at(-1)!.conversations! > 0);
    assert.equal(await count(), 42);
    await until('a cycle with nothing new', () => cycles.length > at + 1 && cycles.at(-1)!.fetched === 0);
    assert.equal(await count(), 42, 'nothing twice');

    // Opening another dataset stops following the first (the worker holds one dataset).
    await c.request('open', { path: join(dir, 'b.duckdb') });
    const r = await following;
    assert.match(r.stopped, /b\.duckdb was opened instead/);
    assert.ok(r.cycles >= 3);

    // A cancel stops it too, with the dataset as the last cycle left it.
    const ac = new AbortController();
    const more: FollowCycle[] = [];
    const again = c.request('follow', { request: { source: { kind: 'files', flowLogs: [logs] } }, intervalMs: 1000 }, { signal: ac.signal, onCycle: (x) => more.push(x) });
    await until('a first cycle on b', () => more.length >= 1);
    ac.abort();
    assert.equal((await again).stopped, 'cancelled');
    assert.equal(await count(), 42);

    // What cannot be followed is refused.
    await assert.rejects(c.request('follow', { request: { source: { kind: 'sample' } }, intervalMs: 1000 }), /the sample estate does not grow/);
    await assert.rejects(c.request('follow', { request: { source: { kind: 'files', flowLogs: [logs] } }, intervalMs: 10 }), /intervalMs is at least 1000/);
  } finally {
    await c.dispose();
  }
});

test("the worker takes the request's keepRecords and rebuild; a follower makes every fact again in its first cycle only", async () => {
  const c = new WorkerClient({ workerPath });
  const kept = join(dir, 'logs-kept');
  writeFile(kept, 3, 20);
  const meta = async () => (await c.request('query', { sql: "SELECT value FROM meta WHERE key = 'keep_records'", rowCap: 1 })).rows[0]?.[0];
  try {
    await c.request('open', { path: join(dir, 'c.duckdb') });
    assert.equal((await c.request('enrich', { source: { kind: 'files', flowLogs: [kept] }, keepRecords: true })).records, 20);
    assert.equal(await meta(), 'true', 'the dataset stores its raw records, as asked');

    // A dataset without raw records reads them back from their files: a rebuild of every fact needs them all,
    // an append does not. The first cycle rebuilds everything; a file gone after it does not stop the next ones.
    const logs = join(dir, 'logs-rebuild');
    writeFile(logs, 4, 20);
    await c.request('open', { path: join(dir, 'd.duckdb') });
    await c.request('enrich', { source: { kind: 'files', flowLogs: [logs] }, keepRecords: false });
    const ac = new AbortController();
    const cycles: FollowCycle[] = [];
    const following = c.request('follow', { request: { source: { kind: 'files', flowLogs: [logs] }, rebuild: true }, intervalMs: 1000 }, { signal: ac.signal, onCycle: (x) => cycles.push(x) });
    await until('a first cycle', () => cycles.length >= 1);
    assert.deepEqual([cycles[0]!.rebuilt, cycles[0]!.failed], [true, 0]);
    rmSync(join(logs, 'flows-4.log'));
    writeFile(logs, 5, 7);
    await until('the new file (or a failed cycle)', () => cycles.some((x) => x.fetched === 1 || x.failed > 0));
    ac.abort();
    await following;
    const added = cycles.find((x) => x.fetched === 1 || x.failed > 0)!;
    assert.deepEqual({ records: added.records, rebuilt: added.rebuilt, failed: added.failed, issues: added.issues }, { records: 7, rebuilt: true, failed: 0, issues: [] });
  } finally {
    await c.dispose();
  }
});
