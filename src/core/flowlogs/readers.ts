/**
 * Set-based readers: DuckDB parses a whole flow-log file (read_csv for text and gzip, read_parquet for
 * S3 Parquet) straight into flow_records. Rejected lines land in a temporary rejects table, from which
 * the count and the first few (with their line numbers as the user sees them, header included) are taken.
 *
 * Every stored record then passes the value rules of validate.ts. A file with a record that breaks one is read
 * again line by line (loadTextLines / loadParquetRows): its records that pass are stored, the others become bad
 * lines with their number and reason. The same happens when a file's lines do not add up (DuckDB skips empty
 * lines and lines over its maximum size without a word): every line is then a record or a bad line.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lit, type Db } from '../store/db';
import { FLOW_FIELDS, fieldByName, formatString, parseLogFormat, q, type FlowField } from '../model/flowFields';
import { heldTable, recordTable, sourceColumns } from '../store/records';
import { MAX_LINE_BYTES, numberLines } from './lines';
import { addressColumns, brokenAddressSql, reasonSql, validSql } from '../model/validate';

export interface LineError {
  line: number;
  message: string;
  text?: string;
}

export interface LoadResult {
  records: number;
  badLines: number;
  /** The first few rejected lines, in line order. */
  errors: LineError[];
  /** Sums of the stored records' bytes and packets (for the dataset's overflow check). */
  bytes?: bigint;
  packets?: bigint;
  /** Header lines inside the file after its first line (files joined with cat): neither records nor bad lines. */
  headers?: number;
  /** Read in parts, each in its header's format: the records are stored, never read again from the file. */
  joined?: boolean;
  /**
   * The records were counted and checked where they are, not stored: a local file of a dataset that keeps no
   * records, read again from there by the enrichment (record_files).
   */
  inPlace?: boolean;
  /** Counted in place, and its rows held for the enrichment that follows (heldTable). */
  held?: boolean;
}

/** Address fields are stored lower-case (IPv6 may arrive in upper case). */
const ADDRESS_COLUMNS = new Set(['srcaddr', 'dstaddr', 'pkt_srcaddr', 'pkt_dstaddr']);

const REJECTS = 'flowlens_ingest_rejects';
/** Which of a line's rejections speaks for it: an over-long line first, then the first column that failed. */
const REJECT_ORDER = `CASE WHEN e.error_type = 'LINE SIZE OVER MAXIMUM' THEN -1 ELSE e.column_idx END`;
const REJECT_SCANS = 'flowlens_ingest_reject_scans';

const FIELD_NAMES = `[${[...new Set(FLOW_FIELDS.flatMap((f) => [f.name, f.column]))].map((n) => lit(n)).join(', ')}]`;

/** SQL: the text (a rejected line) is a header line: space-separated names of known fields (isHeaderLine). */
function headerLineSql(text: string): string {
  return `(len(list_filter(string_split(trim(regexp_replace(coalesce(${text}, ''), '[\r\n]', '', 'g')), ' '), t -> NOT list_contains(${FIELD_NAMES}, t))) = 0
    AND trim(coalesce(${text}, '')) <> '')`;
}

function selectExpr(f: FlowField, source: string): string {
  if (ADDRESS_COLUMNS.has(f.column)) return `lower(${source})`;
  return source;
}

async function dropRejects(db: Db): Promise<void> {
  await db.exec(`DROP TABLE IF EXISTS temp.${REJECTS}; DROP TABLE IF EXISTS temp.${REJECT_SCANS};`);
}

export interface TextLoadOptions {
  gzip: boolean;
  /** The first line is a header (it is skipped, and still counts for line numbers). */
  header: boolean;
  /**
   * Count and check the records without storing them (a dataset that keeps no records, local files): a file
   * with a record that breaks a value rule is still read line by line and stored.
   */
  inPlace?: boolean;
  /** With inPlace: the rows are also kept in this process's held table of their format, for the enrichment that follows. */
  hold?: boolean;
  maxErrors: number;
  /**
   * The files' lines joined in one plain file (joined.ts), each prefixed with a position: `fileIds[position]` is the
   * file_id of its records, NULL for lines to leave out (a file of the batch found loaded before). The files are
   * read from their own paths only when one has a line DuckDB rejects.
   */
  joined?: { path: string; fileIds: readonly (number | null)[] };
}

