/**
 * The topology webview: toolbar, bytes-over-time strip with a brush, the map, the details panel.
 * It speaks only the typed protocol (src/protocol/topology.ts): every inbound message is checked,
 * every reply is checked against its method's result guard, and the view's state is kept with
 * getState/setState so the panel comes back as it was.
 */
import { brushX } from 'd3-brush';
import { scaleLinear, scaleTime } from 'd3-scale';
import { select } from 'd3-selection';
import {
  FINDINGS,
  LEVELS,
  TOPOLOGY_PROTOCOL_VERSION,
  WEIGHTS,
  defaultViewState,
  isHostToWebview,
  isViewState,
  resultGuards,
  type EdgeDetails,
  type Graph,
  type GraphQuery,
  type NodeDetails,
  type Timeline,
  type TopologyMethod,
  type TopologyMethods,
  type ViewState,
  type WebviewToHost,
} from '../../src/protocol/topology';
import { GraphView } from './graphview';
import { Layout, type LayoutNode, type Positions } from './layout';
import {
  FINDING_LABELS,
  KIND_LABELS,
  MAX_NODES,
  EXPAND_STEP,
  MORE_PREFIX,
  applyFold,
  changeOf,
  diffPeriods,
  extendFold,
  foldRequest,
  formatPct,
  typeName,
  formatBytes,
  formatValue,
  groupPath,
  nodeRadius,
  nearestInDirection,
  tabOrder,
  visibleGraph,
  type Change,
  type Fold,
  type View,
} from './model';
import { NODE_KINDS, buildScene, nodeKindOf, readTheme, sceneToSvg, type Scene, type Theme } from './scene';
import { drawScene } from './graphview';
import { formatPct as formatShare, formatTime } from '../../src/shared/numbers';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const post = (m: WebviewToHost) => vscode.postMessage(m);

// ------------------------------------------------------------------------------------------ rpc
let nextId = 1;
const pending = new Map<number, { method: TopologyMethod; resolve: (v: unknown) => void; reject: (e: Error) => void }>();

/** A request a newer one replaced (same method and lane): whoever asked next shows its answer; nothing to say. */
class Replaced extends Error {}

/** A request's failure, shown by `show` unless a newer request replaced it. */
const unlessReplaced = (show: (message: string) => void) => (err: unknown) => {
  if (!(err instanceof Replaced)) show(String(err instanceof Error ? err.message : err));
};

/** A request; a newer one of the same method and lane cancels it (see TopologyRequest.lane). */
function request<M extends TopologyMethod>(method: M, params: TopologyMethods[M]['params'], lane?: string): Promise<TopologyMethods[M]['result']> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject });
    post({ kind: 'request', id, method, params, ...(lane ? { lane } : {}) } as WebviewToHost);
  });
}

window.addEventListener('message', (ev: MessageEvent) => {
  const m: unknown = ev.data;
  if (!isHostToWebview(m)) {
    console.warn('topology: dropped a message that does not match the protocol');
    return;
  }
  if (m.kind === 'init') return init(m.dataset, m.state);
  if (m.kind === 'notify') {
    if (m.event === 'showRule') return showRule(m.rule);
    datasetName = m.dataset;
    return void reload();
  }
  const p = pending.get(m.id);
  if (!p) return;
  pending.delete(m.id);
  if (!m.ok) return p.reject(m.cancelled ? new Replaced(m.error) : new Error(m.error));
  const checked = performance.now();
  const valid = resultGuards[p.method](m.result);
  timings[`guard-${p.method}`] = performance.now() - checked;
  if (!valid) return p.reject(new Error(`the host's ${p.method} reply does not match the protocol`));
  p.resolve(m.result);
});

// ------------------------------------------------------------------------------------------ state
const saved = vscode.getState();
let state: ViewState = isViewState(saved) ? saved : defaultViewState();
let datasetName: string | null = null;
let graph: Graph | undefined;
let compareGraph: Graph | undefined;
let view: View | undefined;
let scene: Scene | undefined;
let layout: Layout | undefined;
/** Every remembered position, by `<dataset>|<level>|<node id>` (see scopePrefix). */
let positions: Positions = new Map(Object.entries(state.positions ?? {}));
/** The scope of the running layout's positions. */
let layoutScope = '';
const MAX_POSITIONS = 3000;
const scopePrefix = () => `${datasetName ?? ''}|${state.query.level}|`;
/** The remembered positions of this dataset and level, by node id. */
function scopedPositions(): Positions {
  const prefix = scopePrefix();
  const out: Positions = new Map();
  for (const [k, v] of positions) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), v);
  return out;
}
/** Keeps the layout's positions (the newest last; the oldest go beyond MAX_POSITIONS). */
function rememberPositions(): void {
  if (!layout) return;
  for (const [id, p] of layout.positions()) {
    positions.delete(layoutScope + id);
    positions.set(layoutScope + id, p);
  }
  for (const k of positions.keys()) {
    if (positions.size <= MAX_POSITIONS) break;
    positions.delete(k);
  }
}
let interacting = false;
/** The edges on the map (folded) now and, when comparing, in the other period. */
let afterEdges = new Map<string, Graph['edges'][number]>();
let beforeEdges: Map<string, Graph['edges'][number]> | undefined;
let generation = 0;
let keyboardFocus: string | undefined;
let theme: Theme = readTheme(cssVar);

/** The width of a label in the map's font (11px, the theme's family), as the SVG draws it. */
const measureCtx = document.createElement('canvas').getContext('2d');
const labelWidths = new Map<string, number>();
function measureLabel(text: string): number {
  let w = labelWidths.get(text);
  if (w === undefined) {
    if (!measureCtx) return text.length * 7;
    measureCtx.font = `11px ${theme.font}`;
    w = Math.ceil(measureCtx.measureText(text).width) + 1;
    labelWidths.set(text, w);
  }
  return w;
}

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name);
}

let saveTimer: ReturnType<typeof setTimeout> | undefined;
function saveState(): void {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = setTimeout(() => {
    rememberPositions();
    const out: ViewState = { ...state };
    if (positions.size) out.positions = Object.fromEntries(positions);
    else delete out.positions;
    vscode.setState(out);
    post({ kind: 'state', state: out });
  }, 300);
}

// ------------------------------------------------------------------------------------------ DOM
function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  el.append(...children);
  return el;
}
function options(values: readonly string[], labels: Record<string, string> = {}): HTMLOptionElement[] {
  return values.map((v) => h('option', { value: v }, labels[v] ?? v));
}

