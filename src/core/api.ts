/**
 * The engine's one way in, for the CLI, the extension's DuckDB worker, the benchmarks and the tests:
 * openDataset(), then enrich(db, { source: sample | files | aws, … }) — the source loaded into the dataset
 * (inventory, flow logs), then the conversations and windows rebuilt. A Follower runs the same enrichment as
 * cycles that load only what is new (src/core/follow.ts repeats them).
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import type { AcquireSummary, FileReport } from '../protocol/reports';
import type { AwsSource, EnrichOptions, FilesSource, FollowCycle, Progress, SampleSource } from '../protocol/enrich';
import { Db, type OpenOptions } from './store/db';
import { ensureSchema } from './store/schema';
import { ensureSgRuleViews } from './secgroups/usage';
import { dropHeld, setKeepRecords } from './store/records';
import { DEFAULT_MEMORY_LIMIT } from './memory';
import { CancelledError, rebuild } from './enrich/rebuild';
import { ingestFiles, NOT_FLOW_LOG } from './flowlogs/ingest';
import { forgetFiles, type ForgetWhich, type ForgottenFile } from './flowlogs/forget';
import { loadInventory } from './inventory/load';
import type { SampleOptions } from './sample/index';
import { ensureSampleEstate, sampleKey, sampleRoot } from './sample/cache';
import { loadedNames } from './aws/checkpoints';
import { redact } from './aws/secrets';
import { parseTime } from './time';
import type { AcquireSession } from './aws/acquire';

export type * from '../protocol/enrich';
export type { FileReport } from '../protocol/reports';
export { Db } from './store/db';
export { DEFAULT_MEMORY_LIMIT, memoryHint } from './memory';
/** Where the sample estate is kept: the user's cache folder (src/core/sample/cache.ts). */
export { sampleDir } from './sample/cache';
export { LOADED_FILES_SQL, type ForgetWhich, type ForgottenFile } from './flowlogs/forget';

/** Opens (creating if needed) a dataset: one DuckDB file with the Flowlens schema (DuckDB's budget: DEFAULT_MEMORY_LIMIT unless given). */
export async function openDataset(path: string, options: OpenOptions = {}): Promise<Db> {
  const db = await Db.open(path, { ...options, memoryLimit: options.memoryLimit || DEFAULT_MEMORY_LIMIT });
  if (!options.readOnly) {
    await ensureSchema(db);
    await ensureSgRuleViews(db);
  }
  return db;
}

export interface EnrichSummary {
  /** Every file, S3 object or CloudWatch Logs batch read, and what became of it. */
  files: FileReport[];
  inventoryWarnings: string[];
  /** What the enrichment said of the records: an interface logged by two flow logs, whose records were left out. */
  warnings: string[];
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

export interface ForgetSummary {
  files: ForgottenFile[];
  /** The conversation facts after enriching again from the remaining records (undefined: no file matched, nothing changed). */
  conversations?: number;
}

/**
 * Forgets loaded flow-log files (by name or glob, or exact names: src/core/flowlogs/forget.ts), then enriches
 * again from every remaining record (rebuild with `full`), so that no fact is made of them. What `flowlens forget`
 * and the editor's "Forget loaded files…" run.
 */
export async function forget(
  db: Db,
  which: ForgetWhich,
  opts: Pick<EnrichOptions, 'onProgress'> & { onForgotten?: (files: ForgottenFile[]) => void } = {},
): Promise<ForgetSummary> {
  const files = await forgetFiles(db, which);
  if (files.length === 0) return { files };
  opts.onForgotten?.(files);
  return { files, conversations: await rebuild(db, { full: true, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) }) };
}

/**
 * Enriches the dataset from the source: inventory and flow logs loaded (a file, object or event batch loaded
 * before adds nothing), then conversations and windows rebuilt in one transaction (a cancelled or failed rebuild
 * leaves the previous enrichment intact). Reading from AWS fails when no account could be signed in to.
 */
export async function enrich(db: Db, opts: EnrichOptions): Promise<EnrichSummary> {
  const { loaded, conversations, seconds, warnings } = await loadAndRebuild(db, opts, () => true);
  return { ...loaded, warnings, records: recordsOf(loaded.files), badLines: loaded.files.reduce((n, f) => n + f.badLines, 0), conversations: conversations!, seconds };
}

interface Loaded {
  files: FileReport[];
  inventoryWarnings: string[];
  aws?: AcquireSummary;
}

const recordsOf = (files: FileReport[]) => files.reduce((n, f) => n + (f.status === 'loaded' ? f.records : 0), 0);

/**
 * The one place loading a source and rebuilding meet; `rebuildIf` decides from what was loaded. `session`: what
 * a follower's AWS cycles share.
 */
