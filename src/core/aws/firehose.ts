/**
 * Flow logs published to Amazon Data Firehose. The inventory describes each stream a flow log here publishes to
 * (firehose:DescribeDeliveryStream, apis.ts); its S3 destination says where the objects are: `<Prefix>YYYY/MM/DD/HH/`
 * (UTC, or the stream's CustomTimeZone), named `<stream>-<version>-YYYY-MM-DD-HH-MM-SS-<uuid>[.gz]`, plain text in
 * the flow log's LogFormat without a header. Only the hours of the window are listed; a Prefix with `!{…}`
 * expressions is listed under its literal part, its objects chosen by the time in their names. A stream that
 * delivers elsewhere (HTTP endpoint, Splunk, OpenSearch, …), converts its records, or compresses them in a way
 * Flowlens does not read is named and skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { AwsIssue, SourceReport } from '../../protocol/reports';
import { firehoseObjectName, streamOfArn } from '../flowlogs/firehose';
import { isObj, type Obj } from '../inventory/util';
import type { Db } from '../store/db';
import { loadedNames } from './checkpoints';
import { describeAwsError } from './errors';
import { mapPool } from './pool';
import { listAll, Mutex, readObject, type S3ReadOptions } from './s3';
import type { S3Source } from './sources';

/** A DescribeFlowLogs entry, as far as Firehose delivery needs it. */
interface FlowLogEntry {
  FlowLogId?: string;
  LogDestinationType?: string;
  LogDestination?: string;
  LogFormat?: string;
}

/** Destinations that are not S3, by their member in DescribeDeliveryStream's DestinationDescription. */
const OTHER_DESTINATIONS: Record<string, string> = {
  HttpEndpointDestinationDescription: 'an HTTP endpoint',
  SplunkDestinationDescription: 'Splunk',
  AmazonopensearchserviceDestinationDescription: 'Amazon OpenSearch Service',
  ElasticsearchDestinationDescription: 'Elasticsearch',
  AmazonOpenSearchServerlessDestinationDescription: 'Amazon OpenSearch Serverless',
  RedshiftDestinationDescription: 'Amazon Redshift',
  SnowflakeDestinationDescription: 'Snowflake',
  IcebergDestinationDescription: 'Apache Iceberg tables',
};

const READABLE = ['GZIP', 'UNCOMPRESSED'];

/** Where a stream's objects are, from its DescribeDeliveryStream answer; or, in words, why they cannot be read. */
export function streamDestination(description: Obj):
  { bucket: string; prefix: string; compression: string; timeZone?: string; bufferSeconds?: number; errorPrefix?: string } | { not: string } {
  const dest = Array.isArray(description.Destinations) ? description.Destinations.find(isObj) : undefined;
  if (!dest) return { not: 'has no destination' };
  for (const [member, what] of Object.entries(OTHER_DESTINATIONS)) {
    if (!isObj(dest[member])) continue;
    const named = member === 'HttpEndpointDestinationDescription' && isObj(dest[member].EndpointConfiguration) ? dest[member].EndpointConfiguration.Name : undefined;
    return { not: `delivers to ${what}${typeof named === 'string' && named ? ` (${named})` : ''}, not to S3` };
  }
  const s3 = isObj(dest.ExtendedS3DestinationDescription) ? dest.ExtendedS3DestinationDescription : isObj(dest.S3DestinationDescription) ? dest.S3DestinationDescription : undefined;
  const bucket = s3 && typeof s3.BucketARN === 'string' ? /^arn:aws[\w-]*:s3:::([^/]+)$/.exec(s3.BucketARN)?.[1] : undefined;
  if (!s3 || !bucket) return { not: 'names no S3 bucket Flowlens recognises' };
  const conversion = isObj(s3.DataFormatConversionConfiguration) && s3.DataFormatConversionConfiguration.Enabled === true;
  if (conversion) return { not: 'converts its records to another format (DataFormatConversionConfiguration), which flow-log text does not survive' };
  const compression = typeof s3.CompressionFormat === 'string' ? s3.CompressionFormat : 'UNCOMPRESSED';
  if (!READABLE.includes(compression)) {
    return { not: `compresses its objects with ${compression}, which Flowlens does not read (GZIP and UNCOMPRESSED are read): set the stream's CompressionFormat to GZIP` };
  }
  const timeZone = typeof s3.CustomTimeZone === 'string' && s3.CustomTimeZone && s3.CustomTimeZone !== 'UTC' ? s3.CustomTimeZone : undefined;
  const buffer = isObj(s3.BufferingHints) && typeof s3.BufferingHints.IntervalInSeconds === 'number' ? s3.BufferingHints.IntervalInSeconds : undefined;
  // records Firehose failed to deliver or process go under ErrorOutputPrefix: not flow-log text
  const errorPrefix = typeof s3.ErrorOutputPrefix === 'string' ? literalPart(s3.ErrorOutputPrefix) : '';
  return {
    bucket, prefix: typeof s3.Prefix === 'string' ? s3.Prefix : '', compression,
    ...(timeZone ? { timeZone } : {}), ...(buffer ? { bufferSeconds: buffer } : {}), ...(errorPrefix ? { errorPrefix } : {}),
  };
}

