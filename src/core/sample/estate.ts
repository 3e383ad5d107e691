/**
 * The organisation the simulator grows: three accounts, two regions, six VPCs, and the traffic
 * patterns between their resources. Everything is derived from the seed and the options.
 */
import { DEFAULT_FORMAT, parseLogFormat, type FlowField } from '../model/flowFields';
import { Builder } from './builder';
import {
  DAY,
  FOREVER,
  type AwsServiceRange,
  type Conversation,
  type EgressPath,
  type Endpoint,
  type Eni,
  type FlowLogConfig,
  type Resource,
  type Sg,
  type Vpc,
} from './model';
import {
  cacheNode,
  dbProxy,
  ecsTask,
  eksNode,
  gatewayEndpoint,
  instance,
  interfaceEndpoint,
  lambdaFunction,
  loadBalancer,
  natGateway,
  rdsInstance,
  stdTags,
  tgwAttachment,
  type Instance,
  type LoadBalancer,
} from './resources';
import { Rng } from './rng';

export const ACCOUNTS = { prod: '111111111111', data: '222222222222', shared: '333333333333' } as const;
export const REGIONS = ['us-east-1', 'eu-west-1'] as const;

/** The estate's own AWS address ranges (documentation space, so nothing real is implied). */
export const AWS_V4: { prefix: string; region: string; service: string }[] = [
  { prefix: '198.51.100.0/25', region: 'us-east-1', service: 'AMAZON' },
  { prefix: '198.51.100.0/27', region: 'us-east-1', service: 'S3' },
  { prefix: '198.51.100.32/28', region: 'us-east-1', service: 'DYNAMODB' },
  { prefix: '198.51.100.64/26', region: 'us-east-1', service: 'EC2' },
  { prefix: '198.51.100.128/25', region: 'eu-west-1', service: 'AMAZON' },
  { prefix: '198.51.100.128/27', region: 'eu-west-1', service: 'S3' },
  { prefix: '198.51.100.160/28', region: 'eu-west-1', service: 'DYNAMODB' },
  { prefix: '198.51.100.192/26', region: 'eu-west-1', service: 'EC2' },
];
export const AWS_V6: { prefix: string; region: string; service: string }[] = [
  { prefix: '2001:db8:1000::/36', region: 'us-east-1', service: 'AMAZON' },
  { prefix: '2001:db8:1000::/40', region: 'us-east-1', service: 'EC2' },
  { prefix: '2001:db8:2000::/36', region: 'eu-west-1', service: 'AMAZON' },
  { prefix: '2001:db8:2000::/40', region: 'eu-west-1', service: 'EC2' },
];
const EC2_PUBLIC: Record<string, string> = { 'us-east-1': '198.51.100.64/26', 'eu-west-1': '198.51.100.192/26' };
/** Where the estate's internet users and services sit (a /24 each, and an IPv6 prefix). */
const INTERNET = { users: '81.2.69', services: '89.160.20', v6: '2a02:cf40:ffff::' };

/** The custom version-5 format some VPCs use. */
export const V5_FORMAT: readonly FlowField[] = parseLogFormat(
  DEFAULT_FORMAT.map((f) => f.name).join(' ') +
    ' vpc-id subnet-id instance-id tcp-flags type pkt-srcaddr pkt-dstaddr region az-id flow-direction traffic-path pkt-src-aws-service pkt-dst-aws-service',
);

export interface TargetGroup {
  arn: string;
  name: string;
  lb: LoadBalancer;
  port: number;
  protocol: string;
  targetType: 'instance' | 'ip';
  vpc: Vpc;
  /** Targets over time (ENIs of instances or tasks). */
  targets: Eni[];
}

export interface Peering {
  id: string;
  requester: Vpc;
  accepter: Vpc;
}

export interface PatternCtx {
  t: number;
  minutes: number;
  rng: Rng;
  /** Month-2 growth factor for bytes (1 in the first 30 days). */
  grow: (factor: number) => number;
}

export interface Pattern {
  name: string;
  /** Conversations per hour at scale 1 (before the daily curve). */
  perHour: number;
  /** Rate multiplier from day 30 on. */
  rateGrowth: number;
  /**
   * A random stream of its own (else the shared one): a pattern added later draws from it, so that the traffic
   * every other pattern makes stays as it was.
   */
  stream?: string;
  make(c: PatternCtx): Conversation[];
}

export interface Estate {
  seed: number;
  start: number;
  end: number;
  scale: number;
  accounts: string[];
  regions: string[];
  vpcs: Vpc[];
  sgs: Sg[];
  resources: Resource[];
  enis: Eni[];
  loadBalancers: LoadBalancer[];
  targetGroups: TargetGroup[];
  lambdas: Resource[];
  dbs: Resource[];
  clusters: { id: string; arn: string; vpc: Vpc; engine: string; members: Resource[]; writer: Resource; tags: Record<string, string> }[];
  proxies: Resource[];
  caches: Resource[];
  endpoints: Resource[];
  peerings: Peering[];
  tgw: { id: string; owner: string; region: string; attachments: Resource[] };
  prefixLists: { id: string; name: string; region: string; cidrs: string[] }[];
  awsRanges: AwsServiceRange[];
  patterns: Pattern[];
  /**
   * The ENI whose logging has gaps (pattern `logging-gap`, generate.ts): SKIPDATA instead of NODATA over one hour at
   * a quarter of the window, and no record at all over two hours at 70 %, where it was idle.
   */
  loggingGap: Eni;
}

export interface EstateOptions {
  seed: number;
  start: number;
  days: number;
  scale: number;
}

/** Addresses inside a prefix the traffic uses (a handful per service). */
function rangeAddrs(prefix: string, count: number): string[] {
  const [base, len] = prefix.split('/');
  const p = base.split('.').map(Number);
  const size = 2 ** (32 - Number(len));
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    const off = 4 + Math.floor((i * (size - 8)) / count);
    out.push(`${p[0]}.${p[1]}.${p[2]}.${p[3] + off}`);
  }
  return out;
}

