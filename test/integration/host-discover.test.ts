/**
 * Flow-log discovery through the real DuckDB child process (WorkerClient `discover`) against the local AWS
 * endpoint serving the mini estate: the list equals the estate's DescribeFlowLogs per account and region, an
 * account whose role cannot be assumed is an issue while the others are listed, MFA is asked over the channel,
 * and a discovered flow log's `sources` spec is what acquire reads.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WorkerClient, WorkerRequestError } from '../../src/host/workerClient';
import { EXTERNAL_ID, MFA_CODE, MFA_SERIAL, type TempHome } from '../support/aws-endpoint/home';
import { A, B, FLOW_LOGS, REGIONS } from '../support/aws-endpoint/mini-estate';
import type { AwsEndpoint } from '../support/aws-endpoint/server';
import { miniEstateRequest, startWorkerAwsFixture, type WorkerAwsFixture } from '../support/aws-endpoint/worker-fixture';

const C = '333333333333';

let fx: WorkerAwsFixture;
let home: TempHome;
let estate: string;
let work: string;
let ep: AwsEndpoint;
let counts: Record<string, number>;

before(async () => {
  // The introspector role exists in A and B only: assuming it in C is denied.
  fx = await startWorkerAwsFixture({ name: 'disc', introspectorAccounts: [A, B] });
  ({ home, estate, work, ep, counts } = fx);
});

after(async () => {
  await fx?.close();
});

const client = (log?: string[]): WorkerClient => fx.client(log);

/** The estate's own DescribeFlowLogs responses, as (account region flowLogId) keys. */
function estateFlowLogs(accounts: string[]): string[] {
  const keys: string[] = [];
  for (const account of accounts)
    for (const region of REGIONS) {
      const doc = JSON.parse(readFileSync(join(estate, 'inventory', account, region, 'ec2.DescribeFlowLogs.json'), 'utf8')) as { FlowLogs: { FlowLogId: string }[] };
      for (const f of doc.FlowLogs) keys.push(`${account} ${region} ${f.FlowLogId}`);
    }
  return keys.sort();
}

/** Where the mini estate says each flow log delivers, as discovery should report it. */
function expected(accounts: string[]) {
  return FLOW_LOGS.filter((f) => accounts.includes(f.account))
    .map((f) =>
      f.kind === 'cloudwatch'
        ? { account: f.account, region: f.region, flowLogId: f.id, destinationType: 'cloud-watch-logs', destination: f.group!, sources: `logs:${f.group}` }
        : {
            account: f.account,
            region: f.region,
            flowLogId: f.id,
            destinationType: 's3',
            destination: `s3://${f.bucket}/${f.prefix}`,
            sources: `s3://${f.bucket}/${f.prefix}`,
            fileFormat: 'plain-text',
            hive: f.kind === 's3-hive-hourly',
            perHour: f.kind === 's3-hive-hourly',
          },
    )
    .sort((x, y) => x.account.localeCompare(y.account) || x.region.localeCompare(y.region) || x.flowLogId.localeCompare(y.flowLogId));
}

