/**
 * Reduced rows (store/reduced.ts) in an enrichment: the pending ones are those of results loaded after the
 * watermark (all of them when every fact is made anew), read as fl_pending_reduced by numbering.sql and
 * reduced-sums.sql beside the pending flow records.
 */
import type { Db } from '../store/db';
import { REDUCED_TABLE } from '../store/reduced';

/** Makes fl_pending_reduced (the reduced rows loaded after file `watermark`) and returns how many there are. */
export async function pendingReduced(db: Db, watermark: number): Promise<number> {
  await db.exec(`CREATE OR REPLACE TEMP VIEW fl_pending_reduced AS SELECT * FROM ${REDUCED_TABLE} WHERE file_id > ${Math.floor(watermark)}`);
  return Number(await db.value<bigint>('SELECT count(*) FROM fl_pending_reduced'));
}
