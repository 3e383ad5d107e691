/**
 * The enrichment of the sample estate against the estate's own truth, conversation by conversation:
 * type, ARN, ENI, VPC, subnet, AZ, account, region, security groups, tags, client/server, bytes, path.
 * Then every template's answer against the same truth.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db, lit } from '../../src/core/store/db';
import { enrich, openDataset } from '../../src/core/api';
import { rebuild } from '../../src/core/enrich/rebuild';
import { INVENTORY_TABLES } from '../../src/core/enrich/conversations';
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { loadInventory } from '../../src/core/inventory/load';
import { setKeepRecords } from '../../src/core/store/records';
import { writeSampleEstate, type SampleManifest } from '../../src/core/sample/index';
import { factRows } from '../support/rewritten-facts';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';

let dir: string;
let db: Db;
let manifest: SampleManifest;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-sample-truth-'));
  // Long enough to see growth across a month boundary, small enough for CI.
  manifest = await writeSampleEstate(join(dir, 'estate'), { seed: 11, days: 4, start: '2026-09-29T00:00:00Z', scale: 0.3 });
  db = await openDataset(join(dir, 'sample.duckdb'));
  const summary = await enrich(db, { source: { kind: 'files', inventory: [manifest.inventoryDir], flowLogs: manifest.flowLogDirs } });
  assert.equal(summary.files.filter((f) => f.status === 'failed').length, 0, JSON.stringify(summary.files.filter((f) => f.status === 'failed')));
  assert.deepEqual(summary.inventoryWarnings, []);
  await db.exec(`CREATE TABLE truth AS SELECT * FROM read_json(${lit(join(manifest.truthDir, 'conversations.jsonl'))}, format = 'newline_delimited')`);
  // Tags as a MAP sorted by key (the JSON reader makes one struct of every key it saw, nulls included).
  await db.exec(`CREATE MACRO tag_map(j) AS map_from_entries(list_transform(list_sort(json_keys(j)),
                   k -> {'key': k, 'value': json_extract_string(j, '$."' || k || '"')}))`);
  await db.exec(`CREATE TABLE truth_tags AS SELECT start, protocol, client.addr AS ca, client.port AS cp, server.addr AS sa, server.port AS sp,
                   tag_map(json_merge_patch('{}', to_json(client.tags))) AS client_tags,
                   tag_map(json_merge_patch('{}', to_json(server.tags))) AS server_tags FROM truth`);
  // The truth as the templates see it: each side's node (the ARN, aws:<SERVICE> or internet) and the hour
  // (the window the templates read). A tag is looked up at the hour's start, as the templates do, in the
  // tag history (tag_sets, checked against the truth's tags below).
  await db.exec(`CREATE TABLE truth_flat AS SELECT t.*, time_bucket(INTERVAL 1 hour, make_timestamp(t.start * 1000000)) AS hour,
                   ${['client', 'server'].map((s) => `CASE t.${s}.type WHEN 'aws:service' THEN 'aws:' || upper(t.${s}.awsService)
                     WHEN 'internet' THEN 'internet' ELSE coalesce(t.${s}.arn, t.${s}.eni) END AS ${s}_node`).join(', ')}
                 FROM truth t`);
  await db.exec(`CREATE MACRO tag_at(node, moment, k) AS (SELECT any_value(g.tags[k]) FROM tag_sets g
                   WHERE g.arn = node AND moment >= g.valid_from AND moment < g.valid_to)`);
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const JOIN = `
  FROM truth t
  FULL OUTER JOIN conversations c
    ON c.protocol = t.protocol AND c.client_addr = t.client.addr AND c.client_port = t.client.port
   AND c.server_addr = t.server.addr AND c.server_port = t.server.port AND c.start // 60 * 60 = t.start`;

test('every true conversation is found once, with the right client and server, and nothing else', async () => {
  // The join key (protocol, both ends, minute) names one row on each side: a truth row matching two enriched
  // rows (a flow counted twice) or two truth rows matching one would otherwise hide in the join's counts.
  const [dup] = await db.json<{ truth: number; enriched: number }>(`SELECT
    (SELECT max(n) FROM (SELECT count(*) AS n FROM truth GROUP BY protocol, client.addr, client.port, server.addr, server.port, start)) AS truth,
    (SELECT max(n) FROM (SELECT count(*) AS n FROM conversations
      GROUP BY protocol, client_addr, client_port, server_addr, server_port, start // 60 * 60)) AS enriched`);
  if (dup.enriched > 1) {
    const ex = await db.json(`SELECT protocol, client_addr, client_port, server_addr, server_port, start // 60 * 60 AS minute, count(*) AS n
      FROM conversations GROUP BY ALL HAVING count(*) > 1 LIMIT 3`);
    assert.fail(`a conversation-minute is enriched more than once, e.g. ${JSON.stringify(ex)}`);
  }
  assert.deepEqual(dup, { truth: 1, enriched: 1 });
  const [r] = await db.json<{ truth: number; enriched: number; matched: number; missing: number; extra: number }>(`
    SELECT (SELECT count(*) FROM truth) AS truth, (SELECT count(*) FROM conversations) AS enriched,
           count(*) FILTER (WHERE t.start IS NOT NULL AND c.start IS NOT NULL) AS matched,
           count(*) FILTER (WHERE c.start IS NULL) AS missing, count(*) FILTER (WHERE t.start IS NULL) AS extra ${JOIN}`);
  assert.ok(r.truth > 1000, `the estate should have traffic, has ${r.truth}`);
  const examples = await db.json(`SELECT t.start, t.client.addr AS ca, t.client.port AS cp, t.server.addr AS sa, t.server.port AS sp,
      c.client_addr, c.client_port, c.server_addr, c.server_port, c.start AS cstart ${JOIN} WHERE t.start IS NULL OR c.start IS NULL LIMIT 5`);
  assert.equal(r.missing + r.extra, 0, `${JSON.stringify(r)}; e.g. ${JSON.stringify(examples)}`);
  assert.deepEqual(r, { truth: r.truth, enriched: r.truth, matched: r.truth, missing: 0, extra: 0 });
});

const FIELDS: [string, string, string][] = [
  ['client type', 't.client.type', 'c.client_type'],
  ['client arn', 't.client.arn', 'c.client_arn'],
  ['client eni', 't.client.eni', 'c.client_eni'],
  ['client vpc', 't.client.vpc', 'c.client_vpc'],
  ['client subnet', 't.client.subnet', 'c.client_subnet'],
  ['client az', 't.client.az', 'c.client_az'],
  ['client account', 't.client.account', 'c.client_account'],
  ['client region', 't.client.region', 'c.client_region'],
  ['client rfc1918', 't.client.rfc1918', 'c.client_rfc1918'],
  ['client aws service', 'upper(t.client.awsService)', 'c.client_aws_service'],
  ['server type', 't.server.type', 'c.server_type'],
  ['server arn', 't.server.arn', 'c.server_arn'],
  ['server eni', 't.server.eni', 'c.server_eni'],
  ['server vpc', 't.server.vpc', 'c.server_vpc'],
  ['server subnet', 't.server.subnet', 'c.server_subnet'],
  ['server az', 't.server.az', 'c.server_az'],
  ['server account', 't.server.account', 'c.server_account'],
  ['server region', 't.server.region', 'c.server_region'],
  ['server rfc1918', 't.server.rfc1918', 'c.server_rfc1918'],
  ['server aws service', 'upper(t.server.awsService)', 'c.server_aws_service'],
  ['uploaded', 't.uploaded', 'c.uploaded'],
  ['downloaded', 't.downloaded', 'c.downloaded'],
  ['action', 't.action', 'c.action'],
  ['egress path', 't.egressPath', 'c.egress_path'],
  ['cross-AZ', 't.crossAz', 'c.cross_az'],
];

test('both sides match the truth field by field', async () => {
  const failures: string[] = [];
  for (const [name, truth, ours] of FIELDS) {
    const rows = await db.json<{ n: number }>(`SELECT count(*) AS n ${JOIN} WHERE t.start IS NOT NULL AND c.start IS NOT NULL AND (${truth}) IS DISTINCT FROM (${ours})`);
    if (rows[0].n > 0) {
      const ex = await db.json(`SELECT ${truth} AS truth, ${ours} AS ours, t.client.addr AS client, t.server.addr AS server, t.server.port AS port,
        t.client.type AS ctype, t.server.type AS stype, c.observer_side, c.orientation ${JOIN}
        WHERE t.start IS NOT NULL AND c.start IS NOT NULL AND (${truth}) IS DISTINCT FROM (${ours}) LIMIT 3`);
      failures.push(`${name}: ${rows[0].n} differ, e.g. ${JSON.stringify(ex)}`);
    }
  }
  assert.deepEqual(failures, []);
});

test('an address no link explains is inferred, and only that: the VPN conversations to shared-services, cross-account', async () => {
  // archive-eu reaches shared-services' collectors over a VPN the inventory does not show: no peering, no transit
  // gateway, so the server is the one ENI in the whole inventory that held the address (inferred); every other side exact
  const [truth] = await db.json<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM truth WHERE pattern = 'archive-to-metrics-vpn'`);
  assert.ok(truth.n > 0, 'the estate has the VPN conversations');
  const rows = await db.json(`SELECT t.pattern, c.client_attribution, c.server_attribution, c.egress_path, c.cross_account, count(*)::INTEGER AS n
    ${JOIN} WHERE t.pattern = 'archive-to-metrics-vpn' OR c.client_attribution IS DISTINCT FROM 'exact' OR c.server_attribution IS DISTINCT FROM 'exact'
    GROUP BY ALL`);
  assert.deepEqual(rows, [
    { pattern: 'archive-to-metrics-vpn', client_attribution: 'exact', server_attribution: 'inferred', egress_path: 'virtual-private-gateway', cross_account: true, n: truth.n },
  ]);
});

test('an ENI seen before its AttachTime: its own records prove the server\'s side while the client\'s records are counted', async () => {
  // the NLB reaches the ingest service address, an ENI the inventory shows attached (to the standby) only from the
  // window's middle; both ends log: the NLB's records are counted, the ENI's own prove the server's side before then
  const truth = await db.json(`SELECT server.type AS type, server.arn IS NULL AS no_arn, count(*)::INTEGER AS n FROM truth
    WHERE pattern = 'ingest-failover-eni' GROUP BY ALL ORDER BY ALL`);
  assert.deepEqual(truth.map((r) => [r.type, r.no_arn]), [['ec2:instance', false], ['ec2:network-interface', true]], 'the estate has both');
  const rows = await db.json(`SELECT c.server_type AS type, c.server_arn IS NULL AS no_arn, c.server_attribution, c.server_eni = t.server.eni AS eni,
      c.server_subnet = t.server.subnet AND c.server_az = t.server.az AND c.server_account = t.server.account AS where_,
      c.observer_side, c.observer_eni = t.client.eni AS observer, c.cross_az IS NOT NULL AS crosses_known, count(*)::INTEGER AS n
    ${JOIN} WHERE t.pattern = 'ingest-failover-eni' GROUP BY ALL ORDER BY ALL`);
  assert.deepEqual(rows, truth.map((r) => ({ type: r.type, no_arn: r.no_arn, server_attribution: 'exact', eni: true, where_: true,
    observer_side: 'client', observer: true, crosses_known: true, n: r.n })));
});

test('security groups and tags valid at the time match the truth', async () => {
  const sgs = await db.json<{ n: number }>(`SELECT count(*) AS n FROM truth t JOIN conversations_v c
      ON c.protocol = t.protocol AND c.client_addr = t.client.addr AND c.client_port = t.client.port
     AND c.server_addr = t.server.addr AND c.server_port = t.server.port AND c.start // 60 * 60 = t.start
    WHERE list_sort(coalesce(t.client.sgs, [])) IS DISTINCT FROM list_sort(coalesce(c.client_security_group_ids, []))
       OR list_sort(coalesce(t.server.sgs, [])) IS DISTINCT FROM list_sort(coalesce(c.server_security_group_ids, []))`);
  assert.equal(sgs[0].n, 0, 'security groups differ');
  const TAGS = `FROM truth_tags t JOIN conversations_v c
      ON c.protocol = t.protocol AND c.client_addr = t.ca AND c.client_port = t.cp
     AND c.server_addr = t.sa AND c.server_port = t.sp AND c.start // 60 * 60 = t.start
    WHERE coalesce(t.client_tags, MAP {}) <> coalesce(c.client_tags, MAP {})
       OR coalesce(t.server_tags, MAP {}) <> coalesce(c.server_tags, MAP {})`;
  const tags = await db.json<{ n: number }>(`SELECT count(*) AS n ${TAGS}`);
  if (tags[0].n > 0) {
    const ex = await db.json(`SELECT t.ca, t.client_tags AS truth, c.client_tags AS ours, t.sa, t.server_tags AS struth, c.server_tags AS sours ${TAGS} LIMIT 2`);
    assert.fail(`tags differ in ${tags[0].n} conversations, e.g. ${JSON.stringify(ex)}`);
  }
});

test('ECS tasks are their task ARNs, named by their service, with their tags (aws:ecs:serviceName among them)', async () => {
  const TRUTH = `SELECT DISTINCT arn, service, app FROM (
      SELECT client.arn AS arn, client.tags."aws:ecs:serviceName" AS service, client.tags.app AS app FROM truth WHERE client.type = 'ecs:task'
      UNION ALL SELECT server.arn, server.tags."aws:ecs:serviceName", server.tags.app FROM truth WHERE server.type = 'ecs:task')`;
  const truth = await db.json<{ service: string; tasks: number; apps: string[] }>(`SELECT service, count(*)::INTEGER AS tasks, list_sort(list(DISTINCT app)) AS apps
    FROM (${TRUTH}) GROUP BY service ORDER BY service`);
  assert.deepEqual(truth.map((r) => r.service), ['checkout', 'ci-runner']);
  assert.deepEqual(truth.map((r) => r.apps), [['checkout'], ['ci']]);
  // every task the traffic went through is in the inventory as itself, named by its service, with its tags
  const ours = await db.json(`SELECT r.name AS service, count(*)::INTEGER AS tasks, list_sort(list(DISTINCT g.value)) AS apps
    FROM (${TRUTH}) t JOIN inv_resources r ON r.arn = t.arn AND r.type = 'ecs:task' AND r.kind = 'ecs-task'
    JOIN inv_tags g ON g.arn = r.arn AND g.key = 'app'
    JOIN inv_tags sn ON sn.arn = r.arn AND sn.key = 'aws:ecs:serviceName' AND sn.value = r.name
    WHERE regexp_full_match(r.arn, 'arn:aws:ecs:[a-z0-9-]+:[0-9]{12}:task/(shop|tools)/[0-9a-f]{32}')
    GROUP BY r.name ORDER BY r.name`);
  assert.deepEqual(ours, truth);
  // no task ENI is left standing for its attachment
  const [att] = await db.json<{ n: number }>(`SELECT count(*)::INTEGER AS n FROM inv_enis WHERE arn LIKE '%:attachment/%'`);
  assert.equal(att.n, 0);
  // each task's one ENI is attributed to it through DescribeTasks: as many ENIs as tasks, one task each
  const owners = await db.json(`SELECT count(DISTINCT o.eni_id)::INTEGER AS enis, count(DISTINCT o.arn)::INTEGER AS tasks, list(DISTINCT o.rule) AS rules,
      (SELECT count(*)::INTEGER FROM inv_resources WHERE type = 'ecs:task') AS described
    FROM inv_eni_owners o WHERE o.kind = 'ecs-task'`);
  const described = (owners[0] as { described: number }).described;
  assert.ok(described >= truth.reduce((a, r) => a + r.tasks, 0));
  assert.deepEqual(owners, [{ enis: described, tasks: described, rules: ['ecs-describe-tasks'], described }]);
});

async function answer(id: string, params: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
  const { sql, params: bound } = bindTemplate(findTemplate(id), params);
  return db.json(sql, bound);
}

/** A value as compared: numbers as numbers, lists sorted (the templates' list order is not part of the answer). */
function norm(v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (Array.isArray(v)) return v.map(norm).map((x) => JSON.stringify(x)).sort();
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' || typeof v === 'boolean') return v;
  if (typeof v === 'string' && v !== '' && !Number.isNaN(Number(v)) && /^-?\d/.test(v)) return Number(v);
  return String(v);
}

