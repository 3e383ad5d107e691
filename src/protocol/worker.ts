/**
 * The typed request protocol between the extension host and its DuckDB child process
 * (src/host/duckdbWorker.ts). Types and runtime guards only: no 'vscode', no DOM, no DuckDB.
 *
 * Host -> child: requests `{ kind: 'request', id, method, params }`.
 * Child -> host: one reply per request `{ kind: 'reply', id, ok, result | error }`, progress
 * notifications `{ kind: 'progress', id, progress }` for long requests, and once at start `{ kind: 'ready' }`.
 * A request is cancelled with the `cancel` method naming its id: a query is interrupted (DuckDB's
 * interrupt), an enrichment is aborted through its AbortSignal; the cancelled request still gets exactly one reply.
 *
 * `enrich` from AWS and `discover` can need an MFA code: the child then asks the host
 * `{ kind: 'mfa', id, ask, serial }` (id = the enrich/discover request) and the host answers `{ kind: 'mfaReply', id, ask, code }` or `{ ..., cancelled: true }`.
 *
 * `follow` runs enrichment cycles on the open dataset until it is cancelled (or the dataset is closed); after
 * each cycle the child sends `{ kind: 'cycle', id, cycle }`, and the reply comes when following stops.
 * The code only travels over the IPC channel; neither side logs it.
 */

import { arrayOf, fields, isBool, isInt, isNum, isObject, isString, nullable, opt, request, shape, type Guarded } from './guards';
import type { AwsSource, EnrichRequest, EnrichSource, FollowCycle } from './enrich';
import type { AcquireSummary, AthenaTableCreation, AwsIssue, DiscoveredFlowLog, FolderScan } from './reports';

export type { EnrichRequest, FollowCycle };

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface ColumnInfo {
  name: string;
  /** DuckDB type as text: VARCHAR, BIGINT, TIMESTAMP, VARCHAR[], MAP(VARCHAR, VARCHAR), ... */
  type: string;
}

/** A result with a row cap: `rows` holds at most the cap; `total` counts every row the query produced. */
export interface QueryResult {
  columns: ColumnInfo[];
  /** Row-major, JSON-friendly values (BIGINT as number when safe, else string; timestamps as text). */
  rows: Json[][];
  total: number;
  truncated: boolean;
  /** Wall time of the query in milliseconds, measured in the child. */
  ms: number;
}

/** A bound parameter as it travels over IPC: its DuckDB type and its text, cast by DuckDB. */
export interface WireParam {
  name: string;
  type: string;
  value: string;
}

export interface DatasetInfo {
  path: string;
  sizeBytes: number;
  /** First and last window_start of the conversations, ISO text, or null when empty. */
  from: string | null;
  to: string | null;
  conversations: number;
  flowRecords: number;
  accounts: string[];
  regions: string[];
  /** When the dataset was last loaded (max ingest/inventory load time), ISO text or null. */
  lastRefresh: string | null;
}

export interface EnrichProgress {
  phase: string;
  message: string;
  done?: number;
  total?: number;
  /** Reading flow logs: records loaded so far (done/total then count files). */
  records?: number;
}

export interface EnrichResult {
  records: number;
  badLines: number;
  conversations: number;
  seconds: number;
  files: { name: string; status: string; records: number; badLines: number; error?: string }[];
  inventoryWarnings: string[];
  /** What the enrichment said of the records (an interface logged by two flow logs: whose records were left out). */
  warnings: string[];
  /** Reading from AWS: the summary (per-source reports keep only the files that failed or had bad lines) and its text. */
  aws?: {
    summary: AcquireSummary;
    /** formatAcquireSummary(summary): secrets redacted. */
    text: string;
  };
}

export interface FollowRequest {
  request: EnrichRequest;
  /** The dataset to follow: opened first when another is open (see EnrichCall). */
  dataset?: OpenParams;
  /** The pause from the end of one cycle to the start of the next. */
  intervalMs: number;
}

export interface FollowResult {
  cycles: number;
  /** Why following stopped: cancelled, or the dataset was closed or replaced by another. */
  stopped: string;
}

