/**
 * The engine functions the DuckDB process calls: the same ones the CLI uses (src/cli.ts).
 */
import type { EnrichOptions, EnrichSummary } from '../core/api';
import type { Db } from '../core/store/db';
import { enrich } from '../core/enrich/index';

export type EnrichFn = (db: Db, opts: EnrichOptions) => Promise<EnrichSummary>;

export function engineEnrich(): EnrichFn {
  return enrich;
}

export { openDataset } from '../core/api';