/** Asserts that a template's rows equal the rows the truth gives, column by column (order-free). */
function assertSameRows(what: string, ours: Record<string, unknown>[], truth: Record<string, unknown>[], cols: string[]): void {
  const key = (r: Record<string, unknown>) => JSON.stringify(cols.map((c) => norm(r[c])));
  const a = ours.map(key).sort();
  const b = truth.map(key).sort();
  const missing = b.filter((x) => !a.includes(x));
  const extra = a.filter((x) => !b.includes(x));
  assert.ok(b.length > 0, `${what}: the truth has rows`);
  assert.deepEqual({ rows: a.length, missing: missing.slice(0, 3), extra: extra.slice(0, 3) },
    { rows: b.length, missing: [], extra: [] }, `${what} (${cols.join(', ')})`);
}

test('cross-AZ traffic by app pair and AZ equals the truth grouped the same way, row by row', async () => {
  const ours = await answer('cross-az');
  const truth = await db.json(`SELECT coalesce(tag_at(client_node, hour, 'app'), client_node) AS client_app, client.az AS client_az,
      coalesce(tag_at(server_node, hour, 'app'), server_node) AS server_app, server.az AS server_az,
      sum(uploaded) AS uploaded, sum(downloaded) AS downloaded, sum(uploaded + downloaded) AS bytes,
      round(sum(uploaded + downloaded) / 1073741824.0 * 2 * 0.01, 6) AS est_cost_usd, count(*) AS conversations
    FROM truth_flat WHERE crossAz GROUP BY ALL`);
  assertSameRows('cross-az', ours, truth, ['client_app', 'client_az', 'server_app', 'server_az', 'uploaded', 'downloaded', 'bytes', 'est_cost_usd', 'conversations']);
});

