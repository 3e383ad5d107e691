import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { Db } from '../../src/core/store/db';
import {
  topologyEdgeDetails,
  topologyGraph,
  topologyNodeDetails,
  topologyTimeline,
  type QueryRows,
} from '../../src/core/topology/graph';
import { edgeCell, nodeCell } from '../../src/core/topology/cell';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';
import { defaultQuery, LEVELS, type Graph, type GraphQuery } from '../../src/protocol/topology';
import { ARN, CONVERSATIONS, MIN, T0, openFixture } from './topology-fixture';

let db: Db;
let query: QueryRows;
before(async () => {
  ({ db, query } = await openFixture());
});
after(() => db.close());

const q = (over: Partial<GraphQuery> = {}): GraphQuery => ({ ...defaultQuery(), ...over });
const edge = (g: Graph, s: string, t: string) => g.edges.find((e) => e.source === s && e.target === t);
const totalBytes = CONVERSATIONS.reduce((a, c) => a + c.up + c.down, 0);

test('resource level: one edge per client -> server pair, bytes each way, labels from the inventory', async () => {
  const g = await topologyGraph(query, q());
  assert.equal(g.edges.length, 9);
  assert.equal(g.droppedEdges, 0);
  const albWeb2 = edge(g, ARN.alb, ARN.web2)!;
  assert.deepEqual([albWeb2.up, albWeb2.down, albWeb2.flows], [1200, 4500, 2]);
  assert.equal(albWeb2.kind, 'cross-az');
  assert.equal(edge(g, ARN.alb, ARN.web1)!.kind, 'same-az');
  assert.equal(edge(g, 'internet', ARN.alb)!.kind, 'igw');
  assert.equal(edge(g, ARN.web1, 'aws:S3')!.kind, 'nat');
  assert.equal(edge(g, ARN.web2, ARN.api)!.kind, 'rejected');
  assert.equal(g.edges.reduce((a, e) => a + e.bytes, 0), totalBytes);
  const web1 = g.nodes.find((n) => n.id === ARN.web1)!;
  assert.equal(web1.label, 'web-1');
  assert.equal(web1.type, 'ec2:instance');
  assert.equal(web1.az, 'us-east-1a');
  assert.equal(web1.vpc, 'vpc-a');
  assert.equal(g.nodes.find((n) => n.id === 'aws:S3')!.label, 'S3');
  assert.equal(g.nodes.find((n) => n.id === 'internet')!.type, 'internet');
  // web-1 received 800+100+7 bytes as a server and 4000+200+9 as downloads... bytesIn counts both roles
  assert.equal(web1.bytesIn, 800 + 100 + 7 + 10000 + 30);
  assert.equal(g.dataFrom, T0);
  assert.equal(g.dataTo, T0 + 42 * MIN);
});

test('findings mark exactly the edges of each pattern', async () => {
  const g = await topologyGraph(query, q());
  const marked = (f: string) => g.edges.filter((e) => e.findings.includes(f as never)).map((e) => `${e.source} ${e.target}`).sort();
  assert.deepEqual(marked('alb-bypass'), [`${ARN.api} ${ARN.web1}`]);
  assert.deepEqual(marked('lambda-rds-no-proxy'), [`${ARN.lambda} ${ARN.rds}`]);
  assert.deepEqual(marked('nat-to-endpoint'), [`${ARN.web1} aws:S3`]);
  // cross-AZ, as the cross-az template counts it
  assert.deepEqual(marked('cross-az'), [`${ARN.alb} ${ARN.web2}`, `${ARN.api} ${ARN.web1}`, `${ARN.lambda} ${ARN.rds}`, `${ARN.web2} ${ARN.web1}`].sort());
});

