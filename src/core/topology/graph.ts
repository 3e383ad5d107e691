/**
 * The topology graph, its timeline and the details of a node or an edge, computed with SQL in the
 * dataset (see sql.ts). Every function takes a `QueryRows` function so the same code runs on a `Db`
 * in tests and the CLI, and through the extension's DuckDB child process in VS Code.
 */
import {
  EDGE_KINDS,
  type EdgeDetails,
  type EdgeKind,
  type Finding,
  type Graph,
  type GraphEdge,
  type GraphNode,
  type GraphQuery,
  type NodeDetails,
  type Peer,
  type Timeline,
  type TransitGatewayFigures,
  TRANSIT_GATEWAY_TYPE,
} from '../../protocol/topology';
import { FINDING_COLUMNS, NAMES_CTE, TGW_PREFIX, WORKLOAD_TYPES, filterSql, keyedSql, sourceSql, tsText, type SqlParams } from './sql';
import TGW_OWNERS_SQL from './transit-gateway-owners.sql';
import TGW_ATTACHMENTS_SQL from './transit-gateway-attachments.sql';

export type Row = Record<string, unknown>;
/** Runs SQL with bound parameters and returns rows as objects; an aborted signal interrupts the query. */
export type QueryRows = (sql: string, params: SqlParams, signal?: AbortSignal) => Promise<Row[]>;

export const DEFAULT_MAX_EDGES = 20_000;

const num = (x: unknown): number => (x === null || x === undefined ? 0 : Number(x));
const str = (x: unknown): string | undefined => (x === null || x === undefined ? undefined : String(x));
const strList = (x: unknown): string[] => (Array.isArray(x) ? x.filter((v) => v !== null && v !== undefined).map(String) : []);

/** A readable label for a node key when the inventory has no name for it. */
export function fallbackLabel(key: string): string {
  if (key === 'internet') return 'Internet';
  // a transit gateway with no Name tag: its id as far as its first 8 hex digits (the details give it whole)
  if (key.startsWith(TGW_PREFIX)) return `transit gateway ${key.slice(TGW_PREFIX.length, TGW_PREFIX.length + 12)}`;
  const workload = workloadOf(key);
  if (workload) return workload.name;
  if (key.startsWith('aws:')) return key.slice(4);
  if (key.startsWith('arn:')) {
    // arn:partition:service:region:account:resource-type/id or resource-type:id
    const rest = key.split(':').slice(5).join(':');
    // a load balancer's or target group's name sits before its id: loadbalancer/app/<name>/<id>, targetgroup/<name>/<id>
    const elb = /^(?:loadbalancer\/(?:app|net|gwy)\/|targetgroup\/)([^/]+)\/[^/]+$/.exec(rest);
    if (elb) return elb[1];
    const slash = rest.lastIndexOf('/');
    return slash >= 0 ? rest.slice(slash + 1) : rest.replace(/^[a-z-]+:/, '');
  }
  if (key.startsWith('sg:')) return key.slice(3).split('+').join(' + ');
  const colon = key.indexOf(':');
  return colon >= 0 ? key.slice(colon + 1) : key;
}

/** A workload key (WORKLOADS_SQL): its node type and its name (an ECS service's name without its cluster). */
export function workloadOf(key: string): { type: string; name: string; account: string; region: string } | undefined {
  const prefix = Object.keys(WORKLOAD_TYPES).find((p) => key.startsWith(p));
  if (!prefix) return undefined;
  const [account, region, ...rest] = key.slice(prefix.length).split(':');
  const name = rest.join(':');
  return { type: WORKLOAD_TYPES[prefix], name: prefix === 'ecs-service:' ? name.slice(name.indexOf('/') + 1) : name, account, region };
}

/** True for keys that stand for more than one resource at a level (an app, a workload, a subnet, ...). */
function isAggregate(key: string, level: string): boolean {
  return level !== 'resource' && !key.startsWith('arn:') && key !== 'internet' && !key.startsWith('aws:') && !key.startsWith(TGW_PREFIX);
}

