/**
 * Issue 10, item 1: `flowlens forget <file|glob> --db X` drops one loaded file's records and the facts made of
 * them (the enrichment is rebuilt), and the file can be loaded again. Real CLI processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fingerprint, flowlens, record, writeFlowLog, writeInventory } from './fixture';
import { openDataset } from '../../src/core/api';
import { forgetFiles } from '../../src/core/flowlogs/forget';
import { setKeepRecords } from '../../src/core/store/records';

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
    assert.equal(r.stdout, `forgot ${b}: 1 records\n${db}: 1 file forgotten, 2 conversations\n`);
    assert.deepEqual(await fingerprint(db), { files: 2, records: 3, bytes: '4588', packets: '16', conversations: 2, uploaded: '4588', windows: 1 });

    // a relative glob, from the dataset's folder; the file's bad-line reports go too
    const g = flowlens(dir, 'forget', 'flows/[ac].log', '--db', db, '--quiet');
    assert.equal(g.stdout, `forgot ${a}: 2 records\nforgot ${c}: 1 records\n${db}: 2 files forgotten, 0 conversations\n`);
    assert.deepEqual(await fingerprint(db), { files: 0, records: 0, bytes: '0', packets: '0', conversations: 0, uploaded: '0', windows: 0 });
    const errors = flowlens(dir, 'sql', 'SELECT count(*) AS n FROM ingest_errors', '--db', db, '--format', 'json');
    assert.deepEqual(JSON.parse(errors.stdout), [{ n: 0 }]);

    const again = flowlens(dir, 'enrich', '--flow-logs', b, '--inventory', inv, '--db', db, '--quiet');
    assert.match(again.stdout, /: 1 flow records from 1 files, 1 conversations/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a dataset that keeps no raw records refuses to forget a file, and says why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-robust-forget-'));
  try {
    const db = await openDataset(join(dir, 'lean.duckdb'));
    try {
      await setKeepRecords(db, false);
      await assert.rejects(forgetFiles(db, '/x/a.log'), {
        message: `${join(dir, 'lean.duckdb')} keeps no raw flow records (they are dropped once enriched), so a file's conversations cannot be told apart; enrich a new dataset without it`,
      });
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
