/**
 * The topology of the sample estate, by value: untagged resources grouped by workload at the app level
 * (ECS tasks by service, instances by Auto Scaling group, EKS nodes by cluster), and names a person knows
 * (no UUIDs, no ARNs, repeated names told apart) at the resource level and in a node's peers. And the findings:
 * the map highlights exactly the pairs the query templates report (both read the dataset's one definition of each,
 * src/core/enrich/findings.sql), over all the data and over windows, at the resource level, and for cross-AZ at the
 * app level.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Db } from '../../src/core/store/db';
import { enrich, openDataset } from '../../src/core/api';
import { writeSampleEstate } from '../../src/core/sample/index';
import { topologyGraph, topologyNodeDetails, type QueryRows } from '../../src/core/topology/graph';
import { defaultQuery, defaultViewState, type Finding, type GraphQuery } from '../../src/protocol/topology';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';
import { tsText } from '../../src/core/topology/sql';

let dir: string;
let db: Db;
let query: QueryRows;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-topology-sample-'));
  const manifest = await writeSampleEstate(join(dir, 'estate'), { days: 2 });
  db = await openDataset(join(dir, 'sample.duckdb'));
  await enrich(db, { source: { kind: 'files', inventory: [manifest.inventoryDir], flowLogs: manifest.flowLogDirs } });
  query = (sql, params) => db.json(sql, params);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const q = (over: Partial<GraphQuery>): GraphQuery => ({ ...defaultQuery(), ...over });
const UUIDISH = /[0-9a-f]{16,}|[0-9a-f]{8}-[0-9a-f]{4}-/;

test('the map opens at the app level', () => {
  assert.equal(defaultViewState().query.level, 'app');
  assert.equal(defaultViewState().query.tagKey, 'app');
});

test('app level by a tag nobody carries: ECS tasks by service, instances by Auto Scaling group, EKS nodes by cluster', async () => {
  const g = await topologyGraph(query, q({ level: 'app', tagKey: 'no-such-tag' }));
  const resource = await topologyGraph(query, q({ level: 'resource' }));
  assert.ok(resource.nodes.filter((n) => n.type === 'ecs:task').length > 2, 'the estate has ECS tasks');
  assert.ok(g.nodes.length <= 60, `${g.nodes.length} nodes`);
  assert.equal(g.nodes.filter((n) => n.type === 'ecs:task').length, 0, 'no task stands alone');

  // each service node stands for the tasks of that service seen in traffic, counted here independently
  const services = await db.json<{ key: string; name: string; tasks: number }>(
    `WITH seen AS (SELECT client_arn AS arn FROM conversations UNION SELECT server_arn FROM conversations)
     SELECT 'ecs-service:' || r.account_id || ':' || r.region || ':' || json_extract_string(r.attrs, '$.cluster') || '/' || json_extract_string(r.attrs, '$.service') AS key,
            json_extract_string(r.attrs, '$.service') AS name, count(DISTINCT r.arn)::INTEGER AS tasks
     FROM inv_resources r JOIN seen USING (arn) WHERE r.type = 'ecs:task' GROUP BY ALL ORDER BY key`,
  );
  assert.ok(services.length >= 2);
  const shown = g.nodes.filter((n) => n.type === 'ecs:service').map((n) => ({ key: n.id, name: n.label, tasks: n.members }));
  assert.deepEqual(shown.sort((a, b) => a.key.localeCompare(b.key)), services);

  // instances in an Auto Scaling group (not EKS nodes) become the group
  const groups = await db.json<{ name: string; instances: number }>(
    `WITH seen AS (SELECT client_arn AS arn FROM conversations UNION SELECT server_arn FROM conversations)
     SELECT t.value AS name, count(DISTINCT t.arn)::INTEGER AS instances FROM inv_tags t JOIN seen USING (arn)
     WHERE t.key = 'aws:autoscaling:groupName'
       AND NOT EXISTS (SELECT 1 FROM inv_tags k WHERE k.arn = t.arn AND k.key LIKE 'kubernetes.io/cluster/%')
     GROUP BY 1 ORDER BY 1`,
  );
  assert.ok(groups.length >= 3);
  assert.deepEqual(
    g.nodes.filter((n) => n.type === 'autoscaling:group').map((n) => ({ name: n.label, instances: n.members })).sort((a, b) => a.name.localeCompare(b.name)),
    groups,
  );
  const eks = g.nodes.filter((n) => n.type === 'eks:cluster');
  assert.deepEqual(eks.map((n) => [n.label, n.members]), [['analytics', 2]]);

  // with the app tag every resource of the estate is tagged: apps, the internet and AWS services only
  const apps = await topologyGraph(query, q({ level: 'app', tagKey: 'app' }));
  assert.ok(apps.nodes.length <= 60);
  // (and the transit gateway the estate's apps reach the shared services' collectors through)
  assert.deepEqual([...new Set(apps.nodes.map((n) => n.type))].sort(), ['app', 'aws-service', 'ec2:transit-gateway', 'internet']);
});

test('names a person knows: no ARN, no UUID, and a repeated name told apart by AZ, account or id', async () => {
  for (const level of ['resource', 'app'] as const) {
    const g = await topologyGraph(query, q({ level }));
    const labels = g.nodes.map((n) => n.label);
    assert.equal(new Set(labels).size, labels.length, `${level}: labels repeat: ${labels.filter((l, i) => labels.indexOf(l) !== i).join(', ')}`);
    for (const l of labels) {
      assert.doesNotMatch(l, /^arn:/, `${level}: ${l}`);
      assert.doesNotMatch(l, UUIDISH, `${level}: ${l}`);
    }
  }
  const g = await topologyGraph(query, q({ level: 'resource' }));
  // the two EKS nodes share a Name tag; they sit in different AZs
  const eksNodes = g.nodes.filter((n) => n.label.startsWith('analytics-eks-node'));
  assert.equal(eksNodes.length, 2);
  for (const n of eksNodes) assert.equal(n.label, `analytics-eks-node (${n.az})`);
  // an ECS task is named by its service
  const task = g.nodes.find((n) => n.type === 'ecs:task')!;
  const svc = await db.json<{ s: string }>(`SELECT json_extract_string(attrs, '$.service') AS s FROM inv_resources WHERE arn = $a`, { a: task.id });
  assert.ok(task.label.startsWith(`${svc[0].s} (`), task.label);

  // the internet's top clients: names, told apart
  const d = await topologyNodeDetails(query, q({ level: 'resource' }), 'internet');
  const peers = [...d.peersIn, ...d.peersOut];
  assert.ok(peers.length > 0);
  const names = peers.map((p) => p.label);
  for (const l of names) assert.doesNotMatch(l, UUIDISH, l);
  assert.equal(new Set(d.peersIn.map((p) => p.label)).size, d.peersIn.length, d.peersIn.map((p) => p.label).join(', '));
});

/** The template's rows as "client server" pairs. */
async function templatePairs(id: string, params: Record<string, string>, pair: (r: Record<string, string>) => string): Promise<string[]> {
  const { sql, params: bound } = bindTemplate(findTemplate(id), params);
  const rows = await db.json<Record<string, string>>(sql, bound);
  return [...new Set(rows.map(pair))].sort();
}

