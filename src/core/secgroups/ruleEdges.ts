/**
 * The edges of the map a security-group rule carried (issue 15: selecting a rule highlights them): the accepted
 * conversations the rule admitted (fl_sg_rule_matches, usage.sql: fl_sg_key_matches, the one definition the templates
 * read, unit by unit) over the map's window, keyed at the map's level exactly as the map keys its own rows (keyedSql),
 * so each edge is one the map draws. The conversations are read back from conversation_facts by what a match names
 * (both endpoints, both addresses, protocol, server port, first to last minute), one row a conversation-minute.
 */
import type { GraphQuery, RuleEdge } from '../../protocol/topology';
import type { QueryRows } from '../topology/graph';
import { keyedSql } from '../topology/sql';
import { windowRowsSql } from '../store/schema';

/** The rule's edges at the query's level, under its window and filters, the busiest first. */
export async function ruleEdges(query: QueryRows, q: GraphQuery, ruleId: string): Promise<RuleEdge[]> {
  const lo = q.from !== undefined ? '$from::TIMESTAMP' : `TIMESTAMP '-infinity'`;
  const hi = q.to !== undefined ? '$to::TIMESTAMP' : `TIMESTAMP 'infinity'`;
  const facts = `(SELECT f.window_start, f.client_ep, f.server_ep, f.protocol, f.server_port, f.rejected, f.egress_path,
      f.uploaded, f.downloaded, f.packets_up, f.packets_down, 1::BIGINT AS conversations
    FROM conversation_facts f
    SEMI JOIN (SELECT * FROM fl_sg_rule_matches(${lo}, ${hi}) WHERE rule_id = $rule) m
      ON f.client_ep = m.client_ep AND f.server_ep = m.server_ep AND f.client_addr = m.client_addr AND f.server_addr = m.server_addr
     AND f.protocol = m.protocol AND f.server_port IS NOT DISTINCT FROM m.server_port
     AND f.window_start >= m.first_seen AND f.window_start <= m.last_seen
    WHERE NOT f.rejected AND f.window_start >= ${lo} AND f.window_start < ${hi})`;
  // the columns the map's rows have (sourceSql): no addresses, n conversation-minutes
  const rows = `(${windowRowsSql(facts, `w.window_start + INTERVAL 1 minute AS window_end, w.conversations::DOUBLE AS n, NULL::VARCHAR AS client_addr, NULL::VARCHAR AS server_addr`)})`;
  const k = keyedSql(q, { findings: false, cost: false, rows });
  const out = await query(
    `WITH k AS (${k.sql})
     SELECT ck AS source, sk AS target, sum(up + down)::DOUBLE AS bytes, sum(n)::DOUBLE AS conversations
     FROM k GROUP BY ck, sk ORDER BY bytes DESC, source, target`,
    { ...k.params, rule: ruleId },
  );
  return out.map((r) => ({ source: String(r.source), target: String(r.target), bytes: Number(r.bytes), conversations: Number(r.conversations) }));
}
