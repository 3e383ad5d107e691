/**
 * A thin wrapper over @duckdb/node-api: one database file, one connection (more on request, for queries that run
 * beside each other), bound parameters, transactions that roll back on error, and rows as plain JS objects.
 */
import {
  DuckDBArrayType, DuckDBConnection, DuckDBInstance, DuckDBListType, DuckDBMapType, DuckDBStructType, JSDuckDBValueConverter, JsonDuckDBValueConverter,
  type DuckDBResult, type DuckDBResultReader, type DuckDBType, type DuckDBValue,
} from '@duckdb/node-api';
import { claim, describeLockError, release } from './holder';

export type Params = Record<string, DuckDBValue> | DuckDBValue[];
export type Row = Record<string, unknown>;

export interface OpenOptions {
  /** DuckDB `memory_limit`, e.g. '1GB'. Larger work spills to `temp_directory`. */
  memoryLimit?: string;
  threads?: number;
  tempDirectory?: string;
  readOnly?: boolean;
  /**
   * External access off except for these folders (DuckDB's allowed_directories), and the configuration locked
   * so that no statement can turn it back on. For SQL the user types; see sandbox.ts.
   */
  sandbox?: { allowedDirectories: string[] };
  /**
   * Another instance of this process has the dataset open and speaks for it (the note naming this process to
   * others, see holder.ts, is its own): this one leaves the note alone when it opens and closes.
   */
  second?: boolean;
}

/** FLOWLENS_PROFILE=3: every statement that takes 10 ms or more, with its time, on stderr (where the time goes). */
const TRACE = process.env.FLOWLENS_PROFILE === '3';
const TRACE_MS = Number(process.env.FLOWLENS_TRACE_MS ?? 10);

async function traced<T>(sql: string, run: () => Promise<T>): Promise<T> {
  const t = performance.now();
  try {
    return await run();
  } finally {
    const ms = performance.now() - t;
    if (ms >= TRACE_MS) process.stderr.write(`flowlens: ${(ms / 1000).toFixed(3)} s ${sql.replace(/\s+/g, ' ').trim().slice(0, Number(process.env.FLOWLENS_TRACE_CHARS ?? 100))}\n`);
  }
}

/** A transaction joined to a transactionJoining failed: everything of it was rolled back. */
export class JoinedFailure extends Error {
  constructor() {
    super('a joined transaction failed: everything of it was rolled back');
  }
}

/**
 * DuckDB 1.5 opening a database file cannot replay a write-ahead log holding a column added to a table with a default
 * that calls a function (duckdb#18259, #20543): no default database is set yet to bind it. Older Flowlens versions had
 * such a default (ingest_files.loaded_at; schema.ts drops it now), so a process of theirs killed after an upgrade added a
 * column left a dataset that failed to open with this error.
 */
function unreplayableDefault(err: unknown): boolean {
  const m = err instanceof Error ? err.message : String(err);
  return m.includes('Failure while replaying WAL') && m.includes('GetDefaultDatabase');
}

/**
 * The same log replays when the file is attached to an in-memory database (the default one): it is attached, its log
 * checkpointed into it (what any open does with a log), and detached. Nothing is lost: the log's committed work is kept.
 */
