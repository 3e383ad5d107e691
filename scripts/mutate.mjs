#!/usr/bin/env node
// A mutation pass over the enrichment (src/core/enrich, TS and .sql), the views' cross-AZ rule and the templates:
// each named mutation is a plausible bug written as a text replacement. Each is applied alone in a scratch copy
// of the repository (the working tree is never touched), built with `npm run build:test`, and the tests that
// should notice it are run; a mutation is killed when a test fails, survived when they all pass.
//   node scripts/mutate.mjs                 every mutation (20-40 min on 2 cores: run it in the background)
//   node scripts/mutate.mjs --only a,b      the named ones
//   node scripts/mutate.mjs --list          the names
//   node scripts/mutate.mjs --check         that each applies (its text occurs once), without running anything
// The unmutated copy is built and tested first: a pass whose baseline fails says so and stops. Exit status 0
// when every mutation was killed, 1 when one survived (or did not apply), 2 when the baseline failed.
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const CORE = 'out/test/unit/enrich-core.test.js';
const SAMPLE = 'out/test/integration/enrich-sample.test.js';
const TEMPLATES = 'out/test/unit/templates.test.js';
const REATTRIBUTE = 'out/test/integration/reattribute.test.js';
const ENRICH = [CORE, SAMPLE];
const ALL = [CORE, SAMPLE, TEMPLATES];

