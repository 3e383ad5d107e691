/**
 * Issue 15 against the sample estate's ground truth: the estate's security-group rules fit its traffic, and its
 * truth names the rules that admitted each conversation (src/core/sample/secgroups.ts, from the estate's own
 * model). The templates sg-rule-usage and sg-unused-rules over the enriched estate are compared with it rule by
 * rule: used and unused rules, a rule wider than its traffic, group references, prefix-list rules, IPv6.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Db, lit, type Row } from '../../src/core/store/db';
import { enrich, openDataset } from '../../src/core/api';
import { writeSampleEstate } from '../../src/core/sample/index';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';

let dir: string;
let db: Db;
let truthDir: string;
let open = false;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-sg-sample-'));
  const manifest = await writeSampleEstate(join(dir, 'estate'), { seed: 11, days: 2, start: '2026-09-29T00:00:00Z', scale: 0.3 });
  db = await openDataset(join(dir, 'sample.duckdb'));
  open = true;
  const summary = await enrich(db, { source: { kind: 'files', inventory: [manifest.inventoryDir], flowLogs: manifest.flowLogDirs } });
  assert.equal(summary.files.filter((f) => f.status === 'failed').length, 0);
  assert.deepEqual(summary.inventoryWarnings, []);
  truthDir = manifest.truthDir;
  await db.exec(`CREATE TABLE truth AS SELECT * FROM read_json(${lit(join(manifest.truthDir, 'conversations.jsonl'))}, format = 'newline_delimited')`);
});

after(() => {
  if (open) db.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run<T extends Row>(id: string, params: Record<string, string> = {}): Promise<T[]> {
  const { sql, params: bound } = bindTemplate(findTemplate(id), params);
  return db.json<T>(sql, bound);
}

/** A rule's id by its group's name and the start of its description. */
async function ruleId(group: string, description: string): Promise<string> {
  const ids = await db.json<{ rule_id: string }>(`SELECT r.rule_id FROM inv_sg_rules r JOIN inv_security_groups g USING (group_id)
    WHERE g.group_name = $g AND starts_with(r.description, $d)`, { g: group, d: description });
  assert.equal(ids.length, 1, `${group}: ${description}`);
  return ids[0].rule_id;
}

test('the sample estate\'s rules fit its traffic: every accepted conversation is admitted on each side that has groups', async () => {
  const [r] = await db.json<{ accepted: number; unadmitted: number; rejected_with_rules: number }>(`SELECT
    count(*) FILTER (WHERE action = 'ACCEPT') AS accepted,
    count(*) FILTER (WHERE action = 'ACCEPT' AND len(mostSpecific) < (len(client.sgs) > 0)::INT + (len(server.sgs) > 0)::INT) AS unadmitted,
    count(*) FILTER (WHERE action = 'REJECT' AND len(rules) > 0) AS rejected_with_rules
    FROM truth`);
  assert.ok(r.accepted > 1000, `the estate should have traffic, has ${r.accepted}`);
  assert.deepEqual(r, { accepted: r.accepted, unadmitted: 0, rejected_with_rules: 0 });
  // the rules are read from DescribeSecurityGroupRules (AWS's ids, as the truth names them), and the one revoked
  // within the window, which it no longer lists, from CloudTrail's RevokeSecurityGroupIngress
  assert.deepEqual(await db.json(`SELECT source, count(*) AS n FROM inv_sg_rules GROUP BY source ORDER BY source`), [
    { source: 'cloudtrail', n: 1 }, { source: 'rules', n: (await db.json(`SELECT count(*) AS n FROM inv_obs_sg_rules WHERE source = 'rules'`))[0].n },
  ]);
});

interface Usage extends Row {
  rule_id: string;
  conversations: number;
  most_specific_conversations: number;
  bytes: number;
  peers: number;
  first_seen: string | null;
  last_seen: string | null;
}

