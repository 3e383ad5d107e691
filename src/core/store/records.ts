/**
 * Where raw flow records are stored: one table per log format (only that format's columns), because every
 * column of a stored row costs time to write even when it is NULL, and the catalogue has 62 fields while a
 * default-format file has 14. `flow_records` is a view over all of them with every field, NULL where a
 * format lacks it, and record_no (the record's place in its stored table: load order within a file);
 * flow_records_base keeps rows of schema version 1 and anything inserted with all fields.
 */
import { createHash } from 'node:crypto';
import { FLOW_FIELDS, q, type FlowField } from '../flowlogs/fields';
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

/** The table that stores records with exactly these fields (created, and added to the view, the first time). */
export async function recordTable(db: Db, fields: readonly FlowField[]): Promise<string> {
  const wanted = new Set(fields.map((f) => f.column));
  const columns = FLOW_FIELDS.filter((f) => wanted.has(f.column));
  const name = `flow_records_${createHash('sha256').update(columns.map((c) => c.column).join(',')).digest('hex').slice(0, 12)}`;
  const known = await db.value<bigint>(`SELECT count(*) FROM flow_record_tables WHERE table_name = $n`, { n: name });
  if (Number(known) === 0) {
    await db.exec(`CREATE TABLE IF NOT EXISTS ${name} (file_id INTEGER NOT NULL${columns.map((c) => `, ${q(c.column)} ${c.type}`).join('')})`);
    await db.exec(`INSERT INTO flow_record_tables VALUES ($n, $c)`, { n: name, c: columns.map((c) => c.column).join(' ') });
    await refreshRecordsView(db);
  }
  return name;
}
