/**
 * The topology view's logic without the DOM: what is visible under the view's filters, search
 * matches, neighbourhoods, period comparison, keyboard navigation, formatting. Tested in Node.
 */
import type { EdgeKind, Finding, FoldRequest, Graph, GraphEdge, GraphNode, Weight } from '../../src/protocol/topology';
import { formatBytes, formatCount, formatUsd } from '../../src/shared/numbers';
import { MAX_NODES, matchesSearch } from '../../src/shared/fold';

export { EXPAND_STEP, MAX_NODES, MORE_PREFIX, applyFold, extendFold, foldGraph, matchesSearch, planFold, typeName, type Fold } from '../../src/shared/fold';

export interface ViewOptions {
  weight: Weight;
  minBytes: number;
  search: string;
  highlights: Finding[];
  focus?: { node: string; hops: number };
  /** The edge ids a selected security-group rule carried: these are highlighted instead of the findings. */
  ruleEdges?: ReadonlySet<string>;
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
  /** A period comparison is on: edges are coloured by change only. */
  comparing?: boolean;
}

export function weightOf(e: GraphEdge, w: Weight): number {
  return w === 'bytes' ? e.bytes : w === 'flows' ? e.flows : e.cost;
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
export function visibleGraph(graph: Graph, opts: ViewOptions, compare?: { changes: Map<string, Change>; vanished: GraphEdge[]; nodes?: readonly GraphNode[] }): View {
  let edges: GraphEdge[] = graph.edges.filter((e) => e.bytes >= opts.minBytes);
  const extraNodes = new Map<string, GraphNode>();
  if (compare) {
    const ids = new Set(graph.nodes.map((n) => n.id));
    for (const e of compare.vanished) {
      if (e.bytes < opts.minBytes) continue;
      edges.push(e);
      for (const id of [e.source, e.target]) {
        if (!ids.has(id) && !extraNodes.has(id)) {
          const before = compare.nodes?.find((n) => n.id === id);
          extraNodes.set(id, { id, label: before?.label ?? id, type: 'gone', members: 0, bytesIn: 0, bytesOut: 0 });
        }
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
      const highlighted = opts.ruleEdges ? opts.ruleEdges.has(e.id) : e.findings.some((f) => hl.has(f));
      const v: VisibleEdge = { ...e, value: weightOf(e, opts.weight), highlighted };
      const c = compare?.changes.get(e.id);
      if (c) v.change = c;
      return v;
    }),
    matches: nodes.filter((n) => n.match).map((n) => n.id),
    ...(compare ? { comparing: true } : {}),
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

/** Before, after and the change in percent (null when there was nothing before). */
export function changeOf(before: number, after: number): { before: number; after: number; pct: number | null } {
  return { before, after, pct: before > 0 ? ((after - before) / before) * 100 : null };
}

export function formatPct(pct: number | null): string {
  if (pct === null) return 'new';
  const r = Math.abs(pct) >= 10 ? Math.round(pct) : Math.round(pct * 10) / 10;
  return `${r > 0 ? '+' : ''}${r} %`;
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
  // an app or a workload spans subnets, AZs and often VPCs: no boxes (they would only overlap)
  if (n.type === 'internet' || n.type === 'aws-service' || level === 'app') return {};
  const g: { account?: string; vpc?: string; az?: string } = {};
  if (level !== 'account' && level !== 'region') g.account = n.account;
  if (level !== 'account' && level !== 'region' && level !== 'vpc') g.vpc = n.vpc;
  if (level === 'resource' || level === 'subnet') g.az = n.az;
  return g;
}

/** One box a node sits in. Its key names the whole path down to it, so two boxes never share a key. */
export interface GroupStep {
  level: 'account' | 'vpc' | 'az';
  key: string;
  label: string;
}

/** The boxes a node sits in at a level, outermost first (account, VPC, AZ: those groupsOf gives it). */
export function groupPath(n: GraphNode, level: string): GroupStep[] {
  const g = groupsOf(n, level);
  const out: GroupStep[] = [];
  let key = '';
  for (const lvl of ['account', 'vpc', 'az'] as const) {
    const v = g[lvl];
    if (!v) continue;
    key = `${key}${key ? '/' : ''}${lvl}:${v}`;
    out.push({ level: lvl, key, label: v });
  }
  return out;
}

/** Room around a box's content on every side, and above it for the box's name. */
export const GROUP_PAD = 10;
export const GROUP_HEADER = 14;
/** A box's name starts this far right of its left edge. */
export const GROUP_LABEL_X = 6;

export interface GroupBox {
  key: string;
  level: GroupStep['level'];
  label: string;
  /** 0 for the outermost boxes. */
  depth: number;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

/** A box around its content (x0, y0, x1, y1): padded, a header above for its name, at least as wide as its name. */
export function boxAround(c: readonly [number, number, number, number], label: string, measure: (text: string) => number): [number, number, number, number] {
  const x0 = c[0] - GROUP_PAD;
  return [x0, c[1] - GROUP_PAD - GROUP_HEADER, Math.max(c[2] + GROUP_PAD, x0 + GROUP_LABEL_X + measure(label) + GROUP_PAD), c[3] + GROUP_PAD];
}

/**
 * The boxes of a map, inside out: a box holds its own nodes' circles and its inner boxes, with GROUP_PAD around
 * them and GROUP_HEADER more above for its name, and at least as wide as its name. The scene draws these, and the layout packs by them, so boxes it
 * keeps apart are drawn apart.
 */
export function groupBoxes(
  items: Iterable<{ x: number; y: number; r: number; path: readonly GroupStep[] }>,
  measure: (text: string) => number,
): Map<string, GroupBox> {
  const boxes = new Map<string, GroupBox>();
  const parent = new Map<string, string | undefined>();
  const grow = (b: GroupBox, x0: number, y0: number, x1: number, y1: number) => {
    b.x0 = Math.min(b.x0, x0); b.y0 = Math.min(b.y0, y0); b.x1 = Math.max(b.x1, x1); b.y1 = Math.max(b.y1, y1);
  };
  for (const n of items) {
    n.path.forEach((s, depth) => {
      if (!boxes.has(s.key)) {
        boxes.set(s.key, { key: s.key, level: s.level, label: s.label, depth, x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity });
        parent.set(s.key, depth ? n.path[depth - 1].key : undefined);
      }
    });
    const inner = n.path[n.path.length - 1];
    if (inner) grow(boxes.get(inner.key)!, n.x - n.r, n.y - n.r, n.x + n.r, n.y + n.r);
  }
  for (const b of [...boxes.values()].sort((a, c) => c.depth - a.depth)) {
    [b.x0, b.y0, b.x1, b.y1] = boxAround([b.x0, b.y0, b.x1, b.y1], b.label, measure);
    const p = parent.get(b.key);
    if (p) grow(boxes.get(p)!, b.x0, b.y0, b.x1, b.y1);
  }
  return boxes;
}

// ------------------------------------------------------------------------------------------ folding

/**
 * The fold the view asks the host for: its node budget (ViewState.maxNodes: 60 unless set, 0 all), its expanded
 * types, its search (the first 20 matches are never folded), and the focused and the selected node, never folded;
 * nor, as far as the protocol's 100 allow, the nodes of a selected rule's edges (`also`).
 */
export function foldRequest(v: { maxNodes?: number; expanded?: string[]; search: string; focus?: { node: string }; selection?: { type: string; id: string } }, also: readonly string[] = []): FoldRequest {
  const keep = [...new Set([v.focus?.node, v.selection?.type === 'node' ? v.selection.id : undefined, ...also].filter((x): x is string => !!x))].slice(0, 100);
  return { maxNodes: v.maxNodes ?? MAX_NODES, expanded: v.expanded ?? [], search: v.search, keep };
}
