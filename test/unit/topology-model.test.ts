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
import { CHANGE_COLOURS, KIND_COLOURS, buildScene, edgeColour, readTheme, sceneToSvg } from '../../webview/topology/scene';
import { defaultQuery, defaultViewState, type Graph, type GraphEdge, type GraphNode } from '../../src/protocol/topology';

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

test('a selected rule highlights exactly its edges, whatever findings are ticked; its nodes are kept out of "+N more"', () => {
  const v = visibleGraph(graph, opts({ highlights: ['cross-az'], ruleEdges: new Set(['a\u2192b']) }));
  assert.deepEqual(v.edges.filter((e) => e.highlighted).map((e) => e.id), ['a\u2192b']);
  assert.deepEqual(visibleGraph(graph, opts({ highlights: ['cross-az'], ruleEdges: new Set() })).edges.filter((e) => e.highlighted), []);
  const keep = foldRequest({ search: '', selection: { type: 'node', id: 'a' } }, ['a', 'b', ...Array.from({ length: 200 }, (_, i) => `n${i}`)]).keep;
  assert.equal(keep.length, 100);
  assert.deepEqual(keep.slice(0, 3), ['a', 'b', 'n0']);
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
  const nodes = (): LayoutNode[] => ['a', 'b', 'c', 'n'].map((id) => ({ id, r: 6, path: [] }));
  const links = [{ source: 'a', target: 'b' }, { source: 'n', target: 'c' }];
  const prev = new Map<string, [number, number]>([['a', [0, 0]], ['b', [100, 0]], ['c', [500, 500]]]);
  const seeded = seedPositions(nodes(), links, prev);
  assert.deepEqual(seeded.get('a'), [0, 0]);
  const n = seeded.get('n')!;
  assert.ok(Math.hypot(n[0] - 500, n[1] - 500) < 40, 'the new node starts next to its neighbour');
  const l1 = new Layout(nodes(), links, prev, roughMeasure);
  l1.settle();
  const l2 = new Layout(nodes(), links, prev, roughMeasure);
  l2.settle();
  assert.deepEqual([...l1.positions()], [...l2.positions()]);
  // mostly known positions (a filter changed): the known nodes stay put, the new one stays near its neighbour
  assert.deepEqual(l1.positions().get('a'), [0, 0]);
  assert.deepEqual(l1.positions().get('c'), [500, 500]);
  const nn = l1.positions().get('n')!;
  assert.ok(Math.hypot(nn[0] - 500, nn[1] - 500) < 200, `n is at ${nn}`);
  assert.ok(Math.hypot(nn[0] - 500, nn[1] - 500) < Math.hypot(nn[0], nn[1]) / 2, `n is nearer its neighbour c than a: ${nn}`);
  // nothing known (a new level): a full layout from the grid
  const fresh = new Layout(nodes(), links, new Map(), roughMeasure);
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
  assert.ok(svg.includes(`stroke="${KIND_COLOURS['cross-az']}" stroke-width`), 'the highlighted cross-AZ edge has the cross-AZ colour');
  assert.ok(svg.includes('fill="#AA3377"'), 'the database has the database fill');
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

// ------------------------------------------------------------------------------------------ folding and labels
import { EXPAND_STEP, MAX_NODES, applyFold, foldGraph, foldRequest, planFold } from '../../webview/topology/model';
import { placeLabels, roughMeasure, type SceneNode } from '../../webview/topology/scene';

/** 300 tasks around one load balancer, the internet, and S3: the resource level of a busy ECS service. */
function busy(): Graph {
  const nodes: GraphNode[] = [node('lb', { type: 'elasticloadbalancing:loadbalancer', bytesIn: 1e9, bytesOut: 1e9 }), node('internet', { type: 'internet' }), node('aws:S3', { type: 'aws-service', bytesIn: 1 })];
  const edges: GraphEdge[] = [edge('internet', 'lb', 5000)];
  for (let i = 0; i < 300; i++) {
    const id = `task-${String(i).padStart(3, '0')}`;
    nodes.push(node(id, { type: 'ecs:task', bytesIn: 1000 - i, bytesOut: 0 }));
    edges.push(edge('lb', id, 1000 - i, { kind: i % 2 ? 'cross-az' : 'same-az', kinds: { [i % 2 ? 'cross-az' : 'same-az']: 1000 - i } }));
    if (i % 10 === 0) edges.push(edge(id, 'aws:S3', 7));
  }
  for (let i = 0; i < 20; i++) {
    nodes.push(node(`fn-${i}`, { type: 'lambda:function', bytesIn: 5, bytesOut: 5 }));
    edges.push(edge(`fn-${i}`, 'lb', 10));
  }
  return { query: defaultQuery(), nodes, edges, droppedEdges: 0, dataFrom: 0, dataTo: 0 };
}

test('a big map folds into at most MAX_NODES nodes: the busiest stay, the rest become "+N more <type>" with their traffic', () => {
  const g = busy();
  const fold = planFold(g.nodes);
  const f = applyFold(g, fold);
  assert.ok(f.nodes.length <= MAX_NODES, `${f.nodes.length}`);
  assert.equal(f.nodes.length, MAX_NODES);
  // pinned: the internet, AWS services, the biggest nodes
  for (const id of ['internet', 'aws:S3', 'lb', 'task-000', 'task-001']) assert.ok(f.nodes.some((n) => n.id === id), id);
  const moreTasks = f.nodes.find((n) => n.id === 'more:ecs:task')!;
  const moreFns = f.nodes.find((n) => n.id === 'more:lambda:function')!;
  const keptTasks = f.nodes.filter((n) => n.type === 'ecs:task' && n.kind !== 'more').length;
  assert.equal(moreTasks.label, `+${300 - keptTasks} more ECS tasks`);
  assert.equal(moreFns.label, '+20 more Lambda functions');
  // bytes are kept: every byte of the graph is on some edge of the folded one
  const sum = (es: GraphEdge[]) => es.reduce((a, e) => a + e.bytes, 0);
  assert.equal(sum(f.edges), sum(g.edges));
  const lbMore = f.edges.find((e) => e.source === 'lb' && e.target === 'more:ecs:task')!;
  assert.equal(lbMore.bytes, g.edges.filter((e) => e.source === 'lb' && fold.into.get(e.target) === 'more:ecs:task').reduce((a, e) => a + e.bytes, 0));
  assert.deepEqual(Object.keys(lbMore.kinds).sort(), ['cross-az', 'same-az']);
  // the same input folds the same way
  assert.deepEqual(applyFold(busy(), planFold(busy().nodes)).nodes.map((n) => n.id), f.nodes.map((n) => n.id));
  // each click on "+N more ECS tasks" shows the next EXPAND_STEP busiest tasks; a small graph is left alone
  const tasksShown = (expanded: string[]) => applyFold(g, planFold(g.nodes, { expanded })).nodes.filter((n) => n.type === 'ecs:task' && n.kind !== 'more').map((n) => n.id);
  const once = tasksShown(['ecs:task']);
  const twice = tasksShown(['ecs:task', 'ecs:task']);
  assert.ok(once.length >= EXPAND_STEP && once.length > keptTasks);
  assert.ok(once.includes('task-000') && once.includes(`task-${String(EXPAND_STEP - 1).padStart(3, '0')}`));
  assert.ok(twice.length >= 2 * EXPAND_STEP && twice.length > once.length);
  assert.ok(applyFold(g, planFold(g.nodes, { expanded: ['ecs:task', 'ecs:task'] })).nodes.some((n) => n.id === 'more:ecs:task'), 'the rest stays folded');
  assert.equal(tasksShown(Array(8).fill('ecs:task')).length, 300);
  assert.equal(planFold(graph.nodes).more.size, 0);
  // a type with one node left over is not folded into "+1 more"
  const one = busy();
  one.nodes.push(node('lonely', { type: 'rds:db', bytesIn: 0, bytesOut: 0 }));
  one.edges.push(edge('lonely', 'lb', 1));
  const oneFolded = applyFold(one, planFold(one.nodes));
  assert.ok(oneFolded.nodes.some((n) => n.id === 'lonely'));
  assert.ok(!oneFolded.nodes.some((n) => n.id === 'more:rds:db'));
  assert.ok(oneFolded.nodes.length <= MAX_NODES);
  // a search finds what is folded; "all nodes" folds nothing
  const state = { ...defaultViewState(), search: 'task-298' };
  assert.ok(foldGraph(g, foldRequest(state)).nodes.some((n) => n.id === 'task-298'));
  assert.ok(!foldGraph(g, foldRequest({ ...state, search: '' })).nodes.some((n) => n.id === 'task-298'));
  assert.equal(foldGraph(g, foldRequest({ ...state, maxNodes: 0 })).nodes.length, g.nodes.length);
  assert.equal(foldGraph(g, foldRequest({ ...state, maxNodes: 150 })).nodes.length, 150);
  assert.equal(foldGraph(g, foldRequest(state)).total, g.nodes.length, 'a folded graph says how many nodes it had');
  // the selected node is never folded
  assert.ok(applyFold(g, planFold(g.nodes, { keep: ['task-299'] })).nodes.some((n) => n.id === 'task-299'));
  assert.ok(foldGraph(g, foldRequest({ ...state, search: '', selection: { type: 'node', id: 'task-299' } })).nodes.some((n) => n.id === 'task-299'));
  // a transit gateway, however quiet, stays itself: the traffic of the VPCs it links goes through its node
  const linked = busy();
  linked.nodes.push(node('tgw:tgw-1', { type: 'ec2:transit-gateway', bytesIn: 1, bytesOut: 0 }), node('tgw:tgw-2', { type: 'ec2:transit-gateway', bytesIn: 1, bytesOut: 0 }));
  linked.edges.push(edge('task-299', 'tgw:tgw-1', 1), edge('tgw:tgw-1', 'tgw:tgw-2', 1));
  const kept = applyFold(linked, planFold(linked.nodes));
  assert.ok(kept.nodes.length <= MAX_NODES);
  assert.deepEqual(kept.nodes.filter((n) => n.type === 'ec2:transit-gateway').map((n) => n.id), ['tgw:tgw-1', 'tgw:tgw-2']);
  assert.ok(kept.edges.some((e) => e.source === 'more:ecs:task' && e.target === 'tgw:tgw-1'));
});

test('labels never overlap: the busier node keeps its label, the lower-ranked one moves or hides', () => {
  const sn = (id: string, x: number, y: number, label = `label-of-${id}`): SceneNode => ({ id, label, type: 'ec2:instance', x, y, r: 5, match: false });
  // a dense cluster: 60 nodes on a 6 x 10 grid 14 px apart
  const nodes: SceneNode[] = [];
  for (let i = 0; i < 60; i++) nodes.push(sn(`n${i}`, (i % 6) * 14, Math.floor(i / 6) * 14));
  const order = nodes.map((n) => n.id);
  const placed = placeLabels(nodes, order, roughMeasure);
  const boxes = [...placed.values()].filter((b) => b !== null).map((b) => b!.box);
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      assert.ok(a[2] <= b[0] || b[2] <= a[0] || a[3] <= b[1] || b[3] <= a[1], `labels ${i} and ${j} overlap`);
    }
  }
  assert.ok(placed.get('n0'), 'the first-ranked label is placed');
  assert.ok([...placed.values()].some((b) => b === null), 'in a crowd some labels hide');
  // two nodes side by side: the first in rank order keeps the right-hand place
  const two = placeLabels([sn('a', 0, 0), sn('b', 30, 0)], ['b', 'a'], roughMeasure);
  assert.equal(two.get('b')!.anchor, 'start');
  assert.notEqual(two.get('a'), undefined);
  const a = two.get('a');
  if (a) assert.ok(a.box[2] <= 30 - 5 || a.box[1] >= 5 || a.box[3] <= -5, 'a label does not cover the other node');
});

