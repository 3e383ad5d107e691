/**
 * Where raw flow records are stored: one table per log format (only that format's columns), because every
 * column of a stored row costs time to write even when it is NULL, and the catalogue has 62 fields while a
 * default-format file has 14. `flow_records` is a view over all of them with every field, NULL where a
 * format lacks it, and record_no (the record's place in its stored table: load order within a file);
 * flow_records_base keeps rows of schema version 1 and anything inserted with all fields.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { FLOW_FIELDS, fieldByName, parseLogFormat, q, type FlowField } from '../model/flowFields';
import { validSql } from '../model/validate';
import { lit, type Db } from './db';
import { getMeta, setMeta } from './meta';

export const RECORDS_BASE = 'flow_records_base';

/**
 * Creates (or replaces) the flow_records view over the base table, every per-format table, the staging tables,
 * and the files a dataset that keeps no records reads its records from.
 */
export async function refreshRecordsView(db: Db): Promise<void> {
  const tables = await db.all<{ table_name: string }>(`SELECT table_name FROM flow_record_tables ORDER BY table_name`);
  // An empty relation with every column, typed: the union then has them all, whatever the tables hold.
  const typed = `SELECT NULL::BIGINT AS record_no, NULL::INTEGER AS file_id, ${FLOW_FIELDS.map((f) => `NULL::${f.type} AS ${q(f.column)}`).join(', ')} WHERE false`;
  const stored = [typed, ...[RECORDS_BASE, ...tables.map((t) => t.table_name), ...(await stagingTables(db))].map((t) => `SELECT rowid AS record_no, * FROM ${q(t)}`)];
  const files = await fileRecords(db, -1);
  const create = (parts: string[]) => db.exec(`CREATE OR REPLACE VIEW flow_records AS
SELECT file_id, ${FLOW_FIELDS.map((f) => q(f.column)).join(', ')}, record_no
FROM (${parts.join('\nUNION ALL BY NAME ')})`);
  try {
    await create([...stored, ...files.map((f) => f.sql)]);
  } catch {
    // A file that cannot be read any more (damaged or replaced since it was loaded) must not keep the dataset from
    // opening (the view is made at each open) or its facts from being read: the records of its group fail when
    // they are read, naming it, as a file that is gone does.
    const parts = [...stored];
    for (const f of files) {
      try {
        await db.exec(`DESCRIBE ${f.sql}`);
        parts.push(f.sql);
      } catch (e) {
        const why = `cannot read the flow records of a loaded file: ${(e instanceof Error ? e.message : String(e)).split('\n')[0]!.replace(/^[A-Za-z ]*Error: /, '')}; `
          + 'put the file back as it was loaded, or forget it (flowlens forget <file>)';
        parts.push(`SELECT NULL::BIGINT AS record_no, NULL::INTEGER AS file_id, ${f.columns.map((c) => `NULL::${fieldByName(c)!.type} AS ${q(c)}`).join(', ')}
          FROM (SELECT error(${lit(why)}) AS e) WHERE e IS NULL`);
      }
    }
    await create(parts);
  }
}

/**
 * Rows held for the enrichment that follows an ingest in the same process: the records of local files counted in
 * place (a dataset that keeps no records) as the ingest parsed them, one temporary table per log format, so the
 * enrichment takes them from memory instead of reading and parsing the files a second time (the sample estate's
 * 6,021 small files). Temporary tables are the connection's and roll back with the load's transaction; the
 * enrichment drops them once it has its copy, and loadAndRebuild drops what is left.
 */
export function heldTable(logFormat: string): string {
  return `fl_held_${createHash('sha256').update(logFormat).digest('hex').slice(0, 12)}`;
}

/** The rows of these files are not held after all (a file read again line by line): the enrichment reads the file. */
export async function unhold(db: Db, logFormat: string, fileIds: readonly number[]): Promise<void> {
  if (fileIds.length === 0) return;
  const t = heldTable(logFormat);
  if (!(await heldExists(db, t))) return;
  await db.exec(`DELETE FROM temp.${t} WHERE file_id IN (${fileIds.map((f) => Math.floor(f)).join(', ')})`);
}

