/**
 * A full garbage collection on request, for the few points where the engine has just dropped a large heap of
 * JavaScript objects and goes on to let DuckDB work for a long time without allocating: V8 collects only when
 * JavaScript allocates, so that garbage would otherwise stay resident beside DuckDB's own memory budget
 * (100 k ENIs: about 200 MB of parsed inventory, kept through the whole enrichment).
 *
 * Node exposes `gc` only under `--expose-gc`; the flag is set for a new context, whose `gc` collects the whole
 * heap (the way jest's leak detector does it). Without the flag's effect, it does nothing.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let collect: (() => void) | null | undefined;

export function collectGarbage(): void {
  if (collect === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      const gc: unknown = runInNewContext('typeof gc === "function" ? gc : null');
      collect = typeof gc === 'function' ? (gc as () => void) : null;
    } catch {
      collect = null;
    }
  }
  collect?.();
}