test('edge colours: one per kind, none shared with the compare palette; comparing colours edges by change only', () => {
  const kinds = Object.values(KIND_COLOURS).map((c) => c.toLowerCase());
  assert.equal(new Set(kinds).size, kinds.length, 'every kind has its own colour');
  for (const c of Object.values(CHANGE_COLOURS)) assert.ok(!kinds.includes(c.toLowerCase()), `${c} is only a change colour`);
  // cross-AZ and NAT are not two oranges any more: their hues are far apart
  const hue = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
    const max = Math.max(r, g, b), min = Math.min(r, g, b), d = max - min;
    const h = max === r ? ((g - b) / d) % 6 : max === g ? (b - r) / d + 2 : (r - g) / d + 4;
    return (h * 60 + 360) % 360;
  };
  assert.ok(Math.abs(hue(KIND_COLOURS['cross-az']) - hue(KIND_COLOURS.nat)) > 90);
  const theme = readTheme(() => '');
  const before: Graph = { ...graph, edges: [edge('a', 'b', 100), edge('b', 'c', 5000), edge('c', 'd', 200), edge('x', 'y', 9)], nodes: [...graph.nodes, node('x'), node('y')] };
  const cmp = diffPeriods(graph.edges, before.edges);
  const v = visibleGraph(graph, opts(), { ...cmp, nodes: before.nodes });
  const scene = buildScene(v, 'resource', new Map(v.nodes.map((n, i) => [n.id, { x: i * 40, y: 0 }])));
  assert.ok(scene.comparing);
  const colour = (id: string) => edgeColour(scene.edges.find((e) => e.id === id)!, scene, theme);
  assert.equal(colour('a\u2192b'), CHANGE_COLOURS.grew);
  assert.equal(colour('b\u2192c'), CHANGE_COLOURS.shrank);
  assert.equal(colour('x\u2192y'), CHANGE_COLOURS.vanished);
  assert.equal(colour('e\u2192a'), theme.changes.new);
  assert.equal(colour('c\u2192d'), theme.muted, 'an unchanged edge is faint, not coloured by its path');
  assert.equal(v.nodes.find((n) => n.id === 'x')!.label, 'X', 'a vanished node keeps its name');
});