test('the app dependency map equals the truth: app pairs, ports, bytes each way, conversations, first and last hour', async () => {
  const ours = await answer('app-dependencies');
  const truth = await db.json(`SELECT coalesce(tag_at(client_node, hour, 'app'), client_node) AS client_app,
      coalesce(tag_at(server_node, hour, 'app'), server_node) AS server_app,
      list(DISTINCT fl_protocol_name(protocol) || '/' || server.port) AS ports,
      sum(uploaded) AS uploaded, sum(downloaded) AS downloaded, count(*) AS conversations,
      min(hour) AS first_seen, max(hour) AS last_seen
    FROM truth_flat WHERE action = 'ACCEPT' GROUP BY ALL`);
  assert.ok(truth.length > 10, 'the estate has many app pairs');
  assertSameRows('app-dependencies', ours, truth, ['client_app', 'server_app', 'ports', 'uploaded', 'downloaded', 'conversations', 'first_seen', 'last_seen']);
  // another tag names the apps: the answer follows it
  const byOwner = await answer('app-dependencies', { tag_key: 'owner' });
  const ownerTruth = await db.json(`SELECT coalesce(tag_at(client_node, hour, 'owner'), client_node) AS client_app,
      coalesce(tag_at(server_node, hour, 'owner'), server_node) AS server_app, sum(uploaded) AS uploaded, sum(downloaded) AS downloaded
    FROM truth_flat WHERE action = 'ACCEPT' GROUP BY ALL`);
  assertSameRows('app-dependencies by owner', byOwner, ownerTruth, ['client_app', 'server_app', 'uploaded', 'downloaded']);
});

