/**
 * Loads AWS inventory dumps (the JSON `aws <service> <op> --output json` prints, i.e. the SDK v3 output
 * shapes) and AWS's ip-ranges.json into the inv_* tables.
 *
 * - Each file's kind is detected from its content; a file may hold one response or a JSON array of
 *   responses (pages). Several files of the same kind simply add up.
 * - Account and region come from the content (OwnerId, ARNs, AvailabilityZone, ServiceName), else from
 *   the path (a 12-digit folder and a region folder: inventory/111111111111/us-east-1/…), else a warning.
 * - Responses that do not say what they belong to:
 *     DescribeTargetHealth     wrap as {"TargetGroupArn": "…", "TargetHealthDescriptions": […]}
 *     GetManagedPrefixListEntries  wrap as {"PrefixListId": "pl-…", "Entries": […]} or name the file …pl-xxxxxxxx….json
 *     DescribeDBProxyTargets   wrap as {"DBProxyName": "…", "Targets": […]}
 * - (name, sha256) in inv_files makes a reload a no-op; a newer dump of the same resources replaces them.
 *   Small files load in batches of one transaction; a file that fails leaves nothing behind (its batch is loaded
 *   again file by file, each in its own transaction).
 * - A file of STREAM_ABOVE bytes or more (uncompressed) is read as a stream and loaded as it is read
 *   (stream.ts, streamed.ts): a dump of hundreds of MB is never one string, nor one parsed object.
 * - After the files, the time-aware tables are rebuilt from everything loaded (rebuildInventory).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip, gunzipSync } from 'node:zlib';
import { JoinedFailure, type Db } from '../store/db';
import { apiOf } from '../aws/apis';
import { collectGarbage } from '../gc';
import { detectKind, itemsKeyOf, pagesOf, type InventoryKind } from './detect';
import { InventoryInputError, type DocContext } from './parse';
import { rebuildInventory } from './rebuild';
import { JsonSyntaxError, readResponses } from './stream';
import { StreamedDocument } from './streamed';
import { ensureInventoryTables } from './tables';
import { contextFromPath } from './util';
import { plural } from '../format';

export { rebuildInventory } from './rebuild';
export { classifyInterface } from './classify';
export { detectKind } from './detect';

export interface InventoryFileReport {
  name: string;
  kind: string | null;
  items: number;
  status: 'loaded' | 'duplicate' | 'unrecognised' | 'failed';
  error?: string;
}

export interface InventoryLoadReport {
  files: InventoryFileReport[];
  warnings: string[];
}

export interface DocumentContext {
  accountId?: string;
  region?: string;
  /** Rebuild the time-aware tables after this document (default true); collectors loading many
   * responses pass false and call rebuildInventory(db) once at the end. */
  rebuild?: boolean;
}

/**
 * Files this big or bigger (uncompressed) are streamed: parsed whole, JSON takes about four times its size in
 * memory (the bytes, the string, the objects), and V8 refuses a string of more than 512 MB.
 */
export const STREAM_ABOVE = 16 * 2 ** 20;

/** Items of a streamed DescribeNetworkInterfaces or DescribeInstances response loaded at a time. */
export const BATCH_ITEMS = 5000;

export interface LoadOptions {
  signal?: AbortSignal;
  /** Bytes from which a file is streamed (STREAM_ABOVE unless given; tests make it small). */
  streamAbove?: number;
  /** Items loaded at a time when streaming (BATCH_ITEMS unless given). */
  batchItems?: number;
}

