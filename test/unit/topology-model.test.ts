import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  diffPeriods,
  edgeWidth,
  formatBytes,
  matchesSearch,
  nearestInDirection,
  neighbourhood,
  tabOrder,
  visibleGraph,
  type ViewOptions,
} from '../../webview/topology/model';
import { Layout, seedPositions, type LayoutNode } from '../../webview/topology/layout';
import { buildScene, readTheme, sceneToSvg } from '../../webview/topology/scene';
import { defaultQuery, type Graph, type GraphEdge, type GraphNode } from '../../src/protocol/topology';

const node = (id: string, extra: Partial<GraphNode> = {}): GraphNode => ({ id, label: id.toUpperCase(), type: 'ec2:instance', members: 1, bytesIn: 10, bytesOut: 10, ...extra });
const edge = (source: string, target: string, bytes: number, extra: Partial<GraphEdge> = {}): GraphEdge => ({
  id: `${source}\u2192${target}`, source, target, up: bytes / 2, down: bytes / 2, bytes, flows: 1, cost: bytes / 1e9, kind: 'same-az', kinds: { 'same-az': bytes }, findings: [], ...extra,
});
// a - b - c - d, and e - a; f isolated from the rest by a tiny edge f -> g
const graph: Graph = {
  query: defaultQuery(),
  nodes: ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((id) => node(id, id === 'c' ? { label: 'orders-db', type: 'rds:db' } : {})),
  edges: [edge('a', 'b', 1000), edge('b', 'c', 500, { findings: ['cross-az'], kind: 'cross-az' }), edge('c', 'd', 200), edge('e', 'a', 50), edge('f', 'g', 5)],
  droppedEdges: 0, dataFrom: 0, dataTo: 0,
};
const opts = (o: Partial<ViewOptions> = {}): ViewOptions => ({ weight: 'bytes', minBytes: 0, search: '', highlights: [], ...o });

test('minimum bytes hides small edges and the nodes left without edges', () => {
  const v = visibleGraph(graph, opts({ minBytes: 100 }));
  assert.deepEqual(v.edges.map((e) => e.id), ['a\u2192b', 'b\u2192c', 'c\u2192d']);
  assert.deepEqual(v.nodes.map((n) => n.id), ['a', 'b', 'c', 'd']);
});

test('neighbourhood of N hops follows edges both ways', () => {
  assert.deepEqual([...neighbourhood(graph.edges, 'b', 1)].sort(), ['a', 'b', 'c']);
  assert.deepEqual([...neighbourhood(graph.edges, 'b', 2)].sort(), ['a', 'b', 'c', 'd', 'e']);
  assert.deepEqual([...neighbourhood(graph.edges, 'f', 5)].sort(), ['f', 'g']);
  const v = visibleGraph(graph, opts({ focus: { node: 'd', hops: 1 } }));
  assert.deepEqual(v.nodes.map((n) => n.id), ['c', 'd']);
});

test('search matches label, id and type, every word; highlights mark edges with the finding', () => {
  assert.ok(matchesSearch(graph.nodes[2], 'orders'));
  assert.ok(matchesSearch(graph.nodes[2], 'RDS db'));
  assert.ok(!matchesSearch(graph.nodes[2], 'orders web'));
  assert.ok(!matchesSearch(graph.nodes[2], '   '));
  const v = visibleGraph(graph, opts({ search: 'orders', highlights: ['cross-az'] }));
  assert.deepEqual(v.matches, ['c']);
  assert.deepEqual(v.edges.filter((e) => e.highlighted).map((e) => e.id), ['b\u2192c']);
  assert.equal(visibleGraph(graph, opts({ weight: 'flows' })).edges[0].value, 1);
});

test('period compare marks new, vanished, grown and shrunk edges', () => {
  const before = [edge('a', 'b', 100), edge('b', 'c', 500), edge('c', 'd', 1000), edge('x', 'y', 70)];
  const { changes, vanished } = diffPeriods(graph.edges, before, { ratio: 2 });
  assert.equal(changes.get('a\u2192b'), 'grew'); // 100 -> 1000
  assert.equal(changes.has('b\u2192c'), false); // unchanged
  assert.equal(changes.get('c\u2192d'), 'shrank'); // 1000 -> 200
  assert.equal(changes.get('e\u2192a'), 'new');
  assert.equal(changes.get('x\u2192y'), 'vanished');
  assert.deepEqual(vanished.map((e) => e.id), ['x\u2192y']);
  // a minimum delta keeps small wobbles out
  assert.equal(diffPeriods([edge('a', 'b', 30)], [edge('a', 'b', 10)], { minDelta: 100 }).changes.size, 0);
  const v = visibleGraph(graph, opts(), { changes, vanished });
  assert.equal(v.edges.find((e) => e.id === 'x\u2192y')?.change, 'vanished');
  assert.ok(v.nodes.some((n) => n.id === 'x' && n.type === 'gone'));
});

