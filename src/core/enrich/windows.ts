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
const WINDOW_SUMS = ['uploaded', 'downloaded', 'packets_up', 'packets_down', 'conversations'];

/**
 * Every window table made anew, beside the current ones, from `facts` (each from the one before: 1 minute
 * from the facts, 5 minutes from 1 minute, 1 hour from 5 minutes).
 */
export function windowsAnewSql(facts: string): string {
  return `${WINDOWS_SQL}\n${WINDOW_SIZES.map((w, i) => {
    const from = i === 0 ? `'${facts}', INTERVAL '${w.interval}', count(*)`
      : `'${WINDOW_SIZES[i - 1].table}_facts_next', INTERVAL '${w.interval}', sum(conversations)`;
    return `CREATE OR REPLACE TABLE ${w.table}_facts_next AS FROM fl_windows(${from});`;
  }).join('\n')}`;
}

/**
 * Before the transaction: the difference the new facts make to the windows, per 1-minute window key
 * (fl_window_delta), which windowMergeSql adds to each window table.
 */
export const WINDOW_DELTA_SQL = `${WINDOWS_SQL}\n${DELTA_SQL}`;

/** One window table gets the difference: sums added, keys left with no conversation removed. */
export function windowMergeSql(table: string, interval: string): string {
  const on = WINDOW_KEY.map((k) => `w.${k} IS NOT DISTINCT FROM d.${k}`).join(' AND ');
  return `MERGE INTO ${table}_facts w
USING fl_windows('fl_window_delta', INTERVAL '${interval}', sum(conversations)) d
ON ${on}
WHEN MATCHED AND w.conversations + d.conversations <= 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET ${WINDOW_SUMS.map((s) => `${s} = w.${s} + d.${s}`).join(', ')}
WHEN NOT MATCHED AND d.conversations > 0 THEN INSERT VALUES (${[...WINDOW_KEY, ...WINDOW_SUMS].map((c) => `d.${c}`).join(', ')});`;
}
