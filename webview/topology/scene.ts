/**
 * The drawable scene (positions, sizes, colours by role) and the theme it is painted with, plus the
 * SVG export, which is self-contained text (colours resolved from the theme at export time).
 */
import { TRANSIT_GATEWAY_TYPE, type EdgeKind } from '../../src/protocol/topology';
import { GROUP_LABEL_X, edgeWidth, groupBoxes, groupPath, nodeRadius, type Change, type View } from './model';

export interface SceneNode {
  id: string;
  label: string;
  type: string;
  x: number;
  y: number;
  r: number;
  match: boolean;
  /** A "+N more" node (click expands it). */
  more?: boolean;
  /** The keys of the boxes it sits in, outermost first. */
  boxes?: string[];
  /** Where its label is drawn (world units, the text's anchor point), or null when it is hidden. */
  labelAt?: PlacedLabel | null;
}

export interface PlacedLabel {
  x: number;
  y: number;
  anchor: 'start' | 'middle' | 'end';
  /** The box the text occupies: x0, y0, x1, y1. */
  box: [number, number, number, number];
}

/** Label font size in world units (the map's text scales with the zoom). */
export const LABEL_PX = 11;
/** A rough text width when nothing can measure (tests): 0.62 em per character. */
export const roughMeasure = (text: string): number => text.length * LABEL_PX * 0.62;

/**
 * Collision-aware labels: in rank order (busiest first; the selected, focused and matched nodes before
 * them), each label takes the first of right, left, below, above (centred, then slid either way) and the four diagonals where it overlaps
 * no placed label and no other node (nor a node's loop); a label with no free place is hidden. So the lower-ranked label hides first.
 */
export function placeLabels(
  nodes: readonly SceneNode[],
  order: readonly string[],
  measure: (text: string) => number,
  gap = 2,
  obstacles: readonly [number, number, number, number][] = [],
): Map<string, PlacedLabel | null> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const out = new Map<string, PlacedLabel | null>();
  // a coarse grid of what is occupied, so a few hundred labels stay cheap
  const CELL = 64;
  const grid = new Map<string, number[]>();
  const cells = (b: [number, number, number, number]) => {
    const keys: string[] = [];
    for (let i = Math.floor(b[0] / CELL); i <= Math.floor(b[2] / CELL); i++) for (let j = Math.floor(b[1] / CELL); j <= Math.floor(b[3] / CELL); j++) keys.push(`${i},${j}`);
    return keys;
  };
  const boxes: { b: [number, number, number, number]; owner: string }[] = [];
  const add = (b: [number, number, number, number], owner: string) => {
    boxes.push({ b, owner });
    for (const k of cells(b)) (grid.get(k) ?? grid.set(k, []).get(k)!).push(boxes.length - 1);
  };
  for (const n of nodes) add([n.x - n.r, n.y - n.r, n.x + n.r, n.y + n.r], n.id);
  for (const b of obstacles) add(b, '');
  const free = (b: [number, number, number, number], owner: string) => {
    for (const k of cells(b)) {
      for (const i of grid.get(k) ?? []) {
        const o = boxes[i];
        if (o.owner === owner && i < nodes.length) continue; // its own circle
        if (b[0] < o.b[2] + gap && o.b[0] < b[2] + gap && b[1] < o.b[3] + gap && o.b[1] < b[3] + gap) return false;
      }
    }
    return true;
  };
  const h = LABEL_PX + 2;
  for (const id of order) {
    const n = byId.get(id);
    if (!n || out.has(id)) continue;
    const w = measure(n.label);
    const cands: PlacedLabel[] = [
      { x: n.x + n.r + 3, y: n.y + 4, anchor: 'start', box: [n.x + n.r + 3, n.y - h / 2, n.x + n.r + 3 + w, n.y + h / 2] },
      { x: n.x - n.r - 3, y: n.y + 4, anchor: 'end', box: [n.x - n.r - 3 - w, n.y - h / 2, n.x - n.r - 3, n.y + h / 2] },
      { x: n.x, y: n.y + n.r + h, anchor: 'middle', box: [n.x - w / 2, n.y + n.r + 2, n.x + w / 2, n.y + n.r + 2 + h] },
      { x: n.x, y: n.y - n.r - 5, anchor: 'middle', box: [n.x - w / 2, n.y - n.r - 2 - h, n.x + w / 2, n.y - n.r - 2] },
    ];
    // below and above, slid to start at the circle's left edge or end at its right one
    for (const [x0, anchor] of [[n.x - n.r, 'start'], [n.x + n.r - w, 'end']] as const) {
      const tx = anchor === 'start' ? x0 : x0 + w;
      cands.push({ x: tx, y: n.y + n.r + h, anchor, box: [x0, n.y + n.r + 2, x0 + w, n.y + n.r + 2 + h] });
      cands.push({ x: tx, y: n.y - n.r - 5, anchor, box: [x0, n.y - n.r - 2 - h, x0 + w, n.y - n.r - 2] });
    }
    // then the four diagonals, just off the circle
    const d = n.r * 0.7 + 2;
    for (const [sx, sy] of [[1, 1], [1, -1], [-1, 1], [-1, -1]] as const) {
      const x0 = sx > 0 ? n.x + d : n.x - d - w;
      const y0 = sy > 0 ? n.y + d : n.y - d - h;
      cands.push({ x: sx > 0 ? x0 : x0 + w, y: y0 + h - 3, anchor: sx > 0 ? 'start' : 'end', box: [x0, y0, x0 + w, y0 + h] });
    }
    const at = cands.find((c) => free(c.box, id)) ?? null;
    out.set(id, at);
    if (at) add(at.box, id);
  }
  for (const n of nodes) if (!out.has(n.id)) out.set(n.id, null);
  return out;
}
export interface SceneEdge {
  id: string;
  s: SceneNode;
  t: SceneNode;
  width: number;
  kind: EdgeKind;
  highlighted: boolean;
  change?: Change;
}
export interface SceneGroup {
  key: string;
  level: 'account' | 'vpc' | 'az';
  label: string;
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  /** Its label is left out where it would overlap a node, a node's label or another box's label. */
  labelHidden?: boolean;
}
export interface Scene {
  nodes: SceneNode[];
  edges: SceneEdge[];
  groups: SceneGroup[];
  byId: Map<string, SceneNode>;
  /** Some finding highlight is on: other edges are dimmed. */
  highlighting: boolean;
  searching: boolean;
  comparing: boolean;
  selected?: string;
  focused?: string;
}

