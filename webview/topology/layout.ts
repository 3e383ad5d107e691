/**
 * Layout that stays readable and fast: nodes start at deterministic positions (kept from before
 * when they were already on the map, else next to their known neighbours, else on a spiral inside
 * their group's cell), then a d3 force simulation refines them in small time slices between frames,
 * pausing while the user pans or zooms. The same input gives the same picture.
 */
import { forceCollide, forceLink, forceManyBody, forceSimulation, forceX, forceY, type Simulation, type SimulationNodeDatum } from 'd3-force';

export interface LayoutNode extends SimulationNodeDatum {
  id: string;
  group: string;
  r: number;
}
export interface LayoutLink {
  source: string | LayoutNode;
  target: string | LayoutNode;
}

export type Positions = Map<string, [number, number]>;

const GOLDEN = Math.PI * (3 - Math.sqrt(5));

/** Cell centres for groups, on a grid, bigger groups first (so the picture does not depend on order). */
export function groupCentres(groups: Map<string, number>): Map<string, { x: number; y: number; radius: number }> {
  const list = [...groups.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const cols = Math.max(1, Math.ceil(Math.sqrt(list.length)));
  const cell = Math.max(...list.map(([, n]) => 30 * Math.sqrt(n) + 60), 60) * 2;
  const out = new Map<string, { x: number; y: number; radius: number }>();
  list.forEach(([g, n], i) => {
    const col = i % cols;
    const row = Math.floor(i / cols);
    out.set(g, { x: (col - (cols - 1) / 2) * cell, y: (row - (Math.ceil(list.length / cols) - 1) / 2) * cell, radius: 30 * Math.sqrt(n) + 30 });
  });
  return out;
}

/** Starting positions: previous ones kept; new nodes beside known neighbours, else on their group's spiral. */
export function seedPositions(nodes: LayoutNode[], links: { source: string; target: string }[], prev: Positions): Positions {
  const out: Positions = new Map();
  const counts = new Map<string, number>();
  for (const n of nodes) counts.set(n.group, (counts.get(n.group) ?? 0) + 1);
  const centres = groupCentres(counts);
  const adj = new Map<string, string[]>();
  for (const l of links) {
    (adj.get(l.source) ?? adj.set(l.source, []).get(l.source)!).push(l.target);
    (adj.get(l.target) ?? adj.set(l.target, []).get(l.target)!).push(l.source);
  }
  const placedInGroup = new Map<string, number>();
  const fresh: LayoutNode[] = [];
  for (const n of nodes) {
    const p = prev.get(n.id);
    if (p) out.set(n.id, p);
    else fresh.push(n);
  }
  for (const n of fresh) {
    const known = (adj.get(n.id) ?? []).map((m) => out.get(m)).filter((p): p is [number, number] => !!p);
    const i = placedInGroup.get(n.group) ?? 0;
    placedInGroup.set(n.group, i + 1);
    if (known.length && prev.size) {
      const x = known.reduce((a, p) => a + p[0], 0) / known.length;
      const y = known.reduce((a, p) => a + p[1], 0) / known.length;
      const a = i * GOLDEN;
      out.set(n.id, [x + 25 * Math.cos(a), y + 25 * Math.sin(a)]);
    } else {
      const c = centres.get(n.group)!;
      const rr = 30 * Math.sqrt(i + 0.5);
      const a = i * GOLDEN;
      out.set(n.id, [c.x + rr * Math.cos(a), c.y + rr * Math.sin(a)]);
    }
  }
  return out;
}

/**
 * Where each group is pulled to: the centroid of its members' previous positions when it had any
 * (so a filter change does not drag groups across the map), else its cell on the grid.
 */
function anchorCentres(nodes: LayoutNode[], prev: Positions): Map<string, { x: number; y: number }> {
  const counts = new Map<string, number>();
  const sums = new Map<string, [number, number, number]>();
  for (const n of nodes) {
    counts.set(n.group, (counts.get(n.group) ?? 0) + 1);
    const p = prev.get(n.id);
    if (!p) continue;
    const s = sums.get(n.group) ?? [0, 0, 0];
    sums.set(n.group, [s[0] + p[0], s[1] + p[1], s[2] + 1]);
  }
  const grid = groupCentres(counts);
  const out = new Map<string, { x: number; y: number }>();
  for (const [g, c] of grid) {
    const s = sums.get(g);
    out.set(g, s ? { x: s[0] / s[2], y: s[1] / s[2] } : c);
  }
  return out;
}

export class Layout {
  readonly sim: Simulation<LayoutNode, LayoutLink>;
  readonly byId = new Map<string, LayoutNode>();
  private ticks = 0;
  private readonly maxTicks: number;

  constructor(nodes: LayoutNode[], links: { source: string; target: string }[], prev: Positions) {
    const start = seedPositions(nodes, links, prev);
    const reused = nodes.filter((n) => prev.has(n.id)).length;
    for (const n of nodes) {
      const p = start.get(n.id)!;
      n.x = p[0];
      n.y = p[1];
      this.byId.set(n.id, n);
    }
    const centres = anchorCentres(nodes, prev);
    const big = nodes.length > 1500;
    this.maxTicks = big ? 120 : 300;
    this.sim = forceSimulation<LayoutNode, LayoutLink>(nodes)
      .stop()
      .force('link', forceLink<LayoutNode, LayoutLink>(links.map((l) => ({ ...l }))).id((d) => d.id).distance(big ? 30 : 60).strength(big ? 0.2 : 0.5))
      .force('charge', forceManyBody<LayoutNode>().strength(big ? -20 : -160).theta(big ? 1.2 : 0.9).distanceMax(big ? 200 : 600))
      .force('x', forceX<LayoutNode>((d) => centres.get(d.group)!.x).strength(0.06))
      .force('y', forceY<LayoutNode>((d) => centres.get(d.group)!.y).strength(0.06));
    // maps people read (a few hundred nodes at most): room around every node for its label
    if (nodes.length <= 400) this.sim.force('collide', forceCollide<LayoutNode>(22).strength(0.8));
    // Mostly known nodes (a filter changed): they stay where they were, only the new ones find a place.
    if (nodes.length && reused / nodes.length >= 0.5) {
      for (const n of nodes) {
        if (prev.has(n.id)) {
          n.fx = n.x;
          n.fy = n.y;
        }
      }
      this.sim.alpha(0.5);
    }
  }

  get running(): boolean {
    return this.ticks < this.maxTicks && this.sim.alpha() > this.sim.alphaMin();
  }

  /** Advances the simulation for at most `budgetMs`; returns whether it still runs. */
  step(budgetMs: number): boolean {
    const t0 = performance.now();
    while (this.running && performance.now() - t0 < budgetMs) {
      this.sim.tick();
      this.ticks++;
    }
    return this.running;
  }

  /** Runs to the end (exports and tests). */
  settle(): void {
    while (this.running) {
      this.sim.tick();
      this.ticks++;
    }
  }

  /** Rounds every position to whole units, as they are remembered, so a map that comes back is the same to the pixel. */
  snap(): void {
    for (const n of this.byId.values()) {
      n.x = Math.round(n.x ?? 0);
      n.y = Math.round(n.y ?? 0);
    }
  }

  positions(): Positions {
    const out: Positions = new Map();
    for (const [id, n] of this.byId) out.set(id, [Math.round(n.x ?? 0), Math.round(n.y ?? 0)]);
    return out;
  }
}