/** A prefix's part before its first `!{…}` expression. */
const literalPart = (prefix: string) => (prefix.includes('!{') ? prefix.slice(0, prefix.indexOf('!{')) : prefix);

/** The stream descriptions of an inventory dump (`firehose.DescribeDeliveryStream.json`), by stream name. */
export function describedStreams(file: string): Map<string, Obj> {
  const out = new Map<string, Obj>();
  if (!existsSync(file)) return out;
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as unknown;
    for (const r of Array.isArray(doc) ? doc : [doc]) {
      const d = isObj(r) && isObj(r.DeliveryStreamDescription) ? r.DeliveryStreamDescription : undefined;
      if (d && typeof d.DeliveryStreamName === 'string') out.set(d.DeliveryStreamName, d);
    }
  } catch {
    // a dump that does not parse describes nothing; its flow logs are reported as not described
  }
  return out;
}

/**
 * The S3 sources of the flow logs of one account and region that publish to Firehose (`only`: to these streams), and
 * an issue naming each one that cannot be read: a stream in another account or region, one not described, one
 * that does not deliver its records as they are to S3.
 */
export function firehoseSources(flowLogs: FlowLogEntry[], streams: Map<string, Obj>, account: string, region: string, only?: string[]): { sources: S3Source[]; issues: AwsIssue[] } {
  const sources = new Map<string, S3Source>();
  const issues: AwsIssue[] = [];
  const issue = (code: string, message: string, resource: string) => issues.push({ account, region, api: 'firehose', code, message, resource });
  for (const f of flowLogs) {
    if (f.LogDestinationType !== 'kinesis-data-firehose') continue;
    const fl = `flow log ${f.FlowLogId ?? '(no id)'}`;
    const s = streamOfArn(f.LogDestination);
    if (only && !(s && only.includes(s.name))) continue;
    if (!s) {
      issue('UnsupportedDestination', `${fl} publishes to ${f.LogDestination ?? 'no destination'}, which is not a Firehose stream ARN`, f.LogDestination ?? f.FlowLogId ?? '');
      continue;
    }
    const arn = f.LogDestination!;
    if (s.account !== account || s.region !== region) {
      issue('UnsupportedDestination', `${fl} publishes to the Firehose stream ${s.name} of account ${s.account} in ${s.region}, which is not described from here: read that account and region too, or load the stream's S3 objects with --flow-logs`, arn);
      continue;
    }
    const description = streams.get(s.name);
    if (!description) {
      issue('NotDescribed', `${fl} publishes to the Firehose stream ${s.name}, which was not described (firehose:DescribeDeliveryStream): its records are not read`, arn);
      continue;
    }
    const where = streamDestination(description);
    if ('not' in where) {
      issue('UnsupportedDestination', `${fl} publishes to the Firehose stream ${s.name}, which ${where.not}: skipped`, arn);
      continue;
    }
    const id = `firehose://${account}/${region}/${s.name}`;
    const known = sources.get(id);
    if (known) {
      if ((known.logFormat ?? '') !== (f.LogFormat ?? '')) {
        issue('MixedFormats', `flow logs ${known.flowLogId} and ${f.FlowLogId} publish to the Firehose stream ${s.name} in different LogFormats: its objects are read in the format their first record fits`, arn);
        delete known.logFormat;
      }
      continue;
    }
    const expressions = where.prefix.includes('!{');
    sources.set(id, {
      kind: 's3', id, bucket: where.bucket, prefix: literalPart(where.prefix), account, region,
      ...(f.LogFormat ? { logFormat: f.LogFormat } : {}), ...(f.FlowLogId ? { flowLogId: f.FlowLogId } : {}),
      firehose: {
        stream: s.name, compression: where.compression, expressions,
        ...(where.timeZone ? { timeZone: where.timeZone } : {}), ...(where.bufferSeconds ? { bufferSeconds: where.bufferSeconds } : {}),
        ...(where.errorPrefix ? { errorPrefix: where.errorPrefix } : {}),
      },
    });
  }
  return { sources: [...sources.values()], issues };
}

