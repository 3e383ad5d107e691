/**
 * Issue 11, items 5 and 6 (and item 2's ECS calls): an AWS endpoint that answers wrongly. A service that repeats its pagination token
 * forever, a call with more pages than the cap, a proxy's HTML page where the API should answer, an operation
 * the endpoint does not implement, an answer cut short. Each ends in the exact lines a user reads, a bounded
 * number of requests, and the rest of the inventory loaded. The real SDK against the local endpoint (real wire
 * protocols, SigV4 checked), real DuckDB.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset, type AwsSource, type Db } from '../../src/core/api';
import { formatAcquireSummary, formatAwsIssue } from '../../src/core/aws/acquire';
import { LIVE_APIS } from '../../src/core/aws/apis';
import { collectInventory } from '../../src/core/aws/collect';
import { discoverFlowLogs } from '../../src/core/aws/discover';
import { resolveTargets } from '../../src/core/aws/targets';
import type { AcquireSummary } from '../../src/protocol/reports';
import { BASE_USER, EXTERNAL_ID, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { A, B, REGIONS, WINDOW, miniEstateSource, writeMiniEstate } from '../support/aws-endpoint/mini-estate';
import { startAwsEndpoint, type AwsEndpoint, type Fault } from '../support/aws-endpoint/server';

const PLACES = [`${A} eu-west-1`, `${A} us-east-1`, `${B} eu-west-1`, `${B} us-east-1`];
/** The live APIs that answer in each place: all but Firehose's, asked only about streams flow logs publish to (none here). */
const ANSWERING = LIVE_APIS.filter((d) => d.kind !== 'firehose:DescribeDeliveryStream').length;

let home: TempHome;
let estate: string;
let work: string;
let ep: AwsEndpoint;
let base: AwsSource;
let expectedRecords: number;

before(async () => {
  home = makeTempHome();
  estate = mkdtempSync(join(tmpdir(), 'flowlens-robust-answers-estate-'));
  work = mkdtempSync(join(tmpdir(), 'flowlens-robust-answers-'));
  expectedRecords = Object.values(writeMiniEstate(estate)).reduce((a, b) => a + b, 0);
  // 5 items a page: 12 network interfaces are 3 pages, 7 Lambda functions 2, one cache cluster 1.
  ep = await startAwsEndpoint({ estateDir: estate, users: [BASE_USER], roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID }], pageSize: 5 });
  base = miniEstateSource(home, ep.url);
});

after(async () => {
  await ep.close();
  for (const d of [estate, work]) rmSync(d, { recursive: true, force: true });
  home.cleanup();
});

/** An AWS enrichment into a new dataset with the faults switched on; what it printed and the dataset. */
async function enrichWith(name: string, faults: Fault[], check: (s: AcquireSummary, text: string, db: Db) => Promise<void>): Promise<void> {
  ep.faults.push(...faults);
  ep.requests.length = 0;
  const db = await openDataset(join(work, `${name}.duckdb`));
  try {
    const s = (await enrich(db, { source: { ...base, dumpDir: join(work, `dump-${name}`) } })).aws!;
    await check(s, formatAcquireSummary(s), db);
  } finally {
    db.close();
    ep.faults.length = 0;
  }
}

const linesWith = (text: string, what: string) => text.split('\n').filter((l) => l.includes(what));
const requestsFor = (op: string) => ep.requests.filter((r) => r.op === op).length;
const count = async (db: Db, sql: string) => Number(await db.value<bigint>(sql));

test('a service that repeats its Marker forever: two requests and one warning per account/region, and the rest of the inventory loads', async () => {
  await enrichWith('repeat', [{ kind: 'repeat-token', service: 'elasticache', op: 'DescribeCacheClusters' }], async (s, text, db) => {
    assert.deepEqual(linesWith(text, 'DescribeCacheClusters').sort(), PLACES.map((p) => {
      const [account, region] = p.split(' ');
      return `  ! elasticache:DescribeCacheClusters account ${account} ${region}: RepeatedToken: the service repeated its Marker on page 2, so paging stopped there; the first 2 pages are kept`;
    }));
    assert.equal(s.issues.length, 4);
    // the first page's token, then the same token back once: the call stops there, in each of the 4 places
    assert.equal(requestsFor('DescribeCacheClusters'), 8);
    // every response written was loaded; the cluster of each first page is kept
    // every live API (apis.ts) answers in each place: the mini estate has something for each
    assert.equal(s.inventory.files, 4 * ANSWERING);
    assert.equal(s.inventory.loaded, s.inventory.files);
    assert.equal(await count(db, `SELECT count(*) FROM inv_resources WHERE type = 'elasticache:cluster'`), 4);
    // per place: 12 described, the NAT gateway's, the EFS mount target's, and the one CloudTrail saw created and deleted
    assert.equal(await count(db, `SELECT count(DISTINCT eni_id) FROM inv_enis`), 4 * 15);
    assert.equal(s.records, expectedRecords);
  });
});

