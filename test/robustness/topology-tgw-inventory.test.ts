/**
 * The transit gateway's node when the inventory is odd (issue 13): two transit gateways link the same VPCs, a
 * transit gateway is shared by VPCs that also have another, or the inventory no longer knows any link (the egress path
 * the enrichment stored stays `transit-gateway`). Each conversation goes through one node or none, never two, and
 * its bytes are counted once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { topologyGraph, topologyNodeDetails, type QueryRows } from '../../src/core/topology/graph';
import { defaultQuery, type Graph, type GraphQuery } from '../../src/protocol/topology';
import { A, B, tgwFixture } from '../support/tgwDataset';

const fx = tgwFixture('topology-tgw-odd');
const query: QueryRows = (sql, params) => fx.query(sql, params);

const q = (over: Partial<GraphQuery>): GraphQuery => ({ ...defaultQuery(), ...over });
const edges = (g: Graph) => g.edges.map((e) => `${e.source} ${e.target} ${e.bytes}`).sort();
const ALL = 1200 + 64000 + 300 + 900 + 1500;

test('two transit gateways link the same VPCs: the conversations go through the first id only, each once', async () => {
  await fx.db.exec(`INSERT INTO inv_vpc_links VALUES
      ('tgw-0', 'transit-gateway', 'vpc-a', '${A}', 'us-east-1', 'vpc-b', '${B}', 'us-east-1', DEFAULT, DEFAULT),
      ('tgw-0', 'transit-gateway', 'vpc-b', '${B}', 'us-east-1', 'vpc-a', '${A}', 'us-east-1', DEFAULT, DEFAULT),
      (NULL, 'transit-gateway', 'vpc-a', '${A}', 'us-east-1', 'vpc-b', '${B}', 'us-east-1', DEFAULT, DEFAULT)`);
  try {
    const g = await topologyGraph(query, q({ level: 'vpc' }));
    assert.deepEqual(edges(g), [
      `tgw:tgw-0 vpc:vpc-b ${ALL}`,
      'unknown:192.168.7.5 tgw:tgw-0 1500',
      `vpc:vpc-a tgw:tgw-0 ${ALL - 1500}`,
    ]);
    // tgw-0 is not in the inventory's gateways: no owner, named by its id; its attachments are tgw-1's, so none
    const n = g.nodes.find((x) => x.id === 'tgw:tgw-0')!;
    assert.deepEqual([n.label, n.type, n.account, n.region, n.bytesIn + n.bytesOut], ['transit gateway tgw-0', 'ec2:transit-gateway', undefined, 'us-east-1', ALL]);
    const d = await topologyNodeDetails(query, q({ level: 'vpc' }), 'tgw:tgw-0');
    assert.deepEqual(d.transitGateway!.attachments.map((a) => [a.id, a.label, a.bytes]), [
      [undefined, 'attachment in vpc-b', ALL],
      [undefined, 'attachment in vpc-a', ALL - 1500],
      [undefined, 'outside any known VPC (VPN, Direct Connect, peering)', 1500],
    ]);
    assert.deepEqual([d.accounts, d.arn, d.tags], [[], undefined, []]);
  } finally {
    await fx.db.exec(`DELETE FROM inv_vpc_links WHERE link_id IS NULL OR link_id = 'tgw-0'`);
  }
});

test('no link in the inventory any more: the conversations are direct edges again, with the same bytes', async () => {
  await fx.db.exec(`CREATE TEMP TABLE links_kept AS SELECT * FROM inv_vpc_links; DELETE FROM inv_vpc_links`);
  try {
    const g = await topologyGraph(query, q({ level: 'vpc' }));
    assert.deepEqual(edges(g), [
      'unknown:192.168.7.5 vpc:vpc-b 1500',
      `vpc:vpc-a vpc:vpc-b ${ALL - 1500}`,
    ]);
    assert.equal(g.nodes.some((n) => n.id.startsWith('tgw:')), false);
    // a transit gateway's node asked for anyway (a stale selection): nothing went through it
    const d = await topologyNodeDetails(query, q({ level: 'vpc' }), 'tgw:tgw-1');
    assert.deepEqual([d.peersIn, d.peersOut, d.transitGateway!.up + d.transitGateway!.down, d.transitGateway!.attachments], [[], [], 0, []]);
  } finally {
    await fx.db.exec(`INSERT INTO inv_vpc_links SELECT * FROM links_kept; DROP TABLE links_kept`);
  }
  const g = await topologyGraph(query, q({ level: 'vpc' }));
  assert.equal(g.edges.filter((e) => e.target === 'tgw:tgw-1').reduce((s, e) => s + e.bytes, 0), ALL);
});