// ------------------------------------------------------------------------------------------ times

const pad = (n: number) => String(n).padStart(2, '0');

/** A moment's wall time in a time zone: year, month (1-12), day, hour, minute, second. */
function wallTime(t: number, timeZone: string): number[] {
  const f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const parts = Object.fromEntries(f.formatToParts(new Date(t)).map((p) => [p.type, p.value]));
  return ['year', 'month', 'day', 'hour', 'minute', 'second'].map((k) => Number(parts[k]));
}

/** The moment a wall time in a time zone stands for (UTC milliseconds). */
export function wallToUtc(wall: readonly number[], timeZone = 'UTC'): number {
  const asUtc = Date.UTC(wall[0]!, wall[1]! - 1, wall[2]!, wall[3]!, wall[4]!, wall[5]!);
  const seen = wallTime(asUtc, timeZone);
  return asUtc - (Date.UTC(seen[0]!, seen[1]! - 1, seen[2]!, seen[3]!, seen[4]!, seen[5]!) - asUtc);
}

/** The hour folders `<prefix>YYYY/MM/DD/HH/` of [since, until] in a time zone (quarter hours: zones off by 30 or 45 minutes). */
export function firehoseHourPrefixes(prefix: string, since: Date, until: Date, timeZone = 'UTC'): string[] {
  const out = new Set<string>();
  for (let t = Math.floor(since.getTime() / 900_000) * 900_000; t <= until.getTime(); t += 900_000) {
    const [y, m, d, h] = wallTime(t, timeZone);
    out.add(`${prefix}${y}/${pad(m!)}/${pad(d!)}/${pad(h!)}/`);
  }
  return [...out];
}

// ------------------------------------------------------------------------------------------ reading

/**
 * Reads a Firehose stream's objects for [since, until] (plus the late-delivery allowance): the hour folders of the
 * window, or, under a Prefix with expressions, every object whose name's time is in the window; only the stream's
 * own objects (a shared prefix may hold others'), each with the flow log's LogFormat.
 */
export async function readFirehoseSource(db: Db, s3: S3Client, src: S3Source, o: S3ReadOptions, ingestLock = new Mutex()): Promise<SourceReport> {
  const rep: SourceReport = { source: src.id, kind: 's3', account: src.account, region: src.region, fetched: 0, skipped: 0, failed: 0, records: 0, bytes: 0, files: [], issues: [] };
  const fh = src.firehose!;
  // late delivery: the flow log's (as for S3), and the stream's buffering interval on top
  const until = new Date(o.until.getTime() + (o.lateMinutes ?? 20) * 60_000 + (fh.bufferSeconds ?? 0) * 1000);
  let scopes: string[];
  try {
    scopes = fh.expressions ? [src.prefix] : firehoseHourPrefixes(src.prefix, o.since, until, fh.timeZone);
  } catch (err) {
    rep.issues.push({ account: src.account, region: src.region, api: 'firehose', code: 'UnknownTimeZone', message: `the Firehose stream ${fh.stream}'s time zone ${fh.timeZone}: ${(err as Error).message}`, resource: src.id });
    rep.failed++;
    return rep;
  }
  const from = Math.floor(o.since.getTime() / 3600_000) * 3600_000;
  const wanted = (key: string) => {
    const n = firehoseObjectName(key);
    if (!n || n.stream !== fh.stream || (fh.errorPrefix && key.startsWith(fh.errorPrefix))) return false;
    if (!fh.expressions) return true;
    const t = wallToUtc(n.wall, fh.timeZone);
    return t >= from && t <= until.getTime();
  };
  const keys: string[] = [];
  for (const scope of scopes) {
    o.signal?.throwIfAborted();
    try {
      const listed = await listAll(s3, src.bucket, scope, o.signal ? { signal: o.signal } : {});
      keys.push(...listed.keys.map((k) => k.key).filter(wanted));
    } catch (err) {
      if (o.signal?.aborted) throw err;
      rep.issues.push(describeAwsError(err, { account: src.account, region: src.region, api: 's3:ListObjectsV2', resource: `s3://${src.bucket}/${scope}` }));
      rep.failed++;
    }
  }
  const already = await loadedNames(db, `s3://${src.bucket}/`);
  let done = 0;
  await mapPool(keys, o.concurrency ?? 8, async (key) => {
    await readObject(db, s3, src, key, rep, already, { ...(src.logFormat ? { logFormat: src.logFormat } : {}), ...(o.signal ? { signal: o.signal } : {}) }, ingestLock);
    o.onProgress?.(`${src.id}: ${++done}/${keys.length}`, done, keys.length);
  }, o.signal);
  return rep;
}
