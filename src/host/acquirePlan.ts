/**
 * The AWS path of the enrich wizard without 'vscode': the plan's AWS source, discovery through the worker, the
 * per-account summary written to the output channel, and the notification text. Tested with node --test.
 */
import type { AthenaSettings, AwsSource } from '../protocol/enrich';
import type { DiscoveredFlowLog, DiscoveryProblem, EnrichPlan, FlowLogLocation, WizardDeps } from './enrichWizard';
import type { AthenaTableRequest, DiscoverRequest, DiscoverResult, EnrichRequest, EnrichResult } from '../protocol/worker';
import type { AcquireSummary, AthenaScan, AthenaTableCreation, SourceReport } from '../protocol/reports';
import { athenaYield, pulledCounts, tableName, whose } from '../core/aws/readSummary';
import { billedAtMinimum, formatScanCost } from '../core/aws/athenaTable';
import { formatBytes, formatCount, formatTime, plural } from '../shared/numbers';

/** An enrichment that read from AWS: its result with the AWS summary. */
export type AwsEnrichResult = EnrichResult & { aws: NonNullable<EnrichResult['aws']> };

/** The pseudo flow log offered by the wizard's flow-logs step: "every flow log acquire discovers". */
export const DISCOVER_ALL_ID = 'discover-all';

export function discoverAllChoice(q: { profile: string; accounts?: string[]; regions: string[] }): DiscoveredFlowLog {
  return {
    id: DISCOVER_ALL_ID,
    accountId: q.accounts?.length ? q.accounts.join(', ') : `the account of ${q.profile}`,
    region: q.regions.join(', '),
    destinationType: 'discovered while reading',
    destination: 'Every flow log (S3 or CloudWatch Logs) that DescribeFlowLogs lists in these accounts and regions',
    format: 'default',
  };
}

/** A typed location as the engine's source spec: logs:<group>, s3://bucket/prefix, athena:[catalog.]db.table. */
export function locationSpec(l: FlowLogLocation): string {
  switch (l.kind) {
    case 'cloudwatch':
      return `logs:${l.logGroup}`;
    case 's3':
      return `s3://${l.bucket}/${l.prefix}`;
    case 'athena':
      return `athena:${l.catalog ? `${l.catalog}.` : ''}${l.database}.${l.table}`;
  }
}

/** Whether a source spec (scoped `<account>/<region>=` or not) is an Athena table. */
export function isAthenaSpec(spec: string): boolean {
  return /^(\d{12}\/[a-z0-9-]+=)?athena:/.test(spec);
}

/** A discovered flow log as acquire's source, scoped to its own account and region. */
function flowLogSpec(f: DiscoveredFlowLog): string | undefined {
  const spec = unscopedSpec(f);
  return spec && f.accountId && f.region ? `${f.accountId}/${f.region}=${spec}` : spec;
}

function unscopedSpec(f: DiscoveredFlowLog): string | undefined {
  if (f.id === DISCOVER_ALL_ID) return undefined;
  if (f.source) return f.source;
  if (f.destinationType === 's3') return f.destination.startsWith('s3://') ? f.destination : `s3://${f.destination.replace(/^arn:aws[a-z-]*:s3:::/, '')}`;
  if (f.destinationType === 'cloud-watch-logs') return `logs:${f.destination.replace(/^arn:aws[a-z-]*:logs:[^:]+:\d{12}:log-group:([^:]+)(?::\*)?$/, '$1')}`;
  return undefined;
}

/**
 * The flowlens.athena.* settings an Athena source runs with: the scan that asks first (confirmScanAbove), how the
 * rows come down, the price per TB.
 */
export type AthenaPreferences = Pick<AthenaSettings, 'maxScanBytes' | 'resultFormat' | 'pricePerTb'>;

/**
 * An AWS plan as the engine's source. Named sources (a typed location, chosen discovered flow logs) replace
 * discovery; "every flow log" alone lets acquire discover them. `ipRanges` is the user's consent; an Athena
 * source runs where the wizard said (workgroup, output location, window) with the settings' `athena`.
 */