export interface Theme {
  fg: string;
  muted: string;
  bg: string;
  focus: string;
  highlight: string;
  groupStroke: string;
  font: string;
  kinds: Record<EdgeKind, string>;
  changes: Record<Change, string>;
  nodeFill: (type: string) => string;
}

/** CSS custom properties of VS Code's theme, with fallbacks when painted outside VS Code (benchmarks). */
export const THEME_VARS = {
  fg: ['--vscode-foreground', '#cccccc'],
  muted: ['--vscode-descriptionForeground', '#9d9d9d'],
  bg: ['--vscode-editor-background', '#1e1e1e'],
  focus: ['--vscode-focusBorder', '#0078d4'],
  highlight: ['--vscode-editorWarning-foreground', '#cca700'],
  groupStroke: ['--vscode-panel-border', '#80808059'],
  green: ['--vscode-charts-green', '#89d185'],
  orange: ['--vscode-charts-orange', '#d18616'],
  purple: ['--vscode-charts-purple', '#b180d7'],
  yellow: ['--vscode-charts-yellow', '#cca700'],
  blue: ['--vscode-charts-blue', '#3794ff'],
  red: ['--vscode-charts-red', '#f14c4c'],
  cyan: ['--vscode-terminal-ansiCyan', '#29b8db'],
  lines: ['--vscode-charts-lines', '#80808080'],
  font: ['--vscode-font-family', 'sans-serif'],
} as const;

/**
 * Edge colours by how the traffic travelled: the Okabe-Ito palette, which stays distinct for the
 * common colour-vision deficiencies (cross-AZ orange and NAT blue no longer two oranges); rejected
 * traffic is also dashed. Fixed colours, chosen to read on dark and light themes alike.
 */
export const KIND_COLOURS: Record<EdgeKind, string> = {
  'same-az': '#009E73',
  'cross-az': '#E69F00',
  'cross-region': '#CC79A7',
  nat: '#0072B2',
  igw: '#56B4E9',
  'peering-tgw': '#F0E442',
  endpoint: '#A0A0A0',
  other: '#707070',
  rejected: '#D55E00',
};

