/**
 * The SQL behind the topology: every conversation keyed at the chosen level (who is the client node,
 * who is the server node), classified by how it travelled, flagged by the template findings, and
 * filtered by the view's window, action, protocol, port and tag. The graph, the details, the
 * timeline and the "Open in SQL" cells are all built on this one relation, so what the map shows
 * and what a notebook cell returns are the same thing.
 *
 * Parameters are always bound (`$name`), never spliced: `from`/`to` are TIMESTAMP text,
 * `tagKey`, `fkey`, `fval` VARCHAR, `protocol`/`port` numbers.
 */
import type { Finding, GraphQuery, Level } from '../../protocol/topology';
import { costSql } from './cost';
import { EGRESS_PATHS, windowRowsSql } from '../store/schema';
import TRANSIT_GATEWAYS_SQL from './transit-gateways.sql';

export type SqlParam = string | number | boolean | null;
export type SqlParams = Record<string, SqlParam>;

/** The edge kind of a conversation row `c` (see EDGE_KINDS). */
export const KIND_SQL = `CASE
    WHEN c.action = 'REJECT' THEN 'rejected'
    WHEN c.egress_path = 'nat-gateway' THEN 'nat'
    WHEN c.egress_path = 'internet-gateway' THEN 'igw'
    WHEN c.egress_path IN ('peering-intra-region', 'peering-inter-region', 'transit-gateway') THEN 'peering-tgw'
    WHEN c.cross_region THEN 'cross-region'
    WHEN c.cross_az THEN 'cross-az'
    WHEN c.egress_path IN ('gateway-endpoint', 'interface-endpoint') THEN 'endpoint'
    WHEN c.egress_path IN ('virtual-private-gateway', 'local-gateway') THEN 'other'
    WHEN c.client_az IS NOT NULL AND c.client_az = c.server_az THEN 'same-az'
    WHEN coalesce(c.egress_path, 'same-vpc') = 'same-vpc' AND NOT coalesce(c.cross_vpc, false) THEN 'same-az'
    ELSE 'other' END`;

/**
 * The findings, per row `c` of the map's source, from the dataset's own definitions (src/core/enrich/findings.sql),
 * which the query templates (alb-bypass, lambda-rds-without-proxy, cross-az, nat-gateway-endpoint-candidates) read
 * too, so the highlighted edges are the edges those templates return:
 * - ALB bypass: a row is one when a bypassing conversation fact (fl_finding_alb_bypass: a resource other than a
 *   load balancer reaching a registered target directly on its port) falls in it: same nodes, protocol and port,
 *   inside its window.
 * - Lambda -> RDS without RDS Proxy: fl_finding_lambda_rds.
 * - Cross-AZ: the cross_az column.
 * - NAT traffic that could use a gateway endpoint: fl_finding_nat_endpoint.
 */
export function findingSql(q: GraphQuery): Record<Finding, string> {
  const at = (t: number | undefined, name: string) => (t === undefined ? 'NULL' : `$${name}::TIMESTAMP`);
  return {
    'alb-bypass': `EXISTS (SELECT 1 FROM fl_finding_alb_bypass(${at(q.from, 'from')}, ${at(q.to, 'to')}) a
      WHERE a.client = c.client_node AND a.target = c.server_node AND a.protocol = c.protocol AND a.server_port = c.server_port
        AND a.window_start >= c.window_start AND a.window_start < c.window_end AND c.action = 'ACCEPT')`,
    'lambda-rds-no-proxy': `coalesce(fl_finding_lambda_rds(c.client_type, c.server_type, c.action), false)`,
    'cross-az': `coalesce(c.cross_az, false)`,
    'nat-to-endpoint': `coalesce(fl_finding_nat_endpoint(c.egress_path, c.server_aws_service), false)`,
  };
}

