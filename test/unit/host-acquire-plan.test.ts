// The wizard's AWS plan as the worker's acquire request, and the per-account summary lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EnrichWizard, type EnrichPlan } from '../../src/host/enrichWizard';
import { DISCOVER_ALL_ID, acquireNotification, allowScan, athenaUnread, createTableQuestion, discoverAllChoice, locationSpec, perAccountLines, scanConfirmation, ssoLoginHint, tableCreationMessage, tableMissingMessage, tableToCreate, type AwsEnrichResult } from '../../src/host/acquirePlan';
import { refreshRequest, requestFor, storableRequest } from '../../src/host/planRequest';
import { emptyMessage, refreshMessage } from '../../src/host/enrichReport';
import type { SourceReport } from '../../src/protocol/reports';

const NOW = new Date('2026-09-02T00:00:00Z');

async function wizardPlan(answers: (string | string[])[]): Promise<Extract<EnrichPlan, { source: 'aws' }>> {
  const w = new EnrichWizard({
    listProfiles: async () => [{ name: 'ops', kind: 'static', problems: [] }, { name: 'bad', kind: 'role', problems: ['source_profile nowhere is not defined'] }],
    discoverFlowLogs: async (q) => ({ flowLogs: [discoverAllChoice(q)], problems: [] }),
    listDatasets: async () => [],
    now: () => NOW,
  });
  for (const a of answers) {
    await w.prompt();
    w.answer(a);
  }
  const p = w.plan();
  assert.equal(p.source, 'aws');
  return p as Extract<EnrichPlan, { source: 'aws' }>;
}

/** The plan's request, which must read from AWS. */
function awsRequest(plan: EnrichPlan, o: { ipRanges?: boolean } = {}) {
  const r = requestFor(plan, o);
  assert.equal(r.source.kind, 'aws');
  if (r.source.kind !== 'aws') throw new Error('not AWS');
  return r.source;
}

test('a role plan with discovery becomes an AWS request without sources', async () => {
  const plan = await wizardPlan(['aws', 'ops', 'role', 'FlowLogIntrospector', 'ext-1234', '111111111111, 222222222222', ['us-east-1', 'eu-west-1'], [DISCOVER_ALL_ID], '24h', 'new', 'prod']);
  assert.deepEqual(requestFor(plan), {
    source: {
      kind: 'aws',
      profile: 'ops',
      role: 'FlowLogIntrospector',
      accounts: ['111111111111', '222222222222'],
      externalId: 'ext-1234',
      regions: ['us-east-1', 'eu-west-1'],
      since: '2026-09-01T00:00:00.000Z',
      until: '2026-09-02T00:00:00.000Z',
      ipRanges: false,
    },
  });
  assert.equal(awsRequest(plan, { ipRanges: true }).ipRanges, true);
});

test('sample and folder plans become sample and files requests', () => {
  assert.deepEqual(requestFor({ source: 'sample', dataset: { mode: 'new', name: 's' } }, { sample: { days: 2 } }), { source: { kind: 'sample', days: 2 } });
  assert.deepEqual(requestFor({ source: 'folder', folder: '/logs', dataset: { mode: 'new', name: 'l' } }), { source: { kind: 'files', flowLogs: ['/logs'], inventory: ['/logs'] } });
});

test('a typed location replaces discovery; the profile as is has no role', async () => {
  const plan = await wizardPlan(['aws', 'ops', 'profile', ['us-east-1'], [DISCOVER_ALL_ID, 'other'], 's3://flowlens-logs-a/vpc', 'custom', '2026-09-01 00:00 .. 2026-09-01 03:00', 'new', 'x']);
  const req = awsRequest(plan);
  assert.deepEqual(req.sources, ['s3://flowlens-logs-a/vpc']);
  assert.equal(req.role, undefined);
  assert.equal(req.since, '2026-09-01T00:00:00.000Z');
  assert.equal(req.until, '2026-09-01T03:00:00.000Z');
  assert.equal(locationSpec({ kind: 'cloudwatch', logGroup: '/vpc/flow' }), 'logs:/vpc/flow');
  assert.equal(locationSpec({ kind: 'athena', database: 'logs', table: 'vpc' }), 'athena:logs.vpc');
  assert.equal(locationSpec({ kind: 'athena', catalog: 'lake', database: 'flow-logs', table: 'vpc' }), 'athena:lake.flow-logs.vpc');
});

