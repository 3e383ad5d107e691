/**
 * Flow logs published to Amazon Data Firehose, added to a mini estate (mini-estate.ts) in AWS's shapes: in account A,
 * us-east-1, flow logs that publish to Firehose streams (DescribeFlowLogs), the streams' DescribeDeliveryStream
 * answers (the endpoint serves them), and the objects a stream with an S3 destination wrote: plain text in the flow
 * log's LogFormat, no header, gzip, `<Prefix>YYYY/MM/DD/HH/<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>.gz`.
 * Everything is fake (documentation-style ids).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AwsSource } from '../../../src/protocol/enrich';
import { BASE_USER, EXTERNAL_ID, makeTempHome } from './home';
import { A, B, miniEstateSource, writeMiniEstate } from './mini-estate';
import { startAwsEndpoint, type AwsEndpoint } from './server';

/** A custom format of version 3 with 17 fields: no layout known by its field count alone fits it. */
export const FIREHOSE_FORMAT =
  '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status} ${vpc-id} ${subnet-id} ${tcp-flags}';
export const FIREHOSE_BUCKET = 'flowlens-firehose';
export const STREAM = 'vpc-flows';
export const FIREHOSE_IDS = { s3: 'fl-0a1b2c3d4e5f600f1', other: 'fl-0a1b2c3d4e5f600f2', crossAccount: 'fl-0a1b2c3d4e5f600f3' };
/** Records a stream object holds (the last one NODATA), and the objects in the window (hours 00, 01, 02). */
export const FIREHOSE_RECORDS_PER_OBJECT = 5;
export const FIREHOSE_OBJECTS = 3;

const arn = (account: string, name: string) => `arn:aws:firehose:us-east-1:${account}:deliverystream/${name}`;
const uuid = (n: number) => `5d2a1f3e-8b4c-4e1a-9f2d-${String(n).padStart(12, '0')}`;

function put(path: string, data: string | Buffer) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

/** A DescribeDeliveryStream answer with one destination. */
export function streamDescription(name: string, destination: Record<string, unknown>): Record<string, unknown> {
  return {
    DeliveryStreamName: name, DeliveryStreamARN: arn(A, name), DeliveryStreamStatus: 'ACTIVE', DeliveryStreamType: 'DirectPut', VersionId: '1',
    CreateTimestamp: '2026-08-01T10:00:00.000Z', Destinations: [{ DestinationId: 'destinationId-000000000001', ...destination }], HasMoreDestinations: false,
  };
}

/** An S3 destination as DescribeDeliveryStream says it (ExtendedS3DestinationDescription and its S3DestinationDescription twin). */
export function s3Destination(bucket: string, prefix: string, compression: string): Record<string, unknown> {
  const s3 = {
    RoleARN: `arn:aws:iam::${A}:role/firehose-to-s3`, BucketARN: `arn:aws:s3:::${bucket}`, Prefix: prefix, ErrorOutputPrefix: 'errors/',
    BufferingHints: { SizeInMBs: 5, IntervalInSeconds: 300 }, CompressionFormat: compression, EncryptionConfiguration: { NoEncryptionConfig: 'NoEncryption' },
  };
  return { S3DestinationDescription: s3, ExtendedS3DestinationDescription: { ...s3, S3BackupMode: 'Disabled' } };
}

/**
 * Adds to the estate in `dir`: flow logs of A/us-east-1's VPC publishing to `vpc-flows` (S3, GZIP), to `others`
 * (the `other` destination given, Splunk by default) and to a stream of account B; the streams' answers; and
 * `vpc-flows`' objects for the window, one before it, and one of another stream under the same prefix. Returns the
 * records written in the window and their bytes (NODATA records carry none).
 */
