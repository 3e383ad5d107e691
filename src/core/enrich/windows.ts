/**
 * Rolling aggregation windows over the conversations: 1 minute, 5 minutes, 1 hour. Client ports are
 * folded away (they are what makes conversations many), so the windows are far smaller than the flows.
 * Stored narrow (endpoint numbers and codes, like conversation_facts); the windows_* views name them.
 * An enrichment that appends gives each window table the difference its facts make; one that makes every
 * fact anew makes them anew beside the current ones, and its transaction swaps them in.
 * The SQL is in windows.sql (a window table's rows: fl_windows) and window-delta.sql; here only which table.
 */
import WINDOWS_SQL from './windows.sql';
import DELTA_SQL from './window-delta.sql';

export const WINDOW_SIZES = [
  { table: 'windows_1m', interval: '1 minute' },
  { table: 'windows_5m', interval: '5 minutes' },
  { table: 'windows_1h', interval: '1 hour' },
] as const;

const WINDOW_KEY = ['window_start', 'client_ep', 'server_ep', 'protocol', 'server_port', 'rejected', 'egress_path'];
/**
 * The keys never NULL (every fact has a minute, a protocol and both endpoints): compared with `=`, which lets
 * DuckDB skip the stored row groups outside the difference's minutes and endpoints (a dynamic filter from the join's
 * build side: IS NOT DISTINCT FROM gives none): the rows a follower appended, in time order, are skipped but the
 * newest. The window tables made anew are not sorted by time for it: at 10 M records that cost 0.3-0.7 s of a
 * 40 s enrichment (more once the sort spills, at 100 M), and saved about 0.3 s of each later append at the end of time.
 */
const NEVER_NULL = new Set(['window_start', 'client_ep', 'server_ep', 'protocol']);
const WINDOW_SUMS = ['uploaded', 'downloaded', 'packets_up', 'packets_down', 'conversations'];

/**
 * Every window table made anew, beside the current ones, from `facts` (each from the one before: 1 minute
 * from the facts, 5 minutes from 1 minute, 1 hour from 5 minutes).
 */
export function windowsAnewSql(facts: string): string {
  return `${WINDOWS_SQL}\n${WINDOW_SIZES.map((w, i) => {
    const from = i === 0 ? `'${facts}', INTERVAL '${w.interval}', sum(coalesce(client_ports, 1))`
      : `'${WINDOW_SIZES[i - 1].table}_facts_next', INTERVAL '${w.interval}', sum(conversations)`;
    return `CREATE OR REPLACE TABLE ${w.table}_facts_next AS FROM fl_windows(${from});`;
  }).join('\n')}`;
}

/**
 * Before the transaction: the difference the new facts make to the windows, per 1-minute window key
 * (fl_window_delta), which windowMergeSql adds to each window table.
 */
export const WINDOW_DELTA_SQL = `${WINDOWS_SQL}\n${DELTA_SQL}`;

/**
 * One window table gets the difference: each key the difference touches is taken out and put back with its new
 * sums, unless no conversation is left in it. Not a MERGE: DuckDB updates a row in place by keeping its old
 * values beside it until a checkpoint rewrites the row group, where a delete only marks it and an insert appends;
 * adding 100 k records to 10 M took 4.1 s of MERGEs plus a 3.0 s commit, against 1.7 s and 0.7 s this way
 * (a prototype on the bench dataset, on a busy machine).
 */
export function windowMergeSql(table: string, interval: string): string {
  const on = WINDOW_KEY.map((k) => `w.${k} ${NEVER_NULL.has(k) ? '=' : 'IS NOT DISTINCT FROM'} d.${k}`).join(' AND ');
  return `CREATE OR REPLACE TEMP TABLE fl_window_merged AS
SELECT w.rowid AS wrid, ${WINDOW_KEY.map((k) => `d.${k}`).join(', ')}, ${WINDOW_SUMS.map((c) => `coalesce(w.${c}, 0) + d.${c} AS ${c}`).join(', ')}
FROM fl_windows('fl_window_delta', INTERVAL '${interval}', sum(conversations)) d LEFT JOIN ${table}_facts w ON ${on};
DELETE FROM ${table}_facts WHERE rowid IN (SELECT wrid FROM fl_window_merged WHERE wrid IS NOT NULL);
INSERT INTO ${table}_facts BY NAME SELECT * EXCLUDE (wrid) FROM fl_window_merged WHERE conversations > 0;
DROP TABLE fl_window_merged;`;
}