/**
 * The template's pairs as the map draws them: a pair whose conversations went through a transit gateway (the one that
 * links its two VPCs) as its two legs, client -> `tgw:<id>` -> server.
 */
async function throughTgw(pairs: string[], key = (side: 'client' | 'server') => `c.${side}_node`): Promise<string[]> {
  const rows = await db.json<{ pair: string; tgw: string }>(
    `SELECT ${key('client')} || ' ' || ${key('server')} AS pair, 'tgw:' || min(l.link_id) AS tgw FROM conversations c
     JOIN inv_vpc_links l ON l.kind = 'transit-gateway' AND l.vpc_id = c.client_vpc AND l.peer_vpc_id = c.server_vpc
     WHERE c.egress_path = 'transit-gateway' GROUP BY 1`);
  const tgw = new Map(rows.map((r) => [r.pair, r.tgw]));
  const out = pairs.flatMap((p) => {
    const t = tgw.get(p);
    if (!t) return [p];
    const [client, server] = p.split(' ');
    return [`${client} ${t}`, `${t} ${server}`];
  });
  return [...new Set(out)].sort();
}

/** The map's highlighted edges for a finding as "source target" pairs. */
async function mapPairs(q: GraphQuery, finding: Finding, pair: (s: string, t: string) => string = (s, t) => `${s} ${t}`): Promise<string[]> {
  const g = await topologyGraph(query, q);
  return [...new Set(g.edges.filter((e) => e.findings.includes(finding)).map((e) => pair(e.source, e.target)))].sort();
}