test('a call with more pages than the cap stops at the cap with a warning and keeps what it read', async () => {
  const { targets, issues } = await resolveTargets({ profile: 'base', accounts: [A], externalId: EXTERNAL_ID, files: { configFile: home.configFile, credentialsFile: home.credentialsFile }, settings: base.settings! });
  assert.deepEqual(issues, []);
  ep.requests.length = 0;
  const dump = join(work, 'dump-cap');
  const r = await collectInventory({ targets, regions: ['us-east-1'], dumpDir: dump, settings: base.settings!, since: WINDOW.since, until: WINDOW.until, cloudTrailPerSecond: 100, maxPages: 2 });
  // 12 network interfaces, 11 instances and 11 tagged resources are 3 pages each; the rest fit in 2
  assert.deepEqual(r.issues.map(formatAwsIssue).sort(), ['ec2:DescribeInstances', 'ec2:DescribeNetworkInterfaces', 'tag:GetResources'].map(
    (api) => `${api} account ${A} us-east-1: TooManyPages: the call had more pages than the cap of 2 pages, so paging stopped there; the first 2 pages are kept`));
  assert.equal(requestsFor('DescribeNetworkInterfaces'), 2);
  const enis = JSON.parse(readFileSync(join(dump, A, 'us-east-1', 'ec2.DescribeNetworkInterfaces.json'), 'utf8')) as { NetworkInterfaces: unknown[] };
  assert.equal(enis.NetworkInterfaces.length, 10);
  assert.equal(r.files.length, ANSWERING);
});

test('a proxy answering one operation with HTML in 4 account/regions is said once, in plain words', async () => {
  await enrichWith('html', [{ kind: 'html', service: 'rds', op: 'DescribeDBProxies' }], async (s, text, db) => {
    assert.deepEqual(linesWith(text, '  ! '), ['  ! rds:DescribeDBProxies: the endpoint answered with HTML, not the API, in 4 account/regions; RDS proxies are not attributed']);
    assert.deepEqual(s.issues, [{
      api: 'rds:DescribeDBProxies', code: 'HtmlAnswer', places: PLACES.map((p) => p.replace(' ', '/')),
      message: 'the endpoint answered with HTML, not the API, in 4 account/regions; RDS proxies are not attributed',
    }]);
    assert.doesNotMatch(text, /Deserialization|hidden field|\$response/);
    // one request each (a page is not an answer to retry), and the proxies' targets are not asked for
    assert.equal(requestsFor('DescribeDBProxies'), 4);
    assert.equal(requestsFor('DescribeDBProxyTargets'), 0);
    assert.equal(await count(db, `SELECT count(*) FROM inv_resources WHERE type = 'rds:db-proxy'`), 0);
    assert.equal(await count(db, `SELECT count(*) FROM inv_resources WHERE type = 'rds:db'`), 4);
    assert.equal(s.inventory.loaded, s.inventory.files);
    assert.equal(s.records, expectedRecords);
  });
});

test('an operation the endpoint does not implement, and an answer cut short, each said once in plain words', async () => {
  const faults: Fault[] = [
    { kind: 'not-implemented', service: 'elasticache', op: 'DescribeCacheClusters', account: B, region: 'eu-west-1' },
    { kind: 'garbled', service: 'rds', op: 'DescribeDBInstances' },
    // a proxy's block page with a 403, on a JSON protocol
    { kind: 'html', service: 'tagging', op: 'GetResources', status: 403 },
  ];
  await enrichWith('broken', faults, async (s, text) => {
    assert.deepEqual(linesWith(text, '  ! ').sort(), [
      `  ! elasticache:DescribeCacheClusters account ${B} eu-west-1: the endpoint does not implement this operation (InvalidAction); ElastiCache clusters are not attributed`,
      `  ! rds:DescribeDBInstances: the endpoint's answer could not be read as the API's (@aws-sdk XML parse error: unexpected end of input), in 4 account/regions; RDS instances are not attributed`,
      '  ! tag:GetResources: the endpoint answered with HTML, not the API, in 4 account/regions; tags from the tagging API are missing',
    ]);
    assert.doesNotMatch(text, /Deserialization|hidden field|\$response/);
    assert.equal(requestsFor('DescribeDBInstances'), 4);
    assert.equal(requestsFor('GetResources'), 4);
    assert.equal(s.inventory.loaded, s.inventory.files);
  });
});