test('sg-rule-usage agrees with the truth rule by rule: conversations, the most specific, bytes, peers, first and last seen', async () => {
  const truth = await db.json<Usage>(`
    WITH each AS (
      SELECT unnest(t.rules) AS rule_id, list_contains(t.mostSpecific, unnest(t.rules)) AS most_specific, t.uploaded + t.downloaded AS bytes,
             t.client.addr AS client_addr, t.server.addr AS server_addr, make_timestamp(t.start * 1000000) AS minute
      FROM truth t
    )
    SELECT r.rule_id, count(e.rule_id) AS conversations, count(e.rule_id) FILTER (WHERE e.most_specific) AS most_specific_conversations,
           coalesce(sum(e.bytes), 0) AS bytes, count(DISTINCT CASE WHEN r.egress THEN e.server_addr ELSE e.client_addr END) AS peers,
           strftime(min(e.minute), '%Y-%m-%d %H:%M:%S') AS first_seen, strftime(max(e.minute), '%Y-%m-%d %H:%M:%S') AS last_seen
    FROM inv_sg_rules r LEFT JOIN each e USING (rule_id)
    GROUP BY r.rule_id, r.egress ORDER BY r.rule_id`);
  const rows = await run<Usage>('sg-rule-usage');
  const pick = (u: Usage) => ({
    rule_id: u.rule_id, conversations: u.conversations, most_specific_conversations: u.most_specific_conversations, bytes: u.bytes,
    peers: u.peers, first_seen: u.first_seen?.slice(0, 19) ?? null, last_seen: u.last_seen?.slice(0, 19) ?? null,
  });
  assert.equal(rows.length, truth.length);
  assert.deepEqual(rows.map(pick).sort((a, b) => (a.rule_id < b.rule_id ? -1 : 1)), truth.map(pick));
  assert.ok(truth.filter((t) => t.conversations > 0).length >= 40, 'most rules carry traffic');
});

test('unused, wider than used, group references, prefix lists and IPv6 in the sample estate', async () => {
  const rows = await run<Usage & { narrowest_cidr: string | null; group_instead: string | null }>('sg-rule-usage');
  const by = new Map(rows.map((r) => [r.rule_id, r]));
  const usage = async (group: string, description: string) => by.get(await ruleId(group, description))!;
  const groupId = async (name: string) => String(await db.value(`SELECT group_id FROM inv_security_groups WHERE group_name = $n`, { n: name }));

  // unused: the web load balancer's HTTP and IPv6 rules, SSH from the bastion
  for (const [g, d] of [['shop-web-alb', 'HTTP redirect'], ['shop-web-alb', 'HTTPS over IPv6'], ['shop-web', 'SSH from the bastion']]) {
    assert.equal((await usage(g, d)).conversations, 0, `${g}: ${d}`);
  }
  // wider than used: the internal API load balancer admits the whole VPC on :80, but only the web tier calls it;
  // their addresses' narrowest CIDR is inside the VPC's, and the web group would do instead
  const apiAlb = await usage('shop-api-alb', 'from the VPC');
  assert.ok(apiAlb.conversations > 0);
  assert.ok(apiAlb.narrowest_cidr && Number(apiAlb.narrowest_cidr.split('/')[1]) > 16, apiAlb.narrowest_cidr ?? 'none');
  assert.equal(apiAlb.group_instead, await groupId('shop-web'));
  // group references: the web tier admits the load balancer's group, the database RDS Proxy's
  assert.ok((await usage('shop-web', 'from the load balancer')).most_specific_conversations > 0);
  assert.ok((await usage('shop-db', 'from RDS Proxy')).most_specific_conversations > 0);
  // a prefix-list rule: the thumbnailer's egress to S3's prefix list
  const s3 = await usage('thumbnailer', 'S3 only');
  assert.ok(s3.conversations > 0);
  assert.equal((await db.value(`SELECT peer_kind FROM inv_sg_rules WHERE rule_id = $r`, { r: s3.rule_id })), 'prefix-list');
  // overlapping rules: each counts the conversations it admits, the most specific marks them once; a smaller port
  // range wins over all traffic, a longer prefix over a shorter one on the same port
  const webOut = await usage('shop-web', 'to the session cache');
  assert.ok(webOut.most_specific_conversations > 0 && webOut.most_specific_conversations === webOut.conversations);
  const shopOtlp = await usage('metrics', 'OTLP from the shop');
  const everyOtlp = await usage('metrics', 'OTLP from every VPC');
  assert.ok(shopOtlp.conversations > 0 && shopOtlp.most_specific_conversations === shopOtlp.conversations);
  assert.equal(everyOtlp.most_specific_conversations, everyOtlp.conversations - shopOtlp.conversations);
  // IPv6: the bastion's HTTPS out over IPv6
  const v6 = await usage('ops-bastion', 'HTTPS over IPv6');
  assert.ok(v6.conversations > 0);
  assert.equal(v6.narrowest_cidr?.includes(':'), true);

  // sg-unused-rules: unused where every guarded interface was logged the whole time; the collectors' VPC has no
  // flow log, so their group's unused egress rule is not proven unused (the next test compares every rule)
  const unused = await run<{ rule_id: string; verdict: string }>('sg-unused-rules');
  const verdict = new Map(unused.map((r) => [r.rule_id, r.verdict]));
  assert.equal(verdict.get(await ruleId('shop-web-alb', 'HTTP redirect')), 'unused');
  const metricsOut = String(await db.value(`SELECT rule_id FROM inv_sg_rules r JOIN inv_security_groups g USING (group_id) WHERE g.group_name = 'metrics' AND r.egress`));
  assert.match(verdict.get(metricsOut) ?? '', /^not proven: eni-[0-9a-f]+ logged nothing 2026-09-29 00:00–2026-09-30 \d\d:\d\d/);
  // every rule the truth says was used is absent from it
  const used = await db.json<{ rule_id: string }>(`SELECT DISTINCT unnest(rules) AS rule_id FROM truth`);
  assert.deepEqual(used.filter((u) => verdict.has(u.rule_id)), []);
  unusedByTemplate = unused.map((r) => [r.rule_id, r.verdict]);
});