/** `minutes`: the template reads conversations, so its window is exact to the minute; the others read windows_1h. */
const FINDINGS: { template: string; finding: Finding; pair: (r: Record<string, string>) => string; minutes?: boolean; params?: Record<string, string> }[] = [
  { template: 'alb-bypass', finding: 'alb-bypass', pair: (r) => `${r.client} ${r.target}`, minutes: true },
  { template: 'lambda-rds-without-proxy', finding: 'lambda-rds-no-proxy', pair: (r) => `${r.function} ${r.db}`, minutes: true },
  // the template names the service; the map's server node is aws:<SERVICE>
  { template: 'nat-gateway-endpoint-candidates', finding: 'nat-to-endpoint', pair: (r) => `${r.client} aws:${r.service}` },
  // with a tag key nothing carries, the template's apps are the nodes themselves
  { template: 'cross-az', finding: 'cross-az', pair: (r) => `${r.client_app} ${r.server_app}`, params: { tag_key: 'no-such-tag' } },
];

test('every finding: the map highlights the pairs its template returns, over all the data and over windows', async () => {
  const first = Number(await db.value(`SELECT epoch_ms(time_bucket(INTERVAL 1 hour, min(window_start)))::DOUBLE FROM conversations`));
  const hours = { from: first + 7 * 3_600_000, to: first + 27 * 3_600_000 };
  const cut = { from: hours.from + 13 * 60_000, to: hours.to + 29 * 60_000 };
  for (const [w, all] of [[{}, true], [hours, true], [cut, false]] as [{ from?: number; to?: number }, boolean][]) {
    const window: Record<string, string> = w.from === undefined ? {} : { since: tsText(w.from), until: tsText(w.to!) };
    for (const f of FINDINGS.filter((x) => all || x.minutes)) {
      const expected = await throughTgw(await templatePairs(f.template, { ...window, ...f.params }, f.pair));
      assert.ok(expected.length > 0, `${f.template} finds something in the sample estate ${JSON.stringify(window)}`);
      assert.deepEqual(await mapPairs({ ...defaultQuery(), ...w }, f.finding), expected, `${f.template} ${JSON.stringify(window)}`);
    }
  }
});

test('cross-AZ at the app level: the map highlights the app pairs the template returns', async () => {
  // the template's apps: the app tag at the conversation's minute, else the node
  const tagged = (side: 'client' | 'server') => `coalesce((SELECT any_value(t.value) FROM inv_tags t WHERE t.arn = c.${side}_arn AND t.key = 'app'
    AND c.window_start >= t.valid_from AND c.window_start < t.valid_to), c.${side}_node)`;
  const expected = await throughTgw(await templatePairs('cross-az', { tag_key: 'app' }, (r) => `${r.client_app} ${r.server_app}`), tagged);
  const app = (k: string) => (k.startsWith('app:') ? k.slice(4) : k);
  assert.ok(expected.length > 0);
  assert.deepEqual(await mapPairs({ ...defaultQuery(), level: 'app', tagKey: 'app' }, 'cross-az', (s, t) => `${app(s)} ${app(t)}`), expected);
});

/**
 * The security-group level as its definition says, per conversation-minute: each side is the set of groups its ENI had
 * at that minute (an ENI outside its inventory span, or none, leaves the side itself; the internet and AWS services
 * stay themselves). The map sums windows cut where each side's own ENI changes; it must come to the same edges and nodes.
 */
