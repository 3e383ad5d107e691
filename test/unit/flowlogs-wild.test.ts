/**
 * Issue 13, how flow logs arrive: files joined with `cat` (a header line anywhere switches the format), one
 * CloudWatch Logs event a line (`{"message": …}`), the gzip'd JSON envelopes a CloudWatch Logs subscription writes
 * through Firehose to S3 (a CONTROL_MESSAGE among them), and headerless records recognised by their field count.
 * Records written from AWS's documented formats (flowlogs-fixtures.ts); real DuckDB.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ingestBuffer, ingestFiles } from '../../src/core/flowlogs/ingest';
import { loadInventory } from '../../src/core/inventory/load';
import { TGW_DEFAULT_FORMAT, formatString } from '../../src/core/model/flowFields';
import type { Db } from '../../src/core/store/db';
import { CUSTOM_V5, DEFAULT_V2, expectedRows, fieldsOf, headerOf, storedRows, textOf, withDb, type Sample } from './flowlogs-fixtures';

const counts = async (db: Db) => {
  const [r] = await db.all<{ files: bigint; records: bigint; errors: bigint }>(
    `SELECT (SELECT count(*) FROM ingest_files) AS files, (SELECT count(*) FROM flow_records) AS records, (SELECT count(*) FROM ingest_errors) AS errors`,
  );
  return { files: Number(r.files), records: Number(r.records), errors: Number(r.errors) };
};

/** The stored rows of a file in a sample's fields, only those of records that carry that sample's version. */
const rowsOfVersion = async (db: Db, name: string, sample: Sample, version: number) =>
  (await storedRows(db, name, fieldsOf(sample))).filter((r) => r.version === version);

test('files joined with cat: each of three header lines switches the format from its line on; bad lines keep their file line', async () => {
  await withDb(async (db, dir) => {
    // default v2 with its header, v5 with its header, v2 again (three records and a bad one): 15 lines
    const bad = DEFAULT_V2.lines[0].replace(' 443 ', ' 99999 ');
    const text = textOf({ ...DEFAULT_V2, lines: DEFAULT_V2.lines.slice(0, 3) }, true) + textOf(CUSTOM_V5, true) + textOf({ ...DEFAULT_V2, lines: [...DEFAULT_V2.lines.slice(3), bad] }, true);
    assert.equal(text.split('\n').length - 1, 1 + 3 + 1 + 5 + 1 + 3 + 1);
    const flows = join(dir, 'flows');
    await mkdir(flows);
    const all = join(flows, 'all.log');
    await writeFile(all, text);
    // without a bad record: nothing but its header lines sends it to the line-by-line reader
    const clean = join(flows, 'clean.log');
    await writeFile(clean, text.slice(0, text.lastIndexOf(bad)));
    // three parts of one format (one flow log's S3 objects joined): read at once, its header lines neither records nor bad lines
    const same = join(flows, 'one-format.log');
    await writeFile(same, [0, 2, 4].map((k) => textOf({ ...DEFAULT_V2, lines: DEFAULT_V2.lines.slice(k, k + 2) }, true)).join(''));
    // a plain file of the same first format: the two load in one batch (one read_csv), as a folder's files do
    await writeFile(join(flows, 'plain.log'), headerOf(DEFAULT_V2) + '\n' + DEFAULT_V2.lines[1] + '\n');
    const gz = join(dir, 'all.log.gz');
    await writeFile(gz, gzipSync(text));
    const reports = await ingestFiles(db, [flows, gz]);
    const badLine = { line: 15, message: 'dstport: 99999 is not a port (0 to 65535)', text: bad };
    assert.deepEqual(reports.map((r) => [r.name, r.status, r.records, r.badLines, r.errors]), [
      [all, 'loaded', 11, 1, [badLine]],
      [clean, 'loaded', 11, 0, []],
      [same, 'loaded', 6, 0, []],
      [join(flows, 'plain.log'), 'loaded', 1, 0, []],
      [gz, 'loaded', 11, 1, [badLine]],
    ]);
    for (const name of [all, clean, gz]) {
      assert.deepEqual(await rowsOfVersion(db, name, CUSTOM_V5, 5), expectedRows(fieldsOf(CUSTOM_V5), CUSTOM_V5.lines), `${name}: the v5 part in its own columns`);
      assert.deepEqual(await rowsOfVersion(db, name, DEFAULT_V2, 2), expectedRows(fieldsOf(DEFAULT_V2), DEFAULT_V2.lines), `${name}: both v2 parts`);
    }
    assert.deepEqual(await storedRows(db, same, fieldsOf(DEFAULT_V2)), expectedRows(fieldsOf(DEFAULT_V2), DEFAULT_V2.lines));
    // parts of other formats are read line by line and stored (never read again from the file in one format)
    const readers = await db.all<{ name: string; reader: string }>(`SELECT name, reader FROM ingest_files ORDER BY file_id`);
    assert.deepEqual(readers.map((r) => [r.name, r.reader]), [[all, 'joined'], [clean, 'joined'], [same, 'text'], [join(flows, 'plain.log'), 'text'], [gz, 'joined']]);
    const before = await counts(db);
    assert.deepEqual(before, { files: 5, records: 40, errors: 2 });
    // loading them again adds nothing
    const again = await ingestFiles(db, [all, gz]);
    assert.deepEqual(again.map((r) => r.status), ['duplicate', 'duplicate']);
    assert.deepEqual(await counts(db), before);
  });
});

