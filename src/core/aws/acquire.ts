/**
 * AWS acquisition end to end, for the CLI and the editor: credentials and fan-out → inventory collection → load
 * into the dataset → flow-log discovery → fetch (S3, CloudWatch Logs, Athena, Firehose's S3 objects) → ingest, with checkpoints. One
 * account or region failing is reported (account, region, API) and the others complete; a cancel (AbortSignal)
 * stops between objects and leaves the dataset consistent.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AthenaClient } from '@aws-sdk/client-athena';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { GlueClient } from '@aws-sdk/client-glue';
import { S3Client } from '@aws-sdk/client-s3';
import type { AwsSource, EnrichOptions, Progress } from '../../protocol/enrich';
import type { AcquireSummary, AthenaScan, AthenaTableCreation, AwsIssue, SourceReport } from '../../protocol/reports';
import type { AthenaTableRequest } from '../../protocol/worker';
import { formatBytes, formatTime, plural } from '../format';
import { streamOfArn } from '../flowlogs/firehose';
import { loadInventory } from '../inventory/load';
import type { Obj } from '../inventory/util';
import type { Db } from '../store/db';
import { parseTime } from '../time';
import { readAthenaSource, readBeforeText } from './athena';
import { billedAtMinimum, formatScanCost } from './athenaTable';
import { athenaYield, pulledCounts } from './readSummary';
import { createAthenaTable } from './athenaCreate';
import { ensureCheckpoints } from './checkpoints';
import { clientConfig, type AwsSettings } from './clients';
import { readCloudWatchSource } from './cloudwatch';
import { collectInventory } from './collect';
import { describeAwsError, isBrokenAnswer } from './errors';
import { describedStreams, firehoseSources, readFirehoseSource } from './firehose';
import { fetchIpRanges } from './ipranges';
import { profileSettings } from './profiles';
import { Mutex, readS3Source } from './s3';
import { redact } from './secrets';
import { parseSourceSpec, sourcesFromFlowLogs, type AthenaSource, type FlowLogSource } from './sources';
import { resolveTargets, type Target } from './targets';

/** What acquire() is given besides the source: cancellation, progress and the MFA prompt. */
export type AcquireRun = Pick<EnrichOptions, 'signal' | 'onProgress' | 'mfaCodeProvider'>;

function flowLogsOf(file: string): unknown[] {
  try {
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { FlowLogs?: unknown[] } | { FlowLogs?: unknown[] }[];
    return (Array.isArray(doc) ? doc : [doc]).flatMap((d) => d.FlowLogs ?? []);
  } catch {
    return [];
  }
}

/**
 * What consecutive runs of one source share (a follower's cycles): the accounts signed in to, whose credential
 * providers refresh by themselves, so a cycle does not assume every role again.
 */
export interface AcquireSession {
  signedIn?: { targets: Target[]; issues: AwsIssue[] };
}

/** A source named for one account and region (`<account>/<region>=<source>`, as the editor names a discovered flow log). */
function scopedSpec(spec: string): { account: string; region: string; inner: string } | undefined {
  const m = /^(\d{12})\/([a-z0-9-]+)=(.+)$/.exec(spec);
  return m ? { account: m[1]!, region: m[2]!, inner: m[3]! } : undefined;
}

/** How AWS is reached for a source: its settings over the starting profile's (endpoint, CA bundle, region). */
async function settingsOf(source: AwsSource): Promise<AwsSettings> {
  const firstProfile = Array.isArray(source.profile) ? source.profile[0] : source.profile;
  return { ...(firstProfile ? { profileSettings: await profileSettings(firstProfile, source.files) } : {}), ...source.settings };
}

