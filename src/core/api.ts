/**
 * The engine's public surface, used by the CLI, the extension host and the benchmarks.
 * (Signatures first; the implementations land with the enrichment engine.)
 */
import type { DuckDBValue } from '@duckdb/node-api';
import type { FileReport } from '../protocol/reports';
import { Db, type OpenOptions } from './store/db';
import { ensureSchema } from './store/schema';
import { DEFAULT_MEMORY_LIMIT } from './memory';

export { Db } from './store/db';
export { DEFAULT_MEMORY_LIMIT, memoryHint } from './memory';
export type { FileReport } from '../protocol/reports';

/** Opens (creating if needed) a dataset: one DuckDB file with the Flowlens schema (DuckDB's budget: DEFAULT_MEMORY_LIMIT unless given). */
export async function openDataset(path: string, options: OpenOptions = {}): Promise<Db> {
  const db = await Db.open(path, { ...options, memoryLimit: options.memoryLimit || DEFAULT_MEMORY_LIMIT });
  if (!options.readOnly) await ensureSchema(db);
  return db;
}

export interface Progress {
  phase: 'sample' | 'inventory' | 'flow-logs' | 'enrich' | 'windows';
  message: string;
  done?: number;
  total?: number;
}

export interface EnrichOptions {
  /** Files or folders of flow logs (text, .gz, .parquet, CloudWatch event JSON). */
  flowLogs?: string[];
  /** A folder of inventory dumps (AWS API JSON) and ip-ranges.json. */
  inventory?: string;
  /** Generate and load the built-in sample estate. */
  sample?: boolean | { seed?: number; days?: number; scale?: number };
  /** Cancels between steps and interrupts the running query; the dataset stays consistent. */
  signal?: AbortSignal;
  onProgress?: (p: Progress) => void;
}

export interface EnrichSummary {
  files: FileReport[];
  inventoryWarnings: string[];
  records: number;
  badLines: number;
  conversations: number;
  seconds: number;
}

export interface TemplateParam {
  name: string;
  /** DuckDB type: VARCHAR, INTEGER, DOUBLE, TIMESTAMP, ... */
  type: string;
  default?: string;
  description?: string;
}

export interface QueryTemplate {
  id: string;
  title: string;
  description: string;
  params: TemplateParam[];
  sql: string;
  /** Where it came from: the built-in templates folder or a user's snippets folder. */
  file: string;
}

export type BoundParams = Record<string, DuckDBValue>;
