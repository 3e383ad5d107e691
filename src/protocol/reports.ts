/**
 * What the engine reports about reading flow logs, inventory and AWS, as the DuckDB worker sends it to the host
 * (src/protocol/worker.ts): types only. The engine (src/core) builds these values and imports the types from here,
 * so that the protocol imports nothing from the engine.
 */

/** One file, S3 object or batch of CloudWatch events as the engine loaded it (src/core/flowlogs/ingest.ts). */
export interface FileReport {
  name: string;
  status: 'loaded' | 'duplicate' | 'failed';
  records: number;
  badLines: number;
  /** The first few rejected lines with their line numbers. */
  errors: { line: number; message: string; text?: string }[];
  /** Why the whole file failed (unreadable, truncated gzip, unknown format). */
  error?: string;
  /** A duplicate: the name the same content was loaded under (itself when loaded again under its own name). */
  duplicateOf?: string;
  /** How the records' format was found when the file did not say it (a known layout fitting its field count). */
  note?: string;
}

/** An AWS failure as the user reads it, redacted (src/core/aws/errors.ts describeAwsError). */
export interface AwsIssue {
  account?: string;
  region?: string;
  /** service:Operation, e.g. ec2:DescribeNetworkInterfaces, or 'credentials'. */
  api: string;
  profile?: string;
  /** The AWS error code (AccessDenied, ExpiredToken, ThrottlingException, ...) or a Flowlens code. */
  code: string;
  message: string;
  /** An S3 key, a log group, a file: what was not fetched. */
  resource?: string;
  /**
   * The same broken answer from several accounts and regions, said once (errors.ts foldIssues): each place as
   * `<account>/<region>`; account and region are then left out.
   */
  places?: string[];
}

/** One flow-log source read from AWS (S3 prefix, log group, Athena table). */
export interface SourceReport {
  source: string;
  kind: 's3' | 'cloudwatch' | 'athena';
  account: string;
  region: string;
  /** Objects / event batches / result sets loaded now. */
  fetched: number;
  /** Already loaded before (not fetched again, or loaded as duplicate). */
  skipped: number;
  failed: number;
  records: number;
  bytes: number;
  /** Per-object reports from the engine for what was fetched (malformed lines, failures). */
  files: FileReport[];
  issues: AwsIssue[];
  /** Athena: the SQL that ran. */
  sql?: string;
  /** Athena: the reduction's window, partitions, scan (estimated before, actual after) and rows returned. */
  athena?: AthenaScan;
}

/** Some accounts of an organisation's flow-log table: those named, or every account but those named (ids sorted). */
export type AccountSet = { only: string[] } | { except: string[] };

/** An Athena reduction's cost and yield (src/core/aws/athena.ts). */
export interface AthenaScan {
  windowSeconds: number;
  pricePerTb: number;
  /** The partition keys the window and regions were put on, and how. */
  partitions: string[];
  /**
   * The partitions registered in Glue were needed (keys not known by name, such as a crawler's partition_0 …) and
   * could not be read (glue:GetPartitions refused or failing): why, and what follows (those keys not constrained,
   * the estimate of the whole location), naming the table and the permission. The run goes on.
   */
  partitionsUnread?: string;
  /**
   * The partitions registered in Glue were read and none holds the window (a crawler has not run since): Athena reads
   * only registered partitions, so nothing is read there until they are added. Said, naming the table.
   */
  partitionsMissing?: string;
  /**
   * The partitions registered in Glue hold the window's start but end before its end (a crawler's last run was within
   * it): the window is read up to their end (less the hour a record may take to reach S3; `until` says where), and
   * the rest is read by the next run once its partitions are added. Said, naming the table.
   */
  partitionsEnd?: string;
  /**
   * With partitionsEnd, when the window's accounts or regions were read to different times (their registered
   * partitions end apart): where the latest were read to (ISO; `until` is the earliest, where the next run starts),
   * and those read only to an earlier time, each with that time (accounts undefined: every account but those named
   * apart; regions: those of the run it is, when the run names some).
   */
  endsApart?: { latest: string; earlier: { until: string; accounts?: AccountSet; regions?: string[] }[] };
  /** Before running: the bytes of the objects under the window's partitions, and their price. */
  estimatedBytes?: number;
  estimatedUsd?: number;
  /** After running: DataScannedInBytes of the query's statistics, and its price. */
  scannedBytes?: number;
  scannedUsd?: number;
  /** Athena answered with a result of the same query it had kept (result reuse: nothing scanned, nothing billed). */
  reused?: boolean;
  /** Rows returned. */
  rows: number;
  /**
   * Where the window the query read ends (ISO): the window's end, or earlier when that was within the last minutes
   * before the run, whose flow logs were still being delivered; the next run (Refresh) goes on from here.
   */
  until?: string;
  /** Set when the window was ended before its end: how many minutes before the run it ends. */
  settleMinutes?: number;
  /**
   * The parts of the window the dataset held from the table already (results loaded before, ISO times): not read
   * again, since a reduction's rows read twice would count twice. The whole window: no query ran. `accounts`: of an
   * organisation's table, the accounts whose time it is, when not every account the run reads; `regions`: of a table
   * with a region key, the regions whose time it is, when not every region the run reads.
   */
  readBefore?: { since: string; until: string; accounts?: AccountSet; regions?: string[] }[];
  /**
   * The table lies at the S3 location of another table the dataset holds results of (the table of the same name in
   * another account's or region's catalogue, or another name), partitioned alike: the time read there is held here
   * too (its records would count twice). Said, naming that table and the location.
   */
  sameLocation?: string;
  /**
   * No such table: AWS's DDL for a table over each S3 flow log of the account (in the regions read) the dataset's
   * inventory knows, with partition projection, to run in Athena: by hand, or by Flowlens when asked
   * (--create-athena-table, the editor's "Create the Athena table…").
   */
  ddl?: string[];
  /** The table was created in this run (asked for) before it was read: what ran, in order. */
  created?: string[];
}