let unusedByTemplate: string[][] = [];

test('a rule is unused only while every interface of its group was logged: the truth\'s gaps, rule by rule, and the ENI whose logging has a gap', async () => {
  await db.exec(`CREATE OR REPLACE TABLE coverage_truth AS SELECT * FROM read_json(${lit(join(truthDir, 'coverage.jsonl'))}, format = 'newline_delimited',
    columns = {eni: 'VARCHAR', sgs: 'VARCHAR[]', "from": 'BIGINT', "to": 'BIGINT', logged: 'BOOLEAN', gaps: 'STRUCT("from" BIGINT, "to" BIGINT, status VARCHAR)[]'})`);
  // the period the template reads: the first record to the last conversation's minute
  const [p] = await db.json<{ lo: number; hi: number }>(`SELECT epoch((SELECT min(valid_from) FROM eni_coverage))::BIGINT AS lo,
    epoch((SELECT hi FROM fl_period(NULL, NULL, NULL)))::BIGINT AS hi`);
  // per unused rule, the interfaces that carried its group in the period, and those the truth says were not logged
  // the whole time: no flow log, a SKIPDATA span, or no record over three intervals or more (two: either way, as the
  // records beside them fall)
  const expected = await db.json<{ rule_id: string; guarded: string[]; gapped: string[]; maybe: string[] }>(`
    WITH used AS (SELECT DISTINCT unnest(rules) AS rule_id FROM truth),
    guarded AS (
      SELECT r.rule_id, c.eni, c.logged, c.gaps
      FROM (SELECT DISTINCT rule_id, group_id FROM inv_sg_rules) r JOIN coverage_truth c ON list_contains(c.sgs, r.group_id)
      WHERE r.rule_id NOT IN (SELECT rule_id FROM used) AND c."from" < ${p.hi} AND coalesce(c."to", ${p.hi}) > ${p.lo}
    ), g AS (
      SELECT rule_id, eni, logged, unnest(CASE WHEN len(gaps) = 0 THEN [NULL] ELSE gaps END) AS gap FROM guarded
    )
    SELECT rule_id, list_sort(list(DISTINCT eni)) AS guarded,
      list_sort(coalesce(list(DISTINCT eni) FILTER (WHERE NOT logged OR ((gap.status = 'SKIPDATA' OR (gap.status = 'NONE' AND gap."to" - gap."from" >= 1800))
        AND gap."from" < ${p.hi} AND gap."to" > ${p.lo})), [])) AS gapped,
      list_sort(coalesce(list(DISTINCT eni) FILTER (WHERE gap.status = 'NONE' AND gap."to" - gap."from" = 1200), [])) AS maybe
    FROM g GROUP BY rule_id ORDER BY rule_id`);
  const engine = await db.json<{ rule_id: string; guarded: string[]; gapped: string[] }>(`
    SELECT rule_id, list_sort(list(DISTINCT eni_id)) AS guarded, list_sort(coalesce(list(DISTINCT eni_id) FILTER (WHERE gap IS NOT NULL), [])) AS gapped
    FROM fl_sg_gaps((SELECT lo FROM fl_period(NULL, NULL, NULL)), (SELECT hi FROM fl_period(NULL, NULL, NULL)))
    WHERE rule_id IN (SELECT rule_id FROM used_by_none) GROUP BY rule_id ORDER BY rule_id`.replace('used_by_none',
    `(SELECT rule_id FROM inv_sg_rules EXCEPT SELECT unnest(rules) FROM truth)`));
  assert.ok(expected.length >= 5, `unused rules: ${expected.length}`);
  assert.deepEqual(engine.map((e) => [e.rule_id, e.guarded]), expected.map((e) => [e.rule_id, e.guarded]));
  for (const [i, e] of engine.entries()) {
    const x = expected[i];
    const definite = x.gapped.filter((eni) => !x.maybe.includes(eni));
    assert.deepEqual(e.gapped.filter((eni) => !x.maybe.includes(eni)), definite, e.rule_id);
  }
  const verdicts = new Map((await run<{ rule_id: string; verdict: string; guarded_enis: number; logged_enis: number }>('sg-unused-rules'))
    .map((r) => [r.rule_id, r]));
  for (const x of expected) {
    const v = verdicts.get(x.rule_id)!;
    assert.equal(v.guarded_enis, x.guarded.length, x.rule_id);
    if (x.gapped.length === 0 && x.maybe.length === 0) assert.equal(v.verdict, 'unused', x.rule_id);
    if (x.gapped.length > 0) assert.match(v.verdict, /^not proven: /, x.rule_id);
  }
  assert.ok(expected.some((x) => x.gapped.length === 0) && expected.some((x) => x.gapped.length > 0));

  // the bastion's logging has gaps (pattern logging-gap): SKIPDATA over one hour, nothing over two; its group's unused
  // SSH rule names them, as the truth has them (a span of no record reaches into the records on either side)
  const bastion = String(await db.value(`SELECT eni_id FROM inv_enis WHERE list_contains(security_group_ids,
    (SELECT group_id FROM inv_security_groups WHERE group_name = 'ops-bastion')) LIMIT 1`));
  const [truthGaps] = await db.json<{ gaps: { from: number; to: number; status: string }[] }>(`SELECT gaps FROM coverage_truth WHERE eni = $e`, { e: bastion });
  const skipped = truthGaps.gaps.filter((g) => g.status === 'SKIPDATA');
  const silent = truthGaps.gaps.filter((g) => g.status === 'NONE' && g.to - g.from >= 1800);
  assert.ok(skipped.some((g) => g.to - g.from >= 600) && silent.length > 0, JSON.stringify(truthGaps));
  const ssh = verdicts.get(await ruleId('ops-bastion', 'SSH from the office'))!;
  const named = [...ssh.verdict.replace(/^not proven: /, '').replace(/ and \d+ more$/, '').matchAll(/(eni-[0-9a-f]+) (skipped data|logged nothing) (\d{4}-\d\d-\d\d \d\d:\d\d)–(\d{4}-\d\d-\d\d \d\d:\d\d|\d\d:\d\d)/g)]
    .map((m) => ({ eni: m[1], gap: m[2], from: Date.parse(`${m[3].replace(' ', 'T')}Z`) / 1000, to: Date.parse(`${m[4].includes(' ') ? m[4].replace(' ', 'T') : `${m[3].slice(0, 10)}T${m[4]}`}Z`) / 1000 }));
  const gaps = await db.json<{ gap: string; gap_from: string; gap_to: string }>(`SELECT gap, strftime(gap_from, '%Y-%m-%d %H:%M:%S') AS gap_from,
    strftime(gap_to, '%Y-%m-%d %H:%M:%S') AS gap_to FROM fl_sg_gaps(TIMESTAMP '-infinity', TIMESTAMP 'infinity')
    WHERE rule_id = $r AND gap IS NOT NULL ORDER BY gap_from`, { r: await ruleId('ops-bastion', 'SSH from the office') });
  const secs = (t: string) => Date.parse(`${t.replace(' ', 'T')}Z`) / 1000;
  assert.deepEqual(gaps.filter((g) => g.gap === 'skipped data').map((g) => [secs(g.gap_from), secs(g.gap_to)]), skipped.map((g) => [g.from, g.to]));
  const nothing = gaps.filter((g) => g.gap === 'logged nothing').map((g) => [secs(g.gap_from), secs(g.gap_to)]);
  for (const g of silent) {
    assert.ok(nothing.some(([a, b]) => a <= g.from && b >= g.to && a >= g.from - 600 && b <= g.to + 600), `${JSON.stringify(g)} in ${JSON.stringify(nothing)}`);
  }
  assert.equal(ssh.verdict.startsWith(`not proven: ${bastion} `), true, ssh.verdict);
  assert.ok(named.length > 0 && named.length <= 3 && named.every((n) => n.eni === bastion), ssh.verdict);
  assert.deepEqual(named.map((n) => n.from), gaps.slice(0, 3).map((g) => Math.floor(secs(g.gap_from) / 60) * 60), ssh.verdict);
});