test('every level keeps every byte, and keys nodes at that level', async () => {
  for (const level of LEVELS) {
    const g = await topologyGraph(query, q({ level }));
    assert.equal(g.edges.reduce((a, e) => a + e.bytes, 0), totalBytes, level);
    const ids = new Set(g.nodes.map((n) => n.id));
    for (const e of g.edges) assert.ok(ids.has(e.source) && ids.has(e.target), `${level}: edge ${e.id} has its nodes`);
  }
  const az = await topologyGraph(query, q({ level: 'az' }));
  assert.deepEqual(az.nodes.map((n) => n.id).sort(), ['aws:S3', 'az:us-east-1a', 'az:us-east-1b', 'internet']);
  assert.equal(edge(az, 'az:us-east-1a', 'az:us-east-1b')!.bytes, 1200 + 4500 + 300 + 600 + 30 + 60);
  const sg = await topologyGraph(query, q({ level: 'security-group' }));
  const apiSg = sg.nodes.find((n) => n.id === 'sg:sg-api+sg-common')!;
  assert.equal(apiSg.label, 'api + common');
  const subnet = await topologyGraph(query, q({ level: 'subnet' }));
  assert.equal(subnet.nodes.find((n) => n.id === 'subnet:subnet-a')!.label, 'private-a');
  assert.equal(subnet.nodes.find((n) => n.id === 'subnet:subnet-b')!.label, 'subnet-b');
});

test('app level groups by the tag valid at the time, for any tag key, untagged resources stay themselves', async () => {
  const g = await topologyGraph(query, q({ level: 'app' }));
  // before 10:30 web-2 is shop, after it is shop-canary
  assert.equal(edge(g, ARN.alb, 'app:shop')!.bytes, 800 + 4000 + 700 + 3000);
  assert.equal(edge(g, ARN.alb, 'app:shop-canary')!.bytes, 500 + 1500);
  assert.equal(edge(g, 'app:api', 'app:shop')!.bytes, 300);
  assert.equal(edge(g, 'app:shop', 'app:api')!.kind, 'rejected');
  assert.equal(edge(g, 'app:jobs', 'app:jobs')!.bytes, 990); // lambda -> rds inside one app
  const shop = g.nodes.find((n) => n.id === 'app:shop')!;
  assert.equal(shop.label, 'shop');
  assert.equal(shop.type, 'app');
  assert.equal(shop.members, 2);
  assert.equal(shop.az, undefined); // spans two AZs: no AZ box
  assert.equal(shop.vpc, 'vpc-a');
  const team = await topologyGraph(query, q({ level: 'app', tagKey: 'team' }));
  assert.ok(edge(team, 'app:storefront', 'app:storefront'));
  assert.ok(edge(team, ARN.lambda, ARN.rds));
});

test('filters: window, action, protocol, port, tag; the edge cap keeps the biggest edges', async () => {
  const early = await topologyGraph(query, q({ from: T0, to: T0 + 30 * MIN }));
  assert.equal(early.edges.reduce((a, e) => a + e.flows, 0), 8);
  const late = await topologyGraph(query, q({ from: T0 + 30 * MIN }));
  assert.equal(late.edges.length, 3);
  const rejected = await topologyGraph(query, q({ action: 'reject' }));
  assert.deepEqual(rejected.edges.map((e) => e.id), [`${ARN.web2}\u2192${ARN.api}`]);
  const accepted = await topologyGraph(query, q({ action: 'accept' }));
  assert.equal(accepted.edges.length, 8);
  const udp = await topologyGraph(query, q({ protocol: 17 }));
  assert.deepEqual(udp.edges.map((e) => e.target), [ARN.web1]);
  const pg = await topologyGraph(query, q({ port: 5432 }));
  assert.deepEqual(pg.edges.map((e) => e.source), [ARN.lambda]);
  const jobs = await topologyGraph(query, q({ tag: { key: 'app', value: 'jobs' } }));
  assert.deepEqual(jobs.edges.map((e) => e.id), [`${ARN.lambda}\u2192${ARN.rds}`]);
  // web2 is app=shop-canary only from T0 + 30 min: its earlier conversations are not in the filtered map
  const canary = await topologyGraph(query, q({ tag: { key: 'app', value: 'shop-canary' } }));
  const [want] = await query(
    `SELECT count(*)::INTEGER AS n FROM conversations WHERE (client_arn = $a OR server_arn = $a) AND window_start >= $t::TIMESTAMP`,
    { a: ARN.web2, t: new Date(T0 + 30 * MIN).toISOString().replace('T', ' ').replace('Z', '') },
  );
  const [all] = await query(`SELECT count(*)::INTEGER AS n FROM conversations WHERE client_arn = $a OR server_arn = $a`, { a: ARN.web2 });
  assert.ok(Number(want.n) > 0 && Number(want.n) < Number(all.n), 'web2 talks before and after the tag change');
  assert.equal(canary.edges.reduce((a, e) => a + e.flows, 0), Number(want.n));
  const capped = await topologyGraph(query, q(), { maxEdges: 2 });
  assert.equal(capped.edges.length, 2);
  assert.equal(capped.droppedEdges, 7);
  assert.deepEqual(capped.edges.map((e) => e.bytes).sort((a, b) => b - a), [10050, 6000]);
  assert.equal(capped.nodes.length, 4);
});

