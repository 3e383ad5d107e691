/**
 * Forgetting loaded flow-log files: their records, their bad-line reports and their ingest_files rows are deleted
 * in one transaction, so the file can be loaded again; the caller then enriches again from every remaining record
 * (rebuild with `full`), so that no fact is made of them. A dataset that keeps no raw records reads the remaining
 * files again: forgetting is refused there while one of them is gone (the facts could not be made again).
 */
import { isAbsolute, resolve } from 'node:path';
import type { Db } from '../store/db';
import { missingRecordFiles, RECORDS_BASE, refreshRecordsView, stagingTables } from '../store/records';
import { q } from '../model/flowFields';
import { forgetTotals } from './totals';
import { REDUCED_TABLE } from '../store/reduced';

export interface ForgottenFile {
  name: string;
  records: number;
}

/** The loaded flow-log files, one row a name (a file loaded again after it changed has two loads): what can be forgotten. */
export const LOADED_FILES_SQL = `SELECT name, sum(records) AS records, sum(bytes) AS bytes, strftime(max(loaded_at), '%Y-%m-%dT%H:%M:%SZ') AS loaded_at
  FROM ingest_files GROUP BY name ORDER BY name`;

/** True for names that are not local paths (s3://…, cwl://…, athena:…). */
const isUri = (name: string) => /^[a-z][a-z0-9+.-]*:/i.test(name);

/**
 * Which loaded files to forget: a name or glob as `flowlens forget` takes it (a relative local path is taken from
 * the current folder, as it was when loaded), or exact names as the dataset lists them (the editor's pick).
 */
export type ForgetWhich = string | { names: string[] };

function selection(which: ForgetWhich): { where: string; params: Record<string, string> } {
  if (typeof which !== 'string') {
    const params = Object.fromEntries(which.names.map((n, i) => [`n${i}`, n]));
    return { where: which.names.length ? `name IN (${which.names.map((_, i) => `$n${i}`).join(', ')})` : 'false', params };
  }
  const name = isUri(which) || isAbsolute(which) ? which : resolve(which);
  return { where: /[*?[]/.test(name) ? 'name GLOB $p' : 'name = $p', params: { p: name } };
}

/**
 * Deletes the loaded files `which` names (their name, or a glob: `*`, `?`, `[…]`) with their records, bad-line
 * reports and loaded totals, in one transaction. Returns the files forgotten.
 */
export async function forgetFiles(db: Db, which: ForgetWhich): Promise<ForgottenFile[]> {
  const { where, params } = selection(which);
  return db.transaction(async () => {
    const files = await db.all<{ file_id: number; name: string; records: bigint | null }>(
      `SELECT file_id, name, records FROM ingest_files WHERE ${where} ORDER BY name`,
      params,
    );
    if (files.length === 0) return [];
    // the files forgotten may be gone themselves; the others are read again, so they must all be there
    const matched = new Set(files.map((f) => f.name));
    const missing = (await missingRecordFiles(db)).filter((p) => !matched.has(p));
    if (missing.length) {
      throw new Error(`${db.path} keeps no copy of its raw flow records and reads them from the files they were loaded from, and ${missing.length} of them ${missing.length === 1 ? 'is' : 'are'} gone (${missing[0]}${missing.length > 1 ? ', …' : ''}): put ${missing.length === 1 ? 'it' : 'them'} back first, so that the conversations can be made again without the file you forget`);
    }
    const ids = files.map((f) => Math.floor(f.file_id)).join(', ');
    const tables = await db.all<{ table_name: string }>(`SELECT table_name FROM flow_record_tables`);
    for (const t of [RECORDS_BASE, ...tables.map((x) => x.table_name), ...(await stagingTables(db))]) await db.exec(`DELETE FROM ${q(t)} WHERE file_id IN (${ids})`);
    await db.exec(`DELETE FROM record_files WHERE file_id IN (${ids})`);
    await db.exec(`DELETE FROM ${REDUCED_TABLE} WHERE file_id IN (${ids})`);
    await refreshRecordsView(db);
    await db.exec(`DELETE FROM ingest_errors WHERE file_id IN (${ids})`);
    await db.exec(`DELETE FROM ingest_files WHERE file_id IN (${ids})`);
    await forgetTotals(db);
    return files.map((f) => ({ name: f.name, records: Number(f.records ?? 0) }));
  });
}