/** name, file, the text replaced (it must occur exactly once; with all, at least once), its replacement, the tests to run. */
const MUTATIONS = [
  // the three the issue names
  { name: 'windows-1h-bucketed-by-day', file: 'src/core/enrich/windows.ts',
    from: `{ table: 'windows_1h', interval: '1 hour' }`, to: `{ table: 'windows_1h', interval: '1 day' }`, tests: ALL },
  { name: 'address-holders-not-clipped', file: 'src/core/enrich/prepare.sql',
    from: `least(valid_to, coalesce(lead(valid_from) OVER (PARTITION BY scope_vpc, addr ORDER BY valid_from, eni_id), valid_to)) AS valid_to`,
    to: `valid_to AS valid_to`, tests: ENRICH },
  { name: 'internet-egress-in-out-swapped', file: 'templates/internet-egress-by-owner.sql',
    from: `client_node AS node, egress_path, uploaded AS bytes_out, downloaded AS bytes_in`,
    to: `client_node AS node, egress_path, downloaded AS bytes_out, uploaded AS bytes_in`, tests: ENRICH },
  // enrichment
  { name: 'nat-outside-leg-counted', file: 'src/core/enrich/observer-sums.sql',
    from: `FROM r WHERE NOT nat_outside`, to: `FROM r`, tests: ENRICH },
  { name: 'observer-server-before-client', file: 'src/core/enrich/orientation.sql',
    from: `WHEN (CASE WHEN o.client_is_a THEN ha.obs ELSE hb.obs END) IS NOT NULL THEN 0
               WHEN (CASE WHEN o.client_is_a THEN hb.obs ELSE ha.obs END) IS NOT NULL THEN 1`,
    to: `WHEN (CASE WHEN o.client_is_a THEN ha.obs ELSE hb.obs END) IS NOT NULL THEN 1
               WHEN (CASE WHEN o.client_is_a THEN hb.obs ELSE ha.obs END) IS NOT NULL THEN 0`, tests: ENRICH },
  { name: 'nat-observer-preferred', file: 'src/core/enrich/orientation.sql',
    from: `(CASE WHEN e.kind = 'natgateway' THEN 3`, to: `(CASE WHEN e.kind = 'natgateway' THEN 0`, tests: ENRICH },
  { name: 'orientation-syn-ack-sender-is-client', file: 'src/core/enrich/orientation.sql',
    from: `WHEN e & 4 <> 0 THEN false WHEN e & 8 <> 0 THEN true`, to: `WHEN e & 4 <> 0 THEN true WHEN e & 8 <> 0 THEN false`, tests: ENRICH },
  { name: 'orientation-syn-sender-is-server', file: 'src/core/enrich/orientation.sql',
    from: `CASE WHEN e & 1 <> 0 THEN true WHEN e & 2 <> 0 THEN false`, to: `CASE WHEN e & 1 <> 0 THEN false WHEN e & 2 <> 0 THEN true`, tests: ENRICH },
  { name: 'port-rank-inverted', file: 'src/core/enrich/orientation.sql',
    from: `THEN fl_port_rank(a_port) > fl_port_rank(b_port)`, to: `THEN fl_port_rank(a_port) < fl_port_rank(b_port)`, tests: ENRICH },
  { name: 'reject-only-when-every-observer-rejects', file: 'src/core/enrich/orientation.sql',
    from: `bool_or(rejected) AS any_rejected`, to: `bool_and(rejected) AS any_rejected`, tests: ENRICH },
  { name: 'pkt-srcaddr-ignored', file: 'src/core/enrich/observer-sums.sql',
    from: `JOIN fl_addr sa ON sa.addr = lower(coalesce(r.pkt_srcaddr, r.srcaddr))`, to: `JOIN fl_addr sa ON sa.addr = lower(r.srcaddr)`, tests: ENRICH },
  { name: 'peered-vpc-lookup-wrong-end', file: 'src/core/enrich/prepare.sql',
    from: `FROM private a JOIN inv_vpc_links l ON l.peer_vpc_id = a.vpc_id`, to: `FROM private a JOIN inv_vpc_links l ON l.vpc_id = a.vpc_id`, tests: ENRICH },
  { name: 'address-interval-end-inclusive', file: 'src/core/enrich/attribution.sql',
    from: `fl_ts(c.start) < `, to: `fl_ts(c.start) <= `, all: true, tests: ENRICH },
  { name: 'aws-service-longest-prefix-only', file: 'src/core/enrich/sides.sql',
    from: `arg_max(p.service, (p.service <> 'AMAZON')::INTEGER * 1000 + p.prefix_len) AS aws_service`,
    to: `arg_max(p.service, p.prefix_len) AS aws_service`, tests: ENRICH },
  { name: 'traffic-path-2-always-internet-gateway', file: 'src/core/enrich/facts.sql',
    from: `WHEN y.traffic_path = 2 THEN CASE WHEN ge.vpc_id IS NOT NULL THEN 'gateway-endpoint' ELSE 'internet-gateway' END`,
    to: `WHEN y.traffic_path = 2 THEN 'internet-gateway'`, tests: ENRICH },
  { name: 'public-address-ignored-for-egress', file: 'src/core/enrich/facts.sql',
    from: `           WHEN y.home_public THEN 'internet-gateway'\n           WHEN y.client_kind = 'natgateway'`,
    to: `           WHEN y.client_kind = 'natgateway'`, tests: ENRICH },
  { name: 'cross-az-across-regions', file: 'src/core/store/schema.ts',
    from: `c.az <> s.az AND c.region IS NOT DISTINCT FROM s.region)`, to: `c.az <> s.az)`, tests: ALL },
  // the append path
  { name: 'append-pull-skipped', file: 'src/core/enrich/rebuild.ts',
    from: `if (mode === 'append') await step('stored facts taken back', PULL_SQL);`, to: `if (mode === 'fresh' && false) await step('stored facts taken back', PULL_SQL);`, tests: ENRICH },
  { name: 'window-delta-replaced-facts-not-subtracted', file: 'src/core/enrich/window-delta.sql',
    from: `-1 AS sign FROM fl_pulled_all`, to: `0 AS sign FROM fl_pulled_all`, tests: ENRICH },
  { name: 'empty-windows-kept', file: 'src/core/enrich/windows.ts',
    from: `FROM fl_window_merged WHERE conversations > 0;`, to: `FROM fl_window_merged WHERE conversations >= 0;`, tests: ENRICH },
  { name: 'reattribution-skipped', file: 'src/core/enrich/rebuild.ts',
    from: `const changed = facts > 0 && attributed !== fingerprint;`,
    to: `const changed = facts < 0 && attributed !== fingerprint;`, tests: ENRICH },
  // the re-attribution of what an inventory change covers: the server's address ignored
  { name: 'partial-reattribution-server-ignored', file: 'src/core/enrich/covered-facts.sql',
    from: `   OR f.server_addr IN (SELECT addr FROM fl_changed WHERE addr IS NOT NULL)\n`, to: `\n`, tests: [REATTRIBUTE] },
  // templates
  { name: 'cross-az-template-counts-cross-region', file: 'templates/cross-az.sql',
    from: `WHERE w.cross_az -- the finding`, to: `WHERE (w.cross_az OR w.cross_region) -- the finding`, tests: ENRICH },
  { name: 'app-dependencies-counts-rejects', file: 'templates/app-dependencies.sql',
    from: `WHERE w.action = 'ACCEPT'`, to: `WHERE w.action IS NOT NULL`, tests: ENRICH },
  { name: 'app-dependencies-downloaded-as-uploaded', file: 'templates/app-dependencies.sql',
    from: `sum(w.downloaded) AS downloaded`, to: `sum(w.uploaded) AS downloaded`, tests: ENRICH },
  { name: 'rejected-by-sg-client-interface', file: 'templates/rejected-by-security-group.sql',
    from: `ON e.eni_id = c.observer_eni`, to: `ON e.eni_id = c.client_eni`, tests: ENRICH },
  { name: 'rejected-by-sg-counts-sources-per-port', file: 'templates/rejected-by-security-group.sql',
    from: `count(DISTINCT r.client_addr) AS sources`, to: `count(DISTINCT r.client_port) AS sources`, tests: ENRICH },
  { name: 'lambda-rds-includes-proxies', file: 'src/core/enrich/findings.sql',
    from: `AND server_type = 'rds:db'`, to: `AND server_type LIKE 'rds:%'`, tests: ENRICH },
  { name: 'top-talkers-ranked-by-upload', file: 'templates/top-talkers.sql',
    from: `ORDER BY bytes DESC`, to: `ORDER BY uploaded DESC`, tests: ENRICH },
  { name: 'nat-candidates-any-egress', file: 'src/core/enrich/findings.sql',
    from: `egress_path = 'nat-gateway' AND`, to: `egress_path IN ('nat-gateway', 'internet-gateway') AND`, tests: ENRICH },
  { name: 'transfer-growth-days-off-by-one', file: 'templates/transfer-growth.sql',
    from: `date_diff('day', min(window_start), max(window_start)) + 1`, to: `date_diff('day', min(window_start), max(window_start))`, tests: ENRICH },
  { name: 'alb-bypass-same-node', file: 'src/core/enrich/findings.sql',
    from: `JOIN endpoints c ON c.ep = m.client_ep AND c.node <> m.target`, to: `JOIN endpoints c ON c.ep = m.client_ep`, tests: ENRICH },
  { name: 'alb-bypass-any-port', file: 'src/core/enrich/findings.sql',
    from: `JOIN t ON t.target_arn = s.arn AND (t.port IS NULL OR t.port = f.server_port)`,
    to: `JOIN t ON t.target_arn = s.arn`, tests: ENRICH },
];

