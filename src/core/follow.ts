/**
 * Follow mode: the enrichment repeated every interval, each cycle adding what is new (Follower in api.ts).
 * The command line holds the dataset only for a cycle: it opens the DuckDB file read-write, appends, and closes
 * it, so other processes can open it read-only between cycles (DuckDB allows one writer or many readers). When
 * a reader holds it, the cycle is skipped with a message and tried again at the next one.
 */
import type { Db, OpenOptions } from './store/db';
import { Follower, openDataset } from './api';
import type { EnrichOptions, FollowCycle } from '../protocol/enrich';

export interface FollowLoop {
  /** The pause from the end of one cycle to the start of the next (the dataset is closed meanwhile). */
  intervalMs: number;
  /** Ends following once the current cycle is done (abort EnrichOptions.signal to stop the cycle itself). */
  stop: AbortSignal;
  onCycle: (c: FollowCycle) => void;
  /** Runs a cycle with the dataset: openForCycle() for a file, or the connection a worker holds open. */
  withDataset: <T>(fn: (db: Db) => Promise<T>) => Promise<T>;
}

/** Opens the dataset read-write for the cycle and closes it afterwards. */
export function openForCycle(path: string, open: OpenOptions = {}): FollowLoop['withDataset'] {
  return async (fn) => {
    const db = await openDataset(path, open);
    try {
      return await fn(db);
    } finally {
      db.close();
    }
  };
}

const LOCK = /Could not set lock on file "([^"]+)": Conflicting lock is held in (.*?) \(PID (\d+)\)/;

/**
 * DuckDB's refusal to open a file another process holds, as one sentence; undefined for any other error. The
 * refusal may come wrapped (its `cause`) in a message that already names the holder: that message is kept.
 */
export function heldElsewhere(err: unknown): string | undefined {
  const messages: string[] = [];
  for (let e: unknown = err; messages.length < 5 && e !== undefined; e = e instanceof Error ? e.cause : undefined) {
    messages.push(e instanceof Error ? e.message : String(e));
  }
  const raw = messages.map((m) => LOCK.exec(m)).find((m) => m !== null);
  if (!raw) return undefined;
  // the wrapping message's first clause (its advice to try again later is what the follower does anyway)
  const said = LOCK.test(messages[0]!) ? `${raw[1]} is open in another process (${raw[2]}, PID ${raw[3]})` : messages[0]!.split('\n')[0]!.split('; ')[0]!.replace(/[.;]\s*$/, '');
  return `${said}; trying again at the next cycle`;
}

/** Cycles until `stop` (or a cancel through opts.signal, which rejects). Returns the number of cycles run. */
export async function follow(opts: EnrichOptions, loop: FollowLoop): Promise<number> {
  const follower = new Follower(opts, Math.min(loop.intervalMs, 10_000));
  let cycles = 0;
  while (!loop.stop.aborted) {
    let report: FollowCycle;
    try {
      report = await loop.withDataset((db) => follower.cycle(db));
      cycles++;
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const busy = heldElsewhere(err);
      if (!busy) throw err;
      report = follower.busy(busy);
    }
    loop.onCycle(report);
    await pause(loop.intervalMs, loop.stop);
  }
  return cycles;
}

/** Waits `ms`, or less when the signal aborts. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
