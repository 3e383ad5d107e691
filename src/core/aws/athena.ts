/**
 * Athena push-down for estates too big to pull: the reduction (athena-reduction.sql) runs in the user's Athena
 * over their flow-log table, and only its rows come down, loaded as facts (flowlogs/reduced.ts). Before it runs:
 * the table's columns and partitions (GetTableMetadata; and the partitions registered in Glue, GetPartitions, when
 * some key is not known by its name), so that the window and regions are predicates on the
 * partitions, and an estimate of the bytes it will scan (the sizes of the S3 objects under the window's
 * partitions) and their price, refused above `maxScanBytes` (the editor then asks, and runs it again allowed
 * that estimate). It runs in the
 * user's workgroup (its limits apply; the output location given is the query's unless the workgroup overrides
 * client-side settings, and an UNLOAD writes its files under its TO location whatever the workgroup says),
 * is polled, and its result is read from the Parquet files it is UNLOADed to when an output location is known (GZIP
 * Parquet: 9x fewer bytes than the CSV over 10 M random records), else from the CSV file Athena writes to the
 * output location (one download), else (that file cannot be read) page by page with GetQueryResults; a cancel stops it (StopQueryExecution); the bytes it
 * really scanned come from its statistics. The SQL is returned so the user sees what ran. The time of the window the
 * dataset holds from the table already (its loaded results' names say: athenaWindows.ts) is not read again, so a
 * re-run, or a Refresh asking again after another table failed, counts no record twice.
 */