test('ALB bypass lists exactly the instances that reach targets directly', async () => {
  const ours = await answer('alb-bypass');
  const truth = await db.json<{ client: string; target: string }>(`
    SELECT DISTINCT t.client.arn AS client, t.server.arn AS target FROM truth t
    JOIN inv_lb_targets l ON l.target_arn = t.server.arn AND l.port = t.server.port
    WHERE t.client.type NOT IN ('elasticloadbalancing:loadbalancer', 'internet', 'aws:service') AND t.action = 'ACCEPT'`);
  assert.ok(truth.length > 0, 'the estate has ALB bypass');
  const key = (r: Record<string, unknown>) => `${r.client} -> ${r.target}`;
  assert.deepEqual([...new Set(ours.map(key))].sort(), truth.map(key).sort());
});

test('Lambda to RDS without proxy lists the functions the truth shows connecting directly, with their conversations and bytes', async () => {
  const ours = await answer('lambda-rds-without-proxy');
  const truth = await db.json(`SELECT client.arn AS function, server.arn AS db, server.port AS port, count(*) AS conversations,
      sum(uploaded + downloaded) AS bytes, min(make_timestamp(start * 1000000)) AS first_seen, max(make_timestamp(start * 1000000)) AS last_seen
    FROM truth WHERE client.type = 'lambda:function' AND server.type = 'rds:db' AND action = 'ACCEPT' GROUP BY ALL`);
  assert.ok(truth.length > 0, 'the estate has Lambdas reaching RDS directly');
  assertSameRows('lambda-rds-without-proxy', ours, truth, ['function', 'db', 'port', 'conversations', 'bytes', 'first_seen', 'last_seen']);
  const viaProxy = await db.json<{ arn: string }>(`SELECT DISTINCT server.arn AS arn FROM truth WHERE server.type = 'rds:db-proxy'`);
  assert.ok(viaProxy.length > 0, 'the estate has clients that go through an RDS Proxy');
  assert.ok(ours.every((r) => !viaProxy.some((p) => p.arn === r.db)), 'traffic through the proxy is not reported');
});

