import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AwsSettings } from '../../src/core/aws/clients';
import { dumpFileOf, LIVE_APIS } from '../../src/core/aws/apis';
import { collectInventory } from '../../src/core/aws/collect';
import { resolveTargets, type Target } from '../../src/core/aws/targets';
import { BASE_USER, EXTERNAL_ID, makeTempHome, type TempHome } from '../support/aws-endpoint/home';
import { addFirehose } from '../support/aws-endpoint/firehose-estate';
import { A, B, REGIONS, WINDOW, writeMiniEstate } from '../support/aws-endpoint/mini-estate';
import { startAwsEndpoint, type AwsEndpoint } from '../support/aws-endpoint/server';

/**
 * Every API collected live (apis.ts), by its dump file's name: the mini estate has an answer for each; Firehose's
 * in A/us-east-1 only, where flow logs publish to Firehose streams (firehose-estate.ts).
 */
const OPS = LIVE_APIS.map((d) => dumpFileOf(d).replace(/\.json$/, ''));
const FIREHOSE_OP = 'firehose.DescribeDeliveryStream';

describe('inventory collectors against the local endpoint (real wire protocols)', () => {
  let home: TempHome;
  let estate: string;
  let out: string;
  let ep: AwsEndpoint;
  let settings: AwsSettings;
  let targets: Target[];

  before(async () => {
    home = makeTempHome();
    estate = mkdtempSync(join(tmpdir(), 'flowlens-estate-'));
    out = mkdtempSync(join(tmpdir(), 'flowlens-dump-'));
    writeMiniEstate(estate);
    addFirehose(estate);
    ep = await startAwsEndpoint({ estateDir: estate, users: [BASE_USER], roles: [{ name: 'FlowLogIntrospector', externalId: EXTERNAL_ID }], pageSize: 5 });
    settings = { env: { AWS_ENDPOINT_URL: ep.url }, maxAttempts: 4 };
    const r = await resolveTargets({ profile: 'base', accounts: [A, B], externalId: EXTERNAL_ID, files: { configFile: home.configFile, credentialsFile: home.credentialsFile }, settings });
    assert.deepEqual(r.issues, []);
    targets = r.targets;
  });
  after(async () => {
    await ep.close();
    for (const d of [estate, out]) rmSync(d, { recursive: true, force: true });
    home.cleanup();
  });

  it('collects every API, all pages, and each dump equals what the account holds', async () => {
    const dump = join(out, 'full');
    const report = await collectInventory({ targets, regions: REGIONS, dumpDir: dump, settings, cloudTrailPerSecond: 50, ...WINDOW });
    assert.deepEqual(report.issues, []);
    assert.equal(report.files.length, 2 * 2 * (OPS.length - 1) + 1);
    for (const account of [A, B]) {
      for (const region of REGIONS) {
        for (const op of OPS) {
          if (op === FIREHOSE_OP && (account !== A || region !== 'us-east-1')) {
            assert.ok(!existsSync(join(dump, account, region, `${op}.json`)), `${account}/${region}: no flow log publishes to Firehose, nothing to describe`);
            continue;
          }
          const mine = join(dump, account, region, `${op}.json`);
          const theirs = join(estate, 'inventory', account, region, `${op}.json`);
          assert.ok(existsSync(mine), `${mine} written`);
          const got = JSON.parse(readFileSync(mine, 'utf8'));
          let want = JSON.parse(readFileSync(theirs, 'utf8'));
          if (op === 'cloudtrail.LookupEvents') {
            // Only lifecycle events inside [since - 1 day, until] come back, grouped by event name.
            const names = ['CreateNetworkInterface', 'DeleteNetworkInterface'];
            want = { Events: names.flatMap((n) => want.Events.filter((e: { EventName: string; EventTime: string }) => e.EventName === n && Date.parse(e.EventTime) <= WINDOW.until.getTime())) };
          }
          assert.deepEqual(got, want, `${account}/${region}/${op} round-trips through the wire format`);
        }
      }
    }
    // Pagination was really used (page size 5; 12 ENIs in each account/region).
    const eniCalls = ep.requests.filter((r) => r.op === 'DescribeNetworkInterfaces' && r.status === 200);
    assert.equal(eniCalls.length, 4 * 3);
    // ECS per account/region: ListClusters once (2 clusters), ListTasks running and stopped per cluster (shop's 6
    // running tasks take two pages), one DescribeTasks per cluster, with the tags asked for (the dump has them)
    const ecsCalls = (op: string) => ep.requests.filter((r) => r.service === 'ecs' && r.op === op && r.status === 200).length;
    assert.deepEqual([ecsCalls('ListClusters'), ecsCalls('ListTasks'), ecsCalls('DescribeTasks')], [4 * 1, 4 * 5, 4 * 2]);
    // Tags from each service's own API, for the resources tag:GetResources did not answer with: the load balancer
    // (one DescribeTags), the 7 functions, the proxy (the DB instance's TagList came with it), and the cache
    // cluster in account A (B's is in GetResources)
    const ok = (service: string, op: string) => ep.requests.filter((r) => r.service === service && r.op === op && r.status === 200).length;
    assert.deepEqual(
      [ok('elasticloadbalancing', 'DescribeTags'), ok('lambda', 'ListTags'), ok('rds', 'ListTagsForResource'), ok('elasticache', 'ListTagsForResource')],
      [4 * 1, 4 * 7, 4 * 1, 2 * 1],
    );
    // Every listed file is free of credentials: the static keys and the session credentials the endpoint issued.
    assert.ok(ep.issuedSecrets.length > 0, 'role sessions were issued');
    for (const f of report.files) {
      const text = readFileSync(f, 'utf8');
      for (const s of [...home.secrets, ...ep.issuedSecrets]) assert.ok(!text.includes(s), `${f} has no secret`);
    }
  });

  it('AccessDenied in one account is reported with account, region and API while the rest completes; throttling and 5xx are retried', async () => {
    const dump = join(out, 'faults');
    ep.faults.push({ kind: 'access-denied', service: 'ec2', op: 'DescribeNetworkInterfaces', account: B, region: 'eu-west-1' });
    ep.faults.push({ kind: 'throttle', service: 'ec2', op: 'DescribeVpcs', account: A, times: 2 });
    ep.faults.push({ kind: 'server-error', service: 'rds', op: 'DescribeDBInstances', account: A, region: 'us-east-1', times: 1 });
    ep.faults.push({ kind: 'expired-token', service: 'cloudtrail', account: A, region: 'eu-west-1' });
    try {
      const report = await collectInventory({ targets, regions: REGIONS, dumpDir: dump, settings, cloudTrailPerSecond: 50, ...WINDOW });
      const denied = report.issues.filter((i) => i.code === 'UnauthorizedOperation');
      assert.equal(denied.length, 1, JSON.stringify(report.issues));
      assert.deepEqual([denied[0]!.account, denied[0]!.region, denied[0]!.api], [B, 'eu-west-1', 'ec2:DescribeNetworkInterfaces']);
      const expired = report.issues.filter((i) => i.api === 'cloudtrail:LookupEvents');
      assert.equal(expired.length, 1, 'one report, not one per event name');
      assert.equal(expired[0]!.code, 'ExpiredTokenException');
      assert.equal(report.issues.length, 2);
      assert.ok(!existsSync(join(dump, B, 'eu-west-1', 'ec2.DescribeNetworkInterfaces.json')));
      assert.ok(existsSync(join(dump, B, 'eu-west-1', 'ec2.DescribeInstances.json')), 'the other APIs of that account still collected');
      assert.ok(existsSync(join(dump, A, 'us-east-1', 'rds.DescribeDBInstances.json')), 'a 5xx was retried');
      assert.ok(ep.requests.some((r) => r.fault === 'throttle') && existsSync(join(dump, A, 'us-east-1', 'ec2.DescribeVpcs.json')), 'throttling was retried');
    } finally {
      ep.faults.length = 0;
    }
  });

  it('tag:GetResources denied: each service\'s own API is asked for every resource, and the same tags are written', async () => {
    const dump = join(out, 'no-tagging');
    ep.faults.push({ kind: 'access-denied', service: 'tagging', op: 'GetResources', account: B });
    ep.requests.length = 0;
    try {
      const report = await collectInventory({ targets, regions: REGIONS, dumpDir: dump, settings, cloudTrailPerSecond: 50, ...WINDOW });
      assert.deepEqual(report.issues.map((i) => [i.api, i.account, i.region, i.code]).sort(), [
        ['tag:GetResources', B, 'eu-west-1', 'AccessDeniedException'], ['tag:GetResources', B, 'us-east-1', 'AccessDeniedException'],
      ]);
      // B's cache cluster, whose tags GetResources would have given, is asked for in both regions of B
      const asked = ep.requests.filter((r) => r.service === 'elasticache' && r.op === 'ListTagsForResource' && r.status === 200);
      assert.deepEqual(asked.map((r) => r.account).sort(), [A, A, B, B]);
      for (const region of REGIONS) {
        assert.deepEqual(JSON.parse(readFileSync(join(dump, B, region, 'elasticache.ListTagsForResource.json'), 'utf8')), [
          { ResourceName: `arn:aws:elasticache:${region}:${B}:cluster:sessions-001`, TagList: [] },
        ]);
        assert.ok(!existsSync(join(dump, B, region, 'resourcegroupstaggingapi.GetResources.json')));
      }
    } finally {
      ep.faults.length = 0;
    }
  });
});