export function awsSourceFor(plan: Extract<EnrichPlan, { source: 'aws' }>, o: { ipRanges?: boolean; athena?: AthenaPreferences } = {}): AwsSource {
  // Every discovered flow log and nothing else: acquire's own discovery reads the same ones. A subset is named,
  // each scoped to its own account and region (`<account>/<region>=<source>`).
  const named = plan.allDiscovered && !plan.location ? [] : plan.flowLogs.map(flowLogSpec).filter((x): x is string => !!x);
  const sources = [...named, ...(plan.location ? [locationSpec(plan.location)] : [])];
  // where the wizard said (workgroup, output location, window), with the settings; a query estimated to scan more
  // than maxScanBytes asks first (scanConfirmation)
  const athena: AthenaSettings = { ...plan.athena, ...definedOnly(o.athena ?? {}) };
  return {
    kind: 'aws',
    profile: plan.profile,
    ...(plan.role ? { role: plan.role.name, accounts: plan.role.accounts, ...(plan.role.externalId ? { externalId: plan.role.externalId } : {}) } : {}),
    regions: plan.regions,
    since: plan.window.from.toISOString(),
    until: plan.window.to.toISOString(),
    ...(sources.length ? { sources: [...new Set(sources)] } : {}),
    ipRanges: o.ipRanges === true,
    ...(sources.some(isAthenaSpec) && Object.keys(athena).length ? { athena } : {}),
  };
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/**
 * The request again, its Athena queries allowed to scan `bytes` (what the user confirmed, or the setting's limit
 * when a dataset is refreshed; undefined: no limit); requests without an Athena source as they are.
 */
export function allowScan(r: EnrichRequest, bytes: number | undefined): EnrichRequest {
  if (r.source.kind !== 'aws' || !r.source.sources?.some(isAthenaSpec)) return r;
  const { maxScanBytes: _before, ...athena } = r.source.athena ?? {};
  return { ...r, source: { ...r.source, athena: { ...athena, ...(bytes !== undefined ? { maxScanBytes: bytes } : {}) } } };
}

/**
 * Whether an Athena source of the run did not read its window: it failed, was held back by its estimated scan, or
 * no partition registered for a crawler's table held the window (the crawler had not run since). The dataset's
 * window then stays where it was, and the next Refresh asks for that time again (after the crawler's run, the
 * partitions are there): the tables that did read it hold their results, and read only the time they do not hold.
 */
export function athenaUnread(s: Pick<AcquireSummary, 'sources'> | undefined): boolean {
  return (s?.sources ?? []).some((x) => x.kind === 'athena' && (x.failed > 0 || !!x.athena?.partitionsMissing));
}

/** The button that runs an Athena query held back by its estimated scan. */
export const RUN_QUERY = 'Run the query';

/**
 * An Athena query the run did not start because its estimated scan was above the limit: what to ask the user
 * (the estimate in bytes and dollars, per source) and the limit that lets it run when they say yes.
 */
export function scanConfirmation(r: AwsEnrichResult): { message: string; allowBytes: number } | undefined {
  const held = r.aws.summary.sources.filter((x) => x.athena?.estimatedBytes !== undefined && x.issues.some((i) => i.code === 'ScanLimit'));
  if (!held.length) return undefined;
  const allowBytes = Math.max(...held.map((x) => x.athena!.estimatedBytes!));
  const what = held.map((x) => `${x.source}: about ${formatScanCost([{ bytes: x.athena!.estimatedBytes!, usd: x.athena!.estimatedUsd ?? 0 }], { perTb: x.athena!.pricePerTb })}`).join('; ');
  return { message: `Flowlens: Athena would scan ${what}, more than flowlens.athena.confirmScanAbove allows without asking.${unpruned(held)} Run it?`, allowBytes };
}

type DiscoveryQuery = Parameters<WizardDeps['discoverFlowLogs']>[0];

/** The wizard's discovery question as the worker's `discover` request. */
export function discoverRequestFor(q: DiscoveryQuery): DiscoverRequest {
  return {
    profile: q.profile,
    ...(q.roleName ? { role: q.roleName, accounts: q.accounts ?? [], ...(q.externalId ? { externalId: q.externalId } : {}) } : {}),
    regions: q.regions,
  };
}

/** The worker's discovery as the wizard shows it: one choice per flow log, one problem per account/region failure. */
export function wizardDiscovery(r: DiscoverResult): { flowLogs: DiscoveredFlowLog[]; problems: DiscoveryProblem[] } {
  return {
    flowLogs: r.flowLogs.map((f) => ({
      id: `${f.account}/${f.region}/${f.flowLogId}`,
      flowLogId: f.flowLogId,
      accountId: f.account,
      region: f.region,
      destinationType: f.destinationType,
      destination: f.destination,
      format: f.defaultFormat ? 'default' : (f.logFormat ?? 'default'),
      ...(f.resourceId ? { resourceId: f.resourceId } : {}),
      ...(f.fileFormat ? { fileFormat: f.fileFormat } : {}),
      ...(f.hive !== undefined ? { hive: f.hive } : {}),
      ...(f.perHour !== undefined ? { perHour: f.perHour } : {}),
      ...(f.sources ? { source: f.sources } : {}),
    })),
    problems: r.issues.map((i) => ({
      ...(i.account ? { account: i.account } : {}),
      ...(i.region ? { region: i.region } : {}),
      api: i.api,
      code: i.code,
      message: i.message,
    })),
  };
}

/**
 * The wizard's discovery through the worker; a failure of the whole call (no profile could sign in, the
 * worker stopped) becomes one problem so the step still offers "Another source…".
 */
export function discoveryThroughWorker(
  request: (params: DiscoverRequest) => Promise<DiscoverResult>,
): WizardDeps['discoverFlowLogs'] {
  return async (q) => {
    try {
      return wizardDiscovery(await request(discoverRequestFor(q)));
    } catch (err) {
      return { flowLogs: [], problems: [{ api: 'discovery', message: err instanceof Error ? err.message : String(err) }] };
    }
  };
}

/** One line per account and region: sources read, objects fetched / skipped / failed, records; then every issue. */
export function perAccountLines(r: AwsEnrichResult): string[] {
  const s = r.aws.summary;
  const by = new Map<string, { sources: number; fetched: number; skipped: number; failed: number; records: number }>();
  for (const src of s.sources) {
    const key = `${src.account} ${src.region}`;
    const e = by.get(key) ?? { sources: 0, fetched: 0, skipped: 0, failed: 0, records: 0 };
    e.sources++;
    e.fetched += src.fetched;
    e.skipped += src.skipped;
    e.failed += src.failed;
    e.records += src.records;
    by.set(key, e);
  }
  const lines: string[] = [];
  for (const account of s.accounts.length ? s.accounts : ['(no account)']) {
    const rows = [...by.entries()].filter(([k]) => k.startsWith(`${account} `));
    if (rows.length === 0) {
      lines.push(`  account ${account}: no flow-log source read`);
      continue;
    }
    for (const [k, e] of rows) {
      lines.push(`  account ${k.replace(' ', ', region ')}: ${plural(e.sources, 'source')}, ${formatCount(e.fetched)} fetched, ${formatCount(e.skipped)} skipped, ${formatCount(e.failed)} failed, ${plural(e.records, 'record')}`);
    }
  }
  for (const [k, e] of by) {
    if (!s.accounts.some((a) => k.startsWith(`${a} `))) lines.push(`  account ${k.replace(' ', ', region ')}: ${plural(e.sources, 'source')}, ${formatCount(e.fetched)} fetched, ${formatCount(e.skipped)} skipped, ${formatCount(e.failed)} failed, ${plural(e.records, 'record')}`);
  }
  return lines;
}

/** The engine's message telling the user to run `aws sso login --profile X`, when there is one. */
export function ssoLoginHint(r: AwsEnrichResult | undefined, error?: string): string | undefined {
  const texts = [...(r?.aws.summary.issues.map((i) => i.message) ?? []), ...(error ? [error] : [])];
  return texts.find((t) => /aws sso login --profile/.test(t));
}

export function acquireNotification(r: AwsEnrichResult): { text: string; warn: boolean } {
  const s = r.aws.summary;
  const cost = athenaCost(s);
  // (an Athena table returns rows, not objects: said apart, with the flow records they stand for)
  const athena = athenaYield(s.sources);
  const p = pulledCounts(s);
  const objects = `${p.fetched} fetched, ${p.skipped} skipped, ${p.failed} failed`;
  const read = athena
    ? `${p.sources ? `${objects} (${plural(p.records, 'record')}); ` : ''}${athena}; ${plural(r.conversations, 'conversation')}`
    : `${objects}; ${plural(s.records, 'record')}, ${plural(r.conversations, 'conversation')}`;
  const text =
    `Flowlens: read ${plural(s.accounts.length, 'account')} × ${plural(s.regions.length, 'region')}: ${read}` +
    (s.issues.length ? ` (${plural(s.issues.length, 'issue')})` : '') +
    '.' +
    (cost ? ` ${cost}.` : '');
  return { text, warn: s.failed > 0 || s.issues.length > 0 };
}

/**
 * What the run's Athena queries scanned (their statistics) and were estimated to scan before, in bytes and dollars;
 * '' when no Athena source got as far as an estimate.
 */
/**
 * The tables Athena reads unpruned because the partitions registered for them could not be read (glue:GetPartitions
 * refused): said beside their scan, so that a large estimate has its reason there (the whole reason is in the log).
 */
function unprunedTables(sources: readonly SourceReport[]): string[] {
  return sources.filter((x) => x.athena?.partitionsUnread).map((x) => tableName(x.source));
}

/** The accounts or regions read only to an earlier time named in a notification; the rest counted. */
const EARLIER_SAID = 3;

/**
 * Where a table whose registered partitions end before the window's end was read to: '2026-09-03 23:00Z', or of
 * accounts or regions read to different times, the latest and those read only to an earlier time: '2026-09-04 03:00Z,
 * only to 2026-09-03 23:00Z for 222222222222 in us-east-1' (so that no account seems to stop at the earliest).
 */
function readTo(a: AthenaScan): string {
  if (!a.endsApart) return formatTime(a.until!);
  const { latest, earlier } = a.endsApart;
  const rest = earlier.length - EARLIER_SAID;
  return `${formatTime(latest)}, only to ${earlier.slice(0, rest > 1 ? EARLIER_SAID : earlier.length).map((e) => `${formatTime(e.until)}${whose(e)}`).join(', to ')}`
    + (rest > 1 ? `, and earlier for ${plural(rest, 'more account or region', 'more accounts or regions')}` : '');
}

/**
 * The crawlers' tables whose registered partitions do not reach the window yet (nothing was read there), or reach
 * only its start (read to where they end), as the notifications name them: 'no partition registered for flowlogs.vpc
 * holds the window yet' (or 'holds some of the window's accounts or regions yet', the rest read), 'flowlogs.vpc is
 * read to 2026-09-03 23:00Z: no partition registered for it holds the rest yet' (or 'is read to 2026-09-04 03:00Z, only
 * to 2026-09-03 23:00Z for 222222222222 in us-east-1: …', accounts read to different times); '' when there are none.
 */
export function unregisteredWindow(sources: readonly SourceReport[]): string {
  // (a table that ran its query read the rest: no partition holds some accounts' or regions' part of the window)
  const names = sources.filter((x) => x.athena?.partitionsMissing && !x.sql).map((x) => tableName(x.source));
  const some = sources.filter((x) => x.athena?.partitionsMissing && x.sql).map((x) => tableName(x.source));
  const partial = sources.filter((x) => x.athena?.partitionsEnd && x.athena.until)
    .map((x) => `${tableName(x.source)} is read to ${readTo(x.athena!)}: no partition registered for it holds the rest yet`);
  return [...(names.length ? [`no partition registered for ${names.join(', ')} holds the window yet`] : []),
    ...(some.length ? [`no partition registered for ${some.join(', ')} holds some of the window's accounts or regions yet`] : []), ...partial].join('; ');
}

function unpruned(sources: readonly SourceReport[]): string {
  const names = unprunedTables(sources);
  return names.length ? ` ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} read whole: glue:GetPartitions was refused, so ${names.length === 1 ? 'its' : 'their'} partitions could not be pruned.` : '';
}

export function athenaCost(s: AcquireSummary): string {
  const scans = s.sources.map((x) => x.athena).filter((a): a is AthenaScan => !!a && (a.scannedBytes !== undefined || a.estimatedBytes !== undefined));
  // (a table that read nothing as no partition holds the window: where its window ended is no news)
  const settled = s.sources.map((x) => x.athena).filter((a): a is AthenaScan => !!a?.settleMinutes && !!a.until && !a.partitionsMissing && !a.partitionsEnd);
  // the window ended before the delivery lag: where, and why (the next Refresh reads the rest)
  const ended = settled.length ? `the window read ends at ${formatTime(settled.map((a) => a.until!).sort()[0]!)}, ${settled[0]!.settleMinutes} minutes before the run: `
    + 'flow logs still being delivered to S3 are read by the next Refresh' : '';
  // (no query ran, as the registered partitions end before the window starts: why, still)
  const unregisteredFirst = unregisteredWindow(s.sources);
  if (!scans.length) return [ended ? `Athena: ${ended}` : '', unregisteredFirst ? `Athena: ${unregisteredFirst} (see Show details)` : ''].filter(Boolean).join('; ');
  const known = (of: (a: AthenaScan) => [number | undefined, number | undefined]) => scans.map(of)
    .filter((x): x is [number, number | undefined] => x[0] !== undefined).map(([bytes, usd]) => ({ bytes, usd: usd ?? 0 }));
  const [ran, guessed] = [known((a) => [a.scannedBytes, a.scannedUsd]), known((a) => [a.estimatedBytes, a.estimatedUsd])];
  // (Athena's minimum said once, on the scan it was billed for, else on the estimate)
  const scanned = ran.length ? formatScanCost(ran) : undefined;
  const estimated = guessed.length ? formatScanCost(guessed, { minimumSaid: billedAtMinimum(ran) > 0 }) : undefined;
  const reused = scans.some((a) => a.reused) ? ', a result Athena kept reused' : '';
  const whole = unprunedTables(s.sources);
  // a crawler's table whose registered partitions do not reach the window yet: nothing was read there, and why
  const missing = unregisteredFirst ? `; ${unregisteredFirst} (see Show details)` : '';
  return `Athena scanned ${scanned ?? 'nothing (not run)'}${reused}, estimated ${estimated ?? 'unknown'}${whole.length ? ` (${whole.join(', ')} read whole: glue:GetPartitions refused)` : ''}${missing}${ended ? `; ${ended}` : ''}`;
}

/** The finished notification's button when a run ended with an Athena table to create. */
export const CREATE_TABLE = 'Create the Athena table…';
/** The modal's button that runs the DDL. */
export const CREATE_TABLE_CONFIRM = 'Create the table';
/** After the table is created: the same request again. */
export const READ_AGAIN = 'Read the source again';

/**
 * The Athena table a run showed the DDL of, as the worker's createAthenaTable request: the first Athena source with
 * no table and one statement (several differ in bucket, layout or format: the summary says so, and nothing is
 * offered), read as the run read it (`request`'s AWS source).
 */
export function tableToCreate(r: AwsEnrichResult, request: EnrichRequest): AthenaTableRequest | undefined {
  if (request.source.kind !== 'aws') return undefined;
  const src = r.aws.summary.sources.find((x) => x.kind === 'athena' && x.athena?.ddl?.length === 1);
  if (!src) return undefined;
  return { source: request.source, table: src.source, account: src.account, region: src.region, ddl: src.athena!.ddl![0]! };
}

/** Who the DDL would run as: the profile, or the role assumed in the account. */
function principalOf(s: AwsSource, account: string): string {
  const profile = Array.isArray(s.profile) ? s.profile.join(', ') : (s.profile ?? 'default');
  return s.role ? `role ${s.role} in account ${account} (from profile ${profile})` : `profile ${profile}`;
}

/**
 * The finished notification of a run that read nothing because its Athena table does not exist, when the editor can
 * create it: short, so that its buttons stay on screen (AWS's own words stay in the log: "Show details"); other
 * sources' problems are only counted there.
 */
export function tableMissingMessage(t: AthenaTableRequest, r: AwsEnrichResult, created: boolean): string {
  // (the summary's issues hold every source's)
  const others = r.aws.summary.issues.filter((i) => !(i.code === 'NoSuchTable' && i.resource === t.table)).length;
  return `Flowlens: the Athena table ${tableName(t.table)} does not exist in account ${t.account}, region ${t.region}, so nothing was read and ${
    created ? 'no dataset was made' : 'the dataset is unchanged'}. Flowlens can create it with AWS's DDL for your flow log, shown before anything runs.${
    others ? ` ${others} other problem${others === 1 ? '' : 's'}: see Show details.` : ''}`;
}

/** The modal asked before the DDL runs: where (account, region, workgroup, database.table) and as whom. */
export function createTableQuestion(t: AthenaTableRequest): { message: string; detail: string } {
  const workgroup = t.source.athena?.workgroup ?? 'primary';
  return {
    message: `Create the Athena table ${tableName(t.table)} in account ${t.account}, region ${t.region}, workgroup ${workgroup}?`,
    detail: `Flowlens runs the DDL shown in the editor (AWS's, for your flow log, with partition projection) as ${principalOf(t.source, t.account)}`
      + '; CREATE DATABASE IF NOT EXISTS first if the database is missing. It needs glue:CreateTable (the read-only FlowLogIntrospector role does not have it).',
  };
}

/** What the editor says once the DDL ran, or why it did not (AWS's exact words, in the issue's message). */
export function tableCreationMessage(c: AthenaTableCreation): { text: string; created: boolean } {
  const name = `${c.database}.${c.table}`;
  if (c.created) {
    return { created: true, text: `Flowlens: created the Athena table ${name} in account ${c.account}, region ${c.region}, workgroup ${c.workgroup}${c.statements.length > 1 ? ` (and its database ${c.database})` : ''}. Read the source again?` };
  }
  return { created: false, text: `Flowlens: could not create the Athena table ${name}: ${c.issue?.message ?? 'unknown reason'}` };
}
