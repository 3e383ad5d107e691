/**
 * `flowlens`: the command line over the engine.
 *
 *   flowlens enrich (--sample | --flow-logs <files/dirs>... --inventory <dir> | --profile … --regions … --since …) --db <file> [--follow]
 *   flowlens templates [--snippets <dir>]
 *   flowlens query <template> --db <file> [--param k=v]... [--format table|json|csv] [--snippets <dir>]
 *   flowlens sql "<SQL>" --db <file> [--format table|json|csv] [--export-dir <dir>]
 *   flowlens export --db <file> --format jsonl|parquet|csv [--out <file>|-] [--force]
 *   flowlens forget <file|glob> --db <file>
 *   flowlens demo [--db <file>]
 *
 * Errors are one clear line on stderr and a non-zero exit.
 */
import { parseArgs } from 'node:util';
import { dirname, resolve, sep } from 'node:path';
import { existsSync, rmSync, statSync } from 'node:fs';
import { DEFAULT_MEMORY_LIMIT, enrich, forget, memoryHint, openDataset, OtherSampleError, otherSample, type EnrichOptions, type EnrichRequest, type EnrichSource, type EnrichSummary, type FileReport, type Progress } from './core/api';
import { follow, openForCycle } from './core/follow';
import { NOT_FLOW_LOG, watchIngest } from './core/flowlogs/ingest';
import { ExportRefused, exportToFile, exportToStream, type ExportFormat } from './core/export';
import { openForUserSql, prepareUserSql, SqlRefused } from './core/store/sandbox';
import { setActivity } from './core/store/holder';
import { diskFullMessage } from './core/diskFull';
import { bindTemplate, findTemplate, listTemplates, TemplateUsageError } from './core/templates/index';
import { formatCycle, formatRows, plural, RowWriter, type OutputFormat } from './core/format';
import { readableNames } from './core/names';
import { parseDuration } from './core/time';
import { outputLocationProblem, parseSize } from './core/aws/athenaTable';
import type { AthenaSettings } from './protocol/enrich';
import { jsonRowChunks, type Db } from './core/store/db';
import { onOneThreadIfOutOfMemory } from './core/memory';

class UsageError extends Error {}

const USAGE = `flowlens: AWS VPC flow logs, enriched locally in DuckDB

  flowlens enrich --sample [--seed N] [--days N] [--scale X] --db <file>
  flowlens enrich --flow-logs <file|dir> [--flow-logs ...] --inventory <dir> [--log-format '\${version} …'] --db <file>
  flowlens enrich --profile P [--role FlowLogIntrospector --external-id X (or FLOWLENS_EXTERNAL_ID) --accounts A,B] --regions r1,r2
                  --since 24h|<ISO> [--until <ISO>] [--source s3://bucket/prefix|logs:<group>|athena:<db>.<table>|firehose:<stream> ...]
                  [--no-inventory] [--ip-ranges] [--endpoint-url URL] [--dump-dir <dir>]
                  [--athena-workgroup W --athena-output s3://... [--athena-result parquet|csv] --athena-window 1m|5m|1h
                   --max-scan 10GB --athena-price 5 --athena-reuse 60 --create-athena-table] --db <file>
                  an athena: source reduces in Athena (only its rows come down); the scan is estimated first and
                  refused above --max-scan; the estimated and the actual scan are printed in bytes and dollars;
                  with --athena-output the rows come down as Parquet (UNLOAD), else as the query's CSV result;
                  no such table: AWS's DDL for your flow log is printed, and with --create-athena-table it is run
                  (CREATE DATABASE first when missing; needs glue:CreateTable, which the read-only role lacks)
                  and the table read in the same run
  flowlens enrich … [--keep-records | --no-keep-records] [--rebuild]
                  an enrichment adds what is new to the dataset; a new dataset keeps no raw records (flow_records
                  reads the files they came from) unless --keep-records; --rebuild makes every fact again
  flowlens enrich … --follow [--interval 60s]
                  keep the dataset current: every interval, read what is new (new files in the folders, new S3
                  objects and CloudWatch Logs events since the checkpoints) and append it; the file is held only
                  during a cycle, so \`flowlens sql\` can read it between cycles. Ctrl-C stops after the cycle.
  flowlens templates [--snippets <dir>]
  flowlens query <template> --db <file> [--param name=value ...] [--format table|json|csv] [--snippets <dir>]
  flowlens sql "<SQL>" --db <file> [--format table|json|csv] [--export-dir <dir>]
                  read-only; files only in --export-dir (not the dataset's folder); no INSTALL/LOAD
  flowlens export --db <file> --format jsonl|parquet|csv [--out <file>|-] [--force]
  flowlens forget <file|glob> --db <file>   drop a loaded flow-log file's records (and rebuild the enrichment)
  flowlens demo [--db <file>]     enrich the sample estate and answer every template

  --memory <size>   DuckDB's memory budget, e.g. 500MB (the default) or 4GB; more work spills to disk
  --allow-partial   enrich: exit 0 when some files, accounts or sources failed but the rest loaded

  Exit status: 0 when everything asked was done, 1 when anything failed, 2 on a usage error.`;