async function heldExists(db: Db, table: string): Promise<boolean> {
  return Number(await db.value<bigint>(`SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name = ${lit(table)}`)) > 0;
}

/**
 * Compresses the held tables (DuckDB's checkpoint of the connection's temporary tables) when they hold more than `above`
 * rows; best effort: they are read as they are when it fails. Returns whether it ran.
 */
export async function compressHeld(db: Db, above: number): Promise<boolean> {
  const rows = Number(await db.value<bigint | null>(`SELECT coalesce(sum(estimated_size), 0) FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'fl_held_')`));
  if (rows === 0 || rows <= above) return false;
  return db.exec('CHECKPOINT temp').then(() => true, () => false);
}

/** Drops every held table (their memory is the records'). */
export async function dropHeld(db: Db): Promise<void> {
  for (const t of await db.all<{ table_name: string }>(`SELECT table_name FROM duckdb_tables() WHERE temporary AND table_name LIKE 'fl\\_held\\_%' ESCAPE '\\'`)) {
    await db.exec(`DROP TABLE IF EXISTS temp.${t.table_name}`);
  }
}

/**
 * SQL: the records of the files in record_files after `after`, read from where they were loaded from (with
 * `useHeld`, taken from this process's held rows where it has them: `files` counts only the files read), one
 * read per format (text and gzip by read_csv, Parquet by read_parquet), each with its file_id. Lines that do
 * not parse or break a value rule (a header, the bad lines reported when the file was loaded) are skipped;
 * record_no is NULL.
 */