/** Loads files or folders (recursively, in path order), then rebuilds the time-aware tables once. */
export async function loadInventory(db: Db, paths: string[], opts: LoadOptions = {}): Promise<InventoryLoadReport> {
  await ensureInventoryTables(db);
  const report: InventoryLoadReport = { files: [], warnings: [] };
  const files: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = await stat(p);
    } catch (e) {
      report.files.push({ name: p, kind: null, items: 0, status: 'failed', error: `${p}: ${(e as Error).message}` });
      continue;
    }
    if (st.isDirectory()) files.push(...(await walk(p, report, new Set())));
    else files.push(p);
  }
  let cancelled = false;
  const one = async (file: string): Promise<boolean> => {
    try {
      report.files.push(await loadFile(db, file, contextFromPath(file), report.warnings, opts));
      return true;
    } catch (e) {
      // cancelled in the middle of a streamed file: it is rolled back and not reported
      if (!opts.signal?.aborted) throw e;
      return false;
    }
  };
  for (let next = 0; next < files.length && !cancelled; ) {
    if (opts.signal?.aborted) {
      cancelled = true;
      break;
    }
    // the files before the next big one (streamed in a transaction of its own), up to BATCH_FILES, in one transaction
    const batch: string[] = [];
    while (next < files.length && batch.length < BATCH_FILES && !(await streamed(files[next], opts))) batch.push(files[next++]);
    if (batch.length === 0) {
      cancelled = !(await one(files[next++]));
      continue;
    }
    const loaded = batch.length > 1 ? await loadBatch(db, batch, report.warnings, opts) : null;
    if (loaded) {
      report.files.push(...loaded);
      continue;
    }
    for (const file of batch) {
      if (opts.signal?.aborted || !(await one(file))) {
        cancelled = true;
        break;
      }
    }
  }
  const rebuilt = await db.transaction(() => rebuildInventory(db));
  collectGarbage(); // the rebuild's ENI histories are garbage now, and the enrichment that follows allocates little
  report.warnings.push(...rebuilt.warnings);
  // an unrecognised file is told by its status (report.files); a warning as well said it twice
  if (cancelled) throw opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('inventory load cancelled');
  return report;
}

/**
 * Small files load BATCH_FILES at a time in one transaction (each file's own joins it): the AWS collector writes a file
 * per API, account and region (the sample estate: 153), and a transaction each cost 0.3 s of its 1.5 s.
 */
const BATCH_FILES = 256;

/** Whether a file is big enough to be read as a stream (an unreadable one is not: it fails on its own). */
async function streamed(file: string, opts: LoadOptions): Promise<boolean> {
  try {
    return (await sizeOf(file)).bytes >= (opts.streamAbove ?? STREAM_ABOVE);
  } catch {
    return false;
  }
}

/**
 * Small files in one transaction (a cancel between files commits those before). When one of them fails while it is
 * being written, nothing of the batch stays and null is returned: the caller loads them one by one, each in its own
 * transaction, as they always did (what each says, and what a failing one leaves, unchanged).
 */
async function loadBatch(db: Db, files: readonly string[], warnings: string[], opts: LoadOptions): Promise<InventoryFileReport[] | null> {
  const told = warnings.length;
  const out: InventoryFileReport[] = [];
  try {
    await db.transactionJoining(async (joined) => {
      const batch = await batchBook(db, files);
      for (const file of files) {
        if (opts.signal?.aborted) break; // what loaded stays loaded
        out.push(await loadFile(db, file, contextFromPath(file), warnings, opts, batch));
        if (joined.failed) throw new JoinedFailure();
      }
      await batch.write();
    });
    return out;
  } catch (e) {
    warnings.length = told;
    if (e instanceof JoinedFailure) return null;
    throw e;
  }
}

/**
 * What the files of a batch would each ask the database for, asked once for the batch: which of their names are
 * loaded already (with which content), an observation number for each (in file order, as one at a time would take
 * them), and their rows of inv_files, written together at the end of the batch's transaction. Three statements for a
 * batch instead of three a file: the sample estate's 145 files took 0.3-0.6 s of its 1.8-2.1 s inventory in them.
 */
interface BatchBook {
  loaded(name: string, hash: string): boolean;
  seq(): Promise<number>;
  file(row: InvFileRow): void;
  write(): Promise<void>;
}

interface InvFileRow {
  name: string;
  hash: string;
  kind: string;
  acct: string | null;
  region: string | null;
  items: number;
}

async function batchBook(db: Db, files: readonly string[]): Promise<BatchBook> {
  const key = (name: string, hash: string) => `${name}\u0000${hash}`;
  const known = new Set(
    (await db.all<{ name: string; content_hash: string }>(
      `SELECT name, content_hash FROM inv_files WHERE name IN (SELECT unnest(from_json($names::JSON, '["VARCHAR"]')))`,
      { names: JSON.stringify(files) },
    )).map((r) => key(r.name, r.content_hash)),
  );
  const seqs = (await db.all<{ s: bigint }>(`SELECT nextval('inv_obs_seq') AS s FROM range(${files.length}) ORDER BY s`)).map((r) => Number(r.s));
  const rows: InvFileRow[] = [];
  return {
    loaded: (name, hash) => known.has(key(name, hash)),
    seq: async () => seqs.shift() ?? Number(await db.value<bigint>(`SELECT nextval('inv_obs_seq')`)),
    file: (row) => {
      rows.push(row);
      known.add(key(row.name, row.hash));
    },
    write: async () => {
      if (!rows.length) return;
      await db.exec(
        `INSERT INTO inv_files (name, content_hash, kind, account_id, region, items, loaded_at)
         SELECT r.name, r.hash, r.kind, r.acct, r.region, r.items, current_timestamp
         FROM (SELECT unnest(from_json($rows::JSON, '[{"name": "VARCHAR", "hash": "VARCHAR", "kind": "VARCHAR", "acct": "VARCHAR", "region": "VARCHAR", "items": "INTEGER"}]')) AS r)`,
        { rows: JSON.stringify(rows) },
      );
    },
  };
}

