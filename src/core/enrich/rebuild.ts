/**
 * An enrichment: the records loaded since the last one are merged into the stored facts and windows. The
 * work happens in temporary tables; one transaction then replaces the facts it took back that came out otherwise
 * (those that came out the same stay), appends the new ones, gives the windows the difference and moves the
 * watermark, so a cancel or a failure at any point leaves the dataset as it was (and the records still pending).
 * Nothing new and the inventory unchanged: nothing is read.
 */
import { lit, type Db } from '../store/db';
import { getMeta, setMeta } from '../store/meta';
import { formatTime } from '../format';
import type { EnrichOptions } from '../api';
import { META_ATTRIBUTED_INVENTORY, META_ENRICHED_FILE } from '../store/schema';
import { compressHeld, dropHeld, lastFileId, missingRecordFiles, pendingRecords, settleStaged } from '../store/records';
import { installMacros } from './macros';
import {
  ATTRIBUTE_SQL, INVENTORY_CHANGE_SQL, LEVEL_ONE_SQL, LEVEL_TWO_SQL, factsSql, factsTable, PREPARE_SQL, PULL_SQL, RECORDS_PER_PART,
  FACTS_DIFFERENCE_SQL, FLOW_LOG_CHOICE_SQL, FLOW_LOG_COMMIT_SQL,
  SAVE_BASIS_SQL, commitSql, COVERAGE_COMMIT_SQL, COVERAGE_ISLANDS_SQL, COVERAGE_PART_SQL, coverageSql, dropWorkTables, INVENTORY_TABLES, partSql, reattributeCoveredRunSql, reattributeRunSql, runSql, STORED_CONVERSATIONS_SQL,
  type Mode,
} from './conversations';
import { WINDOW_DELTA_SQL, windowsAnewSql } from './windows';
import { buildViews } from './views';
import { collectGarbage } from '../gc';
import { pendingReduced } from './reduced';
import { keepRecordTasks } from './recordTasks';

export class CancelledError extends Error {
  constructor() {
    super('cancelled');
  }
}

function checkCancelled(signal?: AbortSignal): void {
  if (signal?.aborted) throw new CancelledError();
}