/** The read_csv call that yields one typed column per field, '-' as NULL, bad lines to the rejects table. */
export function readCsvSql(path: string, fields: readonly FlowField[], opts: { gzip: boolean; header: boolean; rejects: boolean; literal?: boolean }): string {
  const columns = '{' + fields.map((f) => `${lit(f.column)}: ${lit(f.type)}`).join(', ') + '}';
  const args = [
    opts.literal ? path : lit(path),
    `delim = ' '`,
    `quote = ''`,
    `escape = ''`,
    `header = ${opts.header}`,
    `nullstr = '-'`,
    `auto_detect = false`,
    `columns = ${columns}`,
    `compression = ${opts.gzip ? `'gzip'` : `'none'`}`,
  ];
  if (opts.rejects) {
    args.push('ignore_errors = true', 'store_rejects = true', `rejects_table = ${lit(REJECTS)}`, `rejects_scan = ${lit(REJECT_SCANS)}`);
  }
  return `read_csv(${args.join(', ')})`;
}

/** One file of a batch: where DuckDB reads it and the file_id its records get. */
export interface BatchFile {
  path: string;
  fileId: number;
}

/**
 * SQL: the file_id of a record read from a list of files, by its position in the list (DuckDB's file_index):
 * no per-record match on the file's name, which cost 8 % of a 10 M-record load.
 */
function fileIdOf(files: readonly BatchFile[]): string {
  return `[${files.map((f) => Math.floor(f.fileId)).join(', ')}][r.file_index::BIGINT + 1]`;
}

/**
 * Loads many text (or gzip text) files of one format with a single read_csv over all of them: the
 * per-file cost of a statement is paid once per batch. Results are per file, keyed by file_id.
 */
