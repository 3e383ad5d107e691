/**
 * Inventory collectors: every API response the inventory loader reads, per account x region, pages merged into
 * one document and written as `<dumpDir>/<account>/<region>/<service>.<Operation>.json` (the loader reads the
 * same folder, and a user can inspect it or re-run offline). Per-parent APIs are written as an array of wrappers:
 * GetManagedPrefixListEntries `[{"PrefixListId", "Entries"}]`, DescribeTargetHealth `[{"TargetGroupArn",
 * "TargetHealthDescriptions"}]`, DescribeDBProxyTargets `[{"DBProxyName", "Targets"}]`. ECS DescribeTasks is written as
 * `aws ecs describe-tasks --include TAGS` prints it, `{"tasks", "failures"}`, for every task of every cluster.
 * Bounded concurrency over account x region; the SDK's adaptive retry absorbs throttling; a failing API is
 * reported with account, region and API while everything else is still collected. Lists are read through the
 * SDK's paginators, guarded against a repeated token and capped (paging.ts).
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CloudTrailClient, paginateLookupEvents } from '@aws-sdk/client-cloudtrail';
import {
  EC2Client,
  paginateDescribeFlowLogs,
  paginateDescribeInstances,
  paginateDescribeInternetGateways,
  paginateDescribeManagedPrefixLists,
  paginateDescribeNatGateways,
  paginateDescribeNetworkInterfaces,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  paginateDescribeTransitGatewayAttachments,
  paginateDescribeVpcEndpoints,
  paginateDescribeVpcPeeringConnections,
  paginateDescribeVpcs,
  paginateGetManagedPrefixListEntries,
} from '@aws-sdk/client-ec2';
import {
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { DescribeTasksCommand, ECSClient, paginateListClusters, paginateListTasks, type DesiredStatus } from '@aws-sdk/client-ecs';
import { ElastiCacheClient, paginateDescribeCacheClusters } from '@aws-sdk/client-elasticache';
import { LambdaClient, paginateListFunctions } from '@aws-sdk/client-lambda';
import { paginateDescribeDBClusters, paginateDescribeDBInstances, paginateDescribeDBProxies, paginateDescribeDBProxyTargets, RDSClient } from '@aws-sdk/client-rds';
import { paginateGetResources, ResourceGroupsTaggingAPIClient } from '@aws-sdk/client-resource-groups-tagging-api';
import type { AwsIssue } from '../../protocol/reports';
import { clientConfig, type AwsSettings, type ServiceId } from './clients';
import { describeAwsError, foldIssues } from './errors';
import { eachPage } from './paging';
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
  /** Pages one list call may read (default MAX_PAGES in paging.ts). */
  maxPages?: number;
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

/** What the enrichment goes without when an API gives no answer (said once with a broken answer, errors.ts). */
const LOST: Record<string, string> = {
  'ec2:DescribeVpcs': 'VPC names and ranges are missing',
  'ec2:DescribeSubnets': 'subnets and their zones are missing',
  'ec2:DescribeSecurityGroups': 'security groups are not named',
  'ec2:DescribeNetworkInterfaces': 'addresses are not attributed to network interfaces',
  'ec2:DescribeInstances': 'EC2 instances are not attributed',
  'ec2:DescribeNatGateways': 'NAT gateways are not recognised',
  'ec2:DescribeInternetGateways': 'internet gateways are not known, so egress paths may be unknown',
  'ec2:DescribeVpcEndpoints': 'VPC endpoints are not recognised',
  'ec2:DescribeVpcPeeringConnections': 'peered VPCs are not linked',
  'ec2:DescribeTransitGatewayAttachments': 'VPCs on a transit gateway are not linked',
  'ec2:DescribeFlowLogs': 'flow logs are not discovered',
  'ec2:DescribeManagedPrefixLists': 'gateway endpoint prefix lists are missing',
  'ec2:GetManagedPrefixListEntries': 'gateway endpoint prefix lists are missing',
  'elasticloadbalancing:DescribeLoadBalancers': 'load balancers are not attributed',
  'elasticloadbalancing:DescribeTargetGroups': 'load balancer targets are not known',
  'elasticloadbalancing:DescribeTargetHealth': 'load balancer targets are not known',
  'rds:DescribeDBInstances': 'RDS instances are not attributed',
  'rds:DescribeDBClusters': 'Aurora clusters are not attributed',
  'rds:DescribeDBProxies': 'RDS proxies are not attributed',
  'rds:DescribeDBProxyTargets': 'the databases behind RDS proxies are not known',
  'lambda:ListFunctions': 'Lambda functions are not attributed',
  'elasticache:DescribeCacheClusters': 'ElastiCache clusters are not attributed',
  'ecs:ListClusters': 'ECS tasks are known only by their network interfaces',
  'ecs:ListTasks': 'ECS tasks are known only by their network interfaces',
  'ecs:DescribeTasks': 'ECS tasks are known only by their network interfaces',
  'tag:GetResources': 'tags from the tagging API are missing',
  'cloudtrail:LookupEvents': 'address history from CloudTrail is missing',
};