// ------------------------------------------------------------------------------------------ boxes
import { groupPath, nodeRadius } from '../../webview/topology/model';
import { packBoxes, packRows } from '../../webview/topology/layout';

test('boxes never overlap: two accounts, VPCs over AZs, nodes outside every box; each node inside its own boxes only', () => {
  const nodes: GraphNode[] = [node('internet', { type: 'internet' }), node('aws:S3', { type: 'aws-service' })];
  const edges: GraphEdge[] = [];
  for (const account of ['111111111111', '222222222222']) {
    for (const vpc of ['vpc-1', 'vpc-2']) {
      for (const az of ['us-east-1a', 'us-east-1b', 'us-east-1c']) {
        for (let i = 0; i < 4; i++) {
          const id = `${account}/${vpc}/${az}/${i}`;
          nodes.push(node(id, { account, vpc: `${vpc}-${account}`, az, bytesIn: 10 + i * 1000 }));
          // heavy traffic across boxes pulls nodes together: the boxes must still stay apart
          edges.push(edge(id, 'internet', 1000), edge(id, `${account}/vpc-1/us-east-1a/0`, 500), edge(id, 'aws:S3', 100));
        }
      }
    }
  }
  const v = visibleGraph({ ...graph, nodes, edges: edges.filter((e) => e.source !== e.target) }, opts());
  const max = Math.max(...v.nodes.map((n) => n.value));
  const lay = () => {
    const l = new Layout(v.nodes.map((n) => ({ id: n.id, r: nodeRadius(n.value, max), path: groupPath(n, 'resource') })), v.edges, new Map(), roughMeasure);
    l.settle();
    l.snap();
    return l;
  };
  const l = lay();
  assert.deepEqual([...l.positions()], [...lay().positions()], 'deterministic');
  const scene = buildScene(v, 'resource', l.byId);
  assert.equal(scene.groups.length, 2 + 4 + 12);
  const within = (a: { x0: number; y0: number; x1: number; y1: number }, b: typeof a) => a.x0 >= b.x0 && a.y0 >= b.y0 && a.x1 <= b.x1 && a.y1 <= b.y1;
  for (const a of scene.groups) {
    for (const b of scene.groups) {
      if (a === b) continue;
      const apart = a.x1 <= b.x0 || b.x1 <= a.x0 || a.y1 <= b.y0 || b.y1 <= a.y0;
      assert.ok(apart || within(a, b) || within(b, a), `${a.key} and ${b.key} overlap`);
    }
  }
  for (const n of scene.nodes) {
    const mine = new Set(n.boxes ?? []);
    for (const b of scene.groups) {
      const c = { x0: n.x - n.r, y0: n.y - n.r, x1: n.x + n.r, y1: n.y + n.r };
      if (mine.has(b.key)) assert.ok(within(c, b), `${n.id} inside ${b.key}`);
      else assert.ok(c.x1 <= b.x0 || b.x1 <= c.x0 || c.y1 <= b.y0 || b.y1 <= c.y0, `${n.id} is not in ${b.key}`);
    }
  }
  // AZs side by side in name order inside their VPC
  const azs = scene.groups.filter((g) => g.key.startsWith('account:111111111111/vpc:vpc-1-111111111111/az:'));
  assert.deepEqual(azs.map((g) => g.label), ['us-east-1a', 'us-east-1b', 'us-east-1c']);
  assert.ok(azs[0].x1 <= azs[1].x0 && azs[1].x1 <= azs[2].x0, 'a, b, c from left to right');
  // a map that comes back from remembered positions is the same to the pixel
  const again = new Layout(v.nodes.map((n) => ({ id: n.id, r: l.radius(n.id), path: groupPath(n, 'resource') })), v.edges, l.positions(), roughMeasure);
  again.settle();
  again.snap();
  assert.deepEqual([...again.positions()], [...l.positions()]);
});

