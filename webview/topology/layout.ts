/**
 * Layout with boxes that never overlap: the nodes directly inside one box (or outside every box) are laid out by a
 * d3 force simulation of their own, then the boxes are packed inside out, each box's content in rows (inner boxes
 * side by side in name order, so AZs read a, b, c), translated as a whole. A box is the room its content needs
 * (model.groupBoxes, which the scene draws too), so sibling boxes are apart by construction and every node stays
 * in its boxes, however the forces end. Nodes start where they were (remembered per dataset and level), else next
 * to a known neighbour, else on a spiral; the simulations run in small time slices between frames. The same input
 * gives the same picture.
 */
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, type Simulation, type SimulationNodeDatum } from 'd3-force';
import { boxAround, type GroupStep } from './model';

export interface LayoutNode {
  id: string;
  r: number;
  /** The boxes it sits in, outermost first (model.groupPath); empty outside every box. */
  path: readonly GroupStep[];
}

export type Positions = Map<string, [number, number]>;

const GOLDEN = Math.PI * (3 - Math.sqrt(5));
/** Width over height the packing aims at at every level: about the map's (fixed, so the layout does not depend on the window). */
export const PACK_ASPECT = 1.6;
/** Space between boxes side by side. */
export const PACK_GAP = 14;

interface SimNode extends SimulationNodeDatum {
  id: string;
  r: number;
}
interface SimLink {
  source: string | SimNode;
  target: string | SimNode;
}

/** The nodes directly in one box (or in none), with their own force simulation. */
class Cluster {
  readonly sim: Simulation<SimNode, SimLink>;
  private ticks = 0;

  constructor(readonly nodes: SimNode[], links: { source: string; target: string }[], prev: Positions, private readonly maxTicks: number, big: boolean) {
    const ids = new Set(nodes.map((n) => n.id));
    const inner = links.filter((l) => ids.has(l.source) && ids.has(l.target) && l.source !== l.target);
    const known = nodes.filter((n) => prev.has(n.id));
    const cx = known.length ? known.reduce((a, n) => a + prev.get(n.id)![0], 0) / known.length : 0;
    const cy = known.length ? known.reduce((a, n) => a + prev.get(n.id)![1], 0) / known.length : 0;
    const start = seedPositions(nodes, inner, prev, cx, cy);
    for (const n of nodes) [n.x, n.y] = start.get(n.id)!;
    this.sim = forceSimulation<SimNode, SimLink>(nodes)
      .stop()
      .force('link', forceLink<SimNode, SimLink>(inner.map((l) => ({ ...l }))).id((d) => d.id).distance(big ? 30 : 60).strength(big ? 0.2 : 0.5))
      .force('charge', forceManyBody<SimNode>().strength(big ? -20 : -120).theta(big ? 1.2 : 0.9).distanceMax(big ? 200 : 400))
      .force('x', forceX<SimNode>(cx).strength(0.08))
      .force('y', forceY<SimNode>(cy).strength(0.08));
    // room around every node for its label (a box of a few hundred nodes at most); a small map (the default one,
    // ~30 nodes) has room to spare, so its nodes keep further apart and their labels find a free side
    if (nodes.length <= 400) {
      const room = nodes.length <= 80 ? 34 : 20;
      this.sim.force('collide', forceCollide<SimNode>((d) => Math.max(room, d.r + (nodes.length <= 80 ? 14 : 6))).strength(0.8));
    }
    // mostly known nodes (a filter changed, the map came back): they stay where they were, the new ones find a place
    if (nodes.length && known.length / nodes.length >= 0.5) {
      for (const n of known) {
        n.fx = n.x;
        n.fy = n.y;
      }
      this.sim.alpha(known.length === nodes.length ? 0 : 0.5);
    }
  }

  get running(): boolean {
    return this.ticks < this.maxTicks && this.sim.alpha() > this.sim.alphaMin();
  }

  tick(): void {
    this.sim.tick();
    this.ticks++;
  }
}

/** Starting positions: previous ones kept; new nodes beside known neighbours, else on a spiral around (cx, cy). */
export function seedPositions(nodes: readonly { id: string }[], links: readonly { source: string; target: string }[], prev: Positions, cx = 0, cy = 0): Positions {
  const out: Positions = new Map();
  const adj = new Map<string, string[]>();
  for (const l of links) {
    (adj.get(l.source) ?? adj.set(l.source, []).get(l.source)!).push(l.target);
    (adj.get(l.target) ?? adj.set(l.target, []).get(l.target)!).push(l.source);
  }
  const fresh: { id: string }[] = [];
  for (const n of nodes) {
    const p = prev.get(n.id);
    if (p) out.set(n.id, p);
    else fresh.push(n);
  }
  fresh.forEach((n, i) => {
    const known = (adj.get(n.id) ?? []).map((m) => out.get(m)).filter((p): p is [number, number] => !!p);
    const a = i * GOLDEN;
    if (known.length && prev.size) {
      const x = known.reduce((s, p) => s + p[0], 0) / known.length;
      const y = known.reduce((s, p) => s + p[1], 0) / known.length;
      out.set(n.id, [x + 25 * Math.cos(a), y + 25 * Math.sin(a)]);
    } else {
      const rr = 30 * Math.sqrt(i + 0.5);
      out.set(n.id, [cx + rr * Math.cos(a), cy + rr * Math.sin(a)]);
    }
  });
  return out;
}

