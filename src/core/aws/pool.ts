/** Runs fn over items with at most `limit` at a time; stops starting new work once the signal aborts. */
export async function mapPool<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>, signal?: AbortSignal): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      signal?.throwIfAborted();
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

/** Runs at most n of the functions it is given at a time, the others waiting in the order given. */
export function limiter(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  return <T>(fn: () => Promise<T>) => new Promise<T>((resolve, reject) => {
    const run = () => {
      active++;
      fn().then(resolve, reject).finally(() => {
        active--;
        waiting.shift()?.();
      });
    };
    if (active < n) run();
    else waiting.push(run);
  });
}

/** Spaces calls to at most `perSecond` (for APIs with a documented low rate, e.g. CloudTrail LookupEvents). */
export class RateLimiter {
  private last = 0;
  constructor(private readonly perSecond: number) {}
  async wait(signal?: AbortSignal): Promise<void> {
    const gap = 1000 / this.perSecond;
    const now = Date.now();
    const at = Math.max(now, this.last + gap);
    this.last = at;
    if (at > now) await sleep(at - now, signal);
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