/**
 * Edge colours in compare mode, used for nothing else: grew magenta, shrank violet-blue (IBM's
 * colour-blind-safe pair), new in the theme's foreground, vanished grey and dashed; unchanged edges are faint.
 */
export const CHANGE_COLOURS: Record<Exclude<Change, 'new'>, string> = {
  grew: '#DC267F',
  shrank: '#785EF0',
  vanished: '#8C8C8C',
};

/**
 * Node fills by type, with the words the legend shows: Paul Tol's "bright" scheme (distinct for
 * colour-blind readers, on dark and light themes; the theme's own chart orange and yellow are
 * near-identical on light themes). "Gone" and NAT gateways take the theme's muted colour.
 */
export const NODE_KINDS: { key: string; label: string; test: (type: string) => boolean; colour: string }[] = [
  { key: 'internet', label: 'internet', test: (t) => t === 'internet', colour: '#4477AA' },
  { key: 'aws', label: 'AWS service', test: (t) => t === 'aws-service', colour: '#EE7733' },
  { key: 'lambda', label: 'Lambda', test: (t) => t.startsWith('lambda'), colour: '#CCBB44' },
  { key: 'data', label: 'database / cache', test: (t) => t.startsWith('rds') || t.startsWith('elasticache'), colour: '#AA3377' },
  { key: 'lb', label: 'load balancer', test: (t) => t.startsWith('elasticloadbalancing'), colour: '#66CCEE' },
  { key: 'tgw', label: 'transit gateway', test: (t) => t === TRANSIT_GATEWAY_TYPE, colour: '#EE6677' },
  { key: 'gone', label: 'NAT gateway / gone', test: (t) => t === 'ec2:natgateway' || t === 'gone', colour: 'muted' },
  { key: 'compute', label: 'app, workload, instance, task', test: () => true, colour: '#228833' },
];

export function nodeKindOf(type: string): (typeof NODE_KINDS)[number] {
  return NODE_KINDS.find((k) => k.test(type))!;
}

export function readTheme(get: (name: string) => string): Theme {
  const v = (k: keyof typeof THEME_VARS) => get(THEME_VARS[k][0]).trim() || THEME_VARS[k][1];
  const c = {
    green: v('green'), orange: v('orange'), purple: v('purple'), yellow: v('yellow'), blue: v('blue'), red: v('red'), cyan: v('cyan'),
    lines: v('lines'), muted: v('muted'),
  };
  return {
    fg: v('fg'),
    muted: c.muted,
    bg: v('bg'),
    focus: v('focus'),
    highlight: v('highlight'),
    groupStroke: v('groupStroke'),
    font: v('font'),
    kinds: { ...KIND_COLOURS },
    changes: { ...CHANGE_COLOURS, new: v('fg') },
    nodeFill: (type) => {
      const k = nodeKindOf(type).colour;
      return k === 'muted' ? c.muted : k;
    },
  };
}

/** Up to this many nodes labels are placed without collisions (beyond, the canvas labels by zoom). */
export const LABEL_PLACEMENT_MAX = 1500;

