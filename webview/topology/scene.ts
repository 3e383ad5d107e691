/**
 * The drawable scene (positions, sizes, colours by role) and the theme it is painted with, plus the
 * SVG export, which is self-contained text (colours resolved from the theme at export time).
 */
import type { EdgeKind } from '../../src/protocol/topology';
import { edgeWidth, groupsOf, nodeRadius, type Change, type View } from './model';

export interface SceneNode {
  id: string;
  label: string;
  type: string;
  x: number;
  y: number;
  r: number;
  match: boolean;
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
    kinds: {
      'same-az': c.green, 'cross-az': c.orange, 'cross-region': c.purple, nat: c.yellow, igw: c.blue,
      'peering-tgw': c.cyan, endpoint: c.lines, other: c.muted, rejected: c.red,
    },
    changes: { new: c.green, vanished: c.muted, grew: c.red, shrank: c.blue },
    nodeFill: (type) =>
      type === 'internet' ? c.blue
        : type === 'aws-service' ? c.orange
          : type.startsWith('lambda') ? c.yellow
            : type.startsWith('rds') || type.startsWith('elasticache') ? c.purple
              : type.startsWith('elasticloadbalancing') ? c.cyan
                : type === 'ec2:natgateway' || type === 'gone' ? c.muted
                  : c.green,
  };
}

/** Builds the scene from the visible graph and node positions. */
export function buildScene(view: View, level: string, pos: Map<string, { x?: number; y?: number }>, selected?: string, focused?: string): Scene {
  const maxNode = Math.max(0, ...view.nodes.map((n) => n.value));
  const maxEdge = Math.max(0, ...view.edges.map((e) => e.value));
  const byId = new Map<string, SceneNode>();
  const nodes = view.nodes.map((n) => {
    const p = pos.get(n.id);
    const s: SceneNode = { id: n.id, label: n.label, type: n.type, x: p?.x ?? 0, y: p?.y ?? 0, r: nodeRadius(n.value, maxNode), match: n.match };
    byId.set(n.id, s);
    return s;
  });
  const edges: SceneEdge[] = [];
  for (const e of view.edges) {
    const s = byId.get(e.source);
    const t = byId.get(e.target);
    if (!s || !t) continue;
    const se: SceneEdge = { id: e.id, s, t, width: edgeWidth(e.value, maxEdge), kind: e.kind, highlighted: e.highlighted };
    if (e.change) se.change = e.change;
    edges.push(se);
  }
  // grouping boxes: the bounding boxes of their members, padded by nesting depth
  const boxes = new Map<string, SceneGroup>();
  const pad = { account: 36, vpc: 24, az: 12 } as const;
  for (const n of view.nodes) {
    const sn = byId.get(n.id)!;
    const g = groupsOf(n, level);
    for (const lvl of ['account', 'vpc', 'az'] as const) {
      const v = g[lvl];
      if (!v) continue;
      const key = `${lvl}:${lvl === 'az' ? `${g.vpc ?? ''}/${v}` : v}`;
      const p = pad[lvl] + sn.r;
      const b = boxes.get(key);
      if (!b) boxes.set(key, { key, level: lvl, label: v, x0: sn.x - p, y0: sn.y - p, x1: sn.x + p, y1: sn.y + p });
      else {
        b.x0 = Math.min(b.x0, sn.x - p);
        b.y0 = Math.min(b.y0, sn.y - p);
        b.x1 = Math.max(b.x1, sn.x + p);
        b.y1 = Math.max(b.y1, sn.y + p);
      }
    }
  }
  const order = { account: 0, vpc: 1, az: 2 };
  return {
    nodes,
    edges,
    groups: [...boxes.values()].sort((a, b) => order[a.level] - order[b.level]),
    byId,
    highlighting: view.edges.some((e) => e.highlighted),
    searching: view.matches.length > 0,
    comparing: view.edges.some((e) => e.change !== undefined),
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
    out.push(`<text x="${(g.x0 + 6).toFixed(1)}" y="${(g.y0 + 12).toFixed(1)}" fill="${esc(theme.muted)}">${esc(g.label)}</text></g>`);
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
    out.push(`<text x="${(n.x + n.r + 3).toFixed(1)}" y="${(n.y + 4).toFixed(1)}" fill="${esc(theme.fg)}">${esc(n.label)}</text></g>`);
  }
  out.push('</svg>');
  return out.join('\n');
}
