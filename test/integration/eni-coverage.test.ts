/**
 * Issue 15: each ENI's logging coverage (eni_coverage) from its flow records, added to by every enrichment. An ENI
 * logged in three batches (a flow log of 10-minute intervals, as DescribeFlowLogs says): the spans its OK and NODATA
 * records cover join across batches, a silence of more than two intervals and a SKIPDATA span stay gaps, and
 * sg-unused-rules names them; --rebuild makes the same spans from every record again. Real DuckDB, the real loader.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { enrich, openDataset } from '../../src/core/api';
import type { Db, Row } from '../../src/core/store/db';
import { bindTemplate, findTemplate } from '../../src/core/templates/index';

const A = '111111111111';
const VPC = 'vpc-0c0000000000000c1';
const SG = 'sg-0c0000000000000c1';
const ENI = 'eni-0c0000000000000c1';
const QUIET = 'eni-0c0000000000000c2'; // carries the group, logs nothing at all

const eni = (id: string, ip: string) => ({
  NetworkInterfaceId: id, InterfaceType: 'interface', OwnerId: A, VpcId: VPC, AvailabilityZone: 'us-east-1a', SubnetId: 'subnet-0c1',
  Status: 'in-use', RequesterManaged: false, Description: 'Primary network interface', Groups: [{ GroupId: SG, GroupName: 'app' }],
  PrivateIpAddress: ip, PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: ip }], TagSet: [],
});
const INVENTORY: Record<string, unknown> = {
  'ec2-describe-vpcs.json': { Vpcs: [{ VpcId: VPC, OwnerId: A, CidrBlock: '10.0.0.0/16' }] },
  'ec2-describe-network-interfaces.json': { NetworkInterfaces: [eni(ENI, '10.0.1.10'), eni(QUIET, '10.0.1.11')] },
  'ec2-describe-security-group-rules.json': {
    SecurityGroupRules: [
      { SecurityGroupRuleId: 'sgr-0000000000000c001', GroupId: SG, GroupOwnerId: A, IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, CidrIpv4: '10.0.0.0/8' },
    ],
  },
  'ec2-describe-flow-logs.json': {
    FlowLogs: [{ FlowLogId: 'fl-0c1', ResourceId: VPC, TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::logs', MaxAggregationInterval: 600 }],
  },
};

const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
const T = 1790164800; // 2026-09-23T12:00:00Z
const nodata = (from: number, to: number) => `2 ${A} ${ENI} - - - - - - - ${from} ${to} - NODATA`;
const skipdata = (from: number, to: number) => `2 ${A} ${ENI} - - - - - - - ${from} ${to} - SKIPDATA`;
const ok = (at: number) => `2 ${A} ${ENI} 10.0.1.10 10.0.9.9 40000 443 6 1 100 ${at} ${at + 5} ACCEPT OK`;
const windows = (from: number, to: number) => Array.from({ length: (to - from) / 600 }, (_, i) => nodata(from + i * 600, from + (i + 1) * 600));

/** Three batches: 12:00–12:30, 12:30–13:00 (one span with the first), then from 14:00 after an hour of nothing. */
const BATCHES = [
  [...windows(T, T + 1800)],
  [ok(T + 1800 + 30), ...windows(T + 2400, T + 3600)],
  [skipdata(T + 7200, T + 7800), skipdata(T + 7800, T + 8400), ok(T + 8400 + 10), ...windows(T + 9000, T + 10800)],
];

let dir: string;
let db: Db;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flowlens-coverage-'));
  const inventory = join(dir, 'inventory', A, 'us-east-1');
  mkdirSync(inventory, { recursive: true });
  for (const [f, doc] of Object.entries(INVENTORY)) writeFileSync(join(inventory, f), JSON.stringify(doc));
  db = await openDataset(join(dir, 'c.duckdb'));
  for (const [i, lines] of BATCHES.entries()) {
    const flows = join(dir, `flows-${i}`);
    mkdirSync(flows);
    writeFileSync(join(flows, `b${i}.log`), [HEADER, ...lines].join('\n') + '\n');
    const summary = await enrich(db, { source: { kind: 'files', inventory: i === 0 ? [join(dir, 'inventory')] : [], flowLogs: [flows] } });
    assert.deepEqual(summary.files.filter((f) => f.status !== 'loaded'), []);
  }
});

after(() => {
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

const spans = () => db.json(`SELECT eni_id, status, strftime(valid_from, '%H:%M') AS valid_from, strftime(valid_to, '%H:%M') AS valid_to, records, window_seconds
  FROM eni_coverage ORDER BY eni_id, valid_from, status`);

const SPANS = [
  { eni_id: ENI, status: 'logged', valid_from: '12:00', valid_to: '13:00', records: 6, window_seconds: 600 },
  { eni_id: ENI, status: 'skipped', valid_from: '14:00', valid_to: '14:20', records: 2, window_seconds: 600 },
  { eni_id: ENI, status: 'logged', valid_from: '14:20', valid_to: '15:00', records: 4, window_seconds: 600 },
];

test('the spans an ENI\'s records cover join across enrichments; an hour of nothing and the SKIPDATA records stay apart', async () => {
  assert.deepEqual(await spans(), SPANS);
});

test('sg-unused-rules names each gap of each interface of the group: the silent one wholly, the hour of nothing, the SKIPDATA span', async () => {
  // (the period ends with the last conversation's minute, 14:20)
  const { sql, params } = bindTemplate(findTemplate('sg-unused-rules'), {});
  const rows = await db.json<Row & { verdict: string; guarded_enis: number; logged_enis: number; gaps: number }>(sql, params);
  assert.deepEqual(rows.map((r) => [r.verdict, r.guarded_enis, r.logged_enis, r.gaps]), [[
    `not proven: ${ENI} logged nothing 2026-09-23 13:00–14:00; ${ENI} skipped data 2026-09-23 14:00–14:20; ${QUIET} logged nothing 2026-09-23 12:00–14:21`,
    2, 0, 3,
  ]]);
  // a period inside the first hour: logged the whole time, but for the interface that never logged
  const early = bindTemplate(findTemplate('sg-unused-rules'), { since: '2026-09-23 12:00', until: '2026-09-23 13:00' });
  const first = await db.json<Row & { verdict: string }>(early.sql, early.params);
  assert.deepEqual(first.map((r) => r.verdict), [`not proven: ${QUIET} logged nothing 2026-09-23 12:00–13:00`]);
});

test('--rebuild makes the same spans from every record again', async () => {
  await enrich(db, { source: { kind: 'files', inventory: [], flowLogs: [] }, rebuild: true });
  assert.deepEqual(await spans(), SPANS);
});

test('a dataset that records no coverage (enriched before Flowlens kept it) says so rather than calling every interface silent', async () => {
  await db.exec('DELETE FROM eni_coverage');
  const { sql, params } = bindTemplate(findTemplate('sg-unused-rules'), {});
  const rows = await db.json<Row & { verdict: string }>(sql, params);
  assert.deepEqual(rows.map((r) => r.verdict), ['not proven: the dataset records no logging coverage (enriched before Flowlens kept it: flowlens enrich --rebuild)']);
});