test('growth month over month equals the truth row by row: bytes per path, app and destination, share, per day', async () => {
  const ours = await answer('transfer-growth', { month: '2026-10' });
  // the template's arithmetic over the truth's conversations instead of the windows
  const truth = await db.json(`WITH b AS (SELECT TIMESTAMP '2026-10-01' AS cur), w AS (
      SELECT date_trunc('month', hour) AS month, hour, egressPath AS egress_path,
             coalesce(tag_at(client_node, hour, 'app'), client_node) AS client_app, server_node AS destination, uploaded + downloaded AS bytes
      FROM truth_flat, b WHERE hour >= cur - INTERVAL 1 MONTH AND hour < cur + INTERVAL 1 MONTH
    ), days AS (SELECT month, greatest(1, date_diff('day', min(hour), max(hour)) + 1) AS days FROM w GROUP BY month
    ), agg AS (
      SELECT egress_path, client_app, destination,
             coalesce(sum(bytes) FILTER (WHERE month = cur - INTERVAL 1 MONTH), 0) AS previous_bytes,
             coalesce(sum(bytes) FILTER (WHERE month = cur), 0) AS current_bytes
      FROM w, b GROUP BY ALL)
    SELECT a.*, current_bytes - previous_bytes AS growth_bytes,
      round(100.0 * (current_bytes - previous_bytes) / nullif(sum(current_bytes - previous_bytes) OVER (), 0), 1) AS share_of_growth_pct,
      round(previous_bytes / (SELECT days FROM days, b WHERE month = cur - INTERVAL 1 MONTH)) AS previous_per_day_bytes,
      round(current_bytes / (SELECT days FROM days, b WHERE month = cur)) AS current_per_day_bytes
    FROM agg a`);
  assertSameRows('transfer-growth', ours, truth, ['egress_path', 'client_app', 'destination', 'previous_bytes', 'current_bytes', 'growth_bytes',
    'share_of_growth_pct', 'previous_per_day_bytes', 'current_per_day_bytes']);
  assert.ok(ours.some((r) => Number(r.previous_bytes) > 0) && ours.some((r) => Number(r.current_bytes) > 0), 'both months have traffic');
  // growth ranks the rows
  assert.deepEqual(ours.map((r) => Number(r.growth_bytes)), ours.map((r) => Number(r.growth_bytes)).sort((x, y) => y - x));
});

