/**
 * Forgetting loaded flow-log files: their records, their bad-line reports and their ingest_files rows are deleted
 * in one transaction, so the file can be loaded again; the caller then enriches again from every remaining record
 * (rebuild with `full`), so that no fact is made of them. A dataset that keeps no raw records cannot tell a file's
 * facts apart: forgetting is refused there.
 */
import { isAbsolute, resolve } from 'node:path';
import type { Db } from '../store/db';
import { keepsRecords, RECORDS_BASE } from '../store/records';
import { q } from '../model/flowFields';
import { forgetTotals } from './totals';

export interface ForgottenFile {
  name: string;
  records: number;
}

/** True for names that are not local paths (s3://…, cwl://…, athena:…). */
const isUri = (name: string) => /^[a-z][a-z0-9+.-]*:/i.test(name);

/**
 * Deletes the loaded files whose name is `pattern` or matches it as a glob (`*`, `?`, `[…]`); a relative local
 * path is taken from the current folder, as it was when loaded. Returns the files forgotten.
 */
export async function forgetFiles(db: Db, pattern: string): Promise<ForgottenFile[]> {
  const name = isUri(pattern) || isAbsolute(pattern) ? pattern : resolve(pattern);
  const glob = /[*?[]/.test(name);
  if (!(await keepsRecords(db))) {
    throw new Error(`${db.path} keeps no raw flow records (they are dropped once enriched), so a file's conversations cannot be told apart; enrich a new dataset without it`);
  }
  return db.transaction(async () => {
    const files = await db.all<{ file_id: number; name: string; records: bigint | null }>(
      `SELECT file_id, name, records FROM ingest_files WHERE ${glob ? 'name GLOB $p' : 'name = $p'} ORDER BY name`,
      { p: name },
    );
    if (files.length === 0) return [];
    const ids = files.map((f) => Math.floor(f.file_id)).join(', ');
    const tables = await db.all<{ table_name: string }>(`SELECT table_name FROM flow_record_tables`);
    for (const t of [RECORDS_BASE, ...tables.map((x) => x.table_name)]) await db.exec(`DELETE FROM ${q(t)} WHERE file_id IN (${ids})`);
    await db.exec(`DELETE FROM ingest_errors WHERE file_id IN (${ids})`);
    await db.exec(`DELETE FROM ingest_files WHERE file_id IN (${ids})`);
    await forgetTotals(db);
    return files.map((f) => ({ name: f.name, records: Number(f.records ?? 0) }));
  });
}
