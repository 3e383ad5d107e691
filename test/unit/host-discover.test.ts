// The wizard's flow-log step fed by discovery: one item per discovered flow log, failures shown and never chosen,
// back navigation and remembered answers, and the chosen ones as acquire's sources.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnrichWizard, WizardInputError, type EnrichPlan, type Prompt, type WizardDeps } from '../../src/host/enrichWizard';
import { awsSourceFor, discoverRequestFor, discoveryThroughWorker, wizardDiscovery } from '../../src/host/acquirePlan';
import { describedFlowLog } from '../../src/core/aws/discover';
import type { DiscoverResult } from '../../src/protocol/worker';

const NOW = new Date('2026-09-02T00:00:00Z');
const A = '111111111111';
const B = '222222222222';
const C = '333333333333';
const V2 = '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}';

/** What the worker's discover answers for accounts A and B (C cannot be assumed), in both regions. */
function workerAnswer(regions: string[]): DiscoverResult {
  const all = [
    describedFlowLog({ FlowLogId: 'fl-01', ResourceId: 'vpc-0a', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::logs-a/vpc', LogFormat: V2, DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: false } }, A, 'us-east-1'),
    describedFlowLog({ FlowLogId: 'fl-02', ResourceId: 'vpc-0b', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::logs-a/hive', LogFormat: '${version} ${srcaddr} ${dstaddr} ${pkt-srcaddr}', DestinationOptions: { FileFormat: 'parquet', HiveCompatiblePartitions: true, PerHourPartition: true } }, A, 'eu-west-1'),
    describedFlowLog({ FlowLogId: 'fl-03', ResourceId: 'vpc-0c', LogDestinationType: 'cloud-watch-logs', LogGroupName: '/vpc/flow', LogFormat: V2 }, B, 'us-east-1'),
    describedFlowLog({ FlowLogId: 'fl-04', ResourceId: 'vpc-0d', LogDestinationType: 'kinesis-data-firehose', LogDestination: `arn:aws:firehose:eu-west-1:${B}:deliverystream/flows`, LogFormat: V2 }, B, 'eu-west-1'),
    // a destination type this version does not know
    describedFlowLog({ FlowLogId: 'fl-05', ResourceId: 'vpc-0e', LogDestinationType: 'future-destination' as never, LogDestination: `arn:aws:future:eu-west-1:${B}:sink/flows` }, B, 'eu-west-1'),
  ].filter((f): f is NonNullable<typeof f> => !!f && regions.includes(f.region));
  return {
    flowLogs: all,
    accounts: [A, B],
    issues: [{ account: C, api: 'sts:AssumeRole', code: 'AccessDenied', message: `User: arn:aws:iam::${A}:user/tester is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${C}:role/Reader` }],
  };
}

function deps(calls: string[]): WizardDeps {
  return {
    now: () => NOW,
    listProfiles: async () => [{ name: 'ops', kind: 'static', problems: [] }],
    discoverFlowLogs: discoveryThroughWorker(async (req) => {
      calls.push(JSON.stringify(req));
      return workerAnswer(req.regions);
    }),
    listDatasets: async () => [],
  };
}

type Pick = Extract<Prompt, { type: 'pick' }>;

async function toFlowLogs(w: EnrichWizard, regions = ['us-east-1', 'eu-west-1']): Promise<Pick> {
  for (const a of ['aws', 'ops', 'role', 'Reader', 'ext-1', `${A} ${B} ${C}`]) {
    await w.prompt();
    w.answer(a);
  }
  await w.prompt();
  w.answer(regions);
  const p = await w.prompt();
  assert.equal(p.step, 'flowLogs');
  assert.ok(p.type === 'pick' && p.many);
  return p as Pick;
}

/** The steps after the flow logs, each answered by its default (an Athena source's three included). */
const REST: Record<string, string> = { window: '24h', athenaWorkgroup: '', athenaOutput: '', athenaWindow: '60', dataset: 'new', datasetName: 'flows' };

async function finish(w: EnrichWizard): Promise<Extract<EnrichPlan, { source: 'aws' }>> {
  for (;;) {
    const p = await w.prompt();
    if (!(p.step in REST)) assert.fail(`unexpected step ${p.step}`);
    w.answer(REST[p.step]!);
    if (p.step === 'datasetName') break;
  }
  const p = w.plan();
  assert.equal(p.source, 'aws');
  return p as Extract<EnrichPlan, { source: 'aws' }>;
}

test('the flow-log step lists each discovered flow log with destination and format, all readable ones preselected', async () => {
  const calls: string[] = [];
  const w = new EnrichWizard(deps(calls));
  const p = await toFlowLogs(w);
  assert.deepEqual(calls, [JSON.stringify({ profile: 'ops', role: 'Reader', accounts: [A, B, C], externalId: 'ext-1', regions: ['us-east-1', 'eu-west-1'] })]);
  const byLabel = Object.fromEntries(p.items.map((i) => [i.label, i]));
  assert.deepEqual(Object.keys(byLabel), [
    `${A}/us-east-1 · s3://logs-a/vpc`,
    `${A}/eu-west-1 · s3://logs-a/hive`,
    `${B}/us-east-1 · /vpc/flow`,
    `${B}/eu-west-1 · arn:aws:firehose:eu-west-1:${B}:deliverystream/flows`,
    `${B}/eu-west-1 · arn:aws:future:eu-west-1:${B}:sink/flows`,
    'Another source…',
    `account ${C} · not listed`,
  ]);
  assert.equal(byLabel[`${A}/us-east-1 · s3://logs-a/vpc`]!.description, 'format v2, text, daily');
  assert.equal(byLabel[`${A}/eu-west-1 · s3://logs-a/hive`]!.description, 'custom format, parquet, hive/hourly');
  assert.equal(byLabel[`${B}/us-east-1 · /vpc/flow`]!.description, 'format v2, CloudWatch Logs');
  assert.match(byLabel[`${A}/us-east-1 · s3://logs-a/vpc`]!.detail!, /^fl-01 for vpc-0a$/);
  // Firehose: read from the stream's S3 destination
  const firehose = byLabel[`${B}/eu-west-1 · arn:aws:firehose:eu-west-1:${B}:deliverystream/flows`]!;
  assert.ok(!firehose.disabled);
  assert.equal(firehose.picked, true);
  assert.equal(firehose.description, 'format v2, Firehose');
  const unknown = byLabel[`${B}/eu-west-1 · arn:aws:future:eu-west-1:${B}:sink/flows`]!;
  assert.equal(unknown.disabled, true);
  assert.equal(unknown.picked, false);
  assert.match(unknown.description!, /future-destination: cannot be read back/);
  const denied = byLabel[`account ${C} · not listed`]!;
  assert.equal(denied.disabled, true);
  assert.equal(denied.description, 'sts:AssumeRole AccessDenied');
  assert.match(denied.detail!, /not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role\/Reader/);
  assert.deepEqual(p.items.filter((i) => i.picked).map((i) => i.id), [`${A}/us-east-1/fl-01`, `${A}/eu-west-1/fl-02`, `${B}/us-east-1/fl-03`, `${B}/eu-west-1/fl-04`]);
  assert.match(p.notes.join(' '), /1 account and region could not be listed/);

  // Accepting the preselection: every discovered flow log, so acquire discovers them itself, scoped per account.
  w.answer(p.items.filter((i) => i.picked).map((i) => i.id));
  const plan = await finish(w);
  assert.equal(plan.allDiscovered, true);
  assert.deepEqual(plan.flowLogs.map((f) => f.source), ['s3://logs-a/vpc', 's3://logs-a/hive', 'logs:/vpc/flow', 'firehose:flows']);
  const req = awsSourceFor(plan);
  assert.equal(req.sources, undefined);
  assert.deepEqual(req.accounts, [A, B, C]);
});

test('a subset of flow logs becomes acquire sources; failures and unreadable ones are never chosen', async () => {
  const w = new EnrichWizard(deps([]));
  const p = await toFlowLogs(w);
  const problemIds = p.items.filter((i) => i.disabled).map((i) => i.id);
  assert.equal(problemIds.length, 2);
  assert.throws(() => w.answer(problemIds), (e: unknown) => e instanceof WizardInputError && /at least one flow log/.test(e.message));
  assert.equal(w.currentStep, 'flowLogs');
  w.answer([`${A}/eu-west-1/fl-02`, `${B}/us-east-1/fl-03`, `${B}/eu-west-1/fl-04`, ...problemIds]);
  assert.deepEqual(w.answers.flowLogs, [`${A}/eu-west-1/fl-02`, `${B}/us-east-1/fl-03`, `${B}/eu-west-1/fl-04`]);
  const plan = await finish(w);
  assert.equal(plan.allDiscovered, false);
  assert.deepEqual(awsSourceFor(plan).sources, ['111111111111/eu-west-1=s3://logs-a/hive', '222222222222/us-east-1=logs:/vpc/flow', '222222222222/eu-west-1=firehose:flows'],
    'each scoped to its own account and region');
});

test('a discovered flow log plus another source: both are named', async () => {
  const w = new EnrichWizard(deps([]));
  await toFlowLogs(w);
  w.answer([`${A}/us-east-1/fl-01`, `${A}/eu-west-1/fl-02`, `${B}/us-east-1/fl-03`, 'other']);
  await w.prompt();
  w.answer('athena:vpc.flow_logs');
  const plan = await finish(w);
  assert.deepEqual(awsSourceFor(plan).sources, ['111111111111/us-east-1=s3://logs-a/vpc', '111111111111/eu-west-1=s3://logs-a/hive', '222222222222/us-east-1=logs:/vpc/flow', 'athena:vpc.flow_logs']);
});

test('back navigation keeps the choice and the discovery; other regions discover again; remembered choices come back', async () => {
  const calls: string[] = [];
  const w = new EnrichWizard(deps(calls));
  await toFlowLogs(w);
  w.answer([`${B}/us-east-1/fl-03`]);
  assert.equal(w.currentStep, 'window');
  w.back();
  const again = (await w.prompt()) as Pick;
  assert.deepEqual(again.items.filter((i) => i.picked).map((i) => i.id), [`${B}/us-east-1/fl-03`]);
  assert.equal(calls.length, 1, 'same accounts and regions: not discovered again');
  w.back();
  assert.equal(w.currentStep, 'regions');
  w.answer(['us-east-1']);
  const fewer = (await w.prompt()) as Pick;
  assert.equal(calls.length, 2);
  assert.deepEqual(fewer.items.filter((i) => !i.disabled && i.id !== 'other').map((i) => i.id), [`${A}/us-east-1/fl-01`, `${B}/us-east-1/fl-03`]);
  assert.deepEqual(fewer.items.filter((i) => i.picked).map((i) => i.id), [`${B}/us-east-1/fl-03`]);
  w.answer([`${B}/us-east-1/fl-03`]);
  const first = await finish(w);
  assert.deepEqual(awsSourceFor(first).sources, ['222222222222/us-east-1=logs:/vpc/flow']);

  // Next time: the remembered flow log is preselected again.
  const next = new EnrichWizard(deps([]), w.remembered());
  const p = await toFlowLogs(next, ['us-east-1']);
  assert.deepEqual(p.items.filter((i) => i.picked).map((i) => i.id), [`${B}/us-east-1/fl-03`]);
  // Remembered choices that no longer exist fall back to every readable flow log.
  const stale = new EnrichWizard(deps([]), { ...w.remembered(), flowLogs: [`${A}/us-east-1/fl-gone`] });
  const q = await toFlowLogs(stale, ['us-east-1']);
  assert.deepEqual(q.items.filter((i) => i.picked).map((i) => i.id), [`${A}/us-east-1/fl-01`, `${B}/us-east-1/fl-03`]);
});

test('when discovery fails as a whole, the step says why and still offers another source', async () => {
  const w = new EnrichWizard({
    ...deps([]),
    discoverFlowLogs: discoveryThroughWorker(async () => {
      throw new Error('could not sign in: the SSO session of profile ops has expired; run `aws sso login --profile ops`');
    }),
  });
  const p = await toFlowLogs(w);
  assert.deepEqual(p.items.map((i) => [i.id, !!i.disabled]), [['other', false], ['problem:0', true]]);
  assert.match(p.items[1]!.detail!, /aws sso login --profile ops/);
  assert.match(p.notes[0]!, /No flow logs were found/);
  w.answer(['other']);
  assert.equal(w.currentStep, 'location');
});

test('discovery requests and DescribeFlowLogs entries map as acquire reads them', () => {
  assert.deepEqual(discoverRequestFor({ profile: 'ops', regions: ['us-east-1'] }), { profile: 'ops', regions: ['us-east-1'] });
  assert.deepEqual(discoverRequestFor({ profile: 'ops', roleName: 'R', accounts: [A], regions: ['eu-west-1'] }), { profile: 'ops', role: 'R', accounts: [A], regions: ['eu-west-1'] });
  const noPrefix = describedFlowLog({ FlowLogId: 'fl-9', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::org-logs' }, A, 'us-east-1');
  assert.equal(noPrefix?.sources, 's3://org-logs/');
  assert.equal(noPrefix?.defaultFormat, true);
  const arnGroup = describedFlowLog({ FlowLogId: 'fl-8', LogDestinationType: 'cloud-watch-logs', LogDestination: `arn:aws:logs:us-east-1:${A}:log-group:/vpc/x:*` }, A, 'us-east-1');
  assert.equal(arnGroup?.sources, 'logs:/vpc/x');
  const custom = wizardDiscovery(workerAnswer(['eu-west-1'])).flowLogs[0]!;
  assert.equal(custom.format, '${version} ${srcaddr} ${dstaddr} ${pkt-srcaddr}');
  assert.equal(custom.source, 's3://logs-a/hive');
});