export function buildEstate(o: EstateOptions): Estate {
  const start = o.start;
  const end = start + o.days * DAY;
  const window = end - start;
  const at = (frac: number): number => start + Math.round((frac * window) / 60) * 60;
  const n = (k: number): number => Math.max(1, Math.round(k * o.scale));
  const b = new Builder(o.seed, start, end, EC2_PUBLIC, Math.max(24, Math.ceil(o.scale * 12)));
  const life = new Rng(o.seed, 'lifecycles');

  const awsRanges: AwsServiceRange[] = AWS_V4.filter((r) => r.service !== 'AMAZON' && r.service !== 'EC2').map((r) => ({
    ...r,
    addrs: rangeAddrs(r.prefix, 6),
  }));
  const awsAddr = (service: string, region: string, rng: Rng): Endpoint => {
    const r = awsRanges.find((x) => x.service === service && x.region === region)!;
    return { kind: 'aws', addr: rng.pick(r.addrs), service, region };
  };
  const prefixLists = REGIONS.flatMap((region) =>
    (['s3', 'dynamodb'] as const).map((svc) => ({
      id: 'pl-' + b.hex(8),
      name: `com.amazonaws.${region}.${svc}`,
      region,
      cidrs: AWS_V4.filter((r) => r.region === region && r.service === svc.toUpperCase()).map((r) => r.prefix),
    })),
  );
  const plId = (region: string, svc: string) => prefixLists.find((p) => p.name === `com.amazonaws.${region}.${svc}`)!.id;

  // ------------------------------------------------------------------ VPCs
  const netTags = (env: string) => ({ owner: 'team-network', env, 'aws:cloudformation:stack-name': `network-${env}` });
  const prodUse1 = b.vpc({ key: 'prod-use1', name: 'shop-prod', account: ACCOUNTS.prod, region: 'us-east-1', cidr: '10.10.0.0/16', ipv6Cidr: '2001:db8:1000:100::/56', tags: netTags('prod') });
  const prodEuw1 = b.vpc({ key: 'prod-euw1', name: 'shop-prod-eu', account: ACCOUNTS.prod, region: 'eu-west-1', cidr: '10.11.0.0/16', tags: netTags('prod') });
  const dataUse1 = b.vpc({ key: 'data-use1', name: 'analytics', account: ACCOUNTS.data, region: 'us-east-1', cidr: '10.20.0.0/16', tags: netTags('prod') });
  const dataEuw1 = b.vpc({ key: 'data-euw1', name: 'archive-eu', account: ACCOUNTS.data, region: 'eu-west-1', cidr: '10.21.0.0/16', tags: netTags('prod') });
  const sharedUse1 = b.vpc({ key: 'shared-use1', name: 'shared-services', account: ACCOUNTS.shared, region: 'us-east-1', cidr: '10.30.0.0/16', tags: netTags('shared') });
  const toolsEuw1 = b.vpc({ key: 'tools-euw1', name: 'tools', account: ACCOUNTS.shared, region: 'eu-west-1', cidr: '10.31.0.0/16', tags: netTags('tools') });
  const pub = (v: Vpc) => v.subnets.filter((s) => s.isPublic);
  const priv = (v: Vpc) => v.subnets.filter((s) => !s.isPublic);

  // Flow logs: one VPC each in v5 (plain S3), v2 (plain S3), v5 Hive + per hour, Parquet, CloudWatch Logs;
  // shared-services has none, so its side of a conversation is never observed.
  const fl = (vpc: Vpc, x: Omit<FlowLogConfig, 'id' | 'vpc' | 'created' | 'tags'>) => {
    vpc.flowLog = { id: b.id('fl'), vpc, created: b.longAgo(), tags: { Name: `${vpc.name}-flow-log` }, ...x };
  };
  fl(prodUse1, { destination: 's3', fields: V5_FORMAT, fileFormat: 'plain-text', hive: false, perHour: false, bucket: `flowlens-sample-flowlogs-${ACCOUNTS.prod}`, prefix: 'shop-prod' });
  fl(prodEuw1, { destination: 's3', fields: DEFAULT_FORMAT, fileFormat: 'plain-text', hive: false, perHour: false, bucket: `flowlens-sample-flowlogs-${ACCOUNTS.prod}`, prefix: 'shop-prod-eu' });
  fl(dataUse1, { destination: 's3', fields: V5_FORMAT, fileFormat: 'plain-text', hive: true, perHour: true, bucket: `flowlens-sample-flowlogs-${ACCOUNTS.data}`, prefix: 'analytics' });
  fl(dataEuw1, { destination: 's3', fields: V5_FORMAT, fileFormat: 'parquet', hive: false, perHour: false, bucket: `flowlens-sample-flowlogs-${ACCOUNTS.data}`, prefix: 'archive-eu' });
  fl(toolsEuw1, { destination: 'cloud-watch-logs', fields: DEFAULT_FORMAT, fileFormat: 'plain-text', hive: false, perHour: false, logGroup: '/flowlens/vpc/tools' });

  // NAT gateways (prod-use1 has two, so private subnet c crosses an AZ to reach one).
  const natA = natGateway(b, prodUse1, pub(prodUse1)[0], stdTags('network', 'team-network', 'prod'));
  const natB = natGateway(b, prodUse1, pub(prodUse1)[1], stdTags('network', 'team-network', 'prod'));
  prodUse1.natBySubnet.set(priv(prodUse1)[0].id, natA);
  prodUse1.natBySubnet.set(priv(prodUse1)[1].id, natB);
  prodUse1.natBySubnet.set(priv(prodUse1)[2].id, natB);
  for (const v of [prodEuw1, dataEuw1, toolsEuw1]) {
    const nat = natGateway(b, v, pub(v)[0], stdTags('network', 'team-network', 'prod'));
    for (const s of priv(v)) v.natBySubnet.set(s.id, nat);
  }
  // Gateway endpoints: S3 + DynamoDB in analytics, S3 only in archive-eu (DynamoDB goes through NAT there).
  const endpoints: Resource[] = [
    gatewayEndpoint(b, dataUse1, 's3', plId('us-east-1', 's3'), stdTags('network', 'team-data', 'prod')),
    gatewayEndpoint(b, dataUse1, 'dynamodb', plId('us-east-1', 'dynamodb'), stdTags('network', 'team-data', 'prod')),
    gatewayEndpoint(b, dataEuw1, 's3', plId('eu-west-1', 's3'), stdTags('network', 'team-data', 'prod')),
  ];

  // Peering and the transit gateway.
  const peerings: Peering[] = [
    { id: b.id('pcx'), requester: prodUse1, accepter: dataUse1 },
    { id: b.id('pcx'), requester: dataUse1, accepter: dataEuw1 },
  ];
  const tgwId = b.id('tgw');
  const tgwAtt = [prodUse1, dataUse1, sharedUse1].map((v) => tgwAttachment(b, v, tgwId, ACCOUNTS.shared).res);

  // ------------------------------------------------------------------ shop (prod-use1)
  const sg = (v: Vpc, name: string, desc: string) => b.sg(v, name, desc, { app: name.split('-')[0] });
  const sgAlb = sg(prodUse1, 'shop-web-alb', 'Public HTTPS to the shop');
  const sgWeb = sg(prodUse1, 'shop-web', 'Shop web tier');
  const sgApiAlb = sg(prodUse1, 'shop-api-alb', 'Internal API load balancer');
  const sgApi = sg(prodUse1, 'shop-api', 'Shop API tier');
  const sgOrders = sg(prodUse1, 'orders', 'Order processing workers');
  const sgDb = sg(prodUse1, 'shop-db', 'Shop PostgreSQL');
  const sgProxy = sg(prodUse1, 'shop-db-proxy', 'RDS Proxy for the shop DB');
  const sgRedis = sg(prodUse1, 'shop-sessions', 'Session cache');
  const sgCheckout = sg(prodUse1, 'checkout', 'Checkout service tasks');
  const sgThumbs = sg(prodUse1, 'thumbnailer', 'Image thumbnail function');
  const sgThumbs2 = sg(prodUse1, 'thumbnailer-v2', 'Image thumbnail function (new egress rules)');
  const sgReporting = sg(prodUse1, 'reporting', 'Reporting function');
  const sgBastion = sg(prodUse1, 'ops-bastion', 'SSH from the office only');

  const webTags = stdTags('shop-web', 'team-web', 'prod');
  const webAsg: Eni[] = [];
  const addWeb = (i: number, from?: number, to?: number, dynamic?: boolean) =>
    instance(b, {
      vpc: prodUse1,
      subnet: priv(prodUse1)[i % 3],
      sgs: [sgWeb],
      name: 'shop-web',
      tags: webTags,
      asg: 'shop-web-asg',
      from,
      to,
      dynamic,
      ipv6: undefined,
      onMade: (x) => webAsg.push(x.eni),
    });
  const webCount = n(4);
  const replaced = at(0.5);
  // web[0] was launched within CloudTrail's 90 days, so its address stays recoverable after it is terminated.
  for (let i = 0; i < webCount; i++) addWeb(i, i === 0 ? start - 20 * DAY - 4321 : undefined, i === 0 ? replaced + 300 : undefined);
  // The ASG replaces an unhealthy instance mid-window and scales out in the second month.
  addWeb(0, replaced, undefined, true);
  if (o.days > 30) for (let i = 0; i < n(2); i++) addWeb(i + 1, start + 30 * DAY + i * 3600, undefined, true);

  const apiTags = stdTags('shop-api', 'team-api', 'prod');
  const api: Instance[] = Array.from({ length: n(3) }, (_, i) =>
    instance(b, { vpc: prodUse1, subnet: priv(prodUse1)[i % 3], sgs: [sgApi], name: 'shop-api', tags: apiTags, asg: 'shop-api-asg' })!,
  );
  const orders: Instance[] = Array.from({ length: n(2) }, (_, i) =>
    instance(b, { vpc: prodUse1, subnet: priv(prodUse1)[(i + 1) % 3], sgs: [sgOrders], name: 'orders-worker', tags: stdTags('orders', 'team-orders', 'prod', { 'cost-center': 'cc-1234' }), asg: 'orders-asg' })!,
  );
  const bastion = instance(b, {
    vpc: prodUse1,
    subnet: pub(prodUse1)[0],
    sgs: [sgBastion],
    name: 'ops-bastion',
    tags: stdTags('ops', 'team-ops', 'prod'),
    publicIp: true,
    ipv6: ['2001:db8:1000:100::' + (0x1000 + b.ids.int(0xe000)).toString(16)],
  })!;
  const albWeb = loadBalancer(b, { vpc: prodUse1, name: 'shop-web', kind: 'application', scheme: 'internet-facing', sgs: [sgAlb], tags: webTags });
  const albApi = loadBalancer(b, { vpc: prodUse1, name: 'shop-api', kind: 'application', scheme: 'internal', sgs: [sgApiAlb], tags: apiTags });
  const dbTags = stdTags('shop-db', 'team-api', 'prod');
  const shopDb = rdsInstance(b, { vpc: prodUse1, name: 'shop-db', subnet: priv(prodUse1)[0], sgs: [sgDb], tags: dbTags, engine: 'postgres', port: 5432 });
  const proxy = dbProxy(b, { vpc: prodUse1, name: 'shop-db-proxy', sgs: [sgProxy], tags: dbTags, target: shopDb.res });
  const redisTags = stdTags('shop-sessions', 'team-web', 'prod');
  const redis = [1, 2].map((k) =>
    cacheNode(b, { vpc: prodUse1, clusterId: `shop-sessions-00${k}`, group: 'shop-sessions', subnet: priv(prodUse1)[k], sgs: [sgRedis], tags: redisTags }),
  );
  const thumbs = lambdaFunction(b, { vpc: prodUse1, name: 'shop-thumbnailer', sgs: [sgThumbs], tags: stdTags('media', 'team-media', 'prod'), replaceAt: at(0.35), replacementSgs: [sgThumbs2] });
  const reporting = lambdaFunction(b, { vpc: prodUse1, name: 'shop-reporting', sgs: [sgReporting], tags: stdTags('reporting', 'team-finance', 'prod') });
  const checkoutTasks: Eni[] = [];
  const checkoutTags = stdTags('checkout', 'team-api', 'prod');
  const checkoutConcurrency = n(3);
  for (let slot = 0; slot < checkoutConcurrency; slot++) {
    // Rolling deployments: each task lives 6-42 h; its successor starts a few minutes before it stops.
    let t = start - life.range(1, 30) * 3600;
    while (t < end) {
      const to = t + life.range(6, 42) * 3600;
      ecsTask(b, { vpc: prodUse1, subnet: priv(prodUse1)[slot % 3], sgs: [sgCheckout], cluster: 'shop', service: 'checkout', tags: checkoutTags, from: t, to: to < end ? to : FOREVER, sink: checkoutTasks });
      t = to - 300;
    }
  }

  // ------------------------------------------------------------------ shop-eu (prod-euw1)
  const sgEuAlb = sg(prodEuw1, 'shop-eu-web-alb', 'Public HTTPS to the EU shop');
  const sgEuWeb = sg(prodEuw1, 'shop-eu-web', 'EU web tier');
  const sgEuDb = sg(prodEuw1, 'shop-eu-db', 'EU MySQL');
  const sgMailer = sg(prodEuw1, 'shop-eu-mailer', 'Mail sender function');
  const euTags = stdTags('shop-eu-web', 'team-web', 'prod');
  const euWeb = Array.from({ length: n(2) }, (_, i) =>
    instance(b, { vpc: prodEuw1, subnet: priv(prodEuw1)[i % 3], sgs: [sgEuWeb], name: 'shop-eu-web', tags: euTags, asg: 'shop-eu-web-asg' })!,
  );
  const albEu = loadBalancer(b, { vpc: prodEuw1, name: 'shop-eu-web', kind: 'application', scheme: 'internet-facing', sgs: [sgEuAlb], tags: euTags });
  const euDb = rdsInstance(b, { vpc: prodEuw1, name: 'shop-eu-db', subnet: priv(prodEuw1)[1], sgs: [sgEuDb], tags: stdTags('shop-eu-db', 'team-web', 'prod'), engine: 'mysql', port: 3306 });
  const mailer = lambdaFunction(b, { vpc: prodEuw1, name: 'shop-eu-mailer', sgs: [sgMailer], tags: stdTags('mailer', 'team-web', 'prod') });

  // ------------------------------------------------------------------ analytics (data-use1)
  const sgEvents = sg(dataUse1, 'events-api', 'Event intake API');
  const sgAurora = sg(dataUse1, 'analytics-db', 'Aurora analytics cluster');
  const sgEks = sg(dataUse1, 'analytics-eks-nodes', 'EKS worker nodes');
  const sgSqsEp = sg(dataUse1, 'sqs-endpoint', 'SQS interface endpoint');
  const sgRepl = sg(dataUse1, 'replicator', 'Cross-region replicator');
  const eventsTags = stdTags('events', 'team-data', 'prod');
  const events = Array.from({ length: n(2) }, (_, i) =>
    instance(b, { vpc: dataUse1, subnet: priv(dataUse1)[i % 3], sgs: [sgEvents], name: 'events-api', tags: eventsTags, asg: 'events-api-asg' })!,
  );
  const replicator = instance(b, { vpc: dataUse1, subnet: priv(dataUse1)[2], sgs: [sgRepl], name: 'replicator', tags: stdTags('archive', 'team-data', 'prod') })!;
  const auroraTags = stdTags('analytics-db', 'team-data', 'prod');
  const auroraW = rdsInstance(b, { vpc: dataUse1, name: 'analytics-1', subnet: priv(dataUse1)[0], sgs: [sgAurora], tags: auroraTags, engine: 'aurora-postgresql', port: 5432, cluster: 'analytics' });
  const auroraR = rdsInstance(b, { vpc: dataUse1, name: 'analytics-2', subnet: priv(dataUse1)[1], sgs: [sgAurora], tags: auroraTags, engine: 'aurora-postgresql', port: 5432, cluster: 'analytics' });
  const eksTags = stdTags('analytics-jobs', 'team-data', 'prod');
  const nodes = Array.from({ length: n(2) }, (_, i) =>
    eksNode(b, { vpc: dataUse1, subnet: priv(dataUse1)[i % 3], sgs: [sgEks], name: 'analytics-eks-node', tags: eksTags, cluster: 'analytics', pods: 4 }),
  );
  const sqsEp = interfaceEndpoint(b, dataUse1, 'sqs', [sgSqsEp], stdTags('network', 'team-data', 'prod'));

  // ------------------------------------------------------------------ archive-eu (data-euw1)
  const sgArchive = sg(dataEuw1, 'archive', 'Archive writers');
  const sgCompactor = sg(dataEuw1, 'archive-compactor', 'Compaction function');
  const archive = Array.from({ length: n(1) + 1 }, (_, i) =>
    instance(b, { vpc: dataEuw1, subnet: priv(dataEuw1)[i % 3], sgs: [sgArchive], name: 'archive-writer', tags: stdTags('archive', 'team-data', 'prod') })!,
  );
  const compactor = lambdaFunction(b, { vpc: dataEuw1, name: 'archive-compactor', sgs: [sgCompactor], tags: stdTags('archive', 'team-data', 'prod') });

  // ------------------------------------------------------------------ shared-services (no flow log)
  const sgMetrics = sg(sharedUse1, 'metrics', 'OpenTelemetry collectors');
  const metrics = Array.from({ length: n(2) }, (_, i) =>
    instance(b, { vpc: sharedUse1, subnet: priv(sharedUse1)[i % 3], sgs: [sgMetrics], name: 'otel-collector', tags: stdTags('observability', 'team-platform', 'shared') })!,
  );

  // ------------------------------------------------------------------ tools (tools-euw1, CloudWatch Logs)
  const sgIngest = sg(toolsEuw1, 'ingest', 'Log ingest behind the NLB');
  const sgCi = sg(toolsEuw1, 'ci-runner', 'CI runner tasks');
  const sgEcrEp = sg(toolsEuw1, 'ecr-endpoint', 'ECR interface endpoint');
  const sgNotifier = sg(toolsEuw1, 'notifier', 'Chat notifier function');
  const ingestTags = stdTags('ingest', 'team-platform', 'tools');
  const ingest = Array.from({ length: n(2) }, (_, i) =>
    instance(b, { vpc: toolsEuw1, subnet: priv(toolsEuw1)[i % 3], sgs: [sgIngest], name: 'ingest', tags: ingestTags, asg: 'ingest-asg' })!,
  );
  const nlb = loadBalancer(b, { vpc: toolsEuw1, name: 'tools-ingest', kind: 'network', scheme: 'internet-facing', sgs: [], tags: ingestTags });
  const ecrEp = interfaceEndpoint(b, toolsEuw1, 'ecr.dkr', [sgEcrEp], stdTags('network', 'team-platform', 'tools'));
  const notifier = lambdaFunction(b, { vpc: toolsEuw1, name: 'tools-notifier', sgs: [sgNotifier], tags: stdTags('notifier', 'team-platform', 'tools') });
  const ciTasks: Eni[] = [];
  const ciTags = stdTags('ci', 'team-platform', 'tools');
  for (let slot = 0; slot < n(1); slot++) {
    // CI jobs: 2-14 h each with a gap between them, so a finished job's address is handed to the next.
    let t = start - life.range(1, 10) * 3600;
    while (t < end) {
      const to = t + life.range(2, 14) * 3600;
      ecsTask(b, { vpc: toolsEuw1, subnet: priv(toolsEuw1)[0], sgs: [sgCi], cluster: 'tools', service: 'ci-runner', tags: ciTags, from: t, to: to < end ? to : FOREVER, sink: ciTasks });
      t = to + life.range(15, 120) * 60;
    }
  }

  // ------------------------------------------------------------------ security-group rules (issue 15)
  // What each tier admits, fitting the traffic below: every accepted conversation is admitted by an inbound rule
  // of the server's groups and an outbound rule of the client's (truth/conversations.jsonl names them); some rules
  // are never used, some are wider than their traffic needs.
  const anyV4 = { cidr: '0.0.0.0/0' };
  const cidr = (c: string) => ({ cidr: c });
  const group = (g: Sg) => ({ group: g });
  const pl = (region: string, svc: string) => ({ prefixList: prefixLists.find((p) => p.name === `com.amazonaws.${region}.${svc}`)! });
  const allOut = (g: Sg) => b.allow(g, 'out', 'all', anyV4);
  b.allow(sgAlb, 'in', 443, anyV4, 'HTTPS from the internet');
  b.allow(sgAlb, 'in', 80, anyV4, 'HTTP redirect (unused: nobody calls it)');
  b.allow(sgAlb, 'in', 443, { cidr: '::/0' }, 'HTTPS over IPv6 (unused: the load balancer has no IPv6 address)');
  b.allow(sgAlb, 'out', 8080, group(sgWeb), 'to the web targets');
  b.allow(sgAlb, 'out', 8080, group(sgCheckout), 'to the checkout targets');
  b.allow(sgWeb, 'in', 8080, group(sgAlb), 'from the load balancer');
  b.allow(sgWeb, 'in', 22, group(sgBastion), 'SSH from the bastion (unused)');
  allOut(sgWeb);
  b.allow(sgWeb, 'out', 6379, group(sgRedis), 'to the session cache (more specific than all traffic out)');
  b.allow(sgWeb, 'in', 8080, cidr(prodUse1.cidr), 'opened to the VPC for a migration, revoked at 40 %', { authorizedAt: start - DAY, revokedAt: at(0.4) });
  b.allow(sgApiAlb, 'in', 80, cidr(prodUse1.cidr), 'from the VPC (wider than used: only the web tier calls it)');
  b.allow(sgApiAlb, 'out', 8080, group(sgApi), 'to the API targets');
  b.allow(sgApi, 'in', 8080, group(sgApiAlb), 'from the load balancer');
  b.allow(sgApi, 'in', 8080, group(sgOrders), 'orders call the API directly');
  allOut(sgApi);
  allOut(sgOrders);
  b.allow(sgDb, 'in', 5432, group(sgProxy), 'from RDS Proxy');
  b.allow(sgDb, 'in', 5432, group(sgReporting), 'reporting reads directly');
  allOut(sgDb);
  b.allow(sgProxy, 'in', 5432, group(sgApi), 'from the API tier');
  b.allow(sgProxy, 'in', 5432, group(sgCheckout), 'from checkout');
  b.allow(sgProxy, 'out', 5432, group(sgDb), 'to the database');
  b.allow(sgRedis, 'in', 6379, group(sgWeb), 'sessions for the web tier');
  allOut(sgRedis);
  b.allow(sgCheckout, 'in', 8080, group(sgAlb), 'from the load balancer');
  allOut(sgCheckout);
  b.allow(sgThumbs, 'out', 443, pl('us-east-1', 's3'), 'S3 only');
  b.allow(sgThumbs2, 'out', 443, anyV4, 'HTTPS anywhere');
  b.allow(sgReporting, 'out', 5432, cidr(prodUse1.cidr), 'PostgreSQL in the VPC');
  b.allow(sgBastion, 'in', 22, cidr(`${INTERNET.users}.0/28`), 'SSH from the office');
  b.allow(sgBastion, 'out', 443, { cidr: '::/0' }, 'HTTPS over IPv6');
  allOut(sgBastion);
  b.allow(sgEuAlb, 'in', 443, anyV4, 'HTTPS from the internet');
  b.allow(sgEuAlb, 'out', 8080, group(sgEuWeb), 'to the web targets');
  b.allow(sgEuWeb, 'in', 8080, group(sgEuAlb), 'from the load balancer');
  b.allow(sgEuWeb, 'in', 8080, cidr(prodEuw1.cidr), 'from the VPC, added at 60 %', { authorizedAt: at(0.6) });
  allOut(sgEuWeb);
  b.allow(sgEuDb, 'in', 3306, group(sgEuWeb), 'MySQL for the web tier');
  allOut(sgEuDb);
  b.allow(sgMailer, 'out', 587, anyV4, 'SMTP submission');
  b.allow(sgMailer, 'out', 443, anyV4, 'HTTPS (unused)');
  b.allow(sgEvents, 'in', 443, cidr(prodUse1.cidr), 'from the shop VPC over peering (wider than used: only orders call it)');
  allOut(sgEvents);
  b.allow(sgAurora, 'in', 5432, group(sgEvents), 'from the events API');
  b.allow(sgAurora, 'in', 5432, group(sgEks), 'from the EKS pods');
  allOut(sgAurora);
  b.allow(sgEks, 'in', 'all', group(sgEks), 'node to node (unused)');
  allOut(sgEks);
  b.allow(sgEks, 'out', 5432, cidr(dataUse1.cidr), 'PostgreSQL in the VPC (more specific than all traffic out)');
  b.allow(sgSqsEp, 'in', 443, cidr(dataUse1.cidr), 'from the VPC');
  b.allow(sgRepl, 'out', 443, cidr(dataEuw1.cidr), 'to the archive over peering');
  b.allow(sgArchive, 'in', 443, cidr(dataUse1.cidr), 'from the replicator over peering');
  allOut(sgArchive);
  b.allow(sgCompactor, 'out', 443, pl('eu-west-1', 's3'), 'S3 only');
  b.allow(sgMetrics, 'in', 4317, cidr('10.0.0.0/8'), 'OTLP from every VPC');
  b.allow(sgMetrics, 'in', 4317, cidr(prodUse1.cidr), 'OTLP from the shop (a longer prefix than every VPC)');
  allOut(sgMetrics);
  b.allow(sgIngest, 'in', 443, cidr(toolsEuw1.cidr), 'from the network load balancer');
  allOut(sgIngest);
  allOut(sgCi);
  b.allow(sgEcrEp, 'in', 443, group(sgCi), 'from the CI runners');
  b.allow(sgNotifier, 'out', 443, anyV4, 'HTTPS to the chat service');

  b.allocatePools();

  // Tag changes over the window (CloudTrail CreateTags / DeleteTags).
  for (const x of api) b.changeTags(x.res, at(0.4), 'CreateTags', { owner: 'team-payments' }, 'alice');
  for (const x of orders) b.changeTags(x.res, at(0.3), 'DeleteTags', { 'cost-center': 'cc-1234' }, 'bob');
  for (const x of events) b.changeTags(x.res, at(0.55), 'CreateTags', { app: 'events-ingest', env: 'production' }, 'carol');

  // Target groups.
  const tg = (lb: LoadBalancer, name: string, port: number, targetType: 'instance' | 'ip', targets: Eni[], protocol = 'HTTP'): TargetGroup => ({
    arn: `arn:aws:elasticloadbalancing:${lb.res.region}:${lb.res.account}:targetgroup/${name}/${b.hex(16)}`,
    name,
    lb,
    port,
    protocol,
    targetType,
    vpc: lb.res.vpc!,
    targets,
  });
  const targetGroups = [
    tg(albWeb, 'shop-web-tg', 8080, 'instance', webAsg),
    tg(albWeb, 'shop-checkout-tg', 8080, 'ip', checkoutTasks),
    tg(albApi, 'shop-api-tg', 8080, 'instance', api.map((x) => x.eni)),
    tg(albEu, 'shop-eu-web-tg', 8080, 'instance', euWeb.map((x) => x.eni)),
    tg(nlb, 'tools-ingest-tg', 443, 'instance', ingest.map((x) => x.eni), 'TCP'),
  ];

  // The ingest service address on an ENI of its own (device 1) of a standby ingest instance, attached to it again
  // after a failover at the window's middle: the inventory, taken after, shows it from that AttachTime only, so
  // the NLB's traffic to it before then is proven by the ENI's own records (made last: every id and address
  // before it stays as it was).
  const standby = instance(b, { vpc: toolsEuw1, subnet: priv(toolsEuw1)[1], sgs: [sgIngest], name: 'ingest-standby', tags: ingestTags })!;
  const failoverEni = b.eni({
    resource: standby.res,
    vpc: toolsEuw1,
    subnet: standby.eni.subnet,
    sgs: [sgIngest],
    primaryIp: b.staticIp(standby.eni.subnet),
    description: 'ingest service address',
    interfaceType: 'interface',
    requesterManaged: false,
    instanceId: standby.res.id,
    deviceIndex: 1,
    attachmentId: b.id('eni-attach'),
    attachOwner: toolsEuw1.account,
    from: standby.res.from,
    to: FOREVER,
    attachedAt: at(0.5),
  });
  (standby.res.extra.enis as Eni[]).push(failoverEni);

  // ------------------------------------------------------------------ traffic patterns
  const hourCache = new Map<Eni[], { key: number; list: Eni[] }>();
  /** Members alive for the whole conversation. */
  const alive = (list: Eni[], c: PatternCtx): Eni[] => {
    const key = Math.floor(c.t / 3600);
    let hit = hourCache.get(list);
    if (!hit || hit.key !== key) {
      hit = { key, list: list.filter((e) => e.from < (key + 1) * 3600 && e.to > key * 3600) };
      hourCache.set(list, hit);
    }
    const endT = c.t + c.minutes * 60;
    return hit.list.filter((e) => e.from <= c.t && e.to >= endT);
  };
  const one = (list: Eni[], c: PatternCtx): Eni | undefined => {
    const a = alive(list, c);
    return a.length ? c.rng.pick(a) : undefined;
  };
  const ep = (eni: Eni): Endpoint => ({ kind: 'eni', addr: eni.primaryIp, eni, resource: eni.resource });
  const podEp = (cni: Eni, ip: string): Endpoint => ({ kind: 'eni', addr: ip, eni: cni, resource: cni.podOwners!.get(ip)! });
  const v6Ep = (eni: Eni): Endpoint => ({ kind: 'eni', addr: eni.ipv6[0], eni, resource: eni.resource });
  // The internet: ordinary public addresses (of the kind GeoIP test databases use), nothing is sent to them.
  // Documentation space would not do: the enrichment types it `documentation`, not `internet`.
  const net = (addr: string): Endpoint => ({ kind: 'internet', addr });
  const user = (r: Rng) => net(`${INTERNET.users}.${r.range(1, 199)}`);
  const scanner = (r: Rng) => net(`${INTERNET.services}.${r.range(200, 250)}`);
  const ephemeral = (r: Rng) => r.range(32768, 60999);

  const conv = (
    c: PatternCtx,
    pattern: string,
    client: Endpoint,
    server: Endpoint,
    serverPort: number,
    path: EgressPath,
    upMedian: number,
    downMedian: number,
    extra: { nat?: boolean; reject?: boolean; growth?: number } = {},
  ): Conversation => {
    const reject = !!extra.reject;
    const minutes = reject ? 1 : c.minutes;
    const g = c.grow(extra.growth ?? 1.15);
    const up: number[] = [];
    const down: number[] = [];
    for (let i = 0; i < minutes; i++) {
      if (reject) {
        up.push(60 * c.rng.range(1, 3));
        down.push(0);
      } else {
        up.push(Math.max(52, Math.round(c.rng.lognormal(upMedian) * g)));
        down.push(Math.max(52, Math.round(c.rng.lognormal(downMedian) * g)));
      }
    }
    const nat = extra.nat ? client.eni!.vpc.natBySubnet.get(client.eni!.subnet.id) : undefined;
    if (extra.nat && !nat) throw new Error(`sample estate: no NAT gateway for ${client.eni!.subnet.name}`);
    return {
      pattern,
      client,
      server,
      clientPort: ephemeral(c.rng),
      serverPort,
      path,
      action: reject ? 'REJECT' : 'ACCEPT',
      start: c.t,
      minutes,
      up,
      down,
      nat,
      natPort: nat ? c.rng.range(1024, 65535) : undefined,
    };
  };
  const P = (name: string, perHour: number, make: (c: PatternCtx) => (Conversation | undefined)[], rateGrowth = 1.1): Pattern => ({
    name,
    perHour,
    rateGrowth,
    make: (c) => make(c).filter((x): x is Conversation => x !== undefined),
  });
  /** Client -> load balancer -> target, as two conversations. */
  const viaLb = (c: PatternCtx, name: string, client: Endpoint, lb: LoadBalancer, lbPort: number, targets: Eni[], port: number, path: EgressPath, up: number, down: number) => {
    const lbEni = c.rng.pick(lb.enis);
    const target = one(targets, c);
    if (!target) return [];
    return [conv(c, name, client, ep(lbEni), lbPort, path, up, down), conv(c, name, ep(lbEni), ep(target), port, 'same-vpc', up * 1.1, down * 1.05)];
  };
  const pod = (c: PatternCtx) => {
    const node = c.rng.pick(nodes);
    return podEp(node.cni, c.rng.pick(node.podIps));
  };
  const inst = (list: Instance[]) => list.map((x) => x.eni);

  const patterns: Pattern[] = [
    // shop (prod-use1)
    P('web-from-internet', 8, (c) => viaLb(c, 'web-from-internet', user(c.rng), albWeb, 443, webAsg, 8080, 'internet-gateway', 1800, 40000)),
    P('checkout-from-internet', 3, (c) => viaLb(c, 'checkout-from-internet', user(c.rng), albWeb, 443, checkoutTasks, 8080, 'internet-gateway', 2500, 9000)),
    P('web-to-redis', 5, (c) => {
      const w = one(webAsg, c);
      return w ? [conv(c, 'web-to-redis', ep(w), ep(c.rng.pick(redis).eni), 6379, 'same-vpc', 3000, 12000)] : [];
    }),
    P('web-to-api', 5, (c) => {
      const w = one(webAsg, c);
      return w ? viaLb(c, 'web-to-api', ep(w), albApi, 80, inst(api), 8080, 'same-vpc', 2000, 15000) : [];
    }),
    P('api-to-db-via-proxy', 4, (c) => {
      const a = c.rng.pick(api).eni;
      const p = c.rng.pick(proxy.enis);
      return [conv(c, 'api-to-db-via-proxy', ep(a), ep(p), 5432, 'same-vpc', 4000, 60000), conv(c, 'api-to-db-via-proxy', ep(p), ep(shopDb.eni), 5432, 'same-vpc', 4000, 60000)];
    }),
    P('checkout-to-proxy', 2, (c) => {
      const t = one(checkoutTasks, c);
      return t ? [conv(c, 'checkout-to-proxy', ep(t), ep(c.rng.pick(proxy.enis)), 5432, 'same-vpc', 3000, 20000)] : [];
    }),
    P('lambda-to-db-direct', 1.5, (c) => {
      const l = one(reporting.enis(), c);
      return l ? [conv(c, 'lambda-to-db-direct', ep(l), ep(shopDb.eni), 5432, 'same-vpc', 6000, 250000)] : [];
    }),
    P(
      's3-through-nat',
      2,
      (c) => {
        const l = one(thumbs.enis(), c);
        return l ? [conv(c, 's3-through-nat', ep(l), awsAddr('S3', 'us-east-1', c.rng), 443, 'nat-gateway', 900000, 8000, { nat: true, growth: 5 })] : [];
      },
      1.6,
    ),
    P('alb-bypass', 2, (c) => [conv(c, 'alb-bypass', ep(c.rng.pick(orders).eni), ep(c.rng.pick(api).eni), 8080, 'same-vpc', 2500, 30000)]),
    P('orders-to-events-peering', 2, (c) => [conv(c, 'orders-to-events-peering', ep(c.rng.pick(orders).eni), ep(c.rng.pick(events).eni), 443, 'peering-intra-region', 20000, 3000, { growth: 1.5 })]),
    P('checkout-to-payments', 2, (c) => {
      const t = one(checkoutTasks, c);
      return t ? [conv(c, 'checkout-to-payments', ep(t), net(`${INTERNET.services}.${c.rng.range(10, 12)}`), 443, 'nat-gateway', 4000, 6000, { nat: true })] : [];
    }),
    P('api-to-internet', 1, (c) => [conv(c, 'api-to-internet', ep(c.rng.pick(api).eni), net(`${INTERNET.services}.${c.rng.range(20, 24)}`), 443, 'nat-gateway', 3000, 50000, { nat: true })]),
    P('bastion-ipv6', 0.5, (c) => [conv(c, 'bastion-ipv6', v6Ep(bastion.eni), net(`${INTERNET.v6}${c.rng.range(16, 64).toString(16)}`), 443, 'internet-gateway', 2000, 300000)]),
    P('ssh-scan-rejected', 1, (c) => [conv(c, 'ssh-scan-rejected', scanner(c.rng), ep(bastion.eni), c.rng.pick([22, 22, 3389, 23]), 'internet-gateway', 60, 0, { reject: true })]),
    P('web-to-metrics-tgw', 2, (c) => {
      const w = one(webAsg, c);
      return w ? [conv(c, 'web-to-metrics-tgw', ep(w), ep(c.rng.pick(metrics).eni), 4317, 'transit-gateway', 30000, 1500)] : [];
    }),
    P('lambda-to-redis-rejected', 0.3, (c) => {
      const l = one(reporting.enis(), c);
      return l ? [conv(c, 'lambda-to-redis-rejected', ep(l), ep(redis[0].eni), 6379, 'same-vpc', 60, 0, { reject: true })] : [];
    }),
    // analytics (data-use1)
    P('events-to-dynamodb-endpoint', 3, (c) => [conv(c, 'events-to-dynamodb-endpoint', ep(c.rng.pick(events).eni), awsAddr('DYNAMODB', 'us-east-1', c.rng), 443, 'gateway-endpoint', 8000, 4000)]),
    P('events-to-aurora', 2, (c) => [conv(c, 'events-to-aurora', ep(c.rng.pick(events).eni), ep(auroraW.eni), 5432, 'same-vpc', 15000, 3000)]),
    P('pods-to-s3-endpoint', 2, (c) => [conv(c, 'pods-to-s3-endpoint', pod(c), awsAddr('S3', 'us-east-1', c.rng), 443, 'gateway-endpoint', 20000, 400000)]),
    P('pods-to-sqs-endpoint', 1.5, (c) => [conv(c, 'pods-to-sqs-endpoint', pod(c), ep(c.rng.pick(sqsEp.enis)), 443, 'interface-endpoint', 3000, 5000)]),
    P('pods-to-aurora-reader', 1.5, (c) => [conv(c, 'pods-to-aurora-reader', pod(c), ep(auroraR.eni), 5432, 'same-vpc', 3000, 90000)]),
    P('replicator-inter-region', 1, (c) => [conv(c, 'replicator-inter-region', ep(replicator.eni), ep(c.rng.pick(archive).eni), 443, 'peering-inter-region', 500000, 4000)]),
    P('pods-to-metrics-tgw', 1, (c) => [conv(c, 'pods-to-metrics-tgw', pod(c), ep(c.rng.pick(metrics).eni), 4317, 'transit-gateway', 20000, 1200)]),
    // archive-eu (data-euw1)
    P('archive-to-s3-endpoint', 1, (c) => [conv(c, 'archive-to-s3-endpoint', ep(c.rng.pick(archive).eni), awsAddr('S3', 'eu-west-1', c.rng), 443, 'gateway-endpoint', 600000, 5000)]),
    P('dynamodb-through-nat', 1, (c) => [conv(c, 'dynamodb-through-nat', ep(c.rng.pick(archive).eni), awsAddr('DYNAMODB', 'eu-west-1', c.rng), 443, 'nat-gateway', 20000, 8000, { nat: true })]),
    P('compactor-to-s3-endpoint', 0.5, (c) => {
      const l = one(compactor.enis(), c);
      return l ? [conv(c, 'compactor-to-s3-endpoint', ep(l), awsAddr('S3', 'eu-west-1', c.rng), 443, 'gateway-endpoint', 300000, 300000)] : [];
    }),
    // tools (tools-euw1)
    P('ingest-via-nlb', 3, (c) => viaLb(c, 'ingest-via-nlb', user(c.rng), nlb, 443, inst(ingest), 443, 'internet-gateway', 40000, 2000)),
    P('ingest-s3-through-nat', 1.5, (c) => [conv(c, 'ingest-s3-through-nat', ep(c.rng.pick(ingest).eni), awsAddr('S3', 'eu-west-1', c.rng), 443, 'nat-gateway', 200000, 3000, { nat: true })]),
    P('ci-to-internet', 2, (c) => {
      const t = one(ciTasks, c);
      return t ? [conv(c, 'ci-to-internet', ep(t), net(`${INTERNET.services}.${c.rng.range(50, 54)}`), 443, 'nat-gateway', 5000, 800000, { nat: true })] : [];
    }),
    P('ci-to-ecr-endpoint', 1, (c) => {
      const t = one(ciTasks, c);
      return t ? [conv(c, 'ci-to-ecr-endpoint', ep(t), ep(c.rng.pick(ecrEp.enis)), 443, 'interface-endpoint', 4000, 1500000)] : [];
    }),
    P('notifier-to-internet', 0.5, (c) => {
      const l = one(notifier.enis(), c);
      return l ? [conv(c, 'notifier-to-internet', ep(l), net(`${INTERNET.users}.${c.rng.range(200, 210)}`), 443, 'nat-gateway', 2000, 1000, { nat: true })] : [];
    }),
    // shop-eu (prod-euw1)
    P('eu-web-from-internet', 3, (c) => viaLb(c, 'eu-web-from-internet', user(c.rng), albEu, 443, inst(euWeb), 8080, 'internet-gateway', 1800, 35000)),
    P('eu-web-to-db', 2, (c) => [conv(c, 'eu-web-to-db', ep(c.rng.pick(euWeb).eni), ep(euDb.eni), 3306, 'same-vpc', 2000, 20000)]),
    P('eu-mailer-to-internet', 0.5, (c) => {
      const l = one(mailer.enis(), c);
      return l ? [conv(c, 'eu-mailer-to-internet', ep(l), net(`${INTERNET.users}.${c.rng.range(220, 225)}`), 587, 'nat-gateway', 30000, 1000, { nat: true })] : [];
    }),
    // last, on a stream of its own: the patterns before it keep their index and their traffic
    // over a site-to-site VPN the inventory does not show (traffic-path 3) to shared-services, which archive-eu has no
    // peering or transit gateway to: the collector's address is found as the one ENI that held it (inferred), cross-account
    {
      ...P('archive-to-metrics-vpn', 0.3, (c) => [conv(c, 'archive-to-metrics-vpn', ep(c.rng.pick(archive).eni), ep(c.rng.pick(metrics).eni), 4317, 'virtual-private-gateway', 15000, 1000)]),
      stream: 'archive-to-metrics-vpn',
    },
    // the NLB to the ingest service address that failed over (above), seen at both ends: before the AttachTime the
    // inventory shows, the server's side is the ENI its own records prove (no owner); after it, the standby instance
    {
      ...P('ingest-failover-eni', 1, (c) => [conv(c, 'ingest-failover-eni', ep(c.rng.pick(nlb.enis)), ep(failoverEni), 443, 'same-vpc', 40000, 2000)]),
      stream: 'ingest-failover-eni',
    },
    // after the web tier's migration rule was revoked (at 40 %), the order workers still call a web instance on 8080
    // and are refused: the revoked rule would have allowed it (sg-would-have-allowed names it)
    {
      ...P('web-after-migration-revoked', 3, (c) => {
        const web = c.t >= at(0.4) + 60 ? one(webAsg, c) : undefined;
        return web ? [conv(c, 'web-after-migration-revoked', ep(c.rng.pick(orders).eni), ep(web), 8080, 'same-vpc', 300, 0, { reject: true })] : [];
      }),
      stream: 'web-after-migration-revoked',
    },
  ];

  const rdsDbs = [shopDb.res, euDb.res, auroraW.res, auroraR.res];
  return {
    seed: o.seed,
    start,
    end,
    scale: o.scale,
    accounts: Object.values(ACCOUNTS),
    regions: [...REGIONS],
    vpcs: b.vpcs,
    sgs: b.sgs,
    resources: b.resources,
    enis: b.enis,
    loadBalancers: [albWeb, albApi, albEu, nlb],
    targetGroups,
    lambdas: [thumbs.res, reporting.res, mailer.res, compactor.res, notifier.res],
    dbs: rdsDbs,
    clusters: [{ id: 'analytics', arn: `arn:aws:rds:us-east-1:${ACCOUNTS.data}:cluster:analytics`, vpc: dataUse1, engine: 'aurora-postgresql', members: [auroraW.res, auroraR.res], writer: auroraW.res, tags: auroraTags }],
    proxies: [proxy.res],
    caches: redis.map((r) => r.res),
    endpoints: [...endpoints, sqsEp.res, ecrEp.res],
    peerings,
    tgw: { id: tgwId, owner: ACCOUNTS.shared, region: 'us-east-1', attachments: tgwAtt },
    prefixLists,
    awsRanges,
    patterns,
    loggingGap: bastion.eni,
  };
}
