/**
 * Paints a scene: SVG for small graphs (crisp, one element per node for accessibility and tests), canvas for
 * large ones (batched paths by colour), and for big ones the pixels written by a raster of our own (raster.ts),
 * cheap enough to redraw every frame of a gesture; were a paint slower than REDRAW_MS, the gesture moves the last
 * frame as a bitmap and repaints crisp when it pauses. Pan and zoom by d3-zoom.
 */
import { select, type Selection } from 'd3-selection';
import { zoom as d3zoom, zoomIdentity, type ZoomBehavior, type ZoomTransform } from 'd3-zoom';
import { GROUP_LABEL_X } from './model';
import { Raster, parseColour } from './raster';
import { edgeAlpha, edgeColour, edgeEnds, nodeAlpha, type Scene, type SceneEdge, type Theme } from './scene';

export const SVG_MAX_NODES = 400;
export const SVG_MAX_EDGES = 1500;

export interface GraphHandlers {
  onNode(id: string): void;
  onEdge(id: string): void;
  onBackground(): void;
  /** byUser: a wheel, drag or key, not a programmatic move. */
  onZoom(t: { x: number; y: number; k: number }, byUser: boolean): void;
  /** A gesture started or ended (the layout pauses meanwhile). */
  onInteracting(active: boolean): void;
  /** The map's box changed size (a panel opened, the editor was resized). */
  onResize?(): void;
  /** The pointer is over an edge (or left it): its id and the pointer's position in the map. */
  onHoverEdge?(id: string | null, x: number, y: number): void;
}

const SVGNS = 'http://www.w3.org/2000/svg';

export class GraphView {
  mode: 'svg' | 'canvas' = 'svg';
  private scene: Scene | undefined;
  private transform: ZoomTransform = zoomIdentity;
  private readonly canvas: HTMLCanvasElement;
  private readonly svg: SVGSVGElement;
  private readonly root: SVGGElement;
  private readonly zoomer: ZoomBehavior<HTMLElement, unknown>;
  /** The transform the canvas content was painted with (a gesture moves that picture by CSS). */
  private paintedTransform: ZoomTransform = zoomIdentity;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private frame = 0;
  private svgKey = '';
  /** Frames painted and the time of the last full paint (the benchmark reads them). */
  painted = 0;
  lastPaintMs = 0;
  firstPaintAt = 0;
  /** Frames of a gesture that moved the last picture instead of painting. */
  moved = 0;
  /** Edges the last canvas paint drew (the level of detail may leave the lightest out). */
  drawnEdges = 0;
  /** When the first frame with the graph was on screen: the next frame's start after the one that painted it. */
  firstShownAt = 0;
  /** Benchmark only: a crisp repaint on every frame of a gesture instead of moving the last picture. */
  repaintEveryFrame = false;

  constructor(private readonly host: HTMLElement, private readonly theme: () => Theme, private readonly handlers: GraphHandlers) {
    this.canvas = document.createElement('canvas');
    this.canvas.className = 'graph-canvas';
    this.svg = document.createElementNS(SVGNS, 'svg');
    this.svg.setAttribute('class', 'graph-svg');
    this.svg.setAttribute('role', 'img');
    this.root = document.createElementNS(SVGNS, 'g');
    this.svg.appendChild(this.root);
    host.append(this.canvas, this.svg);
    this.zoomer = d3zoom<HTMLElement, unknown>()
      .scaleExtent([0.02, 8])
      .on('start', () => this.gesture(true))
      .on('zoom', (ev: { transform: ZoomTransform; sourceEvent?: Event | null }) => {
        this.transform = ev.transform;
        this.handlers.onZoom({ x: ev.transform.x, y: ev.transform.y, k: ev.transform.k }, !!ev.sourceEvent);
        this.onTransform(!!ev.sourceEvent);
      })
      .on('end', () => this.gesture(false));
    select(host).call(this.zoomer).on('dblclick.zoom', null);
    host.addEventListener('click', (ev) => this.click(ev));
    host.addEventListener('mousemove', (ev) => this.hover(ev));
    host.addEventListener('mouseleave', () => this.handlers.onHoverEdge?.(null, 0, 0));
    new ResizeObserver(() => {
      this.resize();
      this.handlers.onResize?.();
    }).observe(host);
    this.resize();
  }

  private gesture(active: boolean): void {
    this.handlers.onInteracting(active);
    const s = this.scene;
    if (!active) this.scheduleCrisp(s && s.edges.length + s.nodes.length > BIG_MAP ? 400 : 0);
  }