const levelSel = h('select', { id: 'level', title: 'Level' }, ...options(LEVELS, { 'security-group': 'security group', az: 'AZ', vpc: 'VPC' }));
const tagKeyIn = h('input', { id: 'tag-key', type: 'text', size: '8', title: 'Tag key that names an app', placeholder: 'tag key' });
const weightSel = h('select', { id: 'weight', title: 'Edge weight' }, ...options(WEIGHTS, { cost: 'est. cost' }));
const actionSel = h('select', { id: 'action', title: 'Accepted / rejected' }, ...options(['all', 'accept', 'reject'], { accept: 'accepted', reject: 'rejected' }));
const protoIn = h('input', { id: 'protocol', type: 'number', min: '0', max: '255', placeholder: 'proto', title: 'IP protocol number (6 TCP, 17 UDP)' });
const portIn = h('input', { id: 'port', type: 'number', min: '0', max: '65535', placeholder: 'port', title: 'Server port' });
const minIn = h('input', { id: 'min-bytes', type: 'text', size: '6', placeholder: 'min bytes', title: 'Minimum bytes per edge (e.g. 10MB)' });
const tagFilterIn = h('input', { id: 'tag-filter', type: 'text', size: '10', placeholder: 'tag=value', title: 'Only traffic where a side carries this tag' });
const searchIn = h('input', { id: 'search', type: 'search', size: '12', placeholder: 'search', title: 'Highlight matching nodes; Enter opens the first' });
const hopsSel = h('select', { id: 'hops', title: 'Neighbourhood hops' }, ...options(['1', '2', '3', '4']));
const clearFocusBtn = h('button', { id: 'clear-focus', title: 'Show the whole map' }, 'Whole map');
const foldBtn = h('button', { id: 'fold', title: 'Fold the expanded "+N more" nodes again' }, 'Fold');
const maxNodesSel = h('select', { id: 'max-nodes', title: 'How many nodes before the smaller ones fold into "+N more"' },
  ...options(['60', '150', '500', '0'], { 60: 'top 60', 150: 'top 150', 500: 'top 500', 0: 'all nodes' }));
const compareSel = h('select', { id: 'compare', title: 'Compare with another period' },
  ...options(['none', 'previous', 'day', 'week'], { none: 'no compare', previous: 'vs previous period', day: 'vs 1 day before', week: 'vs 1 week before' }));
const fitBtn = h('button', { id: 'fit', title: 'Fit the map' }, 'Fit');
const svgBtn = h('button', { id: 'export-svg' }, 'SVG');
const pngBtn = h('button', { id: 'export-png' }, 'PNG');
const highlightBoxes = FINDINGS.map((f) => {
  const box = h('input', { type: 'checkbox', 'data-finding': f, id: `hl-${f}` });
  return h('label', { class: 'highlight', for: `hl-${f}` }, box, FINDING_LABELS[f]);
});
const ruleChip = h('span', { id: 'rule', role: 'status' });
ruleChip.hidden = true;
const status = h('div', { id: 'status', role: 'status' });
const legend = h('div', { id: 'legend' });
const timeline = h('div', { id: 'timeline' });
const mapHost = h('div', { id: 'map', tabindex: '0', 'aria-label': 'Topology map: Tab or arrow keys move between nodes, Enter opens details' });
const details = h('aside', { id: 'details', 'aria-live': 'polite' });
const empty = h('div', { id: 'empty' });
empty.hidden = true;
const tooltip = h('div', { id: 'edge-tip', role: 'tooltip' });
tooltip.hidden = true;
mapHost.append(tooltip);

document.body.append(
  h('div', { id: 'toolbar' },
    h('span', { class: 'group' }, levelSel, tagKeyIn, weightSel, maxNodesSel),
    h('span', { class: 'group' }, actionSel, protoIn, portIn, minIn, tagFilterIn),
    h('span', { class: 'group' }, searchIn, hopsSel, clearFocusBtn, foldBtn),
    h('span', { class: 'group' }, compareSel, fitBtn, svgBtn, pngBtn)),
  h('div', { id: 'highlights' }, ...highlightBoxes, ruleChip, legend),
  timeline,
  h('div', { id: 'main' }, mapHost, details, empty),
  status,
);

const graphView = new GraphView(mapHost, () => theme, {
  onNode: (id) => selectNode(id),
  onEdge: (id) => selectEdge(id),
  onBackground: () => clearSelection(),
  onZoom: (t, byUser) => {
    // only the user's own framing is kept: a map that was fitted is fitted again next time
    if (!byUser) return;
    autoFit = false;
    lastGesture = performance.now();
    state.zoom = t;
    saveState();
  },
  onHoverEdge: (id, x, y) => hoverEdge(id, x, y),
  onResize: () => {
    if (autoFit) graphView.fit();
  },
  onInteracting: (active) => {
    interacting = active;
    // the layout waits until the user has paused for a moment, so panning and zooming stay smooth
    lastGesture = performance.now();
    if (!active) setTimeout(kickLayout, LAYOUT_PAUSE_MS);
  },
});