export async function loadTextBatch(db: Db, files: readonly BatchFile[], fields: readonly FlowField[], opts: TextLoadOptions): Promise<Map<number, LoadResult>> {
  await dropRejects(db);
  const joined = opts.joined;
  const source = joined
    ? readCsvSql(joined.path, [JOINED_POSITION, ...fields], { gzip: false, header: false, rejects: true })
    : readCsvSql('[' + files.map((f) => lit(f.path)).join(', ') + ']', fields, { gzip: opts.gzip, header: opts.header, rejects: true, literal: true });
  const fileId = joined ? `[${joined.fileIds.map((f) => (f === null ? 'NULL' : Math.floor(f))).join(', ')}][r.${JOINED_POSITION.column} + 1]` : fileIdOf(files);
  const rows = `(SELECT * FROM (SELECT ${fileId} AS file_id, ${fields.map((f) => `${selectExpr(f, 'r.' + q(f.column))} AS ${q(f.column)}`).join(', ')} FROM ${source} r)${joined ? ' WHERE file_id IS NOT NULL' : ''})`;
  const results = new Map<number, LoadResult>(files.map((f) => [f.fileId, { records: 0, badLines: 0, errors: [], ...(opts.inPlace ? { inPlace: true } : {}) }]));
  let invalid: Set<number>;
  const table = opts.inPlace ? undefined : await recordTable(db, fields);
  if (!table) {
    // counted and checked as read; the enrichment reads the file again (the same read_csv and value rules)
    if (opts.hold) invalid = await countHeld(db, rows, files, fields, results);
    else invalid = await countStored(db, rows, fields, results, 'rows');
  } else {
    await db.exec(`INSERT INTO ${table} (file_id, ${fields.map((f) => q(f.column)).join(', ')}) SELECT * FROM ${rows}`);
    invalid = await countStored(db, table, fields, results);
  }
  if (joined) return readRejectedAlone(db, files, fields, opts, table, results, invalid);
  await db.exec(`CREATE OR REPLACE TEMP TABLE flowlens_batch_files (path VARCHAR, file_id INTEGER)`);
  await db.exec(`INSERT INTO flowlens_batch_files VALUES ${files.map((f) => `(${lit(f.path)}, ${Math.floor(f.fileId)})`).join(', ')}`);
  // Header lines inside a file (files joined with cat) were rejected as records. When each repeats the file's own
  // format, every record around them was read as it is: they are counted as header lines, not bad ones. A header
  // of another format switches the format from its line on: that file is read again line by line.
  const headerRows = await db.all<{ file_id: number; line: bigint; text: string }>(
    `SELECT b.file_id, e.line, any_value(e.csv_line) AS text FROM temp.${REJECTS} e
     JOIN temp.${REJECT_SCANS} s ON s.scan_id = e.scan_id AND s.file_id = e.file_id
     JOIN flowlens_batch_files b ON b.path = s.file_path
     WHERE ${headerLineSql('e.csv_line')} GROUP BY b.file_id, e.line`,
  );
  const own = formatString(fields);
  for (const h of headerRows) {
    let same = false;
    try {
      same = formatString(parseLogFormat(h.text)) === own;
    } catch {
      // not a valid format (a field twice): the line-by-line reader says so
    }
    if (same) results.get(h.file_id)!.headers = (results.get(h.file_id)!.headers ?? 0) + 1;
    else invalid.add(h.file_id);
  }
  const notHeader = headerRows.length ? `WHERE NOT ${headerLineSql('e.csv_line')}` : '';
  const rejects = await db.all<{ file_id: number; line: bigint; n: bigint; error_type: string; error_message: string; csv_line: string | null; column_name: string | null }>(
    `WITH e AS (
       SELECT b.file_id, e.line, arg_min(e.error_type, ${REJECT_ORDER}) AS error_type, arg_min(e.error_message, ${REJECT_ORDER}) AS error_message,
              arg_min(e.csv_line, ${REJECT_ORDER}) AS csv_line, arg_min(e.column_name, ${REJECT_ORDER}) AS column_name
       FROM temp.${REJECTS} e
       JOIN temp.${REJECT_SCANS} s ON s.scan_id = e.scan_id AND s.file_id = e.file_id
       JOIN flowlens_batch_files b ON b.path = s.file_path
       ${notHeader}
       GROUP BY b.file_id, e.line
     )
     SELECT *, count(*) OVER (PARTITION BY file_id) AS n FROM e
     QUALIFY row_number() OVER (PARTITION BY file_id ORDER BY line) <= ${Math.max(0, Math.floor(opts.maxErrors))}
     ORDER BY file_id, line`,
  );
  const badCounts = await db.all<{ file_id: number; n: bigint }>(
    `SELECT b.file_id, count(DISTINCT e.line) AS n FROM temp.${REJECTS} e
     JOIN temp.${REJECT_SCANS} s ON s.scan_id = e.scan_id AND s.file_id = e.file_id
     JOIN flowlens_batch_files b ON b.path = s.file_path ${notHeader} GROUP BY b.file_id`,
  );
  for (const r of badCounts) results.get(r.file_id)!.badLines = Number(r.n);
  for (const r of rejects) {
    const text = (r.csv_line ?? '').replace(/^[\r\n]+|[\r\n]+$/g, '');
    results.get(r.file_id)!.errors.push({ line: Number(r.line), message: describeReject(r.error_type, r.error_message, r.column_name, text, fields), text: text.slice(0, 2000) });
  }
  await dropRejects(db);
  await db.exec(`DROP TABLE IF EXISTS flowlens_batch_files`);
  return readInvalidByLine(db, files, fields, opts, results, invalid);
}

/** The prefix of a joined file's lines: the position of the line's file in the batch. */
const JOINED_POSITION: FlowField = { name: 'flowlens-file', column: 'flowlens_file', version: 2, type: 'INTEGER' };