/**
 * The rows the map reads, aliased `c`, with the columns of `conversations` that are not per flow (both sides, the
 * action, path and cross flags), window_end (where the row's time ends) and n (the conversation-minutes it stands
 * for). Keys and filters read the inventory at a row's window_start, and it changes only at its change points (a tag
 * set's, at the security-group level an ENI's), so the window tables give exact rows:
 * - 'windows': window rows: windows_1h for every hour with no change point inside it (and inside the view's window),
 *   windows_1m for the others (the hours a tag or ENI changes in, and those the window's ends cut);
 * - 'segments' (the map's): those rows summed between consecutive change points (and the window's ends), each
 *   segment's window_start its first moment: one row per endpoint pair, port and path per segment. A change point
 *   that only one endpoint's key reads (an ENI's, at the security-group level) cuts only that endpoint's hours and
 *   segments (sidePointsSql);
 * - 'conversations': one row per conversation-minute (what a notebook cell reads).
 */
export type Source = 'conversations' | 'windows' | 'segments' | 'endpoints';

/**
 * Details read the rows of one node or edge: `only` keeps the facts whose client or server endpoint can be keyed
 * `$node` ('node'), or whose client can be `$src` and server `$dst` ('edge'), before anything is summed or named.
 * Which endpoints can be is found by keying every endpoint at every change point (the 'endpoints' source), so it
 * holds at any level.
 */
export type Only = 'node' | 'edge';

/**
 * The change points of what keys and filters read (one column t): the tag key the app level keys by, the tag the view
 * filters on, at the security-group level the ENIs (unless `sides`: the map's segments leave those to sidePointsSql,
 * cut per endpoint), and the view's window. The other levels key by what an endpoint is, which does not change.
 */
function pointsSql(q: GraphQuery, window: boolean, sides = false): string {
  const changes = ['SELECT NULL::TIMESTAMP AS t', ...inventoryPoints(q, sides)];
  if (window && q.from !== undefined) changes.push('SELECT $from::TIMESTAMP');
  if (window && q.to !== undefined) changes.push('SELECT $to::TIMESTAMP');
  return changes.join(' UNION ALL ');
}

function inventoryPoints(q: GraphQuery, sides: boolean): string[] {
  const changes: string[] = [];
  const tag = (key: string) => changes.push(`SELECT valid_from FROM inv_tags WHERE key = ${key}`, `SELECT valid_to FROM inv_tags WHERE key = ${key}`);
  if (q.level === 'app') tag('$tagKey');
  if (q.tag) tag('$fkey');
  if (q.level === 'security-group' && !sides) changes.push('SELECT valid_from FROM inv_enis', 'SELECT valid_to FROM inv_enis');
  return changes;
}

/** The segments' starts (with where each ends) between the change points. */
const segmentsOf = (points: string) => `(SELECT t, lead(t, 1, TIMESTAMP 'infinity') OVER (ORDER BY t) AS t_end
  FROM (SELECT DISTINCT t FROM (${points} UNION ALL SELECT min(window_start) FROM windows_1h_facts) WHERE t IS NOT NULL))`;

/**
 * The change points of one endpoint's key (ep, t), where they are its own: at the security-group level its ENI's
 * (an ENI's groups, or its having none, change only there), each endpoint with an ENI starting at -infinity. Cutting
 * each endpoint's hours and segments at its own points, not at every ENI's, keeps the rows as few as at the other
 * levels (the sample estate: 2.4 k segment rows rather than 36.8 k).
 */
function sidePointsSql(q: GraphQuery): string | undefined {
  if (q.level !== 'security-group') return undefined;
  return `SELECT e.ep, i.t FROM endpoints e JOIN (SELECT eni_id, valid_from AS t FROM inv_enis UNION ALL SELECT eni_id, valid_to FROM inv_enis
    UNION ALL SELECT DISTINCT eni_id, TIMESTAMP '-infinity' FROM inv_enis) i ON i.eni_id = e.eni WHERE i.t IS NOT NULL`;
}

/** The endpoints that can be keyed as `param` ($node, $src, $dst) at the query's level, at some moment. */
function keyedAsSql(q: GraphQuery, param: string): string {
  const keys = keyedSql({ level: q.level, tagKey: q.tagKey, action: 'all' }, { findings: false, source: 'endpoints' });
  return `SELECT ep FROM (${keys.sql}) WHERE ck = ${param}`;
}