test('keyboard: nearest node in a direction, tab order by traffic', () => {
  const pts = [{ id: 'l', x: -10, y: 0 }, { id: 'r', x: 10, y: 1 }, { id: 'far-r', x: 50, y: 0 }, { id: 'u', x: 0, y: -10 }, { id: 'diag', x: 10, y: 12 }];
  assert.equal(nearestInDirection(pts, { x: 0, y: 0 }, 'right'), 'r');
  assert.equal(nearestInDirection(pts, { x: 0, y: 0 }, 'left'), 'l');
  assert.equal(nearestInDirection(pts, { x: 0, y: 0 }, 'up'), 'u');
  assert.equal(nearestInDirection(pts, { x: 0, y: 0 }, 'down'), 'diag');
  assert.equal(nearestInDirection(pts, { x: 60, y: 0 }, 'right'), undefined);
  const v = visibleGraph({ ...graph, nodes: graph.nodes.map((n, i) => ({ ...n, bytesIn: i })) }, opts());
  assert.deepEqual(tabOrder(v.nodes).slice(0, 2), ['g', 'f']);
});

test('layout keeps known positions, puts new nodes beside their neighbours, and is deterministic', () => {
  const nodes = (): LayoutNode[] => ['a', 'b', 'c', 'n'].map((id) => ({ id, group: 'vpc-1', r: 6 }));
  const links = [{ source: 'a', target: 'b' }, { source: 'n', target: 'c' }];
  const prev = new Map<string, [number, number]>([['a', [0, 0]], ['b', [100, 0]], ['c', [500, 500]]]);
  const seeded = seedPositions(nodes(), links, prev);
  assert.deepEqual(seeded.get('a'), [0, 0]);
  const n = seeded.get('n')!;
  assert.ok(Math.hypot(n[0] - 500, n[1] - 500) < 40, 'the new node starts next to its neighbour');
  const l1 = new Layout(nodes(), links, prev);
  l1.settle();
  const l2 = new Layout(nodes(), links, prev);
  l2.settle();
  assert.deepEqual([...l1.positions()], [...l2.positions()]);
  // mostly known positions (a filter changed): the known nodes stay put, the new one stays near its neighbour
  assert.deepEqual(l1.positions().get('a'), [0, 0]);
  assert.deepEqual(l1.positions().get('c'), [500, 500]);
  const nn = l1.positions().get('n')!;
  assert.ok(Math.hypot(nn[0] - 500, nn[1] - 500) < 200, `n is at ${nn}`);
  assert.ok(Math.hypot(nn[0] - 500, nn[1] - 500) < Math.hypot(nn[0], nn[1]) / 2, `n is nearer its neighbour c than a: ${nn}`);
  // nothing known (a new level): a full layout from the grid
  const fresh = new Layout(nodes(), links, new Map());
  fresh.settle();
  assert.notDeepEqual(fresh.positions().get('a'), [0, 0]);
});

test('the SVG export is a standalone document with every node, edge and group box, colours resolved', () => {
  const v = visibleGraph({ ...graph, nodes: graph.nodes.map((n) => ({ ...n, vpc: 'vpc-1', account: '111111111111' })) }, opts({ highlights: ['cross-az'] }));
  const pos = new Map(v.nodes.map((n, i) => [n.id, { x: i * 50, y: (i % 2) * 40 }]));
  const scene = buildScene(v, 'resource', pos, 'c');
  const theme = readTheme((name) => (name === '--vscode-charts-orange' ? '#ff8800' : ''));
  const svg = sceneToSvg(scene, theme);
  assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg" viewBox="/);
  assert.equal((svg.match(/<circle /g) ?? []).length, 7);
  assert.equal((svg.match(/marker-end=/g) ?? []).length, 5);
  assert.ok(svg.includes('>orders-db</text>'));
  assert.ok(svg.includes('stroke="#ff8800" stroke-width'), 'the highlighted cross-AZ edge uses the theme colour');
  assert.ok(!svg.includes('var(--'), 'no CSS variables left in the export');
  assert.equal(scene.groups.map((g) => g.level).join(','), 'account,vpc');
});

test('formatting and scales', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(5 * 1024 ** 3), '5.00 GiB');
  assert.equal(edgeWidth(0, 100), 0.75);
  assert.ok(Math.abs(edgeWidth(100, 100) - 8) < 1e-9);
  assert.ok(edgeWidth(10, 100) < edgeWidth(50, 100));
});