async function loadAndRebuild(db: Db, opts: EnrichOptions, rebuildIf: (loaded: Loaded) => boolean, session?: AcquireSession): Promise<{ loaded: Loaded; conversations?: number; seconds: number; warnings: string[] }> {
  const t0 = Date.now();
  const warnings: string[] = [];
  if (opts.keepRecords !== undefined) await setKeepRecords(db, opts.keepRecords);
  try {
    // (local files' rows are held in memory for the rebuild: load's ingest holds them, the rebuild takes them)
    const loaded = await load(db, opts, session);
    if (opts.signal?.aborted) throw new CancelledError();
    const conversations = rebuildIf(loaded) || opts.rebuild ? await rebuild(db, { ...opts, full: opts.rebuild === true, onWarning: (w) => warnings.push(w) }) : undefined;
    return { loaded, ...(conversations !== undefined ? { conversations } : {}), seconds: (Date.now() - t0) / 1000, warnings };
  } finally {
    await dropHeld(db).catch(() => undefined);
  }
}

async function load(db: Db, opts: EnrichOptions, session?: AcquireSession): Promise<Loaded> {
  const source = opts.source;
  switch (source.kind) {
    case 'sample':
      return loadFiles(db, await sampleFiles(db, source, opts), opts);
    case 'files':
      return loadFiles(db, source, opts);
    case 'aws':
      return loadAws(db, source, opts, session);
    default:
      throw new Error(`unknown source kind "${(source as { kind?: unknown }).kind}": use sample, files or aws`);
  }
}

/**
 * A dataset that holds another sample estate's flow logs (another seed, size, or the estate of an older Flowlens)
 * is not given this one's: the two are different estates whose first records are often the same, so the dataset
 * would hold some of each. Nothing is loaded; the message names both and what to do.
 */
export class OtherSampleError extends Error {
  constructor(readonly dataset: string, readonly held: string[], readonly wanted: string) {
    super(`${dataset} holds the sample estate ${held.join(', ')}, not ${wanted} (another seed or size, or an older Flowlens's estate): ` +
      'enrich the sample into another dataset, or delete this one to start it anew');
  }
}

const sampleOptions = (source: SampleSource): SampleOptions => ({
  ...(source.seed !== undefined ? { seed: source.seed } : {}),
  ...(source.days !== undefined ? { days: source.days } : {}),
  ...(source.scale !== undefined ? { scale: source.scale } : {}),
});

/** The other sample estates whose flow logs the dataset holds (their folder names), if any, and the one asked for. */
export async function otherSample(db: Db, source: SampleSource): Promise<{ held: string[]; wanted: string } | undefined> {
  const root = sampleRoot() + sep;
  const wanted = sampleKey(sampleOptions(source));
  const held = (await db.all<{ estate: string }>(
    `SELECT DISTINCT split_part(substr(name, length($root) + 1), $sep, 1) AS estate FROM ingest_files
     WHERE starts_with(name, $root) ORDER BY estate`, { root, sep })).map((r) => r.estate).filter((e) => e !== wanted);
  return held.length ? { held, wanted } : undefined;
}

/** The sample estate's folders, generated first when they are not there yet. */
async function sampleFiles(db: Db, source: SampleSource, opts: EnrichOptions): Promise<FilesSource> {
  const sampleOpts = sampleOptions(source);
  const other = await otherSample(db, source);
  if (other) throw new OtherSampleError(db.path, other.held, other.wanted);
  const { dir } = await ensureSampleEstate(sampleOpts, { onBuild: (d) => opts.onProgress?.({ phase: 'sample', message: `generating the sample estate in ${d}` }) });
  // Generating is mostly synchronous: a Cancel that arrived meanwhile (the editor's worker gets it as an IPC
  // message) is only delivered once the event loop turns, so let it turn before looking.
  await new Promise((done) => setImmediate(done));
  if (opts.signal?.aborted) throw new CancelledError();
  return { kind: 'files', flowLogs: [join(dir, 'flowlogs')], inventory: [join(dir, 'inventory')] };
}