async function replayAttached(path: string): Promise<void> {
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' });
  const conn = await instance.connect();
  try {
    await conn.run(`ATTACH ${lit(path)} AS replayed; CHECKPOINT replayed; DETACH replayed`);
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

export class Db {
  private constructor(
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
    private readonly second = false,
  ) {}

  static async open(path: string, options: OpenOptions = {}): Promise<Db> {
    const config: Record<string, string> = {};
    if (options.memoryLimit) config.memory_limit = options.memoryLimit;
    if (options.threads) config.threads = String(options.threads);
    if (options.tempDirectory) config.temp_directory = options.tempDirectory;
    if (options.readOnly) config.access_mode = 'READ_ONLY';
    // Extensions are never downloaded: the product works offline and asks before any download.
    config.autoinstall_known_extensions = 'false';
    config.autoload_known_extensions = 'false';
    // Nothing relies on insertion order (every ordered answer says ORDER BY): loads run in parallel.
    config.preserve_insertion_order = 'false';
    // jemalloc (DuckDB's allocator on Linux) gives freed memory back from a thread of its own rather than
    // when a query next allocates: re-enriching 10 M records at 500MB peaked at 0.89-1.19 GB without it and
    // 0.80-1.07 GB with it, 6 runs in 7 under 1 GB (bench/rebuild-memory.mjs). Elsewhere DuckDB uses the
    // system's allocator and ignores the setting.
    config.allocator_background_threads = 'true';
    // DuckDB keeps what it read of external files (flow-log objects, Parquet) in a cache of its own, for a second
    // read of remote files; local ones have the system's page cache. The enrichment reads each file once, so the
    // cache only took memory under the limit and had to be taken apart at close: after `flowlens enrich --sample`
    // the dataset closed in 0.57-1.3 s with it, 0.09-0.11 s without (FLOWLENS_PROFILE=1 prints the close).
    config.enable_external_file_cache = 'false';
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(path, config).catch(async (err) => {
        if (!unreplayableDefault(err)) throw err;
        await replayAttached(path);
        return DuckDBInstance.create(path, config);
      });
    } catch (err) {
      const held = describeLockError(path, err instanceof Error ? err.message : String(err));
      throw held ? new Error(held, { cause: err }) : err;
    }
    if (!options.second) claim(path, Boolean(options.readOnly));
    const conn = await instance.connect();
    if (options.sandbox) {
      // allowed_directories cannot be given at creation (DuckDB's C API takes no list there): set, then lock
      const dirs = options.sandbox.allowedDirectories.map(lit).join(', ');
      // and the flow-log files a dataset that keeps no raw records reads flow_records from (read only: the
      // statements that write files are checked before they run, see sandbox.ts)
      const files = await conn.runAndReadAll(`SELECT path FROM record_files`).then((r) => r.getRows().map((x) => lit(String(x[0]))), () => []);
      await conn.run(`SET allowed_directories = [${dirs}]; SET allowed_paths = [${files.join(', ')}];
        SET enable_external_access = false; SET lock_configuration = true`);
    }
    return new Db(path, instance, conn, options.second === true);
  }

  /** Runs one or more statements; returns nothing. */
  async exec(sql: string, params?: Params): Promise<void> {
    if (TRACE) return traced(sql, () => this.conn.run(sql, params).then(() => undefined));
    await this.conn.run(sql, params);
  }

  /** Runs a query and returns its rows as JS objects (BIGINT as bigint, lists as arrays). */
  async all<T extends Row = Row>(sql: string, params?: Params): Promise<T[]> {
    const reader = await (TRACE ? traced(sql, () => this.conn.runAndReadAll(sql, params)) : this.conn.runAndReadAll(sql, params));
    return reader.getRowObjectsJS() as T[];
  }

  /**
   * Runs a query and yields its rows a chunk (DuckDB's vector size, 2,048 rows) at a time, shaped as all()
   * shapes them, so that a big result is never held whole. Nothing else may run on the connection until the
   * last chunk is read (DuckDB ends a streaming result when the next statement starts).
   */
  async *chunks<T extends Row = Row>(sql: string, params?: Params): AsyncGenerator<T[]> {
    const result = await this.conn.stream(sql, params);
    for await (const rows of result.yieldRowObjectJs()) yield rows as T[];
  }

  /**
   * Like all(), but JSON-friendly: integers of any width as numbers when they are safe integers (else
   * strings), timestamps as 'YYYY-MM-DD HH:MM:SS' text, decimals as numbers.
   */
  async json<T extends Row = Row>(sql: string, params?: Params): Promise<T[]> {
    return jsonRows<T>(await this.conn.runAndReadAll(sql, params));
  }

  async one<T extends Row = Row>(sql: string, params?: Params): Promise<T | undefined> {
    return (await this.all<T>(sql, params))[0];
  }

  async value<T = unknown>(sql: string, params?: Params): Promise<T> {
    const row = await this.one(sql, params);
    if (!row) throw new Error(`query returned no row: ${sql.slice(0, 80)}`);
    return Object.values(row)[0] as T;
  }

  /** Inside transactionJoining: the transactions asked for join it; one that fails spoils it (it rolls back). */
  private joining: { failed: boolean } | undefined;

  /**
   * Runs fn inside one transaction that the transactions fn asks for join (many small loads, one commit): each of
   * them runs as part of it, and one that fails (its caller may go on) makes the whole roll back and throw
   * JoinedFailure, for the caller to do the work again one transaction at a time. fn should stop as soon as
   * `joined.failed` (DuckDB refuses every statement of a transaction after a failed one).
   */
  async transactionJoining<T>(fn: (joined: { readonly failed: boolean }) => Promise<T>): Promise<T> {
    if (this.joining) throw new Error('transactions already joining');
    const joining = { failed: false };
    return this.transaction(async () => {
      this.joining = joining;
      try {
        const result = await fn(joining);
        if (joining.failed) throw new JoinedFailure();
        return result;
      } finally {
        this.joining = undefined;
      }
    });
  }

  /** Runs fn inside BEGIN/COMMIT; any error rolls back and is rethrown. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    const joining = this.joining;
    if (joining) {
      try {
        return await fn();
      } catch (err) {
        joining.failed = true;
        throw err;
      }
    }
    await this.conn.run('BEGIN TRANSACTION');
    try {
      const result = await fn();
      const t = performance.now();
      await this.conn.run('COMMIT');
      if (process.env.FLOWLENS_PROFILE) process.stderr.write(`flowlens: COMMIT ${((performance.now() - t) / 1000).toFixed(2)} s\n`);
      return result;
    } catch (err) {
      try {
        await this.conn.run('ROLLBACK');
      } catch {
        // the transaction may already be aborted; the original error matters
      }
      throw err;
    }
  }

  /**
   * Another connection to the same database, with the same settings (the sandbox's are global and locked): for a
   * query that runs beside others. The caller closes it.
   */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /** Interrupts the running query on this connection (it fails with an "Interrupted" error). */
  interrupt(): void {
    this.conn.interrupt();
  }

  close(): void {
    const t = performance.now();
    this.conn.closeSync();
    this.instance.closeSync();
    if (process.env.FLOWLENS_PROFILE) process.stderr.write(`flowlens: close ${((performance.now() - t) / 1000).toFixed(2)} s\n`);
    if (!this.second) release(this.path);
  }
}

/** A result's rows as Db.json() gives them. */
export function jsonRows<T extends Row = Row>(reader: DuckDBResultReader): T[] {
  const js = reader.getRowObjectsJS();
  const json = reader.getRowObjectsJson();
  const columnTypes = reader.columnTypes();
  const types = new Map(reader.deduplicatedColumnNames().map((n, k) => [n, columnTypes[k]]));
  return js.map((row, i) => {
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) out[k] = plain(v, json[i][k], types.get(k));
    return out as T;
  });
}