/**
 * Places boxes of the given sizes in rows, in the order given, each row centred: of every number of rows, the one
 * whose bounding box fits a frame of `aspect` (width over height) at the largest scale. Returns the top-left corners.
 */
export function packRows(sizes: readonly [number, number][], aspect: number, gap: number): [number, number][] {
  return rows(sizes, aspect, gap).at;
}

/**
 * Places boxes in rows or in columns (a tall box beside a stack of small ones), in the order given, whichever fits
 * a frame of `aspect` at the larger scale.
 */
export function packBoxes(sizes: readonly [number, number][], aspect: number, gap: number): [number, number][] {
  const r = rows(sizes, aspect, gap);
  const c = rows(sizes.map(([w, h]) => [h, w]), 1 / aspect, gap);
  const score = (w: number, h: number) => Math.min(aspect / w, 1 / h);
  return score(c.height, c.width) > score(r.width, r.height) * (1 + 1e-9) ? c.at.map(([x, y]) => [y, x]) : r.at;
}

function rows(sizes: readonly [number, number][], aspect: number, gap: number): { at: [number, number][]; width: number; height: number } {
  const n = sizes.length;
  if (n === 0) return { at: [], width: 0, height: 0 };
  const total = sizes.reduce((s, [w]) => s + w, 0) + gap * (n - 1);
  const widest = Math.max(...sizes.map(([w]) => w));
  // the row widths worth trying: every run of consecutive boxes (few boxes), else the total over 1, 2, ... rows
  const limits = new Set<number>();
  if (n <= 40) {
    for (let i = 0; i < n; i++) for (let j = i, w = -gap; j < n; j++) limits.add((w += sizes[j][0] + gap));
  } else for (let k = 1; k <= n; k++) limits.add(Math.max(widest, total / k));
  let best: { score: number; rows: number[][]; width: number; height: number } | undefined;
  for (const limit of [...limits].filter((l) => l >= widest).sort((a, b) => b - a)) {
    const rows: number[][] = [[]];
    let used = 0;
    sizes.forEach(([w], i) => {
      let row = rows[rows.length - 1];
      if (row.length && used + gap + w > limit + 1e-6) {
        rows.push((row = []));
        used = 0;
      }
      used += (row.length ? gap : 0) + w;
      row.push(i);
    });
    const width = Math.max(...rows.map((r) => r.reduce((s, i) => s + sizes[i][0], 0) + gap * (r.length - 1)));
    const height = rows.reduce((s, r) => s + Math.max(...r.map((i) => sizes[i][1])), 0) + gap * (rows.length - 1);
    const score = Math.min(aspect / width, 1 / height);
    if (!best || score > best.score * (1 + 1e-9)) best = { score, rows, width, height };
  }
  const at: [number, number][] = new Array(n);
  let y = 0;
  for (const r of best!.rows) {
    let x = (best!.width - (r.reduce((s, i) => s + sizes[i][0], 0) + gap * (r.length - 1))) / 2;
    for (const i of r) {
      at[i] = [x, y];
      x += sizes[i][0] + gap;
    }
    y += Math.max(...r.map((i) => sizes[i][1])) + gap;
  }
  return { at, width: best!.width, height: best!.height };
}

/** A box (or the map itself, key ''): the cluster of its own nodes and its inner boxes. */
interface Box {
  key: string;
  label: string;
  cluster?: Cluster;
  inner: Map<string, Box>;
}

export class Layout {
  /** Where each node is drawn. */
  readonly byId = new Map<string, { x: number; y: number }>();
  private readonly clusters: Cluster[] = [];
  private readonly root: Box = { key: '', label: '', inner: new Map() };
  private readonly nodes = new Map<string, LayoutNode>();