async function loadFiles(db: Db, source: FilesSource, opts: EnrichOptions): Promise<Loaded> {
  const progress = (p: Progress) => opts.onProgress?.(p);
  const inventoryWarnings: string[] = [];
  /** Files the inventory loader did not recognise: warned about after the flow logs, unless they are flow logs (one folder holding both). */
  const unrecognised: string[] = [];
  const inventory = source.inventory ?? [];
  if (inventory.length) {
    progress({ phase: 'inventory', message: `loading inventory from ${inventory.join(', ')}` });
    const report = await loadInventory(db, inventory, { signal: opts.signal });
    for (const f of report.files) {
      if (f.status === 'unrecognised') unrecognised.push(f.name);
      // the loader's errors name their file already: told once
      if (f.status === 'failed') inventoryWarnings.push(f.error?.startsWith(f.name) ? f.error : `${f.name}: ${f.error ?? 'failed'}`);
    }
    inventoryWarnings.push(...report.warnings);
  }
  if (opts.signal?.aborted) throw new CancelledError();
  const files: FileReport[] = [];
  if (source.flowLogs.length) {
    const what = source.flowLogs.length <= 3 ? source.flowLogs.join(', ') : `${source.flowLogs.length} files`;
    progress({ phase: 'flow-logs', message: `reading flow logs from ${what}` });
    const onFiles = (done: number, total: number, records: number) => progress({ phase: 'flow-logs', message: `${done} of ${total} files read`, done, total, records });
    // (a loop: an S3 delivery of months holds 100 k+ files, more than a spread's arguments can be)
    for (const f of await ingestFiles(db, source.flowLogs, { signal: opts.signal, onFiles, hold: true, ...(source.logFormat ? { logFormat: source.logFormat } : {}) })) files.push(f);
  }
  const flowLogs = new Set(files.filter((f) => !f.error?.startsWith(NOT_FLOW_LOG)).map((f) => f.name));
  inventoryWarnings.unshift(...unrecognised.filter((n) => !flowLogs.has(n)).map((n) => `${n}: not an inventory file Flowlens recognises`));
  return { files, inventoryWarnings };
}

async function loadAws(db: Db, source: AwsSource, opts: EnrichOptions, session?: AcquireSession): Promise<Loaded> {
  // The AWS SDK loads only when AWS is used.
  const { acquire } = require('./aws/acquire') as typeof import('./aws/acquire');
  const aws = await acquire(db, source, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    ...(opts.mfaCodeProvider ? { mfaCodeProvider: opts.mfaCodeProvider } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  }, session);
  if (aws.accounts.length === 0) {
    // Nothing could be signed in to: say why (credentials, MFA, SSO), in the engine's redacted words.
    throw new Error(`could not sign in to any account: ${aws.issues.map((i) => i.message).join('; ') || 'no account could be read'}`);
  }
  return { files: aws.sources.flatMap((s) => s.files), inventoryWarnings: aws.inventory.warnings, aws };
}

/**
 * Keeps a dataset current: each cycle() loads what is new since the last one — new files in the folders
 * (files already loaded are not read again), new S3 objects and CloudWatch Logs events since the sources'
 * checkpoints — and rebuilds the conversations when something was loaded. Inventory is loaded by the first
 * cycle that succeeds, not again. The first cycle always rebuilds: a follower killed before its rebuild
 * finished left records that are not enriched yet.
 */
export class Follower {
  private cycles = 0;
  private dirty = true;
  /** Whether a cycle has loaded the inventory (the first one that succeeds does). */
  private inventoryLoaded = false;
  private readonly since: Date | undefined;
  /** Files that failed to load, with the size and time they had: not tried again until they change. */
  private readonly refused = new Map<string, string>();
  /** AWS: the accounts signed in to, kept from one cycle to the next. */
  private readonly session: AcquireSession = {};

  /**
   * `settleMs`: a file is read once it has not changed for this long (a file still being written waits for
   * the next cycle).
   */
  constructor(
    private readonly opts: EnrichOptions,
    private readonly settleMs = 10_000,
  ) {
    const source = opts.source;
    if (source.kind === 'sample') throw new Error('the sample estate does not grow: follow a folder (--flow-logs) or AWS');
    if (source.kind === 'aws') {
      if (source.sources?.some((s) => /^(\d{12}\/[a-z0-9-]+=)?athena:/.test(s))) {
        throw new Error('an Athena source cannot be followed (each run aggregates its whole window): follow the S3 bucket or the log group instead');
      }
      // Fixed once: the sources' checkpoints say where each cycle starts.
      this.since = parseTime(source.since);
    }
  }

  /** The report of a cycle that could not start because the dataset is held by another process. */
  busy(message: string): FollowCycle {
    return { ...this.empty(new Date()), cycle: this.cycles + 1, busy: true, issues: [message] };
  }

