/**
 * Inventory collectors: every API response the inventory loader reads, per account x region, pages merged into
 * one document and written as `<dumpDir>/<account>/<region>/<service>.<Operation>.json` (the loader reads the
 * same folder, and a user can inspect it or re-run offline). Per-parent APIs are written as an array of wrappers:
 * GetManagedPrefixListEntries `[{"PrefixListId", "Entries"}]`, DescribeTargetHealth `[{"TargetGroupArn",
 * "TargetHealthDescriptions"}]`, DescribeDBProxyTargets `[{"DBProxyName", "Targets"}]`.
 * Bounded concurrency over account x region; the SDK's adaptive retry absorbs throttling; a failing API is
 * reported with account, region and API while everything else is still collected.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudTrailClient, LookupEventsCommand, type LookupEventsCommandInput } from '@aws-sdk/client-cloudtrail';
import {
  DescribeFlowLogsCommand,
  DescribeInstancesCommand,
  DescribeInternetGatewaysCommand,
  DescribeManagedPrefixListsCommand,
  DescribeNatGatewaysCommand,
  DescribeNetworkInterfacesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  DescribeTransitGatewayAttachmentsCommand,
  DescribeVpcEndpointsCommand,
  DescribeVpcPeeringConnectionsCommand,
  DescribeVpcsCommand,
  EC2Client,
  GetManagedPrefixListEntriesCommand,
} from '@aws-sdk/client-ec2';
import {
  DescribeLoadBalancersCommand,
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeCacheClustersCommand, ElastiCacheClient } from '@aws-sdk/client-elasticache';
import { LambdaClient, ListFunctionsCommand } from '@aws-sdk/client-lambda';
import { DescribeDBClustersCommand, DescribeDBInstancesCommand, DescribeDBProxiesCommand, DescribeDBProxyTargetsCommand, RDSClient } from '@aws-sdk/client-rds';
import { GetResourcesCommand, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { AwsIssue } from '../../protocol/reports';
import { clientConfig, type AwsSettings, type ServiceId } from './clients';
import { describeAwsError } from './errors';
import { mapPool, RateLimiter } from './pool';
import type { Target } from './targets';

export interface CollectOptions {
  targets: Target[];
  regions: string[];
  dumpDir: string;
  settings?: AwsSettings;
  /** The flow window: CloudTrail lifecycle events are looked up over it (with a day's margin before). */
  since: Date;
  until: Date;
  /** Account x region units in parallel (default 4). */
  concurrency?: number;
  /** EC2 describe calls in parallel within one account and region (default 3). */
  apiConcurrency?: number;
  /** LookupEvents calls per second per account and region (AWS allows 2). */
  cloudTrailPerSecond?: number;
  /** Skip CloudTrail (default: collected). */
  cloudTrail?: boolean;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

export interface CollectReport {
  /** Dump files written. */
  files: string[];
  issues: AwsIssue[];
  calls: number;
  items: number;
}

/** The CloudTrail events the inventory rebuilds address and tag history from. */
export const LIFECYCLE_EVENTS = [
  'CreateNetworkInterface',
  'DeleteNetworkInterface',
  'AttachNetworkInterface',
  'DetachNetworkInterface',
  'RunInstances',
  'TerminateInstances',
  'CreateTags',
  'DeleteTags',
];

type AnyClient = { send(cmd: unknown, opts?: unknown): Promise<Record<string, unknown>>; destroy(): void };
type Ctor = new (input: never) => unknown;

interface Unit {
  target: Target;
  region: string;
}

function writeJson(path: string, doc: unknown): void {
  const tmp = `${path}.partial`;
  writeFileSync(tmp, JSON.stringify(doc, null, 1));
  renameSync(tmp, path);
}