/** Builds the scene from the visible graph and node positions. */
export function buildScene(
  view: View,
  level: string,
  pos: Map<string, { x?: number; y?: number }>,
  selected?: string,
  focused?: string,
  measure: ((text: string) => number) | null = roughMeasure,
): Scene {
  const maxNode = Math.max(0, ...view.nodes.map((n) => n.value));
  const maxEdge = Math.max(0, ...view.edges.map((e) => e.value));
  const byId = new Map<string, SceneNode>();
  const nodes = view.nodes.map((n) => {
    const p = pos.get(n.id);
    const s: SceneNode = { id: n.id, label: n.label, type: n.type, x: p?.x ?? 0, y: p?.y ?? 0, r: nodeRadius(n.value, maxNode), match: n.match };
    if (n.kind === 'more') s.more = true;
    byId.set(n.id, s);
    return s;
  });
  if (measure && nodes.length <= LABEL_PLACEMENT_MAX) {
    // rank: the selected and focused node, search matches, then by traffic
    const value = new Map(view.nodes.map((n) => [n.id, n.value]));
    const first = (n: SceneNode) => (n.id === selected || n.id === focused ? 0 : n.match ? 1 : 2);
    const order = [...nodes].sort((a, b) => first(a) - first(b) || (value.get(b.id) ?? 0) - (value.get(a.id) ?? 0) || (a.id < b.id ? -1 : 1)).map((n) => n.id);
    // a node's loop (traffic between its own members) is drawn above and right of it: labels keep off it
    const loops = view.edges.filter((e) => e.source === e.target).map((e) => byId.get(e.source)).filter((n): n is SceneNode => !!n)
      .map((n): [number, number, number, number] => [n.x, n.y - 2 * n.r - 1, n.x + 2 * n.r + 1, n.y]);
    const placed = placeLabels(nodes, order, measure, 2, loops);
    for (const n of nodes) n.labelAt = placed.get(n.id) ?? null;
  }
  const edges: SceneEdge[] = [];
  for (const e of view.edges) {
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    if (!s || !t) continue;
    const se: SceneEdge = { id: e.id, s, t, width: edgeWidth(e.value, maxEdge), kind: e.kind, highlighted: e.highlighted };
    if (e.change) se.change = e.change;
    edges.push(se);
  }
  // grouping boxes: around their members' circles and their inner boxes (groupBoxes, the layout packs by them)
  const paths = view.nodes.map((n) => ({ ...byId.get(n.id)!, path: groupPath(n, level) }));
  for (const p of paths) if (p.path.length) byId.get(p.id)!.boxes = p.path.map((s) => s.key);
  const groups: SceneGroup[] = [...groupBoxes(paths, measure ?? roughMeasure).values()]
    .sort((a, b) => a.depth - b.depth || (a.key < b.key ? -1 : 1))
    .map((b) => ({ key: b.key, level: b.level, label: b.label, x0: b.x0, y0: b.y0, x1: b.x1, y1: b.y1 }));
  if (measure && nodes.some((n) => n.labelAt !== undefined)) {
    // box labels rank below node labels: drawn only where they collide with nothing already there
    const taken: [number, number, number, number][] = [];
    for (const n of nodes) {
      taken.push([n.x - n.r, n.y - n.r, n.x + n.r, n.y + n.r]);
      if (n.labelAt) taken.push(n.labelAt.box);
    }
    for (const g of groups) {
      const b: [number, number, number, number] = [g.x0 + GROUP_LABEL_X, g.y0 + 1, g.x0 + GROUP_LABEL_X + measure(g.label), g.y0 + 15];
      if (taken.some((o) => b[0] < o[2] + 2 && o[0] < b[2] + 2 && b[1] < o[3] + 2 && o[1] < b[3] + 2)) g.labelHidden = true;
      else taken.push(b);
    }
  }
  return {
    nodes,
    edges,
    groups,
    byId,
    highlighting: view.edges.some((e) => e.highlighted),
    searching: view.matches.length > 0,
    comparing: view.comparing ?? view.edges.some((e) => e.change !== undefined),
    selected,
    focused,
  };
}

export function edgeColour(e: SceneEdge, scene: Scene, theme: Theme): string {
  if (scene.comparing) return e.change ? theme.changes[e.change] : theme.muted;
  return theme.kinds[e.kind];
}

/** 0..1 opacity of an edge under the current highlight/search/selection. */
export function edgeAlpha(e: SceneEdge, scene: Scene): number {
  if (scene.highlighting) return e.highlighted ? 1 : 0.12;
  if (scene.comparing) return e.change ? 0.95 : 0.2;
  if (scene.selected && scene.byId.has(scene.selected)) return e.s.id === scene.selected || e.t.id === scene.selected ? 1 : 0.25;
  if (scene.searching) return e.s.match || e.t.match ? 0.9 : 0.2;
  return 0.7;
}

export function nodeAlpha(n: SceneNode, scene: Scene): number {
  if (scene.searching) return n.match ? 1 : 0.3;
  return 1;
}