/** Whether a mutation applies to a file's text: its text occurs once (with all, at least once). */
const applies = (m, text) => (m.all ? text.includes(m.from) : text.split(m.from).length === 2);

const args = process.argv.slice(2);
if (args.includes('--list')) {
  for (const m of MUTATIONS) console.log(`${m.name}\t${m.file}`);
  process.exit(0);
}
if (args.includes('--check')) {
  const bad = MUTATIONS.filter((m) => !applies(m, readFileSync(join(root, m.file), 'utf8')));
  for (const m of bad) console.log(`does not apply: ${m.name} (${m.file})`);
  console.log(`${MUTATIONS.length - bad.length}/${MUTATIONS.length} apply`);
  process.exit(bad.length ? 1 : 0);
}
const onlyAt = args.indexOf('--only');
const only = onlyAt >= 0 ? new Set(args[onlyAt + 1].split(',')) : undefined;
const chosen = MUTATIONS.filter((m) => !only || only.has(m.name));
if (only && chosen.length !== only.size) {
  console.error(`unknown mutation: ${[...only].filter((n) => !MUTATIONS.some((m) => m.name === n)).join(', ')}`);
  process.exit(2);
}

// the scratch copy: the sources, node_modules linked
const scratch = mkdtempSync(join(tmpdir(), 'flowlens-mutate-'));
const skip = new Set(['node_modules', 'out', 'out-e2e', 'dist', '.git']);
cpSync(root, scratch, { recursive: true, filter: (src) => !skip.has(src.slice(root.length + 1).split('/')[0]) });
symlinkSync(join(root, 'node_modules'), join(scratch, 'node_modules'));