  private resize(): void {
    const dpr = window.devicePixelRatio || 1;
    const w = this.host.clientWidth;
    const h = this.host.clientHeight;
    this.canvas.width = Math.max(1, Math.floor(w * dpr));
    this.canvas.height = Math.max(1, Math.floor(h * dpr));
    this.canvas.style.width = `${w}px`;
    this.canvas.style.height = `${h}px`;
    this.svg.setAttribute('width', String(w));
    this.svg.setAttribute('height', String(h));
    this.redraw();
  }

  setScene(scene: Scene): void {
    this.scene = scene;
    const mode = scene.nodes.length > SVG_MAX_NODES || scene.edges.length > SVG_MAX_EDGES ? 'canvas' : 'svg';
    this.mode = mode;
    this.canvas.style.display = mode === 'canvas' ? 'block' : 'none';
    this.svg.style.display = mode === 'svg' ? 'block' : 'none';
    this.host.dataset.mode = mode;
    if (mode === 'svg') {
      const key = `${scene.nodes.map((n) => n.id).join('\n')}\u0000${scene.edges.map((e) => e.id).join('\n')}\u0000${scene.groups.map((g) => g.key).join('\n')}`;
      if (key !== this.svgKey) {
        this.svgKey = key;
        this.buildSvg();
      } else {
        const root = select(this.root);
        root.selectAll('g.node').data(scene.nodes);
        root.selectAll('g.edge').data(scene.edges);
        root.selectAll('g.group').data(scene.groups);
      }
    } else this.svgKey = '';
    this.redraw();
  }

  /** The theme changed: rebuild what holds colours. */
  restyle(): void {
    this.svgKey = '';
    if (this.scene) this.setScene(this.scene);
  }

  getTransform(): { x: number; y: number; k: number } {
    return { x: this.transform.x, y: this.transform.y, k: this.transform.k };
  }

  setTransform(t: { x: number; y: number; k: number }): void {
    select(this.host).call(this.zoomer.transform, zoomIdentity.translate(t.x, t.y).scale(t.k));
  }

  /** Pans/zooms by a step (keyboard, benchmark). */
  zoomBy(k: number, panX = 0, panY = 0): void {
    const t = this.transform;
    const cx = this.host.clientWidth / 2;
    const cy = this.host.clientHeight / 2;
    const nk = Math.min(8, Math.max(0.02, t.k * k));
    const nx = cx - ((cx - t.x) / t.k) * nk + panX;
    const ny = cy - ((cy - t.y) / t.k) * nk + panY;
    this.setTransform({ x: nx, y: ny, k: nk });
  }

