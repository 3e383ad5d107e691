/**
 * Flow-log sources: discovered from DescribeFlowLogs (destination type, bucket/prefix or log group, LogFormat,
 * file format, Hive/hourly partitioning) or named by the user (`s3://bucket/prefix`, `logs:<group>` or
 * `cwl:<group>`, `athena:<database>.<table>`).
 */
export interface S3Source {
  kind: 's3';
  id: string;
  bucket: string;
  /** Prefix before AWSLogs/, without a trailing slash ('' for none). */
  prefix: string;
  /** Account whose credentials read it (the flow log's owner, or the target the user named it for). */
  account: string;
  /** Region to call S3 in (the bucket may be elsewhere; S3 redirects are followed by the SDK). */
  region: string;
  /** Accounts and regions whose logs to read (as they appear in the key layout); undefined = all found. */
  logAccounts?: string[];
  logRegions?: string[];
  fileFormat?: 'plain-text' | 'parquet';
  hive?: boolean;
  perHour?: boolean;
  logFormat?: string;
  flowLogId?: string;
  /**
   * Objects a Firehose stream delivers (aws/firehose.ts): `<prefix>YYYY/MM/DD/HH/<stream>-…`, headerless, in the
   * flow log's LogFormat; `prefix` is then the stream's Prefix as it is (Firehose adds no slash).
   */
  firehose?: FirehoseDelivery;
}

export interface FirehoseDelivery {
  stream: string;
  /** GZIP or UNCOMPRESSED (the others are not read). */
  compression: string;
  /** The stream's CustomTimeZone, when it has one: its prefixes' and object names' times are in it. */
  timeZone?: string;
  /** The Prefix holds `!{…}` expressions: the objects are listed under its part before them. */
  expressions: boolean;
  /** The stream's buffering interval: objects arrive up to this much later than the flow log delivered its records. */
  bufferSeconds?: number;
  /** The literal part of its ErrorOutputPrefix: objects under it hold records Firehose failed to deliver, not flow logs. */
  errorPrefix?: string;
}

export interface CloudWatchSource {
  kind: 'cloudwatch';
  id: string;
  logGroup: string;
  account: string;
  region: string;
  logFormat?: string;
  flowLogId?: string;
}

export interface AthenaSource {
  kind: 'athena';
  id: string;
  catalog?: string;
  database: string;
  table: string;
  account: string;
  region: string;
  /**
   * The accounts whose records to read, when the table has an account partition key (an organisation's table holds
   * every account's): those named with --accounts (or the account a scoped source names); undefined: every account,
   * as from an S3 bucket.
   */
  logAccounts?: string[];
}

export type FlowLogSource = S3Source | CloudWatchSource | AthenaSource;

interface DescribedFlowLog {
  FlowLogId?: string;
  LogDestinationType?: string;
  LogDestination?: string;
  LogGroupName?: string;
  LogFormat?: string;
  DestinationOptions?: { FileFormat?: string; HiveCompatiblePartitions?: boolean; PerHourPartition?: boolean };
  FlowLogStatus?: string;
}

/** Sources from one account/region's DescribeFlowLogs output; several flow logs into one destination merge. */
export function sourcesFromFlowLogs(flowLogs: DescribedFlowLog[], account: string, region: string): FlowLogSource[] {
  const out = new Map<string, FlowLogSource>();
  for (const f of flowLogs) {
    if (f.LogDestinationType === 's3' && f.LogDestination) {
      const m = /^arn:aws[\w-]*:s3:::([^/]+)\/?(.*)$/.exec(f.LogDestination);
      if (!m) continue;
      const bucket = m[1]!;
      const prefix = m[2]!.replace(/\/+$/, '');
      const id = `s3://${bucket}/${prefix ? prefix + '/' : ''}AWSLogs/${account}/${region}`;
      const s: S3Source = {
        kind: 's3',
        id,
        bucket,
        prefix,
        account,
        region,
        logAccounts: [account],
        logRegions: [region],
        fileFormat: f.DestinationOptions?.FileFormat === 'parquet' ? 'parquet' : 'plain-text',
        hive: !!f.DestinationOptions?.HiveCompatiblePartitions,
        perHour: !!f.DestinationOptions?.PerHourPartition,
      };
      if (f.LogFormat) s.logFormat = f.LogFormat;
      if (f.FlowLogId) s.flowLogId = f.FlowLogId;
      if (!out.has(id)) out.set(id, s);
    } else if (f.LogDestinationType === 'cloud-watch-logs' && (f.LogGroupName || f.LogDestination)) {
      const group = f.LogGroupName ?? /:log-group:([^:]+)/.exec(f.LogDestination ?? '')?.[1] ?? '';
      const id = `cwl://${account}/${region}/${group}`;
      const s: CloudWatchSource = { kind: 'cloudwatch', id, logGroup: group, account, region };
      if (f.LogFormat) s.logFormat = f.LogFormat;
      if (f.FlowLogId) s.flowLogId = f.FlowLogId;
      if (!out.has(id)) out.set(id, s);
    }
    // kinesis-data-firehose: the stream says where its objects are (aws/firehose.ts)
  }
  return [...out.values()];
}

/** A source the user named: s3://bucket/prefix, logs:<group> (or cwl:), athena:[catalog.]database.table. */
export function parseSourceSpec(spec: string, account: string, region: string, regions: string[], accounts?: string[]): FlowLogSource {
  const s3 = /^s3:\/\/([^/]+)\/?(.*)$/.exec(spec);
  if (s3) {
    // A prefix that already includes AWSLogs/... is cut back to the part before it.
    const prefix = s3[2]!.replace(/\/?AWSLogs(\/.*)?$/, '').replace(/\/+$/, '');
    const src: S3Source = { kind: 's3', id: `s3://${s3[1]}/${prefix ? prefix + '/' : ''}`, bucket: s3[1]!, prefix, account, region, logRegions: regions };
    if (accounts?.length) src.logAccounts = accounts;
    return src;
  }
  const cw = /^(?:logs|cwl|cloudwatch):(.+)$/.exec(spec);
  if (cw) return { kind: 'cloudwatch', id: `cwl://${account}/${region}/${cw[1]}`, logGroup: cw[1]!, account, region };
  const at = /^athena:(?:([\w-]+)\.)?([\w-]+)\.([\w-]+)$/.exec(spec);
  if (at) {
    const src: AthenaSource = { kind: 'athena', id: `athena://${at[1] ?? 'AwsDataCatalog'}/${at[2]}/${at[3]}`, database: at[2]!, table: at[3]!, account, region };
    if (at[1]) src.catalog = at[1];
    if (accounts?.length) src.logAccounts = accounts;
    return src;
  }
  throw new Error(`unknown flow-log source "${spec}": use s3://bucket/prefix, logs:<log group>, athena:<database>.<table> or firehose:<stream>`);
}
