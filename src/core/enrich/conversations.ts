/**
 * Enrichment: flow records + time-aware inventory -> conversation facts, set-based in DuckDB, appended.
 *
 * An enrichment reads the records that are new since the last one (pending: loaded after the watermark)
 * once, and merges them into what is stored:
 * 1. Records (OK status) get their observer ENI, and the real endpoints (pkt-* over the logged addresses).
 *    A NAT gateway's translated outside leg (NAT address <-> public address) is dropped: its bytes are the
 *    inside leg's bytes again. They are summed per observer, minute and 5-tuple.
 * 2. The stored facts of every 5-tuple the new records touch are taken back as the sums of the observer that
 *    was chosen for them (with the orientation evidence they were chosen by), so a flow whose two ends or
 *    minutes arrive in different batches is still counted once.
 * 3. Orientation per 5-tuple: SYN sender is the client, SYN-ACK sender the server; else port ranks.
 * 4. One observer per conversation-minute (client ENI, else server ENI, else another, NAT last): a flow
 *    logged at both ends is counted once. REJECT by any observer makes the minute REJECT.
 * 5. Attribution of both sides by (VPC scope, address, time): private addresses resolve in the observer's
 *    VPC, then in peered / TGW-attached VPCs; public and IPv6 addresses globally; a side found nowhere whose own
 *    ENI logged the minute (the observer's, or the server's beside the client's) is that ENI (its owner when known
 *    then); a private address still unexplained is inferred
 *    when exactly one ENI in the whole inventory held it then; AWS prefixes (specific
 *    service over AMAZON, longest prefix) and pkt-*-aws-service; else a special-purpose type by the address
 *    (address_types: documentation, link-local, carrier-grade NAT, ...); else internet (or unknown, private).
 * 6. Egress path from traffic-path when logged, else from the inventory; cross-AZ/region flags.
 * The facts taken back are replaced by the new ones (those that differ: a fact that comes out the same stays where
 * it is), and the windows get the difference, in one transaction (see rebuild.ts). When the inventory changed, the
 * stored facts it covers are taken back (re-attribution: no raw record is read again): those of the sides and
 * spans of time whose holder changed, found by comparing what attribution read then (attribution_basis, stored by
 * every enrichment) with what it reads now; every stored fact when the change says nothing of time (what an ENI
 * is, VPC exits, prefixes...) or covers many.
 * Steps 1-6 run per part of the records, each part holding whole address pairs.
 *
 * The SQL is in the .sql files next to this one, in the order rebuild.ts runs them: prepare.sql and basis.sql;
 * inventory-change.sql and covered-facts.sql (a re-attribution of what a change covers); flow-log-choice.sql (when
 * the files say which flow log they are from: one flow log's records per interface and time); numbering.sql (or
 * renumbering.sql), sides.sql; per part observer-sums.sql, pull.sql, orientation.sql (or stored-facts.sql),
 * attribution.sql, facts.sql; facts-difference.sql (appending), windows.sql and window-delta.sql (windows.ts);
 * commit-append.sql or commit-anew.sql, flow-log-commit.sql and save-basis.sql. They read the pending records as
 * fl_pending and the part as the variables fl_part and fl_parts (rebuild.ts sets them), and use the macros of
 * macros.sql. Here only what depends on the mode:
 * which tables the facts go to, and the stored sides kept or not.
 */
import type { Db } from '../store/db';
import { DERIVED_FACTS, dropNextTables } from '../store/schema';
import { WINDOW_SIZES, windowMergeSql } from './windows';
import NUMBERING_SQL from './numbering.sql';
import RENUMBERING_SQL from './renumbering.sql';
import SIDES_SQL from './sides.sql';
import FACTS_SQL from './facts.sql';
import COMMIT_APPEND_SQL from './commit-append.sql';
import COMMIT_ANEW_SQL from './commit-anew.sql';
import PREPARE_INVENTORY_SQL from './prepare.sql';
import BASIS_SQL from './basis.sql';
import COVERED_FACTS_SQL from './covered-facts.sql';
import OBSERVER_SUMS_SQL from './observer-sums.sql';
import REDUCED_SUMS_SQL from './reduced-sums.sql';
import COVERAGE_SQL from './coverage.sql';
import COVERAGE_ISLANDS_SQL from './coverage-islands.sql';
import FLOW_LOG_CHOICE from './flow-log-choice.sql';
import FLOW_LOG_COMMIT from './flow-log-commit.sql';

/** Before the numbering: one flow log's records per interface and time (the pending records as fl_pending_all). */
export const FLOW_LOG_CHOICE_SQL = FLOW_LOG_CHOICE;
/** Inside the transaction: the pending files' slices stored, with whether they were counted. */
export const FLOW_LOG_COMMIT_SQL = FLOW_LOG_COMMIT;

