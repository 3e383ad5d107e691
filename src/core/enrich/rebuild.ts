/**
 * Rebuilding the enriched tables from everything stored: made beside the current ones, then swapped in by one
 * short transaction, so a cancel or a failure at any point leaves the previous enrichment as it was.
 */
import type { Db } from '../store/db';
import type { EnrichOptions } from '../api';
import { installMacros } from './macros';
import { dropWorkTables, prepareConversations, storeConversations } from './conversations';
import { buildWindows } from './windows';
import { buildViews } from './views';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Runs fn with the connection interrupted as soon as the signal fires. */
export async function interruptible<T>(db: Db, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  checkCancelled(signal);
  const onAbort = () => db.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await fn();
  } catch (err) {
    if (signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Rebuilds conversations and the windows from everything stored. */
export async function rebuild(db: Db, opts: Pick<EnrichOptions, 'signal' | 'onProgress'> & { recordsPerPart?: number } = {}): Promise<number> {
  await installMacros(db);
  try {
    return await interruptible(db, opts.signal, async () => {
      opts.onProgress?.({ phase: 'enrich', message: 'attributing flows to resources' });
      // The new tables are made beside the current ones; the dataset changes in the transaction below.
      await prepareConversations(db, { recordsPerPart: opts.recordsPerPart, between: () => checkCancelled(opts.signal) });
      opts.onProgress?.({ phase: 'windows', message: 'building 1-minute, 5-minute and 1-hour windows' });
      checkCancelled(opts.signal); // between statements an interrupt has nothing to stop: look
      await buildWindows(db);
      checkCancelled(opts.signal);
      return db.transaction(async () => {
        await storeConversations(db);
        await buildViews(db);
        checkCancelled(opts.signal);
        return Number(await db.value<bigint>('SELECT count(*) FROM conversation_facts'));
      });
    });
  } finally {
    await dropWorkTables(db).catch(() => undefined);
  }
}