import {
  GetQueryExecutionCommand,
  GetTableMetadataCommand,
  GetWorkGroupCommand,
  paginateGetQueryResults,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import { GetPartitionsCommand, paginateGetPartitions, type GetPartitionsCommandOutput, type GlueClient } from '@aws-sdk/client-glue';
import { GetObjectCommand, paginateListObjectsV2, type S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import { createWriteStream, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { AccountSet, AthenaScan, SourceReport } from '../../protocol/reports';
import type { AthenaSettings } from '../../protocol/enrich';
import { formatBytes, formatTime, formatUsd, plural } from '../format';
import { loadReducedRows, ReducedRows } from '../flowlogs/reduced';
import { Db, lit } from '../store/db';
import { flowLogTableDdl, type FlowLogDestination } from './athenaDdl';
import { missingColumns, quoteTable, REDUCED_COLUMNS, REQUIRED_COLUMNS, reductionSql, reductionWindow, startsIn } from './athenaReduction';
import { accountPredicate, formatScanCost, regionPredicate, registeredParts, isProjected, outermost, parseS3Uri, partitionKeysText, partsPlan, registeredReadEnd, scanPrice, tableLocation, DEFAULT_PRICE_PER_TB, type PartitionPlan, type PlanPart,
  type RegisteredPartition, type TableInfo } from './athenaTable';
import { parseResultRecord, resultName, resultRead, resultRecordText, spansWithout, unionAccounts, unreadParts, unreadSpan, type HeldRead, type ReadPart, type ResultRecord,
  type Span } from './athenaWindows';
import { SETTLE_MINUTES, settledEnd } from './delivery';
import { whose } from './readSummary';
import { describeAwsError } from './errors';
import { everyPage } from './paging';
import { mapPool, sleep } from './pool';
import { Mutex } from './s3';
import type { AthenaSource } from './sources';

export interface AthenaOptions extends AthenaSettings {
  since: Date;
  until: Date;
  /** The regions of the flow logs wanted (a predicate on the table's region partition, when it has one). */
  regions?: readonly string[];
  /** Lists the table's objects for the scan estimate (absent: no estimate). */
  s3?: S3Client;
  /**
   * Reads the partitions registered for the table (GetPartitions), when a partition key is not known by its name (a
   * Glue crawler's partition_0 …): their values recognise it, their locations are what the estimate lists. Absent:
   * not read.
   */
  glue?: GlueClient;
  /** Minutes before now the window ends at the latest, as flow logs are still being delivered (default SETTLE_MINUTES). */
  settleMinutes?: number;
  /** The time the run starts at (default: now). */
  now?: Date;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

/** The table's columns, partition keys and parameters, as Athena's catalogue describes them. */
async function describeTable(athena: AthenaClient, src: AthenaSource, opts: { abortSignal?: AbortSignal }): Promise<TableInfo> {
  const r = await athena.send(new GetTableMetadataCommand({ CatalogName: src.catalog ?? 'AwsDataCatalog', DatabaseName: src.database, TableName: src.table }), opts);
  const t = r.TableMetadata;
  return {
    columns: (t?.Columns ?? []).map((c) => (c.Name ?? '').toLowerCase()),
    partitionKeys: (t?.PartitionKeys ?? []).map((k) => ({ name: k.Name ?? '', type: k.Type ?? 'string' })),
    parameters: t?.Parameters ?? {},
  };
}

/**
 * AWS's DDL for a table named as the source over each S3 flow log of its account in the dataset's inventory, of the
 * regions read (a flow log writes under its own region's folder: one of another region has nothing there).
 */
async function tableDdl(db: Db, src: AthenaSource, o: AthenaOptions): Promise<string[]> {
  const regions = o.regions?.length ? `AND (region IS NULL OR region IN (${o.regions.map(lit).join(', ')}))` : '';
  const logs = await db.all<{ log_destination: string; account_id: string | null; log_format: string | null; file_format: string | null; hive_partitions: boolean | null; region: string | null }>(
    `SELECT DISTINCT log_destination, account_id, log_format, file_format, hive_partitions, region FROM inv_flow_logs
     WHERE destination_type = 's3' AND log_destination IS NOT NULL AND account_id = $a ${regions} ORDER BY log_destination, log_format`, { a: src.account });
  const out = new Set<string>();
  for (const l of logs) {
    const f: FlowLogDestination = { destination: l.log_destination, account: l.account_id ?? src.account, hive: l.hive_partitions === true,
      ...(l.log_format ? { logFormat: l.log_format } : {}), ...(l.file_format ? { fileFormat: l.file_format } : {}) };
    try {
      out.add(flowLogTableDdl(f, { database: src.database, table: src.table, regions: o.regions?.length ? o.regions : [l.region ?? src.region], since: o.since }));
    } catch {
      // not an S3 destination Flowlens can read
    }
  }
  return [...out];
}

const listOpts = (signal?: AbortSignal) => (signal ? { abortSignal: signal } : {});

/** Glue's parallel segments of one GetPartitions listing (its most). */
export const PARTITION_SEGMENTS = 10;

/**
 * The partitions registered for the table in the Glue catalogue (GetPartitions, every page): values and locations,
 * ordered by their values. A table of more than a page (1,000 partitions: a crawler's daily partitions of an
 * organisation's accounts and regions pass that in days) is read again in Glue's PARTITION_SEGMENTS segments side by
 * side, so that its listing takes a tenth of the round trips one after another (100,000 partitions: 11 in a row, not
 * 100) before the query can be sent.
 */
async function registeredPartitions(glue: GlueClient, src: AthenaSource, signal?: AbortSignal): Promise<RegisteredPartition[]> {
  const input = { DatabaseName: src.database, TableName: src.table, ExcludeColumnSchema: true };
  const partitionsOf = (page: GetPartitionsCommandOutput): RegisteredPartition[] => (page.Partitions ?? [])
    .map((p) => ({ values: p.Values ?? [], ...(p.StorageDescriptor?.Location ? { location: p.StorageDescriptor.Location } : {}) }));
  const first = await glue.send(new GetPartitionsCommand(input), listOpts(signal));
  let all = partitionsOf(first);
  if (first.NextToken) {
    const segments = await Promise.all(Array.from({ length: PARTITION_SEGMENTS }, async (_, n) => {
      const out: RegisteredPartition[] = [];
      const segment = { SegmentNumber: n, TotalSegments: PARTITION_SEGMENTS };
      await everyPage(paginateGetPartitions({ client: glue }, { ...input, Segment: segment }, listOpts(signal)), 'NextToken', (page) => out.push(...partitionsOf(page)));
      return out;
    }));
    all = segments.flat();
  }
  const key = (p: RegisteredPartition) => p.values.join('\u0000');
  return all.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
const listed = { tokenOf: (page: { IsTruncated?: boolean; NextContinuationToken?: string }) => (page.IsTruncated ? page.NextContinuationToken : undefined) };

/** The folders (common prefixes) one level below an s3:// prefix. */
async function foldersUnder(s3: S3Client, uri: string, signal?: AbortSignal): Promise<string[]> {
  const loc = parseS3Uri(uri);
  if (!loc) throw new Error(`the table's location ${uri} is not an s3:// address`);
  const out = new Set<string>();
  await everyPage(paginateListObjectsV2({ client: s3 }, { Bucket: loc.bucket, Prefix: loc.prefix, Delimiter: '/' }, listOpts(signal)), 'NextContinuationToken', (page) => {
    for (const c of page.CommonPrefixes ?? []) if (c.Prefix) out.add(`s3://${loc.bucket}/${c.Prefix}`);
  }, listed);
  return [...out];
}

/**
 * A prefix with `${key}` levels (a partition key the query does not constrain, such as the account id) as the
 * prefixes that exist: each such level is listed with a delimiter (one call a level, not the objects below it); a
 * `${key!a,b}` level is every value there but a and b.
 */
async function expandPrefix(s3: S3Client, uri: string, signal?: AbortSignal): Promise<string[]> {
  const at = uri.indexOf('${');
  if (at < 0) return [uri];
  const segStart = uri.lastIndexOf('/', at) + 1;
  const close = uri.indexOf('}', at);
  const slash = uri.indexOf('/', close);
  const [before, after] = [uri.slice(segStart, at), uri.slice(close + 1, slash < 0 ? undefined : slash)];
  if (slash < 0) return [uri.slice(0, segStart)];
  const unwanted = uri.slice(at + 2, close).split('!')[1]?.split(',') ?? [];
  const out: string[] = [];
  for (const folder of await foldersUnder(s3, uri.slice(0, segStart), signal)) {
    const segment = folder.slice(segStart, -1);
    const value = segment.slice(before.length, segment.length - after.length);
    if (segment.startsWith(before) && segment.endsWith(after) && !unwanted.includes(value)) out.push(...(await expandPrefix(s3, folder + uri.slice(slash + 1), signal)));
  }
  return out;
}

/**
 * The bytes of the objects the query's partitions hold: under each of the plan's prefixes (its `${key}` levels
 * found by listing). Prefixes built by the Hive convention are used only when the location really has a
 * `<first key>=` level; otherwise (partitions added with locations of their own) the whole location is listed
 * and `say` tells why.
 */
async function objectBytes(s3: S3Client, plan: PartitionPlan, say: (m: string) => void, signal?: AbortSignal): Promise<number> {
  let prefixes = plan.prefixes;
  if (plan.hive) {
    const levels = await foldersUnder(s3, plan.hive.location, signal);
    const level = `${plan.hive.location}${plan.hive.firstKey}=`;
    if (levels.length && !levels.some((f) => f.startsWith(level))) {
      say(`its objects do not lie in ${plan.hive.firstKey}=… folders under ${plan.hive.location}: the estimate counts every object there`);
      prefixes = [plan.hive.location];
    }
  }
  // (the parts of a query may name the same partitions: each listed once)
  const concrete = new Set<string>();
  for (const p of prefixes) for (const c of await expandPrefix(s3, p, signal)) concrete.add(c);
  let total = 0;
  for (const c of outermost([...concrete])) {
    const loc = parseS3Uri(c);
    if (!loc) throw new Error(`the table's location ${c} is not an s3:// address`);
    await everyPage(paginateListObjectsV2({ client: s3 }, { Bucket: loc.bucket, Prefix: loc.prefix }, listOpts(signal)), 'NextContinuationToken', (page) => {
      for (const o of page.Contents ?? []) total += o.Size ?? 0;
    }, listed);
  }
  return total;
}

/**
 * The result file Athena wrote at the output location (CSV: a header, every value quoted, NULL as nothing between
 * two commas) downloaded in one stream, and its rows added to `rows` by column name, read by DuckDB (a scratch
 * in-memory database, never the dataset). Returns the bytes downloaded.
 */
async function rowsFromResultFile(s3: S3Client, location: string, rows: ReducedRows, signal?: AbortSignal): Promise<number> {
  const loc = parseS3Uri(location);
  if (!loc || !loc.prefix) throw new Error(`the output location ${location} is not an s3:// object`);
  const dir = await mkdtemp(join(tmpdir(), 'flowlens-athena-result-'));
  try {
    const file = join(dir, 'result.csv');
    const r = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: loc.prefix }), signal ? { abortSignal: signal } : {});
    if (!(r.Body instanceof Readable)) throw new Error(`the result file ${location} came without a body`);
    await pipeline(r.Body, createWriteStream(file), signal ? { signal } : {});
    const scratch = await Db.open(':memory:');
    try {
      const cols = REDUCED_COLUMNS.map((c) => `"${c}"`).join(', ');
      for await (const chunk of scratch.chunks<Record<string, string | null>>(`SELECT ${cols} FROM read_csv(${lit(file)}, header = true, delim = ',',
          quote = '"', escape = '"', all_varchar = true, allow_quoted_nulls = false, auto_detect = true)`)) {
        rows.add(chunk.map((row) => REDUCED_COLUMNS.map((c) => row[c] ?? null)));
      }
    } finally {
      scratch.close();
    }
    return statSync(file).size;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Where the rows are written as Parquet (UNLOAD): a folder of its own, empty as UNLOAD needs it, under the output
 * location given, else the workgroup's (GetWorkGroup). Not when neither is known (a workgroup whose results Athena
 * manages, or GetWorkGroup denied: said, and the CSV result read), when the CSV result is asked for, or when result
 * reuse is (each UNLOAD names a new folder, so none would be reused).
 */
async function unloadLocation(athena: AthenaClient, o: AthenaOptions, say: (m: string) => void, opts: { abortSignal?: AbortSignal }): Promise<string | undefined> {
  if (!o.s3 || o.resultFormat === 'csv' || o.reuseMinutes) return undefined;
  let base = o.outputLocation;
  if (base === undefined) {
    try {
      const r = await athena.send(new GetWorkGroupCommand({ WorkGroup: o.workgroup ?? 'primary' }), opts);
      base = r.WorkGroup?.Configuration?.ResultConfiguration?.OutputLocation;
      if (!base) say(`the workgroup ${o.workgroup ?? 'primary'} sets no S3 output location: the rows come down as its CSV result (an output location, --athena-output or the wizard's output location, has them as Parquet)`);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      say(`cannot read the workgroup ${o.workgroup ?? 'primary'} (${(err as Error).message.split('\n')[0]}): the rows come down as the CSV result (an output location, --athena-output or the wizard's output location, has them as Parquet)`);
    }
    if (!base) return undefined;
  }
  if (!parseS3Uri(base)) throw new Error(`the Athena output location ${base} is not an s3:// address`);
  return `${base.replace(/\/*$/, '/')}flowlens-unload/${randomUUID()}/`;
}

/** The reduction written as Parquet files (Athena's default compression for them, GZIP) under `to`. */
export function unloadSql(sql: string, to: string): string {
  return `UNLOAD (\n${sql}\n) TO '${to.replace(/'/g, "''")}' WITH (format = 'PARQUET')`;
}

/**
 * The Parquet files an UNLOAD wrote under `location` (everything there: the folder was empty and is the query's
 * own), downloaded 4 at a time, and their rows added to `rows` by column name, read by DuckDB (a scratch in-memory
 * database). Returns the bytes downloaded.
 */
async function rowsFromUnload(s3: S3Client, location: string, rows: ReducedRows, signal?: AbortSignal): Promise<number> {
  const loc = parseS3Uri(location)!;
  const objects: { key: string; size: number }[] = [];
  await everyPage(paginateListObjectsV2({ client: s3 }, { Bucket: loc.bucket, Prefix: loc.prefix }, signal ? { abortSignal: signal } : {}), 'NextContinuationToken', (page) => {
    for (const o of page.Contents ?? []) if (o.Key && (o.Size ?? 0) > 0) objects.push({ key: o.Key, size: o.Size ?? 0 });
  }, { tokenOf: (page) => (page.IsTruncated ? page.NextContinuationToken : undefined) });
  if (objects.length === 0) return 0;
  const dir = await mkdtemp(join(tmpdir(), 'flowlens-athena-unload-'));
  try {
    const files = await mapPool(objects, 4, async (o, i) => {
      const file = join(dir, `part-${i}.parquet`);
      const r = await s3.send(new GetObjectCommand({ Bucket: loc.bucket, Key: o.key }), signal ? { abortSignal: signal } : {});
      if (!(r.Body instanceof Readable)) throw new Error(`s3://${loc.bucket}/${o.key} came without a body`);
      await pipeline(r.Body, createWriteStream(file), signal ? { signal } : {});
      return file;
    });
    const scratch = await Db.open(':memory:');
    try {
      const cols = REDUCED_COLUMNS.map((c) => `CAST("${c}" AS VARCHAR) AS "${c}"`).join(', ');
      for await (const chunk of scratch.chunks<Record<string, string | null>>(`SELECT ${cols} FROM read_parquet([${files.map(lit).join(', ')}], union_by_name = true)`)) {
        rows.add(chunk.map((row) => REDUCED_COLUMNS.map((c) => row[c] ?? null)));
      }
    } finally {
      scratch.close();
    }
    return files.reduce((n, f) => n + statSync(f).size, 0);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The result's pages (GetQueryResults, 1,000 rows each) added to `rows`: the first row of the first page is the
 * header; columns found by name. Returns the bytes of the values read.
 */
async function rowsFromPages(athena: AthenaClient, id: string, rows: ReducedRows, opts: { abortSignal?: AbortSignal }): Promise<number> {
  let downloaded = 0;
  let first = true;
  let at: number[] | undefined;
  await everyPage(paginateGetQueryResults({ client: athena }, { QueryExecutionId: id, MaxResults: 1000 }, opts), 'NextToken', (r) => {
    const page = r.ResultSet?.Rows ?? [];
    if (!at) {
      const names = (r.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => (c.Name ?? '').toLowerCase());
      at = REDUCED_COLUMNS.map((c) => names.indexOf(c));
      const absent = REDUCED_COLUMNS.filter((_, i) => at![i]! < 0);
      if (absent.length) throw Object.assign(new Error(`the result has no ${absent.join(', ')} column`), { name: 'MalformedResult' });
    }
    const out: (string | null)[][] = [];
    for (const [i, row] of page.entries()) {
      const v = (row.Data ?? []).map((d) => d.VarCharValue ?? null);
      if (first && i === 0 && v[at[0]!] === REDUCED_COLUMNS[0]) continue; // header
      for (const x of v) downloaded += (x?.length ?? 0) + 1;
      out.push(at.map((j) => v[j] ?? null));
    }
    rows.add(out);
    first = false;
  });
  return downloaded;
}

/** How a query runs: where (workgroup, output location), result reuse, the first poll delay, cancellation. */
export type QueryRun = Pick<AthenaSettings, 'workgroup' | 'outputLocation' | 'reuseMinutes' | 'pollMs'> & { signal?: AbortSignal };

/**
 * StartQueryExecution of `sql` in the source's catalog (and database, unless `database` is false: a CREATE DATABASE
 * names one that may not exist yet), in the workgroup, with the output location given. Returns the query's id.
 */
export async function startQuery(athena: AthenaClient, sql: string, src: Pick<AthenaSource, 'catalog' | 'database'>, o: QueryRun,
  opts: { abortSignal?: AbortSignal }, database = true): Promise<string> {
  const r = await athena.send(
    new StartQueryExecutionCommand({
      QueryString: sql,
      QueryExecutionContext: { ...(database ? { Database: src.database } : {}), ...(src.catalog ? { Catalog: src.catalog } : {}) },
      ...(o.workgroup ? { WorkGroup: o.workgroup } : {}),
      ...(o.outputLocation ? { ResultConfiguration: { OutputLocation: o.outputLocation } } : {}),
      ...(o.reuseMinutes ? { ResultReuseConfiguration: { ResultReuseByAgeConfiguration: { Enabled: true, MaxAgeInMinutes: o.reuseMinutes } } } : {}),
    }),
    opts,
  );
  return r.QueryExecutionId ?? '';
}

/**
 * GetQueryExecution until the query ends (SUCCEEDED, FAILED or CANCELLED), the first poll after `pollMs` (250 ms)
 * and each next one twice as late, up to 5 s; every answer goes to `onPoll`. Returns the last QueryExecution. A
 * cancel stops the query in Athena too (StopQueryExecution) and throws.
 */
export async function awaitQuery(athena: AthenaClient, id: string, o: QueryRun, onPoll?: (q: QueryExecution) => void): Promise<QueryExecution> {
  const opts = o.signal ? { abortSignal: o.signal } : {};
  let delay = o.pollMs ?? 250;
  try {
    for (;;) {
      const q = (await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }), opts)).QueryExecution ?? {};
      onPoll?.(q);
      const state = q.Status?.State;
      if (state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED') return q;
      await sleep(delay, o.signal);
      delay = Math.min(5000, delay * 2);
    }
  } catch (err) {
    if (o.signal?.aborted) await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
    throw err;
  }
}

/** A query that ended without success as an error: Athena's reason (StateChangeReason) as its message. */
export function queryFailure(q: QueryExecution): Error {
  const state = q.Status?.State ?? 'unknown';
  return Object.assign(new Error(q.Status?.StateChangeReason ?? state), { name: `Query${state === 'FAILED' ? 'Failed' : 'Cancelled'}` });
}

/** The record of a result of another table, with the location it was read from. */
type ReadElsewhere = ResultRecord & { location: string };

/**
 * The time (and accounts, and regions) of the table the dataset holds: what its loaded results read (`own`: their
 * records say, else their names, for results loaded before records were kept), and the records of other tables'
 * results (another name, or the table read through another account's or region's catalogue) that say where they were
 * read from and read some of the window (`elsewhere`: those of the same location read the same objects; a record says
 * the regions it read when its table has a region key, so that time read in one region is held in that one alone).
 */
async function heldReads(db: Db, src: AthenaSource, window: Span): Promise<{ own: HeldRead[]; elsewhere: ReadElsewhere[] }> {
  const results = await db.all<{ name: string; athena_read: string | null }>(`SELECT name, athena_read FROM ingest_files WHERE starts_with(name, 'athena:')`);
  const own: HeldRead[] = [];
  const elsewhere: ReadElsewhere[] = [];
  for (const r of results) {
    const named = resultRead(src, r.name);
    const record = parseResultRecord(r.athena_read);
    if (named) own.push(...(record?.read ?? [named]));
    else if (record?.location && record.read.some((h) => h.since < window.until && h.until > window.since)) {
      elsewhere.push({ ...record, location: record.location });
    }
  }
  return { own, elsewhere };
}

/**
 * A table another result was read from, as said: 'athena://AwsDataCatalog/flowlogs/vpc in account 111111111111's
 * catalogue', and its region when not `region` (the one signed in to now): '… catalogue in us-east-1'.
 */
const readThrough = (r: ResultRecord, region: string) => `${r.table ?? 'a table'}${r.account ? ` in account ${r.account}'s catalogue` : ''}`
  + `${r.region && r.region !== region ? ` in ${r.region}` : ''}`;

/**
 * The parts of a window read before, as said: '2026-09-01 00:00Z to 2026-09-01 01:00Z read before (the dataset holds
 * what it returned), not read again'; true of a read that returned no row too (before: '(its rows are in the dataset)').
 * Time read before for some of the accounts read only is said with them: '… read before for 111111111111; …', '… for
 * every account but 111111111111'.
 */
export function readBeforeText(spans: readonly { since: string; until: string; accounts?: AccountSet; regions?: readonly string[] }[]): string {
  const said = new Map<string, string[]>();
  for (const h of spans) said.set(whose(h), [...(said.get(whose(h)) ?? []), `${formatTime(h.since)} to ${formatTime(h.until)}`]);
  return `${[...said].map(([who, times]) => `${times.join(', ')} read before${who}`).join('; ')} (the dataset holds what ${spans.length === 1 ? 'it' : 'they'} returned), not read again`;
}

export async function readAthenaSource(db: Db, athena: AthenaClient, src: AthenaSource, o: AthenaOptions, ingestLock = new Mutex()): Promise<SourceReport> {
  const windowSeconds = reductionWindow(o.windowSeconds);
  const perTb = o.pricePerTb ?? DEFAULT_PRICE_PER_TB;
  const scan: AthenaScan = { windowSeconds, pricePerTb: perTb, partitions: [], rows: 0 };
  const rep: SourceReport = { source: src.id, kind: 'athena', account: src.account, region: src.region, fetched: 0, skipped: 0, failed: 0, records: 0, bytes: 0, files: [], issues: [], athena: scan };
  const opts = o.signal ? { abortSignal: o.signal } : {};
  const fail = (err: unknown, api: string) => {
    rep.failed++;
    rep.issues.push(describeAwsError(err, { account: src.account, region: src.region, api, resource: src.id }));
    return rep;
  };
  const refuse = (code: string, message: string) => {
    rep.failed++;
    rep.issues.push({ account: src.account, region: src.region, api: 'athena', code, message, resource: src.id });
    return rep;
  };
  /** The table's columns, partition keys and parameters; or, no such table, the report that says so (with AWS's DDL). */
  const describe = async (): Promise<TableInfo | SourceReport> => {
    try {
      return await describeTable(athena, src, opts);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      const name = (err as { name?: string }).name ?? '';
      if (/EntityNotFound|MetadataException|NotFound/i.test(name) || /not found/i.test((err as Error).message ?? '')) {
        scan.ddl = await tableDdl(db, src, o);
        return refuse('NoSuchTable', `${src.database}.${src.table} is not a table in ${src.catalog ?? 'AwsDataCatalog'} (${(err as Error).message}); `
          + (scan.ddl.length ? `create it in Athena with the statement shown (AWS's DDL for ${scan.ddl.length === 1 ? 'the S3 flow log' : `the ${scan.ddl.length} S3 flow logs`} of account ${src.account}, with partition projection), then read it again`
            : `create it in Athena with AWS's DDL for VPC flow logs (with the inventory loaded, Flowlens shows it for each S3 flow log)`));
      }
      // not allowed to describe it: the reduction assumes AWS's default columns (orientation by port ranks) and no partitions
      o.onProgress?.(`Athena ${src.database}.${src.table}: cannot read its columns (${(err as Error).message}); assuming the default format's, no tcp_flags`);
      return { columns: [...REQUIRED_COLUMNS, 'account_id'], partitionKeys: [], parameters: {} };
    }
  };

  // 0. Where the window ends: not in the last minutes, whose flow logs are still on their way to S3 (a window read
  // before its records arrived would not be read again: the next run goes on from its end)
  const settle = o.settleMinutes ?? SETTLE_MINUTES;
  const until = new Date(Math.max(o.since.getTime(), settledEnd(o.until.getTime(), (o.now ?? new Date()).getTime(), settle)));
  scan.until = until.toISOString();
  if (until < o.until) {
    scan.settleMinutes = settle;
    const why = `flow logs reach S3 about ${settle} minutes after their capture window, so the last ${settle} minutes are left for the next run (Refresh), which reads them once delivered`;
    o.onProgress?.(`Athena ${src.database}.${src.table}: ${until > o.since ? `the window ends at ${formatTime(until)}, not at ${formatTime(o.until)}` : 'nothing read'}: ${why}`);
  }
  if (until <= o.since) return rep;

  // The time of the window the dataset holds from the table already, account by account (results loaded before: a
  // Refresh asking again for a window another table failed to read, a window appended over one read before, accounts
  // added to those read before) is not read again: read twice, its records would count twice
  const window = { since: o.since.getTime(), until: until.getTime() };
  const loaded = await heldReads(db, src, window);
  const held = [...loaded.own];
  // results of the window read from other tables in this region: what lies at this table's location was read there
  // (the table of the same name in another account's catalogue, as `--accounts B,A` signs in to B after `--accounts
  // A,B` read through A's; or another name): read again here, its records would count twice
  let described: TableInfo | undefined;
  if (loaded.elsewhere.length) {
    const d = await describe();
    if (!('columns' in d)) return d;
    described = d;
    const location = tableLocation(d);
    const same = loaded.elsewhere.filter((r) => r.location === location);
    const keys = partitionKeysText(d);
    /** Refused, as what of the records read through `r` this table would read again is not known: `where` and `why` say why. */
    const overlapping = (code: string, r: ReadElsewhere, where: string, why: string) => refuse(code, `${src.database}.${src.table} lies at ${location}, ${where}, `
      + `whose results hold ${[...new Set(r.read.map((h) => `${formatTime(h.since)} to ${formatTime(h.until)}`))].join(', ')}, ${why}, so what of those records this `
      + `table would read again is not known: nothing was run, as they would count twice (forget the results of ${r.table ?? 'that table'} to read the window here)`);
    const unlike = same.find((r) => r.keys !== keys);
    if (unlike) {
      return overlapping('SameLocation', unlike, `as ${readThrough(unlike, src.region)} does`,
        `but the two are partitioned otherwise (here ${keys || 'by nothing'}; there ${unlike.keys || 'by nothing'})`);
    }
    // a location inside the other's, or holding it: the two read some of the same objects, and which is not known
    const nested = location === undefined ? undefined
      : loaded.elsewhere.find((r) => r.location !== location && (r.location.startsWith(location) || location.startsWith(r.location)));
    if (nested) {
      return overlapping('NestedLocation', nested, `${nested.location.startsWith(location!) ? 'which holds' : 'inside'} ${nested.location}, where ${readThrough(nested, src.region)} lies`,
        'and the two read some of the same objects');
    }
    if (same.length) {
      held.push(...same.flatMap((r) => r.read));
      const tables = [...new Set(same.map((r) => readThrough(r, src.region)))];
      scan.sameLocation = `${src.database}.${src.table} lies at ${location}, as ${tables.join(' and ')} ${tables.length === 1 ? 'does' : 'do'}: `
        + 'the time read there is held here too (its records would count twice)';
      o.onProgress?.(`Athena ${src.database}.${src.table}: ${scan.sameLocation}`);
    }
  }
  const regions = o.regions ?? [];
  let unread = unreadParts(window, held, src.logAccounts, regions);
  if (unread.before.length) {
    scan.readBefore = unread.before.map((h) => ({ since: new Date(h.since).toISOString(), until: new Date(h.until).toISOString(), ...(h.accounts ? { accounts: h.accounts } : {}),
      ...(h.regions ? { regions: h.regions } : {}) }));
    o.onProgress?.(`Athena ${src.database}.${src.table}: ${readBeforeText(scan.readBefore)}${unread.parts.length ? '' : '; nothing run'}`);
  }
  if (!unread.parts.length) {
    rep.skipped++;
    return rep;
  }
  let since = new Date(Math.min(...unread.parts.map((p) => p.span.since)));
  let end = new Date(Math.max(...unread.parts.map((p) => p.span.until)));

  // 1. The table: which optional columns it has, its partitions, where its data is (described above when results of
  // other tables may lie at its location)
  const table = described ?? (await describe());
  if (!('columns' in table)) return table;
  let info: TableInfo = table;
  const missing = missingColumns(info.columns);
  if (missing.length) return refuse('NotAFlowLogTable', `${src.database}.${src.table} has no ${missing.join(', ')} column${missing.length > 1 ? 's' : ''}: not a VPC flow-log table`);
  // the parts of the query up to where the read ends: an organisation's table holds every account's flow logs, so the
  // accounts asked for (--accounts, or a source scoped to one) are a predicate on its account key (none asked: every
  // account is read, as from an S3 bucket, but those whose time was read before); the held time inside a part is
  // left out of the query, and so are the partitions only it needs
  const toPlanPart = (p: ReadPart, at: Date): PlanPart => ({
    since: new Date(p.span.since), until: new Date(Math.min(p.span.until, at.getTime())),
    leftOut: p.held.filter((h) => h.since < at.getTime()).map((h) => ({ since: h.since, until: Math.min(h.until, at.getTime()) })),
    ...(p.accounts ? { accounts: p.accounts } : {}), ...(p.regions ? { regions: p.regions } : {}),
  });
  const partsTo = (at: Date): PlanPart[] => unread.parts.filter((p) => p.span.since < at.getTime()).map((p) => toPlanPart(p, at));
  const planned = () => partsPlan(info, partsTo(end), regions);
  let plan = planned();
  // keys not known by their names (a crawler's partition_0 …): the partitions registered in Glue tell what they hold,
  // and of a table dated by one key (dt=2026-09-03), its values' format and where they end (Athena reads those,
  // unless the table is projected; a catalogue other than Glue's is not asked)
  if ((plan.ignored.length || plan.datedByRegistered) && o.glue && !isProjected(info) && (src.catalog ?? 'AwsDataCatalog') === 'AwsDataCatalog') {
    try {
      info = { ...info, partitions: await registeredPartitions(o.glue, src, o.signal) };
      plan = planned();
      // a crawler registers what it found at its last run: a window since then is in no registered partition yet
      if (plan.kept === 0 && info.partitions!.length) {
        const of = plan.accounts ? ` of account ${plan.accounts.join(', ')}` : plan.exceptAccounts ? ` of every account but ${plan.exceptAccounts.join(', ')}` : '';
        scan.partitionsMissing = `none of the ${plural(info.partitions!.length, 'partition')} registered for ${src.database}.${src.table} holds the window's days`
          + `${o.regions?.length ? ` in ${o.regions.join(', ')}` : ''}${of}: Athena reads only registered partitions, so it reads nothing there until they are added `
          + '(the crawler\'s next run, MSCK REPAIR TABLE, or ALTER TABLE ADD PARTITION)';
        o.onProgress?.(`Athena ${src.database}.${src.table}: ${scan.partitionsMissing}`);
        // so no query: it would read nothing, be billed Athena's minimum, and its empty result would hold the window as
        // read (the records registered later never read); nothing is loaded, and the next run reads the window
        scan.partitions = plan.recognised;
        scan.estimatedBytes = 0;
        scan.estimatedUsd = 0;
        return rep;
      }
    } catch (err) {
      if (o.signal?.aborted) throw err;
      const e = err as Error;
      const location = info.parameters.location ?? info.parameters['storage.location'];
      const whole = location !== undefined && plan.prefixes.length === 1 && plan.prefixes[0] === location.replace(/\/?$/, '/');
      scan.partitionsUnread = `cannot read the partitions registered for ${src.database}.${src.table} (glue:GetPartitions: ${e.name}: ${e.message.split('\n')[0]}), `
        + (plan.ignored.length ? `so ${plan.ignored.join(', ')} ${plan.ignored.length === 1 ? 'is' : 'are'} not constrained${whole ? ` and the estimate is of the whole location ${location}` : ''}; `
          + 'a role allowed glue:GetPartitions on the table has them pruned'
          : 'so where they end is not known: the window is read whole and remembered as read, and records in a partition registered later are not read; '
          + 'a role allowed glue:GetPartitions on the table reads up to where they end');
      o.onProgress?.(`Athena ${src.database}.${src.table}: ${scan.partitionsUnread}`);
    }
  }
  // the records' account: the account key (the account that delivered them, as an S3 bucket's AWSLogs/<account>/
  // folders say), else the account_id column; a table with neither cannot be read for some accounts: every account is
  // read, unless some account's time was read before (it would count twice)
  const byAccount = plan.accountKey ?? (info.columns.includes('account_id') ? { name: 'account_id', type: 'string' } : undefined);
  if (!byAccount && unread.parts.some((p) => p.accounts)) {
    const why = `${src.database}.${src.table} has no account_id column${plan.ignored.length ? ' and no partition key known to be the account' : ' and no account partition key'}, `
      + 'so its records cannot be told apart by account';
    unread = unreadParts(window, held, undefined, regions);
    if (unread.parts.some((p) => p.accounts)) {
      return refuse('NoAccountColumn', `${why}, and the dataset holds some of the window for some accounts only: nothing was run, as their records `
        + 'would count twice (forget those results to read every account\'s time)');
    }
    o.onProgress?.(`Athena ${src.database}.${src.table}: ${why}: every account is read, not only ${src.logAccounts!.join(', ')}`);
    since = new Date(Math.min(...unread.parts.map((p) => p.span.since)));
    end = new Date(Math.max(...unread.parts.map((p) => p.span.until)));
    plan = planned();
  }
  // the records' region, when the dataset holds some of the window for some regions only (results of a table with a
  // region key): the region key alone. Not a region column: only a log format with ${region} fills it, and a NULL one
  // would match no record, the part held as read all the same, and its records never read (a crawler's table of the
  // default format with GetPartitions denied, after a read that had its region key: eu-west-1's records held unread).
  // A table without one holds every region's records in one query, which would read those regions' time again.
  const byRegion = plan.regionKey;
  if (!byRegion && unread.parts.some((p) => p.regions)) {
    return refuse('NoRegionKey', `${src.database}.${src.table} has ${plan.ignored.length ? 'no partition key known to be the region' : 'no region partition key'}, `
      + `so its records cannot be told apart by region, and the dataset holds some of the window for some of ${regions.join(', ')} only: nothing was run, as their `
      + 'records would count twice or not at all (forget those results to read every region\'s time)');
  }
  // some of the accounts or regions of a part in no registered partition (a crawler has not found them yet): the rest
  // is read, and they are neither read nor held as read, so that the next run reads them once registered
  const registered = registeredParts(info, unread.parts, (p) => partsPlan(info, [toPlanPart(p, end)], regions), regions);
  /** Whose a part is, as said after its time: its accounts, and its regions (those asked for, when it names none). */
  const whoseRead = (p: ReadPart) => whose({ ...p, ...(regions.length ? { regions: p.regions ?? regions } : {}) });
  const someMissing = !!(registered.missing.length && registered.held.length && info.partitions?.length);
  if (someMissing) {
    scan.partitionsMissing = `none of the ${plural(info.partitions!.length, 'partition')} registered for ${src.database}.${src.table} holds `
      + `${registered.missing.map((p) => `${formatTime(p.span.since)} to ${formatTime(p.span.until)}${whoseRead(p)}`).join(', ')}: Athena reads only registered partitions, `
      + 'so that is neither read nor held as read until they are added (the crawler\'s next run, MSCK REPAIR TABLE, or ALTER TABLE ADD PARTITION); the rest is read';
    o.onProgress?.(`Athena ${src.database}.${src.table}: ${scan.partitionsMissing}`);
  }
  // a crawler that registered part of the window (its last run was within it): each part is read up to where its
  // registered partitions end (the accounts and regions whose partitions end apart are parts of their own), less the
  // hour a record may take to reach S3 (a record started before then may lie in the next, unregistered partition), and
  // is held to there, so that the next run reads the rest once registered; the window ends (scan.until, where the next
  // run starts) at the earliest of those ends, and the latest is said beside it
  // (or to the start of a day of the window registered for it in no partition, though earlier and later days are: that day, and
  // the rest after it, are read once it is registered, and not held as read before)
  const ends = registered.held.map(({ keptUntil, missingUntil, ...p }) => ({ p, keptUntil, missingUntil, at: registeredReadEnd(keptUntil, p.span.since, p.span.until) }));
  const cut = ends.filter((x) => x.at < x.p.span.until);
  if (cut.length || someMissing) {
    unread = { ...unread, parts: ends.flatMap(({ p, at }) => {
      const left = unreadSpan({ since: p.span.since, until: at }, p.held);
      return left ? [{ ...p, ...left }] : [];
    }) };
  }
  if (cut.length) {
    const readTo = Math.min(...cut.map((x) => x.at));
    scan.until = new Date(readTo).toISOString();
    // the parts read to different times: the latest (the window's end, when some part was read whole) and the
    // earlier ones, each with its own, so that the notification does not say every account stopped at the earliest
    const latest = cut.length < ends.length ? window.until : Math.max(...cut.map((x) => x.at));
    if (readTo < latest) {
      scan.endsApart = { latest: new Date(latest).toISOString(), earlier: cut.filter((x) => x.at < latest).sort((a, b) => a.at - b.at)
        .map(({ p, at }) => ({ until: new Date(at).toISOString(), ...(p.accounts ? { accounts: p.accounts } : {}), ...(regions.length ? { regions: [...(p.regions ?? regions)] } : {}) })) };
    }
    // every part's partitions ending at one time: the window's end, said as one; else whose end each is
    const one = cut.length === ends.length && new Set(cut.map((x) => JSON.stringify([x.keptUntil, x.missingUntil]))).size === 1;
    const said = one ? [{ keptUntil: cut[0]!.keptUntil!, missingUntil: cut[0]!.missingUntil, at: readTo, who: '' }]
      : cut.map((x) => ({ keptUntil: x.keptUntil!, missingUntil: x.missingUntil, at: x.at, who: whoseRead(x.p) }));
    // where the partitions end, and the days in none of them (later ones registered)
    const endAt = said.filter((x) => x.missingUntil === undefined).map((x) => `${formatTime(x.keptUntil)}${x.who}`);
    const dayMissing = said.filter((x) => x.missingUntil !== undefined).map((x) => `${formatTime(x.keptUntil)} to ${formatTime(x.missingUntil!)}${x.who}`);
    scan.partitionsEnd = `the partitions registered for ${src.database}.${src.table}${one && o.regions?.length ? ` in ${o.regions.join(', ')}` : ''} `
      + `${[...(endAt.length ? [`end at ${endAt.join(', at ')}`] : []), ...(dayMissing.length ? [`hold nothing of ${dayMissing.join(', nor of ')} though later days are registered`] : [])].join(' and ')}, `
      + `so the window is read to ${said.map((x) => `${formatTime(x.at)}${x.who}`).join(', to ')}`
      + `${cut.length < ends.length ? ` and to ${formatTime(window.until)} for the other accounts and regions` : ''} `
      + '(a record reaches S3 up to an hour after it starts, in a later partition) and the rest once its partitions are added '
      + '(the crawler\'s next run, MSCK REPAIR TABLE, or ALTER TABLE ADD PARTITION)'
      + (dayMissing.length ? '; a crawler registers no day without a flow-log object: if none was written then, they are read past once three later days are registered, or sooner after ALTER TABLE ADD PARTITION for them' : '');
    o.onProgress?.(`Athena ${src.database}.${src.table}: ${scan.partitionsEnd}`);
  }
  if (!unread.parts.length) return rep;
  if (cut.length || someMissing) {
    since = new Date(Math.min(...unread.parts.map((p) => p.span.since)));
    end = new Date(Math.min(end.getTime(), Math.max(...unread.parts.map((p) => p.span.until))));
    plan = planned();
  }
  scan.partitions = plan.recognised;
  let unloadTo: string | undefined;
  try {
    unloadTo = await unloadLocation(athena, o, (m) => o.onProgress?.(`Athena ${src.database}.${src.table}: ${m}`), opts);
  } catch (err) {
    if (o.signal?.aborted) throw err;
    return refuse('BadOutputLocation', (err as Error).message);
  }
  // each part: its accounts (on the account key, among the plan's predicates; else on the account_id column), its
  // time without the time held inside it; of several, one disjunction
  const parts = partsTo(end);
  const accountsOf = (p: PlanPart) => [...(p.accounts && (parts.length > 1 || !plan.accountKey) ? [accountPredicate(byAccount!, p.accounts)] : []),
    ...(p.regions && (parts.length > 1 || !plan.regionKey) ? [regionPredicate(byRegion!, p.regions)] : [])];
  const reduction = reductionSql({
    table: quoteTable(src), since, until: end, windowSeconds, columns: info.columns,
    partitions: [...plan.predicates,
      ...(parts.length === 1 ? accountsOf(parts[0]!)
        : [parts.map((p) => `(${[startsIn(p.since, p.until), ...p.leftOut.map((h) => `NOT (${startsIn(new Date(h.since), new Date(h.until))})`), ...accountsOf(p)].join(' AND ')})`).join(' OR ')]),
      ...(o.partitionFilter ? [o.partitionFilter] : [])],
    exclude: parts.length === 1 ? parts[0]!.leftOut.map((h) => ({ since: new Date(h.since), until: new Date(h.until) })) : [],
  });
  const sql = unloadTo ? unloadSql(reduction, unloadTo) : reduction;
  rep.sql = sql;

  // 2. The scan, estimated before anything runs
  if (o.s3 && (plan.prefixes.length || plan.kept !== undefined)) {
    try {
      scan.estimatedBytes = await objectBytes(o.s3, plan, (m) => o.onProgress?.(`Athena ${src.database}.${src.table}: ${m}`), o.signal);
      scan.estimatedUsd = scanPrice(scan.estimatedBytes, perTb);
    } catch (err) {
      if (o.signal?.aborted) throw err;
      o.onProgress?.(`Athena ${src.database}.${src.table}: cannot estimate the scan (${(err as Error).message})`);
    }
  }
  const estimate = scan.estimatedBytes === undefined ? 'unknown' : formatScanCost([{ bytes: scan.estimatedBytes, usd: scan.estimatedUsd! }], { perTb });
  const kept = plan.kept === undefined ? '' : `; ${plan.kept} of the ${info.partitions?.length} registered partitions kept`;
  o.onProgress?.(`Athena ${src.database}.${src.table}: ${windowSeconds}-second windows; partitions ${plan.recognised.join(', ') || 'none recognised'}${plan.ignored.length ? ` (not constrained: ${plan.ignored.join(', ')})` : ''}${kept}; estimated scan ${estimate}\n${sql}`);
  if (o.maxScanBytes !== undefined) {
    if (scan.estimatedBytes === undefined) {
      return refuse('ScanNotEstimated', `the bytes this query would scan cannot be estimated (no S3 location or listing), so the scan limit of ${formatBytes(o.maxScanBytes)} cannot be checked; nothing was run (with no limit it runs: --max-scan unset, or flowlens.athena.confirmScanAbove empty)`);
    }
    if (scan.estimatedBytes > o.maxScanBytes) {
      return refuse('ScanLimit', `the query would scan about ${estimate}, more than the limit of ${formatBytes(o.maxScanBytes)}; nothing was run (narrow the window, or raise the limit)`);
    }
  }

  // 3. Run, poll until done; a cancel stops the query in Athena too (it is billed by data scanned)
  let id: string;
  try {
    id = await startQuery(athena, sql, src, o, opts);
  } catch (err) {
    if (o.signal?.aborted) throw err;
    return fail(err, 'athena:StartQueryExecution');
  }
  let resultFile: string | undefined;
  try {
    const q = await awaitQuery(athena, id, o, (r) => {
      resultFile = r.ResultConfiguration?.OutputLocation;
      const scanned = r.Statistics?.DataScannedInBytes;
      if (scanned !== undefined) {
        scan.scannedBytes = scanned;
        scan.scannedUsd = scanPrice(scanned, perTb);
      }
      if (r.Statistics?.ResultReuseInformation?.ReusedPreviousResult) {
        // answered from a kept result: nothing scanned, and no minimum charge
        scan.reused = true;
        scan.scannedUsd = 0;
      }
    });
    const state = q.Status?.State;
    // Athena bills no failed query (AWS's pricing: no charge for failed queries; a cancelled one is billed what it scanned)
    if (state === 'FAILED' && scan.scannedUsd !== undefined) scan.scannedUsd = 0;
    if (state !== 'SUCCEEDED') return fail(queryFailure(q), 'athena:GetQueryExecution');
  } catch (err) {
    if (o.signal?.aborted) throw err;
    return fail(err, 'athena:GetQueryExecution');
  }

  // 4. The result: the Parquet files of an UNLOAD; else the CSV file Athena wrote, in one download; else (no S3
  // client, the file cannot be read) its pages; written to a file as they come (never all in memory)
  let rows = await ReducedRows.open();
  try {
    let downloaded = 0;
    let fromFile = false;
    if (unloadTo) {
      try {
        downloaded = await rowsFromUnload(o.s3!, unloadTo, rows, o.signal);
        fromFile = true;
      } catch (err) {
        if (o.signal?.aborted) throw err;
        const e = err as Error;
        return fail(Object.assign(new Error(`cannot read the Parquet files the query wrote under ${unloadTo} (${e.message.split('\n')[0]}); `
          + `its CSV result is read instead with --athena-result csv (in the editor: the setting flowlens.athena.resultFormat set to csv)`), { name: e.name }), 's3:GetObject');
      }
    }
    if (!fromFile && o.s3 && resultFile?.endsWith('.csv')) {
      try {
        downloaded = await rowsFromResultFile(o.s3, resultFile, rows, o.signal);
        fromFile = true;
      } catch (err) {
        if (o.signal?.aborted) throw err;
        o.onProgress?.(`Athena ${src.database}.${src.table}: cannot read the result file ${resultFile} (${(err as Error).message.split('\n')[0]}); reading the result page by page`);
        await rows.close();
        rows = await ReducedRows.open();
      }
    }
    if (!fromFile) {
      try {
        downloaded = await rowsFromPages(athena, id, rows, opts);
      } catch (err) {
        if (o.signal?.aborted) throw err;
        return fail(err, 'athena:GetQueryResults');
      }
    }
    scan.rows = rows.count;
    rep.bytes = downloaded;
    // (a result of no row is loaded too, holding no record: that the time was read, so that a Refresh does not pay
    // for it again; no file is said of it, the table's line says it returned no row)
    // named by the span asked for and its accounts; what each part really read (not the held time it left out) kept beside
    // (the regions a part read: its own, else those asked on a region key; none said, every region's records)
    const regionsRead = (p: PlanPart) => p.regions ?? (plan.regionKey && regions.length ? regions : undefined);
    const readIn = parts.every(regionsRead) ? regions.filter((r) => parts.some((p) => regionsRead(p)!.includes(r))) : undefined;
    const name = resultName(src, { since: since.getTime(), until: end.getTime() }, windowSeconds, unionAccounts(parts.map((p) => p.accounts)), readIn);
    const read = parts.flatMap((p) => spansWithout({ since: p.since.getTime(), until: p.until.getTime() }, p.leftOut)
      .map((s) => ({ ...s, ...(p.accounts ? { accounts: p.accounts } : {}), ...(regionsRead(p) ? { regions: [...regionsRead(p)!] } : {}) })));
    const location = tableLocation(info);
    const record = resultRecordText({ table: src.id, account: src.account, region: src.region, ...(location ? { location } : {}), keys: partitionKeysText(info), read });
    const fr = await ingestLock.run(() => loadReducedRows(db, name, windowSeconds, rows, { read: record }));
    if (rows.count || fr.status === 'failed') rep.files.push(fr);
    if (fr.status === 'failed') {
      rep.failed++;
      rep.issues.push({ account: src.account, region: src.region, api: 'ingest', code: 'MalformedResult', message: fr.error ?? 'unreadable', resource: name });
    } else if (fr.status === 'duplicate') rep.skipped++;
    else if (rows.count) {
      rep.fetched++;
      rep.records += fr.records;
    }
    return rep;
  } finally {
    await rows.close();
  }
}
