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
import { ingestFiles } from '../../src/core/flowlogs/ingest';
import { loadInventory } from '../../src/core/inventory/load';
import { setKeepRecords } from '../../src/core/store/records';
import { writeSampleEstate, type SampleManifest } from '../../src/core/sample/index';
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
  const [r] = await db.json<{ truth: number; enriched: number; matched: number; missing: number; extra: number }>(`
    SELECT count(t.start) AS truth, count(c.start) AS enriched, count(*) FILTER (WHERE t.start IS NOT NULL AND c.start IS NOT NULL) AS matched,
           count(*) FILTER (WHERE c.start IS NULL) AS missing, count(*) FILTER (WHERE t.start IS NULL) AS extra ${JOIN}`);
  assert.ok(r.truth > 1000, `the estate should have traffic, has ${r.truth}`);
  const examples = await db.json(`SELECT t.start, t.client.addr AS ca, t.client.port AS cp, t.server.addr AS sa, t.server.port AS sp,
      c.client_addr, c.client_port, c.server_addr, c.server_port, c.start AS cstart ${JOIN} WHERE t.start IS NULL OR c.start IS NULL LIMIT 5`);
  assert.equal(r.missing + r.extra, 0, `${JSON.stringify(r)}; e.g. ${JSON.stringify(examples)}`);
  assert.equal(r.matched, r.truth);
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

async function answer(id: string, params: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
  const { sql, params: bound } = bindTemplate(findTemplate(id), params);
  return db.json(sql, bound);
}

test('cross-AZ bytes by app pair equal the truth summed the same way', async () => {
  const ours = await answer('cross-az');
  const [truth] = await db.json<{ b: number }>(`SELECT sum(uploaded + downloaded) AS b FROM truth WHERE crossAz`);
  assert.ok(truth.b > 0);
  assert.equal(ours.reduce((n, r) => n + Number(r.bytes), 0), truth.b);
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

test('Lambda to RDS without proxy lists the functions the truth shows connecting directly', async () => {
  const ours = await answer('lambda-rds-without-proxy');
  const truth = await db.json<{ f: string; d: string }>(`SELECT DISTINCT client.arn AS f, server.arn AS d FROM truth
    WHERE client.type = 'lambda:function' AND server.type = 'rds:db' AND action = 'ACCEPT' ORDER BY 1, 2`);
  assert.ok(truth.length > 0, 'the estate has Lambdas reaching RDS directly');
  assert.deepEqual(ours.map((r) => `${r.function} ${r.db}`).sort(), truth.map((r) => `${r.f} ${r.d}`).sort());
  const viaProxy = await db.json<{ arn: string }>(`SELECT DISTINCT server.arn AS arn FROM truth WHERE server.type = 'rds:db-proxy'`);
  assert.ok(viaProxy.length > 0, 'the estate has clients that go through an RDS Proxy');
  assert.ok(ours.every((r) => !viaProxy.some((p) => p.arn === r.db)), 'traffic through the proxy is not reported');
});

test('growth month over month is explained by the destinations that grew', async () => {
  const ours = await answer('transfer-growth', { month: '2026-10' });
  const total = ours.reduce((n, r) => n + Number(r.growth), 0);
  const [truth] = await db.json<{ g: number }>(`SELECT
      sum(uploaded + downloaded) FILTER (WHERE start >= epoch(TIMESTAMP '2026-10-01'))
    - sum(uploaded + downloaded) FILTER (WHERE start < epoch(TIMESTAMP '2026-10-01')) AS g FROM truth`);
  assert.equal(total, truth.g);
});

test('NAT traffic to S3/DynamoDB, internet egress, rejects and top talkers agree with the truth', async () => {
  const nat = await answer('nat-gateway-endpoint-candidates');
  const [natTruth] = await db.json<{ b: number }>(`SELECT coalesce(sum(uploaded + downloaded), 0) AS b FROM truth
    WHERE egressPath = 'nat-gateway' AND upper(server.awsService) IN ('S3', 'DYNAMODB')`);
  assert.ok(natTruth.b > 0, 'the estate sends S3 traffic through NAT');
  assert.equal(nat.reduce((n, r) => n + Number(r.bytes), 0), natTruth.b);

  const rejected = await answer('rejected-by-security-group');
  const [rejTruth] = await db.json<{ n: number }>(`SELECT count(*) AS n FROM truth WHERE action = 'REJECT'`);
  assert.ok(rejTruth.n > 0);
  const bySg = new Map<string, number>();
  for (const r of rejected) bySg.set(String(r.target), Math.max(bySg.get(String(r.target)) ?? 0, Number(r.attempts)));
  assert.ok([...bySg.values()].reduce((a, b) => a + b, 0) >= rejTruth.n / 1, 'every rejected conversation is counted under a group');

  const top = await answer('top-talkers', { top: '5' });
  assert.equal(top.length, 5);
  const [first] = await db.json<{ b: number }>(`SELECT sum(uploaded + downloaded) AS b FROM conversations GROUP BY client_node, server_node, egress_path, client_type, server_type ORDER BY b DESC LIMIT 1`);
  assert.equal(top[0].bytes, first.b);

  const egress = await answer('internet-egress-by-owner');
  assert.ok(egress.length > 1, 'several owners send to the internet');
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
    const left = await db.json(`SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'fl\\_%' ESCAPE '\\' OR table_name = 'conversation_facts_next'`);
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

test('loaded and enriched in three batches (ends and minutes of a flow in different ones), every conversation and window is the same', async () => {
  const other = await openDataset(join(dir, 'batches.duckdb'));
  try {
    await loadInventory(other, [manifest.inventoryDir]);
    const files = manifest.flowLogDirs.flatMap(filesUnder);
    // file i goes to batch i % 3: the two ends of a flow (two ENIs' files) and its minutes (files 5 minutes
    // apart) land in different batches, and each batch is merged into what the ones before stored
    for (let b = 0; b < 3; b++) {
      const reports = await ingestFiles(other, files.filter((_, i) => i % 3 === b));
      assert.ok(reports.every((r) => r.status === 'loaded'), JSON.stringify(reports.find((r) => r.status !== 'loaded')));
      await rebuild(other);
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