test('a profile with problems cannot be chosen in the wizard', async () => {
  await assert.rejects(wizardPlan(['aws', 'bad']), /profile bad cannot be used: source_profile nowhere is not defined/);
});

const src = (account: string, region: string, fetched: number, skipped: number, failed: number) => ({
  source: `s3://b/${account}/${region}`, kind: 's3' as const, account, region, fetched, skipped, failed, records: fetched * 10, bytes: 0, files: [], issues: [],
});

test('per-account lines, notification counts and the SSO hint', () => {
  const r: AwsEnrichResult = {
    records: 50,
    badLines: 0,
    conversations: 7,
    seconds: 1,
    files: [],
    warnings: [],
    inventoryWarnings: [],
    aws: {
      summary: {
        window: { since: 'a', until: 'b' },
        accounts: ['111111111111', '222222222222'],
        regions: ['us-east-1'],
        inventory: { files: 1, items: 1, calls: 1, loaded: 1, warnings: [] },
        ipRanges: { status: 'none' },
        sources: [src('111111111111', 'us-east-1', 3, 1, 0), src('111111111111', 'us-east-1', 2, 0, 1)],
        fetched: 5,
        skipped: 1,
        failed: 1,
        records: 50,
        bytes: 0,
        issues: [{ api: 'credentials', code: 'SsoLoginRequired', message: 'the SSO session for profile corp is missing or expired: run `aws sso login --profile corp`' }],
        athenaSql: [],
        seconds: 1,
      },
      text: '',
    },
  };
  assert.deepEqual(perAccountLines(r), [
    '  account 111111111111, region us-east-1: 2 sources, 5 fetched, 1 skipped, 1 failed, 50 records',
    '  account 222222222222: no flow-log source read',
  ]);
  const n = acquireNotification(r);
  assert.equal(n.warn, true);
  assert.match(n.text, /5 fetched, 1 skipped, 1 failed; 50 records, 7 conversations/);
  assert.match(ssoLoginHint(r) ?? '', /aws sso login --profile corp/);
  assert.equal(ssoLoginHint(undefined, 'AccessDenied'), undefined);
});

const ATHENA_SETTINGS = { maxScanBytes: 10e9, resultFormat: 'parquet', pricePerTb: 5 } as const;

test("an Athena location runs in the wizard's workgroup, output location and window, with the flowlens.athena settings", async () => {
  const plan = await wizardPlan(['aws', 'ops', 'profile', ['us-east-1'], ['other'], 'athena:flowlogs.vpc', '30d', 'analysts', 's3://athena-results/flowlens/', '3600', 'new', 'months']);
  const req = awsRequest(plan, {});
  assert.deepEqual(req.sources, ['athena:flowlogs.vpc']);
  assert.deepEqual(req.athena, { workgroup: 'analysts', outputLocation: 's3://athena-results/flowlens/', windowSeconds: 3600 });
  const withSettings = requestFor(plan, { athena: { ...ATHENA_SETTINGS, resultFormat: 'csv', pricePerTb: 6.75 } });
  assert.deepEqual(withSettings.source.kind === 'aws' && withSettings.source.athena, {
    workgroup: 'analysts', outputLocation: 's3://athena-results/flowlens/', windowSeconds: 3600, maxScanBytes: 10e9, resultFormat: 'csv', pricePerTb: 6.75,
  });
  // the workgroup's own output location, 1-minute windows; no confirmation asked (confirmScanAbove empty)
  const own = await wizardPlan(['aws', 'ops', 'profile', ['us-east-1'], ['other'], 'athena:flowlogs.vpc', '24h', '', '', '60', 'new', 'day']);
  assert.deepEqual(awsRequest(own, {}).athena, { workgroup: 'primary', windowSeconds: 60 });
});