/** Flowlens running the DDL of a missing Athena table, asked for (src/core/aws/athenaCreate.ts). */
export interface AthenaTableCreation {
  /** athena://<catalog>/<database>/<table> */
  source: string;
  account: string;
  region: string;
  catalog: string;
  database: string;
  table: string;
  /** The workgroup the statements ran in ('primary' when none was named). */
  workgroup: string;
  /** Who ran them (the ARN GetCallerIdentity named), when known. */
  principal?: string;
  /** What ran, in order: CREATE DATABASE IF NOT EXISTS when the database was missing, then the table's DDL. */
  statements: string[];
  created: boolean;
  /** Why it was not created: AWS's reason as said, the permission lacking when it is one, and what to do. */
  issue?: AwsIssue;
}

/** What acquire() read and loaded (src/core/aws/acquire.ts). */
export interface AcquireSummary {
  window: { since: string; until: string };
  accounts: string[];
  regions: string[];
  inventory: { files: number; items: number; calls: number; loaded: number; warnings: string[] };
  ipRanges: { status: string; syncToken?: string };
  sources: SourceReport[];
  fetched: number;
  skipped: number;
  failed: number;
  records: number;
  bytes: number;
  issues: AwsIssue[];
  /** Every Athena query that ran, as sent. */
  athenaSql: string[];
  seconds: number;
}

/** One flow log as ec2 DescribeFlowLogs lists it (src/core/aws/discover.ts). */
export interface DiscoveredFlowLog {
  account: string;
  region: string;
  flowLogId: string;
  /** The VPC, subnet, ENI, transit gateway... the flow log captures. */
  resourceId?: string;
  /** 's3', 'cloud-watch-logs' or 'kinesis-data-firehose'. */
  destinationType: string;
  /** s3://bucket/prefix (prefix as configured, before AWSLogs/), the log group name, or the stream ARN. */
  destination: string;
  /** The ${field} format as AWS reports it. */
  logFormat?: string;
  /** True when the format is the default version 2 format. */
  defaultFormat: boolean;
  fileFormat?: 'plain-text' | 'parquet';
  hive?: boolean;
  perHour?: boolean;
  trafficType?: string;
  status?: string;
  /** The spec acquire() reads it with (`s3://bucket/prefix`, `logs:<group>`, `firehose:<stream>`); absent when it cannot be read back. */
  sources?: string;
}

/** A folder's flow-log formats, as the pre-scan names them. */
export type FlowLogFormat = 'text' | 'gzip' | 'Parquet' | 'CloudWatch JSON';

/** What a folder holds before it is enriched (src/core/scan.ts): nothing loaded, each file told apart by the engine's detection. */
export interface FolderScan {
  /** Files found (hidden ones skipped, as ingest does). */
  files: number;
  flowLogs: number;
  /** Flow-log files by format. */
  formats: Partial<Record<FlowLogFormat, number>>;
  inventory: number;
  /** Neither (empty, binary, prose, unknown JSON) or unreadable. */
  other: number;
  /** The first few of those, by name. */
  otherExamples: string[];
  /**
   * Text flow-log files without a header line whose records fit no layout known here (AWS's defaults, the LogFormats
   * of DescribeFlowLogs responses in the folder), or several: they load only with their LogFormat given.
   */
  needFormat?: { files: number; fieldCounts: number[]; examples: string[] };
}
