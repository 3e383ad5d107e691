/**
 * Small files of one format are read as one joined text (src/core/flowlogs/joined.ts): what does not join (a carriage
 * return, an empty line) is read on its own, a file with a line DuckDB rejects is read again alone, and a copy of loaded
 * content among them adds nothing. Every file reports as it would alone: its records, its bad lines by their number.
 * Real CLI, real DuckDB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { JoinedText } from '../../src/core/flowlogs/joined';
import { openDataset } from '../../src/core/api';
import { HEADER, fingerprint, flowlens, record, writeInventory, useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-joined-', (d) => (dir = d));

const gz = (path: string, lines: string[], eol = '\n') => writeFileSync(path, gzipSync(lines.join(eol) + eol));

test('a folder of small gzip files: CRLF, an empty line, a tab-separated line and a copy each report as alone; nothing counts twice', async () => {
  const flows = join(dir, 'flows');
  mkdirSync(flows);
  gz(join(flows, 'a.log.gz'), [HEADER, record({ srcport: 40001 }), record({ srcport: 40002 })]);
  gz(join(flows, 'b.log.gz'), [HEADER, record({ srcport: 40003 }), record({ srcport: 40004 })], '\r\n');
  gz(join(flows, 'c.log.gz'), [HEADER, record({ srcport: 40005 }), '', record({ srcport: 40006 })]);
  gz(join(flows, 'd.log.gz'), [HEADER, record({ srcport: 40007 }), record({ srcport: 40008 }).replace(/ /g, '\t'), record({ srcport: 40009 })]);
  gz(join(flows, 'e.log.gz'), [HEADER, record({ srcport: 40001 }), record({ srcport: 40002 })]);
  const db = join(dir, 'd.duckdb');
  const inventory = writeInventory(dir);
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', inventory, '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /d\.duckdb: 8 flow records from 4 files \(1 already loaded\), 8 conversations, [\d.]+ s\n/);
  assert.ok(r.stdout.includes(`  skipped: ${join(flows, 'e.log.gz')}: the same content as ${join(flows, 'a.log.gz')}, loaded before
  ${join(flows, 'c.log.gz')}: 1 bad line
    line 3: an empty line
  ${join(flows, 'd.log.gz')}: 1 bad line
    line 3: 1 field, but the log format has 14; the line is separated by tabs, flow-log fields by spaces
`), r.stdout);
  const ds = await openDataset(db);
  try {
    assert.deepEqual(await ds.json(`SELECT replace(name, ${`'${flows}/'`}, '') AS name, records, bad_lines FROM ingest_files ORDER BY name`), [
      { name: 'a.log.gz', records: 2, bad_lines: 0 },
      { name: 'b.log.gz', records: 2, bad_lines: 0 },
      { name: 'c.log.gz', records: 2, bad_lines: 1 },
      { name: 'd.log.gz', records: 2, bad_lines: 1 },
    ]);
    assert.deepEqual(await ds.json(`SELECT list(srcport ORDER BY srcport) AS ports FROM flow_records`), [{ ports: [40001, 40002, 40003, 40004, 40005, 40006, 40007, 40009] }]);
  } finally {
    ds.close();
  }
  const before = await fingerprint(db);

  // later, a copy of loaded content under a new name among new files: the copy's lines are left out of the joined read
  const more = join(dir, 'more');
  mkdirSync(more);
  gz(join(more, 'a-copy.log.gz'), [HEADER, record({ srcport: 40001 }), record({ srcport: 40002 })]);
  gz(join(more, 'f.log.gz'), [HEADER, record({ srcport: 40010 })]);
  gz(join(more, 'g.log.gz'), [HEADER, record({ srcport: 40011 }), record({ srcport: 40012 })]);
  const again = flowlens(dir, 'enrich', '--flow-logs', more, '--inventory', inventory, '--db', db, '--quiet');
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /d\.duckdb: 3 flow records from 2 files \(1 already loaded\), 11 conversations, [\d.]+ s\n/);
  assert.ok(again.stdout.includes(`  skipped: ${join(more, 'a-copy.log.gz')}: the same content as ${join(flows, 'a.log.gz')}, loaded before\n`), again.stdout);
  const after = await fingerprint(db);
  assert.deepEqual({ files: after.files, records: after.records, conversations: after.conversations },
    { files: before.files + 2, records: before.records + 3, conversations: before.conversations + 3 });
});

test('JoinedText: each line prefixed with its file\'s position, the header left out; what cannot join writes nothing', () => {
  const path = join(dir, 'joined.log');
  const j = new JoinedText(path);
  assert.equal(j.add(Buffer.from(`${HEADER}\nx 1\nx 2\n`), true), true);
  assert.equal(j.add(Buffer.from('y 1\r\ny 2\r\n'), false), false, 'a carriage return');
  assert.equal(j.add(Buffer.from('y 1\n\ny 2\n'), false), false, 'an empty line');
  assert.equal(j.add(Buffer.from(`${HEADER}\n`), true), false, 'no record line');
  assert.equal(j.add(Buffer.from(`y ${'9'.repeat(70_000)}\n`), false), false, 'a line longer than any record');
  assert.equal(j.add(Buffer.from('z 1\nz 2'), false), true, 'no newline at the end');
  j.close();
  assert.equal(j.files, 2);
  assert.equal(readFileSync(path, 'utf8'), '0 x 1\n0 x 2\n1 z 1\n1 z 2\n');
});