/** Builds the copy and runs the tests; returns the failing test names, or a build error. */
function run(tests) {
  const build = spawnSync('npm', ['run', 'build:test'], { cwd: scratch, encoding: 'utf8' });
  if (build.status !== 0) return { failed: true, why: `build failed: ${(build.stdout + build.stderr).split('\n').filter((l) => /error/i.test(l))[0] ?? ''}` };
  const t = spawnSync(process.execPath, ['--test', ...tests], { cwd: scratch, encoding: 'utf8', timeout: 600_000 });
  const failing = [...t.stdout.matchAll(/^not ok \d+ - (.*)$/gm)].map((m) => m[1]).filter((n) => !/# SKIP/.test(n));
  if (t.status !== 0) return { failed: true, why: failing.length ? failing.join(' | ') : `exit ${t.status ?? t.signal}` };
  return { failed: false, why: '' };
}

const started = Date.now();
const base = run([...new Set(chosen.flatMap((m) => m.tests))]);
if (base.failed) {
  console.error(`baseline fails, no mutation run: ${base.why}`);
  rmSync(scratch, { recursive: true, force: true });
  process.exit(2);
}
console.log(`baseline passes (${((Date.now() - started) / 1000).toFixed(0)} s); ${chosen.length} mutations`);

const results = [];
for (const m of chosen) {
  const t0 = Date.now();
  const path = join(scratch, m.file);
  const original = readFileSync(path, 'utf8');
  if (!applies(m, original)) {
    const n = original.split(m.from).length - 1;
    results.push({ ...m, status: 'not applied', why: `the text occurs ${n} times in ${m.file}` });
    console.log(`NOT APPLIED ${m.name}: the text occurs ${n} times in ${m.file}`);
    continue;
  }
  writeFileSync(path, m.all ? original.replaceAll(m.from, m.to) : original.replace(m.from, m.to));
  let r;
  try {
    r = run(m.tests);
  } finally {
    writeFileSync(path, original);
  }
  const status = r.failed ? 'killed' : 'survived';
  results.push({ ...m, status, why: r.why });
  console.log(`${status.toUpperCase()} ${m.name} (${((Date.now() - t0) / 1000).toFixed(0)} s)${r.why ? `: ${r.why.slice(0, 300)}` : ''}`);
}
rmSync(scratch, { recursive: true, force: true });

const by = (s) => results.filter((r) => r.status === s).map((r) => r.name);
console.log(`\nkilled ${by('killed').length}/${results.length}; survived: ${by('survived').join(', ') || 'none'}` +
  `${by('not applied').length ? `; not applied: ${by('not applied').join(', ')}` : ''} (${((Date.now() - started) / 60000).toFixed(1)} min)`);
process.exit(by('killed').length === results.length ? 0 : 1);