/** Loads one response (or an array of pages) held in memory, e.g. by an AWS collector. */
export async function loadInventoryDocument(
  db: Db,
  name: string,
  doc: unknown,
  context: DocumentContext = {},
): Promise<InventoryFileReport & { warnings: string[] }> {
  await ensureInventoryTables(db);
  const warnings: string[] = [];
  const hash = createHash('sha256').update(JSON.stringify(doc) ?? '').digest('hex');
  const r = await loadParsed(db, name, hash, doc, { ...contextFromPath(name), ...stripUndefined(context) }, warnings);
  if (context.rebuild !== false) warnings.push(...(await db.transaction(() => rebuildInventory(db))).warnings);
  return { ...r, warnings };
}

function stripUndefined(c: DocumentContext): { accountId?: string; region?: string } {
  const out: { accountId?: string; region?: string } = {};
  if (c.accountId) out.accountId = c.accountId;
  if (c.region) out.region = c.region;
  return out;
}

/**
 * The files under `dir`, symbolic links followed (a folder met again through a link is walked once). A folder
 * that cannot be read is reported as failed and skipped, as the flow-log walk does; the rest loads.
 */
async function walk(dir: string, report: InventoryLoadReport, seen: Set<string>): Promise<string[]> {
  const out: string[] = [];
  let entries;
  try {
    const real = await realpath(dir);
    if (seen.has(real)) return out;
    seen.add(real);
    entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } catch (e) {
    report.files.push({ name: dir, kind: null, items: 0, status: 'failed', error: `cannot read folder ${dir}: ${(e as Error).message}` });
    return out;
  }
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    const st = e.isSymbolicLink() ? await stat(p).catch(() => undefined) : e;
    if (st?.isDirectory()) out.push(...(await walk(p, report, seen)));
    else if (st?.isFile()) out.push(p);
    else if (e.isSymbolicLink()) report.files.push({ name: p, kind: null, items: 0, status: 'failed', error: `${p}: a symbolic link to nothing` });
  }
  return out;
}

type Context = { accountId?: string; region?: string };

function failed(name: string, e: unknown): InventoryFileReport {
  return { name, kind: null, items: 0, status: 'failed', error: `${name}: ${(e as Error).message}` };
}

/** One file: read whole and parsed when it is small, else streamed. */
async function loadFile(db: Db, file: string, ctx: Context, warnings: string[], opts: LoadOptions, batch?: BatchBook): Promise<InventoryFileReport> {
  let size: { bytes: number; gzip: boolean };
  try {
    size = await sizeOf(file);
  } catch (e) {
    return failed(file, e);
  }
  if (size.bytes >= (opts.streamAbove ?? STREAM_ABOVE)) return loadStreamed(db, file, size.gzip, ctx, warnings, opts);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (e) {
    return failed(file, e);
  }
  return loadBytes(db, file, bytes, ctx, warnings, batch);
}

/** A file's size uncompressed (a gzip file says it in its last 4 bytes, modulo 4 GiB), and whether it is gzip. */
async function sizeOf(file: string): Promise<{ bytes: number; gzip: boolean }> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const head = Buffer.alloc(2);
    await fh.read(head, 0, 2, 0);
    if (size < 18 || head[0] !== 0x1f || head[1] !== 0x8b) return { bytes: size, gzip: false };
    const tail = Buffer.alloc(4);
    await fh.read(tail, 0, 4, size - 4);
    return { bytes: Math.max(size, tail.readUInt32LE(0)), gzip: true };
  } finally {
    await fh.close();
  }
}

