/**
 * Rolling aggregation windows over the conversations: 1 minute, 5 minutes, 1 hour. Client ports are
 * folded away (they are what makes conversations many), so the windows are far smaller than the flows.
 */
import type { Db } from '../store/db';

export const WINDOW_SIZES = [
  { table: 'windows_1m', interval: '1 minute', from: 'conversations' },
  { table: 'windows_5m', interval: '5 minutes', from: 'windows_1m' },
  { table: 'windows_1h', interval: '1 hour', from: 'windows_5m' },
] as const;

/** The grouping keys; the other columns depend on the node (a resource has one type, VPC, account, region). */
const KEYS = `client_node, server_node, client_az, server_az, protocol, server_port, action, egress_path, cross_az`;
const DEPENDENT = ['client_type', 'server_type', 'client_vpc', 'server_vpc', 'client_account', 'server_account',
  'client_region', 'server_region', 'client_aws_service', 'server_aws_service', 'cross_region'];

export function windowSql(table: string, interval: string, from: string): string {
  const counted = from === 'conversations' ? 'count(*)' : 'sum(conversations)';
  return `CREATE OR REPLACE TABLE ${table} AS
SELECT time_bucket(INTERVAL '${interval}', window_start) AS window_start, ${KEYS},
  ${DEPENDENT.map((c) => `any_value(${c}) AS ${c}`).join(', ')},
  sum(uploaded)::BIGINT AS uploaded, sum(downloaded)::BIGINT AS downloaded,
  sum(packets_up)::BIGINT AS packets_up, sum(packets_down)::BIGINT AS packets_down,
  ${counted}::BIGINT AS conversations
FROM ${from}
GROUP BY ALL;`;
}

export async function buildWindows(db: Db): Promise<void> {
  for (const w of WINDOW_SIZES) await db.exec(windowSql(w.table, w.interval, w.from));
}