export function sourceSql(q: GraphQuery, source: Source, only?: Only): string {
  if (source === 'conversations') return `(SELECT c.*, c.window_start + INTERVAL 1 minute AS window_end, 1::DOUBLE AS n FROM conversations c)`;
  const none = 'NULL::VARCHAR AS client_addr, NULL::VARCHAR AS server_addr';
  if (source === 'endpoints') {
    // each endpoint on both sides at each segment's start: its key there
    const rows = `(SELECT p.t AS window_start, p.t_end AS window_end, e.ep AS client_ep, e.ep AS server_ep, NULL::INTEGER AS protocol,
        NULL::INTEGER AS server_port, false AS rejected, NULL::UTINYINT AS egress_path, 0::BIGINT AS uploaded, 0::BIGINT AS downloaded,
        0::BIGINT AS packets_up, 0::BIGINT AS packets_down, 0::BIGINT AS conversations
      FROM endpoints e, ${segmentsOf(pointsSql(q, false))} p)`;
    return `(${windowRowsSql(rows, `w.window_end, 0::DOUBLE AS n, ${none}, w.client_ep AS ep`)})`;
  }
  // the map's segments cut each endpoint at its own points where its key has them (the windows: every row at them all)
  const side = source === 'segments' ? sidePointsSql(q) : undefined;
  const points = pointsSql(q, true, side !== undefined);
  // (the hours written out twice: a CTE inside the subquery made it four times slower)
  const cut = `SELECT DISTINCT time_bucket(INTERVAL 1 hour, t) FROM (${points}) WHERE t IS NOT NULL AND t <> time_bucket(INTERVAL 1 hour, t)`;
  let hours = `w.window_start NOT IN (${cut})`;
  let minutes = `time_bucket(INTERVAL 1 hour, w.window_start) IN (${cut})`;
  let [hourJoins, minuteJoins, sideCtes] = ['', '', ''];
  if (side) {
    // each endpoint's segments and the hours its points cut, read once in the map's segments below (written out at
    // each use, they took 40 ms to plan on the sample estate)
    sideCtes = `WITH side_segments AS MATERIALIZED (SELECT ep, t, lead(t, 1, TIMESTAMP 'infinity') OVER (PARTITION BY ep ORDER BY t) AS t_end
      FROM (SELECT DISTINCT ep, t FROM (${side}))),
    side_cut AS MATERIALIZED (SELECT DISTINCT ep, time_bucket(INTERVAL 1 hour, t) AS h FROM side_segments WHERE isfinite(t) AND t <> time_bucket(INTERVAL 1 hour, t))
    `;
    // an hour one side's own points cut comes from its minutes (as joins: EXISTS subqueries took half as long again)
    const cutAt = (h: string) => `LEFT JOIN side_cut xc ON xc.ep = w.client_ep AND xc.h = ${h} LEFT JOIN side_cut xs ON xs.ep = w.server_ep AND xs.h = ${h}`;
    hourJoins = cutAt('w.window_start');
    // only the minutes of hours that someone's points cut are looked at
    minuteJoins = `SEMI JOIN (SELECT h FROM side_cut UNION ${cut}) xh ON xh.h = time_bucket(INTERVAL 1 hour, w.window_start)
    ${cutAt('time_bucket(INTERVAL 1 hour, w.window_start)')}`;
    hours += ' AND xc.ep IS NULL AND xs.ep IS NULL';
    minutes = `(${minutes} OR xc.ep IS NOT NULL OR xs.ep IS NOT NULL)`;
  }
  // the view's window read first (its ends are change points: no row straddles them)
  const within = `${q.from !== undefined ? ' AND w.window_start >= $from::TIMESTAMP' : ''}${q.to !== undefined ? ' AND w.window_start < $to::TIMESTAMP' : ''}`;
  // a transit gateway's node (no endpoint is keyed as one) reads the rows that went through a transit gateway
  const viaTgw = (param: string) => `(starts_with(${param}, '${TGW_PREFIX}') AND w.egress_path = ${TGW_PATH_CODE})`;
  const sides = only === 'node' ? ` AND (${viaTgw('$node')} OR w.client_ep IN (${keyedAsSql(q, '$node')}) OR w.server_ep IN (${keyedAsSql(q, '$node')}))`
    : only === 'edge' ? ` AND (${viaTgw('$src')} OR w.client_ep IN (${keyedAsSql(q, '$src')})) AND (${viaTgw('$dst')} OR w.server_ep IN (${keyedAsSql(q, '$dst')}))` : '';
  // a node's or an edge's few rows come from the minutes (no hour has to be told apart), the rest from both
  const facts = only ? `(SELECT * FROM windows_1m_facts w WHERE true${within}${sides})`
    : `(SELECT w.* FROM windows_1h_facts w ${hourJoins} WHERE ${hours}${within}
    UNION ALL SELECT w.* FROM windows_1m_facts w ${minuteJoins} WHERE ${minutes}${within})`;
  if (source === 'windows') return `(${windowRowsSql(facts, none)})`;
  // summed over the segments first, on the endpoint numbers, then named: far fewer rows to key
  // a row's segment starts at the last point before it (everyone's, its client's, its server's) and ends at the next;
  // with no point but the window's ends, everyone's is one, the window (no ASOF join: it sorted every row)
  const everyone = inventoryPoints(q, side !== undefined).length > 0 ? `ASOF JOIN ${segmentsOf(points)} p ON w.window_start >= p.t`
    : `CROSS JOIN (SELECT ${q.from !== undefined ? '$from::TIMESTAMP' : '(SELECT min(window_start) FROM windows_1h_facts)'} AS t,
      ${q.to !== undefined ? '$to::TIMESTAMP' : `TIMESTAMP 'infinity'`} AS t_end) p`;
  const [start, end, sideJoins] = side
    ? ['greatest(p.t, pc.t, ps.t)', 'least(p.t_end, pc.t_end, ps.t_end)',
       `LEFT JOIN side_segments pc ON pc.ep = w.client_ep AND w.window_start >= pc.t AND w.window_start < pc.t_end
    LEFT JOIN side_segments ps ON ps.ep = w.server_ep AND w.window_start >= ps.t AND w.window_start < ps.t_end`]
    : ['p.t', 'p.t_end', ''];
  const segments = `(${sideCtes}SELECT ${start} AS window_start, ${end} AS window_end, w.client_ep, w.server_ep, w.protocol, w.server_port, w.rejected,
      w.egress_path, sum(w.uploaded)::BIGINT AS uploaded, sum(w.downloaded)::BIGINT AS downloaded, sum(w.packets_up)::BIGINT AS packets_up,
      sum(w.packets_down)::BIGINT AS packets_down, sum(w.conversations)::BIGINT AS conversations
    FROM ${facts} w ${everyone}
    ${sideJoins}
    GROUP BY ALL)`;
  return `(${windowRowsSql(segments, `w.window_end, w.conversations::DOUBLE AS n, ${none}`)})`;
}