/** Which flow logs exist (ec2 DescribeFlowLogs per account and region); reads nothing, needs no dataset. */
export interface DiscoverRequest {
  profile?: string;
  /** Role assumed in each of `accounts`. */
  role?: string;
  externalId?: string;
  accounts?: string[];
  regions: string[];
  /** Account x region calls in parallel (default 4). */
  concurrency?: number;
}

export interface DiscoverResult {
  /** Sorted by account, region, flow log id; `sources` is the spec `acquire` reads it with. */
  flowLogs: DiscoveredFlowLog[];
  /** Per account (sign-in) or account/region (DescribeFlowLogs) failures, redacted; the others are listed. */
  issues: AwsIssue[];
  /** Accounts signed in to. */
  accounts: string[];
}

/**
 * Creates the missing table of one Athena source of a run (the editor's "Create the Athena table…"), with the DDL
 * that run showed, read as that run read it (`source`: its AWS source). Touches no dataset.
 */
export interface AthenaTableRequest {
  source: AwsSource;
  /** The source's report id: athena://<catalog>/<database>/<table>. */
  table: string;
  account: string;
  region: string;
  /** The statement shown (one CREATE EXTERNAL TABLE of that table; anything else is refused). */
  ddl: string;
}

/** A loaded flow-log file of the open dataset (its loads summed when it was loaded again after it changed). */
export interface LoadedFile {
  /** As loaded: a local path, s3://bucket/key, cwl://group/stream, … */
  name: string;
  records: number;
  bytes: number;
  /** ISO text. */
  loadedAt: string | null;
}

export interface ForgetResult {
  /** The files forgotten, with their records; empty when none of the names was loaded (nothing changed). */
  files: { name: string; records: number }[];
  /** The conversation facts after enriching again from the remaining records; null when nothing changed. */
  conversations: number | null;
}

export interface OpenParams {
  path: string;
  readOnly?: boolean;
  memoryLimit?: string;
  /** The one folder query SQL may read files from and COPY to (none when absent). */
  exportDir?: string;
}

export interface QueryParams {
  sql: string;
  params?: WireParam[];
  rowCap: number;
  allowWrites?: boolean;
}

type None = Record<string, never>;
const none = shape<None>({});
const isOpenParams = shape<OpenParams>({ path: isString, readOnly: opt(isBool), memoryLimit: opt(isString), exportDir: opt(isString) });

/**
 * An enrichment sent to the DuckDB process, with the dataset it is for: the process opens that one first when another
 * is open, in the same request, so that nothing opened in between (a background summary, a view showing the active
 * dataset) can make it write into another dataset.
 */
export type EnrichCall = EnrichRequest & { dataset?: OpenParams };

function isEnrichCall(x: unknown): x is EnrichCall {
  return isEnrichRequest(x) && (!('dataset' in x) || x.dataset === undefined || isOpenParams(x.dataset));
}

const isWireParam = shape<WireParam>({ name: isString, type: isString, value: isString });
const strings = arrayOf(isString);

/**
 * Every method, once: the guard of its parameters (the child checks every request with it) and of its result (the
 * host checks every reply with it). WorkerMethods derives from it.
 */
