/**
 * The engine functions the extension needs, looked up on the engine's public modules.
 * (The enrichment and templates land in src/core/ in parallel with the extension; this adapter keeps
 * the extension building while they do, and names what is missing when called too early.)
 */
import * as api from '../core/api';
import type { EnrichOptions, EnrichSummary } from '../core/api';
import type { Db } from '../core/store/db';

export type EnrichFn = (db: Db, opts: EnrichOptions) => Promise<EnrichSummary>;

export function engineEnrich(): EnrichFn {
  const fn = (api as unknown as { enrich?: EnrichFn }).enrich;
  if (typeof fn !== 'function') throw new Error('this build of Flowlens has no enrichment engine (src/core/api.ts enrich)');
  return fn;
}

export { openDataset } from '../core/api';