/** Pages of one list call, as the SDK's paginators yield them. */
type Pages = AsyncIterable<object>;

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
      const clients = new Map<ServiceId, { destroy(): void }>();
      const client = <C extends { destroy(): void }>(id: ServiceId, Ctor: new (cfg: never) => C): C => {
        let c = clients.get(id) as C | undefined;
        if (!c) {
          c = new Ctor(clientConfig(id, region, target.credentials, settings) as never);
          clients.set(id, c);
        }
        return c;
      };
      const sendOpts = o.signal ? { abortSignal: o.signal } : {};
      const notAborted = async () => o.signal?.throwIfAborted();

      /**
       * The list items of every page of one call (the SDK's paginator). A repeated token or the page cap stops
       * it with an issue; the items of the pages read are kept.
       */
      const pages = async (api: string, paginator: Pages, listKey: string, tokenKey: string): Promise<unknown[]> => {
        const out: unknown[] = [];
        const stop = await eachPage(
          paginator,
          tokenKey,
          (page) => {
            report.calls++;
            const list = (page as Record<string, unknown>)[listKey];
            if (Array.isArray(list)) out.push(...(list as unknown[]));
          },
          { beforeNext: notAborted, ...(o.maxPages ? { maxPages: o.maxPages } : {}) },
        );
        if (stop) report.issues.push({ account, region, api, code: stop.code, message: stop.message });
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
      const cfg = { client: ec2 };
      const simple: [string, string, () => Pages][] = [
        ['DescribeVpcs', 'Vpcs', () => paginateDescribeVpcs(cfg, {}, sendOpts)],
        ['DescribeSubnets', 'Subnets', () => paginateDescribeSubnets(cfg, {}, sendOpts)],
        ['DescribeSecurityGroups', 'SecurityGroups', () => paginateDescribeSecurityGroups(cfg, {}, sendOpts)],
        ['DescribeNetworkInterfaces', 'NetworkInterfaces', () => paginateDescribeNetworkInterfaces(cfg, {}, sendOpts)],
        ['DescribeInstances', 'Reservations', () => paginateDescribeInstances(cfg, {}, sendOpts)],
        ['DescribeNatGateways', 'NatGateways', () => paginateDescribeNatGateways(cfg, {}, sendOpts)],
        ['DescribeInternetGateways', 'InternetGateways', () => paginateDescribeInternetGateways(cfg, {}, sendOpts)],
        ['DescribeVpcEndpoints', 'VpcEndpoints', () => paginateDescribeVpcEndpoints(cfg, {}, sendOpts)],
        ['DescribeVpcPeeringConnections', 'VpcPeeringConnections', () => paginateDescribeVpcPeeringConnections(cfg, {}, sendOpts)],
        ['DescribeTransitGatewayAttachments', 'TransitGatewayAttachments', () => paginateDescribeTransitGatewayAttachments(cfg, {}, sendOpts)],
        ['DescribeFlowLogs', 'FlowLogs', () => paginateDescribeFlowLogs(cfg, {}, sendOpts)],
      ];
      // A few calls at a time within one account/region; the SDK's adaptive retry slows down if EC2 throttles.
      await mapPool(
        simple,
        o.apiConcurrency ?? 3,
        ([op, key, paginator]) =>
          run(`ec2:${op}`, async () => {
            const list = await pages(`ec2:${op}`, paginator(), key, 'NextToken');
            dump('ec2', op, { [key]: list }, list.length);
          }),
        o.signal,
      );
      // AWS-managed prefix lists (gateway endpoints route S3/DynamoDB by them) and their entries.
      const lists = await run('ec2:DescribeManagedPrefixLists', async () => {
        const list = (await pages('ec2:DescribeManagedPrefixLists', paginateDescribeManagedPrefixLists(cfg, {}, sendOpts), 'PrefixLists', 'NextToken')) as { PrefixListId?: string; PrefixListName?: string; OwnerId?: string }[];
        dump('ec2', 'DescribeManagedPrefixLists', { PrefixLists: list }, list.length);
        return list;
      });
      if (lists) {
        const wanted = lists.filter((l) => l.PrefixListId && (l.OwnerId === 'AWS' || (l.PrefixListName ?? '').startsWith('com.amazonaws.')));
        const entries: unknown[] = [];
        let n = 0;
        for (const l of wanted) {
          await run('ec2:GetManagedPrefixListEntries', async () => {
            const e = await pages('ec2:GetManagedPrefixListEntries', paginateGetManagedPrefixListEntries(cfg, { PrefixListId: l.PrefixListId }, sendOpts), 'Entries', 'NextToken');
            entries.push({ PrefixListId: l.PrefixListId, Entries: e });
            n += e.length;
          });
        }
        if (wanted.length) dump('ec2', 'GetManagedPrefixListEntries', entries, n);
      }

      const elb = client('ELASTIC_LOAD_BALANCING_V2', ElasticLoadBalancingV2Client);
      await run('elasticloadbalancing:DescribeLoadBalancers', async () => {
        const list = await pages('elasticloadbalancing:DescribeLoadBalancers', paginateDescribeLoadBalancers({ client: elb }, {}, sendOpts), 'LoadBalancers', 'NextMarker');
        dump('elbv2', 'DescribeLoadBalancers', { LoadBalancers: list }, list.length);
      });
      const tgs = await run('elasticloadbalancing:DescribeTargetGroups', async () => {
        const list = (await pages('elasticloadbalancing:DescribeTargetGroups', paginateDescribeTargetGroups({ client: elb }, {}, sendOpts), 'TargetGroups', 'NextMarker')) as { TargetGroupArn?: string }[];
        dump('elbv2', 'DescribeTargetGroups', { TargetGroups: list }, list.length);
        return list;
      });
      if (tgs?.length) {
        const health: unknown[] = [];
        let n = 0;
        for (const tg of tgs) {
          // not paged: one answer per target group
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

      const rds = { client: client('RDS', RDSClient) };
      await run('rds:DescribeDBInstances', async () => {
        const list = await pages('rds:DescribeDBInstances', paginateDescribeDBInstances(rds, {}, sendOpts), 'DBInstances', 'Marker');
        dump('rds', 'DescribeDBInstances', { DBInstances: list }, list.length);
      });
      await run('rds:DescribeDBClusters', async () => {
        const list = await pages('rds:DescribeDBClusters', paginateDescribeDBClusters(rds, {}, sendOpts), 'DBClusters', 'Marker');
        dump('rds', 'DescribeDBClusters', { DBClusters: list }, list.length);
      });
      const proxies = await run('rds:DescribeDBProxies', async () => {
        const list = (await pages('rds:DescribeDBProxies', paginateDescribeDBProxies(rds, {}, sendOpts), 'DBProxies', 'Marker')) as { DBProxyName?: string }[];
        dump('rds', 'DescribeDBProxies', { DBProxies: list }, list.length);
        return list;
      });
      if (proxies?.length) {
        const targets: unknown[] = [];
        let n = 0;
        for (const p of proxies) {
          await run('rds:DescribeDBProxyTargets', async () => {
            const t = await pages('rds:DescribeDBProxyTargets', paginateDescribeDBProxyTargets(rds, { DBProxyName: p.DBProxyName }, sendOpts), 'Targets', 'Marker');
            targets.push({ DBProxyName: p.DBProxyName, Targets: t });
            n += t.length;
          });
        }
        dump('rds', 'DescribeDBProxyTargets', targets, n);
      }

      await run('lambda:ListFunctions', async () => {
        const list = await pages('lambda:ListFunctions', paginateListFunctions({ client: client('LAMBDA', LambdaClient) }, {}, sendOpts), 'Functions', 'NextMarker');
        dump('lambda', 'ListFunctions', { Functions: list }, list.length);
      });
      await run('elasticache:DescribeCacheClusters', async () => {
        const paginator = paginateDescribeCacheClusters({ client: client('ELASTICACHE', ElastiCacheClient) }, { ShowCacheNodeInfo: true }, sendOpts);
        const list = await pages('elasticache:DescribeCacheClusters', paginator, 'CacheClusters', 'Marker');
        dump('elasticache', 'DescribeCacheClusters', { CacheClusters: list }, list.length);
      });
      // ECS: every task of every cluster, running and recently stopped (ECS keeps a stopped task about an hour), with
      // its tags; DescribeTasks takes at most 100 tasks a call.
      const ecs = client('ECS', ECSClient);
      const clusters = await run('ecs:ListClusters', async () =>
        (await pages('ecs:ListClusters', paginateListClusters({ client: ecs }, {}, sendOpts), 'clusterArns', 'nextToken')) as string[]);
      if (clusters) {
        const tasks: unknown[] = [];
        const failures: unknown[] = [];
        let complete = true;
        clusters: for (const cluster of clusters) {
          const arns: string[] = [];
          for (const desiredStatus of ['RUNNING', 'STOPPED'] as DesiredStatus[]) {
            const listed = await run('ecs:ListTasks', async () => {
              arns.push(...((await pages('ecs:ListTasks', paginateListTasks({ client: ecs }, { cluster, desiredStatus }, sendOpts), 'taskArns', 'nextToken')) as string[]));
              return true;
            });
            if (!listed) {
              complete = false;
              break clusters; // the same failure (AccessDenied, an expired token) would repeat for every cluster
            }
          }
          const unique = [...new Set(arns)];
          for (let i = 0; i < unique.length; i += 100) {
            const described = await run('ecs:DescribeTasks', async () => {
              const r = await ecs.send(new DescribeTasksCommand({ cluster, tasks: unique.slice(i, i + 100), include: ['TAGS'] }), sendOpts);
              report.calls++;
              tasks.push(...((r.tasks ?? []) as unknown[]));
              failures.push(...((r.failures ?? []) as unknown[]));
              return true;
            });
            if (!described) {
              complete = false;
              break clusters;
            }
          }
        }
        // one answer broken the same way for several clusters is said once for this account and region
        // (other accounts and regions add their issues meanwhile: only this one's ECS issues are looked at)
        const seen = new Set<string>();
        report.issues = report.issues.filter((x) => {
          if (x.account !== account || x.region !== region || !x.api.startsWith('ecs:')) return true;
          const key = `${x.api}\u0000${x.code}\u0000${x.message}`;
          return !seen.has(key) && !!seen.add(key);
        });
        // a partial answer is still written: the tasks it has are attributed, the rest stay their attachments
        if (complete || tasks.length) dump('ecs', 'DescribeTasks', { tasks, failures }, tasks.length);
      }
      await run('tag:GetResources', async () => {
        const paginator = paginateGetResources({ client: client('RESOURCE_GROUPS_TAGGING_API', ResourceGroupsTaggingAPIClient) }, {}, sendOpts);
        const list = await pages('tag:GetResources', paginator, 'ResourceTagMappingList', 'PaginationToken');
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
            const input = { StartTime: start, EndTime: o.until, LookupAttributes: [{ AttributeKey: 'EventName' as const, AttributeValue: name }], MaxResults: 50 };
            const wait = () => limiter.wait(o.signal);
            await wait();
            const stop = await eachPage(
              paginateLookupEvents({ client: trail }, input, sendOpts),
              'NextToken',
              (page) => {
                report.calls++;
                events.push(...(page.Events ?? []));
              },
              { beforeNext: wait, ...(o.maxPages ? { maxPages: o.maxPages } : {}) },
            );
            if (stop) report.issues.push({ account, region, api: 'cloudtrail:LookupEvents', code: stop.code, message: `${name} events: ${stop.message}` });
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
  // Stable order for reports and tests; a broken answer is said once for every account and region.
  report.files.sort();
  report.issues = foldIssues(report.issues, (api) => LOST[api]);
  return report;
}