export const WORKER_REQUESTS = {
  /** Opens (creating when needed) a dataset; closes the one open before. */
  open: request(
    isOpenParams,
    shape<{ path: string }>({ path: isString }),
  ),
  /** User SQL: read-only unless allowWrites; no file access beyond the open's exportDir; no INSTALL/LOAD. */
  query: request(
    shape<QueryParams>({ sql: isString, params: opt(arrayOf(isWireParam)), rowCap: isNum, allowWrites: opt(isBool) }),
    shape<QueryResult>({
      columns: arrayOf(shape<ColumnInfo>({ name: isString, type: isString })),
      rows: arrayOf((x): x is Json[] => Array.isArray(x)),
      total: isNum,
      truncated: isBool,
      ms: isNum,
    }),
  ),
  info: request(none, fields<DatasetInfo>({
    path: isString, sizeBytes: isNum, from: nullable(isString), to: nullable(isString), conversations: isNum, flowRecords: isNum,
    accounts: strings, regions: strings, lastRefresh: nullable(isString),
  })),
  /** The open dataset's loaded flow-log files, by name. */
  loadedFiles: request(none, shape<{ files: LoadedFile[] }>({
    files: arrayOf(fields<LoadedFile>({ name: isString, records: isNum, bytes: isNum, loadedAt: nullable(isString) })),
  })),
  /**
   * Forgets loaded files by exact name (their records, bad-line reports and totals), then enriches again from
   * every remaining record, reporting progress; the files can be loaded again. Not cancellable: the rebuild
   * after the forget has to finish for the facts to match the records.
   */
  forget: request(
    shape<{ names: string[]; dataset?: OpenParams }>({ names: strings, dataset: opt(isOpenParams) }),
    fields<ForgetResult>({ files: arrayOf(fields({ name: isString, records: isNum })), conversations: nullable(isNum) }),
  ),
  /** Loads the source (sample, files or AWS) into the dataset (opened first when another is open), then rebuilds the conversations. */
  enrich: request(isEnrichCall, fields<EnrichResult>({
    records: isNum, badLines: isNum, conversations: isNum, seconds: isNum, files: arrayOf(isObject), inventoryWarnings: strings,
  })),
  /** Keeps the open dataset current from the source, a cycle every interval, until cancelled. */
  follow: request(
    shape<FollowRequest>({ request: isEnrichRequest, intervalMs: isNum, dataset: opt(isOpenParams) }),
    shape<FollowResult>({ cycles: isNum, stopped: isString }),
  ),
  /** Lists the flow logs of the accounts and regions (MFA asked like `enrich`); cancellable. */
  discover: request(
    shape<DiscoverRequest>({ profile: opt(isString), role: opt(isString), externalId: opt(isString), accounts: opt(strings), regions: strings, concurrency: opt(isNum) }),
    fields<DiscoverResult>({ flowLogs: arrayOf(isObject), issues: arrayOf(isObject), accounts: strings }),
  ),
  /** What files and folders hold before they are enriched (the wizard's folder step); reads heads only, needs no dataset. */
  scan: request(
    shape<{ paths: string[] }>({ paths: strings }),
    fields<FolderScan>({ files: isNum, flowLogs: isNum, formats: isObject, inventory: isNum, other: isNum, otherExamples: strings }),
  ),
  /** Runs the DDL of a missing Athena table (MFA asked like `enrich`); cancellable; needs no dataset. */
  createAthenaTable: request(
    shape<AthenaTableRequest>({
      source: (x: unknown): x is AwsSource => isObject(x) && x.kind === 'aws' && isEnrichRequest({ source: x }),
      table: isString, account: isString, region: isString, ddl: isString,
    }),
    fields<AthenaTableCreation>({
      source: isString, account: isString, region: isString, catalog: isString, database: isString, table: isString, workgroup: isString,
      statements: strings, created: isBool,
    }),
  ),
  /** Cancels the request with id `target` if it is still running; `cancelled` says whether it was. */
  cancel: request(shape<{ target: number }>({ target: isInt }), shape<{ cancelled: boolean }>({ cancelled: isBool })),
  /** Closes the open dataset (releasing its file lock). */
  close: request(none, shape<{ closed: boolean }>({ closed: isBool })),
  /** Crashes the child on purpose (tests of crash isolation only). */
  crash: request(none, (x): x is never => false),
};

/** Every method: its parameters and its result, as WORKER_REQUESTS checks them. */
export type WorkerMethods = { [M in keyof typeof WORKER_REQUESTS]: { params: Guarded<(typeof WORKER_REQUESTS)[M]['params']>; result: Guarded<(typeof WORKER_REQUESTS)[M]['result']> } };

export type WorkerMethod = keyof WorkerMethods;
export const WORKER_METHODS = Object.keys(WORKER_REQUESTS) as WorkerMethod[];

/** Methods cancelled through an AbortSignal (their cancellation code is 'cancelled', not 'interrupted'). */
export function isAbortable(method: WorkerMethod): boolean {
  return method === 'enrich' || method === 'follow' || method === 'discover' || method === 'createAthenaTable';
}