// the theme can change while the view is open
new MutationObserver(() => {
  theme = readTheme(cssVar);
  labelWidths.clear();
  graphView.restyle();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

function setStatus(text: string, error = false): void {
  status.textContent = text;
  status.classList.toggle('error', error);
}

// ------------------------------------------------------------------------------------------ controls
function parseBytes(text: string): number {
  const m = /^\s*([\d.]+)\s*([kmgt]?i?b?)?\s*$/i.exec(text);
  if (!m) return 0;
  const unit = (m[2] ?? '').toLowerCase().replace(/i?b$/, '');
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[unit] ?? 1;
  return Number(m[1]) * mult;
}

function controlsFromState(): void {
  compareSel.value = state.compare ? compareSel.value === 'none' ? 'previous' : compareSel.value : 'none';
  levelSel.value = state.query.level;
  tagKeyIn.value = state.query.tagKey;
  tagKeyIn.hidden = state.query.level !== 'app';
  weightSel.value = state.weight;
  actionSel.value = state.query.action;
  protoIn.value = state.query.protocol === undefined ? '' : String(state.query.protocol);
  portIn.value = state.query.port === undefined ? '' : String(state.query.port);
  minIn.value = state.minBytes ? formatBytes(state.minBytes).replace(' ', '') : '';
  tagFilterIn.value = state.query.tag ? `${state.query.tag.key}=${state.query.tag.value}` : '';
  searchIn.value = state.search;
  hopsSel.value = String(state.focus?.hops ?? 1);
  clearFocusBtn.disabled = !state.focus;
  foldBtn.hidden = !state.expanded?.length;
  maxNodesSel.value = String(state.maxNodes ?? MAX_NODES);
  if (!maxNodesSel.value) maxNodesSel.value = String(MAX_NODES);
  for (const l of highlightBoxes) {
    const box = l.querySelector('input')!;
    box.checked = state.highlights.includes(box.dataset.finding as never);
  }
}

function queryFromControls(): GraphQuery {
  const q: GraphQuery = { level: levelSel.value as GraphQuery['level'], tagKey: tagKeyIn.value.trim() || 'app', action: actionSel.value as GraphQuery['action'] };
  if (state.query.from !== undefined) q.from = state.query.from;
  if (state.query.to !== undefined) q.to = state.query.to;
  const proto = protoIn.value.trim();
  if (proto !== '' && Number.isInteger(Number(proto)) && Number(proto) >= 0 && Number(proto) <= 255) q.protocol = Number(proto);
  const port = portIn.value.trim();
  if (port !== '' && Number.isInteger(Number(port)) && Number(port) >= 0 && Number(port) <= 65535) q.port = Number(port);
  const tag = /^([^=]+)=(.*)$/.exec(tagFilterIn.value.trim());
  if (tag) q.tag = { key: tag[1].trim(), value: tag[2].trim() };
  return q;
}

function onQueryControl(): void {
  const q = queryFromControls();
  if (q.level !== state.query.level) {
    state.focus = undefined;
    state.selection = undefined;
    state.zoom = undefined;
  }
  state.query = q;
  tagKeyIn.hidden = q.level !== 'app';
  saveState();
  void reload();
}
for (const el of [levelSel, actionSel]) el.addEventListener('change', onQueryControl);
for (const el of [tagKeyIn, protoIn, portIn, tagFilterIn]) el.addEventListener('change', onQueryControl);

let searchTimer: ReturnType<typeof setTimeout> | undefined;
function onViewControl(): void {
  state.weight = weightSel.value as ViewState['weight'];
  state.minBytes = parseBytes(minIn.value);
  if (state.search !== searchIn.value) {
    // matches on the map are marked now; folded ones are brought out by the host when the typing pauses
    if (searchTimer) clearTimeout(searchTimer);
    searchTimer = setTimeout(() => void refold(), 150);
  }
  state.search = searchIn.value;
  state.highlights = highlightBoxes.map((l) => l.querySelector('input')!).filter((b) => b.checked).map((b) => b.dataset.finding as ViewState['highlights'][number]);
  if (state.focus) state.focus = { ...state.focus, hops: Number(hopsSel.value) };
  saveState();
  refresh();
}
weightSel.addEventListener('change', onViewControl);
maxNodesSel.addEventListener('change', () => {
  const n = Number(maxNodesSel.value);
  state.maxNodes = n === MAX_NODES ? undefined : n;
  saveState();
  void refold();
});
minIn.addEventListener('change', onViewControl);
searchIn.addEventListener('input', onViewControl);
hopsSel.addEventListener('change', onViewControl);
for (const l of highlightBoxes) l.querySelector('input')!.addEventListener('change', onViewControl);
searchIn.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter' && view?.matches.length) {
    ev.preventDefault();
    selectNode(tabOrder(view.nodes.filter((n) => n.match))[0]);
  }
});
foldBtn.addEventListener('click', () => {
  state.expanded = undefined;
  foldBtn.hidden = true;
  saveState();
  void refold();
});
clearFocusBtn.addEventListener('click', () => {
  state.focus = undefined;
  clearFocusBtn.disabled = true;
  saveState();
  refresh();
});
compareSel.addEventListener('change', () => void loadCompare());
fitBtn.addEventListener('click', () => graphView.fit());
svgBtn.addEventListener('click', () => void exportImage('svg'));
pngBtn.addEventListener('click', () => void exportImage('png'));

// ------------------------------------------------------------------------------------------ data
function init(dataset: string | null, hostState: unknown): void {
  datasetName = dataset;
  if (!isViewState(saved) && isViewState(hostState)) {
    state = hostState;
    positions = new Map(Object.entries(state.positions ?? {}));
  }
  controlsFromState();
  void reload();
}

/** What to do when there is nothing to draw: no dataset yet, or one without traffic. */
function showEmpty(why: 'none' | 'empty' | null): void {
  empty.hidden = why === null;
  document.body.dataset.empty = why ?? '';
  if (why === null) return;
  const run = (command: 'enrichSample' | 'enrich', label: string) => {
    const b = h('button', { id: command === 'enrichSample' ? 'enrich-sample' : 'enrich-wizard', class: command === 'enrichSample' ? 'primary' : '' }, label);
    b.addEventListener('click', () => {
      b.disabled = true;
      void request('runCommand', { command }).then(
        (r) => setStatus(r.started ? (command === 'enrichSample' ? 'Enriching the sample estate… the map appears when it is done.' : 'The enrichment wizard is open.') : 'Could not start it.'),
        (err) => setStatus(String(err instanceof Error ? err.message : err), true),
      ).finally(() => (b.disabled = false));
    });
    return b;
  };
  empty.replaceChildren(
    h('h2', {}, why === 'none' ? 'No dataset yet' : `${datasetName ?? 'This dataset'} has no traffic`),
    h('p', {}, why === 'none'
      ? 'The map shows who talks to whom in an enriched dataset of VPC flow logs. Try it on the built-in sample estate (no AWS account needed, about half a minute), or enrich your own flow logs from a folder or an AWS account.'
      : 'No conversation was enriched into it: its flow logs may not have loaded (see the Flowlens output), or they are outside the window. Enrich the sample estate to see a map, or enrich flow logs again.'),
    h('div', { class: 'actions' }, run('enrichSample', 'Enrich the sample estate'), run('enrich', 'Enrich flow logs…')),
  );
}

async function reload(): Promise<void> {
  const gen = ++generation;
  if (datasetName === null) {
    showEmpty('none');
    setStatus('No dataset');
    return;
  }
  setStatus(`Loading ${datasetName ?? 'dataset'}…`);
  try {
    const asked = performance.now();
    const [g, tl] = await Promise.all([request('graph', { ...state.query, fold: foldRequest(state, ruleNodes) }), request('timeline', state.query)]);
    timings.request = performance.now() - asked;
    if (gen !== generation) return;
    graph = g;
    const filtered = state.query.from !== undefined || state.query.action !== 'all' || state.query.protocol !== undefined || state.query.port !== undefined || !!state.query.tag;
    showEmpty(g.nodes.length === 0 && g.dataFrom === null && !filtered ? 'empty' : null);
    drawTimeline(tl);
    compareGraph = undefined;
    if (state.compare) await loadCompare(gen);
    if (gen !== generation) return;
    rebuild(true);
    if (state.rule) void loadRule(gen);
  } catch (err) {
    if (gen === generation) unlessReplaced((m) => setStatus(m, true))(err);
  }
}

/** The fold changed (a "+N more" expanded, Fold, the node budget, a search): the host folds its graph again. */
async function refold(): Promise<void> {
  if (!graph) return;
  const gen = generation;
  try {
    const g = await request('graph', { ...state.query, fold: foldRequest(state, ruleNodes) });
    if (gen !== generation) return;
    graph = g;
    rebuild(false);
  } catch (err) {
    if (gen === generation) unlessReplaced((m) => setStatus(m, true))(err);
  }
}

