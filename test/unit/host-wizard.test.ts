// The enrichment wizard as a state machine: paths, validation, back navigation, remembered answers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnrichWizard, WizardInputError, parseLocation, parseRange, type WizardDeps, type Prompt } from '../../src/host/enrichWizard';

const NOW = new Date('2026-03-01T12:00:00Z');

function deps(calls: string[] = []): WizardDeps {
  return {
    now: () => NOW,
    listProfiles: async () => {
      calls.push('profiles');
      return [
        { name: 'dev', kind: 'static', region: 'eu-west-1', problems: [] },
        { name: 'broken', kind: 'role', problems: ['source_profile missing is not defined'] },
        { name: 'org', kind: 'sso', mfa: false, problems: [] },
      ];
    },
    discoverFlowLogs: async (q) => {
      calls.push(`discover ${q.profile} ${q.regions.join(',')} ${q.accounts?.join(',') ?? '-'}`);
      return {
        flowLogs: q.regions.map((r, i) => ({
          id: `fl-${i}`,
          accountId: '111111111111',
          region: r,
          destinationType: 's3',
          destination: 's3://example-flow-logs/AWSLogs/',
          format: 'default',
        })),
        problems: q.accounts?.includes('222222222222') ? ['222222222222: AccessDenied assuming FlowlensReadOnly'] : [],
      };
    },
    listDatasets: async () => [{ name: 'prod', path: '/data/prod.duckdb' }],
  };
}

async function labels(w: EnrichWizard): Promise<Prompt> {
  return w.prompt();
}

test('the sample estate takes three steps and needs no AWS call', async () => {
  const calls: string[] = [];
  const w = new EnrichWizard(deps(calls));
  const first = await labels(w);
  assert.equal(first.type, 'pick');
  assert.ok(first.type === 'pick' && first.items.some((i) => i.label === 'Sample estate — no AWS account needed'));
  w.answer('sample');
  assert.equal(w.currentStep, 'dataset');
  await w.prompt();
  w.answer('new');
  const name = await w.prompt();
  assert.equal(name.type === 'input' && name.value, 'sample');
  w.answer('sample');
  assert.equal(w.done, true);
  assert.deepEqual(w.plan(), { source: 'sample', dataset: { mode: 'new', name: 'sample' } });
  assert.deepEqual(calls, []);
});

test('the AWS path with a role goes through every step and builds the plan', async () => {
  const calls: string[] = [];
  const w = new EnrichWizard(deps(calls));
  const steps: string[] = [];
  const go = async (v: string | string[]) => {
    steps.push((await w.prompt()).step);
    w.answer(v);
  };
  await go('aws');
  await go('dev');
  await go('role');
  await go('FlowlensReadOnly');
  await go('ext-123');
  await go('111111111111, 222222222222 111111111111');
  await go(['eu-west-1', 'us-east-1']);
  const fl = await w.prompt();
  assert.ok(fl.type === 'pick' && fl.many);
  assert.deepEqual(fl.type === 'pick' && fl.notes, ['222222222222: AccessDenied assuming FlowlensReadOnly']);
  assert.deepEqual(fl.type === 'pick' && fl.items.filter((i) => i.picked).map((i) => i.id), ['fl-0', 'fl-1']);
  await go(['fl-1']);
  await go('7d');
  await go('/data/prod.duckdb');
  assert.deepEqual(steps, ['source', 'profile', 'access', 'roleName', 'externalId', 'accounts', 'regions', 'flowLogs', 'window', 'dataset']);
  assert.equal(w.done, true);
  const plan = w.plan();
  assert.equal(plan.source, 'aws');
  if (plan.source !== 'aws') return;
  assert.deepEqual(plan.role, { name: 'FlowlensReadOnly', externalId: 'ext-123', accounts: ['111111111111', '222222222222'] });
  assert.deepEqual(plan.flowLogs.map((f) => f.region), ['us-east-1']);
  assert.equal(plan.window.to.getTime() - plan.window.from.getTime(), 7 * 86400e3);
  assert.deepEqual(plan.dataset, { mode: 'append', path: '/data/prod.duckdb' });
  assert.deepEqual(calls, ['profiles', 'discover dev eu-west-1,us-east-1 111111111111,222222222222']);
  assert.equal(w.remembered().externalId, undefined, 'the external id is not remembered');
});