/** The accounts of a source signed in to (its profiles, or its role assumed in its accounts), each checked. */
function signIn(opts: AwsSource & AcquireRun, settings: AwsSettings): Promise<{ targets: Target[]; issues: AwsIssue[] }> {
  return resolveTargets({
    ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
    ...(opts.role ? { role: opts.role } : {}),
    ...(opts.externalId ? { externalId: opts.externalId } : {}),
    ...(opts.accounts ? { accounts: opts.accounts } : {}),
    ...(opts.files ? { files: opts.files } : {}),
    ...(opts.mfaCodeProvider ? { mfaCodeProvider: opts.mfaCodeProvider } : {}),
    settings,
    stsRegion: opts.regions[0]!,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
}

/**
 * The editor's "Create the Athena table…": the DDL a run showed for one of its Athena sources (`request.table`, the
 * source's report id athena://<catalog>/<database>/<table>, of `request.account`), run with what that run read the
 * source with: the same profiles or role and account, region, catalog, workgroup and output location.
 */
export async function createAthenaTableFor(request: AthenaTableRequest, run: AcquireRun = {}): Promise<AthenaTableCreation> {
  const source = { ...request.source, ...run };
  const spec = (source.sources ?? []).map((x) => scopedSpec(x) ?? { account: undefined, region: undefined, inner: x })
    .filter((x) => x.inner.startsWith('athena:') && (!x.account || x.account === request.account))
    .map((x) => parseSourceSpec(x.inner, request.account, x.region ?? request.region, source.regions) as AthenaSource)
    .find((x) => x.id === request.table);
  if (!spec) throw new Error(`${request.table} is not an Athena source of this run`);
  const settings = await settingsOf(source);
  const { targets, issues } = await signIn(source, settings);
  const target = targets.find((t) => t.accountId === request.account);
  const base = { source: spec.id, account: spec.account, region: spec.region, catalog: spec.catalog ?? 'AwsDataCatalog', database: spec.database, table: spec.table,
    workgroup: source.athena?.workgroup ?? 'primary', statements: [], created: false };
  if (!target) {
    return { ...base, issue: issues.find((i) => i.account === request.account) ?? issues[0]
      ?? { account: request.account, api: 'credentials', code: 'NoCredentials', message: `account ${request.account} could not be signed in to` } };
  }
  const athena = new AthenaClient(clientConfig('ATHENA', spec.region, target.credentials, settings));
  try {
    return await createAthenaTable(athena, spec, request.ddl, {
      ...source.athena, principal: target.arn, ...(run.signal ? { signal: run.signal } : {}),
      ...(run.onProgress ? { onProgress: (m: string) => run.onProgress!({ phase: 'flow-logs', message: redact(m) }) } : {}),
    });
  } finally {
    athena.destroy();
  }
}

export async function acquire(db: Db, source: AwsSource, run: AcquireRun = {}, session?: AcquireSession): Promise<AcquireSummary> {
  const opts = { ...source, ...run };
  const t0 = Date.now();
  const now = new Date();
  const since = parseTime(opts.since, now);
  const until = opts.until ? parseTime(opts.until, now) : now;
  if (since >= until) throw new Error(`the window is empty: since ${since.toISOString()} is not before until ${until.toISOString()}`);
  if (!opts.regions.length) throw new Error('name at least one region');
  const progress = (phase: Progress['phase'], message: string, done?: number, total?: number) =>
    opts.onProgress?.({ phase, message: redact(message), ...(done !== undefined ? { done } : {}), ...(total !== undefined ? { total } : {}) });
  const settings = await settingsOf(opts);
  const summary: AcquireSummary = {
    window: { since: since.toISOString(), until: until.toISOString() },
    accounts: [],
    regions: opts.regions,
    inventory: { files: 0, items: 0, calls: 0, loaded: 0, warnings: [] },
    ipRanges: { status: 'none' },
    sources: [],
    fetched: 0,
    skipped: 0,
    failed: 0,
    records: 0,
    bytes: 0,
    issues: [],
    athenaSql: [],
    seconds: 0,
  };
  await ensureCheckpoints(db);

  let signedIn = session?.signedIn;
  if (!signedIn) {
    progress('inventory', 'resolving credentials');
    signedIn = await signIn(opts, settings);
    // Kept for the next run when every account signed in (a failed one is tried again next time).
    if (session && signedIn.issues.length === 0 && signedIn.targets.length) session.signedIn = signedIn;
  }
  const { targets, issues } = signedIn;
  summary.issues.push(...issues);
  summary.accounts = targets.map((t) => t.accountId);
  const dumpDir = opts.dumpDir ?? `${db.path === ':memory:' ? join(process.cwd(), 'flowlens') : db.path}.aws`;

  // ------------------------------------------------------------------ inventory
  // each account and region's DescribeFlowLogs dump, and the Firehose streams its flow logs publish to
  const flowLogFiles: { target: Target; region: string; file: string; streams: Map<string, Obj> }[] = [];
  if (opts.inventory !== false && targets.length) {
    const rep = await collectInventory({
      targets,
      regions: opts.regions,
      dumpDir,
      settings,
      since,
      until,
      ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
      ...(opts.cloudTrailPerSecond ? { cloudTrailPerSecond: opts.cloudTrailPerSecond } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
      onProgress: (m) => progress('inventory', m),
    });
    summary.inventory.files = rep.files.length;
    summary.inventory.items = rep.items;
    summary.inventory.calls = rep.calls;
    summary.issues.push(...rep.issues);
    const ip = await fetchIpRanges({
      allow: !!opts.ipRanges,
      cacheFile: opts.ipRangesCache ?? join(dumpDir, 'ip-ranges.json'),
      ...(opts.ipRangesUrl ? { url: opts.ipRangesUrl } : {}),
      settings,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    summary.ipRanges = { status: ip.status, ...(ip.syncToken ? { syncToken: ip.syncToken } : {}) };
    if (ip.error) summary.issues.push({ api: 'ip-ranges', code: 'FetchFailed', message: ip.error });
    progress('inventory', `loading ${rep.files.length} inventory responses`);
    try {
      const loaded = await loadInventory(db, [...rep.files, ...(ip.path ? [ip.path] : [])], opts.signal ? { signal: opts.signal } : {});
      summary.inventory.loaded = loaded.files.filter((f) => f.status === 'loaded' || f.status === 'duplicate').length;
      summary.inventory.warnings = [...loaded.warnings, ...loaded.files.filter((f) => f.status === 'unrecognised').map((f) => `${f.name}: not an AWS inventory response Flowlens recognises; skipped`)];
      for (const f of loaded.files) if (f.status === 'failed') summary.issues.push({ api: 'inventory-load', code: 'LoadFailed', message: f.error ?? 'failed', resource: f.name });
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      // The responses stay in the dump folder; flow logs are still read.
      summary.issues.push({ api: 'inventory-load', code: 'LoadFailed', message: redact((err as Error).message), resource: dumpDir });
    }
    for (const t of targets)
      for (const region of opts.regions) {
        const file = join(dumpDir, t.accountId, region, 'ec2.DescribeFlowLogs.json');
        const streams = join(dumpDir, t.accountId, region, 'firehose.DescribeDeliveryStream.json');
        if (rep.files.includes(file)) flowLogFiles.push({ target: t, region, file, streams: rep.files.includes(streams) ? describedStreams(streams) : new Map() });
      }
  }

  // ------------------------------------------------------------------ sources
  const sources: { src: FlowLogSource; target: Target }[] = [];
  /** A Firehose stream named as a source (`firehose:<name or ARN>`): from the flow logs that publish to it. */
  const namedStream = (stream: string, places: { target: Target; region: string }[]) => {
    const name = streamOfArn(stream)?.name ?? stream;
    let found = false;
    for (const { target, region } of places) {
      const e = flowLogFiles.find((x) => x.target === target && x.region === region);
      if (!e) continue;
      const fh = firehoseSources(flowLogsOf(e.file) as never, e.streams, target.accountId, region, [name]);
      summary.issues.push(...fh.issues);
      for (const src of fh.sources) sources.push({ src, target });
      found ||= fh.sources.length + fh.issues.length > 0;
    }
    if (!found) {
      summary.issues.push({
        api: 'sources', code: 'NotFound', resource: stream,
        message: `no flow log publishes to the Firehose stream ${name} in ${places.map((p) => `${p.target.accountId}/${p.region}`).join(', ') || 'any account signed in to'} (as the inventory's DescribeFlowLogs says)`,
      });
    }
  };
  if (opts.sources?.length) {
    for (const spec of opts.sources) {
      if (!targets.length) break;
      const scoped = scopedSpec(spec);
      if (scoped) {
        const { account, region, inner } = scoped;
        const t = targets.find((x) => x.accountId === account);
        if (!t) {
          summary.issues.push({ account, region, api: 'sources', code: 'NoCredentials', message: `source ${inner} belongs to account ${account}, which could not be signed in to` });
          continue;
        }
        if (inner.startsWith('firehose:')) namedStream(inner.slice('firehose:'.length), [{ target: t, region }]);
        else sources.push({ src: parseSourceSpec(inner, account, region, [region], [account]), target: t });
        continue;
      }
      if (spec.startsWith('firehose:')) {
        namedStream(spec.slice('firehose:'.length), targets.flatMap((t) => opts.regions.map((region) => ({ target: t, region }))));
        continue;
      }
      if (/^(logs|cwl|cloudwatch):/.test(spec)) {
        for (const t of targets) for (const r of opts.regions) sources.push({ src: parseSourceSpec(spec, t.accountId, r, opts.regions), target: t });
      } else {
        const t = targets[0]!;
        sources.push({ src: parseSourceSpec(spec, t.accountId, opts.regions[0]!, opts.regions, opts.accounts), target: t });
      }
    }
  } else {
    for (const { target, region, file, streams } of flowLogFiles) {
      const fls = flowLogsOf(file);
      const fh = firehoseSources(fls as never, streams, target.accountId, region);
      summary.issues.push(...fh.issues);
      for (const src of [...sourcesFromFlowLogs(fls as never, target.accountId, region), ...fh.sources]) sources.push({ src, target });
    }
  }

  const lock = new Mutex();
  for (const [i, { src, target }] of sources.entries()) {
    opts.signal?.throwIfAborted();
    progress('flow-logs', `reading ${src.id}`, i, sources.length);
    let rep: SourceReport;
    try {
      if (src.kind === 's3') {
        const s3 = new S3Client(clientConfig('S3', src.region, target.credentials, settings));
        try {
          const read = src.firehose ? readFirehoseSource : readS3Source;
          rep = await read(db, s3, src, {
            since,
            until,
            ...(opts.s3Concurrency ? { concurrency: opts.s3Concurrency } : {}),
            ...(opts.signal ? { signal: opts.signal } : {}),
            onProgress: (m, d, n) => progress('flow-logs', m, d, n),
          }, lock);
        } finally {
          s3.destroy();
        }
      } else if (src.kind === 'cloudwatch') {
        const logs = new CloudWatchLogsClient(clientConfig('CLOUDWATCH_LOGS', src.region, target.credentials, settings));
        try {
          rep = await readCloudWatchSource(db, logs, src, {
            since,
            until,
            ...(opts.logsPerSecond ? { perSecond: opts.logsPerSecond } : {}),
            ...(opts.signal ? { signal: opts.signal } : {}),
            onProgress: (m, d, n) => progress('flow-logs', m, d, n),
          }, lock);
        } finally {
          logs.destroy();
        }
      } else {
        const athena = new AthenaClient(clientConfig('ATHENA', src.region, target.credentials, settings));
        // the table's objects are listed for the scan estimate; its registered partitions read when their keys say nothing by name
        const s3 = new S3Client(clientConfig('S3', src.region, target.credentials, settings));
        const glue = new GlueClient(clientConfig('GLUE', src.region, target.credentials, settings));
        const athenaOpts = {
          ...opts.athena, since, until, regions: opts.regions, s3, glue, ...(opts.signal ? { signal: opts.signal } : {}), onProgress: (m: string) => progress('flow-logs', m),
        };
        try {
          rep = await readAthenaSource(db, athena, src, athenaOpts, lock);
          // no such table, and asked to create it: the one DDL shown runs, then the table is read in this run
          const ddl = rep.athena?.ddl ?? [];
          if (opts.athena?.createTable && ddl.length) {
            const made = ddl.length === 1 ? await createAthenaTable(athena, src, ddl[0]!, { ...athenaOpts, principal: target.arn }) : undefined;
            summary.athenaSql.push(...(made?.statements ?? []));
            if (made?.created) {
              rep = await readAthenaSource(db, athena, src, athenaOpts, lock);
              rep.athena = { ...rep.athena!, created: made.statements };
            } else {
              rep.issues.push(made?.issue ?? {
                account: src.account, region: src.region, api: 'athena', code: 'SeveralTables', resource: src.id,
                message: `the account's S3 flow logs in the regions read differ in bucket, layout or format: ${ddl.length} statements, one per flow log, and Flowlens does not choose; nothing was created (run the one for the flow logs you want by hand in Athena, or read only the region of one flow log)`,
              });
            }
          }
        } finally {
          athena.destroy();
          s3.destroy();
          glue.destroy();
        }
        if (rep.sql) summary.athenaSql.push(rep.sql);
      }
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      rep = { source: src.id, kind: src.kind, account: src.account, region: src.region, fetched: 0, skipped: 0, failed: 1, records: 0, bytes: 0, files: [], issues: [describeAwsError(err, { account: src.account, region: src.region, api: src.kind, resource: src.id })] };
    }
    summary.sources.push(rep);
    summary.issues.push(...rep.issues);
    summary.fetched += rep.fetched;
    summary.skipped += rep.skipped;
    summary.failed += rep.failed;
    summary.records += rep.records;
    summary.bytes += rep.bytes;
  }
  summary.seconds = (Date.now() - t0) / 1000;
  return summary;
}

/**
 * One issue on one line: API, account, region, resource, then AWS's code and message (redacted by the caller);
 * an answer that was not the API's in plain words only.
 */
export function formatAwsIssue(i: AwsIssue): string {
  const where = [i.api, i.account && `account ${i.account}`, i.region, i.resource].filter(Boolean).join(' ');
  return isBrokenAnswer(i) ? `${where}: ${i.message}` : `${where}: ${i.code}: ${i.message}`;
}

/** An Athena reduction's cost and yield on one line: the scan estimated and actual, in bytes and dollars, and the rows. */
export function athenaScanLine(a: AthenaScan): string {
  // (Athena's minimum said once: on the scan it was billed for, else on the estimate)
  const scanned = a.scannedBytes === undefined ? [] : [{ bytes: a.scannedBytes, usd: a.scannedUsd ?? 0 }];
  const cost = (b: number | undefined, d: number | undefined, minimumSaid = false) => (b === undefined ? 'unknown' : formatScanCost([{ bytes: b, usd: d ?? 0 }], { minimumSaid }));
  return `estimated scan ${cost(a.estimatedBytes, a.estimatedUsd, billedAtMinimum(scanned) > 0)}, scanned ${cost(a.scannedBytes, a.scannedUsd)} at $${a.pricePerTb}/TB`
    + `${a.reused ? ' (a result Athena kept of the same query, reused)' : ''}; `
    + `${plural(a.rows, 'row')} of ${a.windowSeconds}-second windows; partitions ${a.partitions.join(', ') || 'none recognised'}`
    + (a.partitionsUnread ? `; ${a.partitionsUnread}` : '')
    + (a.partitionsMissing ? `; ${a.partitionsMissing}` : '')
    + (a.partitionsEnd ? `; ${a.partitionsEnd}` : '')
    + (a.settleMinutes && !a.partitionsEnd ? `; window read to ${formatTime(a.until!)} (the last ${a.settleMinutes} minutes, still being delivered to S3, are left for the next run)` : '')
    + (a.sameLocation ? `; ${a.sameLocation}` : '')
    + (a.readBefore ? `; ${readBeforeText(a.readBefore)}` : '');
}

/** A short human summary: what was fetched, skipped, failed, and every issue on its own line. */
export function formatAcquireSummary(s: AcquireSummary): string {
  const pulled = pulledCounts(s);
  const athena = athenaYield(s.sources, 'below');
  const downloaded = s.sources.filter((x) => x.kind === 'athena').reduce((n, x) => n + x.bytes, 0);
  const lines = [
    `window ${s.window.since} .. ${s.window.until}; accounts ${s.accounts.join(', ') || '(none)'}; regions ${s.regions.join(', ')}`,
    `inventory: ${s.inventory.files} responses (${s.inventory.items} items, ${s.inventory.calls} calls), ${s.inventory.loaded} loaded; ip-ranges ${s.ipRanges.status}`,
    // objects and hours of events; what Athena's tables returned apart (rows, not objects)
    ...(!athena || pulled.sources ? [`flow logs: ${pulled.fetched} fetched, ${pulled.skipped} skipped (already loaded), ${pulled.failed} failed; `
      + `${plural(pulled.records, 'record')}, ${formatBytes(pulled.bytes)} from ${plural(pulled.sources, 'source')}`] : []),
    ...(athena ? [`${athena}${downloaded ? `; ${formatBytes(downloaded)} of results downloaded` : ''}`] : []),
    ...s.athenaSql.map((q) => `Athena SQL:\n${q}`),
    // (a table whose whole window the dataset held: no query, no scan to say)
    ...s.sources.filter((x) => x.athena && !x.athena.ddl?.length).map((x) => `Athena ${x.source}: ${x.athena!.readBefore && x.skipped && !x.sql
      ? `${x.athena!.sameLocation ? `${x.athena!.sameLocation}; ` : ''}${readBeforeText(x.athena!.readBefore)}; nothing ran` : athenaScanLine(x.athena!)}`),
    ...s.sources.filter((x) => x.athena?.created).map((x) => `Athena ${x.source}: the table was created (the statements above), then read`),
    ...s.sources.flatMap((x) => (x.athena?.ddl ?? []).map((d) => `Athena table to create for ${x.source} (run it in Athena, or let Flowlens run it: --create-athena-table; then read the source again):\n${d}`)),
    ...s.issues.map((i) => `  ! ${formatAwsIssue(i)}`),
    `done in ${s.seconds.toFixed(1)} s`,
  ];
  return redact(lines.join('\n'));
}

