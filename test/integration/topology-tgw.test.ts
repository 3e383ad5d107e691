/**
 * Transit gateway traffic on the map as the transit gateway's own (issue 13): a conversation that went through one
 * (logged by the transit gateway or, with its path found from the inventory, by a VPC flow log) is drawn as two legs,
 * client -> the transit gateway's node -> server, at every level; each leg carries the conversation's bytes, so the
 * edges into the node and the edges out of it each sum to the conversations' bytes, and the node counts them once.
 * Its details name its owner, attachments, cost and cross-AZ/cross-account bytes; a finding highlights both legs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topologyEdgeDetails, topologyGraph, topologyNodeDetails, type QueryRows } from '../../src/core/topology/graph';
import { costSql } from '../../src/core/topology/cost';
import { nodeCell } from '../../src/core/topology/cell';
import { defaultQuery, type Graph, type GraphQuery } from '../../src/protocol/topology';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';
import { A, B, C, arnA, arnB, tgwFixture } from '../support/tgwDataset';

const fx = tgwFixture('topology-tgw');
const query: QueryRows = (sql, params) => fx.query(sql, params);

const q = (over: Partial<GraphQuery>): GraphQuery => ({ ...defaultQuery(), ...over });
const TGW = 'tgw:tgw-1';
const APP = arnA('instance/i-app');
const DB = arnB('instance/i-db');
const OFFICE = 'unknown:192.168.7.5';
// the three conversations: app -> db:5432 (1,200 up, 64,000 down), app -> db:6379 (300, 900), office -> db:5432 (1,500, 0)
const ALL = 1200 + 64000 + 300 + 900 + 1500;

type Leg = [string, string, number, number, number];
const byPair = (a: Leg, b: Leg) => `${a[0]} ${a[1]}`.localeCompare(`${b[0]} ${b[1]}`);
const edgeList = (g: Graph) => g.edges.map((e): Leg => [e.source, e.target, e.up, e.down, e.flows]).sort(byPair);

test('resource level: each conversation through the transit gateway is two legs, client -> tgw-1 -> server, and no direct edge', async () => {
  const g = await topologyGraph(query, q({ level: 'resource' }));
  assert.deepEqual(edgeList(g), ([
    [APP, TGW, 1500, 64900, 2],
    [TGW, DB, 3000, 64900, 3],
    [OFFICE, TGW, 1500, 0, 1],
  ] as Leg[]).sort(byPair));
  // the edges into the transit gateway and those out of it each carry the conversations' bytes, once
  const conversations = Number(await fx.db.value(`SELECT sum(uploaded + downloaded) FROM conversations`));
  assert.equal(conversations, ALL);
  const sum = (xs: Graph['edges']) => xs.reduce((s, e) => s + e.bytes, 0);
  assert.equal(sum(g.edges.filter((e) => e.target === TGW)), ALL);
  assert.equal(sum(g.edges.filter((e) => e.source === TGW)), ALL);
  // its cost once: on the leg into it
  const cost = Number(await fx.db.value(`SELECT sum(${costSql('c')}) FROM conversations c`));
  assert.ok(cost > 0);
  assert.ok(Math.abs(g.edges.reduce((s, e) => s + e.cost, 0) - cost) < 1e-12, `${g.edges.map((e) => e.cost)} vs ${cost}`);
  assert.equal(g.edges.find((e) => e.source === TGW)!.cost, 0);
  // the node: the transit gateway, named, in its owner's account, in no VPC, its bytes once
  const node = g.nodes.find((n) => n.id === TGW)!;
  assert.deepEqual({ ...node }, { id: TGW, label: 'core-tgw', type: 'ec2:transit-gateway', kind: 'transit-gateway', members: 1,
    bytesIn: 3000, bytesOut: 64900, account: C, region: 'us-east-1' });
  // the ends keep their own figures
  const app = g.nodes.find((n) => n.id === APP)!;
  assert.deepEqual([app.bytesIn, app.bytesOut, app.vpc, app.account], [64900, 1500, 'vpc-a', A]);
  const dbNode = g.nodes.find((n) => n.id === DB)!;
  assert.deepEqual([dbNode.bytesIn, dbNode.bytesOut, dbNode.vpc, dbNode.account], [3000, 64900, 'vpc-b', B]);
});

test('every level: the VPCs, accounts and security groups meet at the transit gateway, with the same bytes', async () => {
  const cases: [GraphQuery['level'], string, string][] = [
    ['vpc', 'vpc:vpc-a', 'vpc:vpc-b'],
    ['account', `account:${A}`, `account:${B}`],
    ['security-group', 'sg:sg-app', 'sg:sg-db'],
    ['app', APP, DB],
    ['az', 'az:us-east-1a', 'az:us-east-1b'],
  ];
  for (const [level, a, b] of cases) {
    const g = await topologyGraph(query, q({ level }));
    assert.deepEqual(edgeList(g), ([
      [a, TGW, 1500, 64900, 2],
      [TGW, b, 3000, 64900, 3],
      [OFFICE, TGW, 1500, 0, 1],
    ] as Leg[]).sort(byPair), level);
    const node = g.nodes.find((n) => n.id === TGW)!;
    assert.deepEqual([node.type, node.bytesIn, node.bytesOut, node.account, node.vpc], ['ec2:transit-gateway', 3000, 64900, C, undefined], level);
  }
});

test('a finding through the transit gateway highlights both legs, and joined at the node they are the template\'s rows', async () => {
  const g = await topologyGraph(query, q({ level: 'resource' }));
  const flagged = g.edges.filter((e) => e.findings.includes('cross-az')).map((e) => `${e.source} ${e.target}`).sort();
  assert.deepEqual(flagged, [`${APP} ${TGW}`, `${TGW} ${DB}`]);
  const { sql, params } = bindTemplate(findTemplate('cross-az'), { tag_key: 'no-such-tag' });
  const rows = await fx.db.json<Record<string, string>>(sql, params);
  const pairs = [...new Set(rows.map((r) => `${r.client_app} ${r.server_app}`))].sort();
  assert.deepEqual(pairs, [`${APP} ${DB}`]);
  // each flagged leg into the node with each flagged leg out of it
  const ins = g.edges.filter((e) => e.target === TGW && e.findings.includes('cross-az'));
  const outs = g.edges.filter((e) => e.source === TGW && e.findings.includes('cross-az'));
  assert.deepEqual(ins.flatMap((i) => outs.map((o) => `${i.source} ${o.target}`)).sort(), pairs);
});

test('the transit gateway\'s details: what it is, whom it links, its attachments, cost and cross-AZ/cross-account bytes', async () => {
  const d = await topologyNodeDetails(query, q({ level: 'resource' }), TGW);
  assert.equal(d.label, 'core-tgw');
  assert.equal(d.type, 'ec2:transit-gateway');
  assert.equal(d.kind, 'transit-gateway');
  assert.equal(d.arn, `arn:aws:ec2:us-east-1:${C}:transit-gateway/tgw-1`);
  assert.deepEqual(d.tags, [{ key: 'Name', value: 'core-tgw' }]);
  assert.deepEqual([d.accounts, d.regions, d.vpcs, d.members], [[C], ['us-east-1'], ['vpc-a', 'vpc-b'], []]);
  assert.deepEqual(d.peersIn.map((p) => [p.id, p.label, p.bytes, p.flows]), [[APP, 'app', 66400, 2], [OFFICE, '192.168.7.5', 1500, 1]]);
  assert.deepEqual(d.peersOut.map((p) => [p.id, p.label, p.bytes, p.flows]), [[DB, 'db', ALL, 3]]);
  const cost = Number(await fx.db.value(`SELECT sum(${costSql('c')}) FROM conversations c`));
  const t = d.transitGateway!;
  assert.ok(Math.abs(t.cost - cost) < 1e-12);
  assert.deepEqual({ ...t, cost: 0 }, {
    id: 'tgw-1', account: C, region: 'us-east-1', up: 3000, down: 64900, flows: 3, cost: 0,
    // app -> db both ways crossed AZs and accounts; the office's side is unknown, so neither
    crossAzBytes: 66400, crossAccountBytes: 66400, crossRegionBytes: 0,
    attachments: [
      { id: 'tgw-attach-b', label: 'tgw-attach-b', vpc: 'vpc-b', account: C, bytes: ALL },
      { id: 'tgw-attach-a', label: 'tgw-attach-a', vpc: 'vpc-a', account: C, bytes: 66400 },
      { label: 'outside any known VPC (VPN, Direct Connect, peering)', bytes: 1500 },
    ],
  });
  // a resource's details are as before: the app's server is the transit gateway
  const app = await topologyNodeDetails(query, q({ level: 'resource' }), APP);
  assert.deepEqual(app.peersOut.map((p) => [p.id, p.label, p.bytes]), [[TGW, 'core-tgw', 66400]]);
  assert.deepEqual([app.vpcs, app.transitGateway], [['vpc-a'], undefined]);
});

test('the legs\' edge details and the node\'s SQL cell read the same rows', async () => {
  const out = await topologyEdgeDetails(query, q({ level: 'vpc' }), TGW, 'vpc:vpc-b');
  assert.deepEqual([out.up, out.down, out.flows, out.cost, out.egressPaths], [3000, 64900, 3, 0, [{ path: 'transit-gateway', bytes: ALL }]]);
  assert.deepEqual(out.ports.map((p) => [p.port, p.bytes]), [[5432, 66700], [6379, 1200]]);
  assert.deepEqual(out.findings, ['cross-az']);
  assert.equal(out.sourceLabel, 'core-tgw');
  const into = await topologyEdgeDetails(query, q({ level: 'vpc' }), 'vpc:vpc-a', TGW);
  assert.deepEqual([into.up, into.down, into.flows], [1500, 64900, 2]);
  assert.ok(into.cost > 0);
  // the notebook cell of the node: its conversations in (from the clients) and out (to the server), each once a side
  const cell = nodeCell(q({ level: 'vpc' }), TGW);
  const params = Object.fromEntries(Object.entries(cell.params).map(([k, v]) => [k, v.value]));
  const rows = await fx.db.json<{ direction: string; peer: string; bytes: number }>(
    `SELECT direction, peer, sum(bytes_up + bytes_down)::DOUBLE AS bytes FROM (${cell.sql.replace(/^--.*$/gm, '').trim().replace(/;$/, '')}) GROUP BY ALL ORDER BY ALL`, params);
  assert.deepEqual(rows, [
    { direction: 'in', peer: OFFICE, bytes: 1500 },
    { direction: 'in', peer: 'vpc:vpc-a', bytes: 66400 },
    { direction: 'out', peer: 'vpc:vpc-b', bytes: ALL },
  ]);
});