function compareWindow(): { from: number; to: number } | undefined {
  if (!graph) return undefined;
  const from = state.query.from ?? graph.dataFrom;
  const to = state.query.to ?? (graph.dataTo === null ? null : graph.dataTo + 60_000);
  if (from === null || from === undefined || to === null) return undefined;
  const shift = compareSel.value === 'previous' ? to - from : compareSel.value === 'day' ? 86_400_000 : compareSel.value === 'week' ? 7 * 86_400_000 : 0;
  return shift ? { from: Math.max(0, from - shift), to: Math.max(0, to - shift) } : undefined;
}

async function loadCompare(gen = generation): Promise<void> {
  const w = compareSel.value === 'none' ? undefined : compareWindow();
  if (!w) {
    state.compare = undefined;
    compareGraph = undefined;
    saveState();
    refresh();
    return;
  }
  state.compare = w;
  saveState();
  try {
    const g = await request('graph', { ...state.query, from: w.from, to: w.to }, 'compare');
    if (gen !== generation) return;
    compareGraph = g;
    refresh();
  } catch (err) {
    unlessReplaced((m) => setStatus(m, true))(err);
  }
}

// ------------------------------------------------------------------------------------------ a security-group rule
/** The edges the shown rule carried at the map's level and window (ids as the graph's), and their nodes. */
let ruleEdgeIds = new Set<string>();
let ruleNodes: string[] = [];

/** The sidebar's "Show on map": the rule's edges are highlighted, the others dimmed, until cleared. */
function showRule(rule: NonNullable<ViewState['rule']>): void {
  state.rule = rule;
  ruleEdgeIds = new Set();
  ruleNodes = [];
  saveState();
  void loadRule(generation);
}

function clearRule(): void {
  state.rule = undefined;
  ruleEdgeIds = new Set();
  ruleNodes = [];
  saveState();
  drawRuleChip();
  refresh();
}

async function loadRule(gen: number): Promise<void> {
  const rule = state.rule;
  if (!rule || !graph) return drawRuleChip();
  ruleChip.hidden = false;
  ruleChip.dataset.state = 'loading';
  ruleChip.replaceChildren(`Rule ${rule.label}: finding its edges…`);
  try {
    const { edges } = await request('ruleEdges', { query: state.query, rule: rule.id });
    if (gen !== generation || state.rule?.id !== rule.id) return;
    ruleEdgeIds = new Set(edges.map((e) => `${e.source}\u2192${e.target}`));
    ruleNodes = [...new Set(edges.flatMap((e) => [e.source, e.target]))];
    // a node of the rule's edges folded into "+N more": fold again keeping them
    const shown = new Set(graph.nodes.map((n) => n.id));
    if (ruleNodes.some((id) => !shown.has(id))) await refold();
    else refresh();
    drawRuleChip();
  } catch (err) {
    unlessReplaced((m) => {
      ruleChip.dataset.state = 'error';
      ruleChip.replaceChildren(`Rule ${rule.label}: ${m}`);
    })(err);
  }
}

function drawRuleChip(): void {
  const rule = state.rule;
  ruleChip.hidden = !rule;
  if (!rule) return ruleChip.replaceChildren();
  const onMap = view?.edges.filter((e) => ruleEdgeIds.has(e.id)).length ?? 0;
  const clear = h('button', { id: 'clear-rule', title: 'Stop highlighting the rule\'s edges' }, 'Clear');
  clear.addEventListener('click', clearRule);
  ruleChip.dataset.state = 'shown';
  ruleChip.dataset.rule = rule.id;
  ruleChip.replaceChildren(h('span', { class: 'what' }, 'Rule '), h('b', {}, rule.label), ` · ${ruleEdgeIds.size === 0 ? 'carried nothing in this view' : `${onMap} edge${onMap === 1 ? '' : 's'}`}`, ' ', clear);
}

/** Recomputes what is visible and repaints; a new graph (re)starts the layout from the known positions. */
const timings: Record<string, number> = {};
function rebuild(newGraph: boolean): void {
  if (!graph) return;
  const t0 = performance.now();
  // at most MAX_NODES nodes: the smaller ones fold into "+N more <type>" (click one to expand it)
  // folded by the host (at most the node budget: the smaller ones in "+N more <type>" nodes; click one to expand it);
  // a compared period's graph folds into the same "+N more" nodes
  const shown = graph;
  const moreNodes: Fold = { into: new Map(), more: new Map(graph.nodes.filter((n) => n.kind === 'more').map((n) => [n.id, { type: n.type, members: [] }])) };
  const before = compareGraph ? applyFold(compareGraph, extendFold(moreNodes, compareGraph.nodes, new Set(graph.nodes.map((n) => n.id)))) : undefined;
  const cmp = before ? { ...diffPeriods(shown.edges, before.edges, { ratio: 2, minDelta: 0 }), nodes: before.nodes } : undefined;
  view = visibleGraph(shown, { ...state, ruleEdges: state.rule ? ruleEdgeIds : undefined }, cmp);
  foldBtn.hidden = !view.nodes.some((n) => state.expanded?.includes(n.type));
  afterEdges = new Map(shown.edges.map((e) => [e.id, e]));
  beforeEdges = before ? new Map(before.edges.map((e) => [e.id, e])) : undefined;
  let fresh = false;
  let relaid = false;
  // the layout packs boxes by their nodes' sizes: a node drawn bigger than it was laid out lays the map out again
  const maxValue = Math.max(0, ...view.nodes.map((n) => n.value));
  const radius = new Map(view.nodes.map((n) => [n.id, nodeRadius(n.value, maxValue)]));
  if (newGraph || !layout || layoutScope !== scopePrefix() || view.nodes.some((n) => !layout!.byId.has(n.id) || radius.get(n.id)! > layout!.radius(n.id))) {
    rememberPositions();
    const known = scopedPositions();
    fresh = view.nodes.some((n) => !known.has(n.id));
    relaid = true;
    const nodes: LayoutNode[] = view.nodes.map((n) => ({ id: n.id, r: radius.get(n.id)!, path: groupPath(n, state.query.level) }));
    timings.view = performance.now() - t0;
    layoutScope = scopePrefix();
    layout = new Layout(nodes, view.edges.map((e) => ({ source: e.source, target: e.target })), known, measureLabel);
    // a map of tens or a few hundred nodes is laid out before its first paint: it opens finished and framed
    if (nodes.length + view.edges.length <= 1500) {
      layout.settle();
      layout.snap();
      rememberPositions();
    }
    timings.layout = performance.now() - t0 - timings.view;
  }
  const t1 = performance.now();
  paintScene();
  timings.scene = performance.now() - t1;
  if (newGraph || fresh) {
    // a saved view of a known layout comes back as it was; anything else is framed (again when the layout settles)
    autoFit = !state.zoom || fresh;
    if (!autoFit && state.zoom) graphView.setTransform(state.zoom);
    else graphView.fit();
  } else if (relaid && autoFit) graphView.fit(); // boxes packed anew (a "+N more" expanded): framed again unless the user framed it
  if (!layout?.running) document.body.dataset.layout = 'settled';
  kickLayout();
  updateStatus();
  drawLegend();
  if (newGraph && state.selection) {
    if (state.selection.type === 'node' && view.nodes.some((n) => n.id === state.selection!.id)) selectNode(state.selection.id);
    else if (state.selection.type === 'edge' && view.edges.some((e) => e.id === state.selection!.id)) selectEdge(state.selection.id);
  }
}