test('an Athena location asks above flowlens.athena.confirmScanAbove: the limit in the request, the question with the estimate, the confirmed run allowed it', async () => {
  const plan = await wizardPlan(['aws', 'ops', 'profile', ['us-east-1'], [DISCOVER_ALL_ID, 'other'], 'athena:flowlogs.vpc', 'custom', '2026-09-01 00:00 .. 2026-09-01 03:00', 'analysts', 's3://athena-results/flowlens/', '300', 'new', 'x']);
  const req = requestFor(plan, { athena: ATHENA_SETTINGS });
  assert.equal(req.source.kind === 'aws' && req.source.athena?.maxScanBytes, 10e9);
  const s3 = await wizardPlan(['aws', 'ops', 'profile', ['us-east-1'], [DISCOVER_ALL_ID, 'other'], 's3://flowlens-logs-a/vpc', 'custom', '2026-09-01 00:00 .. 2026-09-01 03:00', 'new', 'y']);
  assert.equal(awsRequest(s3, {}).athena, undefined, 'no Athena source: no limit');
  const held = {
    records: 0, badLines: 0, conversations: 0, seconds: 1, files: [], inventoryWarnings: [], warnings: [],
    aws: {
      text: '',
      summary: {
        window: { since: '', until: '' }, accounts: [], regions: [], inventory: { files: 0, items: 0, calls: 0, loaded: 0, warnings: [] }, ipRanges: { status: 'none' },
        fetched: 0, skipped: 0, failed: 1, records: 0, bytes: 0, issues: [], athenaSql: [], seconds: 1,
        sources: [{
          source: 'athena://AwsDataCatalog/flowlogs/vpc', kind: 'athena', account: '111111111111', region: 'us-east-1', fetched: 0, skipped: 0, failed: 1, records: 0, bytes: 0, files: [],
          issues: [{ api: 'athena', code: 'ScanLimit', message: '…' }],
          athena: { windowSeconds: 60, pricePerTb: 5, partitions: [], rows: 0, estimatedBytes: 42e9, estimatedUsd: 0.21 },
        }],
      },
    },
  } as AwsEnrichResult;
  const ask = scanConfirmation(held)!;
  assert.equal(ask.message, 'Flowlens: Athena would scan athena://AwsDataCatalog/flowlogs/vpc: about 39.1 GiB ($0.21 at $5/TB), more than flowlens.athena.confirmScanAbove allows without asking. Run it?');
  assert.equal(ask.allowBytes, 42e9);
  const again = allowScan(req, ask.allowBytes);
  const asked = { workgroup: 'analysts', outputLocation: 's3://athena-results/flowlens/', windowSeconds: 300, resultFormat: 'parquet', pricePerTb: 5 };
  assert.deepEqual(again.source.kind === 'aws' && again.source.athena, { ...asked, maxScanBytes: 42e9 }, 'only the limit changes');
  // remembered for Refresh, run again over the time since: still where the wizard said
  const refreshed = refreshRequest(storableRequest(again), new Date('2026-09-03T00:00:00Z'));
  assert.deepEqual(refreshed.source.kind === 'aws' && refreshed.source.athena, { ...asked, maxScanBytes: 42e9 });
  // Refresh puts today's flowlens.athena.confirmScanAbove back (empty: no limit); a request without Athena is left as it is
  const today = allowScan(refreshed, 10e9);
  assert.deepEqual(today.source.kind === 'aws' && today.source.athena, { ...asked, maxScanBytes: 10e9 });
  const unlimited = allowScan(refreshed, undefined);
  assert.deepEqual(unlimited.source.kind === 'aws' && unlimited.source.athena, asked);
  const s3req = requestFor(s3);
  assert.deepEqual(allowScan(s3req, 1), s3req);
  assert.equal(scanConfirmation({ ...held, aws: { ...held.aws, summary: { ...held.aws.summary, sources: [] } } }), undefined);

  // the toasts say what was estimated and what was scanned, in bytes and dollars
  assert.equal(acquireNotification(held).text,
    'Flowlens: read 0 accounts × 0 regions: flowlogs.vpc: not run (see Show details); 0 conversations. Athena scanned nothing (not run), estimated 39.1 GiB ($0.21).');
  const source = held.aws.summary.sources[0]!;
  const ran: AwsEnrichResult = {
    ...held, records: 120, conversations: 40,
    aws: { ...held.aws, summary: { ...held.aws.summary, failed: 0, fetched: 1, records: 120, sources: [{ ...source, issues: [], failed: 0, fetched: 1, records: 120, athena: { ...source.athena!, rows: 120, scannedBytes: 40e9, scannedUsd: 0.2 } }] } },
  };
  assert.equal(acquireNotification(ran).text,
    'Flowlens: read 0 accounts × 0 regions: Athena returned 120 rows (120 flow records) from flowlogs.vpc; 40 conversations. Athena scanned 37.3 GiB ($0.20), estimated 39.1 GiB ($0.21).');
  assert.equal(refreshMessage('months', ran),
    'Flowlens: refreshed months: Athena returned 120 rows (120 flow records) from flowlogs.vpc; 40 conversations. Athena scanned 37.3 GiB ($0.20), estimated 39.1 GiB ($0.21).');
  const reused = { ...ran, aws: { ...ran.aws, summary: { ...ran.aws.summary, sources: [{ ...ran.aws.summary.sources[0]!, athena: { ...ran.aws.summary.sources[0]!.athena!, scannedBytes: 0, scannedUsd: 0, reused: true } }] } } };
  assert.match(acquireNotification(reused).text, / Athena scanned 0 B \(\$0\.00\), a result Athena kept reused, estimated 39\.1 GiB \(\$0\.21\)\.$/);
  assert.doesNotMatch(acquireNotification({ ...ran, aws: { ...ran.aws, summary: { ...ran.aws.summary, sources: [] } } }).text, /Athena/, 'no Athena source: not a word of it');
  // a window ended before the delivery lag: where, and why
  const settled = { ...ran, aws: { ...ran.aws, summary: { ...ran.aws.summary, sources: [{ ...ran.aws.summary.sources[0]!, athena: { ...ran.aws.summary.sources[0]!.athena!, until: '2026-12-07T00:50:00.000Z', settleMinutes: 10 } }] } } };
  assert.match(refreshMessage('months', settled), / Athena scanned 37\.3 GiB \(\$0\.20\), estimated 39\.1 GiB \(\$0\.21\); the window read ends at 2026-12-07 00:50Z, 10 minutes before the run: flow logs still being delivered to S3 are read by the next Refresh\.$/);
  // glue:GetPartitions refused (a crawler's partition_0 … left unconstrained): the question and the toast say the table is read whole
  const unread = 'cannot read the partitions registered for flowlogs.vpc (glue:GetPartitions: AccessDeniedException: no), so partition_0 is not constrained; …';
  const whole = (r: AwsEnrichResult): AwsEnrichResult => ({ ...r, aws: { ...r.aws, summary: { ...r.aws.summary, sources: r.aws.summary.sources.map((x) => ({ ...x, athena: { ...x.athena!, partitionsUnread: unread } })) } } });
  assert.equal(scanConfirmation(whole(held))!.message, 'Flowlens: Athena would scan athena://AwsDataCatalog/flowlogs/vpc: about 39.1 GiB ($0.21 at $5/TB), more than flowlens.athena.confirmScanAbove allows without asking.'
    + ' flowlogs.vpc is read whole: glue:GetPartitions was refused, so its partitions could not be pruned. Run it?');
  // a crawler's table whose registered partitions do not reach the window: the toast says nothing was there yet
  const missing = { ...ran, aws: { ...ran.aws, summary: { ...ran.aws.summary, sources: ran.aws.summary.sources.map((x) => ({ ...x, athena: { ...x.athena!, partitionsMissing: 'none of the 12 partitions …' } })) } } };
  assert.match(acquireNotification(missing).text, / estimated 39\.1 GiB \(\$0\.21\); no partition registered for flowlogs\.vpc holds the window yet \(see Show details\)\.$/);
  // where its window ended (the last minutes left for the next Refresh) is no news when nothing was read there
  const settledMissing = { ...missing, aws: { ...missing.aws, summary: { ...missing.aws.summary, sources: missing.aws.summary.sources.map((x) => ({ ...x, athena: { ...x.athena!, until: '2026-12-07T00:50:00.000Z', settleMinutes: 10 } })) } } };
  assert.match(refreshMessage('months', settledMissing), /; no partition registered for flowlogs\.vpc holds the window yet \(see Show details\)\.$/);
  // accounts read to different times (their registered partitions end apart): the latest, and each read only to an
  // earlier time with its own (a fourth named too; of five, two counted), not the earliest alone
  const until = (t: string, account: string) => ({ until: `2026-12-0${t}:00:00.000Z`, accounts: { only: [account] }, regions: ['us-east-1'] });
  const apart = (earlier: ReturnType<typeof until>[]) => ({ ...ran, aws: { ...ran.aws, summary: { ...ran.aws.summary, sources: ran.aws.summary.sources.map((x) => ({ ...x,
    athena: { ...x.athena!, partitionsEnd: 'the partitions registered for flowlogs.vpc end at …', until: earlier[0]!.until, endsApart: { latest: '2026-12-07T03:00:00.000Z', earlier } } })) } } });
  const four = [until('6T22', '222222222222'), until('6T23', '333333333333'), until('7T00', '444444444444'), until('7T01', '555555555555')];
  assert.match(refreshMessage('months', apart(four.slice(0, 1))), /; flowlogs\.vpc is read to 2026-12-07 03:00Z, only to 2026-12-06 22:00Z for 222222222222 in us-east-1: no partition registered for it holds the rest yet \(see Show details\)\.$/);
  const all = refreshMessage('months', apart(four));
  assert.ok(all.includes('; flowlogs.vpc is read to 2026-12-07 03:00Z, only to 2026-12-06 22:00Z for 222222222222 in us-east-1, to 2026-12-06 23:00Z for 333333333333 in us-east-1, '
    + 'to 2026-12-07 00:00Z for 444444444444 in us-east-1, to 2026-12-07 01:00Z for 555555555555 in us-east-1: no partition registered'), all);
  assert.match(refreshMessage('months', apart([...four, until('7T02', '666666666666')])), /, to 2026-12-07 00:00Z for 444444444444 in us-east-1, and earlier for 2 more accounts or regions: no partition registered/);
  // a run that read nothing as no partition holds the window: the toast says why (not "no flow-log objects or events in the window")
  const none = { ...missing, records: 0, conversations: 0, aws: { ...missing.aws, summary: { ...missing.aws.summary, fetched: 0, records: 0, sources: missing.aws.summary.sources.map((x) => ({ ...x, fetched: 0, records: 0, athena: { ...x.athena!, rows: 0 } })) } } };
  assert.equal(emptyMessage(none, true), 'Flowlens: no flow records were read, so no dataset was made. No partition registered for flowlogs.vpc holds the window yet: '
    + "Athena reads only the partitions registered in Glue, which the crawler's next run adds.");
  // and a Refresh that read nothing there keeps the dataset's window where it was: the crawler's next run adds the
  // partitions, and the next Refresh reads that time (not on past it); so too with rows read from another Athena
  // table (which then reads only the time it does not hold)
  assert.equal(athenaUnread(none.aws.summary), true);
  const other = { ...source, source: 'athena://AwsDataCatalog/flowlogs/other', issues: [], failed: 0, fetched: 1, records: 120, athena: { ...source.athena!, rows: 120 } };
  assert.equal(athenaUnread({ sources: [...none.aws.summary.sources, other] }), true);
  assert.equal(athenaUnread({ sources: [other] }), false);
  assert.match(acquireNotification(whole(ran)).text, / Athena scanned 37\.3 GiB \(\$0\.20\), estimated 39\.1 GiB \(\$0\.21\) \(flowlogs\.vpc read whole: glue:GetPartitions refused\)\.$/);
  // a Refresh whose Athena query was held back (or failed) leaves the dataset's window where it was
  assert.equal(athenaUnread(held.aws.summary), true);
  assert.equal(athenaUnread(ran.aws.summary), false);
  assert.equal(athenaUnread({ sources: [src('111111111111', 'us-east-1', 0, 0, 1)] }), false, 'an S3 object that failed: as before');
  assert.equal(athenaUnread(undefined), false);
});