  /** Frames the whole scene. */
  fit(): void {
    const s = this.scene;
    if (!s || s.nodes.length === 0) return;
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const n of s.nodes) {
      x0 = Math.min(x0, n.x - n.r); y0 = Math.min(y0, n.y - n.r);
      x1 = Math.max(x1, n.x + n.r); y1 = Math.max(y1, n.y + n.r);
      if (n.labelAt) {
        x0 = Math.min(x0, n.labelAt.box[0]); y0 = Math.min(y0, n.labelAt.box[1]);
        x1 = Math.max(x1, n.labelAt.box[2]); y1 = Math.max(y1, n.labelAt.box[3]);
      }
    }
    for (const g of s.groups) {
      x0 = Math.min(x0, g.x0); y0 = Math.min(y0, g.y0); x1 = Math.max(x1, g.x1); y1 = Math.max(y1, g.y1);
    }
    const w = this.host.clientWidth || 800;
    const h = this.host.clientHeight || 600;
    const k = Math.min(2, 0.94 * Math.min(w / (x1 - x0 + 24), h / (y1 - y0 + 24)));
    this.setTransform({ x: w / 2 - ((x0 + x1) / 2) * k, y: h / 2 - ((y0 + y1) / 2) * k, k });
  }

  /** Screen position of a node (keyboard focus, scrolling it into view). */
  toScreen(x: number, y: number): [number, number] {
    return this.transform.apply([x, y]);
  }

  /** Positions changed (layout tick) or the look changed: repaint on the next frame. */
  redraw(): void {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.paint();
    });
  }

  private onTransform(byUser: boolean): void {
    if (this.mode === 'svg') {
      this.root.setAttribute('transform', this.transform.toString());
      this.painted++;
      return;
    }
    const s = this.scene;
    const t = this.transform;
    // a big map whose last paint was too slow to repeat every frame (the raster's was not, or not the raster)
    const slow = !(this.rastered && Math.min(...this.recentPaintMs) <= REDRAW_MS);
    const big = !!s && s.edges.length + s.nodes.length > BIG_MAP && slow && !this.repaintEveryFrame;
    // (by input event rather than between d3's start/end: overlapping wheel and drag gestures end early)
    if (big && byUser) {
      // move the last picture on the compositor; repaint crisp when the gesture pauses
      const p = this.paintedTransform;
      const r = t.k / p.k;
      this.canvas.style.transform = `matrix(${r},0,0,${r},${t.x - r * p.x},${t.y - r * p.y})`;
      this.moved++;
      this.scheduleCrisp(400);
    } else {
      if (byUser && this.rastered) {
        // redrawn now with the gesture's level of detail, and whole once it pauses
        this.movedAt = performance.now();
        this.scheduleCrisp(MOVING_MS + 20);
      }
      this.redraw();
    }
  }

  private scheduleCrisp(ms: number): void {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => this.redraw(), ms);
  }

  /** The big map's pixels (rasterScene) and the image that puts them on the canvas; remade when the canvas is resized. */
  private raster: Raster | undefined;
  private image: ImageData | undefined;
  /** Whether the last paint was the big map's raster: one cheap enough to repeat on every frame of a gesture. */
  private rastered = false;
  /** When the user last moved the map (a raster paint within MOVING_MS of it draws edges up to MOVING_PIXELS). */
  private movedAt = -Infinity;
  /** The last three paints' times: the quickest decides (one slowed by a collection or the first compile does not). */
  private recentPaintMs: number[] = [Infinity];
  private readonly colours = new Map<string, readonly [number, number, number, number]>();
  private colourProbe: CanvasRenderingContext2D | null | undefined;
  /** A CSS colour (a theme's variable may hold any form) as numbers, by the canvas's own parsing of it. */
  private rgba(css: string): readonly [number, number, number, number] {
    let c = this.colours.get(css);
    if (!c) {
      if (this.colourProbe === undefined) this.colourProbe = document.createElement('canvas').getContext('2d');
      const probe = this.colourProbe;
      let text = css;
      if (probe) {
        probe.fillStyle = '#000000';
        probe.fillStyle = css;
        text = String(probe.fillStyle);
      }
      c = parseColour(text) ?? [128, 128, 128, 1];
      this.colours.set(css, c);
    }
    return c;
  }

  private paint(): void {
    if (this.mode === 'svg') {
      this.updateSvg();
      this.painted++;
      if (!this.firstPaintAt && this.scene?.nodes.length) {
        this.firstPaintAt = performance.now();
        requestAnimationFrame(() => (this.firstShownAt = performance.now()));
      }
      return;
    }
    const ctx = this.canvas.getContext('2d');
    if (!ctx || !this.scene) return;
    const dpr = window.devicePixelRatio || 1;
    const t0 = performance.now();
    const s = this.scene;
    this.rastered = s.edges.length + s.nodes.length > BIG_MAP;
    if (this.rastered) {
      const { width, height } = this.canvas;
      if (!this.raster || this.raster.width !== width || this.raster.height !== height) {
        this.raster = new Raster(width, height);
        this.image = new ImageData(this.raster.pixels, width, height);
      }
      const moving = performance.now() - this.movedAt < MOVING_MS;
      this.drawnEdges = rasterScene(ctx, this.raster, this.image!, s, this.theme(), this.transform, dpr, (css) => this.rgba(css), EDGE_BUDGET, moving ? MOVING_PIXELS : Infinity);
    } else {
      this.drawnEdges = drawScene(ctx, s, this.theme(), this.transform, this.canvas.width, this.canvas.height, dpr);
    }
    this.lastPaintMs = performance.now() - t0;
    this.recentPaintMs = [...this.recentPaintMs.slice(-2), this.lastPaintMs];
    if (!this.firstPaintAt && this.scene.nodes.length) {
      this.firstPaintAt = performance.now();
      requestAnimationFrame(() => (this.firstShownAt = performance.now()));
    }
    this.paintedTransform = this.transform;
    this.canvas.style.transform = '';
    this.painted++;
  }

  /**
   * Benchmark only: one crisp repaint of the whole map now, finished (the canvas read back, so its drawing is
   * rasterised rather than queued); returns the milliseconds it took.
   */
  repaintNow(): number {
    const t0 = performance.now();
    this.paint();
    if (this.mode === 'canvas') this.canvas.getContext('2d')?.getImageData(0, 0, 1, 1);
    else this.svg.getBoundingClientRect();
    return performance.now() - t0;
  }

  // ------------------------------------------------------------------ SVG
  private buildSvg(): void {
    const s = this.scene!;
    const theme = this.theme();
    const root = select(this.root);
    root.selectAll('*').remove();
    root.append('defs');
    this.markers.clear();
    root.append('g').attr('class', 'groups').selectAll('g').data(s.groups).join('g').attr('class', (g) => `group ${g.level}`).attr('data-key', (g) => g.key)
      .call((g) => g.append('rect').attr('rx', 6))
      .call((g) => g.append('text').text((d) => d.label));
    const edges = root.append('g').attr('class', 'edges').selectAll<SVGGElement, SceneEdge>('g').data(s.edges, (e) => e.id).join('g')
      .attr('class', 'edge').attr('data-id', (e) => e.id).attr('data-kind', (e) => e.kind);
    edges.append('path').attr('class', 'hit');
    edges.append('path').attr('class', 'line');
    const nodes = root.append('g').attr('class', 'nodes').selectAll('g').data(s.nodes, (n) => (n as { id: string }).id).join('g')
      .attr('class', 'node').attr('data-id', (n) => n.id).attr('data-type', (n) => n.type).attr('data-boxes', (n) => n.boxes?.join(' ') ?? null)
      .attr('role', 'button').attr('aria-label', (n) => `${n.label} (${n.type})`);
    // the name on hover too: a label with no room on the map is hidden
    nodes.append('circle').append('title').text((n) => n.label);
    nodes.append('text').text((n) => n.label);
    this.root.setAttribute('transform', this.transform.toString());
  }

  /** The arrow head marker of a colour at an opacity (made on first use; the theme's restyle makes them again). */
  private readonly markers = new Set<string>();
  private marker(key: string, colour: string, alpha: number): string {
    const id = `arrow-${key}-${Math.round(alpha * 100)}`;
    if (!this.markers.has(id)) {
      this.markers.add(id);
      select(this.root).select('defs').append('marker').attr('id', id).attr('viewBox', '0 -4 8 8').attr('refX', 8).attr('markerUnits', 'userSpaceOnUse')
        .attr('markerWidth', 9).attr('markerHeight', 9).attr('orient', 'auto')
        .append('path').attr('d', 'M0,-4L8,0L0,4').attr('fill', colour).attr('fill-opacity', alpha);
    }
    return id;
  }

  private updateSvg(): void {
    const s = this.scene;
    if (!s) return;
    const theme = this.theme();
    const root = select(this.root);
    root.selectAll<SVGGElement, { x0: number; y0: number; x1: number; y1: number }>('g.group')
      .call((g) => g.select('rect').attr('x', (d) => d.x0).attr('y', (d) => d.y0).attr('width', (d) => d.x1 - d.x0).attr('height', (d) => d.y1 - d.y0))
      .call((g) => g.select('text').attr('x', (d) => d.x0 + GROUP_LABEL_X).attr('y', (d) => d.y0 + 12).attr('display', (d) => ((d as { labelHidden?: boolean }).labelHidden ? 'none' : null)));
    const edges = root.selectAll<SVGGElement, SceneEdge>('g.edge')
      .classed('highlighted', (e) => e.highlighted)
      .attr('data-change', (e) => e.change ?? null)
      .attr('data-highlighted', (e) => (e.highlighted ? 'true' : null));
    const d = (e: SceneEdge) => {
      if (e.s === e.t) return `M${e.s.x},${e.s.y - e.s.r}a${e.s.r},${e.s.r} 0 1,1 ${e.s.r},${e.s.r}`;
      const [ax, ay, bx, by] = edgeEnds(e);
      return `M${ax},${ay}L${bx},${by}`;
    };
    edges.select('path.hit').attr('d', d);
    edges.select('path.line').attr('d', d)
      .attr('stroke', (e) => edgeColour(e, s, theme))
      .attr('data-colour', (e) => edgeColour(e, s, theme))
      .attr('stroke-width', (e) => (e.highlighted ? e.width + 2 : e.width))
      // stroke-opacity, not opacity: opacity makes each line a group of its own to blend, which made every frame
      // of a pan over the 60-node map cost 26 ms of CPU instead of 11 (bench/topology.mjs)
      .attr('stroke-opacity', (e) => edgeAlpha(e, s))
      .attr('stroke-dasharray', (e) => (e.kind === 'rejected' || e.change === 'vanished' ? '5 3' : null))
      .attr('marker-end', (e) => `url(#${this.marker(s.comparing ? `change-${e.change ?? 'vanished'}` : e.kind, edgeColour(e, s, theme), edgeAlpha(e, s))})`);
    const nodes = root.selectAll<SVGGElement, (typeof s.nodes)[number]>('g.node')
      .attr('transform', (n) => `translate(${n.x},${n.y})`)
      .classed('match', (n) => n.match)
      .classed('selected', (n) => n.id === s.selected)
      .classed('focused', (n) => n.id === s.focused);
    nodes.select('circle').attr('r', (n) => n.r).attr('fill', (n) => theme.nodeFill(n.type)).attr('fill-opacity', (n) => nodeAlpha(n, s));
    // labels where placeLabels put them (relative to the node), hidden where there was no room
    nodes.classed('more', (n) => !!n.more);
    nodes.select('text')
      .attr('x', (n) => (n.labelAt ? n.labelAt.x - n.x : n.r + 3))
      .attr('y', (n) => (n.labelAt ? n.labelAt.y - n.y : 4))
      .attr('text-anchor', (n) => n.labelAt?.anchor ?? 'start')
      .attr('display', (n) => (n.labelAt === null ? 'none' : null))
      .attr('data-box', (n) => (n.labelAt ? n.labelAt.box.map((v) => v.toFixed(1)).join(' ') : null));
  }

  private hoverFrame = 0;
  private hover(ev: MouseEvent): void {
    // no hover while a button is down (a drag pans the map): its hit test would run on every frame of the pan
    if (!this.handlers.onHoverEdge || this.hoverFrame || ev.buttons) return;
    const target = ev.target as Element;
    const rect = this.host.getBoundingClientRect();
    const x = ev.clientX - rect.left;
    const y = ev.clientY - rect.top;
    this.hoverFrame = requestAnimationFrame(() => {
      this.hoverFrame = 0;
      const s = this.scene;
      if (!s) return;
      let id: string | null = null;
      if (this.mode === 'svg') {
        const el = target.closest?.('g.edge');
        id = el?.getAttribute('data-id') ?? null;
      } else {
        const [wx, wy] = this.transform.invert([x, y]);
        const hit = hitTest(s, wx, wy, 4 / this.transform.k);
        id = hit?.type === 'edge' ? hit.id : null;
      }
      this.handlers.onHoverEdge!(id, x, y);
    });
  }

  // ------------------------------------------------------------------ hit testing
  private click(ev: MouseEvent): void {
    if (ev.defaultPrevented) return;
    const s = this.scene;
    if (!s) return;
    if (this.mode === 'svg') {
      const el = (ev.target as Element).closest('g.node, g.edge');
      const id = el?.getAttribute('data-id');
      if (!el || !id) return this.handlers.onBackground();
      return el.classList.contains('node') ? this.handlers.onNode(id) : this.handlers.onEdge(id);
    }
    const rect = this.host.getBoundingClientRect();
    const [wx, wy] = this.transform.invert([ev.clientX - rect.left, ev.clientY - rect.top]);
    const hit = hitTest(s, wx, wy, 4 / this.transform.k);
    if (!hit) this.handlers.onBackground();
    else if (hit.type === 'node') this.handlers.onNode(hit.id);
    else this.handlers.onEdge(hit.id);
  }
}

