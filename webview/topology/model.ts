/**
 * The topology view's logic without the DOM: what is visible under the view's filters, search
 * matches, neighbourhoods, period comparison, keyboard navigation, formatting. Tested in Node.
 */
import type { EdgeKind, Finding, Graph, GraphEdge, GraphNode, Weight } from '../../src/protocol/topology';
import { formatBytes, formatCount, formatUsd } from '../../src/shared/numbers';

export interface ViewOptions {
  weight: Weight;
  minBytes: number;
  search: string;
  highlights: Finding[];
  focus?: { node: string; hops: number };
}

export type Change = 'new' | 'vanished' | 'grew' | 'shrank';

export interface VisibleEdge extends GraphEdge {
  value: number;
  highlighted: boolean;
  change?: Change;
}

export interface VisibleNode extends GraphNode {
  value: number;
  match: boolean;
}

export interface View {
  nodes: VisibleNode[];
  edges: VisibleEdge[];
  /** Node ids that match the search (empty search: none). */
  matches: string[];
}

export function weightOf(e: GraphEdge, w: Weight): number {
  return w === 'bytes' ? e.bytes : w === 'flows' ? e.flows : e.cost;
}

/** Case-insensitive match of every word of the search in a node's label, id, type or kind. */
export function matchesSearch(n: GraphNode, search: string): boolean {
  const words = search.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) return false;
  const hay = `${n.label}\n${n.id}\n${n.type}\n${n.kind ?? ''}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

/** Node ids within `hops` edges of `start`, in either direction. */
export function neighbourhood(edges: readonly { source: string; target: string }[], start: string, hops: number): Set<string> {
  const adj = new Map<string, string[]>();
  const link = (a: string, b: string) => {
    let l = adj.get(a);
    if (!l) adj.set(a, (l = []));
    l.push(b);
  };
  for (const e of edges) {
    link(e.source, e.target);
    link(e.target, e.source);
  }
  const seen = new Set([start]);
  let frontier = [start];
  for (let h = 0; h < hops && frontier.length; h++) {
    const next: string[] = [];
    for (const id of frontier) for (const m of adj.get(id) ?? []) if (!seen.has(m)) seen.add(m), next.push(m);
    frontier = next;
  }
  return seen;
}

/**
 * Compares the current period with another one, edge by edge: new (only now), vanished (only
 * before), grew / shrank (bytes changed by at least `ratio` times and by at least `minDelta` bytes).
 */
export function diffPeriods(
  current: readonly GraphEdge[],
  before: readonly GraphEdge[],
  opts: { ratio?: number; minDelta?: number } = {},
): { changes: Map<string, Change>; vanished: GraphEdge[] } {
  const ratio = opts.ratio ?? 2;
  const minDelta = opts.minDelta ?? 0;
  const old = new Map(before.map((e) => [e.id, e]));
  const changes = new Map<string, Change>();
  for (const e of current) {
    const o = old.get(e.id);
    if (!o) changes.set(e.id, 'new');
    else if (Math.abs(e.bytes - o.bytes) >= minDelta) {
      if (e.bytes >= o.bytes * ratio && e.bytes > o.bytes) changes.set(e.id, 'grew');
      else if (e.bytes * ratio <= o.bytes && e.bytes < o.bytes) changes.set(e.id, 'shrank');
    }
  }
  const now = new Set(current.map((e) => e.id));
  const vanished = before.filter((e) => !now.has(e.id));
  for (const e of vanished) changes.set(e.id, 'vanished');
  return { changes, vanished };
}

/**
 * What the map shows: edges at or above the minimum bytes (and inside the focus neighbourhood),
 * the nodes they touch, search matches, finding highlights and period changes. Vanished edges of a
 * comparison are shown (their nodes too) so they can be drawn as gone.
 */
export function visibleGraph(graph: Graph, opts: ViewOptions, compare?: { changes: Map<string, Change>; vanished: GraphEdge[] }): View {
  let edges: GraphEdge[] = graph.edges.filter((e) => e.bytes >= opts.minBytes);
  const extraNodes = new Map<string, GraphNode>();
  if (compare) {
    const ids = new Set(graph.nodes.map((n) => n.id));
    for (const e of compare.vanished) {
      if (e.bytes < opts.minBytes) continue;
      edges.push(e);
      for (const id of [e.source, e.target]) {
        if (!ids.has(id) && !extraNodes.has(id)) extraNodes.set(id, { id, label: id, type: 'gone', members: 0, bytesIn: 0, bytesOut: 0 });
      }
    }
  }
  if (opts.focus) {
    const keep = neighbourhood(edges, opts.focus.node, opts.focus.hops);
    edges = edges.filter((e) => keep.has(e.source) && keep.has(e.target));
  }
  const touched = new Set<string>();
  for (const e of edges) touched.add(e.source), touched.add(e.target);
  if (opts.focus) touched.add(opts.focus.node);
  const all = [...graph.nodes, ...extraNodes.values()];
  const nodes: VisibleNode[] = all
    .filter((n) => touched.has(n.id))
    .map((n) => ({ ...n, value: n.bytesIn + n.bytesOut, match: matchesSearch(n, opts.search) }));
  const hl = new Set(opts.highlights);
  return {
    nodes,
    edges: edges.map((e) => {
      const v: VisibleEdge = { ...e, value: weightOf(e, opts.weight), highlighted: e.findings.some((f) => hl.has(f)) };
      const c = compare?.changes.get(e.id);
      if (c) v.change = c;
      return v;
    }),
    matches: nodes.filter((n) => n.match).map((n) => n.id),
  };
}

/** Stroke width for an edge value on a log scale between 0.75 and 8 px. */
export function edgeWidth(value: number, max: number): number {
  if (!(value > 0) || !(max > 0)) return 0.75;
  return 0.75 + (7.25 * Math.log1p(value)) / Math.log1p(max);
}

/** Node radius from its traffic, between 4 and 18 px. */
export function nodeRadius(value: number, max: number): number {
  if (!(value > 0) || !(max > 0)) return 4;
  return 4 + (14 * Math.sqrt(value)) / Math.sqrt(max);
}

export type Direction = 'left' | 'right' | 'up' | 'down';

/**
 * Keyboard navigation: the nearest node in a direction (within a 90-degree cone), or undefined.
 * Distance along the direction counts once, sideways twice, so moving right stays on a row.
 */
export function nearestInDirection(
  points: readonly { id: string; x: number; y: number }[],
  from: { x: number; y: number },
  dir: Direction,
): string | undefined {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const p of points) {
    const dx = p.x - from.x;
    const dy = p.y - from.y;
    const [along, side] = dir === 'right' ? [dx, dy] : dir === 'left' ? [-dx, dy] : dir === 'down' ? [dy, dx] : [-dy, dx];
    if (along <= 0 || Math.abs(side) > along) continue;
    const score = along + 2 * Math.abs(side);
    if (score < bestScore) (bestScore = score), (best = p.id);
  }
  return best;
}

/** Tab order: by traffic, biggest first, then by label. */
export function tabOrder(nodes: readonly VisibleNode[]): string[] {
  return [...nodes].sort((a, b) => b.value - a.value || a.label.localeCompare(b.label)).map((n) => n.id);
}

/** The one byte formatter (src/shared/numbers.ts), shared with the notebook and the CLI. */
export { formatBytes };

export function formatValue(v: number, w: Weight): string {
  if (w === 'bytes') return formatBytes(v);
  if (w === 'cost') return formatUsd(v);
  return `${formatCount(Math.round(v))} flows`;
}

export const KIND_LABELS: Record<EdgeKind, string> = {
  'same-az': 'same AZ',
  'cross-az': 'cross-AZ',
  'cross-region': 'cross-region',
  nat: 'via NAT gateway',
  igw: 'via internet gateway',
  'peering-tgw': 'via peering / TGW',
  endpoint: 'via VPC endpoint',
  other: 'other',
  rejected: 'rejected',
};

export const FINDING_LABELS: Record<Finding, string> = {
  'alb-bypass': 'ALB bypass',
  'lambda-rds-no-proxy': 'Lambda → RDS without proxy',
  'cross-az': 'Cross-AZ',
  'nat-to-endpoint': 'NAT traffic that could use an endpoint',
};

/** The grouping box of a node at a level: account, then VPC, then AZ where the level allows. */
export function groupsOf(n: GraphNode, level: string): { account?: string; vpc?: string; az?: string } {
  if (n.type === 'internet' || n.type === 'aws-service') return {};
  const g: { account?: string; vpc?: string; az?: string } = {};
  if (level !== 'account' && level !== 'region') g.account = n.account;
  if (level !== 'account' && level !== 'region' && level !== 'vpc') g.vpc = n.vpc;
  if (level === 'resource' || level === 'subnet') g.az = n.az;
  return g;
}