test('NAT traffic to S3/DynamoDB equals the truth by VPC, client and service', async () => {
  const ours = await answer('nat-gateway-endpoint-candidates');
  const truth = await db.json(`SELECT client.vpc AS vpc, client.region AS region, client_node AS client, upper(server.awsService) AS service,
      sum(uploaded + downloaded) AS bytes, round(sum(uploaded + downloaded) / 1073741824.0 * 0.045, 6) AS est_saving_usd
    FROM truth_flat WHERE egressPath = 'nat-gateway' AND upper(server.awsService) IN ('S3', 'DYNAMODB') GROUP BY ALL`);
  assertSameRows('nat-gateway-endpoint-candidates', ours, truth, ['vpc', 'region', 'client', 'service', 'bytes', 'est_saving_usd']);
});

test('rejected traffic by security group equals the truth: per group of the interface that refused, target, ports, sources, attempts', async () => {
  const ours = await answer('rejected-by-security-group');
  // the interface that logged the rejection: the client's when it logged, else the server's (the truth's
  // observers), and its security groups at the time
  const truth = await db.json(`WITH r AS (
      SELECT *, CASE WHEN list_contains(observers, client.eni) THEN client.sgs WHEN list_contains(observers, server.eni) THEN server.sgs END AS sgs
      FROM truth_flat WHERE action = 'REJECT'
    ), g AS (SELECT *, unnest(CASE WHEN len(coalesce(sgs, [])) > 0 THEN sgs ELSE [NULL::VARCHAR] END) AS sg FROM r)
    SELECT coalesce(sg, '(no security group known)') AS security_group, server_node AS target,
      list(DISTINCT fl_protocol_name(protocol) || '/' || server.port) AS ports, count(DISTINCT client.addr) AS sources, count(*) AS attempts
    FROM g GROUP BY ALL`);
  assert.ok(truth.length > 0, 'the estate has rejected traffic');
  assertSameRows('rejected-by-security-group', ours, truth, ['security_group', 'target', 'ports', 'sources', 'attempts']);
});

test('top talkers equal the truth: the pairs that moved the most bytes, with path, cross-AZ/region and the sums', async () => {
  const ours = await answer('top-talkers', { top: '8' });
  const truth = await db.json(`SELECT client_node AS client, client.type AS client_type, server_node AS server, server.type AS server_type,
      egressPath AS egress_path, bool_or(crossAz) AS cross_az,
      bool_or(client.region IS NOT NULL AND server.region IS NOT NULL AND client.region <> server.region) AS cross_region,
      sum(uploaded) AS uploaded, sum(downloaded) AS downloaded, sum(uploaded + downloaded) AS bytes, count(*) AS conversations
    FROM truth_flat GROUP BY ALL ORDER BY bytes DESC LIMIT 8`);
  assert.equal(ours.length, 8);
  assertSameRows('top-talkers', ours, truth, ['client', 'client_type', 'server', 'server_type', 'egress_path', 'cross_az', 'cross_region',
    'uploaded', 'downloaded', 'bytes', 'conversations']);
  assert.deepEqual(ours.map((r) => Number(r.bytes)), truth.map((r) => Number(r.bytes)));
});

