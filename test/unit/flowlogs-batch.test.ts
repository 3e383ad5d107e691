/**
 * Many small files of one format load as one batch (one statement, one transaction) with the same
 * per-file results as one by one: records, bad lines with their own line numbers, duplicates.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db } from '../../src/core/store/db';
import { ensureSchema } from '../../src/core/store/schema';
import { ingestFiles } from '../../src/core/flowlogs/ingest';

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const line = (eni: string, i: number) => `2 111111111111 ${eni} 10.0.0.${i % 250} 10.0.1.1 ${40000 + i} 443 6 3 ${100 + i} 1790000000 1790000060 ACCEPT OK`;

test('a folder of same-format files loads in batches with per-file reports, bad lines and duplicates', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-batch-'));
  const db = await Db.open(':memory:');
  try {
    await ensureSchema(db);
    const names: string[] = [];
    for (let f = 0; f < 300; f++) {
      const lines = [HEADER, ...Array.from({ length: 5 }, (_, i) => line(`eni-${f}`, i))];
      if (f === 7) lines.splice(3, 0, '2 111111111111 eni-7 10.0.0.1 10.0.1.1 notaport 443 6 3 100 1790000000 1790000060 ACCEPT OK');
      if (f === 200) lines.push('2 111111111111 eni-200 10.0.0.1 10.0.1.1');
      const name = join(dir, `f${String(f).padStart(3, '0')}.log${f % 2 ? '.gz' : ''}`);
      writeFileSync(name, f % 2 ? gzipSync(lines.join('\n') + '\n') : lines.join('\n') + '\n');
      names.push(name);
    }
    const reports = await ingestFiles(db, [dir]);
    assert.equal(reports.length, 300);
    assert.deepEqual(reports.map((r) => r.name), names, 'reports come back in file order');
    assert.ok(reports.every((r) => r.status === 'loaded' && r.records === 5), JSON.stringify(reports.filter((r) => r.records !== 5)));
    assert.deepEqual(reports[7].errors.map((e) => e.line), [4]);
    assert.match(reports[7].errors[0].message, /srcport: "notaport" is not a number/);
    assert.deepEqual(reports[200].errors.map((e) => e.line), [7]);
    assert.equal(reports.filter((r) => r.badLines > 0).length, 2);
    const [stored] = await db.json<{ files: number; records: number; errors: number; ids: number }>(
      `SELECT (SELECT count(*) FROM ingest_files) AS files, (SELECT count(*) FROM flow_records) AS records,
              (SELECT count(*) FROM ingest_errors) AS errors, (SELECT count(DISTINCT file_id) FROM flow_records) AS ids`);
    assert.deepEqual(stored, { files: 300, records: 1500, errors: 2, ids: 300 });
    const [f7] = await db.json<{ records: number; bad_lines: number }>(`SELECT records, bad_lines FROM ingest_files WHERE name = $n`, { n: names[7] });
    assert.deepEqual(f7, { records: 5, bad_lines: 1 });
    const again = await ingestFiles(db, [dir]);
    assert.ok(again.every((r) => r.status === 'duplicate'));
    assert.equal(Number(await db.value('SELECT count(*) FROM flow_records')), 1500);
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
