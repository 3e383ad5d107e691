/**
 * Rolling aggregation windows over the conversations: 1 minute, 5 minutes, 1 hour. Client ports are
 * folded away (they are what makes conversations many), so the windows are far smaller than the flows.
 * Stored narrow (endpoint numbers and codes, like conversation_facts); the windows_* views name them.
 */
import type { Db } from '../store/db';
import { next } from '../store/schema';

export const WINDOW_SIZES = [
  { table: 'windows_1m', interval: '1 minute', from: 'conversation_facts' },
  { table: 'windows_5m', interval: '5 minutes', from: 'windows_1m_facts' },
  { table: 'windows_1h', interval: '1 hour', from: 'windows_5m_facts' },
] as const;

/** Fills `<table>_facts_next` from the new facts (the rebuild swaps the _next tables in). */
export function windowSql(table: string, interval: string, from: string): string {
  const counted = from === 'conversation_facts' ? 'count(*)' : 'sum(conversations)';
  return `INSERT INTO ${next(`${table}_facts`)}
SELECT time_bucket(INTERVAL '${interval}', window_start) AS window_start, client_ep, server_ep, protocol, server_port,
  rejected, egress_path,
  sum(uploaded)::BIGINT AS uploaded, sum(downloaded)::BIGINT AS downloaded,
  sum(packets_up)::BIGINT AS packets_up, sum(packets_down)::BIGINT AS packets_down,
  ${counted}::BIGINT AS conversations
FROM ${next(from)}
GROUP BY ALL;`;
}

export async function buildWindows(db: Db): Promise<void> {
  for (const w of WINDOW_SIZES) await db.exec(windowSql(w.table, w.interval, w.from));
}
