/**
 * Where raw flow records are stored: one table per log format (only that format's columns), because every
 * column of a stored row costs time to write even when it is NULL, and the catalogue has 62 fields while a
 * default-format file has 14. `flow_records` is a view over all of them with every field, NULL where a
 * format lacks it, and record_no (the record's place in its stored table: load order within a file);
 * flow_records_base keeps rows of schema version 1 and anything inserted with all fields.
 */
import { createHash } from 'node:crypto';
import { FLOW_FIELDS, q, type FlowField } from '../model/flowFields';
import type { Db } from './db';

export const RECORDS_BASE = 'flow_records_base';

/** Creates (or replaces) the flow_records view over the base table and every per-format table. */
export async function refreshRecordsView(db: Db): Promise<void> {
  const tables = await db.all<{ table_name: string }>(`SELECT table_name FROM flow_record_tables ORDER BY table_name`);
  // An empty relation with every column, typed: the union then has them all, whatever the tables hold.
  const typed = `SELECT NULL::BIGINT AS record_no, NULL::INTEGER AS file_id, ${FLOW_FIELDS.map((f) => `NULL::${f.type} AS ${q(f.column)}`).join(', ')} WHERE false`;
  const parts = [typed, RECORDS_BASE, ...tables.map((t) => t.table_name)].map((t, i) => (i === 0 ? t : `SELECT rowid AS record_no, * FROM ${q(t)}`));
  await db.exec(`CREATE OR REPLACE VIEW flow_records AS
SELECT file_id, ${FLOW_FIELDS.map((f) => q(f.column)).join(', ')}, record_no
FROM (${parts.join('\nUNION ALL BY NAME ')})`);
}

/** meta key: 'false' when the dataset keeps no raw records (they are enriched from a staging table and dropped). */
export const META_KEEP_RECORDS = 'keep_records';
/** Staging tables (temporary, this connection's): records loaded but not enriched yet, when records are not kept. */
export const STAGE_PREFIX = 'flowlens_stage_';

export async function keepsRecords(db: Db): Promise<boolean> {
  const row = await db.one<{ value: string }>(`SELECT value FROM meta WHERE key = $k`, { k: META_KEEP_RECORDS });
  return row?.value !== 'false';
}

export async function setKeepRecords(db: Db, keep: boolean): Promise<void> {
  await db.exec(`INSERT INTO meta VALUES ($k, $v) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    { k: META_KEEP_RECORDS, v: String(keep) });
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
    await db.exec(`CREATE TEMP TABLE IF NOT EXISTS ${stage} (file_id INTEGER NOT NULL${columns.map((c) => `, ${q(c.column)} ${c.type}`).join('')})`);
    return `temp.${stage}`;
  }
  const name = `flow_records_${suffix}`;
  const known = await db.value<bigint>(`SELECT count(*) FROM flow_record_tables WHERE table_name = $n`, { n: name });
  if (Number(known) === 0) {
    await db.exec(`CREATE TABLE IF NOT EXISTS ${name} (file_id INTEGER NOT NULL${columns.map((c) => `, ${q(c.column)} ${c.type}`).join('')})`);
    await db.exec(`INSERT INTO flow_record_tables VALUES ($n, $c)`, { n: name, c: columns.map((c) => c.column).join(' ') });
    await refreshRecordsView(db);
  }
  return name;
}

/** The fields enrichment reads from a record. */
const ENRICHED_FIELDS = ['interface_id', 'vpc_id', 'srcaddr', 'dstaddr', 'pkt_srcaddr', 'pkt_dstaddr', 'srcport', 'dstport',
  'protocol', 'bytes', 'packets', 'start', 'end', 'action', 'log_status', 'tcp_flags', 'traffic_path',
  'pkt_src_aws_service', 'pkt_dst_aws_service'];

/** Where records wait to be enriched: stored tables (rows of files after the watermark) and staging tables. */
export interface PendingRecords {
  /** SQL: a relation of the pending records with every field enrichment reads (NULL where a format lacks it). */
  sql: string;
  /** The staging tables it reads (emptied when the enrichment commits). */
  staged: string[];
}

export async function pendingRecords(db: Db, afterFileId: number): Promise<PendingRecords> {
  const stored = await db.all<{ table_name: string; columns: string }>(
    `SELECT table_name, columns FROM flow_record_tables ORDER BY table_name`);
  const staged = (await db.all<{ table_name: string }>(
    `SELECT table_name FROM duckdb_tables() WHERE temporary AND starts_with(table_name, '${STAGE_PREFIX}') ORDER BY table_name`))
    .map((t) => t.table_name);
  const base = await db.value<bigint>(`SELECT count(*) FROM (SELECT 1 FROM ${RECORDS_BASE} LIMIT 1)`);
  const fields = ENRICHED_FIELDS.map((c) => FLOW_FIELDS.find((f) => f.column === c)!);
  const select = (table: string, has: (c: string) => boolean, where: string) =>
    `SELECT ${fields.map((f) => (has(f.column) ? q(f.column) : `NULL::${f.type} AS ${q(f.column)}`)).join(', ')} FROM ${table}${where}`;
  const after = ` WHERE file_id > ${Math.floor(afterFileId)}`;
  const parts = [
    ...(Number(base) ? [select(RECORDS_BASE, () => true, after)] : []),
    ...stored.map((t) => { const cols = new Set(t.columns.split(' ')); return select(q(t.table_name), (c) => cols.has(c), after); }),
    ...await Promise.all(staged.map(async (t) => {
      const cols = new Set((await db.all<{ column_name: string }>(
        `SELECT column_name FROM duckdb_columns() WHERE temporary AND table_name = $t`, { t })).map((c) => c.column_name));
      return select(`temp.${t}`, (c) => cols.has(c), '');
    })),
  ];
  return { sql: parts.length ? `(${parts.join('\nUNION ALL ')})` : `(${select('(SELECT 1) t', () => false, ' WHERE false')})`, staged };
}

/**
 * The highest file_id among loaded files and the stored and staged records after `after` (what an enrichment
 * that read them all covers; the filter lets DuckDB skip the stored row groups before it).
 */
export async function lastFileId(db: Db, pending: PendingRecords, after: number): Promise<number> {
  const stored = await db.all<{ table_name: string }>(`SELECT table_name FROM flow_record_tables`);
  const tables = [RECORDS_BASE, ...stored.map((t) => q(t.table_name)), ...pending.staged.map((t) => `temp.${t}`)];
  const max = await db.value<number | null>(`SELECT max(m) FROM (SELECT max(file_id) AS m FROM ingest_files
    ${tables.map((t) => `UNION ALL SELECT max(file_id) FROM ${t} WHERE file_id > ${Math.floor(after)}`).join(' ')})`);
  return max === null ? -1 : Number(max);
}