export function addFirehose(dir: string, other: Record<string, unknown> | undefined = { SplunkDestinationDescription: { HECEndpoint: 'https://splunk.example.com:8088', HECEndpointType: 'Raw', S3BackupMode: 'FailedEventsOnly' } }):
  { records: number; bytes: number; enis: string[]; vpc: string } {
  const inv = join(dir, 'inventory', A, 'us-east-1');
  const described = JSON.parse(readFileSync(join(inv, 'ec2.DescribeFlowLogs.json'), 'utf8')) as { FlowLogs: Record<string, unknown>[] };
  const vpc = String(described.FlowLogs[0]!.ResourceId);
  const flowLog = (id: string, destination: string) => ({
    FlowLogId: id, FlowLogStatus: 'ACTIVE', ResourceId: vpc, TrafficType: 'ALL', CreationTime: '2026-08-01T10:00:00.000Z', MaxAggregationInterval: 60,
    LogDestinationType: 'kinesis-data-firehose', LogDestination: destination, LogFormat: FIREHOSE_FORMAT,
    DeliverLogsStatus: 'SUCCESS',
  });
  described.FlowLogs.push(
    flowLog(FIREHOSE_IDS.s3, arn(A, STREAM)),
    flowLog(FIREHOSE_IDS.other, arn(A, 'others')),
    flowLog(FIREHOSE_IDS.crossAccount, arn(B, 'central')),
  );
  put(join(inv, 'ec2.DescribeFlowLogs.json'), JSON.stringify(described, null, 1));
  put(join(inv, 'firehose.DescribeDeliveryStream.json'), JSON.stringify([
    { DeliveryStreamName: STREAM, DeliveryStreamDescription: streamDescription(STREAM, s3Destination(FIREHOSE_BUCKET, `${STREAM}/`, 'GZIP')) },
    { DeliveryStreamName: 'others', DeliveryStreamDescription: streamDescription('others', other) },
  ], null, 1));

  const { NetworkInterfaces: enis } = JSON.parse(readFileSync(join(inv, 'ec2.DescribeNetworkInterfaces.json'), 'utf8')) as {
    NetworkInterfaces: { NetworkInterfaceId: string; PrivateIpAddress: string; SubnetId: string }[];
  };
  let records = 0;
  let bytes = 0;
  const used = new Set<string>();
  const object = (hour: string, name: string, from: number) => {
    const lines: string[] = [];
    for (let k = 0; k < FIREHOSE_RECORDS_PER_OBJECT; k++) {
      const e = enis[k % enis.length]!;
      const peer = enis[(k + 3) % enis.length]!;
      const s = from + k * 60;
      if (k === FIREHOSE_RECORDS_PER_OBJECT - 1) lines.push(`3 ${A} ${e.NetworkInterfaceId} - - - - - - - ${s} ${s + 60} - NODATA ${vpc} ${e.SubnetId} -`);
      else lines.push(`3 ${A} ${e.NetworkInterfaceId} ${e.PrivateIpAddress} ${peer.PrivateIpAddress} ${41000 + k} 5432 6 ${4 + k} ${700 * (k + 1)} ${s} ${s + 60} ACCEPT OK ${vpc} ${e.SubnetId} 3`);
    }
    put(join(dir, 'flowlogs', FIREHOSE_BUCKET, STREAM, ...hour.split('/'), name), gzipSync(lines.join('\n') + '\n'));
    return lines;
  };
  for (let h = 0; h < FIREHOSE_OBJECTS; h++) {
    const hh = String(h).padStart(2, '0');
    const lines = object(`2026/09/01/${hh}`, `${STREAM}-1-2026-09-01-${hh}-05-12-${uuid(h)}.gz`, Date.parse(`2026-09-01T${hh}:00:00Z`) / 1000);
    records += lines.length;
    for (const l of lines) {
      const t = l.split(' ');
      if (t[13] === 'OK') {
        bytes += Number(t[9]);
        used.add(t[2]!);
      }
    }
  }
  // before the window: its hour is never listed; another stream's object under the same prefix: never read
  object('2026/08/31/22', `${STREAM}-1-2026-08-31-22-05-00-${uuid(98)}.gz`, Date.parse('2026-08-31T22:00:00Z') / 1000);
  object('2026/09/01/00', `another-stream-1-2026-09-01-00-06-00-${uuid(99)}.gz`, Date.parse('2026-09-01T00:00:00Z') / 1000);
  // what Firehose could not deliver, under the stream's ErrorOutputPrefix (errors/), named as the stream names objects
  put(join(dir, 'flowlogs', FIREHOSE_BUCKET, 'errors', '2026', '09', '01', '01', `${STREAM}-1-2026-09-01-01-30-00-${uuid(97)}`),
    JSON.stringify({ attemptsMade: 4, errorCode: 'S3.AccessDenied', errorMessage: 'Access Denied', rawData: 'MyAxMTExMTExMTExMTEx' }) + '\n');
  return { records, bytes, enis: [...used].sort(), vpc };
}

/**
 * The mini estate with Firehose delivery added (`other`: the second stream's destination), served by a local endpoint
 * (50 items a page), with a temporary HOME and work folder; `close` removes them all.
 */
export async function firehoseEndpoint(other?: Record<string, unknown>): Promise<{
  ep: AwsEndpoint; base: AwsSource; work: string; others: number; firehose: ReturnType<typeof addFirehose>; close: () => Promise<void>;
}> {
  const home = makeTempHome();
  const estate = mkdtempSync(join(tmpdir(), 'flowlens-firehose-estate-'));
  const work = mkdtempSync(join(tmpdir(), 'flowlens-firehose-'));
  const others = Object.values(writeMiniEstate(estate)).reduce((a, b) => a + b, 0);
  const firehose = addFirehose(estate, other);
  const ep = await startAwsEndpoint({ estateDir: estate, users: [BASE_USER], roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID }], pageSize: 50 });
  return {
    ep, base: miniEstateSource(home, ep.url), work, others, firehose,
    close: async () => {
      await ep.close();
      for (const d of [estate, work]) rmSync(d, { recursive: true, force: true });
      home.cleanup();
    },
  };
}