test('a rule revoked mid-period counts until it was revoked, one added mid-period from then on (CloudTrail history)', async () => {
  const rows = await run<Usage & { authorized: string | null; revoked: string | null }>('sg-rule-usage');
  const by = new Map(rows.map((r) => [r.rule_id, r]));
  const revokedId = await ruleId('shop-web', 'opened to the VPC for a migration');
  const addedId = await ruleId('shop-eu-web', 'from the VPC, added at 60');
  const revoked = by.get(revokedId)!;
  const added = by.get(addedId)!;
  // the revoked rule admitted the load balancer's calls until then, besides the group reference (more specific)
  assert.ok(revoked.revoked && revoked.conversations > 0 && revoked.most_specific_conversations === 0, JSON.stringify(revoked));
  assert.ok(revoked.last_seen! < revoked.revoked!, `${revoked.last_seen} < ${revoked.revoked}`);
  assert.ok(added.authorized && added.revoked === null && added.conversations > 0, JSON.stringify(added));
  assert.ok(added.first_seen! >= added.authorized!, `${added.first_seen} >= ${added.authorized}`);
  // the group reference beside them counts every call, before and after
  const viaGroup = by.get(await ruleId('shop-web', 'from the load balancer'))!;
  assert.ok(viaGroup.conversations > revoked.conversations);
  // a period after the revocation does not list the revoked rule at all; one before it, not the added one
  const after = await run<Usage>('sg-rule-usage', { since: revoked.revoked! });
  assert.equal(after.some((r) => r.rule_id === revokedId), false);
  const beforeAdd = await run<Usage>('sg-rule-usage', { until: added.authorized! });
  assert.equal(beforeAdd.some((r) => r.rule_id === addedId), false);
  assert.equal(beforeAdd.find((r) => r.rule_id === revokedId)?.conversations, revoked.conversations);
});