/**
 * The workload of a resource that carries no app tag, one row per resource ARN that has one, keyed
 * `<prefix>:<account>:<region>:<name>`: an ECS task's service (`ecs-service:`, the name being
 * `<cluster>/<service>`, from DescribeTasks' group or the task's `aws:ecs:serviceName` tag), an EKS node's
 * cluster (`eks-cluster:`, from its `kubernetes.io/cluster/<name>` or `eks:cluster-name` tag; the pods on
 * it are attributed to the node), an instance's Auto Scaling group (`asg:`, from
 * `aws:autoscaling:groupName`). A Lambda function's ENIs already are the function. Tags are taken at
 * their latest value: a workload does not change its service.
 */
export const WORKLOADS_SQL = `SELECT arn, CASE
      WHEN type = 'ecs:task' AND svc IS NOT NULL THEN 'ecs-service:' || acct || ':' || reg || ':' || coalesce(cluster, '') || '/' || svc
      WHEN eks IS NOT NULL THEN 'eks-cluster:' || acct || ':' || reg || ':' || eks
      WHEN asg IS NOT NULL THEN 'asg:' || acct || ':' || reg || ':' || asg
    END AS workload
  FROM (
    SELECT r.arn, r.type, coalesce(r.account_id, '') AS acct, coalesce(r.region, '') AS reg,
      coalesce(json_extract_string(r.attrs, '$.cluster'), wt.ecs_cluster) AS cluster,
      coalesce(json_extract_string(r.attrs, '$.service'), wt.ecs_service,
               CASE WHEN json_extract_string(r.attrs, '$.group') LIKE 'service:%' THEN substr(json_extract_string(r.attrs, '$.group'), 9) END) AS svc,
      wt.eks, wt.asg
    FROM inv_resources r
    LEFT JOIN (
      SELECT arn,
        arg_max(value, valid_from) FILTER (WHERE key = 'aws:ecs:serviceName') AS ecs_service,
        arg_max(value, valid_from) FILTER (WHERE key = 'aws:ecs:clusterName') AS ecs_cluster,
        arg_max(value, valid_from) FILTER (WHERE key = 'aws:autoscaling:groupName') AS asg,
        coalesce(arg_max(value, valid_from) FILTER (WHERE key IN ('eks:cluster-name', 'aws:eks:cluster-name')),
                 max(substr(key, 23)) FILTER (WHERE key LIKE 'kubernetes.io/cluster/%')) AS eks
      FROM inv_tags GROUP BY arn) wt ON wt.arn = r.arn
  ) WHERE type = 'ecs:task' AND svc IS NOT NULL OR eks IS NOT NULL OR asg IS NOT NULL`;