async function fileRecords(db: Db, after: number, useHeld = false): Promise<{ sql: string; columns: string[]; files: number }[]> {
  const files = await db.all<{ file_id: number; path: string; reader: string; log_format: string; source_columns: string | null }>(
    `SELECT r.file_id, r.path, f.reader, f.log_format, f.source_columns FROM record_files r JOIN ingest_files f USING (file_id)
     WHERE r.file_id > ${Math.floor(after)} ORDER BY r.file_id`);
  const groups = new Map<string, typeof files>();
  // A file no longer there is left out when the view is made (DuckDB binds the file list then, so it would fail
  // every open and enrichment); the view is made again on each writable open, so a file put back returns. A file
  // that goes after the view was made fails a read of flow_records naming it ("No files found … <path>").
  for (const f of files.filter((x) => existsSync(x.path))) {
    // Parquet files by the columns they name (unknown for files loaded before source_columns: asked below)
    const key = `${f.reader}|${f.reader === 'parquet' ? (f.source_columns ?? '') : f.log_format}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const out: { sql: string; columns: string[]; files: number }[] = [];
  // held tables: the file_ids each holds, and those of them the files read here name
  const heldIds = new Map<string, { ids: Set<number>; used: number[]; logFormat: string } | null>();
  for (let group of groups.values()) {
    if (useHeld) {
      // the files whose rows this process's ingest holds are taken from there (useHeld: an enrichment's read)
      const t = heldTable(group[0].log_format);
      if (!heldIds.has(t)) {
        heldIds.set(t, (await heldExists(db, t)) ? { logFormat: group[0].log_format, used: [],
          ids: new Set((await db.all<{ file_id: number }>(`SELECT DISTINCT file_id FROM temp.${t} WHERE file_id > ${Math.floor(after)}`)).map((r) => Number(r.file_id))) } : null);
      }
      const held = heldIds.get(t);
      if (held) {
        held.used.push(...group.filter((f) => held.ids.has(Number(f.file_id))).map((f) => Number(f.file_id)));
        group = group.filter((f) => !held.ids.has(Number(f.file_id)));
        if (group.length === 0) continue;
      }
    }
    const list = `[${group.map((f) => lit(f.path)).join(', ')}]`;
    const fileId = `[${group.map((f) => Math.floor(f.file_id)).join(', ')}][r.file_index::BIGINT + 1]`;
    const address = (f: FlowField, x: string) => (ADDRESS_COLUMNS.has(f.column) ? `lower(${x})` : x);
    if (group[0].reader === 'parquet') {
      // Files whose columns are known name the same ones: read by name without asking each file first (a view binds
      // on the first; with union_by_name DuckDB reads every file's footer when the view is made, at each open of
      // the dataset: 0.39 s to ask and 0.47 s to make it for the sample estate's 1,464 files)
      const known = group[0].source_columns;
      const fields = known ? sourceFields(known)
        : (await db.all<{ column_name: string }>(`DESCRIBE SELECT * FROM read_parquet(${list}, binary_as_string = true, union_by_name = true)`))
          .map((c) => ({ c: c.column_name, f: fieldByName(c.column_name) })).filter((x): x is { c: string; f: FlowField } => !!x.f);
      out.push({ files: group.length, columns: fields.map((x) => x.f.column), sql: `SELECT * FROM (SELECT NULL::BIGINT AS record_no, ${fileId} AS file_id, ${fields.map(({ c, f }) =>
        `${address(f, f.type === 'VARCHAR' ? `nullif(CAST(r.${q(c)} AS VARCHAR), '-')` : `TRY_CAST(r.${q(c)} AS ${f.type})`)} AS ${q(f.column)}`).join(', ')}
        FROM read_parquet(${list}, binary_as_string = true${known ? '' : ', union_by_name = true'}) r) WHERE ${validSql(fields.map((x) => x.f))}` });
    } else {
      const fields = parseLogFormat(group[0].log_format);
      const columns = '{' + fields.map((f) => `${lit(f.column)}: ${lit(f.type)}`).join(', ') + '}';
      out.push({ files: group.length, columns: fields.map((f) => f.column), sql: `SELECT * FROM (SELECT NULL::BIGINT AS record_no, ${fileId} AS file_id, ${fields.map((f) => `${address(f, `r.${q(f.column)}`)} AS ${q(f.column)}`).join(', ')}
        FROM read_csv(${list}, delim = ' ', quote = '', escape = '', header = false, nullstr = '-', auto_detect = false,
          columns = ${columns}, compression = ${group[0].reader === 'gzip' ? `'gzip'` : `'none'`}, ignore_errors = true) r) WHERE ${validSql(fields)}` });
    }
  }
  // one read of each held table, whatever the readers of its files (text and Parquet files of one format share it): the
  // statements read the pending records several times, and each read of a table named twice scanned it twice
  for (const [t, held] of heldIds) {
    if (!held || held.used.length === 0) continue;
    const fields = parseLogFormat(held.logFormat);
    // (no value rule to apply: a file with a record that broke one was read again line by line and is not held)
    out.push({ files: 0, columns: fields.map((f) => f.column), sql: `SELECT NULL::BIGINT AS record_no, file_id, ${fields.map((f) => q(f.column)).join(', ')}
      FROM temp.${t} WHERE file_id ${held.used.length === held.ids.size ? `> ${Math.floor(after)}` : `IN (${held.used.map((f) => Math.floor(f)).join(', ')})`}` });
  }
  return out;
}

/** ingest_files.source_columns: the flow-log columns of Parquet files as they name them (a JSON list, sorted). */
export function sourceColumns(sources: readonly string[]): string {
  return JSON.stringify([...sources].sort());
}

/** The columns of sourceColumns(), each with its field. */
function sourceFields(stored: string): { c: string; f: FlowField }[] {
  const out: { c: string; f: FlowField }[] = [];
  for (const c of JSON.parse(stored) as string[]) {
    const f = fieldByName(c);
    if (f && !out.some((x) => x.f === f)) out.push({ c, f });
  }
  return out;
}

/** Address fields are stored lower-case (IPv6 may arrive in upper case). */
const ADDRESS_COLUMNS = new Set(['srcaddr', 'dstaddr', 'pkt_srcaddr', 'pkt_dstaddr']);

/** meta key: 'false' when the dataset keeps no raw records (they wait in a staging table until enriched). */
export const META_KEEP_RECORDS = 'keep_records';
/**
 * Staging tables: records loaded but not enriched yet, when records are not kept. They are stored tables, committed
 * with the files' loads, so a process that ends before enriching them loses nothing; the enrichment that reads them
 * drops them in its own transaction.
 */
export const STAGE_PREFIX = 'flow_stage_';

/** The staging tables that hold records. */
export async function stagingTables(db: Db): Promise<string[]> {
  return (await db.all<{ table_name: string }>(`SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()
    AND schema_name = 'main' AND starts_with(table_name, '${STAGE_PREFIX}') ORDER BY table_name`)).map((t) => t.table_name);
}

export async function keepsRecords(db: Db): Promise<boolean> {
  return (await getMeta(db, META_KEEP_RECORDS)) !== 'false';
}

/**
 * A new dataset keeps no raw records unless told to (the enrichment reads them once; flow_records reads the
 * loaded files). A dataset that already holds records (made before, or told) keeps doing what it did.
 */
export async function defaultKeepRecords(db: Db): Promise<void> {
  await db.exec(`INSERT INTO meta SELECT $k, 'false' WHERE NOT EXISTS (SELECT 1 FROM meta WHERE key = $k)
    AND NOT EXISTS (SELECT 1 FROM ingest_files) AND NOT EXISTS (SELECT 1 FROM flow_record_tables)
    AND NOT EXISTS (SELECT 1 FROM ${RECORDS_BASE})`, { k: META_KEEP_RECORDS });
}

export async function setKeepRecords(db: Db, keep: boolean): Promise<void> {
  await setMeta(db, META_KEEP_RECORDS, String(keep));
}

/**
 * The table that takes records with exactly these fields: the stored one (created, and added to the view, the
 * first time), or, in a dataset that keeps no records, a temporary staging table the next enrichment empties.
 */
export async function recordTable(db: Db, fields: readonly FlowField[]): Promise<string> {
  const wanted = new Set(fields.map((f) => f.column));
  const columns = FLOW_FIELDS.filter((f) => wanted.has(f.column));
  const suffix = createHash('sha256').update(columns.map((c) => c.column).join(',')).digest('hex').slice(0, 12);
  if (!(await keepsRecords(db))) {
    const stage = `${STAGE_PREFIX}${suffix}`;
    if (!(await stagingTables(db)).includes(stage)) {
      await db.exec(`CREATE TABLE ${stage} (file_id INTEGER NOT NULL${columns.map((c) => `, ${q(c.column)} ${c.type}`).join('')})`);
      await refreshRecordsView(db);
    }
    return stage;
  }
  return storedRecordTable(db, columns, suffix);
}

/** The stored table of these fields, created (and, unless the caller remakes the view itself, added to it) the first time. */
async function storedRecordTable(db: Db, columns: readonly FlowField[], suffix: string, refreshView = true): Promise<string> {
  const name = `flow_records_${suffix}`;
  const known = await db.value<bigint>(`SELECT count(*) FROM flow_record_tables WHERE table_name = $n`, { n: name });
  if (Number(known) === 0) {
    await db.exec(`CREATE TABLE IF NOT EXISTS ${name} (file_id INTEGER NOT NULL${columns.map((c) => `, ${q(c.column)} ${c.type}`).join('')})`);
    await db.exec(`INSERT INTO flow_record_tables VALUES ($n, $c)`, { n: name, c: columns.map((c) => c.column).join(' ') });
    if (refreshView) await refreshRecordsView(db);
  }
  return name;
}

/** The fields enrichment reads from a record. */
const ENRICHED_FIELDS = ['interface_id', 'vpc_id', 'srcaddr', 'dstaddr', 'pkt_srcaddr', 'pkt_dstaddr', 'srcport', 'dstport',
  'protocol', 'bytes', 'packets', 'start', 'end', 'action', 'log_status', 'tcp_flags', 'traffic_path',
  'pkt_src_aws_service', 'pkt_dst_aws_service'];

/**
 * A transit gateway's record (its flow log has no interface-id or vpc-id) is observed by the attachment it was
 * captured on, which is the flow's source attachment when the flow enters the transit gateway there (ingress) and
 * its destination attachment when it leaves (egress): its interface in that attachment's VPC is the observer, and
 * that VPC, with the VPCs the transit gateway links to it, is where both ends' addresses are looked up.
 */
const TGW_OBSERVER: Record<string, [string, string]> = {
  interface_id: ['tgw_src_eni', 'tgw_dst_eni'],
  vpc_id: ['tgw_src_vpc_id', 'tgw_dst_vpc_id'],
};

/** SQL: a transit gateway record's observer column (TGW_OBSERVER) from the columns a format has, else undefined. */
function tgwObserver(column: string, has: (c: string) => boolean): string | undefined {
  const pair = TGW_OBSERVER[column];
  if (!pair || !pair.some(has)) return undefined;
  const [src, dst] = pair.map((c) => (has(c) ? q(c) : 'NULL'));
  return has('flow_direction') ? `CASE WHEN flow_direction = 'egress' THEN ${dst} ELSE ${src} END` : src;
}

/** Where records wait to be enriched: stored tables (rows of files after the watermark) and staging tables. */
export interface PendingRecords {
  /** SQL: a relation of the pending records with every field enrichment reads (NULL where a format lacks it). */
  sql: string;
  /** The staging tables it reads (emptied when the enrichment commits). */
  staged: string[];
  /** How many loaded files it reads from where they were loaded from (record_files; not those whose rows are held). */
  files: number;
  /** How many record tables, staging tables and groups of files it reads (0: none). */
  parts: number;
}

export async function pendingRecords(db: Db, afterFileId: number, only?: { fields: readonly string[]; having: string }): Promise<PendingRecords> {
  const stored = await db.all<{ table_name: string; columns: string }>(
    `SELECT table_name, columns FROM flow_record_tables ORDER BY table_name`);
  const staged = await stagingTables(db);
  const base = await db.value<bigint>(`SELECT count(*) FROM (SELECT 1 FROM ${RECORDS_BASE} LIMIT 1)`);
  const fields = (only?.fields ?? ENRICHED_FIELDS).map((c) => FLOW_FIELDS.find((f) => f.column === c)!);
  const column = (f: FlowField, has: (c: string) => boolean) =>
    (has(f.column) ? q(f.column) : `${tgwObserver(f.column, has) ?? 'NULL'}::${f.type} AS ${q(f.column)}`);
  // (only: the records of the formats that have the field `having`, with `fields`)
  const select = (table: string, has: (c: string) => boolean, where: string) => (only && !has(only.having) ? undefined
    : `SELECT file_id, ${fields.map((f) => column(f, has)).join(', ')} FROM ${table}${where}`);
  const after = ` WHERE file_id > ${Math.floor(afterFileId)}`;
  const fromFiles = await fileRecords(db, afterFileId, true);
  const parts = [
    ...(Number(base) ? [select(RECORDS_BASE, () => true, after)] : []),
    ...stored.map((t) => { const cols = new Set(t.columns.split(' ')); return select(q(t.table_name), (c) => cols.has(c), after); }),
    ...fromFiles.map((f) => select(`(${f.sql})`, (c) => f.columns.includes(c), '')),
    ...await Promise.all(staged.map(async (t) => {
      const cols = new Set(await stagedColumns(db, t));
      return select(q(t), (c) => cols.has(c), '');
    })),
  ].filter((x): x is string => x !== undefined);
  const none = `SELECT NULL::INTEGER AS file_id, ${fields.map((f) => `NULL::${f.type} AS ${q(f.column)}`).join(', ')} WHERE false`;
  return { sql: parts.length ? `(${parts.join('\nUNION ALL ')})` : `(${none})`, staged,
    files: fromFiles.reduce((n, f) => n + f.files, 0), parts: parts.length };
}

/**
 * The highest file_id among loaded files and the stored and staged records after `after` (what an enrichment
 * that read them all covers; the filter lets DuckDB skip the stored row groups before it).
 */
export async function lastFileId(db: Db, pending: PendingRecords, after: number): Promise<number> {
  const stored = await db.all<{ table_name: string }>(`SELECT table_name FROM flow_record_tables`);
  const tables = [RECORDS_BASE, ...stored.map((t) => q(t.table_name)), ...pending.staged.map((t) => q(t))];
  const max = await db.value<number | null>(`SELECT max(m) FROM (SELECT max(file_id) AS m FROM ingest_files
    ${tables.map((t) => `UNION ALL SELECT max(file_id) FROM ${t} WHERE file_id > ${Math.floor(after)}`).join(' ')})`);
  return max === null ? -1 : Number(max);
}

/**
 * At the commit of an enrichment of a dataset that keeps no records: what was staged goes. The records of a
 * file loaded from this machine are read from that file from now on (record_files); the others (S3 objects,
 * CloudWatch events, Athena results, rows without a loaded file) exist nowhere else here and are stored.
 */
export async function settleStaged(db: Db, staged: readonly string[]): Promise<void> {
  if (staged.length === 0) return;
  for (const t of staged) {
    const files = await db.all<{ file_id: number; name: string | null; reader: string | null }>(
      `SELECT s.file_id, f.name, f.reader FROM (SELECT DISTINCT file_id FROM ${q(t)}) s LEFT JOIN ingest_files f USING (file_id)`);
    const local = files.filter((f) => f.name && isAbsolute(f.name) && ['text', 'gzip', 'parquet'].includes(f.reader ?? '') && existsSync(f.name));
    if (local.length) {
      await db.exec(`INSERT OR REPLACE INTO record_files VALUES ${local.map((f) => `(${Math.floor(f.file_id)}, ${lit(f.name!)})`).join(', ')}`);
    }
    if (local.length < files.length) {
      const cols = (await stagedColumns(db, t)).filter((c) => c !== 'file_id');
      const fields = FLOW_FIELDS.filter((f) => cols.includes(f.column));
      const table = await storedRecordTable(db, fields, t.slice(STAGE_PREFIX.length), false); // the view is remade below
      const keepLocal = local.length ? ` WHERE file_id NOT IN (${local.map((f) => Math.floor(f.file_id)).join(', ')})` : '';
      await db.exec(`INSERT INTO ${table} (file_id, ${fields.map((f) => q(f.column)).join(', ')})
        SELECT file_id, ${fields.map((f) => q(f.column)).join(', ')} FROM ${q(t)}${keepLocal}`);
    }
    await db.exec(`DROP TABLE ${q(t)}`);
  }
  await refreshRecordsView(db);
}

async function stagedColumns(db: Db, table: string): Promise<string[]> {
  return (await db.all<{ column_name: string }>(`SELECT column_name FROM duckdb_columns() WHERE database_name = current_database()
    AND schema_name = 'main' AND table_name = $t ORDER BY column_index`, { t: table })).map((c) => c.column_name);
}

/** The loaded files (after file_id `after`) a dataset reads its records from that are no longer where they were loaded from. */
export async function missingRecordFiles(db: Db, after = -1): Promise<string[]> {
  return (await db.all<{ path: string }>(`SELECT path FROM record_files WHERE file_id > ${Math.floor(after)} ORDER BY file_id`))
    .map((r) => r.path).filter((p) => !existsSync(p));
}