test('one CloudWatch Logs event a line ({"message": …}), plain and gzip: records, with the file line of an empty line and a bad record', async () => {
  await withDb(async (db, dir) => {
    const bad = DEFAULT_V2.lines[1].replace(' 3389 ', ' 70000 ');
    const lines = [
      ...DEFAULT_V2.lines.slice(0, 2).map((message, i) => JSON.stringify({ timestamp: 1700000000000 + i, message })),
      '',
      JSON.stringify({ message: bad }),
      ...DEFAULT_V2.lines.slice(2).map((message) => JSON.stringify({ message, logStreamName: 'eni-0a1b2c3d4e5f60001-all' })),
    ];
    const plain = join(dir, 'export.json');
    await writeFile(plain, lines.join('\n') + '\n');
    const gz = join(dir, 'export.json.gz');
    await writeFile(gz, gzipSync(lines.join('\n') + '\n'));
    const reports = await ingestFiles(db, [plain, gz]);
    const errors = [{ line: 3, message: 'an empty line', text: '' }, { line: 4, message: 'dstport: 70000 is not a port (0 to 65535)', text: bad }];
    assert.deepEqual(reports.map((r) => [r.status, r.records, r.badLines, r.errors, r.error]), [['loaded', 6, 2, errors, undefined], ['loaded', 6, 2, errors, undefined]]);
    assert.deepEqual(await storedRows(db, plain, fieldsOf(DEFAULT_V2)), expectedRows(fieldsOf(DEFAULT_V2), DEFAULT_V2.lines));
    assert.deepEqual(await counts(db), { files: 2, records: 12, errors: 4 });
  });
});

test('a Firehose object of CloudWatch Logs subscription envelopes: back to back, a CONTROL_MESSAGE skipped', async () => {
  await withDb(async (db) => {
    const envelope = (events: string[], stream: string) => JSON.stringify({
      messageType: 'DATA_MESSAGE', owner: '111111111111', logGroup: '/vpc/flow-logs', logStream: stream, subscriptionFilters: ['to-firehose'],
      logEvents: events.map((message, i) => ({ id: `3734${i}`, timestamp: 1700000000000 + i, message })),
    });
    const control = JSON.stringify({
      messageType: 'CONTROL_MESSAGE', owner: 'CloudwatchLogs', logGroup: '', logStream: '', subscriptionFilters: [],
      logEvents: [{ id: '', timestamp: 1700000000000, message: 'CWL CONTROL MESSAGE: Checking health of destination Firehose.' }],
    });
    // one gzip member holding two envelopes with no separator, then a control message, then another member
    const object = Buffer.concat([
      gzipSync(envelope(DEFAULT_V2.lines.slice(0, 2), 'eni-0a1b2c3d4e5f60001-all') + control + envelope(DEFAULT_V2.lines.slice(2, 4), 'eni-0a1b2c3d4e5f60002-all')),
      gzipSync(envelope(DEFAULT_V2.lines.slice(4), 'eni-0a1b2c3d4e5f60003-all')),
    ]);
    const name = 's3://logs/firehose/2023/11/14/22/flows-1-2023-11-14-22-15-00-0a1b2c3d';
    const r = await ingestBuffer(db, name, object);
    assert.deepEqual([r.status, r.records, r.badLines, r.error], ['loaded', 6, 0, undefined]);
    assert.deepEqual(await storedRows(db, name, fieldsOf(DEFAULT_V2)), expectedRows(fieldsOf(DEFAULT_V2), DEFAULT_V2.lines));
    const onlyControl = await ingestBuffer(db, `${name}-control`, gzipSync(control));
    assert.deepEqual([onlyControl.status, onlyControl.records, onlyControl.badLines], ['loaded', 0, 0]);
    assert.deepEqual(await counts(db), { files: 2, records: 6, errors: 0 });
  });
});

/** A transit gateway flow log's record in its default format (every field, version 6). */
const TGW_DEFAULT: Sample = {
  title: 'transit gateway default',
  format: formatString(TGW_DEFAULT_FORMAT),
  lines: [
    '6 TransitGatewayAttachment 111111111111 tgw-0a1b2c3d4e5f60001 tgw-attach-0a1b2c3d4e5f60001 111111111111 222222222222 vpc-0aa11bb22cc33dd44 vpc-0bb11bb22cc33dd55 subnet-0aa11bb22cc33dd01 subnet-0bb11bb22cc33dd01 eni-0aa11bb22cc33dd11 eni-0bb11bb22cc33dd22 use1-az1 use1-az2 tgw-attach-0a1b2c3d4e5f60002 10.0.1.5 10.1.2.9 49152 5432 6 12 3400 1700000000 1700000060 OK IPv4 0 0 0 0 2 us-east-1 ingress - -',
    '6 TransitGatewayAttachment 111111111111 tgw-0a1b2c3d4e5f60001 tgw-attach-0a1b2c3d4e5f60002 222222222222 111111111111 vpc-0bb11bb22cc33dd55 vpc-0aa11bb22cc33dd44 subnet-0bb11bb22cc33dd01 subnet-0aa11bb22cc33dd01 eni-0bb11bb22cc33dd22 eni-0aa11bb22cc33dd11 use1-az2 use1-az1 tgw-attach-0a1b2c3d4e5f60001 10.1.2.9 10.0.1.5 5432 49152 6 10 90210 1700000000 1700000060 OK IPv4 0 0 0 0 18 us-east-1 egress - -',
  ],
};