test('no Athena table yet: "Create the Athena table…" runs the one DDL shown, as the run read the source, after a question naming where', async () => {
  const plan = await wizardPlan(['aws', 'ops', 'profile', ['us-east-1'], ['other'], 'athena:flowlogs.vpc', 'custom', '2026-09-01 00:00 .. 2026-09-01 03:00', 'analysts', '', '60', 'new', 'x']);
  const request = requestFor(plan, {});
  const ddl = 'CREATE EXTERNAL TABLE IF NOT EXISTS `flowlogs`.`vpc` (\n  `version` int\n)';
  const missing = (ddls: string[]) => ({
    records: 0, badLines: 0, conversations: 0, seconds: 1, files: [], inventoryWarnings: [], warnings: [],
    aws: {
      text: '',
      summary: {
        window: { since: '', until: '' }, accounts: ['111111111111'], regions: ['us-east-1'], inventory: { files: 0, items: 0, calls: 0, loaded: 0, warnings: [] }, ipRanges: { status: 'none' },
        fetched: 0, skipped: 0, failed: 1, records: 0, bytes: 0, issues: [], athenaSql: [], seconds: 1,
        sources: [{
          source: 'athena://AwsDataCatalog/flowlogs/vpc', kind: 'athena', account: '111111111111', region: 'us-east-1', fetched: 0, skipped: 0, failed: 1, records: 0, bytes: 0, files: [],
          issues: [{ api: 'athena', code: 'NoSuchTable', message: '…' }],
          athena: { windowSeconds: 60, pricePerTb: 5, partitions: [], rows: 0, ddl: ddls },
        }],
      },
    },
  }) as AwsEnrichResult;
  const t = tableToCreate(missing([ddl]), request)!;
  assert.deepEqual(t, { source: request.source, table: 'athena://AwsDataCatalog/flowlogs/vpc', account: '111111111111', region: 'us-east-1', ddl });
  assert.equal(tableToCreate(missing([ddl, `${ddl} `]), request), undefined, 'several statements: nothing offered (the summary says why)');
  assert.equal(tableToCreate(missing([]), request), undefined, 'a table that exists: nothing offered');
  // the finished notification: short (its buttons stay on screen), AWS's words only in the log
  const long = 'flowlogs.vpc is not a table in AwsDataCatalog (Entity Not Found (Service: AWSGlue; Status Code: 400; Error Code: EntityNotFoundException; Request ID: 1)); create it …';
  const noTable = { account: '111111111111', region: 'us-east-1', api: 'athena', code: 'NoSuchTable', message: long, resource: t.table };
  const alone = missing([ddl]);
  alone.aws.summary.issues.push(noTable);
  assert.equal(tableMissingMessage(t, alone, true), "Flowlens: the Athena table flowlogs.vpc does not exist in account 111111111111, region us-east-1, so nothing was read and no dataset was made. Flowlens can create it with AWS's DDL for your flow log, shown before anything runs.");
  assert.match(tableMissingMessage(t, alone, false), /so nothing was read and the dataset is unchanged\./);
  alone.aws.summary.issues.push({ ...noTable, api: 's3:ListObjectsV2', code: 'AccessDenied', message: 'no', resource: 's3://b/' });
  assert.match(tableMissingMessage(t, alone, true), /shown before anything runs\. 1 other problem: see Show details\.$/);
  const q = createTableQuestion(t);
  assert.equal(q.message, 'Create the Athena table flowlogs.vpc in account 111111111111, region us-east-1, workgroup analysts?');
  assert.equal(q.detail, "Flowlens runs the DDL shown in the editor (AWS's, for your flow log, with partition projection) as profile ops; CREATE DATABASE IF NOT EXISTS first if the database is missing. It needs glue:CreateTable (the read-only FlowLogIntrospector role does not have it).");
  const viaRole = createTableQuestion({ ...t, source: { ...(t.source as Extract<typeof t.source, { kind: 'aws' }>), role: 'FlowLogIntrospector', athena: {} } });
  assert.match(viaRole.message, /workgroup primary\?$/);
  assert.match(viaRole.detail, / as role FlowLogIntrospector in account 111111111111 \(from profile ops\);/);
  const base = { source: t.table, account: '111111111111', region: 'us-east-1', catalog: 'AwsDataCatalog', database: 'flowlogs', table: 'vpc', workgroup: 'analysts' };
  assert.deepEqual(tableCreationMessage({ ...base, statements: ['CREATE DATABASE IF NOT EXISTS `flowlogs`', ddl], created: true }), {
    created: true, text: 'Flowlens: created the Athena table flowlogs.vpc in account 111111111111, region us-east-1, workgroup analysts (and its database flowlogs). Read the source again?' });
  const why = 'arn:aws:iam::111111111111:user/ops may not create flowlogs.vpc: it lacks glue:CreateTable (AWS: …)';
  assert.deepEqual(tableCreationMessage({ ...base, statements: [ddl], created: false, issue: { api: 'glue:CreateTable', code: 'AccessDenied', message: why } }), {
    created: false, text: `Flowlens: could not create the Athena table flowlogs.vpc: ${why}` });
});