/** The short id at the end of an ARN (task id, instance id), for telling apart resources with one name. */
function shortId(key: string): string | undefined {
  if (!key.startsWith('arn:')) return undefined;
  const rest = key.split(':').slice(5).join(':');
  const id = rest.slice(Math.max(rest.lastIndexOf('/'), rest.lastIndexOf(':')) + 1);
  return id.length > 10 ? id.slice(0, 8) : id;
}

/**
 * Labels that tell apart the nodes sharing a name: the AZ where those differ, then the account,
 * then the region; what is still shared gets the resource's short id (never the whole ARN or UUID).
 */
export function distinctLabels(nodes: readonly { id: string; label: string; az?: string; account?: string; region?: string }[]): Map<string, string> {
  const out = new Map(nodes.map((n) => [n.id, n.label]));
  const byLabel = new Map<string, (typeof nodes)[number][]>();
  for (const n of nodes) (byLabel.get(n.label) ?? byLabel.set(n.label, []).get(n.label)!).push(n);
  for (const [label, same] of byLabel) {
    if (same.length < 2) continue;
    const parts = new Map(same.map((n) => [n.id, [] as string[]]));
    for (const f of ['az', 'account', 'region'] as const) {
      const values = new Set(same.map((n) => n[f] ?? ''));
      if (values.size > 1) for (const n of same) if (n[f]) parts.get(n.id)!.push(n[f]!);
      const keys = new Set(same.map((n) => parts.get(n.id)!.join(' ')));
      if (keys.size === same.length) break;
    }
    const counts = new Map<string, number>();
    for (const n of same) {
      const k = parts.get(n.id)!.join(' ');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    for (const n of same) {
      const p = parts.get(n.id)!;
      if ((counts.get(p.join(' ')) ?? 0) > 1) p.push(shortId(n.id) ?? n.id.slice(n.id.indexOf(':') + 1));
      out.set(n.id, p.length ? `${label} (${p.join(', ')})` : label);
    }
  }
  return out;
}

/** The label of a key given the names the inventory knows (security-group sets are joined). */
function labelOf(key: string, names: Map<string, string>): string {
  const known = names.get(key);
  if (known) return known;
  if (key.startsWith('sg:')) {
    return key
      .slice(3)
      .split('+')
      .map((g) => names.get('sg:' + g) ?? g)
      .join(' + ');
  }
  return fallbackLabel(key);
}

/** Names for the given keys (including the members of security-group sets). */
async function namesFor(query: QueryRows, keys: Iterable<string>): Promise<Map<string, string>> {
  const wanted = new Set<string>();
  for (const k of keys) {
    wanted.add(k);
    if (k.startsWith('sg:')) for (const g of k.slice(3).split('+')) wanted.add('sg:' + g);
  }
  const names = new Map<string, string>();
  if (wanted.size === 0) return names;
  // The key list travels as one VARCHAR parameter (keys never contain a newline).
  const rows = await query(
    `WITH ${NAMES_CTE}
     SELECT key, label FROM names
     WHERE label IS NOT NULL AND key IN (SELECT unnest(string_split($keys, chr(10))))`,
    { keys: [...wanted].join('\n') },
  );
  for (const r of rows) names.set(String(r.key), String(r.label));
  return names;
}

function kindOfEdge(kinds: Partial<Record<EdgeKind, number>>): EdgeKind {
  let best: EdgeKind = 'other';
  let bestBytes = -1;
  for (const k of EDGE_KINDS) {
    const b = kinds[k];
    if (b !== undefined && b > bestBytes) {
      best = k;
      bestBytes = b;
    }
  }
  return best;
}

/** The graph at the query's level and window: nodes, edges weighted by bytes/flows/cost, findings. */
export async function topologyGraph(query: QueryRows, q: GraphQuery, opts: { maxEdges?: number } = {}): Promise<Graph> {
  const maxEdges = opts.maxEdges ?? DEFAULT_MAX_EDGES;
  // beside the other queries (each runs on a connection of its own); awaited below, its failure then reported
  const rangeP = dataRange(query, q);
  rangeP.catch(() => undefined);
  // the keyed rows once, for both the edges and the nodes: one statement, its keyed relation materialised
  const k = keyedSql(q);
  const flags = FINDING_COLUMNS.map(([, col]) => `bool_or(${col}) AS ${col}`).join(', ');
  const rows = await query(
    `WITH k AS MATERIALIZED (${k.sql}),
     e AS (SELECT ck, sk, kind, sum(up) AS up, sum(down) AS down, sum(n) AS flows, sum(cost) AS cost, ${flags}
           FROM k GROUP BY ck, sk, kind),
     t AS (SELECT ck, sk, sum(up + down) AS total FROM e GROUP BY ck, sk),
     r AS (SELECT ck, sk, row_number() OVER (ORDER BY total DESC, ck, sk) AS rn, count(*) OVER () AS n FROM t),
     s AS (
       SELECT ck AS key, coalesce(client_arn, client_node) AS member, client_type AS type, client_kind AS kind,
              client_account AS account, client_vpc AS vpc, client_az AS az, client_region AS region,
              down AS b_in, up AS b_out FROM k WHERE leg <> 2
       UNION ALL
       SELECT sk, coalesce(server_arn, server_node), server_type, server_kind,
              server_account, server_vpc, server_az, server_region, up, down FROM k WHERE leg <> 1
       UNION ALL
       -- a transit gateway once per conversation (from its first leg), in its owner's account and region, in no VPC
       SELECT sk, sk, '${TRANSIT_GATEWAY_TYPE}', 'transit-gateway', o.account, NULL, NULL, coalesce(o.region, client_region, server_region), up, down
       FROM k LEFT JOIN (${TGW_OWNERS_SQL}) o ON o.tgw = k.tgw WHERE leg = 1),
     nd AS (SELECT key, count(DISTINCT member)::DOUBLE AS members,
       arg_max(type, b_in + b_out) AS type, arg_max(kind, b_in + b_out) AS kind,
       CASE WHEN count(DISTINCT account) = 1 AND count(account) = count(*) THEN min(account) END AS account,
       CASE WHEN count(DISTINCT vpc) = 1 AND count(vpc) = count(*) THEN min(vpc) END AS vpc,
       CASE WHEN count(DISTINCT az) = 1 AND count(az) = count(*) THEN min(az) END AS az,
       CASE WHEN count(DISTINCT region) = 1 AND count(region) = count(*) THEN min(region) END AS region,
       sum(b_in) AS bytes_in, sum(b_out) AS bytes_out
     FROM s GROUP BY key)
     SELECT 'edge' AS part, e.ck, e.sk, e.kind, e.up, e.down, e.flows, e.cost, ${FINDING_COLUMNS.map(([, col]) => `e.${col}`).join(', ')}, r.n::DOUBLE AS n,
       NULL::DOUBLE AS members, NULL::VARCHAR AS node_type, NULL::VARCHAR AS node_kind, NULL::VARCHAR AS account, NULL::VARCHAR AS vpc,
       NULL::VARCHAR AS az, NULL::VARCHAR AS region, NULL::DOUBLE AS bytes_in, NULL::DOUBLE AS bytes_out
     FROM e JOIN r USING (ck, sk) WHERE r.rn <= $cap::BIGINT
     UNION ALL
     SELECT 'node', key, NULL, NULL, NULL, NULL, NULL, NULL, ${FINDING_COLUMNS.map(() => 'NULL').join(', ')}, NULL,
       members, type, kind, account, vpc, az, region, bytes_in, bytes_out FROM nd
     ORDER BY part, ck, sk, kind`,
    { ...k.params, cap: maxEdges },
  );
  const edgeRows = rows.filter((r) => r.part === 'edge');
  const nodeRows = rows.filter((r) => r.part === 'node');
  const edges = new Map<string, GraphEdge>();
  let total = 0;
  for (const r of edgeRows) {
    total = num(r.n);
    const source = String(r.ck);
    const target = String(r.sk);
    const id = `${source}\u2192${target}`;
    let e = edges.get(id);
    if (!e) {
      e = { id, source, target, up: 0, down: 0, bytes: 0, flows: 0, cost: 0, kind: 'other', kinds: {}, findings: [] };
      edges.set(id, e);
    }
    const up = num(r.up);
    const down = num(r.down);
    e.up += up;
    e.down += down;
    e.bytes += up + down;
    e.flows += num(r.flows);
    e.cost += num(r.cost);
    const kind = String(r.kind) as EdgeKind;
    e.kinds[kind] = (e.kinds[kind] ?? 0) + up + down;
    for (const [finding, col] of FINDING_COLUMNS) if (r[col] === true && !e.findings.includes(finding)) e.findings.push(finding);
  }
  for (const e of edges.values()) e.kind = kindOfEdge(e.kinds);

  const used = new Set<string>();
  for (const e of edges.values()) {
    used.add(e.source);
    used.add(e.target);
  }
  const names = await namesFor(query, used);
  const nodes: GraphNode[] = [];
  for (const r of nodeRows) {
    const id = String(r.ck);
    if (!used.has(id)) continue;
    const aggregated = isAggregate(id, q.level);
    const workload = workloadOf(id);
    const node: GraphNode = {
      id,
      label: labelOf(id, names),
      type: id === 'internet' ? 'internet' : id.startsWith('aws:') ? 'aws-service' : workload ? workload.type : aggregated ? q.level : (str(r.node_type) ?? 'unknown'),
      members: num(r.members),
      bytesIn: num(r.bytes_in),
      bytesOut: num(r.bytes_out),
    };
    const kind = aggregated ? undefined : str(r.node_kind);
    if (kind) node.kind = kind;
    for (const f of ['account', 'vpc', 'az', 'region'] as const) {
      const v = str(r[f]);
      if (v) node[f] = v;
    }
    nodes.push(node);
  }
  const labels = distinctLabels(nodes);
  for (const n of nodes) n.label = labels.get(n.id) ?? n.label;
  const range = await rangeP;
  return {
    query: q,
    nodes,
    edges: [...edges.values()],
    droppedEdges: Math.max(0, total - edges.size),
    dataFrom: range.a,
    dataTo: range.b,
  };
}

/**
 * The view's filters without what its level keys by: rows read for their times only (the data range, the timeline) need
 * not be cut where a key changes (at the security-group level every ENI's change would cut its hour for everyone).
 */
const unkeyed = (q: GraphQuery): GraphQuery => ({ ...q, level: 'resource' });

/**
 * The first and last minute with traffic under the view's filters (epoch ms), from the windows: the first and last
 * hour, then their minutes.
 */
async function dataRange(query: QueryRows, q: GraphQuery, opts: { time?: boolean } = {}): Promise<{ a: number | null; b: number | null }> {
  const f = filterSql(q, opts);
  const view = unkeyed(opts.time === false ? { ...q, from: undefined, to: undefined } : q);
  const rows = await query(
    `WITH h AS (SELECT min(c.window_start) AS a, max(c.window_start) AS b FROM ${sourceSql(view, 'windows')} c WHERE ${f.where}),
     m AS (SELECT c.window_start FROM windows_1m c, h
           WHERE (c.window_start >= h.a AND c.window_start < h.a + INTERVAL 1 hour OR c.window_start >= h.b AND c.window_start < h.b + INTERVAL 1 hour)
             AND ${f.where})
     SELECT epoch_ms(min(window_start))::DOUBLE AS a, epoch_ms(max(window_start))::DOUBLE AS b FROM m`,
    f.params,
  );
  const at = (x: unknown) => (x === null || x === undefined ? null : num(x));
  return { a: at(rows[0]?.a), b: at(rows[0]?.b) };
}

const STEPS_MIN = [1, 5, 15, 60, 180, 360, 720, 1440, 10080];

/** Bytes over time for the brush strip: the whole dataset under the view's filters except the window. */
export async function topologyTimeline(query: QueryRows, q: GraphQuery, targetBuckets = 150): Promise<Timeline> {
  const { a, b } = await dataRange(query, q, { time: false });
  if (a === null || b === null) return { step: 60_000, buckets: [] };
  const span = b - a + 60_000;
  const minutes = STEPS_MIN.find((m) => span / (m * 60_000) <= targetBuckets) ?? STEPS_MIN[STEPS_MIN.length - 1];
  const step = minutes * 60_000;
  const f = filterSql(q, { time: false });
  // a bucket of whole hours sums hours (and the minutes of the hours that change); a shorter one, minutes
  const source = minutes % 60 === 0 ? sourceSql(unkeyed({ ...q, from: undefined, to: undefined }), 'windows') : 'windows_1m';
  const rows = await query(
    `SELECT (epoch_ms(c.window_start) // $step::BIGINT * $step::BIGINT)::DOUBLE AS t,
            sum(coalesce(c.uploaded, 0) + coalesce(c.downloaded, 0))::DOUBLE AS bytes
     FROM ${source} c WHERE ${f.where} GROUP BY 1 ORDER BY 1`,
    { ...f.params, step },
  );
  return { step, buckets: rows.map((r) => ({ t: num(r.t), bytes: num(r.bytes) })) };
}

/** The details panel of a node: what it is, where it sits, its tags and its top peers each way. */
export async function topologyNodeDetails(query: QueryRows, q: GraphQuery, node: string): Promise<NodeDetails> {
  // a transit gateway's rows are the legs through it: its sides are its attachments (below), not resources
  const tgw = node.startsWith(TGW_PREFIX) ? node.slice(TGW_PREFIX.length) : undefined;
  const k = keyedSql(q, { findings: false, only: 'node', cost: tgw !== undefined });
  const params = { ...k.params, node };
  const peerRows = await query(
    `WITH k AS (${k.sql})
     SELECT CASE WHEN ck = $node THEN 'out' ELSE 'in' END AS dir, CASE WHEN ck = $node THEN sk ELSE ck END AS peer,
            sum(up + down) AS bytes, sum(n) AS flows,
            arg_max(CASE WHEN ck = $node THEN server_az ELSE client_az END, up + down) AS az,
            arg_max(CASE WHEN ck = $node THEN server_account ELSE client_account END, up + down) AS account
     FROM k WHERE ck = $node OR sk = $node GROUP BY dir, peer ORDER BY bytes DESC, peer`,
    params,
  );
  const sideRows = tgw !== undefined ? [] : await query(
    `WITH k AS (${k.sql}),
     s AS (
       SELECT coalesce(client_arn, client_node) AS member, client_eni AS eni, client_subnet AS subnet, client_az AS az,
              client_vpc AS vpc, client_account AS account, client_region AS region, client_type AS type, client_kind AS kind,
              up + down AS bytes, window_start FROM k WHERE ck = $node
       UNION ALL
       SELECT coalesce(server_arn, server_node), server_eni, server_subnet, server_az, server_vpc, server_account,
              server_region, server_type, server_kind, up + down, window_start FROM k WHERE sk = $node)
     SELECT member, sum(bytes) AS bytes, arg_max(type, bytes) AS type, arg_max(kind, bytes) AS kind,
            list(DISTINCT eni) AS enis, list(DISTINCT subnet) AS subnets, list(DISTINCT az) AS azs,
            list(DISTINCT vpc) AS vpcs, list(DISTINCT account) AS accounts, list(DISTINCT region) AS regions,
            epoch_ms(max(window_start))::DOUBLE AS last_seen
     FROM s GROUP BY member ORDER BY bytes DESC, member`,
    params,
  );
  const peersIn: Peer[] = [];
  const peersOut: Peer[] = [];
  const where = new Map<string, { az?: string; account?: string }>();
  for (const r of peerRows) {
    const list = r.dir === 'out' ? peersOut : peersIn;
    if (list.length < 10) list.push({ id: String(r.peer), label: '', bytes: num(r.bytes), flows: num(r.flows) });
    if (!isAggregate(String(r.peer), q.level)) where.set(String(r.peer), { az: str(r.az), account: str(r.account) });
  }
  const sets = { enis: new Set<string>(), subnets: new Set<string>(), azs: new Set<string>(), vpcs: new Set<string>(), accounts: new Set<string>(), regions: new Set<string>() };
  for (const r of sideRows) for (const key of Object.keys(sets) as (keyof typeof sets)[]) for (const v of strList(r[key])) sets[key].add(v);
  const members = sideRows.slice(0, 50).map((r) => ({ arn: String(r.member), label: '', bytes: num(r.bytes) }));
  const names = await namesFor(query, [node, ...peersIn.map((p) => p.id), ...peersOut.map((p) => p.id), ...members.map((m) => m.arn)]);
  // names a person knows, told apart where they repeat (ten "checkout" tasks: by AZ, then by task)
  const tellApart = (xs: { id: string; label: string }[]) => {
    const labels = distinctLabels(xs.map((x) => ({ ...x, ...where.get(x.id) })));
    for (const x of xs) x.label = labels.get(x.id) ?? x.label;
  };
  for (const p of [...peersIn, ...peersOut]) p.label = labelOf(p.id, names);
  tellApart(peersIn);
  tellApart(peersOut);
  for (const r of sideRows.slice(0, 50)) {
    const azs = strList(r.azs);
    const accounts = strList(r.accounts);
    where.set(String(r.member), { az: azs.length === 1 ? azs[0] : undefined, account: accounts.length === 1 ? accounts[0] : undefined });
  }
  const memberLabels = members.map((m) => ({ id: m.arn, label: labelOf(m.arn, names) }));
  tellApart(memberLabels);
  members.forEach((m, i) => (m.label = memberLabels[i].label));

  // Security groups of the ENIs seen in the window; tags of a single resource (or the app's tag).
  const enis = [...sets.enis];
  const sgRows = enis.length
    ? await query(
        `WITH g AS (SELECT DISTINCT unnest(security_group_ids) AS id FROM inv_enis
                    WHERE eni_id IN (SELECT unnest(string_split($enis, chr(10)))))
         SELECT g.id, sg.group_name AS name FROM g LEFT JOIN inv_security_groups sg ON sg.group_id = g.id ORDER BY g.id`,
        { enis: enis.join('\n') },
      )
    : [];
  const single = sideRows.length === 1 && String(sideRows[0].member).startsWith('arn:') ? String(sideRows[0].member) : undefined;
  const figures = tgw !== undefined ? await transitGatewayFigures(query, k.sql, params, tgw) : undefined;
  const arn = node.startsWith('arn:') ? node : (figures?.arn ?? single);
  let tags: { key: string; value: string }[] = [];
  if (arn) {
    const at = q.to !== undefined ? tsText(q.to - 1) : undefined;
    const tagRows = await query(
      `SELECT key, arg_max(value, valid_from) AS value FROM inv_tags
       WHERE arn = $arn AND ${at ? 'valid_from <= $at::TIMESTAMP AND valid_to > $at::TIMESTAMP' : 'true'}
       GROUP BY key ORDER BY key`,
      at ? { arn, at } : { arn },
    );
    tags = tagRows.map((r) => ({ key: String(r.key), value: str(r.value) ?? '' }));
  } else if (node.startsWith('app:')) {
    tags = [{ key: q.tagKey, value: node.slice(4) }];
  }
  const resource = arn && !figures
    ? (await query(`SELECT type, kind FROM inv_resources WHERE arn = $arn`, { arn }))[0]
    : undefined;
  const aggregated = isAggregate(node, q.level);
  const type = node === 'internet' ? 'internet' : node.startsWith('aws:') ? 'aws-service' : figures ? TRANSIT_GATEWAY_TYPE : workloadOf(node)?.type ?? (aggregated ? q.level
    : (str(resource?.type) ?? str(sideRows[0]?.type) ?? 'unknown'));
  const details: NodeDetails = {
    id: node,
    label: labelOf(node, names),
    type,
    accounts: [...sets.accounts].sort(),
    regions: [...sets.regions].sort(),
    vpcs: [...sets.vpcs].sort(),
    subnets: [...sets.subnets].sort(),
    azs: [...sets.azs].sort(),
    securityGroups: sgRows.map((r) => (str(r.name) ? { id: String(r.id), name: String(r.name) } : { id: String(r.id) })),
    tags,
    members: aggregated ? members : [],
    peersIn,
    peersOut,
  };
  const kind = aggregated ? undefined : figures ? 'transit-gateway' : (str(resource?.kind) ?? str(sideRows[0]?.kind));
  if (kind) details.kind = kind;
  if (arn) details.arn = arn;
  if (figures) {
    const { arn: _arn, vpcs, ...tg } = figures;
    details.transitGateway = tg;
    details.accounts = tg.account ? [tg.account] : [];
    details.regions = tg.region ? [tg.region] : [];
    details.vpcs = vpcs;
  }
  return details;
}

/**
 * A transit gateway's figures over its node's keyed rows (`keyed`, keyedSql with only 'node' and the cost): each
 * conversation once, from its first leg (the one that carries its cost), and per VPC on either side the attachment
 * there with the bytes it carried.
 */
async function transitGatewayFigures(query: QueryRows, keyed: string, params: SqlParams, tgw: string): Promise<TransitGatewayFigures & { arn?: string; vpcs: string[] }> {
  const through = `WITH k AS (${keyed}), t AS (SELECT * FROM k WHERE leg = 1 AND sk = $node)`;
  const sums = (
    await query(
      `${through}
       SELECT sum(up) AS up, sum(down) AS down, sum(n) AS flows, sum(cost) AS cost,
              sum(up + down) FILTER (WHERE cross_az) AS cross_az, sum(up + down) FILTER (WHERE cross_account) AS cross_account,
              sum(up + down) FILTER (WHERE cross_region) AS cross_region,
              (SELECT arn FROM inv_gateways WHERE gateway_id = $tgw) AS arn,
              (SELECT account FROM (${TGW_OWNERS_SQL}) WHERE tgw = $tgw) AS account,
              coalesce((SELECT region FROM (${TGW_OWNERS_SQL}) WHERE tgw = $tgw), any_value(coalesce(client_region, server_region))) AS region
       FROM t`,
      { ...params, tgw },
    )
  )[0] ?? {};
  const sides = await query(
    `${through},
     v AS (SELECT client_vpc AS vpc, client_account AS account, up + down AS bytes FROM t
           UNION ALL SELECT server_vpc, server_account, up + down FROM t)
     SELECT v.vpc, a.id, a.label, coalesce(a.account, any_value(v.account)) AS account, sum(v.bytes) AS bytes
     FROM v LEFT JOIN (${TGW_ATTACHMENTS_SQL}) a ON a.vpc = v.vpc
     GROUP BY v.vpc, a.id, a.label, a.account ORDER BY bytes DESC, v.vpc NULLS LAST`,
    { ...params, tgw },
  );
  const attachments: TransitGatewayFigures['attachments'] = sides.map((r) => {
    const vpc = str(r.vpc);
    const a: TransitGatewayFigures['attachments'][number] = {
      label: str(r.label) ?? (vpc ? `attachment in ${vpc}` : 'outside any known VPC (VPN, Direct Connect, peering)'),
      bytes: num(r.bytes),
    };
    const id = str(r.id);
    if (id) a.id = id;
    if (vpc) a.vpc = vpc;
    const account = str(r.account);
    if (account) a.account = account;
    return a;
  });
  const out: TransitGatewayFigures & { arn?: string; vpcs: string[] } = {
    id: tgw,
    up: num(sums.up),
    down: num(sums.down),
    flows: num(sums.flows),
    cost: num(sums.cost),
    crossAzBytes: num(sums.cross_az),
    crossAccountBytes: num(sums.cross_account),
    crossRegionBytes: num(sums.cross_region),
    attachments,
    vpcs: attachments.flatMap((a) => (a.vpc ? [a.vpc] : [])).sort(),
  };
  for (const f of ['account', 'region', 'arn'] as const) {
    const v = str(sums[f]);
    if (v) out[f] = v;
  }
  return out;
}

/** The details of an edge: ports and protocols, bytes each way, egress paths, cost, findings. */
export async function topologyEdgeDetails(query: QueryRows, q: GraphQuery, source: string, target: string): Promise<EdgeDetails> {
  const k = keyedSql(q, { only: 'edge' });
  const params = { ...k.params, src: source, dst: target };
  const flags = FINDING_COLUMNS.map(([, col]) => `bool_or(${col}) AS ${col}`).join(', ');
  const byPort = await query(
    `WITH k AS (${k.sql})
     SELECT protocol::DOUBLE AS protocol, server_port::DOUBLE AS port, sum(up + down) AS bytes, sum(n) AS flows
     FROM k WHERE ck = $src AND sk = $dst GROUP BY ALL ORDER BY bytes DESC, protocol, port LIMIT 20`,
    params,
  );
  const byPath = await query(
    `WITH k AS (${k.sql})
     SELECT coalesce(egress_path, 'unknown') AS path, kind, sum(up) AS up, sum(down) AS down,
            sum(n) AS flows, sum(cost) AS cost, ${flags}
     FROM k WHERE ck = $src AND sk = $dst GROUP BY ALL ORDER BY path, kind`,
    params,
  );
  const names = await namesFor(query, [source, target]);
  const paths = new Map<string, number>();
  const kinds: Partial<Record<EdgeKind, number>> = {};
  const findings: Finding[] = [];
  let up = 0;
  let down = 0;
  let flows = 0;
  let cost = 0;
  for (const r of byPath) {
    const b = num(r.up) + num(r.down);
    up += num(r.up);
    down += num(r.down);
    flows += num(r.flows);
    cost += num(r.cost);
    paths.set(String(r.path), (paths.get(String(r.path)) ?? 0) + b);
    const kind = String(r.kind) as EdgeKind;
    kinds[kind] = (kinds[kind] ?? 0) + b;
    for (const [finding, col] of FINDING_COLUMNS) if (r[col] === true && !findings.includes(finding)) findings.push(finding);
  }
  return {
    source,
    target,
    sourceLabel: labelOf(source, names),
    targetLabel: labelOf(target, names),
    up,
    down,
    flows,
    cost,
    ports: byPort.map((r) => ({
      protocol: num(r.protocol),
      port: r.port === null || r.port === undefined ? null : num(r.port),
      bytes: num(r.bytes),
      flows: num(r.flows),
    })),
    egressPaths: [...paths.entries()].map(([path, bytes]) => ({ path, bytes })).sort((a, b) => b.bytes - a.bytes || a.path.localeCompare(b.path)),
    kinds,
    findings,
  };
}