  /** measure: the width of a box's name, as the scene measures it (boxes are as wide as their names). */
  constructor(nodes: readonly LayoutNode[], links: { source: string; target: string }[], prev: Positions, private readonly measure: (text: string) => number) {
    const big = nodes.length > 1500;
    const members = new Map<Box, SimNode[]>();
    for (const n of nodes) {
      this.nodes.set(n.id, n);
      let box = this.root;
      for (const s of n.path) {
        let next = box.inner.get(s.key);
        if (!next) box.inner.set(s.key, (next = { key: s.key, label: s.label, inner: new Map() }));
        box = next;
      }
      (members.get(box) ?? members.set(box, []).get(box)!).push({ id: n.id, r: n.r });
    }
    for (const [box, list] of members) {
      box.cluster = new Cluster(list, links, prev, big ? 120 : 300, big);
      this.clusters.push(box.cluster);
    }
    this.arrange();
  }

  get running(): boolean {
    return this.clusters.some((c) => c.running);
  }

  /** Advances the simulations for at most `budgetMs`; returns whether they still run. */
  step(budgetMs: number): boolean {
    const t0 = performance.now();
    while (this.running && performance.now() - t0 < budgetMs) for (const c of this.clusters) if (c.running) c.tick();
    this.arrange();
    return this.running;
  }

  /** Runs to the end (exports and tests). */
  settle(): void {
    while (this.running) for (const c of this.clusters) if (c.running) c.tick();
    this.arrange();
  }

  /** Rounds every position to whole units, as they are remembered, so a map that comes back is the same to the pixel. */
  snap(): void {
    for (const c of this.clusters) {
      for (const n of c.nodes) {
        n.x = Math.round(n.x ?? 0);
        n.y = Math.round(n.y ?? 0);
      }
    }
    this.arrange();
  }

  /** The radius a node was laid out with (0 when it was not). */
  radius(id: string): number {
    return this.nodes.get(id)?.r ?? 0;
  }

  /**
   * Where each node is in its own box's frame (its cluster's simulation, before the boxes are packed), as the map
   * remembers them: a node that comes back (a "+N more" expanded, a filter undone) sits where it was among its
   * box-mates however the boxes were packed meanwhile. Remembered as drawn (packed), a node folded away came back
   * in the frame of an older packing: the sample's resource map, expanded one "+N more" at a time, grew from
   * 945 x 624 to 2254 x 1378 where a fresh layout of the same 64 nodes is 956 x 644.
   */
  positions(): Positions {
    const out: Positions = new Map();
    for (const c of this.clusters) for (const n of c.nodes) out.set(n.id, [Math.round(n.x ?? 0), Math.round(n.y ?? 0)]);
    return out;
  }

  /**
   * The boxes packed inside out from their clusters' current positions (whole-unit moves, so snapped stays snapped).
   * Each box is drawn around its content as model.boxAround makes it (model.groupBoxes, which the scene draws, too).
   */
  private arrange(): void {
    type Part = { ids: string[]; rect: [number, number, number, number] };
    const place = (box: Box): Part => {
      const parts: Part[] = [];
      for (const key of [...box.inner.keys()].sort()) {
        const inner = box.inner.get(key)!;
        const p = place(inner);
        parts.push({ ids: p.ids, rect: boxAround(p.rect, inner.label, this.measure) });
      }
      if (box.cluster) {
        const c = box.cluster;
        const rect: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
        for (const n of c.nodes) {
          const x = n.x ?? 0, y = n.y ?? 0;
          const p = this.byId.get(n.id) ?? this.byId.set(n.id, { x, y }).get(n.id)!;
          p.x = x;
          p.y = y;
          rect[0] = Math.min(rect[0], x - n.r); rect[1] = Math.min(rect[1], y - n.r);
          rect[2] = Math.max(rect[2], x + n.r); rect[3] = Math.max(rect[3], y + n.r);
        }
        // outside every box, among boxes: in the middle of them (the internet and AWS services talk to all)
        parts.splice(Math.floor(parts.length / 2), 0, { ids: c.nodes.map((n) => n.id), rect });
      }
      if (parts.length > 1) {
        const at = packBoxes(parts.map((p) => [p.rect[2] - p.rect[0], p.rect[3] - p.rect[1]]), PACK_ASPECT, PACK_GAP);
        parts.forEach((p, i) => {
          const dx = Math.round(at[i][0] - p.rect[0]);
          const dy = Math.round(at[i][1] - p.rect[1]);
          for (const id of p.ids) {
            const q = this.byId.get(id)!;
            q.x += dx;
            q.y += dy;
          }
          p.rect = [p.rect[0] + dx, p.rect[1] + dy, p.rect[2] + dx, p.rect[3] + dy];
        });
      }
      const content: [number, number, number, number] = [Infinity, Infinity, -Infinity, -Infinity];
      for (const p of parts) {
        content[0] = Math.min(content[0], p.rect[0]); content[1] = Math.min(content[1], p.rect[1]);
        content[2] = Math.max(content[2], p.rect[2]); content[3] = Math.max(content[3], p.rect[3]);
      }
      return { ids: parts.flatMap((p) => p.ids), rect: content };
    };
    place(this.root);
  }
}