/** The file's bytes in chunks of 1 MiB, decompressed when it is gzip. */
async function* chunksOf(file: string, gzip: boolean): AsyncGenerator<Uint8Array> {
  const raw = createReadStream(file, { highWaterMark: 2 ** 20 });
  if (!gzip) {
    yield* raw;
    return;
  }
  const gunzip = createGunzip({ chunkSize: 2 ** 20 });
  raw.once('error', (e) => gunzip.destroy(e));
  try {
    yield* raw.pipe(gunzip);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? '';
    throw code.startsWith('Z_') ? new Error(`cannot decompress: ${(e as Error).message}`) : e;
  } finally {
    raw.destroy();
  }
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 2 ** 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * A big file, loaded as it is read (in one transaction, as a parsed one: a file that fails half-way leaves
 * nothing behind). What it stores, warns and reports is what loading it parsed would.
 */
async function loadStreamed(
  db: Db,
  name: string,
  gzip: boolean,
  ctx: Context,
  warnings: string[],
  opts: LoadOptions,
): Promise<InventoryFileReport> {
  let hash: string;
  try {
    hash = await sha256Of(name);
  } catch (e) {
    return failed(name, e);
  }
  // a file loaded before is one Flowlens recognised: its kind is stored with it
  const before = await db.one<{ kind: string }>(`SELECT kind FROM inv_files WHERE name = $name AND content_hash = $hash`, { name, hash });
  if (before) return { name, kind: before.kind, items: 0, status: 'duplicate' };
  const fileWarnings: string[] = [];
  let doc: StreamedDocument | undefined;
  try {
    await db.transaction(async () => {
      const seq = Number(await db.value<bigint>(`SELECT nextval('inv_obs_seq')`));
      const d = (doc = new StreamedDocument({ db, name, accountId: ctx.accountId, region: ctx.region, warnings: fileWarnings, seq }, opts.batchItems ?? BATCH_ITEMS));
      for await (const events of readResponses(chunksOf(name, gzip))) {
        if (opts.signal?.aborted) throw opts.signal.reason instanceof Error ? opts.signal.reason : new Error('inventory load cancelled');
        for (const e of events) await d.on(e);
      }
      if (!d.known.length) return; // nothing was written
      await db.exec(
        `INSERT INTO inv_files (name, content_hash, kind, account_id, region, items, loaded_at)
          VALUES ($name, $hash, $kind, $acct, $region, $items, current_timestamp)`,
        { name, hash, kind: d.known.join(','), acct: ctx.accountId ?? null, region: ctx.region ?? null, items: d.items },
      );
    });
  } catch (e) {
    if (opts.signal?.aborted) throw e;
    if (e instanceof JsonSyntaxError) {
      if (!e.startsLikeJson && !/\.json(\.gz)?$/i.test(name)) return { name, kind: null, items: 0, status: 'unrecognised' };
      return failed(name, e);
    }
    const kinds = doc?.kinds ?? [];
    warnings.push(...unrecognisedPages(name, kinds));
    return failure(name, doc?.known.join(',') || null, e);
  }
  const known = doc?.known ?? [];
  // `[]`: a dump of an operation that had nothing to page through
  if (doc?.rootArray && !doc.kinds.length) return { name, kind: null, items: 0, status: 'loaded' };
  if (!known.length) return { name, kind: null, items: 0, status: 'unrecognised' };
  warnings.push(...unrecognisedPages(name, doc?.kinds ?? []), ...dedupe(fileWarnings));
  return { name, kind: known.join(','), items: doc?.items ?? 0, status: 'loaded' };
}

/** The warning for the pages of a document that are not responses Flowlens reads (none when none is). */
function unrecognisedPages(name: string, kinds: (InventoryKind | null)[]): string[] {
  const skipped = kinds.filter((k) => k === null).length;
  if (!skipped || skipped === kinds.length) return [];
  return [`${name}: ${skipped} of ${plural(kinds.length, 'page')} ${skipped === 1 ? 'is' : 'are'} not a response Flowlens recognises; skipped ${skipped === 1 ? 'it' : 'them'}`];
}

/** A file that failed to load: the error, named by the file. */
function failure(name: string, kind: string | null, e: unknown): InventoryFileReport {
  const msg = (e as Error).message;
  const error = e instanceof InventoryInputError || msg.startsWith(name) ? msg : `${name}: ${msg}`;
  return { name, kind, items: 0, status: 'failed', error };
}

async function loadBytes(
  db: Db,
  name: string,
  bytes: Buffer,
  ctx: Context,
  warnings: string[],
  batch?: BatchBook,
): Promise<InventoryFileReport> {
  const hash = createHash('sha256').update(bytes).digest('hex');
  let text: string;
  try {
    text = (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString('utf8');
  } catch (e) {
    return { name, kind: null, items: 0, status: 'failed', error: `${name}: cannot decompress: ${(e as Error).message}` };
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const looksJson = /\.json(\.gz)?$/i.test(name) || /^\s*[[{]/.test(text);
    if (!looksJson) return { name, kind: null, items: 0, status: 'unrecognised' };
    return { name, kind: null, items: 0, status: 'failed', error: `${name}: invalid JSON${jsonPosition(text, e as Error)}: ${(e as Error).message}` };
  }
  return loadParsed(db, name, hash, doc, ctx, warnings, batch);
}

/** " at line L, column C" from a JSON.parse error that names a position. */
function jsonPosition(text: string, e: Error): string {
  const m = /position (\d+)/.exec(e.message);
  let pos = m ? Number(m[1]) : undefined;
  if (pos === undefined) {
    const lc = /line (\d+) column (\d+)/.exec(e.message);
    if (lc) return ` at line ${lc[1]}, column ${lc[2]}`;
    if (/Unexpected end of JSON input/.test(e.message)) pos = text.length;
    else return '';
  }
  const before = text.slice(0, pos);
  const line = before.split('\n').length;
  const col = pos - before.lastIndexOf('\n');
  return ` at line ${line}, column ${col}`;
}

async function loadParsed(
  db: Db,
  name: string,
  hash: string,
  doc: unknown,
  ctx: { accountId?: string; region?: string },
  warnings: string[],
  batch?: BatchBook,
): Promise<InventoryFileReport> {
  const pages = pagesOf(doc);
  // `[]`: a dump of an operation that had nothing to page through (no target groups, no proxies).
  if (Array.isArray(doc) && !pages.length) return { name, kind: null, items: 0, status: 'loaded' };
  const kinds = pages.map((p) => detectKind(p));
  const known = [...new Set(kinds.filter((k): k is InventoryKind => k !== null))];
  if (!pages.length || !known.length) return { name, kind: null, items: 0, status: 'unrecognised' };
  const kind = known.join(',');
  warnings.push(...unrecognisedPages(name, kinds));
  const dup = batch
    ? batch.loaded(name, hash)
    : Number(await db.value<bigint>(`SELECT count(*) FROM inv_files WHERE name = $name AND content_hash = $hash`, { name, hash })) > 0;
  if (dup) return { name, kind, items: 0, status: 'duplicate' };
  const fileWarnings: string[] = [];
  try {
    const items = await db.transaction(async () => {
      const seq = batch ? await batch.seq() : Number(await db.value<bigint>(`SELECT nextval('inv_obs_seq')`));
      const dc: DocContext = { db, name, accountId: ctx.accountId, region: ctx.region, warnings: fileWarnings, seq };
      let n = 0;
      for (let i = 0; i < pages.length; i++) {
        const k = kinds[i];
        if (!k) continue;
        n += await apiOf(k)!.parse(dc, pages[i] as Record<string, unknown>);
      }
      const row = { name, hash, kind, acct: ctx.accountId ?? null, region: ctx.region ?? null, items: n };
      if (batch) batch.file(row);
      else {
        await db.exec(
          `INSERT INTO inv_files (name, content_hash, kind, account_id, region, items, loaded_at)
          VALUES ($name, $hash, $kind, $acct, $region, $items, current_timestamp)`,
          row,
        );
      }
      return n;
    });
    warnings.push(...dedupe(fileWarnings));
    return { name, kind, items, status: 'loaded' };
  } catch (e) {
    return failure(name, kind, e);
  }
}

function dedupe(ws: string[]): string[] {
  const out: string[] = [];
  const count = new Map<string, number>();
  for (const w of ws) count.set(w, (count.get(w) ?? 0) + 1);
  for (const [w, n] of count) out.push(n > 1 ? `${w} (${n} times)` : w);
  return out;
}

/** Items a response carries (for progress): the length of its list field. */
export function itemCount(doc: unknown): number {
  let n = 0;
  for (const p of pagesOf(doc)) {
    const k = detectKind(p);
    const key = k ? itemsKeyOf(k) : undefined;
    const list = key && p && typeof p === 'object' ? (p as Record<string, unknown>)[key] : undefined;
    if (Array.isArray(list)) n += list.length;
  }
  return n;
}