test('invalid answers keep the step and say why', async () => {
  const w = new EnrichWizard(deps());
  w.answer('aws');
  const profiles = await w.prompt();
  assert.ok(profiles.type === 'pick' && profiles.items.find((i) => i.id === 'broken')?.disabled);
  assert.throws(() => w.answer('broken'), (e: unknown) => e instanceof WizardInputError && /source_profile missing/.test(e.message));
  assert.equal(w.currentStep, 'profile');
  w.answer('dev');
  w.answer('role');
  w.answer('R');
  w.answer('');
  assert.throws(() => w.answer('1234, 111111111111'), /not a 12-digit account id: 1234/);
  w.answer('111111111111');
  assert.throws(() => w.answer([]), /at least one region/);
  assert.throws(() => w.answer(['mars-1']), /not a region/);
  assert.equal(w.currentStep, 'regions');
});

test('back navigation returns to the previous step with the answers kept, and branches can change', async () => {
  const w = new EnrichWizard(deps());
  w.answer('aws');
  await w.prompt();
  w.answer('org');
  w.answer('profile');
  assert.equal(w.currentStep, 'regions');
  w.back();
  assert.equal(w.currentStep, 'access');
  const access = await w.prompt();
  assert.equal(access.type === 'pick' && access.activeId, 'profile');
  w.back();
  w.back();
  assert.equal(w.currentStep, 'source');
  assert.equal(w.canGoBack, false);
  w.answer('folder');
  assert.equal(w.currentStep, 'folder');
  // no workspace folder: a relative path cannot be resolved; a folder that does not exist is refused
  assert.throws(() => w.answer('relative/dir'), /absolute path, or browse/);
  assert.throws(() => w.answer('/tmp/no-such-flowlens-folder'), /does not exist/);
  w.answer('/tmp');
  await w.prompt();
  w.answer('new');
  const name = await w.prompt();
  assert.equal(name.type === 'input' && name.value, 'local');
  assert.throws(() => w.answer('prod'), /exists: pick it to append/);
  assert.throws(() => w.answer('../x'), /letters, digits/);
  w.answer('local');
  assert.deepEqual(w.plan(), { source: 'folder', folder: '/tmp', dataset: { mode: 'new', name: 'local' } });
});

test('remembered answers are offered as defaults next time', async () => {
  const first = new EnrichWizard(deps());
  first.answer('aws');
  await first.prompt();
  first.answer('dev');
  first.answer('profile');
  first.answer(['eu-west-1']);
  await first.prompt();
  first.answer(['fl-0', 'other']);
  assert.equal(first.currentStep, 'location');
  assert.throws(() => first.answer('s3://'), /not an S3 URI/);
  first.answer('s3://example-flow-logs/AWSLogs/111111111111/');
  first.answer('custom');
  assert.throws(() => first.answer('2026-02-02 .. 2026-02-01'), /ends before it starts/);
  first.answer('2026-02-01 00:00 .. 2026-02-02 06:00');
  await first.prompt();
  first.answer('new');
  await first.prompt();
  first.answer('dev-feb');
  const plan = first.plan();
  assert.ok(plan.source === 'aws');
  if (plan.source === 'aws') {
    assert.deepEqual(plan.location, { kind: 's3', bucket: 'example-flow-logs', prefix: 'AWSLogs/111111111111/' });
    assert.equal(plan.window.from.toISOString(), '2026-02-01T00:00:00.000Z');
    assert.equal(plan.window.to.toISOString(), '2026-02-02T06:00:00.000Z');
  }

  const again = new EnrichWizard(deps(), first.remembered());
  const src = await again.prompt();
  assert.equal(src.type === 'pick' && src.activeId, 'aws');
  again.answer('aws');
  const prof = await again.prompt();
  assert.equal(prof.type === 'pick' && prof.activeId, 'dev');
  again.answer('dev');
  again.answer('profile');
  const regions = await again.prompt();
  assert.deepEqual(regions.type === 'pick' && regions.items.filter((i) => i.picked).map((i) => i.id), ['eu-west-1']);
});

test('flow-log locations and ranges parse or name the problem', () => {
  assert.deepEqual(parseLocation('/vpc/flow-logs'), { kind: 'cloudwatch', logGroup: '/vpc/flow-logs' });
  assert.deepEqual(parseLocation('arn:aws:logs:us-east-1:111111111111:log-group:/vpc/fl:*'), { kind: 'cloudwatch', logGroup: '/vpc/fl' });
  assert.deepEqual(parseLocation('athena:vpc.flow_logs'), { kind: 'athena', database: 'vpc', table: 'flow_logs' });
  assert.throws(() => parseLocation('athena:flows'), /athena:database.table/);
  assert.throws(() => parseLocation('has spaces in it'), /not a log group name/);
  assert.throws(() => parseRange('2030-01-01 .. 2030-01-02', NOW), /future/);
  assert.throws(() => parseRange('yesterday .. today', NOW), /"yesterday" is not a date/);
});
