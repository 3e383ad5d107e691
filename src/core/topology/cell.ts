/**
 * "Open in SQL": a notebook cell that returns the traffic behind a node or an edge of the map, with
 * the view's parameters bound. The cell uses the same keyed relation as the map (sql.ts), written in
 * the query-template format (`-- title:`, `-- param: name TYPE = value -- description`), so it runs
 * as it is and its parameters can be edited.
 */
import type { GraphQuery } from '../../protocol/topology';
import { keyedSql, type SqlParams } from './sql';
import { formatParamValue } from '../paramValue';

export interface SqlCell {
  title: string;
  /** The cell text: the template header and the query. */
  sql: string;
  /** The bound values, by parameter name (also written as the header's defaults). */
  params: Record<string, { type: string; value: string }>;
}

const PARAM_DOC: Record<string, [string, string]> = {
  from: ['TIMESTAMP', 'window start (UTC, inclusive)'],
  to: ['TIMESTAMP', 'window end (UTC, exclusive)'],
  protocol: ['INTEGER', 'IP protocol number'],
  port: ['INTEGER', 'server port'],
  fkey: ['VARCHAR', 'tag key either side carries'],
  fval: ['VARCHAR', 'tag value either side carries'],
  tagKey: ['VARCHAR', 'the tag key that names an app'],
  node: ['VARCHAR', 'the node (ARN, app:<tag value>, subnet:<id>, aws:<SERVICE>, internet, ...)'],
  src: ['VARCHAR', 'the client node'],
  dst: ['VARCHAR', 'the server node'],
};

function header(title: string, description: string, params: SqlParams): { text: string; bound: SqlCell['params'] } {
  const lines = [`-- title: ${title}`, `-- description: ${description}`];
  const bound: SqlCell['params'] = {};
  for (const [name, value] of Object.entries(params)) {
    const [type, doc] = PARAM_DOC[name] ?? ['VARCHAR', name];
    const text = String(value);
    bound[name] = { type, value: text };
    lines.push(`-- param: ${name} ${type} = ${formatParamValue(text)} -- ${doc}`);
  }
  return { text: lines.join('\n'), bound };
}

const oneLine = (s: string) => s.replace(/[\r\n\u0085\u2028\u2029]+/g, ' ');

/** The cell for a node: its traffic by direction, peer, protocol and port. */
export function nodeCell(q: GraphQuery, node: string, label = node): SqlCell {
  const k = keyedSql(q, { findings: false, cost: true, source: 'conversations' });
  const params = { ...k.params, node };
  const h = header(
    oneLine(`Traffic of ${label}`),
    oneLine(`Conversations to and from ${node} at the ${q.level} level, from the topology view.`),
    params,
  );
  const sql = `${h.text}
WITH k AS (
  ${k.sql}
)
SELECT CASE WHEN ck = $node THEN 'out' ELSE 'in' END AS direction,
       CASE WHEN ck = $node THEN sk ELSE ck END AS peer,
       protocol, server_port,
       sum(up)::BIGINT AS bytes_up, sum(down)::BIGINT AS bytes_down,
       count(*) AS conversations, round(sum(cost), 4) AS cost_usd,
       list(DISTINCT egress_path) AS egress_paths
FROM k
WHERE ck = $node OR sk = $node
GROUP BY ALL
ORDER BY sum(up + down) DESC;
`;
  return { title: `Traffic of ${label}`, sql, params: h.bound };
}

/** The cell for an edge: its conversations by protocol, port and egress path. */
export function edgeCell(q: GraphQuery, source: string, target: string, label = `${source} → ${target}`): SqlCell {
  const k = keyedSql(q, { source: 'conversations' });
  const params = { ...k.params, src: source, dst: target };
  const h = header(
    oneLine(`Traffic ${label}`),
    oneLine(`Conversations from ${source} to ${target} at the ${q.level} level, from the topology view.`),
    params,
  );
  const sql = `${h.text}
WITH k AS (
  ${k.sql}
)
SELECT client_node, server_node, protocol, server_port, egress_path, kind,
       sum(up)::BIGINT AS bytes_up, sum(down)::BIGINT AS bytes_down,
       count(*) AS conversations, round(sum(cost), 4) AS cost_usd,
       bool_or(f_alb_bypass) AS alb_bypass, bool_or(f_lambda_rds) AS lambda_rds_no_proxy,
       bool_or(f_nat_endpoint) AS nat_could_use_endpoint
FROM k
WHERE ck = $src AND sk = $dst
GROUP BY ALL
ORDER BY sum(up + down) DESC;
`;
  return { title: `Traffic ${label}`, sql, params: h.bound };
}
