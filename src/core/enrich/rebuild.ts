/**
 * Rebuilding the enriched tables from everything stored, in one transaction that a cancel interrupts.
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
export async function rebuild(db: Db, opts: Pick<EnrichOptions, 'signal' | 'onProgress'> = {}): Promise<number> {
  await installMacros(db);
  try {
    return await interruptible(db, opts.signal, async () => {
      opts.onProgress?.({ phase: 'enrich', message: 'attributing flows to resources' });
      await prepareConversations(db); // work tables only; the dataset changes in the transaction below
      checkCancelled(opts.signal);
      return db.transaction(async () => {
        await storeConversations(db);
        opts.onProgress?.({ phase: 'windows', message: 'building 1-minute, 5-minute and 1-hour windows' });
        checkCancelled(opts.signal); // between statements an interrupt has nothing to stop: look
        await buildWindows(db);
        await buildViews(db);
        checkCancelled(opts.signal);
        return Number(await db.value<bigint>('SELECT count(*) FROM conversation_facts'));
      });
    });
  } finally {
    await dropWorkTables(db).catch(() => undefined);
  }
}

