/**
 * Folding a map to the nodes it can show: the busiest stay, the rest go into "+N more <type>" nodes. Shared by the
 * topology host, which folds the graph before it sends it (a reply of what is drawn, not of every node), and the
 * webview, which folds a compared period's graph the same way.
 */
import type { EdgeKind, Graph, GraphEdge, GraphNode } from '../protocol/topology';
import type { FoldRequest } from '../protocol/topology';
import { TRANSIT_GATEWAY_TYPE } from '../protocol/topology';

/** Case-insensitive match of every word of the search in a node's label, id, type or kind. */
export function matchesSearch(n: GraphNode, search: string): boolean {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return false;
  const hay = `${n.label}\n${n.id}\n${n.type}\n${n.kind ?? ''}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** How many nodes the map shows before it folds the smaller ones into "+N more" nodes. */
export const MAX_NODES = 60;
export const MORE_PREFIX = 'more:';
/** How many more nodes of its type a click on a "+N more" node shows. */
export const EXPAND_STEP = 40;

const TYPE_NAMES: Record<string, [string, string]> = {
  'ecs:task': ['ECS task', 'ECS tasks'],
  'ecs:service': ['ECS service', 'ECS services'],
  'eks:pod': ['EKS pod', 'EKS pods'],
  'eks:cluster': ['EKS cluster', 'EKS clusters'],
  'ec2:instance': ['instance', 'instances'],
  'autoscaling:group': ['Auto Scaling group', 'Auto Scaling groups'],
  'lambda:function': ['Lambda function', 'Lambda functions'],
  'rds:db': ['database', 'databases'],
  'rds:cluster': ['DB cluster', 'DB clusters'],
  'rds:db-proxy': ['RDS proxy', 'RDS proxies'],
  'elasticache:cluster': ['cache', 'caches'],
  'elasticloadbalancing:loadbalancer': ['load balancer', 'load balancers'],
  'ec2:natgateway': ['NAT gateway', 'NAT gateways'],
  [TRANSIT_GATEWAY_TYPE]: ['transit gateway', 'transit gateways'],
  'ec2:vpc-endpoint': ['VPC endpoint', 'VPC endpoints'],
  'ec2:network-interface': ['network interface', 'network interfaces'],
  'ec2:elastic-ip': ['Elastic IP', 'Elastic IPs'],
  app: ['app', 'apps'],
  subnet: ['subnet', 'subnets'],
  'security-group': ['security group set', 'security group sets'],
};

/** A node type in words: "ECS task" / "ECS tasks". */
export function typeName(type: string, n = 1): string {
  const t = TYPE_NAMES[type];
  if (t) return n === 1 ? t[0] : t[1];
  const word = type.slice(type.indexOf(':') + 1).replace(/-/g, ' ');
  return n === 1 ? word : `${word}s`;
}

export interface Fold {
  /** A folded node's id -> the id of its "+N more" node. */
  into: Map<string, string>;
  /** The "+N more" nodes, with their members' ids by traffic. */
  more: Map<string, { type: string; members: string[] }>;
}

/**
 * Keeps the map at `maxNodes`: the busiest nodes (by bytes in and out) stay, the rest are folded by type
 * into one "+N more <type>" node each, whose edges carry the sum of their members'. The internet, AWS
 * services, transit gateways and the nodes in `keep` are never folded; each time a type is listed in `expanded` (a click on its
 * "+N more" node), EXPAND_STEP more of its busiest nodes come out of the fold. Deterministic:
 * ties go by id.
 */
export function planFold(nodes: readonly GraphNode[], opts: { maxNodes?: number; expanded?: readonly string[]; keep?: Iterable<string> } = {}): Fold {
  const max = opts.maxNodes ?? MAX_NODES;
  const fold: Fold = { into: new Map(), more: new Map() };
  if (nodes.length <= max) return fold;
  const keep = new Set(opts.keep ?? []);
  const byValue = (a: GraphNode, b: GraphNode) => b.bytesIn + b.bytesOut - (a.bytesIn + a.bytesOut) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
  if (opts.expanded?.length) {
    // each click on a type's "+N more": EXPAND_STEP more of its busiest nodes than the plain fold shows
    const plain = planFold(nodes, { maxNodes: max, keep });
    const clicks = new Map<string, number>();
    for (const t of opts.expanded) clicks.set(t, (clicks.get(t) ?? 0) + 1);
    for (const [type, c] of clicks) {
      const ofType = nodes.filter((x) => x.type === type).sort(byValue);
      const shown = ofType.filter((x) => !plain.into.has(x.id)).length;
      for (const n of ofType.slice(0, shown + c * EXPAND_STEP)) keep.add(n.id);
    }
  }
  // (a transit gateway too: the traffic of the VPCs it links goes through its node)
  const pinned = (n: GraphNode) => n.type === 'internet' || n.type === 'aws-service' || n.type === TRANSIT_GATEWAY_TYPE || keep.has(n.id);
  const fixed = nodes.filter(pinned);
  const rest = nodes.filter((n) => !pinned(n)).sort(byValue);
  let room = Math.max(0, max - fixed.length);
  for (;;) {
    const folded = rest.slice(room);
    const types = new Set(folded.map((n) => n.type)).size;
    if (room === 0 || room + types <= max - fixed.length) break;
    room--;
  }
  for (const n of rest.slice(room)) {
    const id = `${MORE_PREFIX}${n.type}`;
    fold.into.set(n.id, id);
    const m = fold.more.get(id) ?? fold.more.set(id, { type: n.type, members: [] }).get(id)!;
    m.members.push(n.id);
  }
  // "+1 more" would take the place the node itself takes: it stays itself
  for (const [id, m] of fold.more) {
    if (m.members.length > 1) continue;
    fold.more.delete(id);
    for (const member of m.members) fold.into.delete(member);
  }
  return fold;
}

/** The graph with the fold applied (a node of a folded type that the plan has not seen folds too). */
export function applyFold(g: Graph, fold: Fold): Graph {
  if (fold.more.size === 0) return g;
  const target = (n: GraphNode) => fold.into.get(n.id);
  const map = new Map<string, string>();
  const moreNodes = new Map<string, GraphNode>();
  const counts = new Map<string, number>();
  const nodes: GraphNode[] = [];
  for (const n of g.nodes) {
    const into = target(n);
    if (!into) {
      nodes.push(n);
      continue;
    }
    map.set(n.id, into);
    const m = moreNodes.get(into);
    if (!m) {
      const node: GraphNode = { id: into, label: '', type: n.type, kind: 'more', members: 0, bytesIn: 0, bytesOut: 0 };
      for (const f of ['account', 'vpc', 'az', 'region'] as const) if (n[f]) node[f] = n[f];
      moreNodes.set(into, node);
      nodes.push(node);
    }
    const mn = moreNodes.get(into)!;
    mn.members += n.members;
    const count = (counts.get(into) ?? 0) + 1;
    counts.set(into, count);
    mn.label = `+${count} more ${typeName(n.type, count)}`;
    mn.bytesIn += n.bytesIn;
    mn.bytesOut += n.bytesOut;
    for (const f of ['account', 'vpc', 'az', 'region'] as const) if (mn[f] !== n[f]) delete mn[f];
  }
  const edges = new Map<string, GraphEdge>();
  for (const e of g.edges) {
    const source = map.get(e.source) ?? e.source;
    const target = map.get(e.target) ?? e.target;
    if (source === target && source !== e.source) continue; // traffic inside one "+N more" node
    const id = `${source}\u2192${target}`;
    const m = edges.get(id);
    if (!m) {
      edges.set(id, { ...e, id, source, target, kinds: { ...e.kinds }, findings: [...e.findings] });
      continue;
    }
    m.up += e.up;
    m.down += e.down;
    m.bytes += e.bytes;
    m.flows += e.flows;
    m.cost += e.cost;
    for (const [k, b] of Object.entries(e.kinds) as [EdgeKind, number][]) m.kinds[k] = (m.kinds[k] ?? 0) + b;
    let best: EdgeKind = m.kind;
    for (const [k, b] of Object.entries(m.kinds) as [EdgeKind, number][]) if (b > (m.kinds[best] ?? 0)) best = k;
    m.kind = best;
    for (const f of e.findings) if (!m.findings.includes(f)) m.findings.push(f);
  }
  return { ...g, nodes, edges: [...edges.values()] };
}

/** The fold for a comparison's other period: the same "+N more" nodes, with that period's nodes of those types. */
export function extendFold(fold: Fold, other: readonly GraphNode[], shown: ReadonlySet<string>): Fold {
  if (fold.more.size === 0) return fold;
  const into = new Map(fold.into);
  for (const n of other) {
    const id = `${MORE_PREFIX}${n.type}`;
    if (!into.has(n.id) && !shown.has(n.id) && fold.more.has(id)) into.set(n.id, id);
  }
  return { into, more: fold.more };
}

/**
 * The graph as the map asks for it (FoldRequest): at most maxNodes nodes (0: all), the expanded types' busiest
 * brought out, and never folded: the nodes in `keep` and the first 20 search matches (a search finds what is
 * folded). `total` says how many nodes there were before.
 */
export function foldGraph(g: Graph, r: FoldRequest): Graph {
  const keep = [...r.keep];
  if (r.search.trim()) keep.push(...g.nodes.filter((n) => matchesSearch(n, r.search)).slice(0, 20).map((n) => n.id));
  const folded = applyFold(g, planFold(g.nodes, { maxNodes: r.maxNodes === 0 ? Infinity : r.maxNodes, expanded: r.expanded, keep }));
  return { ...folded, total: g.nodes.length };
}
