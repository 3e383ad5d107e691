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
  // as the CLI takes them: a catalog, and names with hyphens
  assert.deepEqual(parseLocation('athena:AwsDataCatalog.flow-logs.vpc_2026'), { kind: 'athena', catalog: 'AwsDataCatalog', database: 'flow-logs', table: 'vpc_2026' });
  assert.throws(() => parseLocation('athena:a.b.c.d'), (e: unknown) => e instanceof WizardInputError && e.message === '"athena:a.b.c.d" is not an Athena table (athena:database.table, or athena:catalog.database.table)');
  assert.throws(() => parseLocation('has spaces in it'), /not a log group name/);
  assert.throws(() => parseRange('2030-01-01 .. 2030-01-02', NOW), /future/);
  assert.throws(() => parseRange('yesterday .. today', NOW), /"yesterday" is not a date/);
});

/** The AWS path up to the window, with a typed location: the profile as is, one region. */
async function toWindow(w: EnrichWizard, profile: string, location: string): Promise<void> {
  for (const v of ['aws', profile, 'profile', ['eu-west-1'], ['other'], location]) {
    await w.prompt();
    w.answer(v);
  }
  assert.equal(w.currentStep, 'window');
}

test('an Athena table asks for its workgroup, output location and window after the time window; Back goes through them; the plan carries them', async () => {
  const w = new EnrichWizard(deps());
  await toWindow(w, 'dev', 'athena:flowlogs.vpc');
  w.answer('30d');
  const wg = await w.prompt();
  assert.equal(wg.step, 'athenaWorkgroup');
  assert.equal(wg.title, 'Flowlens: Enrich flow logs (8/12)');
  assert.equal(wg.type === 'input' && wg.value, 'primary');
  assert.throws(() => w.answer('my workgroup'), (e: unknown) => e instanceof WizardInputError && e.message === '"my workgroup" is not a workgroup name: 1-128 letters, digits, ".", "_" or "-"');
  w.answer(' analysts ');
  const out = await w.prompt();
  assert.equal(out.step, 'athenaOutput');
  assert.equal(out.type === 'input' && out.value, '', "empty: the workgroup's own");
  w.answer('s3://athena-results/flowlens/');
  const win = await w.prompt();
  assert.ok(win.type === 'pick');
  if (win.type !== 'pick') return;
  assert.deepEqual(win.items.map((i) => [i.id, i.label]), [['60', '1 minute'], ['300', '5 minutes'], ['3600', '1 hour']]);
  assert.equal(win.activeId, '60');
  assert.match(win.items[2]!.detail ?? '', /^Months of history: .*the least to download$/);
  assert.deepEqual(win.notes, ['Over 30 days, 5-minute or 1-hour windows download far less.']);
  // Back: the answers come back as given
  w.back();
  const outAgain = await w.prompt();
  assert.equal(outAgain.type === 'input' && outAgain.value, 's3://athena-results/flowlens/');
  w.back();
  const wgAgain = await w.prompt();
  assert.equal(wgAgain.type === 'input' && wgAgain.value, 'analysts');
  w.back();
  assert.equal(w.currentStep, 'window');
  w.answer('24h');
  w.answer('analysts');
  w.answer('s3://athena-results/flowlens/');
  const dayWin = await w.prompt();
  assert.deepEqual(dayWin.type === 'pick' && dayWin.notes, [], 'a day: no advice');
  w.answer('3600');
  assert.equal(w.currentStep, 'dataset');
  await w.prompt();
  w.answer('/data/prod.duckdb');
  const plan = w.plan();
  assert.ok(plan.source === 'aws');
  if (plan.source !== 'aws') return;
  assert.deepEqual(plan.location, { kind: 'athena', database: 'flowlogs', table: 'vpc' });
  assert.deepEqual(plan.athena, { workgroup: 'analysts', outputLocation: 's3://athena-results/flowlens/', windowSeconds: 3600 });
});

test('an Athena output location that is not s3://bucket/prefix says what is wrong and keeps the step', async () => {
  const w = new EnrichWizard(deps());
  await toWindow(w, 'dev', 'athena:flowlogs.vpc');
  w.answer('24h');
  w.answer('');
  assert.equal(w.currentStep, 'athenaOutput');
  const cases: [string, string][] = [
    ['athena-results/flowlens', '"athena-results/flowlens" is not an S3 address: write it as s3://bucket/prefix/'],
    ['https://athena-results.s3.amazonaws.com/x/', '"https://athena-results.s3.amazonaws.com/x/" is not an S3 address: write it as s3://bucket/prefix/'],
    ['s3://', '"s3://" names no bucket: write it as s3://bucket/prefix/'],
    ['s3:///results/', '"s3:///results/" names no bucket: write it as s3://bucket/prefix/'],
    ['s3://Athena_Results/x/', '"Athena_Results" is not an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit'],
  ];
  for (const [typed, message] of cases) {
    assert.throws(() => w.answer(typed), (e: unknown) => e instanceof WizardInputError && e.message === message, typed);
    assert.equal(w.currentStep, 'athenaOutput');
  }
  w.answer('  ');
  w.answer('60');
  w.answer('new');
  w.answer('athena');
  const plan = w.plan();
  assert.deepEqual(plan.source === 'aws' && plan.athena, { workgroup: 'primary', windowSeconds: 60 }, "empty: the workgroup's own output location, the primary workgroup");
});

test("an S3 or CloudWatch source asks nothing of Athena; the workgroup and output location are remembered per profile, the window for all", async () => {
  const s3 = new EnrichWizard(deps());
  await toWindow(s3, 'dev', 's3://example-flow-logs/AWSLogs/');
  s3.answer('24h');
  assert.equal(s3.currentStep, 'dataset');

  const first = new EnrichWizard(deps());
  await toWindow(first, 'dev', 'athena:flowlogs.vpc');
  for (const v of ['24h', 'analysts', 's3://athena-results/dev/', '300', 'new', 'dev-athena']) {
    await first.prompt();
    first.answer(v);
  }
  const remembered = JSON.parse(JSON.stringify(first.remembered())) as typeof first.answers; // as global state keeps it

  const dev = new EnrichWizard(deps(), remembered);
  await toWindow(dev, 'dev', 'athena:flowlogs.vpc');
  dev.answer('24h');
  assert.equal(((await dev.prompt()) as Extract<Prompt, { type: 'input' }>).value, 'analysts');
  dev.answer('analysts');
  assert.equal(((await dev.prompt()) as Extract<Prompt, { type: 'input' }>).value, 's3://athena-results/dev/');
  dev.answer('');
  assert.equal(((await dev.prompt()) as Extract<Prompt, { type: 'pick' }>).activeId, '300');

  const org = new EnrichWizard(deps(), remembered);
  await toWindow(org, 'org', 'athena:flowlogs.vpc');
  org.answer('24h');
  assert.equal(((await org.prompt()) as Extract<Prompt, { type: 'input' }>).value, 'primary', 'another profile: its own (none yet)');
  org.answer('primary');
  assert.equal(((await org.prompt()) as Extract<Prompt, { type: 'input' }>).value, '');
  org.answer('s3://athena-results/org/');
  org.answer('300');
  assert.deepEqual(org.remembered().athena, {
    dev: { workgroup: 'analysts', outputLocation: 's3://athena-results/dev/' },
    org: { workgroup: 'primary', outputLocation: 's3://athena-results/org/' },
  });
  // dev's output location cleared in its own run
  assert.deepEqual(dev.answers.athena?.dev, { workgroup: 'analysts' });
});
