/**
 * Issue 13, flow logs published to Amazon Data Firehose, given what cannot be read: an object Firehose compressed
 * with ZIP, Snappy or Hadoop-Snappy; a headerless object whose format nothing tells; a stream that delivers to an
 * HTTP endpoint, Splunk, or converts its records; a stream Flowlens may not describe. Each ends in the exact
 * words a user reads, naming the file or the stream and its flow log, and the dataset unchanged. Real DuckDB; the
 * real SDK against the local endpoint.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { enrich, openDataset, type AwsSource, type Db } from '../../src/core/api';
import { firehoseSources, streamDestination } from '../../src/core/aws/firehose';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { FIREHOSE_FORMAT, FIREHOSE_IDS, firehoseEndpoint, s3Destination, STREAM, streamDescription } from '../support/aws-endpoint/firehose-estate';
import { A } from '../support/aws-endpoint/mini-estate';
import type { AwsEndpoint } from '../support/aws-endpoint/server';

let fx: Awaited<ReturnType<typeof firehoseEndpoint>>;
let work: string;
let ep: AwsEndpoint;
let base: AwsSource;

before(async () => {
  // the second stream delivers to an HTTP endpoint (a collector that is not S3)
  fx = await firehoseEndpoint({
    HttpEndpointDestinationDescription: {
      EndpointConfiguration: { Url: 'https://collector.example.com/ingest', Name: 'flow-collector' }, S3BackupMode: 'FailedDataOnly',
      BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 },
    },
  });
  ({ ep, base, work } = fx);
});

after(() => fx.close());

const stored = async (db: Db) => {
  const r = await db.one<{ files: bigint; records: bigint; errors: bigint }>(
    'SELECT (SELECT count(*) FROM ingest_files) AS files, (SELECT count(*) FROM flow_records) AS records, (SELECT count(*) FROM ingest_errors) AS errors');
  return { files: Number(r!.files), records: Number(r!.records), errors: Number(r!.errors) };
};

const LINE = `3 ${A} eni-0a1b2c3d4e5f60001 10.1.1.10 10.1.1.20 41000 5432 6 4 700 1788220800 1788220860 ACCEPT OK vpc-0a1b2c3d4e5f60001 subnet-0a1b2c3d4e5f60001 3`;

test('objects Firehose compressed with ZIP, Snappy or Hadoop-Snappy: each named with its compression, nothing stored', async () => {
  const dir = mkdtempSync(join(work, 'compressed-'));
  const db = await openDataset(join(work, 'compressed.duckdb'));
  try {
    const zip = join(dir, 'vpc-flows-1-2026-09-01-00-05-12-5d2a1f3e-8b4c-4e1a-9f2d-000000000001.zip');
    // a ZIP local file header (PK\3\4, version 20, no flags, stored), as Firehose's ZIP compression writes
    writeFileSync(zip, Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00]), Buffer.from(LINE)]));
    const snappy = join(dir, 'vpc-flows-1-2026-09-01-00-10-12-5d2a1f3e-8b4c-4e1a-9f2d-000000000002.snappy');
    // the framing format's stream identifier chunk, then a compressed-data chunk
    writeFileSync(snappy, Buffer.concat([Buffer.from([0xff, 0x06, 0x00, 0x00, 0x73, 0x4e, 0x61, 0x50, 0x70, 0x59, 0x00, 0x20, 0x00, 0x00]), Buffer.from(LINE)]));
    const hadoop = join(dir, 'vpc-flows-1-2026-09-01-00-15-12-5d2a1f3e-8b4c-4e1a-9f2d-000000000003');
    // a block: its raw length (149), its compressed length, then a raw Snappy block: the varint preamble 149
    // (0x95 0x01) and one literal of 149 bytes (tag 0xf0, then length - 1)
    const raw = Buffer.from(LINE.padEnd(149, ' '));
    const block = Buffer.concat([Buffer.from([0x95, 0x01, 0xf0, raw.length - 1]), raw]);
    const head = Buffer.alloc(8);
    head.writeUInt32BE(raw.length, 0);
    head.writeUInt32BE(block.length, 4);
    writeFileSync(hadoop, Buffer.concat([head, block]));
    const reports = await ingestFiles(db, [dir]);
    const advice = "which Flowlens does not read: flow logs are read as plain text, gzip or Parquet; set the Firehose stream's CompressionFormat to GZIP (or UNCOMPRESSED)";
    assert.deepEqual(reports.map((r) => [r.name, r.status, r.error]), [
      [zip, 'failed', `${zip} is compressed with ZIP, ${advice}`],
      [snappy, 'failed', `${snappy} is compressed with Snappy, ${advice}`],
      [hadoop, 'failed', `${hadoop} is compressed with Hadoop-Snappy, ${advice}`],
    ]);
    assert.deepEqual(await stored(db), { files: 0, records: 0, errors: 0 });
  } finally {
    db.close();
  }
});

test('a headerless Firehose object whose format nothing tells: refused, naming the file and the line, nothing stored', async () => {
  const dir = mkdtempSync(join(work, 'unknown-'));
  const db = await openDataset(join(work, 'unknown.duckdb'));
  try {
    const obj = join(dir, 'vpc-flows-1-2026-09-01-00-05-12-5d2a1f3e-8b4c-4e1a-9f2d-000000000004.gz');
    writeFileSync(obj, gzipSync(`${LINE}\n${LINE}\n`));
    const [r] = await ingestFiles(db, [obj]);
    assert.equal(r!.status, 'failed');
    assert.equal(r!.error,
      `${obj}: no header line and no log format given, and line 1 has 17 fields where the default format has 14 and no known layout (14, 36 fields) fits; give the flow log's LogFormat (--log-format, or ec2:DescribeFlowLogs)`);
    assert.deepEqual(await stored(db), { files: 0, records: 0, errors: 0 });
    // told, it loads
    const [given] = await ingestFiles(db, [obj], { logFormat: FIREHOSE_FORMAT });
    assert.deepEqual([given!.status, given!.records], ['loaded', 2]);
  } finally {
    db.close();
  }
});

test('live: a stream delivering to an HTTP endpoint is named with its flow log and skipped; nothing is stored', async () => {
  const db = await openDataset(join(work, 'http.duckdb'));
  try {
    const s = (await enrich(db, { source: { ...base, sources: [`${A}/us-east-1=firehose:others`], dumpDir: join(work, 'dump-http') } })).aws!;
    assert.deepEqual(s.issues.map((i) => [i.account, i.region, i.api, i.code, i.resource, i.message]), [[
      A, 'us-east-1', 'firehose', 'UnsupportedDestination', `arn:aws:firehose:us-east-1:${A}:deliverystream/others`,
      `flow log ${FIREHOSE_IDS.other} publishes to the Firehose stream others, which delivers to an HTTP endpoint (flow-collector), not to S3: skipped`,
    ]]);
    assert.deepEqual([s.sources.length, s.fetched, s.failed, s.records], [0, 0, 0, 0]);
    assert.ok(!ep.requests.some((r) => r.op === 'GetObject' || r.op === 'ListObjectsV2'), 'no bucket was listed or read');
    assert.deepEqual(await stored(db), { files: 0, records: 0, errors: 0 });
    // a stream nothing publishes to
    const none = (await enrich(db, { source: { ...base, sources: [`${A}/us-east-1=firehose:nobody`], dumpDir: join(work, 'dump-http') } })).aws!;
    assert.deepEqual(none.issues.map((i) => [i.api, i.code, i.message]), [
      ['sources', 'NotFound', `no flow log publishes to the Firehose stream nobody in ${A}/us-east-1 (as the inventory's DescribeFlowLogs says)`],
    ]);
  } finally {
    db.close();
  }
});

test('live: firehose:DescribeDeliveryStream denied: the denial, then the flow log whose stream was not described; nothing is stored', async () => {
  ep.faults.push({ kind: 'access-denied', service: 'firehose' });
  const db = await openDataset(join(work, 'denied.duckdb'));
  try {
    const s = (await enrich(db, { source: { ...base, sources: [`${A}/us-east-1=firehose:${STREAM}`], dumpDir: join(work, 'dump-denied') } })).aws!;
    const denied = s.issues.filter((i) => i.api === 'firehose:DescribeDeliveryStream');
    assert.equal(denied.length, 1, JSON.stringify(s.issues));
    assert.equal(denied[0]!.code, 'AccessDeniedException');
    assert.match(denied[0]!.message, /not authorized to perform: firehose:DescribeDeliveryStream/);
    assert.deepEqual(s.issues.filter((i) => i.api === 'firehose').map((i) => [i.code, i.message]), [
      ['NotDescribed', `flow log ${FIREHOSE_IDS.s3} publishes to the Firehose stream ${STREAM}, which was not described (firehose:DescribeDeliveryStream): its records are not read`],
    ]);
    assert.deepEqual([s.fetched, s.records], [0, 0]);
    assert.deepEqual(await stored(db), { files: 0, records: 0, errors: 0 });
  } finally {
    db.close();
    ep.faults.length = 0;
  }
});

test('stream answers that cannot be read from S3 as they are: each said in words', () => {
  const s3 = (compression: string, extra: Record<string, unknown> = {}) => {
    const d = s3Destination('flows-bucket', 'p/', compression);
    return { ...d, ExtendedS3DestinationDescription: { ...(d.ExtendedS3DestinationDescription as object), ...extra } };
  };
  const said = (destination: Record<string, unknown>) => streamDestination(streamDescription('x', destination));
  assert.deepEqual(said(s3('Snappy')), { not: "compresses its objects with Snappy, which Flowlens does not read (GZIP and UNCOMPRESSED are read): set the stream's CompressionFormat to GZIP" });
  assert.deepEqual(said(s3('ZIP')), { not: "compresses its objects with ZIP, which Flowlens does not read (GZIP and UNCOMPRESSED are read): set the stream's CompressionFormat to GZIP" });
  assert.deepEqual(said(s3('UNCOMPRESSED', { DataFormatConversionConfiguration: { Enabled: true } })),
    { not: 'converts its records to another format (DataFormatConversionConfiguration), which flow-log text does not survive' });
  assert.deepEqual(said({ SplunkDestinationDescription: { HECEndpoint: 'https://splunk.example.com:8088' } }), { not: 'delivers to Splunk, not to S3' });
  assert.deepEqual(said({ AmazonopensearchserviceDestinationDescription: { DomainARN: 'arn:aws:es:us-east-1:111111111111:domain/flows' } }), { not: 'delivers to Amazon OpenSearch Service, not to S3' });
  assert.deepEqual(said(s3('GZIP', { CustomTimeZone: 'Asia/Tokyo' })), { bucket: 'flows-bucket', prefix: 'p/', compression: 'GZIP', timeZone: 'Asia/Tokyo', bufferSeconds: 300, errorPrefix: 'errors/' });
  // two flow logs into one stream in different formats: read, and said
  const two = firehoseSources([
    { FlowLogId: 'fl-1', LogDestinationType: 'kinesis-data-firehose', LogDestination: `arn:aws:firehose:us-east-1:${A}:deliverystream/x`, LogFormat: FIREHOSE_FORMAT },
    { FlowLogId: 'fl-2', LogDestinationType: 'kinesis-data-firehose', LogDestination: `arn:aws:firehose:us-east-1:${A}:deliverystream/x`, LogFormat: '${version} ${srcaddr}' },
  ], new Map([['x', streamDescription('x', s3('GZIP'))]]), A, 'us-east-1');
  assert.deepEqual(two.sources.map((x) => [x.id, x.bucket, x.prefix, x.logFormat]), [[`firehose://${A}/us-east-1/x`, 'flows-bucket', 'p/', undefined]]);
  assert.deepEqual(two.issues.map((i) => i.message), ['flow logs fl-1 and fl-2 publish to the Firehose stream x in different LogFormats: its objects are read in the format their first record fits']);
});