/** The node under a world point, else the nearest edge within `slack`. */
export function hitTest(s: Scene, x: number, y: number, slack: number): { type: 'node' | 'edge'; id: string } | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const n of s.nodes) {
    const d = Math.hypot(n.x - x, n.y - y) - n.r;
    if (d < slack && d < bestD) (bestD = d), (best = n.id);
  }
  if (best) return { type: 'node', id: best };
  for (const e of s.edges) {
    const dx = e.t.x - e.s.x;
    const dy = e.t.y - e.s.y;
    const len2 = dx * dx + dy * dy || 1;
    const u = Math.max(0, Math.min(1, ((x - e.s.x) * dx + (y - e.s.y) * dy) / len2));
    const d = Math.hypot(e.s.x + u * dx - x, e.s.y + u * dy - y) - e.width / 2;
    if (d < slack && d < bestD) (bestD = d), (best = e.id);
  }
  return best ? { type: 'edge', id: best } : undefined;
}

/**
 * Level of detail of a big map: at most this many edges are drawn in one paint, the heaviest of those in view (zoomed
 * in, fewer are in view and every one of them is drawn).
 */
export const EDGE_BUDGET = 5000;
/**
 * A map of more nodes and edges than this is big: it is painted by the raster (rasterScene) and its edges are at
 * most 2.5 px wide.
 */
