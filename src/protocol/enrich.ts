/**
 * What an enrichment is asked to do: the one options type of `enrich()` (src/core/api.ts), which the CLI's
 * arguments, the wizard's plan, a dataset's remembered plan and the DuckDB worker's request all become.
 * Types only: the engine imports them from here, so the protocol imports nothing from the engine.
 */

export interface Progress {
  phase: 'sample' | 'inventory' | 'flow-logs' | 'enrich' | 'windows';
  message: string;
  done?: number;
  total?: number;
  /** Reading flow logs: records loaded so far (with done/total counting files). */
  records?: number;
}

/** The built-in sample estate, generated once into a temporary folder (a re-run reuses it). */
export interface SampleSource {
  kind: 'sample';
  seed?: number;
  days?: number;
  scale?: number;
}

/** Local files. */
export interface FilesSource {
  kind: 'files';
  /** Files or folders of flow logs (text, .gz, .parquet, CloudWatch event JSON). */
  flowLogs: string[];
  /** Folders (or files) of inventory dumps (AWS API JSON, CloudTrail events) and ip-ranges.json. */
  inventory?: string[];
  /** The flow logs' LogFormat (`${version} ${vpc-id} …`) for files without a header line. */
  logFormat?: string;
}

/** Shared config and credentials files (the SDK's defaults when unset). */
export interface ProfileFiles {
  /** Defaults to AWS_CONFIG_FILE or ~/.aws/config. */
  configFile?: string;
  /** Defaults to AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials. */
  credentialsFile?: string;
}

/** How AWS is reached: endpoint, CA bundle, proxy, retries (the environment and the profile are read as well). */
export interface AwsSettings {
  /** The starting profile's non-secret settings (profileSettings()); used for endpoint_url, ca_bundle, region. */
  profileSettings?: Record<string, string>;
  /** An endpoint for every service (overrides the environment and the profile). */
  endpoint?: string;
  /** A PEM file of extra trusted CAs (else AWS_CA_BUNDLE or the profile's ca_bundle). */
  caBundle?: string;
  /** An HTTP(S) proxy URL (else HTTPS_PROXY / https_proxy; NO_PROXY is honoured). */
  proxy?: string;
  /** Attempts per call, including the first (adaptive retry). Default 5. */
  maxAttempts?: number;
  /** Per-request socket timeout in ms. Default 60 s. */
  requestTimeout?: number;
  /** Environment to read (tests pass their own). Default process.env. */
  env?: NodeJS.ProcessEnv;
}

/** Athena push-down: where and how the aggregation runs. */
export interface AthenaSettings {
  workgroup?: string;
  /**
   * s3://bucket/prefix/ for the query's results (Athena uses it unless the workgroup overrides client-side settings,
   * and the workgroup's own when none is given). Where this or the workgroup's is known, the
   * reduction's rows are written there as Parquet (UNLOAD, under flowlens-unload/<uuid>/) and downloaded as such,
   * unless resultFormat is 'csv'.
   */
  outputLocation?: string;
  /** How the rows come down when an output location is known: 'parquet' (default, UNLOAD) or 'csv' (the query's result file). */
  resultFormat?: 'parquet' | 'csv';
  /** The reduction's window in seconds: 60 (default, the engine's conversation minute), 300 or 3600 (months of history). */
  windowSeconds?: number;
  /** An extra predicate for partition pruning, e.g. `day = '2026/09/01'` (shown with the SQL). */
  partitionFilter?: string;
  /** Refuse to run a query estimated to scan more bytes than this (`--max-scan`); unset: no limit. */
  maxScanBytes?: number;
  /** Athena's price in dollars per TB scanned (default 5). */
  pricePerTb?: number;
  /** Let Athena answer from a result of the same query at most this many minutes old (result reuse); unset: off. */
  reuseMinutes?: number;
  /** First poll delay in ms (doubles up to 5 s). */
  pollMs?: number;
  /**
   * When the table does not exist, create it with the DDL Flowlens shows (AWS's, for the account's one S3 flow log;
   * CREATE DATABASE IF NOT EXISTS first when the database is missing), then read it in the same run
   * (`--create-athena-table`). Needs a principal allowed glue:CreateTable (the read-only role is not). Unset: the DDL
   * is only shown.
   */
  createTable?: boolean;
}