test('node details name the resource, where it sits, its tags and its peers as SQL over the dataset says', async () => {
  const d = await topologyNodeDetails(query, q(), ARN.web1);
  assert.equal(d.label, 'web-1');
  assert.equal(d.type, 'ec2:instance');
  assert.equal(d.kind, 'instance');
  assert.equal(d.arn, ARN.web1);
  assert.deepEqual(d.subnets, ['subnet-a']);
  assert.deepEqual(d.azs, ['us-east-1a']);
  assert.deepEqual(d.accounts, ['111111111111']);
  assert.deepEqual(d.securityGroups, [{ id: 'sg-web', name: 'web' }]);
  assert.deepEqual(d.tags, [{ key: 'app', value: 'shop' }, { key: 'team', value: 'storefront' }]);
  // the same answer straight from the conversations table
  const inRows = await db.json<{ peer: string; bytes: number }>(
    `SELECT client_node AS peer, sum(uploaded + downloaded)::DOUBLE AS bytes FROM conversations WHERE server_node = $n GROUP BY 1 ORDER BY 2 DESC`,
    { n: ARN.web1 },
  );
  const outRows = await db.json<{ peer: string; bytes: number }>(
    `SELECT server_node AS peer, sum(uploaded + downloaded)::DOUBLE AS bytes FROM conversations WHERE client_node = $n GROUP BY 1 ORDER BY 2 DESC`,
    { n: ARN.web1 },
  );
  assert.deepEqual(d.peersIn.map((p) => [p.id, p.bytes]), inRows.map((r) => [r.peer, r.bytes]));
  assert.deepEqual(d.peersOut.map((p) => [p.id, p.bytes]), outRows.map((r) => [r.peer, r.bytes]));
  assert.deepEqual(d.peersIn.map((p) => p.label), ['shop-alb', 'api-1', 'web-2']);
  // at the time of the window's end web-2 is shop-canary
  const w2 = await topologyNodeDetails(query, q({ to: T0 + 60 * MIN }), ARN.web2);
  assert.deepEqual(w2.tags.find((t) => t.key === 'app'), { key: 'app', value: 'shop-canary' });
  const app = await topologyNodeDetails(query, q({ level: 'app' }), 'app:shop');
  assert.equal(app.type, 'app');
  assert.deepEqual(app.members.map((m) => m.label).sort(), ['web-1', 'web-2']);
  assert.deepEqual(app.azs, ['us-east-1a', 'us-east-1b']);
  assert.deepEqual(app.tags, [{ key: 'app', value: 'shop' }]);
  assert.deepEqual(app.securityGroups.map((s) => s.id), ['sg-web']);
});