export async function collectInventory(o: CollectOptions): Promise<CollectReport> {
  const report: CollectReport = { files: [], issues: [], calls: 0, items: 0 };
  const settings = o.settings ?? {};
  const units: Unit[] = o.targets.flatMap((target) => o.regions.map((region) => ({ target, region })));
  // CloudTrail LookupEvents is limited to 2 calls per second per account and region.
  const trailLimiters = new Map<string, RateLimiter>();

  await mapPool(
    units,
    o.concurrency ?? 4,
    async ({ target, region }) => {
      const account = target.accountId;
      const dir = join(o.dumpDir, account, region);
      mkdirSync(dir, { recursive: true });
      const clients = new Map<ServiceId, AnyClient>();
      const client = (id: ServiceId, C: new (cfg: never) => unknown): AnyClient => {
        let c = clients.get(id);
        if (!c) {
          c = new C(clientConfig(id, region, target.credentials, settings) as never) as AnyClient;
          clients.set(id, c);
        }
        return c;
      };
      const sendOpts = o.signal ? { abortSignal: o.signal } : {};

      /** All pages of one call; returns the list items (and the first page for non-list members). */
      const pages = async (c: AnyClient, Cmd: Ctor, input: Record<string, unknown>, listKey: string, tokenIn: string, tokenOut: string): Promise<unknown[]> => {
        const out: unknown[] = [];
        let token: string | undefined;
        do {
          o.signal?.throwIfAborted();
          const r = await c.send(new Cmd({ ...input, ...(token ? { [tokenIn]: token } : {}) } as never), sendOpts);
          report.calls++;
          const list = r[listKey];
          if (Array.isArray(list)) out.push(...list);
          token = r[tokenOut] as string | undefined;
        } while (token);
        return out;
      };

      const dump = (service: string, op: string, doc: unknown, n: number) => {
        const file = join(dir, `${service}.${op}.json`);
        writeJson(file, doc);
        report.files.push(file);
        report.items += n;
      };

      /** One API; its failure is reported and the rest go on. Returns the items, or undefined on failure. */
      const run = async <T>(api: string, fn: () => Promise<T>): Promise<T | undefined> => {
        try {
          return await fn();
        } catch (err) {
          if (o.signal?.aborted) throw err;
          report.issues.push(describeAwsError(err, { account, region, api }));
          return undefined;
        }
      };

      o.onProgress?.(`inventory ${account} ${region}`);
      const ec2 = client('EC2', EC2Client);
      const simple: [string, Ctor, string][] = [
        ['DescribeVpcs', DescribeVpcsCommand, 'Vpcs'],
        ['DescribeSubnets', DescribeSubnetsCommand, 'Subnets'],
        ['DescribeSecurityGroups', DescribeSecurityGroupsCommand, 'SecurityGroups'],
        ['DescribeNetworkInterfaces', DescribeNetworkInterfacesCommand, 'NetworkInterfaces'],
        ['DescribeInstances', DescribeInstancesCommand, 'Reservations'],
        ['DescribeNatGateways', DescribeNatGatewaysCommand, 'NatGateways'],
        ['DescribeInternetGateways', DescribeInternetGatewaysCommand, 'InternetGateways'],
        ['DescribeVpcEndpoints', DescribeVpcEndpointsCommand, 'VpcEndpoints'],
        ['DescribeVpcPeeringConnections', DescribeVpcPeeringConnectionsCommand, 'VpcPeeringConnections'],
        ['DescribeTransitGatewayAttachments', DescribeTransitGatewayAttachmentsCommand, 'TransitGatewayAttachments'],
        ['DescribeFlowLogs', DescribeFlowLogsCommand, 'FlowLogs'],
      ];
      // A few calls at a time within one account/region; the SDK's adaptive retry slows down if EC2 throttles.
      await mapPool(
        simple,
        o.apiConcurrency ?? 3,
        ([op, Cmd, key]) =>
          run(`ec2:${op}`, async () => {
            const list = await pages(ec2, Cmd, {}, key, 'NextToken', 'NextToken');
            dump('ec2', op, { [key]: list }, list.length);
          }),
        o.signal,
      );
      // AWS-managed prefix lists (gateway endpoints route S3/DynamoDB by them) and their entries.
      const lists = await run('ec2:DescribeManagedPrefixLists', async () => {
        const list = (await pages(ec2, DescribeManagedPrefixListsCommand, {}, 'PrefixLists', 'NextToken', 'NextToken')) as { PrefixListId?: string; PrefixListName?: string; OwnerId?: string }[];
        dump('ec2', 'DescribeManagedPrefixLists', { PrefixLists: list }, list.length);
        return list;
      });
      if (lists) {
        const wanted = lists.filter((l) => l.PrefixListId && (l.OwnerId === 'AWS' || (l.PrefixListName ?? '').startsWith('com.amazonaws.')));
        const entries: unknown[] = [];
        let n = 0;
        for (const l of wanted) {
          await run('ec2:GetManagedPrefixListEntries', async () => {
            const e = await pages(ec2, GetManagedPrefixListEntriesCommand, { PrefixListId: l.PrefixListId }, 'Entries', 'NextToken', 'NextToken');
            entries.push({ PrefixListId: l.PrefixListId, Entries: e });
            n += e.length;
          });
        }
        if (wanted.length) dump('ec2', 'GetManagedPrefixListEntries', entries, n);
      }

      const elb = client('ELASTIC_LOAD_BALANCING_V2', ElasticLoadBalancingV2Client);
      await run('elasticloadbalancing:DescribeLoadBalancers', async () => {
        const list = await pages(elb, DescribeLoadBalancersCommand, {}, 'LoadBalancers', 'Marker', 'NextMarker');
        dump('elbv2', 'DescribeLoadBalancers', { LoadBalancers: list }, list.length);
      });
      const tgs = await run('elasticloadbalancing:DescribeTargetGroups', async () => {
        const list = (await pages(elb, DescribeTargetGroupsCommand, {}, 'TargetGroups', 'Marker', 'NextMarker')) as { TargetGroupArn?: string }[];
        dump('elbv2', 'DescribeTargetGroups', { TargetGroups: list }, list.length);
        return list;
      });
      if (tgs?.length) {
        const health: unknown[] = [];
        let n = 0;
        for (const tg of tgs) {
          await run('elasticloadbalancing:DescribeTargetHealth', async () => {
            const r = await elb.send(new DescribeTargetHealthCommand({ TargetGroupArn: tg.TargetGroupArn }), sendOpts);
            report.calls++;
            const d = (r.TargetHealthDescriptions ?? []) as unknown[];
            health.push({ TargetGroupArn: tg.TargetGroupArn, TargetHealthDescriptions: d });
            n += d.length;
          });
        }
        dump('elbv2', 'DescribeTargetHealth', health, n);
      }

      const rds = client('RDS', RDSClient);
      for (const [op, Cmd, key] of [
        ['DescribeDBInstances', DescribeDBInstancesCommand, 'DBInstances'],
        ['DescribeDBClusters', DescribeDBClustersCommand, 'DBClusters'],
      ] as [string, Ctor, string][]) {
        await run(`rds:${op}`, async () => {
          const list = await pages(rds, Cmd, {}, key, 'Marker', 'Marker');
          dump('rds', op, { [key]: list }, list.length);
        });
      }
      const proxies = await run('rds:DescribeDBProxies', async () => {
        const list = (await pages(rds, DescribeDBProxiesCommand, {}, 'DBProxies', 'Marker', 'Marker')) as { DBProxyName?: string }[];
        dump('rds', 'DescribeDBProxies', { DBProxies: list }, list.length);
        return list;
      });
      if (proxies?.length) {
        const targets: unknown[] = [];
        let n = 0;
        for (const p of proxies) {
          await run('rds:DescribeDBProxyTargets', async () => {
            const t = await pages(rds, DescribeDBProxyTargetsCommand, { DBProxyName: p.DBProxyName }, 'Targets', 'Marker', 'Marker');
            targets.push({ DBProxyName: p.DBProxyName, Targets: t });
            n += t.length;
          });
        }
        dump('rds', 'DescribeDBProxyTargets', targets, n);
      }

      await run('lambda:ListFunctions', async () => {
        const list = await pages(client('LAMBDA', LambdaClient), ListFunctionsCommand, {}, 'Functions', 'Marker', 'NextMarker');
        dump('lambda', 'ListFunctions', { Functions: list }, list.length);
      });
      await run('elasticache:DescribeCacheClusters', async () => {
        const list = await pages(client('ELASTICACHE', ElastiCacheClient), DescribeCacheClustersCommand, { ShowCacheNodeInfo: true }, 'CacheClusters', 'Marker', 'Marker');
        dump('elasticache', 'DescribeCacheClusters', { CacheClusters: list }, list.length);
      });
      await run('tag:GetResources', async () => {
        const list = await pages(client('RESOURCE_GROUPS_TAGGING_API', ResourceGroupsTaggingAPIClient), GetResourcesCommand, {}, 'ResourceTagMappingList', 'PaginationToken', 'PaginationToken');
        dump('resourcegroupstaggingapi', 'GetResources', { ResourceTagMappingList: list }, list.length);
      });

      if (o.cloudTrail !== false) {
        const trail = client('CLOUDTRAIL', CloudTrailClient);
        const key = `${account}/${region}`;
        const limiter = trailLimiters.get(key) ?? new RateLimiter(o.cloudTrailPerSecond ?? 2);
        trailLimiters.set(key, limiter);
        const events: unknown[] = [];
        let failed = false;
        // All that CloudTrail keeps (90 days before the window's end): an ENI that held an address during
        // the window and is gone now was often created long before the window began, and only its
        // creation event names its addresses.
        const start = new Date(Math.min(o.since.getTime(), o.until.getTime() - 90 * 24 * 3600 * 1000));
        for (const name of LIFECYCLE_EVENTS) {
          const ok = await run('cloudtrail:LookupEvents', async () => {
            let token: string | undefined;
            do {
              await limiter.wait(o.signal);
              const input: LookupEventsCommandInput = {
                StartTime: start,
                EndTime: o.until,
                LookupAttributes: [{ AttributeKey: 'EventName', AttributeValue: name }],
                MaxResults: 50,
                ...(token ? { NextToken: token } : {}),
              };
              const r = await trail.send(new LookupEventsCommand(input), sendOpts);
              report.calls++;
              events.push(...((r.Events as unknown[] | undefined) ?? []));
              token = r.NextToken as string | undefined;
            } while (token);
            return true;
          });
          if (!ok) {
            failed = true;
            break; // the same failure (AccessDenied, expired token) would repeat for every event name
          }
        }
        if (!failed) dump('cloudtrail', 'LookupEvents', { Events: events }, events.length);
      }
      for (const c of clients.values()) c.destroy();
    },
    o.signal,
  );
  // Stable order for reports and tests.
  report.files.sort();
  return report;
}
