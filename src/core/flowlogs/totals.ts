/**
 * The total bytes and packets of every flow record a dataset was given (kept in `meta`, so it holds across
 * processes and in a dataset that drops its raw records once enriched). Ingest refuses a file that would take
 * either past MAX_STORED_TOTAL: every value is non-negative and at most 2^48, so no sum the enrichment takes over
 * them, grouped any way, overflows a BIGINT.
 */
import type { Db } from '../store/db';
import { setMeta } from '../store/meta';
import { MAX_STORED_TOTAL } from '../model/validate';
import { REDUCED_TABLE } from '../store/reduced';

export interface Totals {
  bytes: bigint;
  packets: bigint;
}

const BYTES = 'loaded_bytes_total';
const PACKETS = 'loaded_packets_total';

/**
 * The totals so far. The first time (an older dataset, or after files were forgotten) they are summed from
 * flow_records. Call it before storing new records in the transaction.
 */
export async function loadedTotals(db: Db): Promise<Totals> {
  const rows = await db.all<{ key: string; value: string }>(`SELECT key, value FROM meta WHERE key IN ('${BYTES}', '${PACKETS}')`);
  const got = new Map(rows.map((r) => [r.key, BigInt(r.value)]));
  if (got.has(BYTES) && got.has(PACKETS)) return { bytes: got.get(BYTES)!, packets: got.get(PACKETS)! };
  // flow_records has every record: those stored, staged, and those read from their files when none are kept;
  // Athena's reduced rows are their records' sums
  const [t] = await db.all<{ bytes: bigint; packets: bigint }>(
    `SELECT sum(bytes)::HUGEINT AS bytes, sum(packets)::HUGEINT AS packets FROM (
       SELECT coalesce(sum(bytes), 0)::HUGEINT AS bytes, coalesce(sum(packets), 0)::HUGEINT AS packets FROM flow_records
       UNION ALL SELECT coalesce(sum(bytes_up + bytes_down), 0), coalesce(sum(packets_up + packets_down), 0) FROM ${REDUCED_TABLE})`,
  );
  await setMeta(db, BYTES, String(t.bytes));
  await setMeta(db, PACKETS, String(t.packets));
  return { bytes: t.bytes, packets: t.packets };
}

/** Adds loads to the totals (in the caller's transaction); throws `refuse(message)` past the limit. */
export async function addLoaded(db: Db, loads: readonly { bytes?: bigint; packets?: bigint }[], refuse: (message: string) => Error): Promise<void> {
  const before = await loadedTotals(db);
  const bytes = loads.reduce((n, r) => n + (r.bytes ?? 0n), before.bytes);
  const packets = loads.reduce((n, r) => n + (r.packets ?? 0n), before.packets);
  if (bytes > MAX_STORED_TOTAL || packets > MAX_STORED_TOTAL) {
    throw refuse('the dataset would hold more than 2^62 bytes or packets in all, past which sums could overflow; nothing of it was loaded');
  }
  await setMeta(db, BYTES, String(bytes));
  await setMeta(db, PACKETS, String(packets));
}

/** After records were deleted: the totals are summed again when next needed. */
export async function forgetTotals(db: Db): Promise<void> {
  await db.exec(`DELETE FROM meta WHERE key IN ('${BYTES}', '${PACKETS}')`);
}