export const BIG_MAP = 4000;
/**
 * A gesture on a big map redraws it every frame while a paint takes at most this long; beyond, it moves the last
 * picture and repaints crisp when the gesture pauses.
 */
export const REDRAW_MS = 24;
/**
 * While the map moves, a big map's raster draws its edges, heaviest first, up to this many pixels of line (length
 * times width, on screen): zoomed in, the edges in view grow long (the 5,000 of the fitted 20,000-edge map cost six
 * times the pixels at 4x). MOVING_MS after the last move it is drawn whole.
 */
export const MOVING_PIXELS = 1_500_000;
export const MOVING_MS = 160;
/** Edges by weight, heaviest first, per scene (the level of detail draws from the top). */
const byWeight = new WeakMap<Scene, SceneEdge[]>();

/** An edge one paint draws, with its width on screen (CSS pixels) and whether it is dashed. */
interface DrawnEdge {
  e: SceneEdge;
  w: number;
  dashed: boolean;
}

/** Whether a world-space box lies wholly outside the view (with a margin of 20 screen pixels). */
function viewTest(t: { x: number; y: number; k: number }, width: number, height: number, dpr: number): (ax: number, ay: number, bx: number, by: number) => boolean {
  const m = 20 / t.k;
  const vx0 = -t.x / t.k - m, vy0 = -t.y / t.k - m;
  const vx1 = (width / dpr - t.x) / t.k + m, vy1 = (height / dpr - t.y) / t.k + m;
  return (ax, ay, bx, by) => (ax < vx0 && bx < vx0) || (ax > vx1 && bx > vx1) || (ay < vy0 && by < vy0) || (ay > vy1 && by > vy1);
}

