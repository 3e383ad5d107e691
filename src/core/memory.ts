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

/** Whether an error is DuckDB running out of its memory budget. */
export function isOutOfMemory(err: unknown): boolean {
  return /Out of Memory Error/i.test(err instanceof Error ? err.message : String(err));
}

/**
 * Runs a read-only query, and once more on one thread when it ran out of DuckDB's memory budget: each thread builds
 * hash tables of its own, and on one the query needs less (at 100 M records, sg-unused-rules runs out of the 500MB
 * budget on two threads and answers on one: 17 s, 618 MB RSS). `threads` reads DuckDB's thread count and `setThreads`
 * sets it (the database's, so queries beside it run on one thread meanwhile); the count is restored after.
 */
export async function onOneThreadIfOutOfMemory<T>(run: () => Promise<T>, threads: () => Promise<number>, setThreads: (n: number) => Promise<void>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!isOutOfMemory(err)) throw err;
    const before = await threads();
    if (before <= 1) throw err;
    await setThreads(1);
    try {
      return await run();
    } finally {
      await setThreads(before);
    }
  }
}
