/**
 * Issue 15, where users see it, against the sample estate's ground truth (truth/conversations.jsonl names the rules
 * that admitted each conversation-minute): the sidebar's security groups (securityGroupUsage) give every rule its
 * conversations, bytes and share of its group's traffic, and mark the unused ones with the template's verdict; a
 * rule's edges on the map (ruleEdges) are the client → server pairs of the conversations it admitted, keyed as the
 * map keys them, so they are edges the map draws, and they sum to the rule's usage, over everything and over a window.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db, lit } from '../../src/core/store/db';
import { enrich, openDataset } from '../../src/core/api';
import { writeSampleEstate } from '../../src/core/sample/index';
import { securityGroupUsage, ruleWords, type GroupUsage } from '../../src/core/secgroups/groupUsage';
import { ruleEdges } from '../../src/core/secgroups/ruleEdges';
import { topologyGraph, type QueryRows } from '../../src/core/topology/graph';
import { defaultQuery, type GraphQuery } from '../../src/protocol/topology';

let dir: string;
let db: Db;
let query: QueryRows;
let groups: GroupUsage[];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-sg-edges-'));
  const manifest = await writeSampleEstate(join(dir, 'estate'), { seed: 11, days: 2, start: '2026-09-29T00:00:00Z', scale: 0.3 });
  db = await openDataset(join(dir, 'sample.duckdb'));
  await enrich(db, { source: { kind: 'files', inventory: [manifest.inventoryDir], flowLogs: manifest.flowLogDirs } });
  await db.exec(`CREATE TABLE truth AS SELECT * FROM read_json(${lit(join(manifest.truthDir, 'conversations.jsonl'))}, format = 'newline_delimited')`);
  // one row per rule and conversation-minute it admitted
  await db.exec(`CREATE TABLE truth_uses AS SELECT unnest(rules) AS rule_id, make_timestamp(start * 1000000) AS minute,
    client.arn AS client_arn, server.arn AS server_arn, uploaded + downloaded AS bytes, egressPath AS path FROM truth`);
  query = (sql, params) => db.json(sql, params);
  groups = await securityGroupUsage(query);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const q = (over: Partial<GraphQuery>): GraphQuery => ({ ...defaultQuery(), ...over });

async function truthByRule(where = 'true'): Promise<Map<string, { conversations: number; bytes: number }>> {
  const rows = await db.json<{ rule_id: string; conversations: number; bytes: number }>(
    `SELECT rule_id, count(*)::DOUBLE AS conversations, sum(bytes)::DOUBLE AS bytes FROM truth_uses WHERE ${where} GROUP BY rule_id`);
  return new Map(rows.map((r) => [r.rule_id, { conversations: r.conversations, bytes: r.bytes }]));
}

test('the sidebar lists every rule in force with the truth\'s conversations and bytes, shares of its group, unused ones marked', async () => {
  const truth = await truthByRule();
  const rules = groups.flatMap((g) => g.rules);
  const all = Number(await db.value(`SELECT count(DISTINCT rule_id) FROM inv_sg_rules`));
  assert.equal(rules.length, all);
  for (const r of rules) {
    const t = truth.get(r.ruleId) ?? { conversations: 0, bytes: 0 };
    assert.deepEqual({ id: r.ruleId, conversations: r.conversations, bytes: r.bytes }, { id: r.ruleId, ...t }, ruleWords(r));
    assert.ok(r.share >= 0 && r.share <= 1 + 1e-9, `${r.ruleId} share ${r.share}`);
    // a rule with traffic has no verdict; one without has the template's
    assert.equal(r.verdict === undefined, r.conversations > 0, `${r.ruleId}: ${r.verdict}`);
  }
  // a group's only rule in a direction that carried anything carries all of it
  for (const g of groups) {
    for (const dir of ['ingress', 'egress'] as const) {
      const used = g.rules.filter((r) => r.direction === dir && r.bytes > 0);
      if (used.length === 1) assert.ok(Math.abs(used[0].share - 1) < 1e-9, `${g.groupId} ${dir}`);
      for (const r of used) assert.ok(r.bytes <= g[dir].bytes);
    }
  }
  // the unused ones the estate means to be unused: the web load balancer's HTTP redirect
  const redirect = String(await db.value(`SELECT r.rule_id FROM inv_sg_rules r JOIN inv_security_groups g USING (group_id)
    WHERE g.group_name = 'shop-web-alb' AND starts_with(r.description, 'HTTP redirect')`));
  const shown = rules.find((r) => r.ruleId === redirect)!;
  assert.equal(shown.verdict, 'unused');
  assert.equal(ruleWords(shown), 'in tcp 80 from 0.0.0.0/0');
  assert.ok(rules.filter((r) => r.conversations > 0).length >= 40);
});

test('a rule\'s edges on the map sum to its usage in the truth, at every level, and are edges the map draws', async () => {
  const truth = await truthByRule();
  const used = groups.flatMap((g) => g.rules).filter((r) => r.conversations > 0);
  const app = await topologyGraph(query, q({ level: 'app' }));
  const appEdges = new Map(app.edges.map((e) => [e.id, e]));
  for (const r of used) {
    const t = truth.get(r.ruleId)!;
    for (const level of ['resource', 'app', 'security-group'] as const) {
      // a conversation through the transit gateway is two edges (into it and out of it): counted once, into it
      const edges = (await ruleEdges(query, q({ level }), r.ruleId)).filter((e) => !e.source.startsWith('tgw:'));
      const sum = edges.reduce((s, e) => ({ conversations: s.conversations + e.conversations, bytes: s.bytes + e.bytes }), { conversations: 0, bytes: 0 });
      assert.deepEqual(sum, t, `${ruleWords(r)} (${r.ruleId}) at ${level}`);
      if (level !== 'app') continue;
      for (const e of edges) {
        const m = appEdges.get(`${e.source}\u2192${e.target}`);
        assert.ok(m, `${r.ruleId}: ${e.source} → ${e.target} is not an edge of the app-level map`);
        assert.ok(e.bytes <= m.bytes && e.conversations <= m.flows, `${r.ruleId}: ${e.source} → ${e.target}`);
      }
    }
  }
});

test('at the resource level a rule\'s edges are the truth\'s client → server resources of its conversations', async () => {
  const used = groups.flatMap((g) => g.rules).filter((r) => r.conversations > 0);
  // the estate's one transit gateway: a conversation through it is the client -> it and it -> the server
  const tgws = await db.json<{ id: string }>(`SELECT 'tgw:' || gateway_id AS id FROM inv_gateways WHERE kind = 'transit-gateway'`);
  assert.equal(tgws.length, 1);
  const tgw = tgws[0].id;
  let compared = 0;
  let through = 0;
  for (const r of used) {
    const truth = await db.json<{ pair: string; conversations: number }>(
      `WITH u AS (SELECT * FROM truth_uses WHERE rule_id = $r AND client_arn IS NOT NULL AND server_arn IS NOT NULL)
       SELECT pair, count(*)::DOUBLE AS conversations FROM (
         SELECT client_arn || ' → ' || CASE WHEN path = 'transit-gateway' THEN $tgw ELSE server_arn END AS pair FROM u
         UNION ALL SELECT $tgw || ' → ' || server_arn FROM u WHERE path = 'transit-gateway')
       GROUP BY ALL ORDER BY pair`, { r: r.ruleId, tgw });
    through += truth.filter((t) => t.pair.includes(tgw)).length;
    const arnOr = (k: string) => k.startsWith('arn:') || k === tgw;
    const edges = (await ruleEdges(query, q({ level: 'resource' }), r.ruleId))
      .filter((e) => arnOr(e.source) && arnOr(e.target))
      .map((e) => ({ pair: `${e.source} → ${e.target}`, conversations: e.conversations }))
      .sort((a, b) => (a.pair < b.pair ? -1 : 1));
    assert.deepEqual(edges, truth, `${ruleWords(r)} (${r.ruleId})`);
    compared += truth.length;
  }
  assert.ok(compared > 50, `${compared} resource pairs compared`);
  assert.ok(through > 0, 'some through the transit gateway');
});

test('within a window: a rule\'s edges count only the window\'s conversations', async () => {
  const [{ a, b }] = await db.json<{ a: number; b: number }>(`SELECT epoch_ms(min(window_start))::DOUBLE AS a, epoch_ms(max(window_start))::DOUBLE AS b FROM conversation_facts`);
  const from = a + Math.round((b - a) / 3 / 3_600_000) * 3_600_000;
  const to = from + 6 * 3_600_000;
  const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
  const truth = await truthByRule(`minute >= TIMESTAMP '${iso(from)}' AND minute < TIMESTAMP '${iso(to)}'`);
  let some = 0;
  for (const r of groups.flatMap((g) => g.rules).filter((x) => x.conversations > 0)) {
    const edges = (await ruleEdges(query, q({ level: 'app', from, to }), r.ruleId)).filter((e) => !e.source.startsWith('tgw:'));
    const conversations = edges.reduce((s, e) => s + e.conversations, 0);
    assert.equal(conversations, truth.get(r.ruleId)?.conversations ?? 0, `${ruleWords(r)} (${r.ruleId})`);
    if (conversations > 0) some++;
  }
  assert.ok(some > 10, `${some} rules carried traffic in the window`);
});