/**
 * Small inventory-derived helper tables (thousands of rows), made at the start of every enrichment, and what
 * attribution reads of them as rows two enrichments can be compared by (fl_basis_now).
 */
export const PREPARE_SQL = `${PREPARE_INVENTORY_SQL}\n${BASIS_SQL}`;
/** Inside every enrichment's transaction: the basis its facts are attributed with, stored for the next one. */
export { default as SAVE_BASIS_SQL } from './save-basis.sql';
/** After PREPARE_SQL, when the inventory changed: what the change covers (fl_basis_diff, fl_changed). */
export { default as INVENTORY_CHANGE_SQL } from './inventory-change.sql';
/** A re-attribution's part of the stored facts, in the shape attribution reads (fl_conv). */
export { default as STORED_CONVERSATIONS_SQL } from './stored-facts.sql';
/**
 * Step 1 for a part of the pending records (fl_pending): sums per observer, minute and 5-tuple, in fl_obs; and the
 * part's pending reduced rows (fl_pending_reduced, see reduced.ts), added to them.
 */
export const LEVEL_ONE_SQL = `${OBSERVER_SUMS_SQL}\n${REDUCED_SUMS_SQL}`;
/** Step 2 for a part, when appending: the stored facts of the 5-tuples it touches, merged into fl_obs. */
export { default as PULL_SQL } from './pull.sql';
/** Steps 3-4 for a part: orientation, the observer chosen, and its row, into fl_conv. */
export { default as LEVEL_TWO_SQL } from './orientation.sql';
/** Step 5 for a part: attribution of both sides, into fl_sided (facts.sql adds the egress path). */
export { default as ATTRIBUTE_SQL } from './attribution.sql';
/**
 * After the parts, when appending: the facts taken back and the new ones that differ (fl_facts_changed), which the
 * window difference and the commit read.
 */
export { default as FACTS_DIFFERENCE_SQL } from './facts-difference.sql';

/**
 * Each ENI's logging coverage (coverage.sql): after the numbering, before the parts, the pending NODATA and SKIPDATA
 * records' minutes; `anew` (every record is read again): the stored coverage is replaced.
 */
export const coverageSql = (anew: boolean) => `SET VARIABLE fl_coverage_anew = ${anew};\n${COVERAGE_SQL}`;
/** Per part, after LEVEL_ONE_SQL: the spans its OK records cover, from its per-observer sums. */
export { default as COVERAGE_PART_SQL } from './coverage-part.sql';
/** After the parts: the minutes made into islands with the stored ones they reach. */
export { COVERAGE_ISLANDS_SQL };
/** Inside the enrichment's transaction, after COVERAGE_ISLANDS_SQL. */
export const COVERAGE_COMMIT_SQL = `DELETE FROM eni_coverage WHERE getvariable('fl_coverage_anew') OR rowid IN (SELECT crid FROM fl_coverage_taken);
INSERT INTO eni_coverage SELECT * FROM fl_coverage;`;

/** What an enrichment does with the stored facts. */
export type Mode =
  /** the first enrichment of a dataset: nothing is stored */
  | 'fresh'
  /** new records: the stored facts of the 5-tuples they touch are taken back and merged */
  | 'append'
  /** the inventory changed: every stored fact is attributed again (its figures stay) */
  | 'reattribute';

/**
 * The sides met so far and what each is: when appending, the stored ones (found again by their holder,
 * service, prefix region or unexplained address), numbered as stored; new ones are numbered after them.
 */
const endpointsSql = (mode: Mode) => `
CREATE OR REPLACE TEMP TABLE fl_endpoints AS SELECT * FROM endpoints ${mode === 'append' ? '' : 'LIMIT 0'};`;

/**
 * Where the parts write the facts: when appending, a temporary table (beside the stored facts it replaces,
 * fl_pulled_all: the commit writes and deletes those of either that differ, see facts-difference.sql); else every
 * fact is new, written beside the stored ones as conversation_facts_next (committed as it goes, which also makes it
 * fast to read back) and swapped in by the commit.
 */
export const factsTable = (mode: Mode) => (mode === 'append' ? 'fl_facts_new' : 'conversation_facts_next');

const factsTargetSql = (mode: Mode) => mode === 'append' ? `
CREATE OR REPLACE TEMP TABLE fl_facts_new AS SELECT * FROM conversation_facts LIMIT 0;
CREATE OR REPLACE TEMP TABLE fl_pulled_all AS SELECT NULL::BIGINT AS frid, * FROM conversation_facts LIMIT 0;` : `
CREATE OR REPLACE TABLE conversation_facts_next AS SELECT * FROM conversation_facts LIMIT 0;`;