/** A view option changed (weight, minimum, search, highlights, focus): no new query. */
function refresh(): void {
  rebuild(false);
}

function paintScene(): void {
  if (!view || !layout) return;
  scene = buildScene(view, state.query.level, layout.byId, state.selection?.type === 'node' ? state.selection.id : undefined, keyboardFocus, measureLabel);
  graphView.setScene(scene);
}

let layoutFrame = 0;
let lastLayoutPaint = 0;
/** The map is framed again when the layout settles, unless the user has panned or zoomed. */
let autoFit = false;
let lastGesture = 0;
const LAYOUT_PAUSE_MS = 400;
let lastStepMs = 0;
function kickLayout(): void {
  if (layoutFrame || !layout?.running) return;
  const loop = () => {
    layoutFrame = 0;
    if (!layout || !view) return;
    if (interacting || performance.now() - lastGesture < LAYOUT_PAUSE_MS) return; // resumes after the gesture
    // big maps: longer layout slices and a repaint at most twice a second while it refines
    const big = view.nodes.length + view.edges.length > 4000;
    const st = performance.now();
    const more = layout.step(big ? 25 : 10);
    lastStepMs = performance.now() - st;
    const now = performance.now();
    if (!more || !big || now - lastLayoutPaint > 500) {
      paintScene();
      lastLayoutPaint = now;
    }
    if (more) layoutFrame = requestAnimationFrame(loop);
    else {
      layout.snap();
      rememberPositions();
      paintScene();
      if (autoFit) graphView.fit();
      saveState();
      document.body.dataset.layout = 'settled';
    }
  };
  document.body.dataset.layout = 'running';
  layoutFrame = requestAnimationFrame(loop);
}

function updateStatus(): void {
  if (!graph || !view) return;
  const range = graph.dataFrom === null ? 'no traffic' : `${formatTime(state.query.from ?? graph.dataFrom)} – ${formatTime(state.query.to ?? (graph.dataTo ?? 0) + 60_000)}`;
  const dropped = graph.droppedEdges ? ` (${graph.droppedEdges.toLocaleString('en-US')} smallest edges left out)` : '';
  const cmp = compareGraph ? ` · compared with ${formatTime(state.compare!.from)} – ${formatTime(state.compare!.to)}` : '';
  const matches = state.search ? ` · ${view.matches.length} match${view.matches.length === 1 ? '' : 'es'}` : '';
  const more = view.nodes.filter((n) => n.kind === 'more');
  const folded = more.length ? ` (${(graph.total ?? graph.nodes.length).toLocaleString('en-US')} in all; the smaller ones in ${more.length} "+N more" node${more.length === 1 ? '' : 's'}: click to expand)` : '';
  setStatus(`${datasetName ?? ''} · ${view.nodes.length} nodes${folded}, ${view.edges.length} edges${dropped} · ${range}${cmp}${matches}`);
}

function drawLegend(): void {
  legend.replaceChildren();
  // nodes: the fills on the map, then "+N more"
  const types = new Set(view?.nodes.map((n) => nodeKindOf(n.type).key));
  for (const k of NODE_KINDS) {
    if (types.has(k.key)) legend.append(h('span', { class: 'key', 'data-node-kind': k.key }, h('i', { class: `dot node-${k.key}` }), k.label));
  }
  if (view?.nodes.some((n) => n.kind === 'more')) legend.append(h('span', { class: 'key' }, h('i', { class: 'dot node-more' }), '+N more (click to expand)'));
  if (!view?.edges.length) return;
  if (legend.childElementCount) legend.append(h('span', { class: 'sep' }, '|'));
  if (compareGraph) {
    const changes: Change[] = ['new', 'vanished', 'grew', 'shrank'];
    const words: Record<Change, string> = { new: 'new', vanished: 'vanished', grew: 'grew (×2 or more)', shrank: 'shrank (÷2 or more)' };
    for (const c of changes) legend.append(h('span', { class: 'key', 'data-change': c }, h('i', { class: `swatch change-${c}` }), words[c]));
    legend.append(h('span', { class: 'key muted' }, 'faint: changed less than ×2'));
    return;
  }
  const kinds = new Set(view?.edges.map((e) => e.kind));
  for (const k of Object.keys(KIND_LABELS) as (keyof typeof KIND_LABELS)[]) {
    if (kinds.has(k)) legend.append(h('span', { class: 'key', 'data-kind': k }, h('i', { class: `swatch kind-${k}` }), KIND_LABELS[k]));
  }
}

