/**
 * Flow-log discovery without reading anything: for each target account (resolveTargets) and region, ec2
 * DescribeFlowLogs, as a list the user can choose from (where each flow log delivers, in which format and layout)
 * and the `sources` spec acquire() accepts for it. An account that cannot be signed in to, or a region whose call
 * fails, is an issue naming account, region and reason; the others are listed.
 */
import { EC2Client, paginateDescribeFlowLogs, type FlowLog } from '@aws-sdk/client-ec2';
import type { AwsIssue, DiscoveredFlowLog } from '../../protocol/reports';
import type { DiscoverResult } from '../../protocol/worker';
import { streamOfArn } from '../flowlogs/firehose';
import { DEFAULT_FORMAT } from '../model/flowFields';
import { clientConfig, type AwsSettings } from './clients';
import type { MfaCodeProvider } from './credentials';
import { describeAwsError, foldIssues } from './errors';
import { everyPage } from './paging';
import { mapPool } from './pool';
import { profileSettings, type ProfileFiles } from './profiles';
import { resolveTargets, type Target } from './targets';

export interface DiscoverOptions {
  profile?: string | string[];
  role?: string;
  externalId?: string;
  accounts?: string[];
  regions: string[];
  files?: ProfileFiles;
  mfaCodeProvider?: MfaCodeProvider;
  settings?: AwsSettings;
  signal?: AbortSignal;
  /** Account x region calls in parallel (default 4). */
  concurrency?: number;
}

const DEFAULT_FORMAT_TEXT = DEFAULT_FORMAT.map((f) => `\${${f.name}}`).join(' ');

/** One DescribeFlowLogs entry as a discovered flow log (undefined when it names no destination at all). */
export function describedFlowLog(f: FlowLog, account: string, region: string): DiscoveredFlowLog | undefined {
  const base = {
    account,
    region,
    flowLogId: f.FlowLogId ?? '',
    ...(f.ResourceId ? { resourceId: f.ResourceId } : {}),
    ...(f.LogFormat ? { logFormat: f.LogFormat } : {}),
    defaultFormat: !f.LogFormat || f.LogFormat.trim().replace(/\s+/g, ' ') === DEFAULT_FORMAT_TEXT,
    ...(f.TrafficType ? { trafficType: f.TrafficType } : {}),
    ...(f.FlowLogStatus ? { status: f.FlowLogStatus } : {}),
  };
  const type = f.LogDestinationType ?? (f.LogGroupName ? 'cloud-watch-logs' : '');
  if (type === 's3' && f.LogDestination) {
    const m = /^arn:aws[\w-]*:s3:::([^/]+)\/?(.*)$/.exec(f.LogDestination);
    if (!m) return { ...base, destinationType: type, destination: f.LogDestination };
    const prefix = m[2]!.replace(/\/+$/, '');
    const uri = `s3://${m[1]}/${prefix}`;
    return {
      ...base,
      destinationType: type,
      destination: uri,
      fileFormat: f.DestinationOptions?.FileFormat === 'parquet' ? 'parquet' : 'plain-text',
      hive: !!f.DestinationOptions?.HiveCompatiblePartitions,
      perHour: !!f.DestinationOptions?.PerHourPartition,
      sources: uri,
    };
  }
  if (type === 'cloud-watch-logs') {
    const group = f.LogGroupName ?? /:log-group:([^:]+)/.exec(f.LogDestination ?? '')?.[1];
    if (!group) return undefined;
    return { ...base, destinationType: type, destination: group, sources: `logs:${group}` };
  }
  const stream = type === 'kinesis-data-firehose' ? streamOfArn(f.LogDestination)?.name : undefined;
  // read from the stream's S3 destination, which acquire asks Firehose for (aws/firehose.ts)
  if (stream) return { ...base, destinationType: type, destination: f.LogDestination!, sources: `firehose:${stream}` };
  if (!type && !f.LogDestination) return undefined;
  // a type this version does not know: listed, but acquire cannot read it back
  return { ...base, destinationType: type || 'unknown', destination: f.LogDestination ?? '' };
}

async function describeAll(target: Target, region: string, settings: AwsSettings, signal?: AbortSignal): Promise<FlowLog[]> {
  const ec2 = new EC2Client(clientConfig('EC2', region, target.credentials, settings));
  try {
    const out: FlowLog[] = [];
    await everyPage(paginateDescribeFlowLogs({ client: ec2 }, {}, signal ? { abortSignal: signal } : {}), 'NextToken', (page) => out.push(...(page.FlowLogs ?? [])), {
      beforeNext: async () => signal?.throwIfAborted(),
    });
    return out;
  } finally {
    ec2.destroy();
  }
}

/** Lists the flow logs of every target account and region; sorted by account, region, flow log id. */
export async function discoverFlowLogs(opts: DiscoverOptions): Promise<DiscoverResult> {
  if (!opts.regions.length) throw new Error('name at least one region');
  const firstProfile = Array.isArray(opts.profile) ? opts.profile[0] : opts.profile;
  const settings: AwsSettings = {
    ...(firstProfile ? { profileSettings: await profileSettings(firstProfile, opts.files) } : {}),
    ...opts.settings,
  };
  const { targets, issues } = await resolveTargets({
    ...(opts.profile !== undefined ? { profile: opts.profile } : {}),
    ...(opts.role ? { role: opts.role } : {}),
    ...(opts.externalId ? { externalId: opts.externalId } : {}),
    ...(opts.accounts?.length ? { accounts: opts.accounts } : {}),
    ...(opts.files ? { files: opts.files } : {}),
    ...(opts.mfaCodeProvider ? { mfaCodeProvider: opts.mfaCodeProvider } : {}),
    settings,
    stsRegion: opts.regions[0]!,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const units = targets.flatMap((t) => opts.regions.map((region) => ({ t, region })));
  const found = await mapPool(
    units,
    opts.concurrency ?? 4,
    async ({ t, region }) => {
      try {
        const fls = await describeAll(t, region, settings, opts.signal);
        return fls.map((f) => describedFlowLog(f, t.accountId, region)).filter((x): x is DiscoveredFlowLog => !!x);
      } catch (err) {
        if (opts.signal?.aborted) throw err;
        issues.push(describeAwsError(err, { account: t.accountId, region, api: 'ec2:DescribeFlowLogs' }));
        return [];
      }
    },
    opts.signal,
  );
  const flowLogs = found.flat().sort((a, b) => a.account.localeCompare(b.account) || a.region.localeCompare(b.region) || a.flowLogId.localeCompare(b.flowLogId));
  return { flowLogs, issues: foldIssues(issues, (api) => (api === 'ec2:DescribeFlowLogs' ? 'flow logs are not listed' : undefined)), accounts: targets.map((t) => t.accountId) };
}