test('where part of a listing is no use, a repeated token fails that read with the reason: an hour of CloudWatch events, a flow-log listing', async () => {
  await enrichWith('repeat-logs', [{ kind: 'repeat-token', service: 'logs', op: 'FilterLogEvents' }], async (s, text) => {
    assert.deepEqual(linesWith(text, '  ! '), [
      `  ! logs:FilterLogEvents account ${B} us-east-1 /flowlens/vpc-flow: RepeatedToken: the service repeated its nextToken on page 2, so paging stopped there`,
    ]);
    assert.equal(requestsFor('FilterLogEvents'), 2);
    const cw = s.sources.filter((x) => x.kind === 'cloudwatch').map((x) => [x.fetched, x.failed, x.records]);
    assert.deepEqual(cw, [[0, 1, 0]]);
  });
  ep.faults.push({ kind: 'repeat-token', service: 'ec2', op: 'DescribeFlowLogs', account: A, region: 'us-east-1' });
  try {
    const d = await discoverFlowLogs({ profile: 'base', accounts: [A, B], externalId: EXTERNAL_ID, regions: REGIONS, files: base.files!, settings: base.settings! });
    assert.deepEqual(d.issues.map(formatAwsIssue), [`ec2:DescribeFlowLogs account ${A} us-east-1: RepeatedToken: the service repeated its NextToken on page 2, so paging stopped there`]);
    assert.deepEqual(d.flowLogs.map((f) => `${f.account} ${f.region}`), [`${A} eu-west-1`, `${B} eu-west-1`, `${B} us-east-1`]);
  } finally {
    ep.faults.length = 0;
  }
});

test('ECS: DescribeTasks denied everywhere and ListTasks repeating its token in one place are each said once; the rest loads', async () => {
  const faults: Fault[] = [
    { kind: 'access-denied', service: 'ecs', op: 'DescribeTasks' },
    { kind: 'repeat-token', service: 'ecs', op: 'ListTasks', account: A, region: 'us-east-1' },
  ];
  await enrichWith('ecs', faults, async (s, text, db) => {
    assert.deepEqual(linesWith(text, '  ! ').sort(), [
      `  ! ecs:DescribeTasks account ${A} eu-west-1: AccessDeniedException: User: arn:aws:sts::${A}:assumed-role/FlowLogIntrospector/flowlens is not authorized to perform: ecs:DescribeTasks`,
      `  ! ecs:DescribeTasks account ${A} us-east-1: AccessDeniedException: User: arn:aws:sts::${A}:assumed-role/FlowLogIntrospector/flowlens is not authorized to perform: ecs:DescribeTasks`,
      `  ! ecs:DescribeTasks account ${B} eu-west-1: AccessDeniedException: User: arn:aws:sts::${B}:assumed-role/FlowLogIntrospector/flowlens is not authorized to perform: ecs:DescribeTasks`,
      `  ! ecs:DescribeTasks account ${B} us-east-1: AccessDeniedException: User: arn:aws:sts::${B}:assumed-role/FlowLogIntrospector/flowlens is not authorized to perform: ecs:DescribeTasks`,
      `  ! ecs:ListTasks account ${A} us-east-1: RepeatedToken: the service repeated its nextToken on page 2, so paging stopped there; the first 2 pages are kept`,
    ]);
    // denied once in each place, not once per cluster; nothing described, so no DescribeTasks dump: every other
    // API's response in each place is written and loaded
    assert.equal(requestsFor('DescribeTasks'), 4);
    assert.equal(s.inventory.files, 4 * (ANSWERING - 1));
    assert.equal(s.inventory.loaded, s.inventory.files);
    assert.equal(await count(db, `SELECT count(*) FROM inv_resources WHERE type = 'ecs:task'`), 0);
    assert.equal(s.records, expectedRecords);
  });
});