/** AWS accounts read with the user's profiles: inventory collection, then flow logs (S3, CloudWatch Logs, Athena). */
export interface AwsSource {
  kind: 'aws';
  /** Starting profile (or several, used side by side). Default: the SDK's default chain. */
  profile?: string | string[];
  /** Role assumed in each of `accounts` (default FlowLogIntrospector when accounts are given). */
  role?: string;
  externalId?: string;
  accounts?: string[];
  regions: string[];
  /** Start of the window: a Date, an ISO time, or a duration back from now (`24h`, `90m`, `7d`). */
  since: Date | string;
  /** End of the window (default now). */
  until?: Date | string;
  /**
   * Explicit sources instead of discovery: s3://bucket/prefix, logs:<group>, athena:<database>.<table>; a
   * prefix `<account>/<region>=` reads it only with that account's credentials and in that region (how the
   * editor names a discovered flow log).
   */
  sources?: string[];
  /** Collect and load inventory (default true). */
  inventory?: boolean;
  /** Consent to download AWS's ip-ranges.json (default false: the cache is used if present). */
  ipRanges?: boolean;
  ipRangesUrl?: string;
  ipRangesCache?: string;
  /** Where inventory responses are written (default `<db>.aws/`). */
  dumpDir?: string;
  files?: ProfileFiles;
  settings?: AwsSettings;
  athena?: AthenaSettings;
  /** Account x region units collected in parallel (default 4). */
  concurrency?: number;
  /** Parallel S3 object downloads per source (default 8). */
  s3Concurrency?: number;
  /** CloudTrail LookupEvents per second per account and region (default 2, AWS's limit). */
  cloudTrailPerSecond?: number;
  /** FilterLogEvents per second per source (default 5). */
  logsPerSecond?: number;
}

export type EnrichSource = SampleSource | FilesSource | AwsSource;

export interface EnrichOptions {
  source: EnrichSource;
  /**
   * Store the raw flow records inside the dataset (fast raw forensics) instead of enriching them once and reading
   * flow_records from the files they came from (the default for a new dataset). Unset: the dataset's choice.
   */
  keepRecords?: boolean;
  /** Make every fact again from all the records (after records were forgotten, or to undo a merge's limits). */
  rebuild?: boolean;
  /** Cancels between steps and interrupts the running query; the dataset stays consistent. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
  /** Asked for the code when a profile's role needs MFA (AWS only). */
  mfaCodeProvider?: (mfaSerial: string) => Promise<string>;
}

/** The options as data (JSON-safe, no callbacks): what the DuckDB worker is sent and what a dataset remembers. */
export type EnrichRequest = Omit<EnrichOptions, 'signal' | 'onProgress' | 'mfaCodeProvider'>;

/** One cycle of following a source (`flowlens enrich … --follow`, the sidebar's Follow). */
export interface FollowCycle {
  /** 1 for the first cycle of this follower. */
  cycle: number;
  /** What is followed: files in folders, or AWS (S3 objects, CloudWatch Logs batches). */
  kind: 'files' | 'aws';
  /** When the cycle started (ISO). */
  at: string;
  /** Files, S3 objects or CloudWatch Logs batches loaded in this cycle. */
  fetched: number;
  records: number;
  bytes: number;
  failed: number;
  /** Whether the conversations were rebuilt (only when something new was loaded, or the first cycle). */
  rebuilt: boolean;
  /** Conversations in the dataset after the cycle (when rebuilt). */
  conversations?: number;
  seconds: number;
  /**
   * One line per problem: a failed file or object, an AWS issue, the dataset held by another process, an interface two
   * flow logs log (whose records were left out).
   */
  issues: string[];
  /** The cycle did not run: the dataset could not be opened for writing (another process holds it). */
  busy?: boolean;
}