test('internet egress by owner equals the truth: bytes out and in by owner tag and path, resources, conversations', async () => {
  const ours = await answer('internet-egress-by-owner');
  const truth = await db.json(`WITH o AS (
      SELECT hour, client_node AS node, egressPath, uploaded AS bytes_out, downloaded AS bytes_in FROM truth_flat
      WHERE server.type IN ('internet', 'aws:service') AND client.vpc IS NOT NULL
      UNION ALL
      SELECT hour, server_node, egressPath, downloaded, uploaded FROM truth_flat
      WHERE client.type IN ('internet', 'aws:service') AND server.vpc IS NOT NULL)
    SELECT coalesce(tag_at(node, hour, 'owner'), '(untagged)') AS owner, egressPath AS egress_path, sum(bytes_out) AS bytes_out,
      sum(bytes_in) AS bytes_in, count(DISTINCT node) AS resources, count(*) AS conversations
    FROM o WHERE egressPath IN ('internet-gateway', 'nat-gateway') GROUP BY ALL`);
  assert.ok(truth.length > 1, 'several owners send to the internet');
  assertSameRows('internet-egress-by-owner', ours, truth, ['owner', 'egress_path', 'bytes_out', 'bytes_in', 'resources', 'conversations']);
});

test('enriched in parts (records split by their address pair), every conversation and window is the same', async () => {
  const records = Number((await db.json<{ n: number }>('SELECT count(*) AS n FROM flow_records'))[0].n);
  const views = ['conversations', 'windows_1m', 'windows_5m', 'windows_1h'];
  for (const v of views) await db.exec(`CREATE OR REPLACE TEMP TABLE whole_${v} AS SELECT * FROM ${v}`);
  try {
    const n = await rebuild(db, { full: true, recordsPerPart: Math.ceil(records / 7) });
    assert.equal(n, Number((await db.json<{ n: number }>('SELECT count(*) AS n FROM whole_conversations'))[0].n));
    for (const v of views) {
      const [d] = await db.json<{ missing: number; extra: number }>(`SELECT
        (SELECT count(*) FROM (SELECT * FROM whole_${v} EXCEPT ALL SELECT * FROM ${v})) AS missing,
        (SELECT count(*) FROM (SELECT * FROM ${v} EXCEPT ALL SELECT * FROM whole_${v})) AS extra`);
      assert.deepEqual(d, { missing: 0, extra: 0 }, v);
    }
    // (the inventory's small tables stay for the next enrichment of this connection, see rebuild.ts)
    const left = await db.json(`SELECT table_name FROM duckdb_tables() WHERE (table_name LIKE 'fl\\_%' ESCAPE '\\'
      AND table_name NOT IN (${INVENTORY_TABLES.map((t) => `'${t}'`).join(', ')})) OR table_name = 'conversation_facts_next'`);
    assert.deepEqual(left, []);
  } finally {
    for (const v of views) await db.exec(`DROP TABLE IF EXISTS whole_${v}`);
  }
});

/** Every file under a folder, in path order. */
function filesUnder(d: string): string[] {
  return readdirSync(d, { withFileTypes: true, recursive: true }).filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name)).sort();
}

const VIEWS = ['conversations', 'windows_1m', 'windows_5m', 'windows_1h'];

/** Writes the enriched views of `from` to Parquet and counts, per view, rows of db's missing there and extra. */
async function differences(from: Db, tag: string): Promise<Record<string, { missing: number; extra: number }>> {
  const out: Record<string, { missing: number; extra: number }> = {};
  for (const v of VIEWS) {
    const file = join(dir, `${tag}-${v}.parquet`);
    await from.exec(`COPY (SELECT * FROM ${v}) TO ${lit(file)} (FORMAT parquet)`);
    const [d] = await db.json<{ missing: number; extra: number }>(`SELECT
      (SELECT count(*) FROM (SELECT * FROM ${v} EXCEPT ALL SELECT * FROM read_parquet(${lit(file)}))) AS missing,
      (SELECT count(*) FROM (SELECT * FROM read_parquet(${lit(file)}) EXCEPT ALL SELECT * FROM ${v})) AS extra`);
    out[v] = d;
  }
  return out;
}

const SAME = Object.fromEntries(VIEWS.map((v) => [v, { missing: 0, extra: 0 }]));

test('loaded and enriched in three batches (ends and minutes of a flow in different ones), every conversation and window is the same, and a stored fact that comes out the same is not written again', async () => {
  const other = await openDataset(join(dir, 'batches.duckdb'));
  try {
    await loadInventory(other, [manifest.inventoryDir]);
    const files = manifest.flowLogDirs.flatMap(filesUnder);
    // file i goes to batch i % 3: the two ends of a flow (two ENIs' files) and its minutes (files 5 minutes
    // apart) land in different batches, and each batch is merged into what the ones before stored
    for (let b = 0; b < 3; b++) {
      const reports = await ingestFiles(other, files.filter((_, i) => i % 3 === b));
      assert.ok(reports.every((r) => r.status === 'loaded'), JSON.stringify(reports.find((r) => r.status !== 'loaded')));
      const rows = await factRows(other, () => rebuild(other));
      // from the second on, a flow's minutes stored by an earlier batch are taken back with a later minute: those
      // that come out the same stay where they are
      if (b > 0) {
        assert.ok(rows.touched > 0, `batch ${b + 1}: some stored facts should come out the same in a conversation it changed: ${JSON.stringify(rows)}`);
        assert.equal(rows.kept, rows.same, `batch ${b + 1}: stored facts that came out the same were written again: ${JSON.stringify(rows)}`);
      }
    }
    assert.deepEqual(await differences(other, 'batches'), SAME);
    // nothing new: nothing changes
    const before = await other.json('SELECT count(*) AS n, sum(uploaded) AS up FROM conversation_facts');
    await rebuild(other);
    assert.deepEqual(await other.json('SELECT count(*) AS n, sum(uploaded) AS up FROM conversation_facts'), before);
  } finally {
    other.close();
  }
});