// ------------------------------------------------------------------------------------------ timeline + brush
function drawTimeline(tl: Timeline): void {
  timeline.replaceChildren();
  // the strip's own width (inside its padding), a left margin for the y-axis, room on the right for the end date
  const style = getComputedStyle(timeline);
  const inner = (timeline.clientWidth || 800) - parseFloat(style.paddingLeft || '0') - parseFloat(style.paddingRight || '0');
  const width = Math.max(200, inner);
  const height = 48;
  const left = 52;
  const right = 4;
  const svg = select(timeline).append('svg').attr('width', width).attr('height', height).attr('aria-label', 'Bytes over time; drag to choose a window');
  if (tl.buckets.length === 0) return;
  const x = scaleTime().domain([tl.buckets[0].t, tl.buckets[tl.buckets.length - 1].t + tl.step]).range([left, width - right]);
  const top = Math.max(...tl.buckets.map((b) => b.bytes));
  const y = scaleLinear().domain([0, top]).range([height - 12, 8]);
  // the y-axis: bytes per bucket at the top and at zero
  const axis = svg.append('g').attr('class', 'y-axis');
  axis.append('line').attr('class', 'tick').attr('x1', left - 3).attr('x2', left - 3).attr('y1', y(top)).attr('y2', y(0));
  for (const v of [top, top / 2, 0]) {
    axis.append('line').attr('class', 'tick').attr('x1', left - 6).attr('x2', left - 3).attr('y1', y(v)).attr('y2', y(v));
    axis.append('text').attr('class', 'axis').attr('x', left - 8).attr('y', y(v) + 3).attr('text-anchor', 'end').text(formatBytes(v));
  }
  axis.append('title').text(`bytes per ${tl.step >= 86_400_000 ? `${tl.step / 86_400_000} d` : tl.step >= 3_600_000 ? `${tl.step / 3_600_000} h` : `${tl.step / 60_000} min`}`);
  svg.append('g').selectAll('rect').data(tl.buckets).join('rect').attr('class', 'bar')
    .attr('x', (b) => x(b.t)).attr('width', (b) => Math.max(1, x(b.t + tl.step) - x(b.t) - 1))
    .attr('y', (b) => y(b.bytes)).attr('height', (b) => height - 12 - y(b.bytes))
    .append('title').text((b) => `${formatTime(b.t)} ${formatBytes(b.bytes)}`);
  svg.append('text').attr('class', 'axis').attr('x', left).attr('y', height - 1).text(formatTime(tl.buckets[0].t));
  svg.append('text').attr('class', 'axis date-end').attr('x', width - right).attr('y', height - 1).attr('text-anchor', 'end')
    .text(formatTime(tl.buckets[tl.buckets.length - 1].t + tl.step));
  const brush = brushX<unknown>().extent([[left, 0], [width - right, height - 12]]).on('end', (ev: { selection: [number, number] | null; sourceEvent?: Event }) => {
    if (!ev.sourceEvent) return;
    if (!ev.selection) {
      delete state.query.from;
      delete state.query.to;
    } else {
      const snap = (px: number) => Math.round(x.invert(px).getTime() / tl.step) * tl.step;
      state.query.from = snap(ev.selection[0]);
      state.query.to = Math.max(state.query.from + tl.step, snap(ev.selection[1]));
    }
    saveState();
    void reload();
  });
  const g = svg.append('g').attr('class', 'brush').call(brush);
  if (state.query.from !== undefined || state.query.to !== undefined) {
    g.call(brush.move, [x(state.query.from ?? tl.buckets[0].t), x(state.query.to ?? tl.buckets[tl.buckets.length - 1].t + tl.step)]);
  }
}

// ------------------------------------------------------------------------------------------ edge hover
const portsCache = new Map<string, string>();
let hoverTimer: ReturnType<typeof setTimeout> | undefined;
let hovered: string | null = null;

/** The tooltip of an edge: bytes each way, estimated cost, how it travelled and (once fetched) its ports. */
function hoverEdge(id: string | null, x: number, y: number): void {
  if (hoverTimer) clearTimeout(hoverTimer);
  const e = id ? afterEdges.get(id) ?? beforeEdges?.get(id) : undefined;
  hovered = e ? id : null;
  if (!e || !id) {
    tooltip.hidden = true;
    return;
  }
  const proto = (p: number) => ({ 6: 'TCP', 17: 'UDP', 1: 'ICMP' })[p] ?? String(p);
  const paths = Object.entries(e.kinds).sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
    .map(([k, b]) => `${KIND_LABELS[k as keyof typeof KIND_LABELS]} ${e.bytes ? Math.round(((b ?? 0) / e.bytes) * 100) : 0} %`).join(', ');
  const key = `${JSON.stringify(state.query)}|${id}`;
  const lines = [
    h('b', {}, `${labelOfNode(e.source)} → ${labelOfNode(e.target)}`),
    h('div', {}, `${formatBytes(e.bytes)} (↑ ${formatBytes(e.up)}, ↓ ${formatBytes(e.down)}) · ${formatValue(e.cost, 'cost')}`),
    h('div', {}, `path: ${paths || '—'}`),
  ];
  if (beforeEdges) {
    const c = changeOf(beforeEdges.get(id)?.bytes ?? 0, afterEdges.get(id)?.bytes ?? 0);
    lines.push(h('div', {}, `before ${formatBytes(c.before)} → after ${formatBytes(c.after)} (${c.after === 0 && c.before > 0 ? 'vanished' : formatPct(c.pct)})`));
  }
  const ports = h('div', { class: 'ports' }, `ports: ${portsCache.get(key) ?? '…'}`);
  if (!e.source.startsWith(MORE_PREFIX) && !e.target.startsWith(MORE_PREFIX)) lines.push(ports);
  tooltip.replaceChildren(...lines);
  tooltip.dataset.edge = id;
  tooltip.hidden = false;
  const w = mapHost.clientWidth;
  tooltip.style.left = `${Math.min(x + 14, Math.max(0, w - tooltip.offsetWidth - 4))}px`;
  // below the pointer, or above it near the bottom of the map
  tooltip.style.top = `${y + 14 + tooltip.offsetHeight > mapHost.clientHeight ? Math.max(0, y - tooltip.offsetHeight - 8) : y + 14}px`;
  if (!portsCache.has(key) && !e.source.startsWith(MORE_PREFIX) && !e.target.startsWith(MORE_PREFIX)) {
    hoverTimer = setTimeout(() => {
      // its own lane: a click on the edge (the details panel) must not cancel it, nor it the click's
      request('edgeDetails', { query: state.query, source: e.source, target: e.target }, 'hover').then((d) => {
        portsCache.set(key, d.ports.slice(0, 5).map((p) => `${proto(p.protocol)} ${p.port ?? '—'} (${formatBytes(p.bytes)})`).join(', ') || '—');
        if (hovered === id) ports.textContent = `ports: ${portsCache.get(key)}`;
      }, () => undefined);
    }, 150);
  }
}

// ------------------------------------------------------------------------------------------ details
function labelOfNode(id: string): string {
  return view?.nodes.find((n) => n.id === id)?.label ?? graph?.nodes.find((n) => n.id === id)?.label ?? compareGraph?.nodes.find((n) => n.id === id)?.label ?? id;
}

/** A "+N more" node: its type is shown in full (Fold puts it back). */
function expandMore(id: string): void {
  const type = id.slice(MORE_PREFIX.length);
  state.expanded = [...(state.expanded ?? []), type];
  foldBtn.hidden = false;
  setStatus(`Showing ${EXPAND_STEP} more ${typeName(type, EXPAND_STEP)}…`);
  saveState();
  void refold();
}

function selectNode(id: string): void {
  if (id.startsWith(MORE_PREFIX)) return expandMore(id);
  state.selection = { type: 'node', id };
  keyboardFocus = id;
  saveState();
  paintScene();
  details.replaceChildren(h('p', {}, `Loading ${labelOfNode(id)}…`));
  details.hidden = false;
  request('nodeDetails', { query: state.query, node: id }).then(
    (d) => state.selection?.id === id && renderNodeDetails(d),
    unlessReplaced((m) => details.replaceChildren(h('p', { class: 'error' }, m))),
  );
}