test('headerless records without a LogFormat: the one known layout that fits is used and said; none or two fitting are refused', async () => {
  await withDb(async (db, dir) => {
    assert.equal(TGW_DEFAULT_FORMAT.length, 36);
    const tgw = join(dir, 'tgw.log');
    await writeFile(tgw, textOf(TGW_DEFAULT, false));
    const [t] = await ingestFiles(db, [tgw]);
    assert.equal(t.status, 'loaded', t.error);
    assert.equal(t.note, "no header line and no log format given: read as AWS's default transit gateway format (36 fields, version 6), the only known layout line 1 fits");
    assert.deepEqual(await storedRows(db, tgw, TGW_DEFAULT_FORMAT), expectedRows(TGW_DEFAULT_FORMAT, TGW_DEFAULT.lines));
    const plain = join(dir, 'default.log');
    await writeFile(plain, textOf(DEFAULT_V2, false));
    const [d] = await ingestFiles(db, [plain]);
    assert.deepEqual([d.status, d.records, d.note], ['loaded', 6, undefined], 'the default format is read as before, without a note');

    // the v5 format is no layout AWS defines: refused, nothing stored
    const v5 = join(dir, 'v5.log');
    await writeFile(v5, textOf(CUSTOM_V5, false));
    const before = await counts(db);
    const [refused] = await ingestFiles(db, [v5]);
    assert.equal(refused.error, `${v5}: no header line and no log format given, and line 1 has 29 fields where the default format has 14 and no known layout (14, 36 fields) fits; give the flow log's LogFormat (--log-format, or ec2:DescribeFlowLogs)`);

    // the inventory's flow log has that LogFormat: it is a known layout now
    const inv = join(dir, 'inventory');
    await mkdir(inv);
    const flowLog = (id: string, format: string) => ({
      FlowLogId: id, ResourceId: 'vpc-0aa11bb22cc33dd44', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/flow-logs', LogFormat: format,
      MaxAggregationInterval: 60, TrafficType: 'ALL', FlowLogStatus: 'ACTIVE', DeliverLogsStatus: 'SUCCESS',
    });
    await writeFile(join(inv, 'ec2.DescribeFlowLogs.json'), JSON.stringify({ FlowLogs: [flowLog('fl-0a1b2c3d4e5f60005', CUSTOM_V5.format)] }));
    await loadInventory(db, [inv]);
    const [known] = await ingestFiles(db, [v5]);
    assert.equal(known.status, 'loaded', known.error);
    assert.equal(known.note, 'no header line and no log format given: read as flow log fl-0a1b2c3d4e5f60005 (29 fields, version 5), the only known layout line 1 fits');
    assert.deepEqual(await storedRows(db, v5, fieldsOf(CUSTOM_V5)), expectedRows(fieldsOf(CUSTOM_V5), CUSTOM_V5.lines));

    // a second flow log whose format has as many fields and the same version: two layouts fit, the format has to be given
    const swapped = CUSTOM_V5.format.replace('${srcport} ${dstport}', '${dstport} ${srcport}');
    await writeFile(join(inv, 'ec2.DescribeFlowLogs.json'), JSON.stringify({ FlowLogs: [flowLog('fl-0a1b2c3d4e5f60005', CUSTOM_V5.format), flowLog('fl-0a1b2c3d4e5f60006', swapped)] }));
    await loadInventory(db, [inv]);
    const v5b = join(dir, 'v5-other-eni.log');
    await writeFile(v5b, CUSTOM_V5.lines.slice(1).join('\n') + '\n');
    const stored = await counts(db);
    const [ambiguous] = await ingestFiles(db, [v5b]);
    assert.equal(ambiguous.status, 'failed');
    assert.equal(ambiguous.error,
      `${v5b}: no header line and no log format given, and line 1 has 29 fields, which fits 2 known layouts (flow log fl-0a1b2c3d4e5f60005; flow log fl-0a1b2c3d4e5f60006); give the flow log's LogFormat (--log-format, or ec2:DescribeFlowLogs)`);
    assert.deepEqual(await counts(db), stored, 'nothing stored');
    const [given] = await ingestFiles(db, [v5b], { logFormat: swapped });
    assert.deepEqual([given.status, given.records, given.note], ['loaded', 4, undefined]);
  });
});
