/**
 * Ingest of VPC flow logs into flow_records / ingest_files / ingest_errors: local files and folders,
 * single S3 objects (text, gzip, Parquet), and CloudWatch Logs events. DuckDB does the parsing, set-based;
 * each file is one transaction, identified by the sha256 of its bytes alone, so a reload adds nothing, under any
 * name: a copy, a symbolic link or a re-download of loaded content is a duplicate, reported with the name it was
 * loaded under.
 */
import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { createReadStream, readFileSync } from 'node:fs';
import { mkdtemp, open, readdir, readFile, realpath, rm, stat, symlink, writeFile, copyFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, isAbsolute, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import * as zlib from 'node:zlib';
import type { FileReport } from '../../protocol/reports';
import { diskFullMessage } from '../diskFull';
import { plural } from '../../shared/numbers';
import { lit, type Db } from '../store/db';
import { eventsAsText, NotCloudWatchError, parseCloudWatchJson, type CloudWatchEvent } from './cloudwatch';
import { DEFAULT_FORMAT, FormatError, fieldByName, formatString, formatVersion, isHeaderLine, parseLogFormat, type FlowField } from '../model/flowFields';
import { AWS_LAYOUTS, fittingLayouts, inferLayout, knownLayouts, streamLayouts, type KnownLayout } from './layouts';
import { loadParquet, loadParquetBatch, loadText, loadTextBatch, loadTextLines, parquetColumns, ReadByLine, type LoadResult, type ParquetColumn } from './readers';
import { LineCounter } from './lines';
import { JoinedText } from './joined';
import { limiter, mapPool } from '../aws/pool';
import { addLoaded, loadedTotals } from './totals';
import { keepsRecords, refreshRecordsView, unhold } from '../store/records';
import { fileHead, gunzipHead, isGzip, looksLikeFlowLine, sniffFile, sniffHead, SNIFF_BYTES, unreadCompression, type Sniffed } from './sniff';
import { firehoseObjectName } from './firehose';

export type { CloudWatchEvent } from './cloudwatch';

export interface IngestOptions {
  /** The flow log's LogFormat (`${version} ${vpc-id} …`) for records without a header line. */
  logFormat?: string;
  /** How many rejected lines per file are stored and reported (default 5). */
  maxReportedErrors?: number;
  /** Aborts between files and interrupts the running statement; the current file rolls back. */
  signal?: AbortSignal;
  /** What a headerless record without a LogFormat may be recognised as (default: AWS's layouts and the dataset's formats). */
  layouts?: readonly KnownLayout[];
  /**
   * Told after each batch and each file loaded on its own (ingestFiles): files done of the total found, and the
   * records loaded so far.
   */
  onFiles?: (done: number, total: number, records: number) => void;
  /**
   * An enrichment follows in this process: the rows of local files counted in place are held in memory for it
   * (heldTable) instead of being read from the files again.
   */
  hold?: boolean;
}

/** Thrown when opts.signal aborts; `reports` holds the files finished before (they stay loaded). */
export class IngestCancelledError extends Error {
  override name = 'AbortError';
  /** `cause` is what stopped the work, e.g. DuckDB's "Interrupted" error from the running statement. */
  constructor(readonly reports: FileReport[], cause?: unknown) {
    super('flow-log ingest cancelled', cause === undefined ? undefined : { cause });
  }
}

/** Prefix of FileReport.error for files found in a folder (or given) that are clearly not flow logs. */
export const NOT_FLOW_LOG = 'not a flow-log file';

const gunzipAsync = promisify(zlib.gunzip);

type Reader = 'text' | 'gzip' | 'parquet' | 'cloudwatch';

/**
 * The reader recorded for a text file with header lines inside (files joined with cat): its parts have formats of
 * their own, so its records are stored, never read again from the file in the one format ingest_files records.
 */
const JOINED = 'joined';

/** A file-level failure whose message is shown to the user as is. */
class FileError extends Error {}

interface Source {
  name: string;
  /** Where DuckDB reads it (a local file, possibly a temporary copy). */
  path: string;
  hash: string;
  bytes: number;
  /** A local file's modification time (ns, exact) when it was read: with its name and size, it is known again unread. */
  modifiedNs?: bigint;
  /** Lines of the text DuckDB reads (known for plain text when hashed; for gzip, counted while verifying). */
  lines?: number;
  /** A small gzip file read whole when prepared: its verification (verifyGzip), started then. */
  verified?: Promise<number>;
  /** A small file's text (inflated, gzip), kept from its preparing for a joined read (JoinedText); taken by the plan. */
  text?: Buffer;
}

/**
 * Whether a file's records are counted and checked where they are rather than stored: a dataset that keeps no
 * records, and a small file of this machine that DuckDB reads under its own name (the enrichment reads it again
 * from there, as flow_records does). Records from anywhere else wait in a staging table, and so do big files':
 * for the thousands of small files of an S3 delivery, writing their records cost more than reading them twice
 * (the sample estate: 5,721 files), while one 1.1 GB file staged (6.8 s) is cheaper than read twice more (count,
 * then the enrichment's copy, which spills past the memory budget: 10 M records took 36.4 s against 28.7 s).
 */
async function countedInPlace(db: Db, srcs: readonly Source[]): Promise<boolean> {
  return srcs.every((s) => s.path === s.name && isAbsolute(s.name) && s.bytes <= SMALL_FILE) && !(await keepsRecords(db));
}

/** Datasets whose record_files gained a file in this ingest: flow_records is made again at its end. */
const viewStale = new WeakSet<Db>();

/** In the load's transaction: the files whose records stay where they are, for the enrichment and flow_records. */
async function recordInPlace(db: Db, files: readonly { fileId: number; name: string }[]): Promise<void> {
  if (files.length === 0) return;
  await db.exec(`INSERT OR REPLACE INTO record_files VALUES ${files.map((f) => `(${Math.floor(f.fileId)}, ${lit(f.name)})`).join(', ')}`);
  viewStale.add(db);
}

/** Local files loaded before, by name: their size and modification time then, and the first name of their content. */
type KnownFiles = Map<string, { bytes: number; modifiedNs: bigint; first: string }>;

async function knownFiles(db: Db): Promise<KnownFiles> {
  const rows = await db.all<{ name: string; bytes: bigint; modified_ns: bigint; first: string }>(
    `SELECT name, bytes, modified_ns, first FROM (
       SELECT name, bytes, modified_ns, arg_min(name, file_id) OVER (PARTITION BY content_hash) AS first FROM ingest_files
       QUALIFY row_number() OVER (PARTITION BY name ORDER BY file_id DESC) = 1) -- a name loaded again with new content: its last
     WHERE modified_ns IS NOT NULL AND bytes IS NOT NULL`,
  );
  return new Map(rows.map((r) => [r.name, { bytes: Number(r.bytes), modifiedNs: BigInt(r.modified_ns), first: r.first }]));
}

/**
 * Files found loaded by their content under the name they were loaded with: their row takes the time they have now
 * (a dataset made before times were kept, a file touched since), so that the next read knows them unread.
 */
async function rememberTimes(db: Db, srcs: readonly Source[]): Promise<void> {
  const timed = srcs.filter((s) => s.modifiedNs !== undefined);
  if (timed.length === 0) return;
  await db.exec(`UPDATE ingest_files SET modified_ns = v.modified_ns, bytes = v.bytes
    FROM (VALUES ${timed.map((s) => `(${lit(s.name)}, ${lit(s.hash)}, ${Math.floor(s.bytes)}, ${modifiedSql(s)})`).join(', ')}) v(name, hash, bytes, modified_ns)
    WHERE ingest_files.name = v.name AND ingest_files.content_hash = v.hash
      AND (ingest_files.modified_ns IS DISTINCT FROM v.modified_ns OR ingest_files.bytes IS DISTINCT FROM v.bytes)`);
}

/** SQL: a source's modification time, for ingest_files; NULL for what is no local file (S3 objects, events, buffers). */
function modifiedSql(src: Source): string {
  return src.modifiedNs !== undefined ? String(src.modifiedNs) : 'NULL';
}

function report(name: string, status: FileReport['status'], extra: Partial<FileReport> = {}): FileReport {
  return { name, status, records: 0, badLines: 0, errors: [], ...extra };
}

function failed(name: string, error: string): FileReport {
  // one line: DuckDB's errors go on with advice and links that say nothing about the file
  return report(name, 'failed', { error: diskFullMessage(error.split('\n')[0].trim()) });
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

// ------------------------------------------------------------------------------------------ public API

/** Text files of one format are loaded this many at a time, in one statement and one transaction. */
const BATCH_FILES = 1024;
/**
 * How many files are prepared (sniffed, hashed and, gzip, verified) ahead of the one being planned: a whole batch, so
 * that the next batch's files are read while DuckDB loads this one (they were read in turns: the sample estate's
 * 6,021 files spent 3 s of their 7.7 s reading between loads).
 */
const READ_AHEAD = BATCH_FILES;
/** How many files are read at once (each small file is held whole while it is prepared). */
const READ_CONCURRENCY = 16;

/** Who hears of every ingestFiles call's reports on a dataset, even when what follows the ingest fails. */
const watchers = new WeakMap<Db, Set<(reports: FileReport[]) => void>>();

/** Calls `listener` with the file reports of every ingestFiles call on `db` (also a cancelled one's); returns the unwatch. */
export function watchIngest(db: Db, listener: (reports: FileReport[]) => void): () => void {
  const set = watchers.get(db) ?? new Set();
  watchers.set(db, set);
  set.add(listener);
  return () => set.delete(listener);
}

export async function ingestFiles(db: Db, paths: string[], opts: IngestOptions = {}): Promise<FileReport[]> {
  let reports: FileReport[] = [];
  try {
    reports = await ingestFilesUnwatched(db, paths, opts);
    return reports;
  } catch (err) {
    if (err instanceof IngestCancelledError) reports = err.reports;
    throw err;
  } finally {
    for (const w of watchers.get(db) ?? []) w(reports);
  }
}

/**
 * The files ingestFiles reads for these paths, in its order: folders walked in name order (hidden entries skipped,
 * symbolic links followed once); what cannot be read is a failed report in its place.
 */
export async function filesUnder(paths: readonly string[]): Promise<(string | FileReport)[]> {
  const files: (string | FileReport)[] = [];
  for (const p of paths) {
    try {
      const st = await stat(p);
      if (st.isDirectory()) await walk(p, files, new Set());
      else if (st.isFile()) files.push(p);
      else files.push(notAFile(p, st));
    } catch (err) {
      files.push(failed(p, `cannot read ${p}: ${message(err)}`));
    }
  }
  return files;
}

async function ingestFilesUnwatched(db: Db, paths: string[], given: IngestOptions): Promise<FileReport[]> {
  const opts = await withLayouts(db, given);
  const files = await filesUnder(paths);
  const reports: (FileReport | undefined)[] = new Array(files.length);
  const done = () => reports.filter((r): r is FileReport => r !== undefined);
  let settled = 0;
  let records = 0;
  const settle = (i: number, r: FileReport) => {
    reports[i] = r;
    settled++;
    if (r.status === 'loaded') records += r.records;
  };
  let toldAt = -1;
  const told = () => {
    if (toldAt === settled) return;
    toldAt = settled;
    opts.onFiles?.(settled, files.length, records);
  };
  const groups = new Map<string, BatchItem[]>();
  // text of small files joined, a file a group (joined.ts)
  const joins = new Map<string, JoinedText>();
  const kept = new KeptText();
  const known = await knownFiles(db);
  const work = await tempDir();
  const flush = async (key: string) => {
    const items = groups.get(key) ?? [];
    groups.delete(key);
    const joined = joins.get(key);
    joins.delete(key);
    joined?.close();
    try {
      if (items.length === 0) return;
      const loaded = items.length > 1 ? await loadBatchInTransaction(db, items, opts, done, joined?.path) : null;
      await settleBatch(items, loaded);
    } finally {
      if (joined) await rm(joined.path, { force: true });
    }
  };
  const settleBatch = async (items: BatchItem[], loaded: Map<number, FileReport> | null) => {
    for (const item of items) {
      const original = item.reader === 'cloudwatch' ? { ...item.src, path: item.src.name } : item.src;
      settle(item.index, loaded?.get(item.index) ?? (await ingestSniffed(db, original, item.sniffed, work, opts, done())));
    }
    told();
  };
  // Files are prepared READ_AHEAD ahead of the one being planned, READ_CONCURRENCY at a time: each is a few small
  // reads, and done one after the other the waits added up (the sample estate's 5,721 files spent most of their
  // load waiting on them).
  // each file being read listens for the signal
  if (opts.signal) setMaxListeners(READ_CONCURRENCY + 16, opts.signal);
  const reading = limiter(READ_CONCURRENCY);
  const ahead = new Map<number, ReturnType<typeof prepareFile>>();
  let nextAhead = 0;
  const prefetch = (upTo: number, now: number) => {
    // (not past the text kept for joined reads, but the file now to be planned always: the texts kept are of files after it)
    for (; nextAhead <= Math.min(upTo, files.length - 1) && (nextAhead <= now || kept.room()); nextAhead++) {
      const k = nextAhead;
      const file = files[k];
      if (typeof file !== 'string') continue;
      const p = reading(() => prepareFile(file, work, opts, done, known, kept));
      p.catch(() => undefined); // awaited in its turn below; a cancellation is thrown there
      ahead.set(k, p);
    }
  };
  try {
    for (let i = 0; i < files.length; i++) {
      if (opts.signal?.aborted) throw new IngestCancelledError(done());
      const file = files[i];
      if (typeof file !== 'string') {
        settle(i, file);
        continue;
      }
      prefetch(i + READ_AHEAD, i);
      const prepared = await ahead.get(i)!;
      ahead.delete(i);
      if ('status' in prepared) {
        settle(i, prepared);
        continue;
      }
      const text = prepared.src.text;
      if (text) {
        kept.release(text);
        delete prepared.src.text;
      }
      const planned = await batchPlan(prepared, work, opts);
      if (!planned) {
        settle(i, await ingestSniffed(db, prepared.src, prepared.sniffed, work, opts, done()));
        told();
        continue;
      }
      const { plan } = planned;
      let key = `${plan.reader}|${plan.header}|${formatString(plan.fields)}`;
      if (text && (plan.reader === 'text' || plan.reader === 'gzip')) {
        const joinedKey = `${key}|joined`;
        let joined = joins.get(joinedKey);
        try {
          joined ??= new JoinedText(join(work, `joined-${Math.random().toString(36).slice(2)}.log`));
          joins.set(joinedKey, joined);
        } catch {
          // no joined file to be had (the disk full): the file is read from its path
        }
        if (joined?.add(text, plan.header)) key = joinedKey;
      }
      const group = groups.get(key) ?? [];
      group.push({ index: i, sniffed: prepared.sniffed, src: planned.src, ...plan });
      groups.set(key, group);
      if (group.length >= BATCH_FILES) await flush(key);
    }
    for (const key of [...groups.keys()]) await flush(key);
    told(); // the last files may have been settled without a load (unreadable, not a flow log)
  } finally {
    await rm(work, { recursive: true, force: true });
    if (viewStale.has(db)) {
      viewStale.delete(db);
      await refreshRecordsView(db);
    }
  }
  return done();
}

export async function ingestBuffer(db: Db, name: string, data: Uint8Array, given: IngestOptions = {}): Promise<FileReport> {
  if (given.signal?.aborted) throw new IngestCancelledError([]);
  const opts = await withLayouts(db, given);
  const work = await tempDir();
  try {
    const path = join(work, 'object');
    await writeFile(path, data);
    const sniffed = sniffHead(data.subarray(0, 64 * 1024));
    const lines = new LineCounter();
    if (sniffed.container !== 'gzip') lines.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const source: Source = { name, path, hash: sha256(data), bytes: data.byteLength, lines: sniffed.container === 'gzip' ? undefined : lines.lines };
    return await ingestSniffed(db, source, sniffed, work, opts, []);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function ingestCloudWatchEvents(db: Db, name: string, events: CloudWatchEvent[], given: IngestOptions = {}): Promise<FileReport> {
  if (given.signal?.aborted) throw new IngestCancelledError([]);
  const opts = await withLayouts(db, given);
  const work = await tempDir();
  try {
    return await ingestEvents(db, name, events, null, work, opts, []);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The options with the layouts a headerless record may be recognised as: AWS's and this dataset's (layouts.ts). */
async function withLayouts(db: Db, opts: IngestOptions): Promise<IngestOptions> {
  if (opts.layouts || opts.logFormat) return opts;
  return { ...opts, layouts: await knownLayouts(db) };
}

// ------------------------------------------------------------------------------------------ files

/**
 * A named pipe, socket or device where a file was expected: never read (a pipe's read waits for a writer, for ever),
 * reported as no flow log.
 */
function notAFile(path: string, st: { isFIFO(): boolean; isSocket(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean }): FileReport {
  const what = st.isFIFO() ? 'a named pipe (FIFO)' : st.isSocket() ? 'a socket' : st.isCharacterDevice() ? 'a character device' : st.isBlockDevice() ? 'a block device' : 'not a regular file';
  return failed(path, `${NOT_FLOW_LOG}: ${path} is ${what}, not a file`);
}

async function walk(dir: string, out: (string | FileReport)[], seen: Set<string>): Promise<void> {
  const real = await realpath(dir);
  if (seen.has(real)) return;
  seen.add(real);
  let listing;
  try {
    listing = await readdir(dir, { withFileTypes: true });
  } catch (err) {
    out.push(failed(dir, `cannot read folder ${dir}: ${message(err)}`));
    return;
  }
  const entries = listing.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue; // hidden files and folders (.git, .DS_Store)
    if (/\.duckdb(\.wal)?$/.test(e.name)) continue; // a dataset (kept beside its logs: `--flow-logs . --db x.duckdb`) is no flow log
    const p = join(dir, e.name);
    const target = e.isSymbolicLink() ? await stat(p).catch(() => undefined) : e;
    if (target?.isDirectory()) await walk(p, out, seen);
    else if (!target || target.isFile()) out.push(p); // a broken link: its read says so
    else out.push(notAFile(p, target));
  }
}

async function prepareFile(path: string, work: string, opts: IngestOptions, done: () => FileReport[], known: KnownFiles, kept: KeptText): Promise<{ src: Source; sniffed: Sniffed } | FileReport> {
  let sniffed: Sniffed;
  let text: Buffer | undefined;
  let hash: string;
  let bytes: number;
  let lines: number;
  let verified: Promise<number> | undefined;
  let modifiedNs: bigint;
  try {
    const st = await stat(path, { bigint: true });
    modifiedNs = st.mtimeNs;
    const was = known.get(path);
    // loaded before under this name, and neither its size nor its modification time changed since: not read again
    if (was && BigInt(was.bytes) === st.size && was.modifiedNs === modifiedNs) return report(path, 'duplicate', { duplicateOf: was.first });
    // a small file is read once: sniffed, hashed, its lines counted and, gzip, verified from the same bytes
    const data = st.size <= BigInt(SMALL_FILE) ? await readSmall(path, st.size, opts.signal) : undefined;
    sniffed = data ? sniffHead(data.subarray(0, SNIFF_BYTES)) : await sniffFile(path);
    ({ hash, bytes, lines } = data ? { hash: sha256(data), bytes: data.length, lines: countLinesOf(data) } : await hashFile(path, opts.signal));
    if (data && sniffed.container === 'gzip') {
      // verified here, while the file is held (READ_CONCURRENCY bounds what is held); a failure is the file's, told when it loads
      const outcome = await gunzipSmall(data).then((d) => ({ lines: countLinesOf(d), d }), (err: unknown) => ({ error: gzipError(err) }));
      verified = 'error' in outcome ? Promise.reject(outcome.error) : Promise.resolve(outcome.lines);
      verified.catch(() => undefined);
      if ('d' in outcome) text = kept.take(outcome.d);
    } else if (data && sniffed.container === 'plain') text = kept.take(data);
  } catch (err) {
    if (opts.signal?.aborted) throw new IngestCancelledError(done(), err);
    return failed(path, `cannot read ${path}: ${message(err)}`);
  }
  const safe = await duckdbSafePath(path, work).catch((err: unknown) => {
    if (text) kept.release(text);
    throw err;
  });
  return { src: { name: path, path: safe, hash, bytes, modifiedNs, lines: sniffed.container === 'gzip' ? undefined : lines, ...(verified ? { verified } : {}),
    ...(text ? { text } : {}) }, sniffed };
}

/**
 * The text of prepared files kept for a joined read: each up to JOIN_FILE_BYTES, all together up to JOIN_KEPT_BYTES (a
 * file prepared past it is read from its path, as before); files are prepared ahead only while there is room, so the
 * read-ahead of big files is shorter than READ_AHEAD. A file's text goes when it is planned, or with it.
 */
class KeptText {
  private bytes = 0;

  /** Whether more files are to be prepared now (a file prepared past the budget would be read from its path). */
  room(): boolean {
    return this.bytes < JOIN_KEPT_BYTES;
  }

  take(text: Buffer): Buffer | undefined {
    if (text.length > JOIN_FILE_BYTES || this.bytes + text.length > JOIN_KEPT_BYTES) return undefined;
    this.bytes += text.length;
    return text;
  }

  release(text: Buffer): void {
    this.bytes -= text.length;
  }
}

const JOIN_FILE_BYTES = 1 << 20;
const JOIN_KEPT_BYTES = 128 << 20;

interface BatchPlan {
  reader: Reader;
  /** Text: the fields of the format; Parquet: taken from the files themselves. */
  fields: FlowField[];
  header: boolean;
  gzip: boolean;
  /** How the format was found (resolveFormat), for the report. */
  note?: string;
}

interface BatchItem extends BatchPlan {
  index: number;
  src: Source;
  sniffed: Sniffed;
}

/**
 * Text and gzip text files whose format is known, CloudWatch event files (converted to text first) and
 * Parquet files can join a batch; anything else goes alone, and reports for itself.
 */
async function batchPlan(prepared: { src: Source; sniffed: Sniffed }, work: string, opts: IngestOptions): Promise<{ src: Source; plan: BatchPlan } | undefined> {
  const { src, sniffed } = prepared;
  if (sniffed.container === 'parquet') return { src, plan: { reader: 'parquet', fields: [], header: false, gzip: false } };
  try {
    if (sniffed.content === 'json') {
      const raw = await readFile(src.path);
      const text = eventsAsText(parseCloudWatchJson((sniffed.container === 'gzip' ? await gunzipAsync(raw) : raw).toString('utf8')));
      if (text === '') return undefined;
      const head = sniffHead(Buffer.from(text.slice(0, 64 * 1024), 'utf8'));
      const format = resolveFormat(src.name, head, opts.logFormat, false, opts.layouts);
      const path = join(work, `events-${Math.random().toString(36).slice(2)}.log`);
      await writeFile(path, text);
      return { src: { ...src, path, lines: countLines(text) }, plan: { reader: 'cloudwatch', fields: format.fields, header: false, gzip: false, ...(format.note ? { note: format.note } : {}) } };
    }
    if (sniffed.content !== 'text') return undefined;
    if (!isHeaderLine(sniffed.firstLine) && !looksLikeFlowLine(sniffed.firstLine)) return undefined;
    const format = resolveFormat(src.name, sniffed, opts.logFormat, true, opts.layouts);
    const gzip = sniffed.container === 'gzip';
    return { src, plan: { ...format, reader: gzip ? 'gzip' : 'text', gzip } };
  } catch {
    return undefined; // the file alone reports why
  }
}

/** Any problem in a batch: it is rolled back and its files are loaded one by one, each reporting its own. */
class BatchFallback extends Error {}

/**
 * Loads a batch of same-format text files in one transaction. Returns each file's report, or null when
 * the batch could not load as a whole (a truncated gzip, a file none of whose lines parse, …): nothing
 * of it stays, and the caller loads the files one by one.
 */
async function loadBatchInTransaction(db: Db, items: BatchItem[], opts: IngestOptions, done: () => FileReport[], joinedPath?: string): Promise<Map<number, FileReport> | null> {
  const signal = opts.signal;
  const maxErrors = Math.max(0, opts.maxReportedErrors ?? 5);
  const { reader, header, gzip } = items[0];
  let fields = items[0].fields;
  let parquet: ParquetColumn[] | undefined;
  if (reader === 'parquet') {
    try {
      // one batch only for files of one schema; others go one by one and speak for themselves
      const schemas = await db.all<{ cols: string }>(
        `SELECT DISTINCT list_sort(list(name))::VARCHAR AS cols FROM parquet_schema([${items.map((i) => lit(i.src.path)).join(', ')}])
         WHERE num_children IS NULL OR num_children = 0 GROUP BY file_name`,
      );
      if (schemas.length !== 1) return null;
      // every file names the same columns: the first says which
      parquet = (await parquetColumns(db, items[0]!.src.path)).columns;
    } catch {
      return null;
    }
    if (parquet.length === 0) return null;
    fields = parquet.map((c) => c.field);
  }
  const logFormat = formatString(fields);
  const onAbort = () => db.interrupt();
  const checkAbort = () => {
    if (signal?.aborted) throw new IngestCancelledError(done());
  };
  try {
    checkAbort();
    return await oneAtATime(db, () => {
      signal?.addEventListener('abort', onAbort);
      return db.transaction(async () => {
        await loadedTotals(db); // before any record of this batch is stored
        const out = new Map<number, FileReport>();
        const values = (rows: string[]) => rows.join(', ');
        const known = await db.all<{ name: string; content_hash: string }>(
          `SELECT arg_min(name, file_id) AS name, content_hash FROM ingest_files WHERE content_hash IN (${values(items.map((i) => lit(i.src.hash)))}) GROUP BY content_hash`,
        );
        const seen = new Map(known.map((k) => [k.content_hash, k.name]));
        const fresh: BatchItem[] = [];
        for (const item of items) {
          const first = seen.get(item.src.hash);
          if (first !== undefined) out.set(item.index, report(item.src.name, 'duplicate', { duplicateOf: first }));
          else {
            seen.set(item.src.hash, item.src.name); // the same content twice in one call loads once
            fresh.push(item);
          }
        }
        await rememberTimes(db, items.filter((i) => out.has(i.index)).map((i) => i.src));
        if (fresh.length === 0) return out;
        const ids = await db.all<{ file_id: number; name: string }>(
          `INSERT INTO ingest_files (file_id, name, content_hash, bytes, reader, log_format, records, bad_lines, modified_ns, loaded_at)
           SELECT nextval('ingest_file_seq'), v.name, v.hash, v.bytes, ${lit(reader)}, ${lit(logFormat)}, 0, 0, v.modified_ns, current_timestamp
           FROM (VALUES ${values(fresh.map((i) => `(${lit(i.src.name)}, ${lit(i.src.hash)}, ${Math.floor(i.src.bytes)}, ${modifiedSql(i.src)})`))}) v(name, hash, bytes, modified_ns)
           RETURNING file_id, name`,
        );
        const idByName = new Map(ids.map((r) => [r.name, r.file_id]));
        const batch = fresh.map((i) => ({ item: i, fileId: idByName.get(i.src.name)! }));
        const inPlace = reader !== 'cloudwatch' && (await countedInPlace(db, fresh.map((i) => i.src)));
        checkAbort();
        const [loaded, verified] = await Promise.allSettled([
          parquet
            ? loadParquetBatch(db, batch.map((b) => ({ path: b.item.src.path, fileId: b.fileId })), parquet, { inPlace, hold: inPlace && opts.hold === true })
            : loadTextBatch(db, batch.map((b) => ({ path: b.item.src.path, fileId: b.fileId })), fields, { gzip, header, maxErrors, inPlace, hold: inPlace && opts.hold === true,
              ...(joinedPath ? { joined: { path: joinedPath, fileIds: items.map((i) => batch.find((b) => b.item === i)?.fileId ?? null) } } : {}) }),
          gzip ? mapPool(fresh, 4, (i) => i.src.verified ?? verifyGzip(i.src.path)) : Promise.resolve(undefined),
        ]);
        if (signal?.aborted) throw new IngestCancelledError(done(), loaded.status === 'rejected' ? loaded.reason : undefined);
        if (verified.status === 'rejected' || loaded.status === 'rejected') throw new BatchFallback();
        const results = loaded.value;
        if (!parquet) {
          // lines that DuckDB skipped without a word (empty, over its maximum size): the file is read line by line
          const counted = new Map(fresh.map((i, k) => [i.index, verified.value?.[k] ?? i.src.lines]));
          for (const b of batch) {
            const r = results.get(b.fileId)!;
            const lines = counted.get(b.item.index);
            if (lines !== undefined && lines !== r.records + r.badLines + (r.headers ?? 0) + (header && lines > 0 ? 1 : 0)) {
              results.set(b.fileId, await loadTextLines(db, { path: b.item.src.path, fileId: b.fileId }, fields, { gzip, header, maxErrors }));
            }
          }
        }
        if (batch.some((b) => results.get(b.fileId)!.records === 0 && results.get(b.fileId)!.badLines > 0)) throw new BatchFallback();
        // a file read again line by line since: its held rows (as the batch parsed it) go; the enrichment reads it anew
        if (inPlace && opts.hold) await unhold(db, logFormat, batch.filter((b) => !results.get(b.fileId)!.held).map((b) => b.fileId));
        await addLoaded(db, [...results.values()], () => new BatchFallback());
        await recordInPlace(db, batch.filter((b) => results.get(b.fileId)!.inPlace).map((b) => ({ fileId: b.fileId, name: b.item.src.name })));
        await db.exec(
          `UPDATE ingest_files SET records = v.records, bad_lines = v.bad
           FROM (VALUES ${values(batch.map((b) => `(${b.fileId}, ${results.get(b.fileId)!.records}, ${results.get(b.fileId)!.badLines})`))}) v(id, records, bad)
           WHERE ingest_files.file_id = v.id`,
        );
        const joined = batch.filter((b) => results.get(b.fileId)!.joined);
        if (joined.length) await db.exec(`UPDATE ingest_files SET reader = '${JOINED}' WHERE file_id IN (${joined.map((b) => b.fileId).join(', ')})`);
        const errors = batch.flatMap((b) => results.get(b.fileId)!.errors.map((e) => ({ b, e })));
        if (errors.length) {
          await db.exec(
            `INSERT INTO ingest_errors (file_id, name, line, message, text) VALUES ${values(errors.map(({ b, e }) =>
              `(${b.fileId}, ${lit(b.item.src.name)}, ${Math.floor(e.line)}, ${lit(e.message)}, ${e.text === undefined ? 'NULL' : lit(e.text)})`))}`,
          );
        }
        checkAbort();
        for (const b of batch) {
          const r = results.get(b.fileId)!;
          out.set(b.item.index, report(b.item.src.name, 'loaded', { records: r.records, badLines: r.badLines, errors: r.errors, ...(b.item.note ? { note: b.item.note } : {}) }));
        }
        return out;
      }).finally(() => signal?.removeEventListener('abort', onAbort));
    });
  } catch (err) {
    if (err instanceof IngestCancelledError || signal?.aborted) throw err instanceof IngestCancelledError ? err : new IngestCancelledError(done(), err);
    if (err instanceof BatchFallback) return null;
    return null; // any other failure: the files go one by one and report it themselves
  }
}


async function ingestSniffed(db: Db, src: Source, sniffed: Sniffed, work: string, opts: IngestOptions, done: FileReport[]): Promise<FileReport> {
  const { name } = src;
  switch (sniffed.content) {
    case 'binary':
      if (sniffed.container === 'parquet') return ingestParquet(db, src, opts, done);
      if (sniffed.container === 'gzip' && (await gzipInGzip(src.path))) {
        return failed(name, `${name} is gzip inside gzip (compressed twice): decompress it once (gunzip) and load the result`);
      }
      {
        const fromFirehose = firehoseObjectName(name) !== undefined;
        const compression = unreadCompression(await fileHead(src.path, 16), src.bytes, fromFirehose);
        if (compression) {
          return failed(name, `${name} is compressed with ${compression}, which Flowlens does not read: flow logs are read as plain text, gzip or Parquet` +
            (fromFirehose ? `; set the Firehose stream's CompressionFormat to GZIP (or UNCOMPRESSED)` : ''));
        }
      }
      return failed(name, `${NOT_FLOW_LOG}: ${name} holds binary data that is neither gzip nor Parquet`);
    case 'json': {
      let events: CloudWatchEvent[];
      try {
        const raw = await readFile(src.path);
        const text = (sniffed.container === 'gzip' ? await gunzipAsync(raw) : raw).toString('utf8');
        events = parseCloudWatchJson(text);
      } catch (err) {
        if (err instanceof NotCloudWatchError) return failed(name, `${NOT_FLOW_LOG}: ${name}: ${err.message}`);
        return failed(name, `cannot read ${name}: ${message(err)}`);
      }
      return ingestEvents(db, name, events, src, work, opts, done);
    }
    case 'empty':
    case 'text': {
      if (sniffed.content === 'text' && !isHeaderLine(sniffed.firstLine) && !looksLikeFlowLine(sniffed.firstLine)) {
        return failed(name, `${NOT_FLOW_LOG}: line ${sniffed.firstLineNumber} of ${name} is neither a flow-log header nor a record: "${sniffed.firstLine.slice(0, 120)}"`);
      }
      let format: ResolvedFormat;
      try {
        format = sniffed.content === 'empty' ? { fields: emptyFormat(name, opts.logFormat), header: false } : resolveFormat(name, sniffed, opts.logFormat, true, opts.layouts);
      } catch (err) {
        return failed(name, message(err));
      }
      const gzip = sniffed.container === 'gzip';
      const textOpts = { gzip, header: format.header };
      const inPlace = await countedInPlace(db, [src]);
      return loadInTransaction(db, src, gzip ? 'gzip' : 'text', format.fields, opts, done, {
        // held as a batch's are (a file loaded alone: of a format no other file has, or out of a batch rolled back); one
        // file not held made the enrichment copy every held row: 11 s more for 10 M records in 1,000 gzip files
        load: (fileId, maxErrors) => loadText(db, fileId, src.path, format.fields, { ...textOpts, maxErrors, inPlace, hold: inPlace && opts.hold === true }),
        verify: gzip ? () => src.verified ?? verifyGzip(src.path) : undefined,
        header: format.header,
        byLine: (fileId, maxErrors) => loadTextLines(db, { path: src.path, fileId }, format.fields, { ...textOpts, maxErrors }),
        ...(format.note ? { note: format.note } : {}),
      });
    }
  }
}

async function ingestParquet(db: Db, src: Source, opts: IngestOptions, done: FileReport[]): Promise<FileReport> {
  let columns;
  try {
    ({ columns } = await parquetColumns(db, src.path));
  } catch (err) {
    return failed(src.name, `cannot read Parquet file ${src.name}: ${message(err)}`);
  }
  if (columns.length === 0) return failed(src.name, `${NOT_FLOW_LOG}: the Parquet file ${src.name} has no flow-log column (e.g. version, srcaddr, log_status)`);
  const fields = columns.map((c) => c.field);
  const inPlace = await countedInPlace(db, [src]);
  return loadInTransaction(db, src, 'parquet', fields, opts, done, { load: (fileId) => loadParquet(db, fileId, src.path, columns, { inPlace, hold: inPlace && opts.hold === true }) });
}

/** CloudWatch events (from the API, or from a JSON file whose bytes `file` describes). */
async function ingestEvents(db: Db, name: string, events: CloudWatchEvent[], file: Source | null, work: string, opts: IngestOptions, done: FileReport[]): Promise<FileReport> {
  const text = eventsAsText(events);
  const path = join(work, `events-${Date.now()}-${Math.random().toString(36).slice(2)}.log`);
  await writeFile(path, text);
  try {
    const src: Source = { ...(file ?? { name, hash: sha256(Buffer.from(text, 'utf8')), bytes: Buffer.byteLength(text) }), path, lines: countLines(text) };
    const sniffed = sniffHead(Buffer.from(text.slice(0, 64 * 1024), 'utf8'));
    let format: ResolvedFormat;
    try {
      format = sniffed.content === 'text' ? resolveFormat(name, sniffed, opts.logFormat, false, opts.layouts) : { fields: emptyFormat(name, opts.logFormat), header: false };
    } catch (err) {
      return failed(name, message(err));
    }
    const fields = format.fields;
    return await loadInTransaction(db, src, 'cloudwatch', fields, opts, done, {
      load: (fileId, maxErrors) => loadText(db, fileId, path, fields, { gzip: false, header: false, maxErrors }),
      header: false,
      byLine: (fileId, maxErrors) => loadTextLines(db, { path, fileId }, fields, { gzip: false, header: false, maxErrors }),
      ...(format.note ? { note: format.note } : {}),
    });
  } finally {
    await rm(path, { force: true });
  }
}

/** The format recorded for an object without any record: the given one, else the default. */
function emptyFormat(name: string, logFormat: string | undefined): FlowField[] {
  if (!logFormat) return [...DEFAULT_FORMAT];
  try {
    return parseLogFormat(logFormat);
  } catch (err) {
    throw new FormatError(`${name}: ${message(err)}`);
  }
}

/**
 * The fields of a text object. A header line (first line) describes the file and wins; otherwise the
 * given LogFormat; otherwise the one known layout (layouts.ts) the first record fits, said in `note` unless it
 * is AWS's default format. Anything else is an error naming the file and the line.
 */
export function resolveFormat(
  name: string, sniffed: Pick<Sniffed, 'firstLine' | 'firstLineNumber'>, logFormat: string | undefined, allowHeader: boolean, layouts: readonly KnownLayout[] = AWS_LAYOUTS,
): ResolvedFormat {
  const line = sniffed.firstLine;
  if (allowHeader && sniffed.firstLineNumber === 1 && isHeaderLine(line)) {
    try {
      return { fields: parseLogFormat(line), header: true };
    } catch (err) {
      throw new FormatError(`${name}: the header line is not a valid log format: ${message(err)}`);
    }
  }
  const tokens = line.trim() === '' ? [] : line.trim().split(/\s+/);
  const count = tokens.length;
  if (allowHeader && sniffed.firstLineNumber === 1 && tokens.length > 1 && tokens.filter((t) => fieldByName(t)).length * 2 >= tokens.length) {
    // mostly field names: a header naming a field this version does not know
    const unknown = tokens.filter((t) => !fieldByName(t));
    throw new FormatError(`${name}: the header line names field${unknown.length > 1 ? 's' : ''} Flowlens does not know: ${unknown.join(', ')}`);
  }
  if (logFormat) {
    let fields: FlowField[];
    try {
      fields = parseLogFormat(logFormat);
    } catch (err) {
      throw new FormatError(`${name}: ${message(err)}`);
    }
    if (count !== fields.length) {
      // a folder of several flow logs: a file in a layout known here (AWS's default) is read as that layout
      const fits = fittingLayouts(tokens, layouts);
      if (fits.length === 1) {
        return {
          fields: [...fits[0].fields],
          header: false,
          note: `no header line, and line ${sniffed.firstLineNumber} has ${count} fields where the log format given has ${fields.length}: read as ${fits[0].source}, the only known layout it fits`,
        };
      }
      throw new FormatError(
        `${name}: line ${sniffed.firstLineNumber} has ${count} fields, but the log format "${logFormat.trim()}" has ${fields.length}; is it the right LogFormat for this flow log?`,
      );
    }
    return { fields, header: false };
  }
  // a Firehose object: the format of the flow log that delivers to the stream its name starts with (inventory)
  const bound = streamLayouts(name, tokens, layouts);
  if (bound?.fitting.length === 1) {
    const l = bound.fitting[0]!;
    return {
      fields: [...l.fields],
      header: false,
      note: `no header line: read with the LogFormat of ${l.source} (${l.fields.length} fields, version ${formatVersion(l.fields)}), which delivers to the Firehose stream ${bound.stream} that wrote this object`,
    };
  }
  if (bound && bound.fitting.length === 0) {
    throw new FormatError(
      `${name}: line ${sniffed.firstLineNumber} has ${count} fields, but the LogFormat of ${bound.all.map((l) => `${l.source} (${l.fields.length} fields)`).join(', ')}, ` +
        `delivering to the Firehose stream ${bound.stream} that wrote this object, does not fit it; give the log format (--log-format)`,
    );
  }
  const layout = inferLayout(name, sniffed.firstLineNumber, tokens, layouts);
  if (layout.fields === DEFAULT_FORMAT) return { fields: [...DEFAULT_FORMAT], header: false };
  return {
    fields: [...layout.fields],
    header: false,
    note: `no header line and no log format given: read as ${layout.source} (${layout.fields.length} fields, version ${formatVersion(layout.fields)}), the only known layout line ${sniffed.firstLineNumber} fits`,
  };
}

interface ResolvedFormat {
  fields: FlowField[];
  header: boolean;
  /** How the format was found when the file did not say it and it is not the default: for the file's report. */
  note?: string;
}

// ------------------------------------------------------------------------------------------ transaction

interface LoadSteps {
  load: (fileId: number, maxErrors: number) => Promise<LoadResult>;
  /** Runs alongside load (e.g. the gzip integrity check, which counts the lines); a failure fails the file. */
  verify?: () => Promise<number | void>;
  /** Text: whether line 1 is a header, and the line-by-line load for when the lines do not add up. */
  header?: boolean;
  byLine?: (fileId: number, maxErrors: number) => Promise<LoadResult>;
  /** Said in the file's report (how its format was found). */
  note?: string;
}

async function loadInTransaction(db: Db, src: Source, reader: Reader, fields: readonly FlowField[], opts: IngestOptions, done: FileReport[], steps: LoadSteps): Promise<FileReport> {
  const signal = opts.signal;
  const maxErrors = Math.max(0, opts.maxReportedErrors ?? 5);
  const logFormat = formatString(fields);
  const onAbort = () => db.interrupt();
  const checkAbort = () => {
    if (signal?.aborted) throw new IngestCancelledError(done);
  };
  try {
    checkAbort();
    return await oneAtATime(db, () => {
      // listen only while this file's transaction runs: an abort must not interrupt another caller's statement
      signal?.addEventListener('abort', onAbort);
      return db.transaction(async () => {
        await loadedTotals(db); // before any record of this file is stored
        const existing = await db.one<{ name: string }>(`SELECT name FROM ingest_files WHERE content_hash = $hash ORDER BY file_id LIMIT 1`, { hash: src.hash });
        if (existing) {
          await rememberTimes(db, [src]);
          return report(src.name, 'duplicate', { duplicateOf: existing.name });
        }
        const fileId = await db.value<number>(
          `INSERT INTO ingest_files (file_id, name, content_hash, bytes, reader, log_format, records, bad_lines, modified_ns, loaded_at)
           VALUES (nextval('ingest_file_seq'), $name, $hash, $bytes, $reader, $format, 0, 0, ${modifiedSql(src)}, current_timestamp) RETURNING file_id`,
          { name: src.name, hash: src.hash, bytes: src.bytes, reader, format: logFormat },
        );
        checkAbort();
        const [loaded, verified] = await Promise.allSettled([steps.load(fileId, maxErrors), steps.verify?.()]);
        if (signal?.aborted) throw new IngestCancelledError(done, loaded.status === 'rejected' ? loaded.reason : undefined);
        if (verified.status === 'rejected') throw new FileError(`${src.name}: ${message(verified.reason)}`);
        if (loaded.status === 'rejected') throw loaded.reason;
        let result = loaded.value;
        const lines = typeof verified.value === 'number' ? verified.value : src.lines;
        if (steps.byLine && lines !== undefined && lines !== result.records + result.badLines + (result.headers ?? 0) + (steps.header && lines > 0 ? 1 : 0)) {
          // lines that DuckDB skipped without a word (empty, over its maximum size): line by line, each one counted
          result = await steps.byLine(fileId, maxErrors);
        }
        // read again line by line since (or never held): its held rows, as the first read parsed them, go
        if (!result.held) await unhold(db, logFormat, [fileId]);
        if (result.records === 0 && result.badLines > 0) {
          const first = result.errors[0];
          throw new FileError(
            // (a line of the format can still break a value rule: start after end, a port over 65535)
            `${src.name}: none of its ${plural(result.badLines, 'line')} is a flow record${first ? ` (line ${first.line}: ${first.message})` : ''}; read with the log format "${logFormat}"`,
          );
        }
        await db.exec(`UPDATE ingest_files SET records = $records, bad_lines = $bad${result.joined ? `, reader = '${JOINED}'` : ''} WHERE file_id = $id`, { records: result.records, bad: result.badLines, id: fileId });
        for (const e of result.errors) {
          await db.exec(`INSERT INTO ingest_errors (file_id, name, line, message, text) VALUES ($id, $name, $line, $message, $text)`, {
            id: fileId, name: src.name, line: e.line, message: e.message, text: e.text ?? null,
          });
        }
        await addLoaded(db, [result], (m) => new FileError(`${src.name}: ${m}`));
        if (result.inPlace) await recordInPlace(db, [{ fileId, name: src.name }]);
        checkAbort();
        return report(src.name, 'loaded', { records: result.records, badLines: result.badLines, errors: result.errors, ...(steps.note ? { note: steps.note } : {}) });
      }).finally(() => signal?.removeEventListener('abort', onAbort));
    });
  } catch (err) {
    if (err instanceof IngestCancelledError || signal?.aborted) throw err instanceof IngestCancelledError ? err : new IngestCancelledError(done, err);
    if (err instanceof ReadByLine && steps.byLine) return loadInTransaction(db, src, reader, fields, opts, done, { ...steps, load: steps.byLine, byLine: undefined });
    if (err instanceof ReadByLine) return failed(src.name, `${src.name} cannot be loaded: ${message(err.cause)}`);
    if (err instanceof FileError || err instanceof FormatError) return failed(src.name, err.message);
    return failed(src.name, `${src.name} cannot be loaded: ${message(err)}`);
  }
}

// ------------------------------------------------------------------------------------------ helpers

const running = new WeakMap<Db, Promise<unknown>>();

/** Ingest calls on one connection take turns: its transactions must not interleave. */
function oneAtATime<T>(db: Db, fn: () => Promise<T>): Promise<T> {
  const before = running.get(db) ?? Promise.resolve();
  const mine = before.then(fn, fn);
  running.set(db, mine.catch(() => undefined));
  return mine;
}

/** Work folders are named flowlens-ingest-<pid>-…, so that those of a process that ended can be told and removed. */
async function tempDir(): Promise<string> {
  await cleanStaleWork();
  return mkdtemp(join(tmpdir(), `flowlens-ingest-${process.pid}-`));
}

let cleaned: Promise<void> | undefined;

/**
 * Once per process, before its first ingest: removes the work folders that processes which ended (killed, crashed)
 * left in the temporary folder. A folder of a running process stays; one named the old way (no pid) goes when a
 * day old.
 */
function cleanStaleWork(): Promise<void> {
  cleaned ??= (async () => {
    let names: string[] = [];
    try {
      names = (await readdir(tmpdir())).filter((n) => n.startsWith('flowlens-ingest-'));
    } catch {
      return;
    }
    for (const name of names) {
      const pid = /^flowlens-ingest-(\d+)-/.exec(name)?.[1];
      const path = join(tmpdir(), name);
      let stale: boolean;
      if (pid) stale = Number(pid) !== process.pid && !alive(Number(pid));
      else stale = await stat(path).then((st) => Date.now() - st.mtimeMs > 86_400_000, () => false);
      if (stale) await rm(path, { recursive: true, force: true }).catch(() => undefined);
    }
  })();
  return cleaned;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM'; // exists, another user's
  }
}

function sha256(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Files up to this size are read whole, once: a stream allocates its 1 MB read buffer per file, and for the
 * thousands of small files an S3 flow-log folder holds (the sample estate: 5,721 of about 10 KB) that garbage
 * cost more than the reading.
 */
const SMALL_FILE = 8 << 20;

/**
 * Files up to this size are read, and (gzip) decompressed, on the calling thread rather than the thread pool: for
 * the thousands of small files of an S3 delivery, handing each read (open, stat, read, close) and each inflate to
 * the pool and back cost more than the work (the sample estate's 6,021 files: 1.9-2.1 s of CPU read, hashed and
 * verified through the pool, 0.6 s on the calling thread), and DuckDB, loading the batch before, had less of the
 * machine. A read that small is over in well under a millisecond, an inflate in a few.
 */
const READ_HERE = 1 << 20;

async function readSmall(path: string, size: bigint, signal?: AbortSignal): Promise<Buffer> {
  if (size > BigInt(READ_HERE)) return readFile(path, { signal });
  signal?.throwIfAborted();
  return readFileSync(path);
}

async function gunzipSmall(data: Buffer): Promise<Buffer> {
  return data.length <= READ_HERE ? zlib.gunzipSync(data) : gunzipAsync(data);
}

async function hashFile(path: string, signal?: AbortSignal): Promise<{ hash: string; bytes: number; lines: number }> {
  const h = createHash('sha256');
  const lines = new LineCounter();
  let bytes = 0;
  if ((await stat(path)).size <= SMALL_FILE) {
    const data = await readFile(path, { signal });
    lines.push(data);
    return { hash: sha256(data), bytes: data.length, lines: lines.lines };
  }
  await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), async function (chunks: AsyncIterable<Buffer>) {
    for await (const c of chunks) {
      h.update(c);
      lines.push(c);
      bytes += c.length;
    }
  }, { signal });
  return { hash: h.digest('hex'), bytes, lines: lines.lines };
}

function countLines(text: string): number {
  return countLinesOf(Buffer.from(text, 'utf8'));
}

function countLinesOf(data: Buffer): number {
  const c = new LineCounter();
  c.push(data);
  return c.lines;
}

function gzipError(err: unknown): Error {
  const code = (err as { code?: string }).code;
  if (code === 'Z_BUF_ERROR') return new Error('the gzip data is truncated (unexpected end of file); nothing of it was loaded');
  return new Error(`the gzip data is corrupt (${message(err)}); nothing of it was loaded`);
}

/** Reads a gzip stream to its end (DuckDB reads a truncated gzip without complaint, zlib does not); returns its lines. */
async function verifyGzip(path: string): Promise<number> {
  const lines = new LineCounter();
  try {
    if ((await stat(path)).size <= SMALL_FILE) {
      lines.push(await gunzipAsync(await readFile(path)));
      return lines.lines;
    }
    await pipeline(createReadStream(path, { highWaterMark: 1 << 20 }), zlib.createGunzip(), async function (chunks: AsyncIterable<Buffer>) {
      for await (const c of chunks) lines.push(c);
    });
    return lines.lines;
  } catch (err) {
    throw gzipError(err);
  }
}

/** True when what a gzip file holds is itself gzip. */
async function gzipInGzip(path: string): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(64 * 1024);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return isGzip(gunzipHead(head.subarray(0, bytesRead)));
  } finally {
    await handle.close();
  }
}

/** DuckDB treats `*`, `?`, `[` in a path as a glob: such files are read through a plain-named link. */
async function duckdbSafePath(path: string, work: string): Promise<string> {
  if (!/[*?[\]{}]/.test(path)) return path;
  const alias = join(work, `input-${Math.random().toString(36).slice(2)}-${basename(path).replace(/[*?[\]{}]/g, '_')}`);
  try {
    await symlink(await realpath(path), alias);
  } catch {
    await copyFile(path, alias);
  }
  return alias;
}
