/**
 * Set-based readers: DuckDB parses a whole flow-log file (read_csv for text and gzip, read_parquet for
 * S3 Parquet) straight into flow_records. Rejected lines land in a temporary rejects table, from which
 * the count and the first few (with their line numbers as the user sees them, header included) are taken.
 */
import { lit, type Db } from '../store/db';
import { fieldByName, q, type FlowField } from '../model/flowFields';
import { recordTable } from '../store/records';

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
}

/** Address fields are stored lower-case (IPv6 may arrive in upper case). */
const ADDRESS_COLUMNS = new Set(['srcaddr', 'dstaddr', 'pkt_srcaddr', 'pkt_dstaddr']);

const REJECTS = 'flowlens_ingest_rejects';
const REJECT_SCANS = 'flowlens_ingest_reject_scans';

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
  maxErrors: number;
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
  await db.exec(`CREATE OR REPLACE TEMP TABLE flowlens_batch_files (path VARCHAR, file_id INTEGER)`);
  await db.exec(`INSERT INTO flowlens_batch_files VALUES ${files.map((f) => `(${lit(f.path)}, ${Math.floor(f.fileId)})`).join(', ')}`);
  const list = '[' + files.map((f) => lit(f.path)).join(', ') + ']';
  const source = readCsvSql(list, fields, { gzip: opts.gzip, header: opts.header, rejects: true, literal: true });
  const targets = fields.map((f) => q(f.column)).join(', ');
  const exprs = fields.map((f) => selectExpr(f, 'r.' + q(f.column))).join(', ');
  const table = await recordTable(db, fields);
  await db.exec(`INSERT INTO ${table} (file_id, ${targets}) SELECT ${fileIdOf(files)}, ${exprs} FROM ${source} r`);
  const results = new Map<number, LoadResult>(files.map((f) => [f.fileId, { records: 0, badLines: 0, errors: [] }]));
  for (const r of await db.all<{ file_id: number; n: bigint }>(
    `SELECT file_id, count(*) AS n FROM ${table} WHERE file_id IN (SELECT file_id FROM flowlens_batch_files) GROUP BY file_id`,
  )) {
    results.get(r.file_id)!.records = Number(r.n);
  }
  const rejects = await db.all<{ file_id: number; line: bigint; n: bigint; error_type: string; error_message: string; csv_line: string | null; column_name: string | null }>(
    `WITH e AS (
       SELECT b.file_id, e.line, arg_min(e.error_type, e.column_idx) AS error_type, arg_min(e.error_message, e.column_idx) AS error_message,
              arg_min(e.csv_line, e.column_idx) AS csv_line, arg_min(e.column_name, e.column_idx) AS column_name
       FROM temp.${REJECTS} e
       JOIN temp.${REJECT_SCANS} s ON s.scan_id = e.scan_id AND s.file_id = e.file_id
       JOIN flowlens_batch_files b ON b.path = s.file_path
       GROUP BY b.file_id, e.line
     )
     SELECT *, count(*) OVER (PARTITION BY file_id) AS n FROM e
     QUALIFY row_number() OVER (PARTITION BY file_id ORDER BY line) <= ${Math.max(0, Math.floor(opts.maxErrors))}
     ORDER BY file_id, line`,
  );
  const badCounts = await db.all<{ file_id: number; n: bigint }>(
    `SELECT b.file_id, count(DISTINCT e.line) AS n FROM temp.${REJECTS} e
     JOIN temp.${REJECT_SCANS} s ON s.scan_id = e.scan_id AND s.file_id = e.file_id
     JOIN flowlens_batch_files b ON b.path = s.file_path GROUP BY b.file_id`,
  );
  for (const r of badCounts) results.get(r.file_id)!.badLines = Number(r.n);
  for (const r of rejects) {
    const text = (r.csv_line ?? '').replace(/^[\r\n]+|[\r\n]+$/g, '');
    results.get(r.file_id)!.errors.push({ line: Number(r.line), message: describeReject(r.error_type, r.error_message, r.column_name, text, fields), text: text.slice(0, 2000) });
  }
  await dropRejects(db);
  await db.exec(`DROP TABLE IF EXISTS flowlens_batch_files`);
  return results;
}