/**
 * The level of detail, one definition for both painters: at most `budget` edges, the heaviest of those in view (the
 * highlighted first); an edge under 1.5 px is a 1 px hairline, and on a big map none is wider than 2.5 px.
 */
function edgesInView(s: Scene, outside: ReturnType<typeof viewTest>, budget: number, pixels = Infinity, k = 1, diagonal = Infinity): DrawnEdge[] {
  const big = s.edges.length + s.nodes.length > BIG_MAP;
  let ordered = s.edges;
  if (s.edges.length > budget) {
    ordered = byWeight.get(s) ?? [...s.edges].sort((a, b) => Number(b.highlighted) - Number(a.highlighted) || b.width - a.width);
    byWeight.set(s, ordered);
  }
  const out: DrawnEdge[] = [];
  let used = 0;
  for (const e of ordered) {
    if (outside(e.s.x, e.s.y, e.t.x, e.t.y)) continue;
    if (out.length >= budget) break;
    const full = e.highlighted ? e.width + 2 : e.width;
    const w = e.width < 1.5 && !e.highlighted ? 1 : Math.max(0.5, Math.round(Math.min(full, big ? 2.5 : full) * 2) / 2);
    if (pixels < Infinity) {
      // its pixels on screen: no longer than the view's diagonal, whatever lies beyond
      used += Math.min(diagonal, Math.hypot(e.t.x - e.s.x, e.t.y - e.s.y) * k) * Math.max(1, w);
      if (used > pixels && out.length > 0) break;
    }
    out.push({ e, w, dashed: e.kind === 'rejected' || e.change === 'vanished' });
  }
  return out;
}

/** Edges batched by what they are painted with: colour, opacity, width, dash (a canvas path each). */
function edgeBatches(list: readonly DrawnEdge[], s: Scene, theme: Theme): Map<string, DrawnEdge[]> {
  const batches = new Map<string, DrawnEdge[]>();
  for (const d of list) {
    const key = `${edgeColour(d.e, s, theme)}|${edgeAlpha(d.e, s)}|${d.w}|${d.dashed ? 1 : 0}`;
    let b = batches.get(key);
    if (!b) batches.set(key, (b = []));
    b.push(d);
  }
  return batches;
}

/** Arrow heads are drawn above 0.35 zoom on maps under 6,000 edges. */
const arrowsAt = (s: Scene, k: number) => k > 0.35 && s.edges.length < 6000;

/** An edge's arrow head: its tip and two back corners (world units; `w` the edge's width, `px` one screen pixel). */
function arrowHead(e: SceneEdge, w: number, px: number): [number, number, number, number, number, number] {
  const [ax, ay, bx, by] = edgeEnds(e);
  const a = Math.atan2(by - ay, bx - ax);
  const size = (4 + w) * px;
  return [bx, by, bx - size * Math.cos(a - 0.45), by - size * Math.sin(a - 0.45), bx - size * Math.cos(a + 0.45), by - size * Math.sin(a + 0.45)];
}

