/**
 * Rolling aggregation windows over the conversations: 1 minute, 5 minutes, 1 hour. Client ports are
 * folded away (they are what makes conversations many), so the windows are far smaller than the flows.
 * Stored narrow (endpoint numbers and codes, like conversation_facts); the windows_* views name them.
 * An enrichment that appends gives each window table the difference its facts make; one that makes every
 * fact anew makes them anew beside the current ones, and its transaction swaps them in.
 */

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
  return WINDOW_SIZES.map((w, i) => {
    const from = i === 0 ? facts : `${WINDOW_SIZES[i - 1].table}_facts_next`;
    const count = i === 0 ? 'count(*)' : 'sum(conversations)';
    return `CREATE OR REPLACE TABLE ${w.table}_facts_next AS
SELECT time_bucket(INTERVAL '${w.interval}', window_start) AS window_start, client_ep, server_ep, protocol, server_port,
  rejected, egress_path, sum(uploaded)::BIGINT AS uploaded, sum(downloaded)::BIGINT AS downloaded,
  sum(packets_up)::BIGINT AS packets_up, sum(packets_down)::BIGINT AS packets_down, ${count}::BIGINT AS conversations
FROM ${from} GROUP BY ALL;`;
  }).join('\n');
}

/**
 * Before the transaction: the difference the new facts make to the windows (each new fact counts once,
 * each fact it replaces minus once), per 1-minute window key.
 */
export const WINDOW_DELTA_SQL = `
CREATE OR REPLACE TEMP TABLE fl_window_delta AS
SELECT window_start, client_ep, server_ep, protocol, server_port, rejected, egress_path,
  sum(sign * uploaded)::BIGINT AS uploaded, sum(sign * downloaded)::BIGINT AS downloaded,
  sum(sign * packets_up)::BIGINT AS packets_up, sum(sign * packets_down)::BIGINT AS packets_down,
  sum(sign)::BIGINT AS conversations
FROM (SELECT *, 1 AS sign FROM fl_facts_new UNION ALL BY NAME SELECT * EXCLUDE (frid), -1 AS sign FROM fl_pulled_all)
GROUP BY ALL;
`;

/** One window table gets the difference: sums added, keys left with no conversation removed. */
export function windowMergeSql(table: string, interval: string): string {
  const on = WINDOW_KEY.map((k) => `w.${k} IS NOT DISTINCT FROM d.${k}`).join(' AND ');
  return `MERGE INTO ${table}_facts w
USING (SELECT time_bucket(INTERVAL '${interval}', window_start) AS window_start, ${WINDOW_KEY.slice(1).join(', ')},
              ${WINDOW_SUMS.map((s) => `sum(${s})::BIGINT AS ${s}`).join(', ')}
       FROM fl_window_delta GROUP BY ALL) d
ON ${on}
WHEN MATCHED AND w.conversations + d.conversations <= 0 THEN DELETE
WHEN MATCHED THEN UPDATE SET ${WINDOW_SUMS.map((s) => `${s} = w.${s} + d.${s}`).join(', ')}
WHEN NOT MATCHED AND d.conversations > 0 THEN INSERT VALUES (${[...WINDOW_KEY, ...WINDOW_SUMS].map((c) => `d.${c}`).join(', ')});`;
}