/** The node types of workload keys (WORKLOADS_SQL), by key prefix. */
export const WORKLOAD_TYPES: Record<string, string> = {
  'ecs-service:': 'ecs:service',
  'eks-cluster:': 'eks:cluster',
  'asg:': 'autoscaling:group',
};

const OUTSIDE = (side: string) => `(c.${side}_node = 'internet' OR c.${side}_node LIKE 'aws:%')`;

/** The node key of one side ('client' | 'server') at a level; t is the side's tag alias, e its ENI alias. */
function keySql(level: Level, side: 'client' | 'server'): string {
  const node = `coalesce(c.${side}_node, c.${side}_arn, 'addr:' || c.${side}_addr)`;
  const at = (col: string, prefix: string) =>
    `CASE WHEN ${OUTSIDE(side)} THEN c.${side}_node WHEN c.${side}_${col} IS NOT NULL THEN '${prefix}:' || c.${side}_${col} ELSE ${node} END`;
  const alias = side === 'client' ? 'c' : 's';
  switch (level) {
    case 'resource':
      return node;
    case 'app':
      // tagged: the tag's value; untagged: the workload (ECS service, Auto Scaling group, EKS cluster); else the resource
      return `CASE WHEN ${OUTSIDE(side)} THEN c.${side}_node WHEN t${alias}.value IS NOT NULL THEN 'app:' || t${alias}.value
        WHEN w${alias}.workload IS NOT NULL THEN w${alias}.workload ELSE ${node} END`;
    case 'security-group':
      return `CASE WHEN ${OUTSIDE(side)} THEN c.${side}_node WHEN len(coalesce(e${alias}.security_group_ids, [])) > 0
        THEN 'sg:' || array_to_string(list_sort(e${alias}.security_group_ids), '+') ELSE ${node} END`;
    case 'subnet':
      return at('subnet', 'subnet');
    case 'az':
      return at('az', 'az');
    case 'vpc':
      return at('vpc', 'vpc');
    case 'account':
      return at('account', 'account');
    case 'region':
      return at('region', 'region');
  }
}

