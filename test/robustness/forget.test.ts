/**
 * Issue 10, item 1: `flowlens forget <file|glob> --db X` drops one loaded file's records and the facts made of
 * them (the enrichment is rebuilt), and the file can be loaded again; the editor's "Forget loaded files…" does the
 * same through the DuckDB worker. Real CLI and worker processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint, flowlens, record, writeFlowLog, writeInventory } from './fixture';
import { WorkerClient, WorkerRequestError } from '../../src/host/workerClient';

test('forget drops a file by name or glob, rebuilds the facts, and the file loads again', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-robust-forget-'));
  try {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    const a = writeFlowLog(join(flows, 'a.log'), [record(), record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 })]);
    const b = writeFlowLog(join(flows, 'b.log'), [record({ srcport: 41000, bytes: 1000, packets: 2 })]);
    const c = writeFlowLog(join(flows, 'c.log'), [record({ srcport: 42000, bytes: 7, packets: 1 }), '2 bad line']);
    const inv = writeInventory(dir);
    const db = join(dir, 'd.duckdb');
    assert.equal(flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet').code, 0);
    assert.deepEqual(await fingerprint(db), { files: 3, records: 4, bytes: '5588', packets: '18', conversations: 3, uploaded: '5588', windows: 1 });

    const none = flowlens(dir, 'forget', join(flows, 'nope.log'), '--db', db, '--quiet');
    assert.equal(none.code, 1);
    assert.equal(none.stderr, `flowlens: no loaded flow-log file matches ${join(flows, 'nope.log')} (flowlens sql "SELECT name FROM ingest_files" --db ${db} lists them)\n`);
    assert.deepEqual((await fingerprint(db)).records, 4);

    const r = flowlens(dir, 'forget', b, '--db', db, '--quiet');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `forgot ${b}: 1 record\n${db}: 1 file forgotten, 2 conversations\n`);
    assert.deepEqual(await fingerprint(db), { files: 2, records: 3, bytes: '4588', packets: '16', conversations: 2, uploaded: '4588', windows: 1 });

    // a relative glob, from the dataset's folder; the file's bad-line reports go too
    const g = flowlens(dir, 'forget', 'flows/[ac].log', '--db', db, '--quiet');
    assert.equal(g.stdout, `forgot ${a}: 2 records\nforgot ${c}: 1 record\n${db}: 2 files forgotten, 0 conversations\n`);
    assert.deepEqual(await fingerprint(db), { files: 0, records: 0, bytes: '0', packets: '0', conversations: 0, uploaded: '0', windows: 0 });
    const errors = flowlens(dir, 'sql', 'SELECT count(*) AS n FROM ingest_errors', '--db', db, '--format', 'json');
    assert.deepEqual(JSON.parse(errors.stdout), [{ n: 0 }]);

    const again = flowlens(dir, 'enrich', '--flow-logs', b, '--inventory', inv, '--db', db, '--quiet');
    assert.match(again.stdout, /: 1 flow record from 1 file, 1 conversation/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dataset that keeps no raw records forgets a file by reading the others again; with one of them gone it refuses, and nothing changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-robust-forget-'));
  try {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    const a = writeFlowLog(join(flows, 'a.log'), [record()]);
    const b = writeFlowLog(join(flows, 'b.log'), [record({ srcport: 41000, bytes: 1000, packets: 2 })]);
    const inv = writeInventory(dir);
    const db = join(dir, 'lean.duckdb');
    // a new dataset keeps no raw records: they are read from a.log and b.log
    assert.equal(flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inv, '--db', db, '--quiet').code, 0);
    const before = await fingerprint(db);
    assert.deepEqual(before, { files: 2, records: 2, bytes: '5249', packets: '12', conversations: 2, uploaded: '5249', windows: 1 });
    assert.equal(JSON.parse(flowlens(dir, 'sql', `SELECT count(*) AS n FROM record_files`, '--db', db, '--format', 'json').stdout)[0].n, 2);

    // b.log is gone: forgetting a.log is refused (b's facts could not be made again), and nothing changes
    renameSync(b, b + '.moved');
    const refused = flowlens(dir, 'forget', a, '--db', db, '--quiet');
    assert.equal(refused.code, 1);
    assert.equal(refused.stderr, `flowlens: ${db} keeps no copy of its raw flow records and reads them from the files they were loaded from, and 1 of them is gone (${b}): put it back first, so that the conversations can be made again without the file you forget\n`);
    renameSync(b + '.moved', b);
    // the facts and the loaded files are as they were (flow_records reads b.log again once the dataset is next
    // opened for writing: while it was gone, the forget's open left it out)
    const unchanged = await fingerprint(db);
    assert.deepEqual({ ...unchanged, records: before.records, bytes: before.bytes, packets: before.packets }, before);

    // with it back, a.log is forgotten and b.log's records, read from b.log, make the facts
    const ok = flowlens(dir, 'forget', a, '--db', db, '--quiet');
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(await fingerprint(db), { files: 1, records: 1, bytes: '1000', packets: '2', conversations: 1, uploaded: '1000', windows: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the editor's forget (the DuckDB worker): lists the loaded files, forgets the chosen ones and enriches again, then holds the dataset read-only", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-robust-forget-'));
  const client = new WorkerClient({ workerPath: join(__dirname, '../../src/host/duckdbWorker.js') });
  try {
    const flows = join(dir, 'flows');
    mkdirSync(flows);
    const a = writeFlowLog(join(flows, 'a.log'), [record(), record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 })]);
    const b = writeFlowLog(join(flows, 'b.log'), [record({ srcport: 41000, bytes: 1000, packets: 2 })]);
    const c = writeFlowLog(join(flows, 'c[1].log'), [record({ srcport: 42000, bytes: 7, packets: 1 }), '2 bad line']);
    const db = join(dir, 'd.duckdb');
    assert.equal(flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', db, '--quiet').code, 0);
    const before = await fingerprint(db);
    await client.request('open', { path: db });

    const { files } = await client.request('loadedFiles', {});
    assert.deepEqual(
      files.map((f) => [f.name, f.records, f.bytes, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/.test(f.loadedAt ?? '')]),
      [[a, 2, statSync(a).size, true], [b, 1, statSync(b).size, true], [c, 1, statSync(c).size, true]],
    );
    // names are exact: a name with glob characters is that file only, and a name not loaded changes nothing
    const none = await client.request('forget', { names: [join(flows, '*.log')] });
    assert.deepEqual(none, { files: [], conversations: null });
    assert.deepEqual(await fingerprint(db), before);
    await assert.rejects(client.request('forget', { names: [] }), (e: unknown) => e instanceof WorkerRequestError && e.code === 'bad-request' && e.message === 'name at least one loaded file to forget');

    const progress: string[] = [];
    const r = await client.request('forget', { names: [b, c] }, { onProgress: (p) => progress.push(p.phase) });
    assert.deepEqual(r, { files: [{ name: b, records: 1 }, { name: c, records: 1 }], conversations: 1 });
    assert.ok(progress.length > 0, 'the enrichment after the forget reports progress');
    // idle again read-only: flowlens sql reads beside the editor
    const sql = flowlens(dir, 'sql', 'SELECT name FROM ingest_files ORDER BY name', '--db', db, '--format', 'json');
    assert.equal(sql.code, 0, sql.stderr);
    assert.deepEqual(JSON.parse(sql.stdout), [{ name: a }]);
    assert.deepEqual((await client.request('loadedFiles', {})).files.map((f) => f.name), [a]);
  } finally {
    await client.dispose();
  }
  try {
    assert.deepEqual(await fingerprint(join(dir, 'd.duckdb')), { files: 1, records: 2, bytes: '4581', packets: '15', conversations: 1, uploaded: '4581', windows: 1 });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