/**
 * Before the parts: every address and observer the pending records (fl_pending) name, numbered; what each
 * address is (AWS service, RFC 1918, private); and the tables the parts add to.
 */
export function runSql(mode: 'fresh' | 'append'): string {
  return `${NUMBERING_SQL}${endpointsSql(mode)}\n${SIDES_SQL}${factsTargetSql(mode)}`;
}

/**
 * Re-attribution: every stored fact is attributed again with the inventory as it is now. The facts' own
 * figures stay (the observer chosen, the sums, the orientation); only who the sides are changes.
 */
export const reattributeRunSql = () => `CREATE OR REPLACE TEMP VIEW fl_stored AS FROM conversation_facts;
${RENUMBERING_SQL}${endpointsSql('reattribute')}\n${SIDES_SQL}${factsTargetSql('reattribute')}`;

/**
 * Re-attribution of what an inventory change covers (after INVENTORY_CHANGE_SQL): the stored facts of the
 * changed sides in the changed spans of time are taken back and attributed again, like the facts an append
 * takes back (mode 'append' from here on: its facts table, window difference and commit). The stored sides
 * keep their numbers (the facts not taken back name them); new ones are numbered after them.
 */
export const reattributeCoveredRunSql = () =>
  `${endpointsSql('append')}${factsTargetSql('append')}\n${COVERED_FACTS_SQL}${RENUMBERING_SQL}\n${SIDES_SQL}`;

/**
 * Per part, after ATTRIBUTE_SQL: what the new identities are, and the part's conversation facts, added to
 * the facts table of the mode. The identity joins make DuckDB build hash tables on the millions of
 * conversations unless build_side_probe_side is off (see facts.sql).
 */
export const factsSql = (mode: Mode) => `${FACTS_SQL}
SET disabled_optimizers = 'build_side_probe_side';
INSERT INTO ${factsTable(mode)} SELECT * FROM fl_facts_part;
RESET disabled_optimizers;
DROP VIEW fl_facts_part; DROP TABLE fl_sided;
`;

/**
 * Inside the enrichment's transaction. Appending: the facts taken back that differ from the new ones are replaced
 * by those, the new sides and observers are stored, and each window table gets the difference. Else the facts and
 * windows made anew replace the stored ones, and so do the sides.
 */
export function commitSql(mode: Mode): string {
  if (mode === 'append') return `${COMMIT_APPEND_SQL}${WINDOW_SIZES.map((w) => windowMergeSql(w.table, w.interval)).join('\n')}`;
  return `${COMMIT_ANEW_SQL}${DERIVED_FACTS.map((t) => `DROP TABLE ${t}; ALTER TABLE ${t}_next RENAME TO ${t};`).join('\n')}`;
}

/**
 * Records per part (see observer-sums.sql): each part is one more pass over the records (0.1-0.3 s a pass per
 * 10 M records), and a smaller part needs less memory. With the 500MB budget, 2.5, 4 and 6 M a part
 * measured the same within noise at 10 M records (bench/enrich.mjs); at 30 M, one part spilled its joins to
 * disk and eight parts did not.
 */
export const RECORDS_PER_PART = 4_000_000;

/**
 * The part the per-part statements read (fl_in_part in macros.sql), typed as the hashes they are compared
 * with. Set before each part: DuckDB plans a statement with the values as constants.
 */
export const partSql = (part: number, parts: number) =>
  `SET VARIABLE fl_part = ${Math.floor(part)}::UBIGINT; SET VARIABLE fl_parts = ${Math.floor(parts)}::UBIGINT;`;

/** The small tables and views PREPARE_SQL makes from the inventory alone (kept between enrichments, see rebuild.ts). */
export const INVENTORY_TABLES: readonly string[] = [...PREPARE_SQL.matchAll(/CREATE OR REPLACE TEMP (?:TABLE|VIEW) (fl_\w+)/g)].map((m) => m[1]!);

/**
 * Drops whatever an enrichment left: its temp fl_* tables and views (but `keep`), variables, and <table>_next tables
 * not swapped in.
 */
export async function dropWorkTables(db: Db, keep: readonly string[] = []): Promise<void> {
  await db.exec('RESET disabled_optimizers; RESET VARIABLE fl_part; RESET VARIABLE fl_parts; RESET VARIABLE fl_coverage_anew; RESET VARIABLE fl_logs_anew;');
  const left = await db.all<{ name: string; kind: string }>(
    `SELECT table_name AS name, 'TABLE' AS kind FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'fl_')
     UNION ALL SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary AND starts_with(view_name, 'fl_')`,
  );
  for (const t of left) if (!keep.includes(t.name)) await db.exec(`DROP ${t.kind} IF EXISTS temp.${t.name}`);
  await dropNextTables(db);
}
