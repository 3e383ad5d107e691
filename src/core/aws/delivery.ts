/**
 * Flow logs arrive after their capture window (AWS, best effort: about 5 minutes to CloudWatch Logs, about 10 to
 * S3). What a run reads ends this long before now, and the rest is left for the next run, which finds it delivered:
 * CloudWatch Logs' checkpoint never moves past it, and an Athena source's window ends there (its rows are sums over
 * the window, so a window read before its records arrived would never be read again).
 */

/** Minutes before now that a run leaves for the next one because delivery is still under way. */
export const SETTLE_MINUTES = 10;

/** Where a run's reading ends: `until`, or SETTLE_MINUTES (or `minutes`) before `now` when that is earlier. */
export function settledEnd(until: number, now: number, minutes = SETTLE_MINUTES): number {
  return Math.min(until, now - minutes * 60_000);
}