async function securityGroupReference(w: { from?: number; to?: number }) {
  const side = (s: 'client' | 'server', e: string) => `CASE WHEN c.${s}_node = 'internet' OR starts_with(c.${s}_node, 'aws:') THEN c.${s}_node
      WHEN len(${e}.security_group_ids) > 0 THEN 'sg:' || array_to_string(list_sort(${e}.security_group_ids), '+')
      ELSE coalesce(c.${s}_node, c.${s}_arn, 'addr:' || c.${s}_addr) END`;
  const where = w.from === undefined ? 'true' : `c.window_start >= $from::TIMESTAMP AND c.window_start < $to::TIMESTAMP`;
  const params: Record<string, string> = w.from === undefined ? {} : { from: tsText(w.from), to: tsText(w.to!) };
  // a conversation through a transit gateway (the one linking its VPCs) is two edges, src -> tgw:<id> -> dst, and the
  // transit gateway a node that counts it once
  const keyed = `SELECT ${side('client', 'ec')} AS src, ${side('server', 'es')} AS dst, coalesce(c.client_arn, c.client_node) AS client,
      coalesce(c.server_arn, c.server_node) AS server, c.uploaded, c.downloaded,
      CASE WHEN c.egress_path = 'transit-gateway' THEN (SELECT 'tgw:' || min(l.link_id) FROM inv_vpc_links l WHERE l.kind = 'transit-gateway'
        AND l.vpc_id = c.client_vpc AND l.peer_vpc_id = c.server_vpc) END AS tgw
    FROM conversations c
    LEFT JOIN inv_enis ec ON ec.eni_id = c.client_eni AND c.window_start >= ec.valid_from AND c.window_start < ec.valid_to
    LEFT JOIN inv_enis es ON es.eni_id = c.server_eni AND c.window_start >= es.valid_from AND c.window_start < es.valid_to
    WHERE ${where}`;
  const legs = `SELECT src, coalesce(tgw, dst) AS dst, uploaded, downloaded FROM (${keyed})
    UNION ALL SELECT tgw, dst, uploaded, downloaded FROM (${keyed}) WHERE tgw IS NOT NULL`;
  const edges = await db.json<{ id: string; up: number; down: number; flows: number }>(
    `SELECT src || chr(8594) || dst AS id, sum(uploaded)::DOUBLE AS up, sum(downloaded)::DOUBLE AS down, count(*)::DOUBLE AS flows
     FROM (${legs}) GROUP BY ALL ORDER BY id`, params);
  const nodes = await db.json<{ id: string; members: number; bytesIn: number; bytesOut: number }>(
    `SELECT id, count(DISTINCT member)::DOUBLE AS members, sum(b_in)::DOUBLE AS "bytesIn", sum(b_out)::DOUBLE AS "bytesOut"
     FROM (SELECT src AS id, client AS member, downloaded AS b_in, uploaded AS b_out FROM (${keyed})
           UNION ALL SELECT dst, server, uploaded, downloaded FROM (${keyed})
           UNION ALL SELECT tgw, tgw, uploaded, downloaded FROM (${keyed}) WHERE tgw IS NOT NULL)
     GROUP BY id ORDER BY id`, params);
  return { edges, nodes };
}

test('the security-group level: the edges and nodes its definition gives, per conversation-minute, over all the data and over windows', async () => {
  // the sample holds an ENI whose traffic is keyed both ways over time (issue 11's failover ENI: its own records prove
  // it before the inventory shows it), and ENIs that appear and go mid-hour: each side's own change points matter
  const both = await db.json<{ eni: string }>(
    `SELECT c.server_eni AS eni FROM conversations c LEFT JOIN inv_enis e ON e.eni_id = c.server_eni
       AND c.window_start >= e.valid_from AND c.window_start < e.valid_to
     WHERE c.server_eni IS NOT NULL GROUP BY 1 HAVING count(e.eni_id) > 0 AND count(e.eni_id) < count(*)`);
  assert.ok(both.length > 0, 'an ENI keyed both as its groups and as itself');
  const midHour = Number(await db.value(`SELECT count(*) FROM inv_enis WHERE valid_from > (SELECT min(window_start) FROM conversations)
    AND valid_from < (SELECT max(window_start) FROM conversations) AND minute(valid_from) <> 0`));
  assert.ok(midHour > 0, 'ENIs that appear mid-hour');

  const first = Number(await db.value(`SELECT epoch_ms(time_bucket(INTERVAL 1 hour, min(window_start)))::DOUBLE FROM conversations`));
  const windows = [{}, { from: first + 5 * 3_600_000, to: first + 29 * 3_600_000 }, { from: first + 3_600_000 * 9 + 17 * 60_000, to: first + 3_600_000 * 30 + 41 * 60_000 }];
  for (const w of windows) {
    const g = await topologyGraph(query, q({ level: 'security-group', ...w }));
    const ref = await securityGroupReference(w);
    assert.ok(ref.edges.length > 10 && g.edges.some((e) => e.source.startsWith('sg:')), JSON.stringify(w));
    assert.deepEqual(g.edges.map((e) => ({ id: e.id, up: e.up, down: e.down, flows: e.flows })).sort((a, b) => a.id.localeCompare(b.id)), ref.edges, JSON.stringify(w));
    assert.deepEqual(g.nodes.map((n) => ({ id: n.id, members: n.members, bytesIn: n.bytesIn, bytesOut: n.bytesOut })).sort((a, b) => a.id.localeCompare(b.id)), ref.nodes, JSON.stringify(w));
  }
});
