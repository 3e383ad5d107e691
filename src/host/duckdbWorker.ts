/**
 * The DuckDB child process: the only place the extension loads the native DuckDB binding, so a native
 * crash or a long query cannot take the extension host down or block it. Started by WorkerClient with
 * child_process.fork; speaks the protocol of src/protocol/worker.ts over the IPC channel.
 */
import { existsSync, statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import {
  isAbortable,
  isEnrichRequest,
  isMfaReply,
  isWorkerRequest,
  WORKER_METHODS,
  type DatasetInfo,
  type DiscoverResult,
  type EnrichResult,
  type ForgetResult,
  type LoadedFile,
  type Json,
  type OpenParams,
  type QueryResult,
  type WireParam,
  type WorkerError,
  type WorkerMessage,
  type WorkerMethods,
  type WorkerRequest,
} from '../protocol/worker';
import type { Db } from '../core/store/db';
import type { AthenaTableCreation } from '../protocol/reports';
import type { EnrichOptions } from '../protocol/enrich';
import { enrich as engineEnrich, forget as engineForget, LOADED_FILES_SQL, openDataset } from '../core/api';
import { follow } from '../core/follow';
import { JsonDuckDBValueConverter } from '@duckdb/node-api';
import { openForUserSql, prepareUserSql } from '../core/store/sandbox';
import { setActivity } from '../core/store/holder';
import { isOutOfMemory } from '../core/memory';
import { jsonRows } from '../core/store/db';
import { RequestGate } from './requestGate';
import { timestampBack } from '../core/time';

/** The dataset asked for by `open`, and how it is open now. */
let dataset: WorkerMethods['open']['params'] | undefined;
let db: Db | undefined;
/**
 * 'engine': writable with full file access (enrichment reads flow logs from anywhere); 'read' / 'write': for the
 * user's SQL, read-only or writable, with file access only to the export folder (src/core/store/sandbox.ts). The
 * dataset is reopened when a request needs another mode.
 */
let mode: 'engine' | 'read' | 'write' | undefined;
/** Running requests that can be cancelled: a query (interrupt) or an enrichment (abort). */
const running = new Map<number, { cancel: () => void; cancelled: boolean }>();
/** Requests waiting at the gate, and those among them cancelled before they started. */
const queued = new Set<number>();
const cancelledBeforeStart = new Set<number>();
/**
 * Requests past the gate that have not registered as running yet (an enrichment waits for the dataset to be
 * reopened first): a cancel that arrives then is kept, and the request stops as soon as it registers.
 */
const starting = new Set<number>();
/**
 * Read-only queries run together, each on a connection of its own; the requests that reopen or change the
 * dataset (open, close, enrich, a write query, a follower's cycle) run alone; cancel/discover bypass the gate.
 */
const gate = new RequestGate();

/** Followers of the open dataset, by request id: stopped when it is closed or another one is opened. */
const followers = new Map<number, (why: string) => void>();

function send(msg: WorkerMessage): void {
  if (process.send) process.send(msg);
}

/** A reopening in progress: the shared queries that need it at once wait for the same one. */
let reopening: { mode: 'engine' | 'read' | 'write'; db: Promise<Db> } | undefined;

/** The open dataset in mode `m`, reopened when it is open in another. */
function use(m: 'engine' | 'read' | 'write'): Promise<Db> {
  if (!dataset) return Promise.reject(Object.assign(new Error('no dataset is open'), { code: 'no-dataset' as const }));
  if (db && mode === m) return Promise.resolve(db);
  if (reopening?.mode === m) return reopening.db;
  const d = dataset;
  const p = (async () => {
    closeDb();
    dataset = d;
    db = m === 'engine'
      ? await openDataset(d.path, { readOnly: d.readOnly, memoryLimit: d.memoryLimit })
      : await openForUserSql(d.path, { allowWrites: m === 'write' && !d.readOnly, exportDir: d.exportDir, memoryLimit: d.memoryLimit });
    mode = m;
    return db;
  })().finally(() => {
    reopening = undefined;
  });
  reopening = { mode: m, db: p };
  return p;
}

/**
 * Runs fn on a connection of its own to the dataset in mode `m` (closed after), registered as request `id` so
 * that cancelling it interrupts that connection only.
 */
async function onOwnConnection<T>(id: number, m: 'read' | 'write', fn: (conn: DuckDBConnection, entry: { cancelled: boolean }) => Promise<T>): Promise<T> {
  let conn: DuckDBConnection | undefined;
  const entry = { cancel: () => conn?.interrupt(), cancelled: false };
  running.set(id, entry);
  try {
    conn = await (await use(m)).connect();
    if (entry.cancelled) throw Object.assign(new Error('Interrupted before it started'), { code: 'interrupted' as const });
    return await fn(conn, entry);
  } finally {
    running.delete(id);
    conn?.closeSync();
  }
}

const TYPE_RE = /^[A-Za-z][A-Za-z0-9_]*(\s*\(\s*\d+(\s*,\s*\d+)?\s*\))?(\[\])?$/;

/** Casts each parameter's text to its DuckDB type in DuckDB itself, so the rules are DuckDB's. */
async function bindParams(conn: DuckDBConnection, params: WireParam[] | undefined): Promise<Record<string, DuckDBValue> | undefined> {
  if (!params || params.length === 0) return undefined;
  const out: Record<string, DuckDBValue> = {};
  for (const p of params) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(p.name)) throw badRequest(`parameter name '${p.name}' is not an identifier`);
    if (!TYPE_RE.test(p.type.trim())) throw badRequest(`parameter ${p.name}: '${p.type}' is not a DuckDB type`);
    if (p.value.trim() === '') {
      // An empty value is SQL NULL, as in the engine's bindTemplate.
      out[p.name] = null;
      continue;
    }
    // a TIMESTAMP may be a duration back from now (7d), as in the engine's bindTemplate
    const value = (/^TIMESTAMP\b/i.test(p.type.trim()) && timestampBack(p.value)) || p.value;
    try {
      const reader = await conn.runAndReadAll(`SELECT CAST($v AS ${p.type.trim()}) AS v`, { v: value });
      out[p.name] = reader.getRows()[0][0];
    } catch (err) {
      throw badRequest(`parameter ${p.name}: '${p.value}' is not a valid ${p.type}: ${messageOf(err)}`);
    }
  }
  return out;
}