/** Where an edge starts and ends: on the circles' rims, the end pulled back for the arrow head. */
export function edgeEnds(e: SceneEdge): [number, number, number, number] {
  const dx = e.t.x - e.s.x;
  const dy = e.t.y - e.s.y;
  const d = Math.hypot(dx, dy) || 1;
  const ux = dx / d;
  const uy = dy / d;
  return [e.s.x + ux * e.s.r, e.s.y + uy * e.s.r, e.t.x - ux * (e.t.r + 2), e.t.y - uy * (e.t.r + 2)];
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The scene as a standalone SVG document (the export), framed to its content. */
export function sceneToSvg(scene: Scene, theme: Theme): string {
  const xs = [...scene.nodes.map((n) => n.x - n.r), ...scene.groups.map((g) => g.x0)];
  const ys = [...scene.nodes.map((n) => n.y - n.r), ...scene.groups.map((g) => g.y0)];
  const xe = [...scene.nodes.map((n) => n.x + n.r + 120), ...scene.groups.map((g) => g.x1)];
  const ye = [...scene.nodes.map((n) => n.y + n.r + 16), ...scene.groups.map((g) => g.y1)];
  const x0 = Math.floor(Math.min(0, ...xs)) - 10;
  const y0 = Math.floor(Math.min(0, ...ys)) - 24;
  const w = Math.ceil(Math.max(0, ...xe)) + 10 - x0;
  const h = Math.ceil(Math.max(0, ...ye)) + 10 - y0;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="${x0} ${y0} ${w} ${h}" width="${w}" height="${h}" font-family="${esc(theme.font)}" font-size="11">`);
  out.push(`<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="${esc(theme.bg)}"/>`);
  const kinds = new Set(scene.edges.map((e) => edgeColour(e, scene, theme)));
  out.push('<defs>');
  let i = 0;
  const markers = new Map<string, string>();
  for (const c of kinds) {
    const id = `a${i++}`;
    markers.set(c, id);
    out.push(`<marker id="${id}" viewBox="0 -4 8 8" refX="8" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto"><path d="M0,-4L8,0L0,4" fill="${esc(c)}"/></marker>`);
  }
  out.push('</defs>');
  for (const g of scene.groups) {
    out.push(`<g class="group ${g.level}"><rect x="${g.x0.toFixed(1)}" y="${g.y0.toFixed(1)}" width="${(g.x1 - g.x0).toFixed(1)}" height="${(g.y1 - g.y0).toFixed(1)}" rx="6" fill="none" stroke="${esc(theme.groupStroke)}" stroke-dasharray="${g.level === 'az' ? '4 3' : 'none'}"/>`);
    out.push(g.labelHidden ? '</g>' : `<text x="${(g.x0 + GROUP_LABEL_X).toFixed(1)}" y="${(g.y0 + 12).toFixed(1)}" fill="${esc(theme.muted)}">${esc(g.label)}</text></g>`);
  }
  for (const e of scene.edges) {
    const [ax, ay, bx, by] = edgeEnds(e);
    const c = edgeColour(e, scene, theme);
    const dash = e.kind === 'rejected' || e.change === 'vanished' ? ' stroke-dasharray="5 3"' : '';
    const self = e.s === e.t;
    const d = self ? `M${e.s.x},${e.s.y - e.s.r}a${e.s.r},${e.s.r} 0 1,1 ${e.s.r},${e.s.r}` : `M${ax.toFixed(1)},${ay.toFixed(1)}L${bx.toFixed(1)},${by.toFixed(1)}`;
    out.push(`<path d="${d}" stroke="${esc(c)}" stroke-width="${(e.highlighted ? e.width + 2 : e.width).toFixed(2)}" opacity="${edgeAlpha(e, scene)}" fill="none"${dash} marker-end="url(#${markers.get(c)})"/>`);
  }
  for (const n of scene.nodes) {
    out.push(`<g class="node"><circle cx="${n.x.toFixed(1)}" cy="${n.y.toFixed(1)}" r="${n.r.toFixed(1)}" fill="${esc(theme.nodeFill(n.type))}" fill-opacity="${nodeAlpha(n, scene)}" stroke="${esc(n.match || n.id === scene.selected ? theme.focus : theme.bg)}" stroke-width="${n.match || n.id === scene.selected ? 3 : 1}"/>`);
    const l = n.labelAt === undefined ? { x: n.x + n.r + 3, y: n.y + 4, anchor: 'start' } : n.labelAt;
    out.push(l ? `<text x="${l.x.toFixed(1)}" y="${l.y.toFixed(1)}" text-anchor="${l.anchor}" fill="${esc(theme.fg)}">${esc(n.label)}</text></g>` : '</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