test('an inventory that changes after the flows were enriched: the stored facts are attributed again, as if enriched with it', async () => {
  const other = await openDataset(join(dir, 'later-inventory.duckdb'));
  try {
    // first without the load balancers, RDS and Lambda responses: their ENIs' traffic is attributed to bare ENIs
    const inventory = filesUnder(manifest.inventoryDir);
    const late = inventory.filter((f) => /DescribeLoadBalancers|DescribeDBInstances|ListFunctions/.test(f));
    assert.ok(late.length > 0, `the estate should have such files: ${inventory.join(', ')}`);
    await loadInventory(other, inventory.filter((f) => !late.includes(f)));
    await ingestFiles(other, manifest.flowLogDirs);
    await rebuild(other);
    const d = await differences(other, 'early');
    assert.ok(d.conversations.missing > 0, 'without those responses, attribution differs');
    // then with them: no record is read again, and the facts equal an enrichment that had them from the start
    await loadInventory(other, [manifest.inventoryDir]);
    await rebuild(other);
    assert.deepEqual(await differences(other, 'later'), SAME);
  } finally {
    other.close();
  }
});

test('a dataset that keeps no raw records: the same facts, flow_records read from the files, S3 and CloudWatch records stored', async () => {
  // a copy of the flow logs, so that one can be moved away below
  const logs = join(dir, 'logs-copy');
  manifest.flowLogDirs.forEach((d, i) => cpSync(d, join(logs, String(i)), { recursive: true }));
  const other = await openDataset(join(dir, 'no-records.duckdb'));
  try {
    await setKeepRecords(other, false);
    await loadInventory(other, [manifest.inventoryDir]);
    await ingestFiles(other, [logs]);
    await rebuild(other);
    assert.deepEqual(await differences(other, 'no-records'), SAME);
    const counts = (d: Db) => d.json(`SELECT count(*) AS n, sum(bytes) AS bytes, count(DISTINCT file_id) AS files FROM flow_records`);
    assert.deepEqual(await counts(other), await counts(db));
    // what is stored: only the records of files not loaded from this machine as text or Parquet (CloudWatch events)
    const stored = await other.json<{ reader: string; files: number }>(`SELECT f.reader, count(DISTINCT r.file_id) AS files
      FROM flow_records r JOIN ingest_files f USING (file_id) WHERE r.record_no IS NOT NULL GROUP BY 1 ORDER BY 1`);
    assert.deepEqual(stored.map((x) => x.reader), ['cloudwatch']);
    assert.equal(await other.value(`SELECT count(*) FROM record_files`),
      await other.value(`SELECT count(*) FROM ingest_files WHERE reader IN ('text', 'gzip', 'parquet') AND records > 0`));
    // every fact made again from the files
    await rebuild(other, { full: true });
    assert.deepEqual(await differences(other, 'no-records-full'), SAME);
    // a file moved away: reading flow_records names it, and a full enrichment is refused rather than losing its facts
    const [gone] = await other.json<{ path: string }>(`SELECT path FROM record_files ORDER BY file_id LIMIT 1`);
    renameSync(gone.path, gone.path + '.moved');
    await assert.rejects(other.json(`SELECT count(*) FROM flow_records`), (err: Error) => err.message.includes(gone.path));
    const facts = await other.json('SELECT count(*) AS n, sum(uploaded) AS up FROM conversation_facts');
    await assert.rejects(rebuild(other, { full: true }), (err: Error) =>
      err.message === `cannot enrich again from the start: 1 loaded file is no longer where it was loaded from (${gone.path}), and this dataset keeps no copy of their records; put them back, or forget them first`);
    assert.deepEqual(await other.json('SELECT count(*) AS n, sum(uploaded) AS up FROM conversation_facts'), facts);
    renameSync(gone.path + '.moved', gone.path);
  } finally {
    other.close();
  }
});
