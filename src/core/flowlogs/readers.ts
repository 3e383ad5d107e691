/**
 * Set-based readers: DuckDB parses a whole flow-log file (read_csv for text and gzip, read_parquet for
 * S3 Parquet) straight into flow_records. Rejected lines land in a temporary rejects table, from which
 * the count and the first few (with their line numbers as the user sees them, header included) are taken.
 */
import { lit, type Db } from '../store/db';
import { fieldByName, q, type FlowField } from './fields';

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
export function readCsvSql(path: string, fields: readonly FlowField[], opts: { gzip: boolean; header: boolean; rejects: boolean }): string {
  const columns = '{' + fields.map((f) => `${lit(f.column)}: ${lit(f.type)}`).join(', ') + '}';
  const args = [
    lit(path),
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

/** Loads a text (or gzip text) file of records in `fields` order into flow_records under fileId. */
export async function loadText(db: Db, fileId: number, path: string, fields: readonly FlowField[], opts: TextLoadOptions): Promise<LoadResult> {
  await dropRejects(db);
  const source = readCsvSql(path, fields, { gzip: opts.gzip, header: opts.header, rejects: true });
  const targets = fields.map((f) => q(f.column)).join(', ');
  const exprs = fields.map((f) => selectExpr(f, q(f.column))).join(', ');
  const inserted = await db.value<bigint>(`INSERT INTO flow_records (file_id, ${targets}) SELECT ${fileId}, ${exprs} FROM ${source}`);
  const badLines = Number(await db.value<bigint>(`SELECT count(DISTINCT line) FROM temp.${REJECTS}`));
  let errors: LineError[] = [];
  if (badLines > 0 && opts.maxErrors > 0) {
    const rows = await db.all<{ line: bigint; error_type: string; error_message: string; csv_line: string | null; column_name: string | null }>(
      `SELECT line,
              arg_min(error_type, column_idx) AS error_type,
              arg_min(error_message, column_idx) AS error_message,
              arg_min(csv_line, column_idx) AS csv_line,
              arg_min(column_name, column_idx) AS column_name
         FROM temp.${REJECTS} GROUP BY line ORDER BY line LIMIT ${Math.floor(opts.maxErrors)}`,
    );
    errors = rows.map((r) => {
      const text = (r.csv_line ?? '').replace(/^[\r\n]+|[\r\n]+$/g, '');
      return { line: Number(r.line), message: describeReject(r.error_type, r.error_message, r.column_name, text, fields), text: text.slice(0, 2000) };
    });
  }
  await dropRejects(db);
  return { records: Number(inserted), badLines, errors };
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
export async function parquetColumns(db: Db, path: string): Promise<{ columns: ParquetColumn[]; ignored: string[] }> {
  const cols = await db.all<{ column_name: string }>(`DESCRIBE SELECT * FROM read_parquet(${lit(path)}, binary_as_string = true)`);
  const columns: ParquetColumn[] = [];
  const ignored: string[] = [];
  for (const c of cols) {
    const field = fieldByName(c.column_name);
    if (field && !columns.some((x) => x.field === field)) columns.push({ field, source: c.column_name });
    else ignored.push(c.column_name);
  }
  return { columns, ignored };
}

/** Loads an S3 Parquet flow-log file into flow_records under fileId. */
export async function loadParquet(db: Db, fileId: number, path: string, columns: readonly ParquetColumn[]): Promise<LoadResult> {
  const targets = columns.map((c) => q(c.field.column)).join(', ');
  const exprs = columns
    .map(({ field, source }) => {
      const src = q(source);
      const typed = field.type === 'VARCHAR' ? `nullif(CAST(${src} AS VARCHAR), '-')` : `CAST(${src} AS ${field.type})`;
      return selectExpr(field, typed);
    })
    .join(', ');
  const inserted = await db.value<bigint>(
    `INSERT INTO flow_records (file_id, ${targets}) SELECT ${fileId}, ${exprs} FROM read_parquet(${lit(path)}, binary_as_string = true)`,
  );
  return { records: Number(inserted), badLines: 0, errors: [] };
}