function badRequest(message: string): Error {
  return Object.assign(new Error(message), { code: 'bad-request' as const });
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const INTEGER_TYPES = new Set(['BIGINT', 'UBIGINT', 'HUGEINT', 'UHUGEINT']);

/** BIGINT and wider travel as numbers when exact, as text otherwise. */
function safeNumber(text: string): Json {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : text;
}

/**
 * A query on a connection of its own (read-only queries run beside each other; a writing one runs alone). A
 * read-only one that runs out of DuckDB's memory budget runs once more on one thread (each thread builds hash
 * tables of its own: at 100 M records sg-unused-rules fits the 500MB budget only so), as `flowlens query` does
 * (onOneThreadIfOutOfMemory). The dataset's instance cannot change its thread count (its configuration is locked
 * against the user's SQL), and the queries beside it keep theirs: the query runs in a read-only instance of its own,
 * opened on one thread for it and closed after.
 */
async function query(id: number, p: WorkerMethods['query']['params']): Promise<QueryResult> {
  const t0 = performance.now();
  try {
    return await onOwnConnection(id, p.allowWrites ? 'write' : 'read', (conn, entry) => runQuery(conn, entry, p, t0));
  } catch (err) {
    if (p.allowWrites || !isOutOfMemory(err) || !dataset || availableParallelism() <= 1) throw err;
    const d = dataset;
    const entry = { cancel: () => one?.interrupt(), cancelled: false };
    let one: Db | undefined;
    running.set(id, entry);
    try {
      one = await openForUserSql(d.path, { exportDir: d.exportDir, memoryLimit: d.memoryLimit, threads: 1, second: true });
      if (entry.cancelled) throw Object.assign(new Error('Interrupted before it started'), { code: 'interrupted' as const });
      return await runQuery(one.conn, entry, p, t0);
    } catch (again) {
      // out of memory on one thread too: said so
      throw isOutOfMemory(again) ? new Error(`${messageOf(again)} (and again on one thread)`, { cause: again }) : again;
    } finally {
      running.delete(id);
      one?.close();
    }
  }
}

async function runQuery(conn: DuckDBConnection, entry: { cancelled: boolean }, p: WorkerMethods['query']['params'], t0: number): Promise<QueryResult> {
  try {
    const values = await bindParams(conn, p.params);
    const cap = Math.max(0, Math.floor(p.rowCap));
    const prepared = await prepareUserSql(conn, p.sql, dataset?.exportDir);
    let result;
    try {
      if (values) prepared.bind(values);
      result = await prepared.stream();
    } finally {
      prepared.destroySync();
    }
    const names = result.deduplicatedColumnNames();
    const types = result.columnTypes().map((t) => t.toString());
    const integerColumn = types.map((t) => INTEGER_TYPES.has(t));
    const rows: Json[][] = [];
    let total = 0;
    for (;;) {
      if (entry.cancelled) throw Object.assign(new Error('Interrupted'), { code: 'interrupted' as const });
      const chunk = await result.fetchChunk();
      if (!chunk || chunk.rowCount === 0) break;
      const n = chunk.rowCount;
      if (rows.length < cap) {
        const converted = chunk.convertRows(JsonDuckDBValueConverter) as Json[][];
        for (const r of converted) {
          if (rows.length >= cap) break;
          rows.push(r.map((v, i) => (v === undefined ? null : integerColumn[i] && typeof v === 'string' ? safeNumber(v) : v)));
        }
      }
      total += n;
    }
    return {
      columns: names.map((name, i) => ({ name, type: types[i] })),
      rows,
      total,
      truncated: total > rows.length,
      ms: Math.round(performance.now() - t0),
    };
  } catch (err) {
    if (entry.cancelled || /interrupt/i.test(messageOf(err))) {
      throw Object.assign(new Error(messageOf(err)), { code: 'interrupted' as const });
    }
    throw err;
  }
}

function info(id: number): Promise<DatasetInfo> {
  return onOwnConnection(id, 'read', (conn) => summarise(conn, dataset!.path));
}

async function summarise(conn: DuckDBConnection, path: string): Promise<DatasetInfo> {
  const json = async <T extends Record<string, unknown> = Record<string, unknown>>(sql: string) => jsonRows<T>(await conn.runAndReadAll(sql));
  const one = async (sql: string) => (await json(sql))[0] ?? {};
  const span = await one(
    `SELECT strftime(min(window_start), '%Y-%m-%dT%H:%M:%SZ') AS "from", strftime(max(window_start), '%Y-%m-%dT%H:%M:%SZ') AS "to", count(*) AS n FROM conversations`,
  );
  const records = await one(`SELECT count(*) AS n FROM flow_records`);
  const accounts = await json<{ a: string }>(
    `SELECT DISTINCT a FROM (SELECT account_id AS a FROM inv_resources UNION SELECT client_account FROM conversations UNION SELECT server_account FROM conversations) WHERE a IS NOT NULL AND a <> 'unknown' ORDER BY a`,
  );
  const regions = await json<{ r: string }>(
    `SELECT DISTINCT r FROM (SELECT region AS r FROM inv_resources UNION SELECT client_region FROM conversations UNION SELECT server_region FROM conversations) WHERE r IS NOT NULL ORDER BY r`,
  );
  const refreshed = await one(
    `SELECT strftime(max(t), '%Y-%m-%dT%H:%M:%SZ') AS t FROM (SELECT max(loaded_at) AS t FROM ingest_files UNION ALL SELECT max(loaded_at) FROM inv_files)`,
  );
  let sizeBytes = 0;
  try {
    sizeBytes = statSync(path).size;
  } catch {
    // an in-memory dataset has no file
  }
  return {
    path,
    sizeBytes,
    from: (span.from as string | null) ?? null,
    to: (span.to as string | null) ?? null,
    conversations: Number(span.n ?? 0),
    flowRecords: Number(records.n ?? 0),
    accounts: accounts.map((x) => x.a),
    regions: regions.map((x) => x.r),
    lastRefresh: (refreshed.t as string | null) ?? null,
  };
}

function loadedFiles(id: number): Promise<{ files: LoadedFile[] }> {
  return onOwnConnection(id, 'read', async (conn) => {
    const rows = jsonRows<{ name: string; records: number | null; bytes: number | null; loaded_at: string | null }>(await conn.runAndReadAll(LOADED_FILES_SQL));
    return { files: rows.map((r) => ({ name: r.name, records: Number(r.records ?? 0), bytes: Number(r.bytes ?? 0), loadedAt: r.loaded_at })) };
  });
}

/** Forgets the named files and enriches again (the engine's forget), writable only while it runs. */
async function forget(id: number, p: WorkerMethods['forget']['params']): Promise<ForgetResult> {
  if (!Array.isArray(p.names) || p.names.length === 0 || p.names.some((n) => typeof n !== 'string' || !n)) throw badRequest('name at least one loaded file to forget');
  try {
    await openFor(p.dataset);
    const d = await use('engine');
    const r = await engineForget(d, { names: p.names }, { onProgress: (progress) => send({ kind: 'progress', id, progress: { ...progress } }) });
    return { files: r.files, conversations: r.conversations ?? null };
  } finally {
    await idle();
  }
}

/** Registers a long request: cancelling it aborts its signal and interrupts the statement running on the dataset. */
function cancellable(id: number, d: { interrupt(): void }): { controller: AbortController; entry: { cancel: () => void; cancelled: boolean } } {
  const controller = new AbortController();
  const entry = {
    cancel: () => {
      controller.abort();
      d.interrupt();
    },
    cancelled: false,
  };
  running.set(id, entry);
  starting.delete(id);
  if (cancelledBeforeStart.delete(id)) {
    entry.cancelled = true;
    controller.abort();
  }
  return { controller, entry };
}

/** The request as the engine's options: cancellation, progress and MFA questions go through the host. */
function engineOptions(id: number, p: unknown, signal: AbortSignal): EnrichOptions {
  if (!isEnrichRequest(p)) throw badRequest('an enrichment request names a source: sample, files (flowLogs) or aws (regions, since)');
  return {
    source: p.source,
    ...(typeof p.keepRecords === 'boolean' ? { keepRecords: p.keepRecords } : {}),
    ...(p.rebuild === true ? { rebuild: true } : {}),
    signal,
    onProgress: (progress) => send({ kind: 'progress', id, progress: { ...progress } }),
    mfaCodeProvider: mfaProvider(id, signal),
  };
}

/** Keeps the per-source reports small over IPC: only the files that failed or had bad lines. */
function slim(summary: NonNullable<EnrichResult['aws']>['summary']): NonNullable<EnrichResult['aws']>['summary'] {
  return { ...summary, sources: summary.sources.map((s) => ({ ...s, files: s.files.filter((f) => f.status === 'failed' || f.badLines > 0) })) };
}

/** The dataset a request is for, opened when another is open (in the request itself: nothing can open another between). */
async function openFor(p: OpenParams | undefined): Promise<void> {
  if (p && dataset?.path !== p.path) await open(p);
}

async function enrich(id: number, p: WorkerMethods['enrich']['params']): Promise<EnrichResult> {
  let d: Awaited<ReturnType<typeof use>>;
  try {
    await openFor(p.dataset);
    d = await use('engine');
  } catch (err) {
    starting.delete(id);
    cancelledBeforeStart.delete(id);
    throw err;
  }
  const { controller, entry } = cancellable(id, d);
  try {
    const summary = await engineEnrich(d, engineOptions(id, p, controller.signal));
    if (entry.cancelled) throw Object.assign(new Error('enrichment cancelled'), { code: 'cancelled' as const });
    let aws: EnrichResult['aws'];
    if (summary.aws) {
      const { formatAcquireSummary } = require('../core/aws/acquire') as typeof import('../core/aws/acquire');
      aws = { summary: slim(summary.aws), text: formatAcquireSummary(summary.aws) };
    }
    return {
      records: summary.records,
      badLines: summary.badLines,
      conversations: summary.conversations,
      seconds: summary.seconds,
      // AWS: the per-source reports say it, per object
      files: (summary.aws ? [] : summary.files).map((f) => ({ name: f.name, status: f.status, records: f.records, badLines: f.badLines, error: f.error })),
      inventoryWarnings: summary.inventoryWarnings,
      warnings: summary.warnings,
      ...(aws ? { aws } : {}),
    };
  } catch (err) {
    if (entry.cancelled) throw Object.assign(new Error(`enrichment cancelled: ${messageOf(err)}`), { code: 'cancelled' as const });
    throw err;
  } finally {
    running.delete(id);
    starting.delete(id);
    for (const [key, w] of mfaWaiting) if (w.requestId === id) mfaWaiting.delete(key);
    await idle();
  }
}

/** Back to read-only after writing, so that others can read the dataset while the editor is idle. */
async function idle(): Promise<void> {
  await use('read').catch(() => undefined);
}

/**
 * Follows the open dataset's source: a cycle every interval, each queued with the other requests on the one
 * connection and holding the dataset writable only while it runs, a `cycle` message after each. Ends when
 * cancelled or when the dataset is closed or replaced.
 */
async function followRun(id: number, p: WorkerMethods['follow']['params']): Promise<WorkerMethods['follow']['result']> {
  await openFor(p.dataset);
  const path = dataset?.path;
  if (!path) throw Object.assign(new Error('no dataset is open'), { code: 'no-dataset' as const });
  if (!(typeof p.intervalMs === 'number' && p.intervalMs >= 1000)) throw badRequest('intervalMs is at least 1000');
  const stop = new AbortController();
  const cancel = new AbortController();
  let stopped = 'cancelled';
  const end = (why: string) => {
    stopped = why;
    stop.abort();
    cancel.abort();
  };
  running.set(id, { cancel: () => end('cancelled'), cancelled: false });
  followers.set(id, (why) => end(why));
  let cycles = 0;
  try {
    const opts = engineOptions(id, p.request, cancel.signal);
    await follow(opts, {
      intervalMs: p.intervalMs,
      stop: stop.signal,
      onCycle: (cycle) => {
        if (!cycle.busy) cycles++;
        send({ kind: 'cycle', id, cycle });
      },
      // writable only while it appends, then idle read-only again like after an enrichment
      withDataset: (fn) =>
        gate.run('exclusive', async () => {
          try {
            if (dataset?.path !== path) throw new Error('the dataset was closed');
            return await fn(await use('engine'));
          } finally {
            await idle();
          }
        }),
    }).catch((err: unknown) => {
      if (!cancel.signal.aborted) throw err;
    });
    return { cycles, stopped };
  } finally {
    running.delete(id);
    followers.delete(id);
    for (const [key, w] of mfaWaiting) if (w.requestId === id) mfaWaiting.delete(key);
  }
}

/** MFA questions waiting for the host's answer, by `${request id}:${ask}`. */
const mfaWaiting = new Map<string, { resolve: (code: string) => void; reject: (err: Error) => void; requestId: number }>();
let nextAsk = 1;

/** Asks the host for an MFA code; rejects when the host declines or the request is cancelled. */
function askMfa(id: number, serial: string, signal: AbortSignal): Promise<string> {
  if (signal.aborted) return Promise.reject(new Error('cancelled'));
  const ask = nextAsk++;
  const key = `${id}:${ask}`;
  return new Promise<string>((resolve, reject) => {
    const onAbort = () => {
      mfaWaiting.delete(key);
      reject(new Error('cancelled while waiting for the MFA code'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    mfaWaiting.set(key, {
      requestId: id,
      resolve: (code) => {
        signal.removeEventListener('abort', onAbort);
        resolve(code);
      },
      reject: (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    });
    send({ kind: 'mfa', id, ask, serial });
  });
}

/**
 * One question per serial while the code is fresh: the engine's providers may ask again for every client they
 * build, and the same code serves them; a follower's role session that expires an hour later needs a new one.
 */
function mfaProvider(id: number, signal: AbortSignal, freshMs = 60_000): (serial: string) => Promise<string> {
  const codes = new Map<string, { code: Promise<string>; at: number }>();
  return (serial) => {
    let asked = codes.get(serial);
    if (!asked || Date.now() - asked.at > freshMs) {
      asked = { code: askMfa(id, serial, signal), at: Date.now() };
      codes.set(serial, asked);
    }
    return asked.code;
  };
}

/** Lists the flow logs of the accounts and regions; touches no dataset, so it passes the gate by. */
async function discoverRun(id: number, p: WorkerMethods['discover']['params']): Promise<DiscoverResult> {
  if (!Array.isArray(p.regions) || p.regions.length === 0 || p.regions.some((r) => typeof r !== 'string' || !r)) throw badRequest('name at least one region');
  if (p.accounts !== undefined && (!Array.isArray(p.accounts) || p.accounts.some((a) => typeof a !== 'string'))) throw badRequest('accounts is a list of account ids');
  const { discoverFlowLogs } = require('../core/aws/discover') as typeof import('../core/aws/discover');
  const controller = new AbortController();
  const entry = { cancel: () => controller.abort(), cancelled: false };
  running.set(id, entry);
  try {
    const r = await discoverFlowLogs({
      ...(p.profile ? { profile: p.profile } : {}),
      ...(p.role ? { role: p.role } : {}),
      ...(p.externalId ? { externalId: p.externalId } : {}),
      ...(p.accounts?.length ? { accounts: p.accounts } : {}),
      regions: p.regions,
      ...(positive(p.concurrency) ? { concurrency: Math.floor(p.concurrency!) } : {}),
      mfaCodeProvider: mfaProvider(id, controller.signal),
      signal: controller.signal,
    });
    if (entry.cancelled) throw Object.assign(new Error('discovery cancelled'), { code: 'cancelled' as const });
    return r;
  } catch (err) {
    if (entry.cancelled) throw Object.assign(new Error(`discovery cancelled: ${messageOf(err)}`), { code: 'cancelled' as const });
    throw err;
  } finally {
    running.delete(id);
    for (const [key, w] of mfaWaiting) if (w.requestId === id) mfaWaiting.delete(key);
  }
}

/** Runs the DDL of a missing Athena table with the credentials its run read it with; touches no dataset, so it passes the gate by. */
async function createTableRun(id: number, p: WorkerMethods['createAthenaTable']['params']): Promise<AthenaTableCreation> {
  const { createAthenaTableFor } = require('../core/aws/acquire') as typeof import('../core/aws/acquire');
  const controller = new AbortController();
  const entry = { cancel: () => controller.abort(), cancelled: false };
  running.set(id, entry);
  try {
    return await createAthenaTableFor(p, {
      signal: controller.signal,
      onProgress: (progress) => send({ kind: 'progress', id, progress: { ...progress } }),
      mfaCodeProvider: mfaProvider(id, controller.signal),
    });
  } catch (err) {
    if (entry.cancelled) throw Object.assign(new Error(`cancelled: ${messageOf(err)}`), { code: 'cancelled' as const });
    throw err;
  } finally {
    running.delete(id);
    for (const [key, w] of mfaWaiting) if (w.requestId === id) mfaWaiting.delete(key);
  }
}

const positive = (n: unknown): boolean => typeof n === 'number' && Number.isFinite(n) && n > 0;

async function open(p: WorkerMethods['open']['params']): Promise<{ path: string }> {
  stopFollowers(`${p.path} was opened instead`);
  closeDb();
  dataset = { ...p };
  // Writable first (creating it, or bringing an older dataset's schema up to date), unless only reading is allowed;
  // then idle read-only, so that others (flowlens sql) can read it beside the editor.
  if (!p.readOnly || !existsSync(p.path)) await use('engine');
  await use('read');
  return { path: p.path };
}

/** Ends every follower of the open dataset, saying why (it was closed, another one was opened). */
function stopFollowers(why: string): void {
  for (const stop of followers.values()) stop(why);
}

function closeDb(): boolean {
  dataset = undefined;
  mode = undefined;
  if (!db) return false;
  const d = db;
  db = undefined;
  d.close();
  return true;
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.method) {
    case 'cancel': {
      const { target } = req.params as WorkerMethods['cancel']['params'];
      const r = running.get(target);
      if (!r && (queued.has(target) || starting.has(target)) && !cancelledBeforeStart.has(target)) {
        cancelledBeforeStart.add(target);
        return { cancelled: true };
      }
      if (!r || r.cancelled) return { cancelled: false };
      r.cancelled = true;
      r.cancel();
      return { cancelled: true };
    }
    case 'crash':
      process.abort();
    case 'discover':
      return discoverRun(req.id, req.params as WorkerMethods['discover']['params']);
    case 'createAthenaTable':
      return createTableRun(req.id, req.params as WorkerMethods['createAthenaTable']['params']);
    case 'scan': {
      // reads files only: it does not wait for the dataset
      const { paths } = req.params as WorkerMethods['scan']['params'];
      if (!Array.isArray(paths) || paths.length === 0 || paths.some((x) => typeof x !== 'string' || !x)) throw badRequest('name at least one file or folder to scan');
      const { scanFolder } = require('../core/scan') as typeof import('../core/scan');
      return scanFolder(paths);
    }
    case 'follow':
      // its cycles wait at the gate like the other requests
      return followRun(req.id, req.params as WorkerMethods['follow']['params']);
  }
  // Everything else waits at the gate: read-only queries and info together, the others alone.
  const run = async (): Promise<unknown> => {
    queued.delete(req.id);
    if (cancelledBeforeStart.delete(req.id)) {
      throw Object.assign(new Error('cancelled before it started'), { code: isAbortable(req.method) ? ('cancelled' as const) : ('interrupted' as const) });
    }
    switch (req.method) {
      case 'open':
        return open(req.params as WorkerMethods['open']['params']);
      case 'query':
        return query(req.id, req.params as WorkerMethods['query']['params']);
      case 'info':
        return info(req.id);
      case 'loadedFiles':
        return loadedFiles(req.id);
      case 'forget':
        return forget(req.id, req.params as WorkerMethods['forget']['params']);
      case 'enrich':
        starting.add(req.id);
        return enrich(req.id, req.params as WorkerMethods['enrich']['params']);
      case 'close':
        stopFollowers('the dataset was closed');
        return { closed: closeDb() };
      default:
        throw badRequest(`unknown method ${String(req.method)}`);
    }
  };
  const shared = req.method === 'info' || req.method === 'loadedFiles' || (req.method === 'query' && !(req.params as WorkerMethods['query']['params']).allowWrites);
  queued.add(req.id);
  return gate.run(shared ? 'shared' : 'exclusive', run);
}

process.on('message', (msg: unknown) => {
  if (isMfaReply(msg)) {
    const key = `${msg.id}:${msg.ask}`;
    const w = mfaWaiting.get(key);
    if (!w) return;
    mfaWaiting.delete(key);
    if ('code' in msg) w.resolve(msg.code);
    else w.reject(new Error('no MFA code was entered'));
    return;
  }
  if (!isWorkerRequest(msg)) {
    const m = msg as { id?: unknown; method?: unknown } | undefined;
    const id = typeof m?.id === 'number' ? m.id : -1;
    const known = typeof m?.method === 'string' && (WORKER_METHODS as readonly string[]).includes(m.method);
    send({ kind: 'reply', id, ok: false, error: { message: known ? `malformed ${String(m!.method)} request: its parameters do not match the protocol` : 'malformed request', code: 'bad-request' } });
    return;
  }
  handle(msg).then(
    (result) => send({ kind: 'reply', id: msg.id, ok: true, result: result ?? null }),
    (err: unknown) => {
      const code = (err as { code?: WorkerError['code'] }).code;
      send({ kind: 'reply', id: msg.id, ok: false, error: { message: messageOf(err), code: code ?? 'failed' } });
    },
  );
});

// The host went away: close the dataset cleanly (checkpointing its WAL) and exit.
process.on('disconnect', () => {
  try {
    // a running query would hold the close up
    for (const r of running.values()) r.cancel();
    closeDb();
  } finally {
    process.exit(0);
  }
});

// datasets, their WAL and dumps are the user's alone (flow logs name every address and account)
process.umask(0o077);
setActivity("the Flowlens extension's DuckDB process");

send({ kind: 'ready', pid: process.pid });