/** Files with a record that breaks a value rule: read again line by line, their records that pass stored. */
async function readInvalidByLine(db: Db, files: readonly BatchFile[], fields: readonly FlowField[], opts: TextLoadOptions, results: Map<number, LoadResult>,
  invalid: Set<number>): Promise<Map<number, LoadResult>> {
  for (const f of files) {
    if (invalid.has(f.fileId)) results.set(f.fileId, await loadTextLines(db, f, fields, opts));
  }
  return results;
}

/**
 * After a joined read (opts.joined): the files with a line DuckDB rejected lose what the joined read kept of them, and
 * are read from their own paths, as a batch of their own that numbers and tells their bad lines (and header lines);
 * the others' results stand.
 */
async function readRejectedAlone(db: Db, files: readonly BatchFile[], fields: readonly FlowField[], opts: TextLoadOptions, table: string | undefined,
  results: Map<number, LoadResult>, invalid: Set<number>): Promise<Map<number, LoadResult>> {
  const fileIds = opts.joined!.fileIds;
  const positions = await db.all<{ k: number | null }>(`SELECT DISTINCT try_cast(split_part(csv_line, ' ', 1) AS INTEGER) AS k FROM temp.${REJECTS}`);
  await dropRejects(db);
  // (a line whose prefix is lost cannot be told to its file: the batch fails, and its files are read one by one)
  if (positions.some((p) => p.k === null || p.k < 0 || p.k >= fileIds.length)) throw new Error('a joined line rejected without its file');
  const ids = new Set(files.map((f) => f.fileId));
  const again = files.filter((f) => positions.some((p) => fileIds[p.k!] === f.fileId));
  const good = files.filter((f) => !again.includes(f));
  if (again.length) {
    const list = again.map((f) => Math.floor(f.fileId)).join(', ');
    if (table) await db.exec(`DELETE FROM ${table} WHERE file_id IN (${list})`);
    else if (opts.hold) await db.exec(`DELETE FROM temp.${heldTable(formatString(fields))} WHERE file_id IN (${list})`);
    for (const [id, r] of await loadTextBatch(db, again, fields, { ...opts, joined: undefined })) if (ids.has(id)) results.set(id, r);
  }
  return readInvalidByLine(db, good, fields, opts, results, invalid);
}

/**
 * Rows (file_id, then `fields`) parsed once and kept in this process's held table of their format for the enrichment
 * (which would read the files again), counted from there (as countStored); the files' results say they are held.
 */