/** Timestamps as the text DuckDB casts to TIMESTAMP (UTC). */
export function tsText(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

/** The WHERE clause of the view's filters over `conversations c`, with its parameters. */
export function filterSql(q: GraphQuery, opts: { time?: boolean } = {}): { where: string; params: SqlParams } {
  const parts: string[] = [];
  const params: SqlParams = {};
  if (opts.time !== false && q.from !== undefined) {
    parts.push('c.window_start >= $from::TIMESTAMP');
    params.from = tsText(q.from);
  }
  if (opts.time !== false && q.to !== undefined) {
    parts.push('c.window_start < $to::TIMESTAMP');
    params.to = tsText(q.to);
  }
  if (q.action === 'accept') parts.push(`c.action = 'ACCEPT'`);
  if (q.action === 'reject') parts.push(`c.action = 'REJECT'`);
  if (q.protocol !== undefined) {
    parts.push('c.protocol = $protocol::INTEGER');
    params.protocol = q.protocol;
  }
  if (q.port !== undefined) {
    parts.push('c.server_port = $port::INTEGER');
    params.port = q.port;
  }
  if (q.tag) {
    // either side carried the tag at the conversation's time (tags change: a canary is one only for a while)
    parts.push(`EXISTS (SELECT 1 FROM inv_tags ft WHERE ft.key = $fkey AND ft.value = $fval
      AND (ft.arn = c.client_arn OR ft.arn = c.server_arn) AND c.window_start >= ft.valid_from AND c.window_start < ft.valid_to)`);
    params.fkey = q.tag.key;
    params.fval = q.tag.value;
  }
  return { where: parts.length ? parts.join('\n    AND ') : 'true', params };
}

/** The node key of a transit gateway: `tgw:` and its id. */
export const TGW_PREFIX = 'tgw:';
/** The stored code of the egress path `transit-gateway` (the window tables' egress_path, 1-based into EGRESS_PATHS). */
const TGW_PATH_CODE = EGRESS_PATHS.indexOf('transit-gateway') + 1;

/**
 * One row of the source (sourceSql: by default the windows summed per segment, n conversations each) with: ck, sk (client and server
 * node keys), kind, up, down, cost, the finding flags f_alb_bypass, f_lambda_rds, f_cross_az, f_nat_endpoint, and
 * every column of the source. The flags (and by default the cost) can be left out where they are not used. `rows`
 * keys a relation of the source's columns given instead (a security-group rule's conversations, secgroups/ruleEdges.ts).
 *
 * A row that went through a transit gateway (egress path `transit-gateway`, whether a transit gateway's flow log or a
 * VPC's told it; transit-gateways.sql finds which one) is two rows, its legs, at every level: client -> `tgw:<id>`
 * (leg 1) and `tgw:<id>` -> server (leg 2), each with the row's bytes, conversations, kind and finding flags (a
 * highlighted conversation highlights both legs), its cost on leg 1 only (the conversation's cost is counted once).
 * `leg` is 0 for every other row, `tgw` the transit gateway's id or NULL. Summing bytes over the edges into a
 * transit gateway, or over those out of it, gives its conversations' bytes once.
 */
export function keyedSql(q: GraphQuery, opts: { findings?: boolean; cost?: boolean; source?: Source; only?: Only; rows?: string } = {}): { sql: string; params: SqlParams } {
  const findings = opts.findings !== false;
  const finding = findingSql(q);
  const cost = opts.cost ?? findings;
  const { where, params } = filterSql(q);
  const joins: string[] = [];
  if (q.level === 'app') {
    params.tagKey = q.tagKey;
    for (const [alias, side] of [['c', 'client'], ['s', 'server']] as const) {
      joins.push(`LEFT JOIN inv_tags t${alias} ON t${alias}.arn = c.${side}_arn AND t${alias}.key = $tagKey
      AND c.window_start >= t${alias}.valid_from AND c.window_start < t${alias}.valid_to`);
      joins.push(`LEFT JOIN (${WORKLOADS_SQL}) w${alias} ON w${alias}.arn = c.${side}_arn`);
    }
  }
  if (q.level === 'security-group') {
    for (const [alias, side] of [['c', 'client'], ['s', 'server']] as const) {
      joins.push(`LEFT JOIN inv_enis e${alias} ON e${alias}.eni_id = c.${side}_eni
      AND c.window_start >= e${alias}.valid_from AND c.window_start < e${alias}.valid_to`);
    }
  }
  const rows = `SELECT c.*,
    ${keySql(q.level, 'client')} AS ck0,
    ${keySql(q.level, 'server')} AS sk0,
    ${KIND_SQL} AS kind,
    coalesce(c.uploaded, 0)::DOUBLE AS up,
    coalesce(c.downloaded, 0)::DOUBLE AS down,
    ${cost ? costSql('c') : '0.0'} AS cost0${findings ? `,
    ${finding['alb-bypass']} AS f_alb_bypass,
    ${finding['lambda-rds-no-proxy']} AS f_lambda_rds,
    ${finding['cross-az']} AS f_cross_az,
    ${finding['nat-to-endpoint']} AS f_nat_endpoint` : ''},
    CASE WHEN c.egress_path = 'transit-gateway' THEN coalesce(tp.tgw, th.tgw) END AS tgw
  FROM ${opts.rows ?? sourceSql(q, opts.source ?? 'segments', opts.only)} c
  ${joins.join('\n  ')}
  LEFT JOIN (${TRANSIT_GATEWAYS_SQL}) tp ON c.egress_path = 'transit-gateway' AND tp.vpc_id = c.client_vpc AND tp.peer_vpc_id = c.server_vpc
  LEFT JOIN (${TRANSIT_GATEWAYS_SQL}) th ON c.egress_path = 'transit-gateway' AND th.peer_vpc_id IS NULL AND th.vpc_id = coalesce(c.client_vpc, c.server_vpc)
  WHERE ${where}`;
  // each row through a transit gateway as its two legs
  const sql = `SELECT x.* EXCLUDE (ck0, sk0, cost0),
    CASE WHEN x.leg = 2 THEN '${TGW_PREFIX}' || x.tgw ELSE x.ck0 END AS ck,
    CASE WHEN x.leg = 1 THEN '${TGW_PREFIX}' || x.tgw ELSE x.sk0 END AS sk,
    CASE WHEN x.leg = 2 THEN 0.0 ELSE x.cost0 END AS cost
  FROM (SELECT r.*, unnest(CASE WHEN r.tgw IS NULL THEN [0] ELSE [1, 2] END) AS leg FROM (${rows}) r) x`;
  return { sql, params };
}

/** The finding flags in the keyed relation, in FINDINGS order. */
export const FINDING_COLUMNS = [
  ['alb-bypass', 'f_alb_bypass'],
  ['lambda-rds-no-proxy', 'f_lambda_rds'],
  ['cross-az', 'f_cross_az'],
  ['nat-to-endpoint', 'f_nat_endpoint'],
] as const;

/**
 * Known names of node keys: resources, subnets, VPCs, security groups, an ENI that is a side of its own (no
 * owner known then: its description, unless an ARN, else the subnet it sits in), and an ECS task only its flow
 * records name (its service, else its cluster).
 */
export const NAMES_CTE = `names AS (
  SELECT r.arn AS key, coalesce(r.name, CASE WHEN e.aws_service IS NOT NULL THEN upper(e.aws_service) || ' endpoint' END, r.resource_id) AS label
  FROM inv_resources r LEFT JOIN inv_vpc_endpoints e ON e.arn = r.arn
  UNION ALL SELECT task_arn, coalesce(any_value(service_name), any_value(cluster_name)) FROM inv_record_tasks
  WHERE task_arn NOT IN (SELECT arn FROM inv_resources) GROUP BY task_arn
  UNION ALL SELECT e.eni_id, coalesce(CASE WHEN e.description <> '' AND NOT starts_with(e.description, 'arn:') THEN e.description END,
                                      'network interface in ' || coalesce(s.name, e.subnet_id))
  FROM (SELECT eni_id, any_value(description) AS description, any_value(subnet_id) AS subnet_id FROM inv_enis GROUP BY eni_id) e
  LEFT JOIN inv_subnets s ON s.subnet_id = e.subnet_id
  UNION ALL SELECT 'subnet:' || subnet_id, name FROM inv_subnets
  UNION ALL SELECT 'vpc:' || vpc_id, name FROM inv_vpcs
  UNION ALL SELECT 'sg:' || group_id, group_name FROM inv_security_groups
  UNION ALL SELECT '${TGW_PREFIX}' || g.gateway_id, arg_max(t.value, t.valid_from) FROM inv_gateways g JOIN inv_tags t ON t.arn = g.arn AND t.key = 'Name'
  WHERE g.kind = 'transit-gateway' GROUP BY g.gateway_id
)`;