test('discover through the worker lists every flow log of the estate per account and region; a role that cannot be assumed is an issue', async () => {
  const c = client();
  try {
    const describesBefore = ep.requests.filter((r) => r.op === 'DescribeFlowLogs').length;
    const r = await c.request(
      'discover',
      { profile: 'base', role: 'FlowLogIntrospector', externalId: EXTERNAL_ID, accounts: [A, C, B], regions: REGIONS },
      { onMfa: async () => assert.fail('no MFA is needed here') },
    );
    assert.deepEqual(r.accounts, [A, B]);
    assert.deepEqual(r.flowLogs.map((f) => `${f.account} ${f.region} ${f.flowLogId}`).sort(), estateFlowLogs([A, B]));
    assert.deepEqual(
      r.flowLogs.map(({ account, region, flowLogId, destinationType, destination, sources, fileFormat, hive, perHour }) => ({
        account, region, flowLogId, destinationType, destination, sources,
        ...(fileFormat ? { fileFormat, hive, perHour } : {}),
      })),
      expected([A, B]),
    );
    for (const f of r.flowLogs) {
      assert.equal(f.defaultFormat, true, f.flowLogId);
      assert.match(f.resourceId ?? '', /^vpc-/);
    }
    assert.equal(r.issues.length, 1, JSON.stringify(r.issues));
    const [issue] = r.issues;
    assert.equal(issue!.account, C);
    assert.equal(issue!.api, 'sts:AssumeRole');
    assert.equal(issue!.code, 'AccessDenied');
    assert.match(issue!.message, /FlowLogIntrospector/);
    // One DescribeFlowLogs per account and region that could be signed in to.
    assert.equal(ep.requests.filter((x) => x.op === 'DescribeFlowLogs').length - describesBefore, 2 * REGIONS.length);
    // No dataset was needed.
    assert.equal(c.openPath, undefined);
  } finally {
    await c.dispose();
  }
});

test('discover with an MFA-protected profile asks the host once; declining fails clearly; cancelling replies cancelled', async () => {
  const c = client();
  try {
    const asked: string[] = [];
    const r = await c.request('discover', { profile: 'mfa-a', regions: REGIONS }, {
      onMfa: async (serial) => {
        asked.push(serial);
        return MFA_CODE;
      },
    });
    assert.deepEqual(asked, [MFA_SERIAL]);
    assert.deepEqual(r.accounts, [A]);
    assert.deepEqual(r.flowLogs.map((f) => `${f.account} ${f.region} ${f.flowLogId}`).sort(), estateFlowLogs([A]));

    const declined = await c.request('discover', { profile: 'mfa-a', regions: REGIONS }, { onMfa: async () => undefined });
    assert.deepEqual(declined.flowLogs, []);
    assert.deepEqual(declined.accounts, []);
    assert.match(declined.issues.map((i) => i.message).join(' '), /no MFA code was entered/);

    // Cancelled while the worker waits for the code.
    const ac = new AbortController();
    await assert.rejects(
      c.request('discover', { profile: 'mfa-a', regions: REGIONS }, {
        signal: ac.signal,
        onMfa: () => {
          ac.abort();
          return new Promise<string | undefined>(() => undefined);
        },
      }),
      (err: unknown) => err instanceof WorkerRequestError && err.code === 'cancelled',
    );
    // The worker still answers.
    const again = await c.request('discover', { profile: 'base', regions: ['us-east-1'] });
    assert.deepEqual(again.flowLogs.map((f) => f.flowLogId), FLOW_LOGS.filter((f) => f.account === A && f.region === 'us-east-1').map((f) => f.id));
    await assert.rejects(c.request('discover', { profile: 'base', regions: [] }), /name at least one region/);
  } finally {
    await c.dispose();
  }
});

test("a discovered flow log's sources spec is what enrich reads: only that flow log's records", async () => {
  const c = client();
  try {
    const found = await c.request('discover', { profile: 'base', regions: REGIONS });
    const hive = found.flowLogs.find((f) => f.hive);
    assert.ok(hive?.sources, JSON.stringify(found.flowLogs));
    await c.request('open', { path: join(work, 'chosen.duckdb') });
    // scoped to its own account and region, as the wizard names a chosen flow log
    const r = await c.request('enrich', miniEstateRequest({ sources: [`${hive.account}/${hive.region}=${hive.sources}`], inventory: false }));
    assert.ok(r.aws, 'an enrichment from AWS reports what it read');
    assert.equal(r.aws.summary.failed, 0, r.aws.text);
    assert.equal(r.aws.summary.records, counts[hive.flowLogId], r.aws.text);
    assert.deepEqual([...new Set(r.aws.summary.sources.map((x) => `${x.account}/${x.region}`))], [`${hive.account}/${hive.region}`], r.aws.text);
  } finally {
    await c.dispose();
  }
});