test("the notifications say what Athena's tables returned (rows, the flow records they stand for), and S3's objects apart", () => {
  const athena = (table: string, o: Partial<SourceReport>, a: Partial<NonNullable<SourceReport['athena']>> = {}): SourceReport => ({
    source: `athena://AwsDataCatalog/flowlogs/${table}`, kind: 'athena', account: '111111111111', region: 'us-east-1', fetched: 0, skipped: 0, failed: 0, records: 0, bytes: 0,
    files: [], issues: [], sql: 'SELECT …', ...o, athena: { windowSeconds: 60, pricePerTb: 5, partitions: [], rows: 0, ...a },
  });
  const result = (sources: SourceReport[], conversations: number): AwsEnrichResult => ({
    records: sources.reduce((n, x) => n + x.records, 0), badLines: 0, conversations, seconds: 1, files: [], inventoryWarnings: [], warnings: [],
    aws: { text: '', summary: {
      window: { since: '', until: '' }, accounts: ['111111111111'], regions: ['us-east-1'], inventory: { files: 0, items: 0, calls: 0, loaded: 0, warnings: [] }, ipRanges: { status: 'none' },
      fetched: sources.reduce((n, x) => n + x.fetched, 0), skipped: sources.reduce((n, x) => n + x.skipped, 0), failed: sources.reduce((n, x) => n + x.failed, 0),
      records: sources.reduce((n, x) => n + x.records, 0), bytes: 0, issues: sources.flatMap((x) => x.issues), athenaSql: [], seconds: 1, sources,
    } },
  });
  const east = athena('east', { fetched: 1, records: 4000 }, { rows: 120 });
  const west = athena('west', { failed: 1, issues: [{ api: 'athena:GetQueryExecution', code: 'QueryFailed', message: 'HIVE_CANNOT_OPEN_SPLIT: …' }] });
  // one table returned rows, the other failed (before: "fetched 1 new object(s) (4,000 records), 0 already loaded, 1 failed")
  assert.equal(refreshMessage('vpc', result([east, west], 40)),
    'Flowlens: refreshed vpc: Athena returned 120 rows (4,000 flow records) from flowlogs.east; flowlogs.west: failed (see Show details); 40 conversations.');
  assert.equal(acquireNotification(result([east, west], 40)).text,
    'Flowlens: read 1 account × 1 region: Athena returned 120 rows (4,000 flow records) from flowlogs.east; flowlogs.west: failed (see Show details); 40 conversations (1 issue).');
  // no rows; the window held already (nothing ran); the window within the delivery lag (nothing ran yet)
  const none = athena('crawled', {});
  const held = athena('east', { skipped: 1 }, { readBefore: [{ since: '2026-09-01T00:00:00.000Z', until: '2026-09-01T01:00:00.000Z' }] });
  const lag = athena('late', { sql: undefined });
  assert.equal(refreshMessage('vpc', result([none, held, lag], 8)),
    'Flowlens: refreshed vpc: Athena returned no rows from flowlogs.crawled; flowlogs.east: the window was read before, nothing ran; flowlogs.late: nothing ran yet; 8 conversations.');
  // beside S3: its objects as before, then Athena's rows
  const s3 = { ...src('111111111111', 'us-east-1', 3, 1, 0) };
  assert.equal(refreshMessage('vpc', result([s3, east], 50)),
    'Flowlens: refreshed vpc: fetched 3 new objects (30 records), 1 already loaded; Athena returned 120 rows (4,000 flow records) from flowlogs.east; 50 conversations.');
  assert.equal(acquireNotification(result([s3, east], 50)).text,
    'Flowlens: read 1 account × 1 region: 3 fetched, 1 skipped, 0 failed (30 records); Athena returned 120 rows (4,000 flow records) from flowlogs.east; 50 conversations.');
  // a scan below Athena's minimum: billed as the minimum, said once, on the scan (before: "Athena scanned 0 B ($0.000052), estimated 0 B ($0.000052)")
  const small = athena('crawled', {}, { scannedBytes: 0, scannedUsd: 0.0000524288, estimatedBytes: 0, estimatedUsd: 0.0000524288 });
  assert.equal(refreshMessage('vpc', result([small], 8)), 'Flowlens: refreshed vpc: Athena returned no rows from flowlogs.crawled; 8 conversations. '
    + "Athena scanned 0 B (billed as Athena's 10.0 MiB minimum: $0.000052), estimated 0 B ($0.000052).");
  assert.equal(acquireNotification(result([{ ...small, athena: { ...small.athena!, scannedBytes: undefined, scannedUsd: undefined } }], 8)).text,
    "Flowlens: read 1 account × 1 region: Athena returned no rows from flowlogs.crawled; 8 conversations. Athena scanned nothing (not run), estimated 0 B (billed as Athena's 10.0 MiB minimum: $0.000052).");
  // S3 alone: as it was
  assert.equal(refreshMessage('vpc', result([s3], 20)), 'Flowlens: refreshed vpc: fetched 3 new objects (30 records), 1 already loaded; 20 conversations.');
  assert.equal(acquireNotification(result([s3], 20)).text, 'Flowlens: read 1 account × 1 region: 3 fetched, 1 skipped, 0 failed; 30 records, 20 conversations.');
});