/** Runs fn with the connection interrupted as soon as the signal fires. */
export async function interruptible<T>(db: Db, signal: AbortSignal | undefined, fn: () => Promise<T>): Promise<T> {
  checkCancelled(signal);
  const onAbort = () => db.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await fn();
  } catch (err) {
    if (signal?.aborted) throw new CancelledError();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/**
 * The tables attribution reads (the inventory, and the special-purpose address types a new version may add to),
 * and the tags the derived views read (tag_sets): a change in any of them means the stored facts are attributed
 * again (those the change covers: none for a tag) and the views made again.
 */
const ATTRIBUTION_INPUTS = ['inv_vpcs', 'inv_enis', 'inv_addresses', 'inv_resources', 'inv_vpc_links', 'inv_gateways',
  'inv_vpc_endpoints', 'inv_prefixes', 'address_types', 'inv_tags', 'inv_record_tasks'];

/** A fingerprint of the inventory attribution reads (order-free, thousands of rows: milliseconds). */
export async function inventoryFingerprint(db: Db): Promise<string> {
  const parts = ATTRIBUTION_INPUTS.map((t) => `SELECT '${t}' AS t, count(*) AS n, coalesce(sum(hash(x)::HUGEINT), 0) AS h FROM ${t} x`);
  return String(await db.value<string>(`SELECT md5(string_agg(t || ':' || n || ':' || h, ',' ORDER BY t)) FROM (${parts.join(' UNION ALL ')})`));
}


/**
 * The inventory fingerprint the connection's inventory tables (PREPARE_SQL: thousands of rows, 0.1-0.2 s to make)
 * were made from. A process that enriches again (a follower's every cycle, the editor's Refresh) keeps them while the
 * inventory is the same; they are made again when it changed, or when one is gone.
 */
const preparedWith = new WeakMap<Db, string>();

async function inventoryTablesHeld(db: Db, fingerprint: string): Promise<boolean> {
  if (preparedWith.get(db) !== fingerprint) return false;
  const names = INVENTORY_TABLES.map(lit).join(', ');
  const held = Number(await db.value<bigint>(`SELECT (SELECT count(*) FROM duckdb_tables() WHERE temporary AND table_name IN (${names}))
    + (SELECT count(*) FROM duckdb_views() WHERE temporary AND view_name IN (${names}))`));
  return held === INVENTORY_TABLES.length;
}

/**
 * An inventory change re-attributes only the stored facts it covers while they are at most this share of them;
 * beyond it, taking them back and giving the windows the difference costs about what making every fact anew does
 * (2 M records, 0.83 M facts, busy machine: 6 % of the facts covered took half the CPU time of all of them).
 */
export const COVERED_SHARE = 0.15;

export interface RebuildOptions extends Pick<EnrichOptions, 'signal' | 'onProgress'> {
  /** Records per part (tests make parts small). */
  recordsPerPart?: number;
  /** Held rows past this many are compressed before they are read (COMPRESS_HELD_ROWS; tests make it 0). */
  compressHeldAbove?: number;
  /**
   * Enrich every record again from the start (after records were forgotten): the stored ones, and those of a
   * dataset that keeps no records from the files they were loaded from (refused when one is gone).
   */
  full?: boolean;
  /** What the enrichment says of the records (an interface logged by two flow logs: whose records were left out). */
  onWarning?: (message: string) => void;
}

/**
 * Rows held from this process's load (many small local files: an S3 delivery synced to disk) are kept in temporary
 * tables as parsed, uncompressed: past the memory budget they spill as they are, and the enrichment reads them five
 * times (numbering, coverage, each part). Past this many rows they are compressed first (DuckDB's checkpoint of the
 * temporary tables), which also lets it work on each distinct address once. 10 M records in 1,000 gzip files (busy
 * machine): the enrichment 153 s -> 106 s, the checkpoint 10 s of it; per-observer sums 18-23 s -> 10 s a part. The
 * sample estate's 1 M held rows are not worth it: its checkpoint took 1.6-2.5 s of an enrichment of about 3.5 s.
 */
export const COMPRESS_HELD_ROWS = 2_000_000;

/** One flow log's records left out where another logs the same interfaces, as said (fl_log_report of flow-log-choice.sql). */
type FlowLogReport = { flow_log: string; counted: string | null; interfaces: bigint; named: string[]; records: bigint; first_start: bigint; last_end: bigint };

function flowLogWarning(r: FlowLogReport): string {
  const t = (s: bigint) => formatTime(Number(s) * 1000);
  const n = Number(r.records);
  const k = Number(r.interfaces);
  const which = k === 1 ? `${r.named[0]} is` : `${k.toLocaleString('en-US')} interfaces (${r.named.join(', ')}${k > r.named.length ? `, …` : ''}) are`;
  return `${which} logged by more than one flow log: ${n.toLocaleString('en-US')} record${n === 1 ? '' : 's'} of ${r.flow_log} `
    + `from ${t(r.first_start)} to ${t(r.last_end)} were left out where ${r.counted ?? 'another flow log'} logs the same time, so that ${k === 1 ? 'its' : 'their'} traffic counts once`;
}

/**
 * Enriches what is pending: records loaded since the last enrichment are merged into the facts and windows;
 * when the inventory changed since, every stored fact is attributed again with it. Returns the number of
 * conversation facts.
 */
export async function rebuild(db: Db, opts: RebuildOptions = {}): Promise<number> {
  // FLOWLENS_PROFILE=1 prints each step's time to stderr (for bench/ and for a user's slow enrichment)
  const profile = ['1', '2', '3'].includes(process.env.FLOWLENS_PROFILE ?? '');
  const perStatement = process.env.FLOWLENS_PROFILE === '2';
  const timed = async <T>(name: string, fn: () => Promise<T>): Promise<T> => {
    const t = performance.now();
    const result = await fn();
    if (profile) process.stderr.write(`flowlens: ${name} ${((performance.now() - t) / 1000).toFixed(2)} s\n`);
    return result;
  };
  // FLOWLENS_PROFILE=2: each statement of a step on its own line (a step's statements run one by one)
  const step = (name: string, sql: string) => (perStatement ? eachStatement(name, sql) : timed(name, () => db.exec(sql)));
  const eachStatement = async (name: string, sql: string) => {
    for (const s of sql.split(/;\s*\n/).filter((x) => x.replace(/--.*$/gm, '').trim())) {
      await timed(`${name}: ${s.replace(/--.*$/gm, '').trim().replace(/\s+/g, ' ').slice(0, 70)}`, () => db.exec(s));
    }
  };
  collectGarbage(); // what loading left behind is garbage: let it go before DuckDB takes its budget
  await installMacros(db);
  // the ECS tasks the pending records name are inventory too (attribution reads them): kept before it is compared
  await timed('ECS tasks the records name', async () => keepRecordTasks(db, opts.full ? -1 : Number((await getMeta(db, META_ENRICHED_FILE)) ?? -1)));
  const fingerprint = await timed('inventory fingerprint', () => inventoryFingerprint(db));
  let facts = Number(await db.value<bigint>('SELECT count(*) FROM conversation_facts'));
  const full = opts.full === true;
  if (full) {
    // every fact is made again from the records: those read from their files must all still be there
    const missing = await missingRecordFiles(db);
    if (missing.length) {
      throw new Error(`cannot enrich again from the start: ${missing.length} loaded file${missing.length === 1 ? ' is' : 's are'} no longer where ${missing.length === 1 ? 'it was' : 'they were'} loaded from (${missing[0]}${missing.length > 1 ? ', …' : ''}), and this dataset keeps no copy of their records; put them back, or forget them first`);
    }
  }
  const attributed = await getMeta(db, META_ATTRIBUTED_INVENTORY);
  const changed = facts > 0 && attributed !== fingerprint;
  const perPart = Math.max(1, opts.recordsPerPart ?? RECORDS_PER_PART);

  /** Runs the statements of one enrichment; its transaction commits `mode`'s changes and the meta values. */
  const run = (mode: Mode, parts: number, work: (part: number) => Promise<void>,
    committed: { enrichedFileId?: number; staged?: string[]; coverage?: boolean; flowLogs?: 'chosen' | 'none' }) =>
    interruptible(db, opts.signal, async () => {
      for (let part = 0; part < parts; part++) {
        checkCancelled(opts.signal); // between statements an interrupt has nothing to stop: look
        await db.exec(partSql(part, parts));
        await work(part);
      }
      if (committed.coverage) await step('logging coverage', COVERAGE_ISLANDS_SQL);
      opts.onProgress?.({ phase: 'windows', message: 'updating the 1-minute, 5-minute and 1-hour windows' });
      checkCancelled(opts.signal);
      if (mode === 'append') await step('facts difference', FACTS_DIFFERENCE_SQL);
      await step(mode === 'append' ? 'window difference' : 'windows', mode === 'append' ? WINDOW_DELTA_SQL : windowsAnewSql(factsTable(mode)));
      checkCancelled(opts.signal);
      const facts = await timed('transaction', () => db.transaction(async () => {
        await step('commit', commitSql(mode));
        await step('attribution basis', SAVE_BASIS_SQL);
        if (committed.coverage) await step('coverage', COVERAGE_COMMIT_SQL);
        // the pending files' slices (flow-log-choice.sql); every record enriched anew from files none of which says its flow log: none
        if (committed.flowLogs === 'chosen') await step('flow logs', FLOW_LOG_COMMIT_SQL);
        else if (committed.flowLogs === 'none') await db.exec('DELETE FROM flow_log_slices');
        await settleStaged(db, committed.staged ?? []);
        if (committed.enrichedFileId !== undefined) await setMeta(db, META_ENRICHED_FILE, String(committed.enrichedFileId));
        await setMeta(db, META_ATTRIBUTED_INVENTORY, fingerprint);
        await timed('views', () => buildViews(db, fingerprint));
        checkCancelled(opts.signal);
        return Number(await db.value<bigint>('SELECT count(*) FROM conversation_facts'));
      }));
      // What the commit left in the write-ahead log stays in memory, unevictable, until a checkpoint: a process that
      // goes on querying (the extension's DuckDB process, after a Refresh) ran out of the 500MB budget in
      // sg-unused-rules over 30 M records after an append and a re-attribution; with this checkpoint it did not.
      // (best effort: the data is committed; another connection's open transaction may refuse it)
      await timed('checkpoint', () => db.exec('CHECKPOINT').catch(() => undefined));
      return facts;
    });

  /** The inventory tables: made, unless this connection holds them made from the same inventory. */
  const prepareInventory = async () => {
    if (await inventoryTablesHeld(db, fingerprint)) return;
    preparedWith.delete(db);
    await step('inventory tables', PREPARE_SQL);
    preparedWith.set(db, fingerprint);
  };
  const keep = () => (preparedWith.get(db) === fingerprint ? INVENTORY_TABLES : []);

  /** A part of the stored facts attributed again (no record read), into `mode`'s facts table. */
  const attributeAgain = (mode: Mode) => async () => {
    await step('stored facts', STORED_CONVERSATIONS_SQL);
    await step('attribution', ATTRIBUTE_SQL);
    await step('facts', factsSql(mode));
  };

  try {
    // The inventory changed: the stored facts are attributed again first (no record is read), in their own
    // transaction; what is pending is then appended to them. Only those the change covers (the sides and spans of
    // time whose holder changed, see inventory-change.sql) when the change is bounded in time and they are few;
    // else all of them.
    if (changed && !full) {
      await prepareInventory();
      let covered = -1;
      // (no fingerprint: the facts were made by a version that did not say what with, or a migration wants them all again)
      if (attributed !== undefined && Number(await db.value<bigint>('SELECT count(*) FROM attribution_basis')) > 0) {
        await step('inventory difference', INVENTORY_CHANGE_SQL);
        if (Number(await db.value<bigint>('SELECT n FROM fl_change_unbounded')) === 0) {
          await step('numbering', reattributeCoveredRunSql());
          covered = Number(await db.value<bigint>('SELECT count(*) FROM fl_pulled_all'));
          if (covered > facts * COVERED_SHARE) covered = -1;
        }
      }
      if (covered >= 0) {
        opts.onProgress?.({ phase: 'enrich', message: `attributing again the ${covered} stored conversations the inventory change covers` });
        facts = await run('append', Math.ceil(covered / perPart), attributeAgain('append'), {});
      } else {
        opts.onProgress?.({ phase: 'enrich', message: 'attributing the stored conversations again' });
        await db.exec('DROP TABLE IF EXISTS fl_pulled_all; DROP TABLE IF EXISTS fl_facts_new;');
        await step('numbering', reattributeRunSql());
        facts = await run('reattribute', Math.ceil(facts / perPart), attributeAgain('reattribute'), {});
      }
      await dropWorkTables(db, keep());
    }

    const watermark = full ? -1 : Number((await getMeta(db, META_ENRICHED_FILE)) ?? -1);
    // records of local files are read from there (a dataset that keeps none): a file gone since its load is said
    const gone = await missingRecordFiles(db, watermark);
    if (gone.length) {
      throw new Error(`cannot enrich: ${gone.length} loaded file${gone.length === 1 ? ' is' : 's are'} no longer where ${gone.length === 1 ? 'it was' : 'they were'} loaded from (${gone[0]}${gone.length > 1 ? ', …' : ''}), and ${gone.length === 1 ? 'its records are' : 'their records are'} not enriched yet; put ${gone.length === 1 ? 'it' : 'them'} back, or forget ${gone.length === 1 ? 'it' : 'them'} (flowlens forget <file> --db …)`);
    }
    await timed('held rows compressed', () => compressHeld(db, opts.compressHeldAbove ?? COMPRESS_HELD_ROWS));
    const pending = await pendingRecords(db, watermark);
    // the relation the statements read the pending records from (a view: DuckDB inlines it where it is read);
    // records read from their files are read once, into a temporary table: the statements read them five times,
    // and parsing text (or opening thousands of small files) each time cost more than keeping them (rows the ingest
    // of this process held are read where they are)
    if (pending.files > 0) {
      await timed('records read from their files', () => db.exec(`CREATE OR REPLACE TEMP TABLE fl_pending_rows AS SELECT * FROM ${pending.sql}`));
      await db.exec(`CREATE OR REPLACE TEMP VIEW fl_pending_all AS SELECT * FROM fl_pending_rows`);
      await dropHeld(db); // copied: the ingest's held rows are not needed again
    } else await db.exec(`CREATE OR REPLACE TEMP VIEW fl_pending_all AS ${pending.sql}`);
    // one flow log's records per interface and time (flow-log-choice.sql), when the files say which flow log they are from
    await db.exec(`SET VARIABLE fl_logs_anew = ${full}`);
    const logged = Number(await db.value<bigint>(`SELECT count(*) FROM ingest_files WHERE file_id > ${Math.floor(watermark)} AND fl_flow_log_of(name) IS NOT NULL`)) > 0;
    let leftOut = 0;
    if (logged) {
      await step('flow logs', FLOW_LOG_CHOICE_SQL);
      leftOut = Number(await db.value<bigint>('SELECT count(*) FROM fl_log_out'));
      for (const r of await db.all<FlowLogReport>('SELECT * FROM fl_log_report')) {
        opts.onWarning?.(flowLogWarning(r));
      }
    }
    await db.exec(leftOut ? `CREATE OR REPLACE TEMP VIEW fl_pending AS SELECT * FROM fl_pending_all ANTI JOIN fl_log_out USING (interface_id, file_id)`
      : `CREATE OR REPLACE TEMP VIEW fl_pending AS SELECT * FROM fl_pending_all`);
    const records = await timed('pending records', async () => Number(await db.value<bigint>('SELECT count(*) FROM fl_pending'))
      + await pendingReduced(db, watermark));
    const mode: Mode = full || facts === 0 ? 'fresh' : 'append';
    // (records all left out, another flow log's: committed still, so that they are not pending again)
    if (records === 0 && mode === 'append' && !leftOut) return facts;
    const upTo = await timed('last file', async () => Math.max(await lastFileId(db, pending, watermark), watermark));
    opts.onProgress?.({ phase: 'enrich', message: 'attributing flows to resources' });
    await prepareInventory();
    await step('numbering', runSql(mode));
    await step('logging coverage: NODATA and SKIPDATA', coverageSql(full));
    const parts = Math.max(1, Math.ceil(records / perPart));
    return await run(mode, parts, async (part) => {
      await step(`part ${part + 1}/${parts}: per-observer sums`, LEVEL_ONE_SQL);
      await step('logging coverage', COVERAGE_PART_SQL);
      if (mode === 'append') await step('stored facts taken back', PULL_SQL);
      await step('orientation and observer', LEVEL_TWO_SQL);
      await step('attribution', ATTRIBUTE_SQL);
      await step('facts', factsSql(mode));
    }, { enrichedFileId: upTo, staged: pending.staged, coverage: true, flowLogs: logged ? 'chosen' : full ? 'none' : undefined });
  } finally {
    await dropWorkTables(db, keep()).catch(() => undefined);
  }
}