/** The arrow heads of a batch of edges (world units; `px` is one screen pixel). */
function fillArrows(ctx: CanvasRenderingContext2D, list: readonly DrawnEdge[], w: number, px: number): void {
  ctx.setLineDash([]);
  ctx.beginPath();
  for (const { e } of list) {
    if (e.s === e.t) continue;
    const [tx, ty, lx, ly, rx, ry] = arrowHead(e, w, px);
    ctx.moveTo(tx, ty);
    ctx.lineTo(lx, ly);
    ctx.lineTo(rx, ry);
    ctx.closePath();
  }
  ctx.fill();
}

/** What is drawn above the edges and nodes by both painters: rings (matches, selection, focus), box and node labels. */
function drawRingsAndLabels(ctx: CanvasRenderingContext2D, s: Scene, theme: Theme, t: { x: number; y: number; k: number }, outside: ReturnType<typeof viewTest>): void {
  const px = 1 / t.k;
  ctx.globalAlpha = 1;
  ctx.setLineDash([]);
  ctx.strokeStyle = theme.focus;
  ctx.lineWidth = 3 * px;
  ctx.beginPath();
  for (const n of s.nodes) {
    if (n.match || n.id === s.selected || n.id === s.focused) {
      ctx.moveTo(n.x + n.r + 2 * px, n.y);
      ctx.arc(n.x, n.y, n.r + 2 * px, 0, Math.PI * 2);
    }
  }
  ctx.stroke();
  ctx.fillStyle = theme.muted;
  ctx.font = `${11 * px}px ${theme.font}`;
  if (t.k > 0.25) for (const g of s.groups) if (!g.labelHidden) ctx.fillText(g.label, g.x0 + 6 * px, g.y0 + 12 * px);
  // node labels when they are readable
  ctx.fillStyle = theme.fg;
  const labelAll = t.k > 0.6 && s.nodes.length <= 3000;
  for (const n of s.nodes) {
    if (outside(n.x, n.y, n.x, n.y)) continue;
    if (n.labelAt !== undefined) {
      // placed without collisions (world units, like the SVG's): drawn at the world font size when readable
      if (!n.labelAt || t.k < 0.45) continue;
      ctx.font = `${11}px ${theme.font}`;
      ctx.textAlign = n.labelAt.anchor === 'middle' ? 'center' : n.labelAt.anchor === 'end' ? 'right' : 'left';
      ctx.fillText(n.label, n.labelAt.x, n.labelAt.y);
      continue;
    }
    if (labelAll || n.match || n.id === s.selected || n.id === s.focused) ctx.fillText(n.label, n.x + n.r + 3 * px, n.y + 4 * px);
  }
  ctx.textAlign = 'left';
}

/**
 * Paints the scene on a canvas with its own paths (the PNG export, and maps under BIG_MAP): group boxes, edges
 * batched by colour/width/opacity, nodes batched by fill, then rings and labels. Level of detail: `edgesInView`;
 * nodes under 1.5 px as squares. Returns how many edges it drew.
 */
export function drawScene(
  ctx: CanvasRenderingContext2D, s: Scene, theme: Theme, t: { x: number; y: number; k: number }, width: number, height: number, dpr: number, budget = EDGE_BUDGET,
): number {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = theme.bg;
  ctx.fillRect(0, 0, width, height);
  ctx.setTransform(dpr * t.k, 0, 0, dpr * t.k, dpr * t.x, dpr * t.y);
  const px = 1 / t.k;
  const outside = viewTest(t, width, height, dpr);
  ctx.lineWidth = px;
  ctx.strokeStyle = theme.groupStroke;
  for (const g of s.groups) {
    ctx.setLineDash(g.level === 'az' ? [4 * px, 3 * px] : []);
    ctx.strokeRect(g.x0, g.y0, g.x1 - g.x0, g.y1 - g.y0);
  }
  ctx.setLineDash([]);
  const drawn = edgesInView(s, outside, budget);
  const arrows = arrowsAt(s, t.k);
  for (const [key, list] of edgeBatches(drawn, s, theme)) {
    const [colour, alpha, w, dashed] = key.split('|');
    ctx.globalAlpha = Number(alpha);
    ctx.strokeStyle = colour;
    ctx.fillStyle = colour;
    ctx.lineWidth = Number(w) * px;
    ctx.setLineDash(dashed === '1' ? [5 * px, 3 * px] : []);
    ctx.beginPath();
    for (const { e } of list) {
      if (e.s === e.t) {
        ctx.moveTo(e.s.x + e.s.r * 1.8, e.s.y - e.s.r);
        ctx.arc(e.s.x + e.s.r * 0.8, e.s.y - e.s.r, e.s.r, 0, Math.PI * 2);
        continue;
      }
      const [ax, ay, bx, by] = edgeEnds(e);
      ctx.moveTo(ax, ay);
      ctx.lineTo(bx, by);
    }
    ctx.stroke();
    if (arrows) fillArrows(ctx, list, Number(w), px);
  }
  ctx.setLineDash([]);
  // nodes, batched by fill
  const fills = new Map<string, typeof s.nodes>();
  for (const n of s.nodes) {
    if (outside(n.x - n.r, n.y - n.r, n.x + n.r, n.y + n.r)) continue;
    const key = `${theme.nodeFill(n.type)}|${nodeAlpha(n, s)}`;
    let b = fills.get(key);
    if (!b) fills.set(key, (b = []));
    b.push(n);
  }
  for (const [key, list] of fills) {
    const [fill, alpha] = key.split('|');
    ctx.globalAlpha = Number(alpha);
    ctx.fillStyle = fill;
    ctx.beginPath();
    for (const n of list) {
      // under 1.5 px on screen a circle is a square
      if (n.r * t.k < 1.5) ctx.rect(n.x - n.r, n.y - n.r, 2 * n.r, 2 * n.r);
      else {
        ctx.moveTo(n.x + n.r, n.y);
        ctx.arc(n.x, n.y, n.r, 0, Math.PI * 2);
      }
    }
    ctx.fill();
  }
  drawRingsAndLabels(ctx, s, theme, t, outside);
  return drawn.length;
}