test('rows or columns: boxes in order, none overlapping, the arrangement that best fits the frame', () => {
  const at = packRows([[100, 50], [100, 50], [100, 50], [100, 50]], 1, 10);
  assert.deepEqual(at, [[0, 0], [110, 0], [0, 60], [110, 60]]);
  assert.deepEqual(packRows([[300, 100], [300, 100]], 4, 10), [[0, 0], [310, 0]]);
  assert.deepEqual(packRows([], 1.6, 10), []);
  // a tall box beside a stack of two small ones fits a square better than any rows
  assert.deepEqual(packBoxes([[100, 200], [100, 90], [100, 90]], 1, 10), [[0, 0], [110, 5], [110, 105]]);
  assert.deepEqual(packBoxes([[100, 50], [100, 50]], 4, 10), packRows([[100, 50], [100, 50]], 4, 10));
});

test('a node folded away and back sits where it was among its box-mates, however the boxes were packed meanwhile', () => {
  const box = (key: string) => [{ level: 'az' as const, key, label: key }];
  const node = (id: string, key: string): LayoutNode => ({ id, r: 8, path: box(key) });
  const links = [{ source: 'a', target: 'b' }, { source: 'c', target: 'd' }];
  const settle = (nodes: LayoutNode[], prev: Map<string, [number, number]>) => {
    const l = new Layout(nodes, links.filter((k) => nodes.some((n) => n.id === k.source) && nodes.some((n) => n.id === k.target)), prev, roughMeasure);
    l.settle();
    l.snap();
    return l;
  };
  const apart = (l: Layout, x: string, y: string) => Math.hypot(l.byId.get(x)!.x - l.byId.get(y)!.x, l.byId.get(x)!.y - l.byId.get(y)!.y);
  // first: a and b in box X, c in box Y
  const first = settle([node('a', 'X'), node('b', 'X'), node('c', 'Y')], new Map());
  const remembered = new Map(first.positions());
  // then b is folded away and box Y grows: the boxes are packed anew, X's content moves as a whole
  const grown = ['d', 'e', 'f', 'g', 'h', 'i'].map((id) => node(id, 'Y'));
  const second = settle([node('a', 'X'), node('c', 'Y'), ...grown], remembered);
  for (const [k, v] of second.positions()) remembered.set(k, v);
  // b back: a and b as far apart as they were, their box no bigger than it was
  const third = settle([node('a', 'X'), node('b', 'X'), node('c', 'Y'), ...grown], remembered);
  assert.ok(Math.abs(apart(third, 'a', 'b') - apart(first, 'a', 'b')) < 1, `a-b ${apart(first, 'a', 'b')} then ${apart(third, 'a', 'b')}`);
});
