/**
 * DuckDB's memory budget. Kept apart from the store so the extension host can name it without loading DuckDB.
 *
 * DEFAULT_MEMORY_LIMIT applies when the caller sets none. Work beyond it spills to disk (next to the dataset),
 * so a 10 M- or 30 M-record enrichment runs in a process that stays under 1 GB: the process holds up to
 * about 0.5 GB beyond DuckDB's budget (allocations DuckDB does not count; bench/enrich.mjs measures it).
 */
export const DEFAULT_MEMORY_LIMIT = '500MB';

/** An error message, with what to do when it is DuckDB running out of its budget (`change`: how to raise it). */
export function memoryHint(message: string, change: string): string {
  return /Out of Memory Error/i.test(message) ? `${message} — DuckDB ran out of its memory budget: ${change}` : message;
}