/**
 * Paints a big map: its boxes, edges, arrow heads and nodes written into `raster`'s pixels (the same level of
 * detail and order as drawScene), put on the canvas whole, then rings and labels drawn over it by the canvas. `rgba` turns
 * a CSS colour into numbers; `pixels` bounds the edges' pixels (a moving map's level of detail). Returns how many
 * edges it drew.
 */
export function rasterScene(
  ctx: CanvasRenderingContext2D, raster: Raster, image: ImageData, s: Scene, theme: Theme, t: { x: number; y: number; k: number }, dpr: number,
  rgba: (css: string) => readonly [number, number, number, number], budget = EDGE_BUDGET, pixels = Infinity,
): number {
  const { width, height } = raster;
  const bg = rgba(theme.bg);
  raster.clear(bg[0], bg[1], bg[2]);
  const k = dpr * t.k;
  const ox = dpr * t.x;
  const oy = dpr * t.y;
  const outside = viewTest(t, width, height, dpr);
  const box = rgba(theme.groupStroke);
  for (const g of s.groups) {
    const dash = g.level === 'az' ? 4 * dpr : 0;
    raster.rect(ox + k * g.x0, oy + k * g.y0, ox + k * g.x1, oy + k * g.y1, dpr, box[0], box[1], box[2], box[3], dash, 3 * dpr);
  }
  const drawn = edgesInView(s, outside, budget, pixels, k, Math.hypot(width, height));
  const arrows = arrowsAt(s, t.k);
  // batch by batch as drawScene strokes them, so the same colours lie on top
  for (const [key, list] of edgeBatches(drawn, s, theme)) {
    const [colour, alpha] = key.split('|');
    const c = rgba(colour);
    const a = Number(alpha) * c[3];
    for (const { e, w, dashed } of list) {
      if (e.s === e.t) {
        raster.disc(ox + k * (e.s.x + e.s.r * 0.8), oy + k * (e.s.y - e.s.r), k * e.s.r, c[0], c[1], c[2], a, w * dpr);
        continue;
      }
      const [ax, ay, bx, by] = edgeEnds(e);
      raster.line(ox + k * ax, oy + k * ay, ox + k * bx, oy + k * by, w * dpr, c[0], c[1], c[2], a, dashed ? 5 * dpr : 0, 3 * dpr);
    }
    if (arrows) {
      for (const { e, w } of list) {
        if (e.s === e.t) continue;
        const h = arrowHead(e, w, 1 / t.k);
        raster.triangle(ox + k * h[0], oy + k * h[1], ox + k * h[2], oy + k * h[3], ox + k * h[4], oy + k * h[5], c[0], c[1], c[2], a);
      }
    }
  }
  for (const n of s.nodes) {
    if (outside(n.x - n.r, n.y - n.r, n.x + n.r, n.y + n.r)) continue;
    const c = rgba(theme.nodeFill(n.type));
    raster.disc(ox + k * n.x, oy + k * n.y, k * n.r, c[0], c[1], c[2], nodeAlpha(n, s) * c[3]);
  }
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.globalAlpha = 1;
  ctx.putImageData(image, 0, 0);
  ctx.setTransform(k, 0, 0, k, ox, oy);
  drawRingsAndLabels(ctx, s, theme, t, outside);
  return drawn.length;
}

export type { Selection };