export interface WorkerRequest<M extends WorkerMethod = WorkerMethod> {
  kind: 'request';
  id: number;
  method: M;
  params: WorkerMethods[M]['params'];
}

export interface WorkerError {
  message: string;
  /** 'interrupted' when a query was interrupted, 'cancelled' when an enrichment was aborted. */
  code?: 'interrupted' | 'cancelled' | 'no-dataset' | 'bad-request' | 'failed';
}

export type WorkerReply =
  | { kind: 'reply'; id: number; ok: true; result: unknown }
  | { kind: 'reply'; id: number; ok: false; error: WorkerError };

export interface WorkerProgress {
  kind: 'progress';
  id: number;
  progress: EnrichProgress;
}

export interface WorkerReady {
  kind: 'ready';
  pid: number;
}

/** Child -> host: a `follow` request (`id`) finished a cycle. */
export interface WorkerFollowCycle {
  kind: 'cycle';
  id: number;
  cycle: FollowCycle;
}

/** Child -> host: the running request `id` needs an MFA code for `serial`; `ask` numbers the question. */
export interface WorkerMfaAsk {
  kind: 'mfa';
  id: number;
  ask: number;
  serial: string;
}

/** Host -> child: the answer to an MFA question. */
export type WorkerMfaReply =
  | { kind: 'mfaReply'; id: number; ask: number; code: string }
  | { kind: 'mfaReply'; id: number; ask: number; cancelled: true };

export type WorkerMessage = WorkerReply | WorkerProgress | WorkerReady | WorkerMfaAsk | WorkerFollowCycle;

/** Runtime guard for what the child receives: a known method with parameters its guard accepts. */
export function isWorkerRequest(x: unknown): x is WorkerRequest {
  return (
    isObject(x) &&
    x.kind === 'request' &&
    typeof x.id === 'number' &&
    typeof x.method === 'string' &&
    (WORKER_METHODS as readonly string[]).includes(x.method) &&
    WORKER_REQUESTS[x.method as WorkerMethod].params(x.params)
  );
}

/** Runtime guard for what the host receives. */
export function isWorkerMessage(x: unknown): x is WorkerMessage {
  if (!isObject(x)) return false;
  if (x.kind === 'ready') return typeof x.pid === 'number';
  if (x.kind === 'progress') return typeof x.id === 'number' && isObject(x.progress);
  if (x.kind === 'mfa') return typeof x.id === 'number' && typeof x.ask === 'number' && typeof x.serial === 'string';
  if (x.kind === 'cycle') return typeof x.id === 'number' && isObject(x.cycle) && typeof x.cycle.cycle === 'number' && Array.isArray(x.cycle.issues);
  if (x.kind === 'reply') {
    if (typeof x.id !== 'number' || typeof x.ok !== 'boolean') return false;
    return x.ok ? 'result' in x : isObject(x.error) && typeof x.error.message === 'string';
  }
  return false;
}

const SOURCE_KINDS: readonly EnrichSource['kind'][] = ['sample', 'files', 'aws'];

/** Runtime guard for an enrichment request: a source of a known kind with what that kind needs. */
export function isEnrichRequest(x: unknown): x is EnrichRequest {
  if (!isObject(x) || !isObject(x.source) || !(SOURCE_KINDS as readonly unknown[]).includes(x.source.kind)) return false;
  const s = x.source;
  const strings = (v: unknown) => Array.isArray(v) && v.every((e) => typeof e === 'string');
  if (s.kind === 'files') return strings(s.flowLogs) && (s.inventory === undefined || strings(s.inventory));
  if (s.kind === 'aws') return strings(s.regions) && (typeof s.since === 'string' || s.since instanceof Date);
  return true;
}

/** Runtime guard for an MFA answer the child receives. */
export function isMfaReply(x: unknown): x is WorkerMfaReply {
  return (
    isObject(x) &&
    x.kind === 'mfaReply' &&
    typeof x.id === 'number' &&
    typeof x.ask === 'number' &&
    (typeof x.code === 'string' || x.cancelled === true)
  );
}