/**
 * A streaming result's rows, shaped as jsonRows shapes them, a chunk (2,048 rows) at a time: a big result is never
 * held whole.
 */
export async function* jsonRowChunks<T extends Row = Row>(result: DuckDBResult): AsyncGenerator<T[]> {
  const names = result.deduplicatedColumnNames();
  const types = result.columnTypes();
  for (;;) {
    const chunk = await result.fetchChunk();
    if (!chunk || chunk.rowCount === 0) return;
    const json = chunk.convertRows(JsonDuckDBValueConverter);
    yield chunk.convertRows(JSDuckDBValueConverter).map((row, i) => {
      const out: Row = {};
      names.forEach((n, k) => (out[n] = plain(row[k], json[i][k], types[k])));
      return out as T;
    });
  }
}

/**
 * One value as JSON-friendly output shows it; `type` (the column's) makes a MAP an object of its keys, as DuckDB's
 * to_json and the JSONL export write it (tags: {"Name": "web", "owner": "team-web"}), not a list of key/value pairs.
 */
function plain(js: unknown, json: unknown, type?: DuckDBType): unknown {
  if (typeof js === 'bigint') return js <= BigInt(Number.MAX_SAFE_INTEGER) && js >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(js) : String(js);
  if (typeof js === 'number') return js;
  if (type instanceof DuckDBMapType && Array.isArray(js) && Array.isArray(json)) {
    const out: Row = {};
    js.forEach((e: { key: unknown; value: unknown }, i) => {
      const key = plain(e.key, (json[i] as Row).key, type.keyType);
      out[typeof key === 'string' ? key : JSON.stringify(key)] = plain(e.value, (json[i] as Row).value, type.valueType);
    });
    return out;
  }
  const inner = type instanceof DuckDBListType || type instanceof DuckDBArrayType ? type.valueType : undefined;
  if (Array.isArray(js) && Array.isArray(json)) return js.map((x, i) => plain(x, json[i], inner));
  if (js && typeof js === 'object' && !(js instanceof Date) && json && typeof json === 'object') {
    const out: Row = {};
    const entry = (k: string) => (type instanceof DuckDBStructType && k in type.entryIndexes ? type.entryTypes[type.entryIndexes[k]!] : undefined);
    for (const [k, v] of Object.entries(js)) out[k] = plain(v, (json as Row)[k], entry(k));
    return out;
  }
  return json;
}

/** Quotes a string as a SQL literal (for DDL and file paths, where parameters are not allowed). */
export function lit(value: string): string {
  return "'" + value.replace(/'/g, "''") + "'";
}