const OPTIONS = {
  db: { type: 'string' },
  sample: { type: 'boolean' },
  seed: { type: 'string' },
  days: { type: 'string' },
  scale: { type: 'string' },
  'flow-logs': { type: 'string', multiple: true },
  inventory: { type: 'string', multiple: true },
  'log-format': { type: 'string' },
  follow: { type: 'boolean' },
  interval: { type: 'string' },
  'keep-records': { type: 'boolean' },
  'no-keep-records': { type: 'boolean' },
  rebuild: { type: 'boolean' },
  param: { type: 'string', multiple: true, short: 'p' },
  format: { type: 'string' },
  out: { type: 'string' },
  force: { type: 'boolean' },
  'allow-partial': { type: 'boolean' },
  'export-dir': { type: 'string' },
  snippets: { type: 'string', multiple: true },
  rows: { type: 'string' },
  quiet: { type: 'boolean', short: 'q' },
  memory: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  // AWS acquisition
  profile: { type: 'string' },
  role: { type: 'string' },
  'external-id': { type: 'string' },
  accounts: { type: 'string' },
  regions: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  source: { type: 'string', multiple: true },
  'no-inventory': { type: 'boolean' },
  'ip-ranges': { type: 'boolean' },
  'endpoint-url': { type: 'string' },
  'dump-dir': { type: 'string' },
  'athena-workgroup': { type: 'string' },
  'athena-output': { type: 'string' },
  'athena-result': { type: 'string' },
  'athena-window': { type: 'string' },
  'athena-price': { type: 'string' },
  'athena-reuse': { type: 'string' },
  'max-scan': { type: 'string' },
  'create-athena-table': { type: 'boolean' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} takes a number, not "${v}"`);
  return n;
}

function need(v: string | undefined, what: string): string {
  if (!v) throw new UsageError(`${what} is required`);
  return v;
}

/** --memory, checked here so that a typo is a usage error rather than DuckDB's. */
let memoryLimit: string | undefined;

function memoryOption(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i.test(v.trim())) throw new UsageError(`--memory takes a size such as 500MB or 4GB, not "${v}"`);
  return v.trim();
}

async function withDb<T>(path: string, fn: (db: Db) => Promise<T>, readOnly = false): Promise<T> {
  if (readOnly && !existsSync(path)) throw new UsageError(`no dataset at ${path} (create it with: flowlens enrich ... --db ${path})`);
  if (!existsSync(dirname(path))) throw new UsageError(`cannot make the dataset ${path}: the folder ${dirname(path)} does not exist`);
  const db = await openDataset(path, { readOnly, memoryLimit });
  try {
    return await fn(db);
  } finally {
    db.close();
  }
}

/** Progress on stderr: every step, but files counted (done of total) at most once a second, and the last. */
function progressPrinter(quiet: boolean | undefined): (p: Progress) => void {
  let last = 0;
  return (p) => {
    if (quiet) return;
    const counted = p.total !== undefined && p.done !== undefined;
    if (counted && p.done !== p.total && Date.now() - last < 1000) return;
    last = Date.now();
    process.stderr.write(`[${p.phase}] ${p.message}\n`);
  };
}

function printSummary(s: EnrichSummary, db: string): void {
  const loaded = s.files.filter((f) => f.status === 'loaded').length;
  const dup = s.files.filter((f) => f.status === 'duplicate').length;
  console.log(`${db}: ${plural(s.records, 'flow record')} from ${plural(loaded, 'file')}` +
    (dup ? ` (${dup.toLocaleString('en-US')} already loaded)` : '') +
    `, ${plural(s.conversations, 'conversation')}, ${s.seconds.toFixed(1)} s`);
  printFiles(s.files);
  for (const w of s.inventoryWarnings) console.log(`  inventory: ${w}`);
  for (const w of s.warnings) console.log(`  flow logs: ${w}`);
}

/** At most this many files skipped for content loaded before are named; the rest are counted. */
const SKIPPED_SHOWN = 5;

/** What each flow-log file came to: failures and bad lines (printed also when a later step fails). */
function printFiles(files: FileReport[]): void {
  const skipped = files.filter((x) => x.status === 'duplicate' && x.duplicateOf !== x.name);
  for (const f of skipped.slice(0, SKIPPED_SHOWN)) console.log(`  skipped: ${f.name}: the same content as ${f.duplicateOf}, loaded before`);
  if (skipped.length > SKIPPED_SHOWN) {
    console.log(`  skipped: ${plural(skipped.length - SKIPPED_SHOWN, 'more file')} with the same content as files loaded before`);
  }
  // (an error that starts with the file's name is not given it twice)
  for (const f of files.filter((x) => x.status === 'failed')) console.log(`  failed: ${f.error && /^[:\s]/.test(f.error.slice(f.name.length)) && f.error.startsWith(f.name) ? f.error : `${f.name}: ${f.error}`}`);
  for (const f of files.filter((x) => x.status === 'loaded' && x.note)) console.log(`  ${f.name}: ${f.note}`);
  // (as the editor says it: a file read without a record in it, an empty one say, is no error, but it is no data either)
  const empty = files.filter((x) => x.status === 'loaded' && x.records === 0 && x.badLines === 0);
  for (const f of empty.slice(0, SKIPPED_SHOWN)) console.log(`  ${f.name}: no records in the file`);
  if (empty.length > SKIPPED_SHOWN) console.log(`  ${plural(empty.length - SKIPPED_SHOWN, 'more file')} with no records`);
  for (const f of files.filter((x) => x.badLines > 0)) {
    console.log(`  ${f.name}: ${plural(f.badLines, 'bad line')}` + f.errors.map((e) => `\n    line ${e.line}: ${e.message}`).join(''));
  }
}

const list = (v: string | undefined) => (v ?? '').split(',').map((x) => x.trim()).filter(Boolean);

/** Asks for an MFA code on the terminal (never echoed to a log, never stored). */
async function promptMfa(serial: string): Promise<string> {
  if (!process.stdin.isTTY) throw new Error(`an MFA code is needed for ${serial}; run flowlens in a terminal`);
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(`MFA code for ${serial}: `)).trim();
  } finally {
    rl.close();
  }
}

/** The enrich command's arguments as the engine's source: the one mapping from the command line. */
function enrichSource(v: Values): EnrichSource {
  const flowLogs = v['flow-logs'] ?? [];
  const inventory = v.inventory ?? [];
  const aws = Boolean(v.profile || v.accounts || v.regions || v.source?.length || v.since);
  if (!v.sample && !flowLogs.length && !inventory.length && !aws) {
    throw new UsageError('enrich needs --sample, --flow-logs <files/dirs> with --inventory <dir>, or AWS options (--profile, --regions, --since)');
  }
  if (aws && (v.sample || flowLogs.length || inventory.length)) {
    throw new UsageError('read either from AWS (--profile/--regions/--since) or from --sample / --flow-logs, not both at once');
  }
  if (v.sample && (flowLogs.length || inventory.length)) throw new UsageError('--sample brings its own flow logs and inventory: leave out --flow-logs and --inventory');
  if (v.sample) return { kind: 'sample', seed: num(v.seed, 'seed'), days: num(v.days, 'days'), scale: num(v.scale, 'scale') };
  if (!aws) {
    for (const p of [...flowLogs, ...inventory]) {
      if (!existsSync(p)) throw new UsageError(`no such file or folder: ${p}`);
    }
    return {
      kind: 'files',
      flowLogs: flowLogs.map((p) => resolve(p)),
      ...(inventory.length ? { inventory: inventory.map((p) => resolve(p)) } : {}),
      ...(v['log-format'] ? { logFormat: v['log-format'] } : {}),
    };
  }
  const regions = list(v.regions);
  if (!regions.length) throw new UsageError('--regions r1,r2 is required to read from AWS');
  if (v['create-athena-table'] && !v.source?.some((x) => /^(\d{12}\/[a-z0-9-]+=)?athena:/.test(x))) throw new UsageError('--create-athena-table goes with --source athena:<db>.<table>');
  if (!v.since) throw new UsageError('--since 24h|7d|<ISO time> is required to read from AWS');
  return {
    kind: 'aws',
    ...(v.profile ? { profile: v.profile.includes(',') ? list(v.profile) : v.profile } : {}),
    ...(v.role ? { role: v.role } : {}),
    // from the environment too, so that it need not stand in argv (visible to every user in ps)
    ...(v['external-id'] || process.env.FLOWLENS_EXTERNAL_ID ? { externalId: v['external-id'] ?? process.env.FLOWLENS_EXTERNAL_ID } : {}),
    ...(v.accounts ? { accounts: list(v.accounts) } : {}),
    regions,
    since: v.since,
    ...(v.until ? { until: v.until } : {}),
    ...(v.source?.length ? { sources: v.source } : {}),
    inventory: !v['no-inventory'],
    ipRanges: v['ip-ranges'] ?? false,
    ...(v['dump-dir'] ? { dumpDir: resolve(v['dump-dir']) } : {}),
    ...(v['endpoint-url'] ? { settings: { endpoint: v['endpoint-url'] } } : {}),
    ...athenaSettings(v),
  };
}

const ATHENA_WINDOWS: Record<string, number> = { '1m': 60, '60s': 60, '5m': 300, '300s': 300, '1h': 3600, '60m': 3600, '3600s': 3600 };

/** The --athena-* and --max-scan options, checked here so that a typo is a usage error. */
function athenaSettings(v: Values): { athena?: AthenaSettings } {
  const a: AthenaSettings = {};
  if (v['athena-workgroup']) a.workgroup = v['athena-workgroup'];
  if (v['athena-output']) {
    const problem = outputLocationProblem(v['athena-output']);
    if (problem) throw new UsageError(`--athena-output: ${problem}`);
    a.outputLocation = v['athena-output'].trim();
  }
  if (v['athena-result'] !== undefined) {
    const f = v['athena-result'].trim().toLowerCase();
    if (f !== 'parquet' && f !== 'csv') throw new UsageError(`--athena-result takes parquet or csv, not "${v['athena-result']}"`);
    a.resultFormat = f;
  }
  if (v['athena-window'] !== undefined) {
    const w = ATHENA_WINDOWS[v['athena-window'].trim().toLowerCase()];
    if (!w) throw new UsageError(`--athena-window takes 1m, 5m or 1h, not "${v['athena-window']}"`);
    a.windowSeconds = w;
  }
  if (v['max-scan'] !== undefined) {
    const b = parseSize(v['max-scan']);
    if (b === undefined) throw new UsageError(`--max-scan takes a size such as 10GB or 500MB, not "${v['max-scan']}"`);
    a.maxScanBytes = b;
  }
  const price = num(v['athena-price'], 'athena-price');
  if (price !== undefined) a.pricePerTb = price;
  const reuse = num(v['athena-reuse'], 'athena-reuse');
  if (reuse !== undefined) a.reuseMinutes = reuse;
  if (v['create-athena-table']) a.createTable = true;
  return Object.keys(a).length ? { athena: a } : {};
}

let exitCode = 0;

async function cmdEnrich(v: Values): Promise<void> {
  const dbPath = resolve(need(v.db, '--db <file>'));
  if (v['keep-records'] && v['no-keep-records']) throw new UsageError('--keep-records or --no-keep-records, not both');
  // the one mapping from the command line to the engine's options (as data; callbacks added below)
  const request: EnrichRequest = {
    source: enrichSource(v),
    ...(v['keep-records'] ? { keepRecords: true } : v['no-keep-records'] ? { keepRecords: false } : {}),
    ...(v.rebuild ? { rebuild: true } : {}),
  };
  if (v.follow) return cmdFollow(v, dbPath, request);
  if (v.interval) throw new UsageError('--interval goes with --follow');
  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('cancelling: the dataset keeps what was complete\n');
    controller.abort();
  });
  await withDb(dbPath, async (db) => {
    const files: FileReport[] = [];
    const unwatch = watchIngest(db, (reports) => files.push(...reports));
    let summary: EnrichSummary;
    try {
      summary = await enrich(db, { ...request, signal: controller.signal, onProgress: progressPrinter(v.quiet), mfaCodeProvider: promptMfa });
    } catch (err) {
      // what was loaded stays loaded: say what each file came to before the error
      const loaded = files.filter((f) => f.status === 'loaded');
      if (files.length) console.log(`${dbPath}: ${plural(loaded.reduce((n, f) => n + f.records, 0), 'flow record')} loaded from ${plural(loaded.length, 'file')} before the failure`);
      printFiles(files);
      throw err;
    } finally {
      unwatch();
    }
    if (summary.aws) {
      const { formatAcquireSummary } = require('./core/aws/acquire') as typeof import('./core/aws/acquire.js');
      console.log(formatAcquireSummary(summary.aws));
      console.log(`${dbPath}: ${plural(summary.conversations, 'conversation')}`);
      if ((summary.aws.failed > 0 || summary.aws.issues.length > 0) && !v['allow-partial']) exitCode = 1;
      return;
    }
    printSummary(summary, dbPath);
    // a file that is no flow log found in a folder (a README beside the logs) is reported, not a failure; one named
    // on the command line was meant to be read
    const named = new Set((v['flow-logs'] ?? []).map((p) => resolve(p)));
    // a folder with no file in it at all (a wrong folder, or one not synced yet) is said, not taken for "nothing new"
    for (const dir of named) {
      if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
      if (!summary.files.some((f) => f.name === dir || f.name.startsWith(dir + sep))) console.error(`flowlens: no file under ${dir}`);
    }
    const failed = summary.files.filter((f) => f.status === 'failed' && (!f.error?.startsWith(NOT_FLOW_LOG) || named.has(f.name)));
    if (failed.length && !v['allow-partial']) {
      const others = summary.files.some((f) => f.status === 'loaded') ? 'the others loaded' : 'nothing was loaded';
      console.error(`flowlens: ${failed.length} file${failed.length > 1 ? 's' : ''} failed to load (${others}); --allow-partial accepts that`);
      exitCode = 1;
    }
  });
}

/** `--interval`: a duration (30s, 5m, 1h) or a number of seconds. */
function intervalOption(text: string | undefined): number {
  if (text === undefined) return 60_000;
  const ms = /^\d+(\.\d+)?$/.test(text.trim()) ? Number(text) * 1000 : parseDuration(text);
  if (!ms || ms < 1000) throw new UsageError(`--interval takes a duration of at least 1s, e.g. 60s or 5m, not "${text}"`);
  return ms;
}

/**
 * enrich --follow: a cycle every interval, one line each. The first SIGINT or SIGTERM stops after the cycle
 * that runs (the dataset is closed between cycles anyway), a second one cancels that cycle.
 */
async function cmdFollow(v: Values, dbPath: string, request: EnrichRequest): Promise<void> {
  if (request.source.kind === 'sample') throw new UsageError('--follow reads what is new in folders or AWS; the sample estate does not grow');
  if (v.until) throw new UsageError('--follow reads up to now: leave out --until');
  const intervalMs = intervalOption(v.interval);
  const stop = new AbortController();
  const cancel = new AbortController();
  const onSignal = () => {
    if (!stop.signal.aborted) {
      process.stderr.write('stopping after this cycle (again to cancel it)\n');
      stop.abort();
    } else {
      process.stderr.write('cancelling the cycle: the dataset keeps what was complete\n');
      cancel.abort();
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const opts: EnrichOptions = { ...request, signal: cancel.signal, onProgress: progressPrinter(v.quiet), mfaCodeProvider: promptMfa };
  if (!v.quiet) process.stderr.write(`following into ${dbPath} every ${intervalMs / 1000} s; Ctrl-C stops after the current cycle\n`);
  try {
    await follow(opts, { intervalMs, stop: stop.signal, onCycle: (c) => console.log(formatCycle(c)), withDataset: openForCycle(dbPath, { memoryLimit }) });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

function parseParams(list: string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of list ?? []) {
    const i = p.indexOf('=');
    if (i <= 0) throw new UsageError(`--param takes name=value, not "${p}"`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

function outputFormat(v: string | undefined): OutputFormat {
  const f = v ?? 'table';
  if (f !== 'table' && f !== 'json' && f !== 'csv') throw new UsageError(`--format is table, json or csv, not "${f}"`);
  return f;
}

async function cmdQuery(v: Values, positionals: string[]): Promise<void> {
  const id = need(positionals[1], 'a template name (see: flowlens templates)');
  const problems: string[] = [];
  const t = findTemplate(id, v.snippets ?? [], problems);
  warnSnippets(problems);
  let bound;
  try {
    bound = bindTemplate(t, parseParams(v.param));
  } catch (err) {
    throw new UsageError((err as Error).message); // a --param the template cannot take
  }
  const { sql, params } = bound;
  const format = outputFormat(v.format);
  await withDb(resolve(need(v.db, '--db <file>')), async (db) => {
    const rows = await onOneThreadIfOutOfMemory(() => db.json(sql, params),
      async () => Number(await db.value<bigint>(`SELECT current_setting('threads')`)), (n) => db.exec(`SET threads = ${n}`));
    const names = format === 'table' ? await readableNames(db, rows.flatMap((r) => Object.values(r))) : undefined;
    process.stdout.write(formatRows(rows, format, { names }));
  }, true);
}

async function cmdSql(v: Values, positionals: string[]): Promise<void> {
  const sql = need(positionals[1], 'the SQL to run');
  const format = outputFormat(v.format);
  const path = resolve(need(v.db, '--db <file>'));
  if (!existsSync(path)) throw new UsageError(`no dataset at ${path} (create it with: flowlens enrich ... --db ${path})`);
  const exportDir = v['export-dir'] ? resolve(v['export-dir']) : undefined;
  if (exportDir && !existsSync(exportDir)) throw new UsageError(`no such folder: ${v['export-dir']}`);
  const db = await openForUserSql(path, { exportDir, memoryLimit });
  try {
    const prepared = await prepareUserSql(db.conn, sql, exportDir);
    let result;
    try {
      result = await prepared.stream();
    } finally {
      prepared.destroySync();
    }
    // written as it is read, a chunk at a time, waiting for the reader: a result of millions of rows is never held
    const out = new RowWriter(format, result.deduplicatedColumnNames(), (text) => new Promise<void>((done) => {
      if (process.stdout.write(text)) done();
      else process.stdout.once('drain', done);
    }));
    for await (const rows of jsonRowChunks(result)) await out.add(rows);
    await out.end();
  } catch (err) {
    const m = (err as Error).message;
    if (/file system operations are disabled by configuration/.test(m)) {
      throw new Error(`${m.split('\n')[0]} — flowlens sql reads and writes files only in the folder given with --export-dir`);
    }
    // the SQL itself is wrong (it does not parse, names what is not there, mixes types): the user's input
    const wrong = /^(?:Failed to extract statements: )?((?:Parser|Binder|Catalog|Conversion) Error: .*)/s.exec(m);
    if (wrong) throw new UsageError(`the SQL is not valid: ${wrong[1]}`);
    throw err;
  } finally {
    db.close();
  }
}

/** Snippets that were skipped, each by path, on stderr: the others work. */
function warnSnippets(problems: string[]): void {
  for (const p of problems) process.stderr.write(`flowlens: snippet ${p}\n`);
}

function cmdTemplates(v: Values): void {
  const problems: string[] = [];
  const templates = listTemplates(v.snippets ?? [], problems);
  warnSnippets(problems);
  for (const t of templates) {
    console.log(`${t.id}\n  ${t.title}: ${t.description}`);
    for (const p of t.params) console.log(`  --param ${p.name}=${p.default ?? ''}   (${p.type}) ${p.description ?? ''}`);
  }
}

async function cmdExport(v: Values): Promise<void> {
  const format = (v.format ?? 'jsonl') as ExportFormat;
  if (!['jsonl', 'parquet', 'csv'].includes(format)) throw new UsageError(`--format is jsonl, parquet or csv, not "${format}"`);
  const dbPath = resolve(need(v.db, '--db <file>'));
  if (v.out === '-') {
    await withDb(dbPath, async (db) => {
      const n = await exportToStream(db, format, process.stdout);
      if (!v.quiet) process.stderr.write(`standard output: ${plural(n, 'conversation')}\n`);
    }, true);
    return;
  }
  const out = resolve(v.out ?? dbPath.replace(/\.duckdb$/, '') + '.conversations.' + format);
  await withDb(dbPath, async (db) => {
    const n = await exportToFile(db, format, out, { force: v.force });
    console.log(`${out}: ${plural(n, 'conversation')}`);
  }, true);
}

async function cmdForget(v: Values, positionals: string[]): Promise<void> {
  const pattern = need(positionals[1], 'the loaded file to forget (a name as the summary printed it, or a glob)');
  const dbPath = resolve(need(v.db, '--db <file>'));
  if (!existsSync(dbPath)) throw new UsageError(`no dataset at ${dbPath}`);
  await withDb(dbPath, async (db) => {
    const { files, conversations } = await forget(db, pattern, {
      onForgotten: (gone) => {
        for (const f of gone) console.log(`forgot ${f.name}: ${plural(f.records, 'record')}`);
      },
      onProgress: progressPrinter(v.quiet),
    });
    if (files.length === 0) throw new Error(`no loaded flow-log file matches ${pattern} (flowlens sql "SELECT name FROM ingest_files" --db ${dbPath} lists them)`);
    console.log(`${dbPath}: ${plural(files.length, 'file')} forgotten, ${plural(conversations!, 'conversation')}`);
  });
}

async function cmdDemo(v: Values): Promise<void> {
  const dbPath = resolve(v.db ?? 'flowlens-demo.duckdb');
  const source = { kind: 'sample', seed: num(v.seed, 'seed'), days: num(v.days, 'days'), scale: num(v.scale, 'scale') } as const;
  if (v.db === undefined && existsSync(dbPath)) {
    // the demo's own dataset, from another sample estate (an older Flowlens's, other options): made anew
    const other = await withDb(dbPath, (db) => otherSample(db, source));
    if (other) {
      for (const f of [dbPath, `${dbPath}.wal`]) rmSync(f, { force: true });
      console.error(`flowlens: ${dbPath} held the sample estate ${other.held.join(', ')}: made anew for ${other.wanted}`);
    }
  }
  await withDb(dbPath, async (db) => {
    const summary = await enrich(db, { source, onProgress: progressPrinter(v.quiet) });
    printSummary(summary, dbPath);
    const limit = num(v.rows, 'rows') ?? 8;
    for (const t of listTemplates()) {
      const { sql, params } = bindTemplate(t);
      const rows = await db.json(sql, params);
      console.log(`\n== ${t.title} (${t.id}) ==\n${t.description}`);
      const shown = rows.slice(0, limit);
      const names = await readableNames(db, shown.flatMap((r) => Object.values(r)));
      console.log(rows.length ? formatRows(shown, 'table', { names }).trimEnd() : '(no rows)');
      if (rows.length > limit) console.log(`... ${(rows.length - limit).toLocaleString('en-US')} more row${rows.length - limit === 1 ? '' : 's'}: flowlens query ${t.id} --db ${dbPath}`);
    }
    console.log(`\nThe dataset is ${dbPath}. Try: flowlens query cross-az --db ${dbPath} --param tag_key=owner`);
  });
}

export async function main(argv: string[]): Promise<number> {
  // datasets, their WAL, dumps and exports are the user's alone (flow logs name every address and account)
  process.umask(0o077);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`flowlens: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values: v, positionals } = parsed;
  const command = positionals[0];
  setActivity(`flowlens ${command ?? ''}`.trim());
  if (v.help || !command) {
    console.log(USAGE);
    return command || v.help ? 0 : 2;
  }
  try {
    memoryLimit = memoryOption(v.memory);
    switch (command) {
      case 'enrich': await cmdEnrich(v); break;
      case 'query': await cmdQuery(v, positionals); break;
      case 'sql': await cmdSql(v, positionals); break;
      case 'templates': cmdTemplates(v); break;
      case 'export': await cmdExport(v); break;
      case 'demo': await cmdDemo(v); break;
      case 'forget': await cmdForget(v, positionals); break;
      default: throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
    }
    return exitCode;
  } catch (err) {
    const message = diskFullMessage((err as Error).message.split('\n')[0], v.db ? resolve(v.db) : undefined);
    console.error(`flowlens: ${memoryHint(message, `give it more with --memory (it is ${memoryLimit ?? DEFAULT_MEMORY_LIMIT}), e.g. --memory 2GB`)}`);
    return err instanceof UsageError || err instanceof TemplateUsageError || err instanceof ExportRefused || err instanceof SqlRefused
      || err instanceof OtherSampleError ? 2 : 1;
  }
}

if (require.main === module) {
  // `flowlens query … | head`: the reader went away, so what is left to print has nobody to read it: stop there,
  // quietly (was a crash with a stack trace). A write to the dataset still running is a transaction: it is undone.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
