/**
 * Issue 13: flow logs published to Amazon Data Firehose, read live through the local endpoint: discovery
 * (DescribeFlowLogs) → the stream's S3 destination (firehose:DescribeDeliveryStream, collected with the inventory)
 * → only the window's hour folders listed → the stream's objects read with the flow log's LogFormat → enriched
 * facts. A stream that does not deliver to S3 and one in another account are named and skipped. Real SDK, real
 * DuckDB, real credential files in a temporary HOME.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { enrich, openDataset, type AwsSource, type Db } from '../../src/core/api';
import { S3Client } from '@aws-sdk/client-s3';
import { clientConfig } from '../../src/core/aws/clients';
import { firehoseHourPrefixes, readFirehoseSource, wallToUtc } from '../../src/core/aws/firehose';
import type { S3Source } from '../../src/core/aws/sources';
import { BASE_USER } from '../support/aws-endpoint/home';
import { firehoseEndpoint, type addFirehose, FIREHOSE_BUCKET, FIREHOSE_FORMAT, FIREHOSE_IDS, FIREHOSE_OBJECTS, STREAM } from '../support/aws-endpoint/firehose-estate';
import { A, B } from '../support/aws-endpoint/mini-estate';
import type { AwsEndpoint } from '../support/aws-endpoint/server';

describe('flow logs published to Firehose, read from its S3 destination through enrich()', () => {
  let fx: Awaited<ReturnType<typeof firehoseEndpoint>>;
  let ep: AwsEndpoint;
  let base: AwsSource;
  let work: string;
  let others: number;
  let firehose: ReturnType<typeof addFirehose>;

  before(async () => {
    fx = await firehoseEndpoint();
    ({ ep, base, work, others, firehose } = fx);
  });
  after(() => fx.close());

  it('hour folders of a window in UTC and in a stream\'s time zone; object times back to UTC', () => {
    assert.deepEqual(firehoseHourPrefixes('vpc-flows/', new Date('2026-09-01T22:30Z'), new Date('2026-09-02T00:10Z')),
      ['vpc-flows/2026/09/01/22/', 'vpc-flows/2026/09/01/23/', 'vpc-flows/2026/09/02/00/']);
    // Asia/Kolkata is 5:30 ahead: 22:30-23:10 UTC is 04:00-04:40 there
    assert.deepEqual(firehoseHourPrefixes('p', new Date('2026-09-01T22:30Z'), new Date('2026-09-01T23:10Z'), 'Asia/Kolkata'), ['p2026/09/02/04/']);
    assert.equal(new Date(wallToUtc([2026, 9, 2, 4, 5, 0], 'Asia/Kolkata')).toISOString(), '2026-09-01T22:35:00.000Z');
    assert.equal(new Date(wallToUtc([2026, 9, 2, 4, 5, 0])).toISOString(), '2026-09-02T04:05:00.000Z');
  });

  it('discovers the flow log publishing to Firehose, reads its stream\'s objects of the window, and names the streams it cannot read', async () => {
    const db = await openDataset(join(work, 'all.duckdb'));
    try {
      const s = (await enrich(db, { source: { ...base, dumpDir: join(work, 'dump-all') } })).aws!;
      assert.deepEqual(s.issues.map((i) => [i.account, i.region, i.code, i.resource, i.message]), [
        [A, 'us-east-1', 'UnsupportedDestination', `arn:aws:firehose:us-east-1:${A}:deliverystream/others`,
          `flow log ${FIREHOSE_IDS.other} publishes to the Firehose stream others, which delivers to Splunk, not to S3: skipped`],
        [A, 'us-east-1', 'UnsupportedDestination', `arn:aws:firehose:us-east-1:${B}:deliverystream/central`,
          `flow log ${FIREHOSE_IDS.crossAccount} publishes to the Firehose stream central of account ${B} in us-east-1, which is not described from here: read that account and region too, or load the stream's S3 objects with --flow-logs`],
      ]);
      const src = s.sources.find((x) => x.source === `firehose://${A}/us-east-1/${STREAM}`);
      assert.ok(src, s.sources.map((x) => x.source).join(', '));
      assert.deepEqual([src.kind, src.fetched, src.failed, src.records], ['s3', FIREHOSE_OBJECTS, 0, firehose.records]);
      assert.equal(s.records, others + firehose.records, 'the other flow logs are read as before');
      // Firehose was asked about the streams of A/us-east-1's flow logs only, once each
      const asked = ep.requests.filter((r) => r.op === 'DescribeDeliveryStream');
      assert.deepEqual(asked.map((r) => [r.account, r.region, r.status]), [[A, 'us-east-1', 200], [A, 'us-east-1', 200]]);
      // only the window's hours were listed, and only the stream's own objects fetched
      const gets = ep.requests.filter((r) => r.op === 'GetObject' && r.key?.startsWith(`${STREAM}/`)).map((r) => r.key!);
      assert.equal(gets.length, FIREHOSE_OBJECTS);
      assert.ok(gets.every((k) => k.includes(`/${STREAM}-1-2026-09-01-`)), gets.join(', '));
      const listed = ep.requests.filter((r) => r.op === 'ListObjectsV2' && r.prefix?.startsWith(`${STREAM}/`)).map((r) => r.prefix);
      assert.deepEqual(listed, ['00', '01', '02', '03'].map((h) => `${STREAM}/2026/09/01/${h}/`), 'the window and its late-delivery allowance, hour by hour');
      const stored = await db.all<{ name: string; log_format: string; records: number }>(
        `SELECT name, log_format, records::INTEGER AS records FROM ingest_files WHERE name LIKE 's3://${FIREHOSE_BUCKET}/%' ORDER BY name`);
      assert.equal(stored.length, FIREHOSE_OBJECTS);
      assert.deepEqual(stored.map((f) => [f.log_format, f.records]), Array(FIREHOSE_OBJECTS).fill([FIREHOSE_FORMAT, firehose.records / FIREHOSE_OBJECTS]), 'read in the flow log\'s LogFormat');

      const again = (await enrich(db, { source: { ...base, dumpDir: join(work, 'dump-all') } })).aws!;
      assert.equal(again.sources.find((x) => x.source === src.source)!.fetched, 0, 'loaded objects are not fetched again');
    } finally {
      db.close();
    }
  });

  it('a Prefix with !{...} expressions: listed under its literal part, the stream\'s objects chosen by the time in their names, not its errors', async () => {
    const db = await openDataset(':memory:');
    const s3 = new S3Client(clientConfig('S3', 'us-east-1', async () => ({ accessKeyId: BASE_USER.accessKeyId, secretAccessKey: BASE_USER.secretAccessKey }), { env: { AWS_ENDPOINT_URL: ep.url } }));
    try {
      ep.requests.length = 0;
      const src: S3Source = {
        // Prefix `!{timestamp:yyyy/MM/dd/HH}/`: nothing before its expression, the whole bucket is listed
        kind: 's3', id: `firehose://${A}/us-east-1/${STREAM}`, bucket: FIREHOSE_BUCKET, prefix: '', account: A, region: 'us-east-1', logFormat: FIREHOSE_FORMAT,
        firehose: { stream: STREAM, compression: 'GZIP', expressions: true, errorPrefix: 'errors/' },
      };
      // from 01:00: the objects of hours 01 and 02, not the one of 00, the day before's, another stream's, or the errors
      const rep = await readFirehoseSource(db, s3, src, { since: new Date('2026-09-01T01:00:00Z'), until: new Date('2026-09-01T03:00:00Z') });
      assert.deepEqual([rep.fetched, rep.failed, rep.records, rep.issues], [2, 0, 2 * (firehose.records / FIREHOSE_OBJECTS), []]);
      assert.deepEqual(ep.requests.filter((r) => r.op === 'ListObjectsV2').map((r) => r.prefix), [''], 'one listing, under the literal part');
      assert.deepEqual(ep.requests.filter((r) => r.op === 'GetObject').map((r) => r.key!.split('/').pop()!.slice(0, 32)).sort(), [
        `${STREAM}-1-2026-09-01-01-05-12-`, `${STREAM}-1-2026-09-01-02-05-12-`,
      ]);
    } finally {
      s3.destroy();
      db.close();
    }
  });

  it('firehose:<stream> as a source: its records alone, enriched with both sides attributed', async () => {
    const db = await openDataset(join(work, 'named.duckdb'));
    try {
      const s = (await enrich(db, { source: { ...base, sources: [`${A}/us-east-1=firehose:${STREAM}`], dumpDir: join(work, 'dump-named') } })).aws!;
      assert.deepEqual(s.issues, []);
      assert.deepEqual(s.sources.map((x) => [x.source, x.fetched, x.records]), [[`firehose://${A}/us-east-1/${STREAM}`, FIREHOSE_OBJECTS, firehose.records]]);
      // the LogFormat's own fields were stored: vpc-id, subnet-id, tcp-flags
      const r = await db.one<{ vpcs: string[]; flags: number[] }>(`SELECT list(DISTINCT vpc_id ORDER BY vpc_id) AS vpcs, list(DISTINCT tcp_flags ORDER BY tcp_flags) AS flags FROM flow_records WHERE log_status = 'OK'`);
      assert.deepEqual([r!.vpcs, r!.flags], [[firehose.vpc], [3]]);
      const facts = await db.one<{ bytes: bigint; clients: string[]; vpcs: string[]; unattributed: bigint }>(
        `SELECT sum(uploaded + downloaded) AS bytes, list(DISTINCT client_eni ORDER BY client_eni) AS clients, list(DISTINCT client_vpc) AS vpcs,
           count(*) FILTER (WHERE server_eni IS NULL) AS unattributed FROM conversations`);
      assert.equal(Number(facts!.bytes), firehose.bytes, 'every accepted byte of the stream\'s records, counted once');
      assert.deepEqual(facts!.clients, firehose.enis, 'each client is the ENI that logged the record');
      assert.deepEqual(facts!.vpcs, [firehose.vpc]);
      assert.equal(Number(facts!.unattributed), 0, 'each server is an ENI of the inventory too');
    } finally {
      db.close();
    }
  });
});