async function countHeld(db: Db, rows: string, files: readonly BatchFile[], fields: readonly FlowField[], results: Map<number, LoadResult>): Promise<Set<number>> {
  const held = heldTable(formatString(fields));
  await db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${held} (file_id INTEGER, ${fields.map((f) => `${q(f.column)} ${f.type}`).join(', ')})`);
  await db.exec(`INSERT INTO temp.${held} SELECT * FROM ${rows}`);
  const invalid = await countStored(db, `temp.${held}`, fields, results);
  for (const f of files) results.get(f.fileId)!.held = true;
  return invalid;
}

/**
 * Counts each file's stored records (and sums its bytes and packets) into `results`; returns the files with a
 * stored record that breaks a value rule. `table` is a table, or a query cheap to read twice: the addresses are
 * checked once each, in a second read of their distinct values (validSql); `rows` is read once (a read of the files
 * themselves), every rule per record.
 */
async function countStored(db: Db, table: string, fields: readonly FlowField[], results: Map<number, LoadResult>, read: 'table' | 'rows' = 'table'): Promise<Set<number>> {
  const has = (c: string) => fields.some((f) => f.column === c);
  // the files' ids as a range (a filter the scan applies by row group), which may take in others: their rows are not counted
  const ids = `file_id BETWEEN ${Math.min(...results.keys())} AND ${Math.max(...results.keys())}`;
  const addresses = read === 'table' ? addressColumns(fields) : [];
  const invalid = new Set<number>();
  for (const r of await db.all<{ file_id: number; n: bigint; bad: bigint; bytes: bigint | null; packets: bigint | null }>(
    `SELECT file_id, count(*) AS n, count(*) FILTER (WHERE NOT (${validSql(fields, q, undefined, { addresses: addresses.length === 0 })})) AS bad,
       ${has('bytes') ? 'sum(bytes)::HUGEINT' : 'NULL::HUGEINT'} AS bytes, ${has('packets') ? 'sum(packets)::HUGEINT' : 'NULL::HUGEINT'} AS packets
     FROM ${table} WHERE ${ids} GROUP BY file_id`,
  )) {
    const result = results.get(r.file_id);
    if (!result) continue;
    result.records = Number(r.n);
    result.bytes = r.bytes ?? 0n;
    result.packets = r.packets ?? 0n;
    if (r.bad > 0n) invalid.add(r.file_id);
  }
  if (addresses.length === 0) return invalid;
  // (a count, not EXISTS: DuckDB plans that one slower, 1.5-1.9 s against 0.5-0.8 s at 10 M records)
  const broken = await db.value<bigint>(
    `SELECT count(*) FILTER (WHERE ${brokenAddressSql('a')}) FROM (${addresses.map((c) => `SELECT ${q(c)} AS a FROM ${table} WHERE ${ids}`).join(' UNION ')})`,
  );
  if (!broken) return invalid;
  // some address is not one: which files have it (rare, so per record)
  for (const r of await db.all<{ file_id: number }>(
    `SELECT DISTINCT file_id FROM ${table} WHERE ${ids} AND (${addresses.map((c) => brokenAddressSql(q(c))).join(' OR ')})`,
  )) if (results.has(r.file_id)) invalid.add(r.file_id);
  return invalid;
}

/** Loads a text (or gzip text) file of records in `fields` order into flow_records under fileId. */
export async function loadText(db: Db, fileId: number, path: string, fields: readonly FlowField[], opts: TextLoadOptions): Promise<LoadResult> {
  try {
    return (await loadTextBatch(db, [{ path, fileId }], fields, opts)).get(fileId)!;
  } catch (err) {
    if (/CSV|Invalid Input Error|Conversion Error/.test(err instanceof Error ? err.message : String(err))) throw new ReadByLine(err);
    throw err;
  }
}

/**
 * DuckDB gave up on a text file as a whole (e.g. a carriage return inside a line): its transaction is aborted,
 * and the file is to be loaded again, line by line (loadTextLines), in a new one.
 */
export class ReadByLine extends Error {
  constructor(cause: unknown) {
    super('the file is read again line by line', { cause });
  }
}

/**
 * Loads one text file line by line: its numbered lines (lines.ts) are parsed by the same read_csv, the records
 * that pass the value rules are stored, and every other line is a bad line with its number and reason. A header
 * line inside the file switches the format from the next line on (each run of lines is read in its own format,
 * into that format's table). Records the file already has stored (a first, set-based attempt in this
 * transaction) are replaced.
 */
export async function loadTextLines(db: Db, file: BatchFile, fields: readonly FlowField[], opts: TextLoadOptions): Promise<LoadResult> {
  const id = Math.floor(file.fileId);
  const maxErrors = Math.max(0, Math.floor(opts.maxErrors));
  const work = await mkdtemp(join(tmpdir(), `flowlens-ingest-${process.pid}-`));
  try {
    const screened = await numberLines(file.path, opts.gzip, opts.header, join(work, 'numbered'), maxErrors);
    const segments = screened.segments.map((seg) => ({ ...seg, fields: seg.fields ?? fields }));
    const tables = new Map<string, readonly FlowField[]>();
    for (const seg of [{ fields }, ...segments]) tables.set(await recordTable(db, seg.fields), seg.fields);
    for (const table of tables.keys()) await db.exec(`DELETE FROM ${table} WHERE file_id = ${id}`);
    const result: LoadResult = { records: 0, badLines: screened.bad, errors: [...screened.errors], bytes: 0n, packets: 0n, headers: screened.headers, joined: screened.headers > 0 };
    for (const seg of segments) {
      if (seg.written > 0) await loadNumbered(db, id, seg.path, seg.fields, await recordTable(db, seg.fields), maxErrors, result);
    }
    for (const [table, tableFields] of tables) {
      const sums = new Map<number, LoadResult>([[id, { records: 0, badLines: 0, errors: [] }]]);
      await countStored(db, table, tableFields, sums);
      const r = sums.get(id)!;
      result.records += r.records;
      result.bytes = (result.bytes ?? 0n) + (r.bytes ?? 0n);
      result.packets = (result.packets ?? 0n) + (r.packets ?? 0n);
    }
    result.errors.sort((a, b) => a.line - b.line);
    result.errors = result.errors.slice(0, maxErrors);
    return result;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Reads one numbered segment in `fields`: the valid records into `table`, the rest counted and described in `result`. */
async function loadNumbered(db: Db, id: number, numbered: string, fields: readonly FlowField[], table: string, maxErrors: number, result: LoadResult): Promise<void> {
  await dropRejects(db);
  const lineField: FlowField = { name: 'flowlens_line', column: 'flowlens_line', version: 2, type: 'BIGINT' };
  await db.exec(`CREATE OR REPLACE TEMP TABLE flowlens_numbered AS SELECT * FROM ${readCsvSql(numbered, [lineField, ...fields], { gzip: false, header: false, rejects: true })}`);
  const col = (c: string) => (ADDRESS_COLUMNS.has(c) ? `lower(${q(c)})` : q(c));
  const valid = validSql(fields, col);
  await db.exec(
    `INSERT INTO ${table} (file_id, ${fields.map((f) => q(f.column)).join(', ')})
     SELECT ${id}, ${fields.map((f) => selectExpr(f, q(f.column))).join(', ')} FROM flowlens_numbered WHERE ${valid}`,
  );
  const text = `concat_ws(' ', ${fields.map((f) => `coalesce(${q(f.column)}::VARCHAR, '-')`).join(', ')})`;
  const broken = await db.all<{ line: bigint; reason: string; text: string }>(
    `SELECT flowlens_line AS line, ${reasonSql(fields, col)} AS reason, ${text} AS text
     FROM flowlens_numbered WHERE NOT (${valid}) ORDER BY flowlens_line LIMIT ${maxErrors}`,
  );
  const brokenCount = Number(await db.value<bigint>(`SELECT count(*) FROM flowlens_numbered WHERE NOT (${valid})`));
  const rejected = await db.all<{ line: bigint; error_type: string; error_message: string; csv_line: string | null; column_name: string | null }>(
    `SELECT e.line, arg_min(e.error_type, ${REJECT_ORDER}) AS error_type, arg_min(e.error_message, ${REJECT_ORDER}) AS error_message,
            arg_min(e.csv_line, ${REJECT_ORDER}) AS csv_line, arg_min(e.column_name, ${REJECT_ORDER}) AS column_name
     FROM temp.${REJECTS} e GROUP BY e.line ORDER BY e.line LIMIT ${maxErrors}`,
  );
  const rejectedCount = Number(await db.value<bigint>(`SELECT count(DISTINCT line) FROM temp.${REJECTS}`));
  await dropRejects(db);
  await db.exec(`DROP TABLE IF EXISTS flowlens_numbered`);
  result.badLines += brokenCount + rejectedCount;
  for (const b of broken) result.errors.push({ line: Number(b.line), message: b.reason, text: b.text.slice(0, 2000) });
  for (const r of rejected) {
    const raw = (r.csv_line ?? '').replace(/^[\r\n]+|[\r\n]+$/g, '');
    const space = raw.indexOf(' ');
    const line = Number(space > 0 ? raw.slice(0, space) : raw);
    const text = space > 0 ? raw.slice(space + 1) : '';
    result.errors.push({ line, message: describeReject(r.error_type, r.error_message, r.column_name, text, fields), text: text.slice(0, 2000) });
  }
}

function describeReject(type: string, message: string, column: string | null, text: string, fields: readonly FlowField[]): string {
  // a line edited by hand or aligned by a tool: each extra space is an empty field, and the fields after it shift
  const spacing = / {2}|^ | $/.test(text) ? '; the line has two spaces in a row or a space at an end, and flow-log fields are separated by one space' : '';
  if (type === 'MISSING COLUMNS' || type === 'TOO MANY COLUMNS') {
    // counted as DuckDB counts them: separated by single spaces
    const found = text === '' ? 0 : text.split(' ').length;
    const tabs = text.includes('\t') ? '; the line is separated by tabs, flow-log fields by spaces' : '';
    return `${found} field${found === 1 ? '' : 's'}, but the log format has ${fields.length}${tabs}${spacing}`;
  }
  if (type === 'LINE SIZE OVER MAXIMUM') {
    const size = /Actual Size:\s*(\d+)/.exec(message);
    return size ? `the line is ${Number(size[1]).toLocaleString('en-US')} bytes long; a flow record is at most ${MAX_LINE_BYTES.toLocaleString('en-US')}` : message;
  }
  if (type === 'CAST') {
    const field = (column && fieldByName(column)?.name) ?? column ?? 'a field';
    const m = /Could not convert string "(.*)" to '(\w+)'/.exec(message);
    if (m) return `${field}: "${m[1]}" is not ${m[2] === 'INTEGER' || m[2] === 'BIGINT' ? 'a number' : 'a ' + m[2]}${spacing}`;
    return `${field}: ${message}${spacing}`;
  }
  return message;
}

export interface ParquetColumn {
  field: FlowField;
  /** The column name in the file (AWS writes the field name with `_`). */
  source: string;
}

/** The flow-log fields of a Parquet file's columns; columns Flowlens does not know are listed apart. */
export async function parquetColumns(db: Db, path: string | readonly string[]): Promise<{ columns: ParquetColumn[]; ignored: string[] }> {
  const source = typeof path === 'string' ? lit(path) : `[${path.map(lit).join(', ')}], union_by_name = true`;
  const cols = await db.all<{ column_name: string }>(`DESCRIBE SELECT * FROM read_parquet(${source}, binary_as_string = true)`);
  const columns: ParquetColumn[] = [];
  const ignored: string[] = [];
  for (const c of cols) {
    const field = fieldByName(c.column_name);
    if (field && !columns.some((x) => x.field === field)) columns.push({ field, source: c.column_name });
    else ignored.push(c.column_name);
  }
  return { columns, ignored };
}

function parquetExprs(columns: readonly ParquetColumn[], prefix = '', named = false): string {
  return columns
    .map(({ field, source }) => {
      const src = prefix + q(source);
      const typed = field.type === 'VARCHAR' ? `nullif(CAST(${src} AS VARCHAR), '-')` : `CAST(${src} AS ${field.type})`;
      return selectExpr(field, typed) + (named ? ` AS ${q(field.column)}` : '');
    })
    .join(', ');
}

/**
 * Loads many Parquet files (one flow log's objects) in one statement; columns a file lacks are NULL. With inPlace,
 * their records are counted and checked where they are, not stored, as text files' are (with hold, also kept for the
 * enrichment that follows): the sample estate's 1,464 small files were staged, and their 57 k rows cost a stored
 * table's write and commit, then its copy and drop at the enrichment.
 */
export async function loadParquetBatch(db: Db, files: readonly BatchFile[], columns: readonly ParquetColumn[], opts: { inPlace?: boolean; hold?: boolean } = {}): Promise<Map<number, LoadResult>> {
  const fields = columns.map((c) => c.field);
  const list = '[' + files.map((f) => lit(f.path)).join(', ') + ']';
  const source = `read_parquet(${list}, binary_as_string = true, union_by_name = true) r`;
  const results = new Map<number, LoadResult>(files.map((f) => [f.fileId, { records: 0, badLines: 0, errors: [], ...(opts.inPlace ? { inPlace: true } : {}) }]));
  let invalid: Set<number>;
  if (opts.inPlace) {
    const rows = `(SELECT ${fileIdOf(files)} AS file_id, ${parquetExprs(columns, 'r.', true)} FROM ${source})`;
    invalid = opts.hold ? await countHeld(db, rows, files, fields, results) : await countStored(db, rows, fields, results, 'rows');
  } else {
    const table = await recordTable(db, fields);
    await db.exec(`INSERT INTO ${table} (file_id, ${fields.map((f) => q(f.column)).join(', ')}) SELECT ${fileIdOf(files)}, ${parquetExprs(columns, 'r.')} FROM ${source}`);
    invalid = await countStored(db, table, fields, results);
  }
  // the columns as these files name them, for flow_records to read them later without asking each file (records.ts)
  await db.exec(`UPDATE ingest_files SET source_columns = ${lit(sourceColumns(columns.map((c) => c.source)))} WHERE file_id IN (${files.map((f) => Math.floor(f.fileId)).join(', ')})`);
  for (const f of files) {
    // stored, without the rows that break a rule (and no longer in place)
    if (invalid.has(f.fileId)) results.set(f.fileId, await loadParquetRows(db, f, columns, 5));
  }
  return results;
}

/** Loads an S3 Parquet flow-log file into flow_records under fileId. */
export async function loadParquet(db: Db, fileId: number, path: string, columns: readonly ParquetColumn[], opts: { inPlace?: boolean; hold?: boolean } = {}): Promise<LoadResult> {
  return (await loadParquetBatch(db, [{ path, fileId }], columns, opts)).get(fileId)!;
}

/**
 * Loads one Parquet file keeping only the rows that pass the value rules; each other row is a bad line numbered
 * by its row in the file (from 1). Rows already stored for the file are replaced.
 */
async function loadParquetRows(db: Db, file: BatchFile, columns: readonly ParquetColumn[], maxErrors: number): Promise<LoadResult> {
  const fields = columns.map((c) => c.field);
  const table = await recordTable(db, fields);
  const id = Math.floor(file.fileId);
  await db.exec(`DELETE FROM ${table} WHERE file_id = ${id}`);
  await db.exec(
    `CREATE OR REPLACE TEMP TABLE flowlens_rows AS SELECT file_row_number + 1 AS flowlens_row, ${parquetExprs(columns, '', true)}
     FROM read_parquet(${lit(file.path)}, binary_as_string = true, file_row_number = true)`,
  );
  const valid = validSql(fields);
  await db.exec(`INSERT INTO ${table} (file_id, ${fields.map((f) => q(f.column)).join(', ')}) SELECT ${id}, ${fields.map((f) => q(f.column)).join(', ')} FROM flowlens_rows WHERE ${valid}`);
  const result = new Map<number, LoadResult>([[id, { records: 0, badLines: 0, errors: [] }]]);
  await countStored(db, table, fields, result);
  const text = `concat_ws(' ', ${fields.map((f) => `coalesce(${q(f.column)}::VARCHAR, '-')`).join(', ')})`;
  const broken = await db.all<{ line: bigint; reason: string; text: string }>(
    `SELECT flowlens_row AS line, ${reasonSql(fields)} AS reason, ${text} AS text FROM flowlens_rows WHERE NOT (${valid}) ORDER BY 1 LIMIT ${maxErrors}`,
  );
  const r = result.get(id)!;
  r.badLines = Number(await db.value<bigint>(`SELECT count(*) FROM flowlens_rows WHERE NOT (${valid})`));
  r.errors = broken.map((b) => ({ line: Number(b.line), message: b.reason, text: b.text.slice(0, 2000) }));
  await db.exec(`DROP TABLE IF EXISTS flowlens_rows`);
  return r;
}