function selectEdge(id: string): void {
  const e = afterEdges.get(id) ?? beforeEdges?.get(id);
  if (!e) return;
  state.selection = { type: 'edge', id };
  saveState();
  paintScene();
  details.hidden = false;
  if (e.source.startsWith(MORE_PREFIX) || e.target.startsWith(MORE_PREFIX)) {
    // a "+N more" node's edge is the sum of its members' edges: shown from the map itself
    return renderEdgeDetails({
      source: e.source, target: e.target, sourceLabel: labelOfNode(e.source), targetLabel: labelOfNode(e.target),
      up: afterEdges.get(id)?.up ?? 0, down: afterEdges.get(id)?.down ?? 0, flows: afterEdges.get(id)?.flows ?? 0, cost: afterEdges.get(id)?.cost ?? 0,
      ports: [], egressPaths: [], kinds: afterEdges.get(id)?.kinds ?? {}, findings: afterEdges.get(id)?.findings ?? [],
    });
  }
  details.replaceChildren(h('p', {}, 'Loading edge…'));
  request('edgeDetails', { query: state.query, source: e.source, target: e.target }).then(
    (d) => state.selection?.id === id && renderEdgeDetails(d),
    unlessReplaced((m) => details.replaceChildren(h('p', { class: 'error' }, m))),
  );
}

function clearSelection(): void {
  state.selection = undefined;
  saveState();
  details.hidden = true;
  details.replaceChildren();
  paintScene();
}

function row(label: string, value: string | Node): HTMLElement {
  return h('div', { class: 'row' }, h('span', { class: 'k' }, label), h('span', { class: 'v' }, value));
}

function peerList(cls: string, title: string, peers: NodeDetails['peersIn']): HTMLElement {
  const list = h('ol', { class: cls });
  for (const p of peers) {
    const a = h('a', { href: '#', 'data-id': p.id }, p.label);
    a.addEventListener('click', (ev) => {
      ev.preventDefault();
      selectNode(p.id);
    });
    list.append(h('li', {}, a, h('span', { class: 'bytes' }, ` ${formatBytes(p.bytes)}`)));
  }
  return h('section', {}, h('h3', {}, title), peers.length ? list : h('p', { class: 'muted' }, 'none'));
}

function button(id: string, text: string, onClick: () => void): HTMLButtonElement {
  const b = h('button', { id }, text);
  b.addEventListener('click', onClick);
  return b;
}

function renderNodeDetails(d: NodeDetails): void {
  const actions = h('div', { class: 'actions' },
    button('open-sql', 'Open in SQL', () => void request('openInSql', { query: state.query, node: d.id }).catch((e) => setStatus(String(e.message), true))),
    button('focus', 'Focus neighbourhood', () => {
      state.focus = { node: d.id, hops: Number(hopsSel.value) };
      clearFocusBtn.disabled = false;
      saveState();
      refresh();
    }));
  if (d.arn) actions.append(button('copy-arn', 'Copy ARN', () => void request('copyText', { text: d.arn! })));
  const list = (xs: string[]) => xs.join(', ') || '—';
  details.replaceChildren(
    h('h2', { class: 'title' }, d.label),
    row('type', d.kind ? `${d.type} (${d.kind})` : d.type),
    ...(d.arn ? [row('ARN', h('code', { class: 'arn' }, d.arn))] : []),
    row('account', list(d.accounts)),
    row('VPC', list(d.vpcs)),
    // a transit gateway sits in no subnet and has no security group: its attachments say where it reaches
    ...(d.transitGateway ? [] : [row('subnets', list(d.subnets)), row('AZs', list(d.azs)),
      row('security groups', list(d.securityGroups.map((g) => (g.name ? `${g.name} (${g.id})` : g.id))))]),
    row('tags', list(d.tags.map((t) => `${t.key}=${t.value}`))),
    actions,
    peerList('peers-in', 'Top clients (in)', d.peersIn),
    peerList('peers-out', 'Top servers (out)', d.peersOut),
    ...(d.members.length ? [h('section', {}, h('h3', {}, `Members (${d.members.length})`),
      h('ol', { class: 'members' }, ...d.members.map((m) => h('li', { title: m.arn }, m.label, h('span', { class: 'bytes' }, ` ${formatBytes(m.bytes)}`)))))] : []),
  );
  if (d.transitGateway) details.insertBefore(transitGatewaySection(d.transitGateway), actions);
  details.dataset.node = d.id;
}

/** What went through a transit gateway: each conversation once, its crossings, and what each attachment carried. */
function transitGatewaySection(t: NonNullable<NodeDetails['transitGateway']>): HTMLElement {
  const share = (b: number) => (t.up + t.down > 0 ? ` (${formatShare((100 * b) / (t.up + t.down))})` : '');
  return h('section', { class: 'tgw' },
    h('h3', {}, 'Through this transit gateway'),
    row('bytes', `${formatBytes(t.up + t.down)} (↑ ${formatBytes(t.up)}, ↓ ${formatBytes(t.down)})`),
    row('conversations', t.flows.toLocaleString('en-US')),
    row('est. cost', formatValue(t.cost, 'cost')),
    row('cross-AZ', `${formatBytes(t.crossAzBytes)}${share(t.crossAzBytes)}`),
    row('cross-account', `${formatBytes(t.crossAccountBytes)}${share(t.crossAccountBytes)}`),
    ...(t.crossRegionBytes > 0 ? [row('cross-region', `${formatBytes(t.crossRegionBytes)}${share(t.crossRegionBytes)}`)] : []),
    h('h3', {}, `Attachments (${t.attachments.filter((a) => a.id).length})`),
    h('ol', { class: 'attachments' }, ...t.attachments.map((a) => h('li', { title: a.id ?? '' },
      a.vpc ? `${a.label} · ${a.vpc}${a.account ? ` · ${a.account}` : ''}` : a.label, h('span', { class: 'bytes' }, ` ${formatBytes(a.bytes)}`)))));
}

