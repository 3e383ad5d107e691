/**
 * Issue 10, items 1, 6 and 9: every value is validated at ingest, a failure is a bad line with its file, line
 * and reason, and no bad value reaches the enrichment; every line of a file is a record or a bad line (empty and
 * over-long lines included), and the counts add up. Real DuckDB, real CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { openDataset } from '../../src/core/api';
import { ingestCloudWatchEvents, ingestFiles } from '../../src/core/flowlogs/ingest';
import { HEADER, fingerprint, flowlens, record, writeFlowLog, writeInventory, useTempDir } from './fixture';

let dir: string;
useTempDir('flowlens-robust-validate-', (d) => (dir = d));

const latest = new Date((Math.floor(Date.now() / 1000) + 86400) * 1000).toISOString().slice(0, 10);

test('the three records that blocked enrichment forever are bad lines with their reason; the rest enriches', async () => {
  const flows = join(dir, 'blocking');
  mkdirSync(flows);
  const file = writeFlowLog(join(flows, 'a.log'), [
    record(),
    record({ src: 'fe80::1%eth0' }),
    record({ bytes: '9223372036854775807' }),
    record({ start: '99999999999999' }),
    record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000, packets: 5, bytes: 332 }),
  ]);
  const db = join(dir, 'blocking.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^.*blocking\.duckdb: 2 flow records from 1 file, 1 conversation, [\d.]+ s\n/);
  assert.ok(r.stdout.includes(`  ${file}: 3 bad lines
    line 3: srcaddr: "fe80::1%eth0" carries a zone id (%eth0); flow logs never do, so the record is refused
    line 4: bytes: 9223372036854775807 is more than one record can carry (at most 2^48 = 281474976710656)
    line 5: start: 99999999999999 is not a plausible time (2015-01-01 to ${latest}, a day from now)
`), r.stdout);
  assert.deepEqual(await fingerprint(db), { files: 1, records: 2, bytes: '4581', packets: '15', conversations: 1, uploaded: '4581', windows: 1 });
});

test('in a folder read at once, only the file with an address that is none is read line by line; the others stay held', async () => {
  // the addresses of a batch are checked once each, in their distinct values: a bad one still names its file and line
  const flows = join(dir, 'folder');
  mkdirSync(flows);
  writeFlowLog(join(flows, 'a.log'), [record(), record({ src: '2001:DB8::1', dst: '2001:db8::2' })]);
  const b = writeFlowLog(join(flows, 'b.log'), [record(), record({ dst: '10.0.1.300' }), record({ src: '10.0.2.20', dst: '10.0.1.10', srcport: 8080, dstport: 40000 })]);
  writeFlowLog(join(flows, 'c.log'), [record()]);
  const db = join(dir, 'folder.duckdb');
  const r = flowlens(dir, 'enrich', '--flow-logs', flows, '--inventory', writeInventory(dir), '--db', db, '--quiet');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /folder\.duckdb: 5 flow records from 3 files, 2 conversations, /);
  assert.ok(r.stdout.includes(`  ${b}: 1 bad line\n    line 3: dstaddr: "10.0.1.300" is not an IPv4 or IPv6 address\n`), r.stdout);
  const ds = await openDataset(db);
  try {
    assert.deepEqual(await ds.json(`SELECT name, records, bad_lines FROM ingest_files ORDER BY name`), [
      { name: join(flows, 'a.log'), records: 2, bad_lines: 0 },
      { name: b, records: 2, bad_lines: 1 },
      { name: join(flows, 'c.log'), records: 1, bad_lines: 0 },
    ]);
    assert.deepEqual(await ds.json(`SELECT count(*) AS n FROM flow_records WHERE dstaddr = '10.0.1.300' OR srcaddr = '2001:DB8::1'`), [{ n: 0 }]);
  } finally {
    ds.close();
  }
});

test('every rule: addresses, ports, protocol, bytes, packets, times, start <= end; only valid records are stored', async () => {
  const cases: [string, string | null][] = [
    [record(), null],
    [record({ src: '::ffff:10.0.0.1' }), null],
    [record({ src: '2001:DB8::1', dst: '2001:db8:0:0:0:0:0:2' }), null],
    [record({ srcport: 0, dstport: 65535, protocol: 0, bytes: 0, packets: 0 }), null],
    [record({ bytes: String(2 ** 48) }), null],
    [record({ src: '10.0.0.256' }), 'srcaddr: "10.0.0.256" is not an IPv4 or IPv6 address'],
    [record({ dst: '1.2.3' }), 'dstaddr: "1.2.3" is not an IPv4 or IPv6 address'],
    [record({ dst: 'zz::1' }), 'dstaddr: "zz::1" is not an IPv4 or IPv6 address'],
    [record({ dst: '1:2:3:4:5:6:7:8:9' }), 'dstaddr: "1:2:3:4:5:6:7:8:9" is not an IPv4 or IPv6 address'],
    [record({ src: 'fe80::1%eth0' }), 'srcaddr: "fe80::1%eth0" carries a zone id (%eth0); flow logs never do, so the record is refused'],
    [record({ srcport: -1 }), 'srcport: -1 is not a port (0 to 65535)'],
    [record({ dstport: 99999 }), 'dstport: 99999 is not a port (0 to 65535)'],
    [record({ protocol: 256 }), 'protocol: 256 is not an IP protocol number (0 to 255)'],
    [record({ bytes: -5 }), 'bytes: -5 is negative'],
    [record({ packets: -1 }), 'packets: -1 is negative'],
    [record({ bytes: String(2 ** 48 + 1) }), 'bytes: 281474976710657 is more than one record can carry (at most 2^48 = 281474976710656)'],
    [record({ start: 0, end: 60 }), `start: 0 is not a plausible time (2015-01-01 to ${latest}, a day from now)`],
    [record({ start: 4102444800, end: 4102444860 }), `start: 4102444800 is not a plausible time (2015-01-01 to ${latest}, a day from now)`],
    [record({ start: 1790000100, end: 1790000040 }), 'start 1790000100 is after end 1790000040'],
  ];
  const path = writeFlowLog(join(dir, 'rules.log'), cases.map((c) => c[0]));
  const db = await openDataset(join(dir, 'rules.duckdb'));
  try {
    const [r] = await ingestFiles(db, [path], { maxReportedErrors: 100 });
    const bad = cases.map((c, i) => ({ line: i + 2, message: c[1] })).filter((c) => c.message !== null);
    assert.equal(r.status, 'loaded', r.error);
    assert.equal(r.records, cases.length - bad.length);
    assert.equal(r.badLines, bad.length);
    assert.deepEqual(r.errors.map((e) => ({ line: e.line, message: e.message })), bad);
    assert.equal(r.errors[0].text, cases[5][0]);
    assert.deepEqual(await db.json(`SELECT count(*) AS n, sum(bytes) AS bytes FROM flow_records`), [{ n: 5, bytes: 4249 * 3 + 2 ** 48 }]);
    assert.deepEqual(await db.json(`SELECT line, message FROM ingest_errors ORDER BY line LIMIT 2`), [
      { line: 7, message: 'srcaddr: "10.0.0.256" is not an IPv4 or IPv6 address' },
      { line: 8, message: 'dstaddr: "1.2.3" is not an IPv4 or IPv6 address' },
    ]);
  } finally {
    db.close();
  }
});

test('the same rules for Parquet rows (numbered from 1) and CloudWatch events', async () => {
  const db = await openDataset(join(dir, 'pq.duckdb'));
  try {
    const text = writeFlowLog(join(dir, 'pq-source.log'), [record(), record({ dstport: 70000 }), record({ bytes: -1 })]);
    const pq = join(dir, 'x.log.parquet');
    await db.exec(`COPY (SELECT * FROM read_csv('${text}', delim = ' ', header = true, all_varchar = true)) TO '${pq}' (FORMAT parquet)`);
    const [p] = await ingestFiles(db, [pq]);
    assert.deepEqual([p.status, p.records, p.badLines, p.errors.map((e) => [e.line, e.message])], ['loaded', 1, 2, [[2, 'dstport: 70000 is not a port (0 to 65535)'], [3, 'bytes: -1 is negative']]]);
    assert.equal(Number(await db.value(`SELECT count(*) FROM flow_records`)), 1);
    const ev = await ingestCloudWatchEvents(db, 'cwl://group/stream', [record({ start: 1, end: 2 }), record()].map((message) => ({ message })));
    assert.deepEqual([ev.status, ev.records, ev.badLines, ev.errors.map((e) => [e.line, e.message])],
      ['loaded', 1, 1, [[1, `start: 1 is not a plausible time (2015-01-01 to ${latest}, a day from now)`]]]);
  } finally {
    db.close();
  }
});

test('long and empty lines: every line is a record or a bad line with its number, length and reason; counts add up', async () => {
  const lines = [record(), 'x'.repeat(3_000_000), record(), '', 'y'.repeat(40_000_000), record(), `${record()}\r`, `2 111\r111 eni-1`];
  const plain = join(dir, 'long.log');
  writeFileSync(plain, [HEADER, ...lines].join('\n') + '\n');
  const gz = join(dir, 'long.log.gz');
  writeFileSync(gz, gzipSync([HEADER, ...lines].join('\n') + '\n'));
  const db = await openDataset(join(dir, 'long.duckdb'));
  try {
    for (const path of [plain, gz]) {
      const [r] = await ingestFiles(db, [path], { maxReportedErrors: 10 });
      assert.equal(r.status, 'loaded', r.error);
      assert.deepEqual(r.errors.map((e) => [e.line, e.message]), [
        [3, 'the line is 3,000,000 bytes long; a flow record is at most 65,536'],
        [5, 'an empty line'],
        [6, 'the line is 40,000,000 bytes long; a flow record is at most 65,536'],
        [9, 'a carriage return inside the line'],
      ]);
      assert.equal(r.records, 4);
      assert.equal(r.badLines, 4);
      assert.equal(1 + r.records + r.badLines, lines.length + 1, 'header + records + bad lines = lines');
      assert.equal(r.errors[0].text, 'x'.repeat(200));
    }
    assert.equal(Number(await db.value(`SELECT count(*) FROM flow_records`)), 8);
    // without a carriage return DuckDB reads the file, skipping the empty and the 40 MB line without a word: the
    // line count tells, and the file is read again line by line
    const quiet = join(dir, 'quiet.log');
    writeFileSync(quiet, [HEADER, record(), '', record(), 'y'.repeat(40_000_000), record()].join('\n') + '\n');
    const [q] = await ingestFiles(db, [quiet]);
    assert.deepEqual([q.status, q.records, q.badLines, q.errors.map((e) => [e.line, e.message])],
      ['loaded', 3, 2, [[3, 'an empty line'], [5, 'the line is 40,000,000 bytes long; a flow record is at most 65,536']]]);
  } finally {
    db.close();
  }
});

test('a tab-separated line says so instead of "14 fields, but the log format has 14"', async () => {
  const path = writeFlowLog(join(dir, 'tabs.log'), [record(), record().replace(/ /g, '\t')]);
  const db = await openDataset(join(dir, 'tabs.duckdb'));
  try {
    const [r] = await ingestFiles(db, [path]);
    assert.deepEqual(r.errors.map((e) => [e.line, e.message]), [[3, '1 field, but the log format has 14; the line is separated by tabs, flow-log fields by spaces']]);
  } finally {
    db.close();
  }
});

test('a line with two spaces in a row, or a space at an end, says so beside the field it shifted', async () => {
  const path = writeFlowLog(join(dir, 'spaces.log'), [record(), record().replace(' ', '  '), ` ${record({ srcport: 40001 })}`, `${record({ srcport: 40002 })} `]);
  const db = await openDataset(join(dir, 'spaces.duckdb'));
  try {
    const [r] = await ingestFiles(db, [path]);
    const why = '; the line has two spaces in a row or a space at an end, and flow-log fields are separated by one space';
    // a space at the end is read as nothing (the last field is whole)
    assert.deepEqual([r.status, r.records, r.errors.map((e) => [e.line, e.message])], ['loaded', 2, [
      [3, `srcport: "10.0.2.20" is not a number${why}`],
      [4, `srcport: "10.0.2.20" is not a number${why}`],
    ]]);
    assert.deepEqual(await db.json(`SELECT srcport, log_status FROM flow_records ORDER BY srcport`), [
      { srcport: 40000, log_status: 'OK' }, { srcport: 40002, log_status: 'OK' },
    ]);
  } finally {
    db.close();
  }
});

test('sums cannot overflow: a file that would take the stored bytes past 2^62 is refused whole', async () => {
  const db = await openDataset(join(dir, 'sums.duckdb'));
  try {
    const first = writeFlowLog(join(dir, 'sums-1.log'), Array.from({ length: 16384 }, (_, i) => record({ bytes: String(2 ** 48), srcport: 1000 + (i % 60000) })));
    const second = writeFlowLog(join(dir, 'sums-2.log'), [record({ bytes: 1 })]);
    const [a, b] = await ingestFiles(db, [first, second]);
    assert.deepEqual([a.status, a.records], ['loaded', 16384]);
    assert.equal(b.status, 'failed');
    assert.equal(b.error, `${second}: the dataset would hold more than 2^62 bytes or packets in all, past which sums could overflow; nothing of it was loaded`);
    assert.deepEqual(await db.json(`SELECT count(*) AS n, sum(bytes)::VARCHAR AS bytes FROM flow_records`), [{ n: 16384, bytes: String(2n ** 62n) }]);
  } finally {
    db.close();
  }
});