  /** One cycle on the open dataset. A failure (AWS, a file) is reported in the cycle; only a cancel throws. */
  async cycle(db: Db): Promise<FollowCycle> {
    const start = new Date();
    const report: FollowCycle = { ...this.empty(start), cycle: ++this.cycles };
    try {
      const source = await this.newSource(db, start);
      if (!source && !this.dirty) return { ...report, seconds: (Date.now() - start.getTime()) / 1000 };
      // --rebuild makes every fact again once, in the first cycle; the others append
      const opts: EnrichOptions = { ...this.opts, source: source ?? { kind: 'files', flowLogs: [] }, ...(this.cycles > 1 ? { rebuild: false } : {}) };
      const { loaded, conversations, warnings } = await loadAndRebuild(db, opts, (l) => this.dirty || l.files.some((f) => f.status === 'loaded'), this.session);
      this.dirty = false;
      this.inventoryLoaded = true;
      const loadedFiles = loaded.files.filter((f) => f.status === 'loaded');
      const failed = loaded.files.filter((f) => f.status === 'failed' && !f.error?.startsWith(NOT_FLOW_LOG));
      report.fetched = loadedFiles.length;
      report.records = recordsOf(loaded.files);
      report.bytes = loaded.aws ? loaded.aws.bytes : await this.sizes(loadedFiles.map((f) => f.name));
      report.failed = loaded.aws ? loaded.aws.failed : failed.length;
      report.issues.push(...(loaded.aws ? this.awsIssues(loaded.aws) : failed.map((f) => `${f.name}: ${f.error ?? 'failed'}`)));
      // an interface two followed flow logs log: whose records were left out
      report.issues.push(...warnings);
      report.rebuilt = conversations !== undefined;
      if (conversations !== undefined) report.conversations = conversations;
      await this.remember(loaded.files);
    } catch (err) {
      this.dirty = true; // whatever was loaded before the failure is enriched by the next cycle
      if (this.opts.signal?.aborted) throw err;
      report.failed++;
      report.issues.push((err as Error).message.split('\n')[0]!);
    }
    report.seconds = (Date.now() - start.getTime()) / 1000;
    return report;
  }

  private empty(at: Date): FollowCycle {
    return { cycle: this.cycles, kind: this.opts.source.kind === 'aws' ? 'aws' : 'files', at: at.toISOString(), fetched: 0, records: 0, bytes: 0, failed: 0, rebuilt: false, seconds: 0, issues: [] };
  }

  /** What this cycle reads, or undefined when there is nothing (no new file in the folders). */
  private async newSource(db: Db, now: Date): Promise<FilesSource | AwsSource | undefined> {
    const source = this.opts.source;
    if (source.kind === 'aws') {
      const { until: _until, ...rest } = source;
      return { ...rest, since: this.since!, ...(this.inventoryLoaded ? { inventory: false } : {}) };
    }
    if (source.kind !== 'files') return undefined;
    const fresh = await this.newFiles(db, source.flowLogs, now.getTime());
    const inventory = this.inventoryLoaded ? [] : (source.inventory ?? []);
    if (!fresh.length && !inventory.length) return undefined;
    return { kind: 'files', flowLogs: fresh, inventory, ...(source.logFormat ? { logFormat: source.logFormat } : {}) };
  }

  /** Files under the roots (hidden ones skipped, as ingest does) not loaded yet, unchanged for settleMs, not refused before. */
  private async newFiles(db: Db, roots: string[], now: number): Promise<string[]> {
    const loaded = new Set<string>();
    for (const root of roots) for (const n of await loadedNames(db, root)) loaded.add(n);
    const out: string[] = [];
    for (const f of await listFiles(roots)) {
      if (loaded.has(f.path) || f.mtimeMs > now - this.settleMs || this.refused.get(f.path) === f.signature) continue;
      out.push(f.path);
    }
    return out;
  }

  private async remember(files: FileReport[]): Promise<void> {
    for (const f of files) {
      if (f.status !== 'failed') continue;
      const st = await stat(f.name).catch(() => undefined);
      if (st) this.refused.set(f.name, signature(st));
    }
  }

  private async sizes(paths: string[]): Promise<number> {
    let n = 0;
    for (const p of paths) n += (await stat(p).catch(() => undefined))?.size ?? 0;
    return n;
  }

  private awsIssues(aws: AcquireSummary): string[] {
    const { formatAwsIssue } = require('./aws/acquire') as typeof import('./aws/acquire');
    return aws.issues.map((i) => redact(formatAwsIssue(i)));
  }
}

const signature = (st: { size: number; mtimeMs: number }) => `${st.size}:${st.mtimeMs}`;

/** Every file under the paths, named as ingestFiles names them (the path given, or joined below a folder). */
async function listFiles(roots: string[]): Promise<{ path: string; mtimeMs: number; signature: string }[]> {
  const out: { path: string; mtimeMs: number; signature: string }[] = [];
  const seen = new Set<string>(); // folders by real path: a link back up is not followed twice
  const visit = async (p: string): Promise<void> => {
    const st = await stat(p).catch(() => undefined);
    if (!st) return;
    if (!st.isDirectory()) {
      out.push({ path: p, mtimeMs: st.mtimeMs, signature: signature(st) });
      return;
    }
    const real = await realpath(p).catch(() => p);
    if (seen.has(real)) return;
    seen.add(real);
    const entries = await readdir(p).catch((): string[] => []);
    for (const name of entries.sort()) if (!name.startsWith('.')) await visit(join(p, name));
  };
  for (const r of roots) await visit(r);
  return out;
}