function renderEdgeDetails(d: EdgeDetails): void {
  const proto = (p: number) => ({ 6: 'TCP', 17: 'UDP', 1: 'ICMP' })[p] ?? String(p);
  const id = `${d.source}\u2192${d.target}`;
  const compared: HTMLElement[] = [];
  if (beforeEdges) {
    const c = changeOf(beforeEdges.get(id)?.bytes ?? 0, afterEdges.get(id)?.bytes ?? 0);
    const change = view?.edges.find((e) => e.id === id)?.change ?? 'unchanged';
    // (an edge neither new nor gone that changed by less than ×2 is drawn faint: "unchanged" only when it did not change)
    const changeText = change !== 'unchanged' ? change : c.after === c.before ? 'unchanged' : 'less than ×2 either way';
    compared.push(h('section', { class: 'compare', 'data-change': change },
      h('h3', {}, `Compared with ${formatTime(state.compare!.from)} – ${formatTime(state.compare!.to)}`),
      row('before', formatBytes(c.before)),
      row('after', formatBytes(c.after)),
      row('Δ', h('span', { class: `delta change-text-${change}` }, `${c.after - c.before >= 0 ? '+' : '−'}${formatBytes(Math.abs(c.after - c.before))} (${c.after === 0 && c.before > 0 ? 'vanished' : formatPct(c.pct)})`)),
      row('change', changeText)));
  }
  details.replaceChildren(
    h('h2', { class: 'title' }, `${d.sourceLabel} → ${d.targetLabel}`),
    ...compared,
    row('client → server', formatBytes(d.up)),
    row('server → client', formatBytes(d.down)),
    row('conversations', d.flows.toLocaleString('en-US')),
    row('est. cost', formatValue(d.cost, 'cost')),
    row('egress path', d.egressPaths.map((p) => `${p.path} ${formatBytes(p.bytes)}`).join(', ')),
    row('kind', Object.entries(d.kinds).map(([k, b]) => `${KIND_LABELS[k as keyof typeof KIND_LABELS]} ${formatBytes(b ?? 0)}`).join(', ')),
    ...(d.findings.length ? [row('findings', d.findings.map((f) => FINDING_LABELS[f]).join(', '))] : []),
    h('div', { class: 'actions' }, button('open-sql', 'Open in SQL', () => void request('openInSql', { query: state.query, source: d.source, target: d.target }).catch((e) => setStatus(String(e.message), true)))),
    h('section', {}, h('h3', {}, 'Ports'), h('ol', { class: 'ports' }, ...d.ports.map((p) => h('li', {}, `${proto(p.protocol)} ${p.port ?? '—'}: ${formatBytes(p.bytes)}, ${p.flows} conv.`)))),
  );
  details.dataset.node = '';
}

// ------------------------------------------------------------------------------------------ keyboard
mapHost.addEventListener('keydown', (ev) => {
  if (!scene || !view) return;
  const order = tabOrder(view.nodes);
  const move = (id: string | undefined) => {
    if (!id) return;
    keyboardFocus = id;
    paintScene();
    const n = scene!.byId.get(id);
    if (n) {
      const [sx, sy] = graphView.toScreen(n.x, n.y);
      if (sx < 0 || sy < 0 || sx > mapHost.clientWidth || sy > mapHost.clientHeight) {
        const t = graphView.getTransform();
        graphView.setTransform({ x: mapHost.clientWidth / 2 - n.x * t.k, y: mapHost.clientHeight / 2 - n.y * t.k, k: t.k });
      }
      mapHost.setAttribute('aria-label', `${n.label} (${n.type})`);
    }
  };
  const i = keyboardFocus ? order.indexOf(keyboardFocus) : -1;
  if (ev.key === 'Tab') {
    const j = ev.shiftKey ? i - 1 : i + 1;
    if (j < 0 || j >= order.length) return; // let focus leave the map
    ev.preventDefault();
    move(order[j]);
  } else if (ev.key.startsWith('Arrow')) {
    ev.preventDefault();
    const cur = keyboardFocus ? scene.byId.get(keyboardFocus) : undefined;
    if (!cur) return move(order[0]);
    const dir = ({ ArrowLeft: 'left', ArrowRight: 'right', ArrowUp: 'up', ArrowDown: 'down' } as const)[ev.key as 'ArrowLeft'];
    move(nearestInDirection(scene.nodes, cur, dir));
  } else if (ev.key === 'Enter' && keyboardFocus) {
    ev.preventDefault();
    selectNode(keyboardFocus);
  } else if (ev.key === 'Escape') {
    clearSelection();
  } else if (ev.key === '+' || ev.key === '=') {
    graphView.zoomBy(1.25);
  } else if (ev.key === '-') {
    graphView.zoomBy(0.8);
  }
});

// ------------------------------------------------------------------------------------------ export
async function exportImage(format: 'svg' | 'png'): Promise<void> {
  if (!scene) return;
  let data: string;
  if (format === 'svg') data = sceneToSvg(scene, theme);
  else {
    let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
    for (const n of scene.nodes) {
      x0 = Math.min(x0, n.x - n.r - 10); y0 = Math.min(y0, n.y - n.r - 10);
      x1 = Math.max(x1, n.x + n.r + 120); y1 = Math.max(y1, n.y + n.r + 10);
    }
    for (const g of scene.groups) {
      x0 = Math.min(x0, g.x0 - 10); y0 = Math.min(y0, g.y0 - 10); x1 = Math.max(x1, g.x1 + 10); y1 = Math.max(y1, g.y1 + 10);
    }
    const scale = Math.min(2, 8192 / Math.max(1, x1 - x0), 8192 / Math.max(1, y1 - y0));
    const c = document.createElement('canvas');
    c.width = Math.ceil((x1 - x0) * scale);
    c.height = Math.ceil((y1 - y0) * scale);
    drawScene(c.getContext('2d')!, { ...scene, focused: undefined }, theme, { x: -x0, y: -y0, k: 1 }, c.width, c.height, scale, Infinity); // every edge
    data = c.toDataURL('image/png');
  }
  try {
    const r = await request('exportImage', { format, data });
    if (r.saved) setStatus(`Saved ${r.saved}`);
  } catch (err) {
    setStatus(String(err instanceof Error ? err.message : err), true);
  }
}

// ------------------------------------------------------------------------------------------ start
controlsFromState();
details.hidden = true;
post({ kind: 'ready', version: TOPOLOGY_PROTOCOL_VERSION });

/** For the benchmark and end-to-end tests: read-only facts about the view. */
(window as unknown as { flowlensTopology: unknown }).flowlensTopology = {
  get mode() {
    return graphView.mode;
  },
  get painted() {
    return graphView.painted;
  },
  get firstPaintAt() {
    return graphView.firstPaintAt;
  },
  /** The map's renderer (the benchmark reads its counters and sets repaintEveryFrame). */
  renderer: graphView,
  get lastPaintMs() {
    return graphView.lastPaintMs;
  },
  get layoutRunning() {
    return layout?.running ?? false;
  },
  timings,
  /** The level of the graph on screen (after a reload completes). */
  get graphLevel() {
    return view ? graph?.query.level : undefined;
  },
  get lastStepMs() {
    return lastStepMs;
  },
  get zoom() {
    return graphView.getTransform();
  },
  get interacting() {
    return interacting;
  },
  get layoutLooping() {
    return layoutFrame !== 0;
  },
  get nodes() {
    return view?.nodes.length ?? 0;
  },
  get edges() {
    return view?.edges.length ?? 0;
  },
  highlightedEdges: () => view?.edges.filter((e) => e.highlighted).map((e) => ({ source: e.source, target: e.target })) ?? [],
  /** The shown security-group rule and the edges the host said it carried (before the view's own filters). */
  get rule() {
    return state.rule ? { ...state.rule, edges: [...ruleEdgeIds] } : undefined;
  },
  zoomBy: (k: number, x = 0, y = 0) => graphView.zoomBy(k, x, y),
};