/** Loads a text (or gzip text) file of records in `fields` order into flow_records under fileId. */
export async function loadText(db: Db, fileId: number, path: string, fields: readonly FlowField[], opts: TextLoadOptions): Promise<LoadResult> {
  return (await loadTextBatch(db, [{ path, fileId }], fields, opts)).get(fileId)!;
}

function describeReject(type: string, message: string, column: string | null, text: string, fields: readonly FlowField[]): string {
  if (type === 'MISSING COLUMNS' || type === 'TOO MANY COLUMNS') {
    const found = text.trim() === '' ? 0 : text.trim().split(/\s+/).length;
    return `${found} fields, but the log format has ${fields.length}`;
  }
  if (type === 'CAST') {
    const field = (column && fieldByName(column)?.name) ?? column ?? 'a field';
    const m = /Could not convert string "(.*)" to '(\w+)'/.exec(message);
    if (m) return `${field}: "${m[1]}" is not ${m[2] === 'INTEGER' || m[2] === 'BIGINT' ? 'a number' : 'a ' + m[2]}`;
    return `${field}: ${message}`;
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

function parquetExprs(columns: readonly ParquetColumn[], prefix = ''): string {
  return columns
    .map(({ field, source }) => {
      const src = prefix + q(source);
      const typed = field.type === 'VARCHAR' ? `nullif(CAST(${src} AS VARCHAR), '-')` : `CAST(${src} AS ${field.type})`;
      return selectExpr(field, typed);
    })
    .join(', ');
}

/** Loads many Parquet files (one flow log's objects) in one statement; columns a file lacks are NULL. */
export async function loadParquetBatch(db: Db, files: readonly BatchFile[], columns: readonly ParquetColumn[]): Promise<Map<number, LoadResult>> {
  await db.exec(`CREATE OR REPLACE TEMP TABLE flowlens_batch_files (path VARCHAR, file_id INTEGER)`);
  await db.exec(`INSERT INTO flowlens_batch_files VALUES ${files.map((f) => `(${lit(f.path)}, ${Math.floor(f.fileId)})`).join(', ')}`);
  const targets = columns.map((c) => q(c.field.column)).join(', ');
  const list = '[' + files.map((f) => lit(f.path)).join(', ') + ']';
  const table = await recordTable(db, columns.map((c) => c.field));
  await db.exec(
    `INSERT INTO ${table} (file_id, ${targets}) SELECT ${fileIdOf(files)}, ${parquetExprs(columns, 'r.')}
     FROM read_parquet(${list}, binary_as_string = true, union_by_name = true) r`,
  );
  const results = new Map<number, LoadResult>(files.map((f) => [f.fileId, { records: 0, badLines: 0, errors: [] }]));
  for (const r of await db.all<{ file_id: number; n: bigint }>(
    `SELECT file_id, count(*) AS n FROM ${table} WHERE file_id IN (SELECT file_id FROM flowlens_batch_files) GROUP BY file_id`,
  )) {
    results.get(r.file_id)!.records = Number(r.n);
  }
  await db.exec(`DROP TABLE IF EXISTS flowlens_batch_files`);
  return results;
}

/** Loads an S3 Parquet flow-log file into flow_records under fileId. */
export async function loadParquet(db: Db, fileId: number, path: string, columns: readonly ParquetColumn[]): Promise<LoadResult> {
  const targets = columns.map((c) => q(c.field.column)).join(', ');
  const exprs = parquetExprs(columns);
  const table = await recordTable(db, columns.map((c) => c.field));
  const inserted = await db.value<bigint>(
    `INSERT INTO ${table} (file_id, ${targets}) SELECT ${fileId}, ${exprs} FROM read_parquet(${lit(path)}, binary_as_string = true)`,
  );
  return { records: Number(inserted), badLines: 0, errors: [] };
}
