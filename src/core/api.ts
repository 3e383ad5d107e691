/**
 * The engine's one way in, for the CLI, the extension's DuckDB worker, the benchmarks and the tests:
 * openDataset(), then enrich(db, { source: sample | files | aws, … }) — the source loaded into the dataset
 * (inventory, flow logs), then the conversations and windows rebuilt.
 */
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import type { AcquireSummary, FileReport } from '../protocol/reports';
import type { AwsSource, EnrichOptions, FilesSource, Progress, SampleSource } from '../protocol/enrich';
import { Db, type OpenOptions } from './store/db';
import { ensureSchema } from './store/schema';
import { DEFAULT_MEMORY_LIMIT } from './memory';
import { CancelledError, rebuild } from './enrich/rebuild';
import { ingestFiles } from './flowlogs/ingest';
import { loadInventory } from './inventory/load';
import { writeSampleEstate, type SampleOptions } from './sample/index';

export type * from '../protocol/enrich';
export type { FileReport } from '../protocol/reports';
export { Db } from './store/db';
export { DEFAULT_MEMORY_LIMIT, memoryHint } from './memory';

/** Opens (creating if needed) a dataset: one DuckDB file with the Flowlens schema (DuckDB's budget: DEFAULT_MEMORY_LIMIT unless given). */
export async function openDataset(path: string, options: OpenOptions = {}): Promise<Db> {
  const db = await Db.open(path, { ...options, memoryLimit: options.memoryLimit || DEFAULT_MEMORY_LIMIT });
  if (!options.readOnly) await ensureSchema(db);
  return db;
}

export interface EnrichSummary {
  /** Every file, S3 object or CloudWatch Logs batch read, and what became of it. */
  files: FileReport[];
  inventoryWarnings: string[];
  records: number;
  badLines: number;
  conversations: number;
  seconds: number;
  /** Reading from AWS: accounts, sources, objects fetched and skipped, every issue. */
  aws?: AcquireSummary;
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

/** Where the sample estate is written: deterministic, so a re-run reuses it and loads nothing twice. */
export function sampleDir(options: SampleOptions): string {
  const key = `seed-${options.seed ?? 42}-days-${options.days ?? 61}-scale-${options.scale ?? 1}`;
  return join(tmpdir(), 'flowlens-sample', key);
}

/**
 * Enriches the dataset from the source: inventory and flow logs loaded (a file, object or event batch loaded
 * before adds nothing), then conversations and windows rebuilt in one transaction (a cancelled or failed rebuild
 * leaves the previous enrichment intact). Reading from AWS fails when no account could be signed in to.
 */
export async function enrich(db: Db, opts: EnrichOptions): Promise<EnrichSummary> {
  const t0 = Date.now();
  const loaded = await load(db, opts);
  if (opts.signal?.aborted) throw new CancelledError();
  const conversations = await rebuild(db, opts);
  return { ...loaded, records: recordsOf(loaded.files), badLines: loaded.files.reduce((n, f) => n + f.badLines, 0), conversations, seconds: (Date.now() - t0) / 1000 };
}

interface Loaded {
  files: FileReport[];
  inventoryWarnings: string[];
  aws?: AcquireSummary;
}

const recordsOf = (files: FileReport[]) => files.reduce((n, f) => n + (f.status === 'loaded' ? f.records : 0), 0);

async function load(db: Db, opts: EnrichOptions): Promise<Loaded> {
  const source = opts.source;
  switch (source.kind) {
    case 'sample':
      return loadFiles(db, await sampleFiles(source, opts), opts);
    case 'files':
      return loadFiles(db, source, opts);
    case 'aws':
      return loadAws(db, source, opts);
    default:
      throw new Error(`unknown source kind "${(source as { kind?: unknown }).kind}": use sample, files or aws`);
  }
}

/** The sample estate's folders, generated first when they are not there yet. */
async function sampleFiles(source: SampleSource, opts: EnrichOptions): Promise<FilesSource> {
  const sampleOpts: SampleOptions = {
    ...(source.seed !== undefined ? { seed: source.seed } : {}),
    ...(source.days !== undefined ? { days: source.days } : {}),
    ...(source.scale !== undefined ? { scale: source.scale } : {}),
  };
  const dir = sampleDir(sampleOpts);
  if (!existsSync(join(dir, 'manifest.json'))) {
    opts.onProgress?.({ phase: 'sample', message: `generating the sample estate in ${dir}` });
    await mkdir(dir, { recursive: true });
    await writeSampleEstate(dir, sampleOpts);
  }
  if (opts.signal?.aborted) throw new CancelledError();
  return { kind: 'files', flowLogs: [join(dir, 'flowlogs')], inventory: [join(dir, 'inventory')] };
}

async function loadFiles(db: Db, source: FilesSource, opts: EnrichOptions): Promise<Loaded> {
  const progress = (p: Progress) => opts.onProgress?.(p);
  const inventoryWarnings: string[] = [];
  const inventory = source.inventory ?? [];
  if (inventory.length) {
    progress({ phase: 'inventory', message: `loading inventory from ${inventory.join(', ')}` });
    const report = await loadInventory(db, inventory, { signal: opts.signal });
    for (const f of report.files) {
      if (f.status === 'unrecognised') inventoryWarnings.push(`${f.name}: not an inventory file Flowlens recognises`);
      if (f.status === 'failed') inventoryWarnings.push(`${f.name}: ${f.error ?? 'failed'}`);
    }
    inventoryWarnings.push(...report.warnings);
  }
  if (opts.signal?.aborted) throw new CancelledError();
  const files: FileReport[] = [];
  if (source.flowLogs.length) {
    const what = source.flowLogs.length <= 3 ? source.flowLogs.join(', ') : `${source.flowLogs.length} files`;
    progress({ phase: 'flow-logs', message: `reading flow logs from ${what}` });
    files.push(...(await ingestFiles(db, source.flowLogs, { signal: opts.signal, ...(source.logFormat ? { logFormat: source.logFormat } : {}) })));
  }
  return { files, inventoryWarnings };
}

async function loadAws(db: Db, source: AwsSource, opts: EnrichOptions): Promise<Loaded> {
  // The AWS SDK loads only when AWS is used.
  const { acquire } = require('./aws/acquire') as typeof import('./aws/acquire');
  const aws = await acquire(db, source, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.mfaCodeProvider ? { mfaCodeProvider: opts.mfaCodeProvider } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  if (aws.accounts.length === 0) {
    // Nothing could be signed in to: say why (credentials, MFA, SSO), in the engine's redacted words.
    throw new Error(`could not sign in to any account: ${aws.issues.map((i) => i.message).join('; ') || 'no account could be read'}`);
  }
  return { files: aws.sources.flatMap((s) => s.files), inventoryWarnings: aws.inventory.warnings, aws };
}