interface Allowed extends Row {
  refused_by: string;
  direction: string;
  port: string;
  peer: string;
  conversations: number;
  rule_that_allowed: string | null;
  revoked: string | null;
  rule_to_add: string | null;
}

test('sg-would-have-allowed: each rejected conversation with the revoked rule that had admitted it, else the narrowest rule to add, as the truth has them', async () => {
  const migration = await ruleId('shop-web', 'opened to the VPC for a migration');
  // per refusing interface (the server's: the estate's rejected traffic is refused inbound), port and peer: the truth's
  // rejected conversation-minutes, and what would have allowed them: the web tier's migration rule, revoked at 40 %,
  // for the order workers' calls after it; else a rule from the client's group, or its address
  const expected = await db.json<Allowed>(`
    SELECT server.eni AS refused_by, 'ingress' AS direction, CAST(server.port AS VARCHAR) AS port, client.addr AS peer, count(*) AS conversations,
      CASE WHEN pattern = 'web-after-migration-revoked' THEN $m END AS rule_that_allowed,
      CASE WHEN pattern <> 'web-after-migration-revoked' THEN list_sort(server.sgs)[1] || ' ingress tcp ' || server.port || ' from '
        || coalesce(list_sort(client.sgs)[1], client.addr || '/32') END AS rule_to_add
    FROM truth WHERE action = 'REJECT' GROUP BY ALL ORDER BY ALL`, { m: migration });
  const rows = await run<Allowed>('sg-would-have-allowed');
  const ingress = rows.filter((r) => r.direction === 'ingress')
    .map((r) => ({ refused_by: r.refused_by, direction: r.direction, port: r.port, peer: r.peer, conversations: r.conversations,
      rule_that_allowed: r.rule_that_allowed, rule_to_add: r.rule_to_add }))
    .sort((a, b) => JSON.stringify(Object.values(a)).localeCompare(JSON.stringify(Object.values(b))));
  const sorted = expected.map((e) => ({ ...e })).sort((a, b) => JSON.stringify(Object.values(a)).localeCompare(JSON.stringify(Object.values(b))));
  assert.deepEqual(ingress, sorted);
  // all three kinds are there: a revoked rule named (with when), an address and a group to add
  const named = rows.filter((r) => r.rule_that_allowed === migration);
  assert.ok(named.length > 0 && named.every((r) => r.revoked !== null && r.rule_to_add === null), JSON.stringify(named[0]));
  assert.ok(rows.some((r) => r.rule_to_add?.endsWith('/32')) && rows.some((r) => /from sg-[0-9a-f]+$/.test(r.rule_to_add ?? '')));
  // no accepted conversation is listed, and a period before the revocation has none of the migration's refusals
  const [revoked] = await db.json<{ t: string }>(`SELECT strftime(valid_to, '%Y-%m-%d %H:%M:%S') AS t FROM inv_sg_rules WHERE rule_id = $r`, { r: migration });
  const before = await run<Allowed>('sg-would-have-allowed', { until: revoked.t });
  assert.equal(before.some((r) => r.rule_that_allowed === migration), false);
});

test('the command line: flowlens query sg-unused-rules --param days=30 answers the same (the estate is two days long)', () => {
  assert.ok(unusedByTemplate.length > 5);
  db.close(); // the command opens the dataset read-only, in a process of its own
  open = false;
  const cli = join(__dirname, '..', '..', 'src', 'cli.js');
  const r = spawnSync(process.execPath, [cli, 'query', 'sg-unused-rules', '--param', 'days=30', '--db', join(dir, 'sample.duckdb'), '--format', 'json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const rows = JSON.parse(r.stdout) as { rule_id: string; verdict: string }[];
  assert.deepEqual(rows.map((x) => [x.rule_id, x.verdict]), unusedByTemplate);
});