test('edge details: ports, bytes each way, egress paths, cost and findings', async () => {
  const d = await topologyEdgeDetails(query, q(), ARN.web1, 'aws:S3');
  assert.deepEqual([d.up, d.down, d.flows], [50, 10000, 1]);
  assert.deepEqual(d.ports, [{ protocol: 6, port: 443, bytes: 10050, flows: 1 }]);
  assert.deepEqual(d.egressPaths, [{ path: 'nat-gateway', bytes: 10050 }]);
  assert.deepEqual(d.findings, ['nat-to-endpoint']);
  assert.ok(Math.abs(d.cost - (0.045 * 10050) / 1024 ** 3) < 1e-15);
  assert.equal(d.sourceLabel, 'web-1');
  const x = await topologyEdgeDetails(query, q(), ARN.alb, ARN.web2);
  assert.ok(Math.abs(x.cost - (0.02 * 5700) / 1024 ** 3) < 1e-15);
});

test('timeline buckets cover every byte, ignoring the window', async () => {
  const t = await topologyTimeline(query, q({ from: T0, to: T0 + MIN }));
  assert.equal(t.step, 60_000);
  assert.equal(t.buckets.reduce((a, b) => a + b.bytes, 0), totalBytes);
  assert.equal(t.buckets[0].t, T0);
  const coarse = await topologyTimeline(query, q(), 10);
  assert.equal(coarse.step, 5 * 60_000);
});

test('the Open in SQL cells run as written and agree with the map', async () => {
  const view = q({ level: 'app', from: T0, to: T0 + 60 * MIN });
  const cell = nodeCell(view, 'app:shop', 'shop');
  assert.match(cell.sql, /^-- title: Traffic of shop\n/);
  assert.match(cell.sql, /^-- param: node VARCHAR = app:shop -- /m);
  assert.match(cell.sql, /^-- param: from TIMESTAMP = 2026-11-01 10:00:00.000 -- /m);
  const values = Object.fromEntries(Object.entries(cell.params).map(([k, v]) => [k, v.value]));
  const rows = await db.json<{ direction: string; peer: string; bytes_up: number; bytes_down: number }>(cell.sql, values);
  const details = await topologyNodeDetails(query, view, 'app:shop');
  const sum = (dir: string) => {
    const m = new Map<string, number>();
    for (const r of rows.filter((r) => r.direction === dir)) m.set(r.peer, (m.get(r.peer) ?? 0) + Number(r.bytes_up) + Number(r.bytes_down));
    return m;
  };
  assert.deepEqual(sum('in'), new Map(details.peersIn.map((p) => [p.id, p.bytes])));
  assert.deepEqual(sum('out'), new Map(details.peersOut.map((p) => [p.id, p.bytes])));
  const ec = edgeCell(q(), ARN.api, ARN.web1);
  const erows = await db.json<{ alb_bypass: boolean; server_port: number }>(ec.sql, Object.fromEntries(Object.entries(ec.params).map(([k, v]) => [k, v.value])));
  assert.deepEqual(erows.map((r) => [r.server_port, r.alb_bypass]), [[80, true]]);
});

test('finding highlights are the edges the query templates return', async () => {
  const g = await topologyGraph(query, q());
  const marked = (f: string) => g.edges.filter((e) => e.findings.includes(f as never)).map((e) => `${e.source} ${e.target}`).sort();
  for (const [id, finding, a, b] of [
    ['alb-bypass', 'alb-bypass', 'client', 'target'],
    ['lambda-rds-without-proxy', 'lambda-rds-no-proxy', 'function', 'db'],
  ] as const) {
    const { sql, params } = bindTemplate(findTemplate(id), {});
    const rows = await db.json<Record<string, string>>(sql, params);
    const pairs = [...new Set(rows.map((r) => `${r[a]} ${r[b]}`))].sort();
    assert.ok(pairs.length > 0, `${id} finds something in the fixture`);
    assert.deepEqual(marked(finding), pairs, id);
  }
});
