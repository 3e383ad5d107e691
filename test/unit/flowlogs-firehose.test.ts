/**
 * Issue 13, flow logs published to Amazon Data Firehose and delivered to S3, read from a folder: plain text in the
 * flow log's LogFormat, no header line, objects named `<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>` (`.gz` when the
 * stream compresses with GZIP) under `YYYY/MM/DD/HH/`. The format is the one given, else the LogFormat of the flow
 * log (inventory) that delivers to the stream the object's name starts with, else the known layout it fits.
 * Real DuckDB, records from AWS's documented formats (flowlogs-fixtures.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { firehoseObjectName } from '../../src/core/flowlogs/firehose';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { loadInventory } from '../../src/core/inventory/load';
import { scanFolder } from '../../src/core/scan';
import { CUSTOM_V5, DEFAULT_V2, expectedRows, fieldsOf, storedRows, withDb } from './flowlogs-fixtures';

const STREAM_ARN = 'arn:aws:firehose:us-east-1:111111111111:deliverystream/vpc-flows';
const flowLog = (id: string, format: string, destination = STREAM_ARN) => ({
  FlowLogId: id, ResourceId: 'vpc-0aa11bb22cc33dd44', LogDestinationType: 'kinesis-data-firehose', LogDestination: destination, LogFormat: format,
  MaxAggregationInterval: 60, TrafficType: 'ALL', FlowLogStatus: 'ACTIVE', DeliverLogsStatus: 'SUCCESS', DeliverLogsPermissionArn: 'arn:aws:iam::111111111111:role/flow-logs-to-firehose',
});

test('Firehose object names: stream, version and time; other names are not taken for them', () => {
  assert.deepEqual(firehoseObjectName('s3://logs/2026/09/01/10/vpc-flows-1-2026-09-01-10-05-12-5d2a1f3e-8b4c-4e1a-9f2d-0c1b2a3d4e5f.gz'),
    { stream: 'vpc-flows', version: 1, wall: [2026, 9, 1, 10, 5, 12] });
  assert.deepEqual(firehoseObjectName('/tmp/x/my.stream_2-14-2026-12-31-23-59-59-0a1b2c3d-0000-4000-8000-00000000abcd'),
    { stream: 'my.stream_2', version: 14, wall: [2026, 12, 31, 23, 59, 59] });
  assert.equal(firehoseObjectName('111111111111_vpcflowlogs_us-east-1_fl-0a1b_20260901T1005Z_0a1b2c3d.log.gz'), undefined);
  assert.equal(firehoseObjectName('flows-1-2026-13-01-10-05-12-0a1b2c3d'), undefined, 'no month 13');
});

test('a folder of Firehose objects (no extension, and .gz): headerless, read with the LogFormat of the flow log delivering to the stream', async () => {
  await withDb(async (db, dir) => {
    const inv = join(dir, 'inventory');
    const hour = join(dir, 'firehose', '2026', '09', '01', '10');
    await mkdir(inv);
    await mkdir(hour, { recursive: true });
    // two flow logs with formats of 29 fields and the same version (ports swapped): by field count alone either fits
    const swapped = CUSTOM_V5.format.replace('${srcport} ${dstport}', '${dstport} ${srcport}');
    await writeFile(join(inv, 'ec2.DescribeFlowLogs.json'), JSON.stringify({
      FlowLogs: [flowLog('fl-0a1b2c3d4e5f60011', CUSTOM_V5.format), flowLog('fl-0a1b2c3d4e5f60012', swapped, 'arn:aws:firehose:us-east-1:111111111111:deliverystream/other-flows')],
    }));
    await loadInventory(db, [inv]);
    const plain = join(hour, 'vpc-flows-1-2026-09-01-10-05-12-5d2a1f3e-8b4c-4e1a-9f2d-0c1b2a3d4e5f');
    const gz = join(hour, 'vpc-flows-1-2026-09-01-10-10-40-6e3b2a4f-9c5d-4f2b-8a3e-1d2c3b4e5f60.gz');
    await writeFile(plain, CUSTOM_V5.lines.slice(0, 2).join('\n') + '\n');
    await writeFile(gz, gzipSync(CUSTOM_V5.lines.slice(2).join('\n') + '\n'));
    // the folder step's scan tells what ingest will do: none needs a format (either 29-field format alone would be ambiguous)
    assert.equal((await scanFolder([dir])).needFormat, undefined);
    const reports = await ingestFiles(db, [join(dir, 'firehose')]);
    const note = 'no header line: read with the LogFormat of flow log fl-0a1b2c3d4e5f60011 (29 fields, version 5), which delivers to the Firehose stream vpc-flows that wrote this object';
    assert.deepEqual(reports.map((r) => [r.name, r.status, r.records, r.badLines, r.note]), [
      [plain, 'loaded', 2, 0, note],
      [gz, 'loaded', CUSTOM_V5.lines.length - 2, 0, note],
    ]);
    assert.deepEqual(await storedRows(db, plain, fieldsOf(CUSTOM_V5)), expectedRows(fieldsOf(CUSTOM_V5), CUSTOM_V5.lines.slice(0, 2)));
    assert.deepEqual(await storedRows(db, gz, fieldsOf(CUSTOM_V5)), expectedRows(fieldsOf(CUSTOM_V5), CUSTOM_V5.lines.slice(2)));

    // the other stream's object: its own flow log's format, not the first one's
    const other = join(hour, 'other-flows-3-2026-09-01-10-07-00-7f4c3b5a-0d6e-4a3c-9b4f-2e3d4c5f6a71');
    await writeFile(other, CUSTOM_V5.lines.slice(0, 1).join('\n') + '\n');
    const [o] = await ingestFiles(db, [other]);
    assert.equal(o.status, 'loaded', o.error);
    assert.match(o.note!, /flow log fl-0a1b2c3d4e5f60012 .* Firehose stream other-flows/);
    const [row] = await storedRows(db, other, fieldsOf(CUSTOM_V5));
    assert.deepEqual([row!.srcport, row!.dstport], [443, 36221], 'read with the swapped format');

    // a record the stream's flow log does not fit (14 fields where it has 29): refused with both counts
    const odd = join(hour, 'vpc-flows-2-2026-09-01-10-20-00-8a5d4c6b-1e7f-4b4d-8c5a-3f4e5d6a7b82');
    await writeFile(odd, DEFAULT_V2.lines[0] + '\n');
    const [refused] = await ingestFiles(db, [odd]);
    assert.equal(refused.error,
      `${odd}: line 1 has 14 fields, but the LogFormat of flow log fl-0a1b2c3d4e5f60011 (29 fields), delivering to the Firehose stream vpc-flows that wrote this object, does not fit it; give the log format (--log-format)`);
    // given, it wins
    const [given] = await ingestFiles(db, [odd], { logFormat: DEFAULT_V2.format });
    assert.deepEqual([given.status, given.records, given.note], ['loaded', 1, undefined]);
  });
});

test('Firehose objects without an inventory: AWS\'s default format by its field count, a custom one given with --log-format', async () => {
  await withDb(async (db, dir) => {
    const v2 = join(dir, 'flows-1-2026-09-01-10-05-12-5d2a1f3e-8b4c-4e1a-9f2d-0c1b2a3d4e5f.gz');
    await writeFile(v2, gzipSync(DEFAULT_V2.lines.join('\n') + '\n'));
    const [r] = await ingestFiles(db, [v2]);
    assert.deepEqual([r.status, r.records, r.note], ['loaded', DEFAULT_V2.lines.length, undefined]);
    assert.deepEqual(await storedRows(db, v2, fieldsOf(DEFAULT_V2)), expectedRows(fieldsOf(DEFAULT_V2), DEFAULT_V2.lines));
    const v5 = join(dir, 'flows-1-2026-09-01-10-06-12-6d2a1f3e-8b4c-4e1a-9f2d-0c1b2a3d4e5f');
    await writeFile(v5, CUSTOM_V5.lines.join('\n') + '\n');
    assert.deepEqual((await scanFolder([v5])).needFormat, { files: 1, fieldCounts: [29], examples: ['flows-1-2026-09-01-10-06-12-6d2a1f3e-8b4c-4e1a-9f2d-0c1b2a3d4e5f'] });
    const [given] = await ingestFiles(db, [v5], { logFormat: CUSTOM_V5.format });
    assert.deepEqual([given.status, given.records], ['loaded', CUSTOM_V5.lines.length]);
  });
});
