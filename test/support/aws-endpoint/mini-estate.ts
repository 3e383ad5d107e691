/**
 * A small estate in the sample estate's layout, written by hand in AWS's output shapes, so the AWS tests do not
 * depend on the simulator: 2 accounts x 2 regions, every inventory API, flow logs in four S3 layouts (default,
 * Hive + hourly, organisation id level, Parquet via DuckDB) and one CloudWatch Logs group.
 * Window: 2026-09-01T00:00Z to 03:00Z. Everything is fake (documentation-style ids).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { AwsSource } from '../../../src/protocol/enrich';
import { EXTERNAL_ID, type TempHome } from './home';

export const A = '111111111111';
export const B = '222222222222';
export const REGIONS = ['us-east-1', 'eu-west-1'];
export const WINDOW = { since: new Date('2026-09-01T00:00:00Z'), until: new Date('2026-09-01T03:00:00Z') };
export const ENIS_PER_REGION = 12;
export const RECORDS_PER_OBJECT = 6;

const T0 = Date.parse('2026-08-01T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * An enrichment source reading this estate through the local endpoint at `url`: both accounts (role
 * FlowLogIntrospector from the temporary HOME's profile `base`), both regions, the window, fast rate limits.
 */
export function miniEstateSource(home: TempHome, url: string, o: Partial<AwsSource> = {}): AwsSource {
  return {
    kind: 'aws',
    profile: 'base',
    accounts: [A, B],
    externalId: EXTERNAL_ID,
    regions: REGIONS,
    since: WINDOW.since,
    until: WINDOW.until,
    files: { configFile: home.configFile, credentialsFile: home.credentialsFile },
    settings: { env: { AWS_ENDPOINT_URL: url }, maxAttempts: 3 },
    cloudTrailPerSecond: 100,
    logsPerSecond: 100,
    ...o,
  };
}

function put(path: string, data: string | Buffer) {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}

export interface FlowLogSpec {
  account: string;
  region: string;
  id: string;
  kind: 's3-default' | 's3-hive-hourly' | 's3-org' | 'cloudwatch';
  bucket?: string;
  prefix?: string;
  group?: string;
}

export const FLOW_LOGS: FlowLogSpec[] = [
  { account: A, region: 'us-east-1', id: 'fl-0a1b2c3d4e5f60001', kind: 's3-default', bucket: 'flowlens-logs-a', prefix: 'vpc' },
  { account: A, region: 'eu-west-1', id: 'fl-0a1b2c3d4e5f60002', kind: 's3-hive-hourly', bucket: 'flowlens-logs-a', prefix: 'hive' },
  { account: B, region: 'us-east-1', id: 'fl-0a1b2c3d4e5f60003', kind: 'cloudwatch', group: '/flowlens/vpc-flow' },
  { account: B, region: 'eu-west-1', id: 'fl-0a1b2c3d4e5f60004', kind: 's3-org', bucket: 'flowlens-org-logs', prefix: '' },
];
export const ORG_ID = 'o-a1b2c3d4e5';

function eniId(account: string, region: string, i: number) {
  return `eni-0${account.slice(0, 2)}${region === 'us-east-1' ? 'a' : 'b'}${String(i).padStart(13, '0')}`;
}
function ip(account: string, region: string, i: number) {
  return `10.${account === A ? 1 : 2}.${region === 'us-east-1' ? 1 : 2}.${10 + i}`;
}

/** Writes the estate; returns the flow-record count per flow log id (NODATA lines included). */
export function writeMiniEstate(dir: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const account of [A, B]) {
    for (const region of REGIONS) {
      const inv = (svc: string, op: string, doc: unknown) => put(join(dir, 'inventory', account, region, `${svc}.${op}.json`), JSON.stringify(doc, null, 1));
      const r = region === 'us-east-1' ? 'a' : 'b';
      const vpc = `vpc-0${account.slice(0, 2)}${r}00000000000001`;
      const subnets = [0, 1].map((i) => `subnet-0${account.slice(0, 2)}${r}0000000000000${i}`);
      const sg = `sg-0${account.slice(0, 2)}${r}000000000000001`;
      const azs = [`${region}a`, `${region}b`];
      const cidr = `10.${account === A ? 1 : 2}.0.0/16`;
      inv('ec2', 'DescribeVpcs', { Vpcs: [{ VpcId: vpc, CidrBlock: cidr, OwnerId: account, State: 'available', IsDefault: false, Tags: [{ Key: 'Name', Value: `main-${r}` }] }] });
      inv('ec2', 'DescribeSubnets', {
        Subnets: subnets.map((s, i) => ({
          SubnetId: s,
          VpcId: vpc,
          CidrBlock: `10.${account === A ? 1 : 2}.${i + 1}.0/24`,
          AvailabilityZone: azs[i],
          AvailabilityZoneId: `use1-az${i + 1}`,
          OwnerId: account,
          MapPublicIpOnLaunch: i === 0,
          State: 'available',
          SubnetArn: `arn:aws:ec2:${region}:${account}:subnet/${s}`,
        })),
      });
      inv('ec2', 'DescribeSecurityGroups', {
        SecurityGroups: [{ GroupId: sg, GroupName: 'app', Description: 'app servers', VpcId: vpc, OwnerId: account, IpPermissions: [{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '10.0.0.0/8' }] }] }],
      });
      type Eni = { NetworkInterfaceId: string; PrivateIpAddress: string; SubnetId: string; AvailabilityZone: string; Attachment?: { InstanceId: string } };
      const enis: Eni[] = Array.from({ length: ENIS_PER_REGION }, (_, i) => ({
        NetworkInterfaceId: eniId(account, region, i),
        InterfaceType: 'interface',
        Description: i === 0 ? 'ELB app/web/50dc6c495c0c9188' : 'Primary network interface',
        SubnetId: subnets[i % 2],
        VpcId: vpc,
        AvailabilityZone: azs[i % 2],
        OwnerId: account,
        PrivateIpAddress: ip(account, region, i),
        PrivateIpAddresses: [{ PrivateIpAddress: ip(account, region, i), Primary: true }],
        Groups: [{ GroupId: sg, GroupName: 'app' }],
        Status: 'in-use',
        MacAddress: '0a:00:00:00:00:01',
        SourceDestCheck: true,
        RequesterManaged: false,
        ...(i > 0
          ? { Attachment: { AttachmentId: `eni-attach-0${String(i).padStart(16, '0')}`, InstanceId: `i-0${account.slice(0, 2)}${r}${String(i).padStart(13, '0')}`, InstanceOwnerId: account, DeviceIndex: 0, Status: 'attached', AttachTime: iso(T0), DeleteOnTermination: true } }
          : { RequesterId: 'amazon-elb' }),
        TagSet: [{ Key: 'app', Value: `app${i % 3}` }],
      }));
      inv('ec2', 'DescribeNetworkInterfaces', { NetworkInterfaces: enis });
      inv('ec2', 'DescribeInstances', {
        Reservations: enis.slice(1).map((e) => ({
          ReservationId: `r-0${e.NetworkInterfaceId.slice(5)}`,
          OwnerId: account,
          Instances: [
            {
              InstanceId: e.Attachment!.InstanceId,
              InstanceType: 't3.micro',
              LaunchTime: iso(T0),
              PrivateIpAddress: e.PrivateIpAddress,
              SubnetId: e.SubnetId,
              VpcId: vpc,
              Placement: { AvailabilityZone: e.AvailabilityZone },
              State: { Code: 16, Name: 'running' },
              NetworkInterfaces: [{ NetworkInterfaceId: e.NetworkInterfaceId, PrivateIpAddress: e.PrivateIpAddress, SubnetId: e.SubnetId, VpcId: vpc }],
              Tags: [{ Key: 'app', Value: 'web' }],
            },
          ],
        })),
      });
      inv('ec2', 'DescribeNatGateways', { NatGateways: [{ NatGatewayId: `nat-0${account.slice(0, 2)}${r}000000000001`, VpcId: vpc, SubnetId: subnets[0], State: 'available', ConnectivityType: 'public', CreateTime: iso(T0), NatGatewayAddresses: [{ PublicIp: '203.0.113.10', PrivateIp: '10.1.1.200', NetworkInterfaceId: `eni-0nat${r}${account.slice(0, 4)}00000001`, AllocationId: 'eipalloc-0abc' }] }] });
      inv('ec2', 'DescribeInternetGateways', { InternetGateways: [{ InternetGatewayId: `igw-0${account.slice(0, 2)}${r}00000001`, OwnerId: account, Attachments: [{ VpcId: vpc, State: 'available' }] }] });
      const pl = region === 'us-east-1' ? 'pl-63a5400a' : 'pl-6da54004';
      inv('ec2', 'DescribeVpcEndpoints', { VpcEndpoints: [{ VpcEndpointId: `vpce-0${account.slice(0, 2)}${r}000000001`, VpcEndpointType: 'Gateway', VpcId: vpc, ServiceName: `com.amazonaws.${region}.s3`, State: 'available', RouteTableIds: ['rtb-0abc'], OwnerId: account, CreationTimestamp: iso(T0) }] });
      inv('ec2', 'DescribeVpcPeeringConnections', { VpcPeeringConnections: [] });
      inv('ec2', 'DescribeTransitGatewayAttachments', { TransitGatewayAttachments: [] });
      // the account's own office list, which a security-group rule names: collected for that rule
      const office = `pl-0${account.slice(0, 2)}${r}00000000001`;
      inv('ec2', 'DescribeManagedPrefixLists', {
        PrefixLists: [
          { PrefixListId: pl, PrefixListName: `com.amazonaws.${region}.s3`, AddressFamily: 'IPv4', OwnerId: 'AWS', State: 'create-complete', Version: 1 },
          { PrefixListId: office, PrefixListName: 'office', AddressFamily: 'IPv4', OwnerId: account, State: 'create-complete', Version: 1 },
          { PrefixListId: `${office.slice(0, -1)}2`, PrefixListName: 'unused', AddressFamily: 'IPv4', OwnerId: account, State: 'create-complete', Version: 1 },
        ],
      });
      inv('ec2', 'GetManagedPrefixListEntries', [
        { PrefixListId: pl, Entries: [{ Cidr: '198.51.100.0/24' }, { Cidr: '192.0.2.0/25' }] },
        { PrefixListId: office, Entries: [{ Cidr: '203.0.113.0/28', Description: 'office' }] },
      ]);
      inv('ec2', 'DescribeSecurityGroupRules', {
        SecurityGroupRules: [
          { SecurityGroupRuleId: `sgr-0${account.slice(0, 2)}${r}0000000001`, GroupId: sg, GroupOwnerId: account, IsEgress: false, IpProtocol: 'tcp', FromPort: 443, ToPort: 443, CidrIpv4: '10.0.0.0/8' },
          { SecurityGroupRuleId: `sgr-0${account.slice(0, 2)}${r}0000000002`, GroupId: sg, GroupOwnerId: account, IsEgress: false, IpProtocol: 'tcp', FromPort: 22, ToPort: 22, PrefixListId: office },
        ],
      });
      const flowLogs = FLOW_LOGS.filter((f) => f.account === account && f.region === region).map((f) => ({
        FlowLogId: f.id,
        FlowLogStatus: 'ACTIVE',
        ResourceId: vpc,
        TrafficType: 'ALL',
        CreationTime: iso(T0),
        MaxAggregationInterval: 60,
        LogFormat: '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}',
        ...(f.kind === 'cloudwatch'
          ? { LogDestinationType: 'cloud-watch-logs', LogGroupName: f.group, DeliverLogsPermissionArn: `arn:aws:iam::${account}:role/flow-logs` }
          : {
              LogDestinationType: 's3',
              LogDestination: `arn:aws:s3:::${f.bucket}${f.prefix ? '/' + f.prefix : ''}`,
              DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: f.kind === 's3-hive-hourly', PerHourPartition: f.kind === 's3-hive-hourly' },
            }),
      }));
      inv('ec2', 'DescribeFlowLogs', { FlowLogs: flowLogs });
      const lbArn = `arn:aws:elasticloadbalancing:${region}:${account}:loadbalancer/app/web/50dc6c495c0c9188`;
      const tgArn = `arn:aws:elasticloadbalancing:${region}:${account}:targetgroup/web/73e2d6bc24d8a067`;
      inv('elbv2', 'DescribeLoadBalancers', { LoadBalancers: [{ LoadBalancerArn: lbArn, LoadBalancerName: 'web', DNSName: 'web-1.example.com', Scheme: 'internal', VpcId: vpc, Type: 'application', State: { Code: 'active' }, AvailabilityZones: azs.map((z, i) => ({ ZoneName: z, SubnetId: subnets[i] })), SecurityGroups: [sg], CreatedTime: iso(T0), IpAddressType: 'ipv4' }] });
      inv('elbv2', 'DescribeTargetGroups', { TargetGroups: [{ TargetGroupArn: tgArn, TargetGroupName: 'web', Protocol: 'HTTP', Port: 80, VpcId: vpc, TargetType: 'instance', LoadBalancerArns: [lbArn] }] });
      inv('elbv2', 'DescribeTargetHealth', [
        { TargetGroupArn: tgArn, TargetHealthDescriptions: enis.slice(1, 4).map((e) => ({ Target: { Id: e.Attachment!.InstanceId, Port: 80 }, HealthCheckPort: '80', TargetHealth: { State: 'healthy' } })) },
      ]);
      const dbArn = `arn:aws:rds:${region}:${account}:db:orders`;
      inv('rds', 'DescribeDBInstances', { DBInstances: [{ DBInstanceIdentifier: 'orders', DBInstanceArn: dbArn, Engine: 'postgres', DBInstanceClass: 'db.t3.micro', DBInstanceStatus: 'available', Endpoint: { Address: 'orders.abc.example.com', Port: 5432 }, AvailabilityZone: azs[0], DBSubnetGroup: { DBSubnetGroupName: 'db', VpcId: vpc, Subnets: subnets.map((s, i) => ({ SubnetIdentifier: s, SubnetAvailabilityZone: { Name: azs[i] } })) }, VpcSecurityGroups: [{ VpcSecurityGroupId: sg, Status: 'active' }], InstanceCreateTime: iso(T0), TagList: [{ Key: 'app', Value: 'orders' }] }] });
      inv('rds', 'DescribeDBClusters', { DBClusters: [] });
      inv('rds', 'DescribeDBProxies', { DBProxies: [{ DBProxyName: 'orders-proxy', DBProxyArn: `arn:aws:rds:${region}:${account}:db-proxy:prx-0123456789abcdef0`, EngineFamily: 'POSTGRESQL', VpcId: vpc, VpcSecurityGroupIds: [sg], VpcSubnetIds: subnets, Endpoint: 'orders-proxy.proxy-abc.example.com', Status: 'available', CreatedDate: iso(T0) }] });
      inv('rds', 'DescribeDBProxyEndpoints', { DBProxyEndpoints: [{ DBProxyEndpointName: 'orders-read', DBProxyEndpointArn: `arn:aws:rds:${region}:${account}:db-proxy-endpoint:prx-endpoint-0123456789abcdef0`, DBProxyName: 'orders-proxy', Status: 'available', VpcId: vpc, VpcSecurityGroupIds: [sg], VpcSubnetIds: subnets, Endpoint: 'orders-read.endpoint.proxy-abc.example.com', CreatedDate: iso(T0), TargetRole: 'READ_ONLY', IsDefault: false }] });
      inv('rds', 'DescribeDBProxyTargets', [{ DBProxyName: 'orders-proxy', Targets: [{ Endpoint: 'orders.abc.example.com', RdsResourceId: 'orders', Port: 5432, Type: 'RDS_INSTANCE', TargetArn: dbArn }] }]);
      inv('lambda', 'ListFunctions', { Functions: Array.from({ length: 7 }, (_, i) => ({ FunctionName: `fn-${i}`, FunctionArn: `arn:aws:lambda:${region}:${account}:function:fn-${i}`, Runtime: 'nodejs20.x', LastModified: '2026-08-01T10:00:00.000+0000', VpcConfig: { SubnetIds: [subnets[0]], SecurityGroupIds: [sg], VpcId: vpc } })) });
      inv('elasticache', 'DescribeCacheClusters', { CacheClusters: [{ CacheClusterId: 'sessions-001', Engine: 'redis', CacheNodeType: 'cache.t3.micro', CacheClusterStatus: 'available', NumCacheNodes: 1, CacheSubnetGroupName: 'cache', SecurityGroups: [{ SecurityGroupId: sg, Status: 'active' }], CacheNodes: [{ CacheNodeId: '0001', CacheNodeStatus: 'available', Endpoint: { Address: 'sessions-001.abc.cache.example.com', Port: 6379 }, CustomerAvailabilityZone: azs[0] }], ARN: `arn:aws:elasticache:${region}:${account}:cluster:sessions-001` }] });
      // ECS: two clusters; 'shop' has more running tasks than a page holds, and one stopped task. In the order the
      // collector asks: cluster by cluster, running then stopped.
      const ecsTask = (cluster: string, n: number, stopped: boolean) => {
        const id = `${account.slice(0, 2)}${r}${cluster === 'shop' ? 'a' : 'b'}${String(n).padStart(28, '0')}`;
        const attachment = `0000${n}000-0000-4000-8000-${account.slice(0, 2)}${r}000000000${cluster === 'shop' ? 'a' : 'b'}`;
        const eni = `eni-0ec${r}${account.slice(0, 2)}${String(n).padStart(12, '0')}`;
        return {
          attachments: [{ id: attachment, type: 'ElasticNetworkInterface', status: stopped ? 'DELETED' : 'ATTACHED', details: [
            { name: 'subnetId', value: subnets[1] }, { name: 'networkInterfaceId', value: eni }, { name: 'privateIPv4Address', value: `10.${account === A ? 1 : 2}.2.${100 + n}` },
          ] }],
          availabilityZone: azs[1],
          clusterArn: `arn:aws:ecs:${region}:${account}:cluster/${cluster}`,
          createdAt: iso(T0 + n * 60_000),
          desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
          group: `service:${cluster === 'shop' ? 'checkout' : 'jobs'}`,
          lastStatus: stopped ? 'STOPPED' : 'RUNNING',
          launchType: 'FARGATE',
          startedAt: iso(T0 + n * 60_000 + 30_000),
          ...(stopped ? { stoppedAt: iso(T0 + 3600_000), stoppedReason: 'Scaling activity initiated by (deployment ecs-svc/1)' } : {}),
          tags: [{ key: 'aws:ecs:serviceName', value: cluster === 'shop' ? 'checkout' : 'jobs' }, { key: 'app', value: cluster }],
          taskArn: `arn:aws:ecs:${region}:${account}:task/${cluster}/${id}`,
          taskDefinitionArn: `arn:aws:ecs:${region}:${account}:task-definition/${cluster}:3`,
          version: stopped ? 5 : 3,
        };
      };
      inv('ecs', 'DescribeTasks', {
        tasks: [...[0, 1, 2, 3, 4, 5].map((n) => ecsTask('shop', n, false)), ecsTask('shop', 6, true), ecsTask('batch', 7, false)],
        failures: [],
      });
      // Tags from each service's own API (tag:GetResources below has the instances only)
      const natEni = `eni-0nat${r}${account.slice(0, 4)}00000001`;
      inv('ec2', 'DescribeAddresses', { Addresses: [{ PublicIp: '203.0.113.10', AllocationId: 'eipalloc-0abc', AssociationId: 'eipassoc-0abc', Domain: 'vpc', NetworkInterfaceId: natEni, NetworkInterfaceOwnerId: account, PrivateIpAddress: '10.1.1.200', PublicIpv4Pool: 'amazon', NetworkBorderGroup: region, Tags: [{ Key: 'Name', Value: 'nat-egress' }] }] });
      inv('elbv2', 'DescribeTags', { TagDescriptions: [{ ResourceArn: lbArn, Tags: [{ Key: 'team', Value: 'web-team' }] }] });
      inv('lambda', 'ListTags', Array.from({ length: 7 }, (_, i) => ({ Resource: `arn:aws:lambda:${region}:${account}:function:fn-${i}`, Tags: { team: 'fn-team', fn: `fn-${i}` } })));
      inv('rds', 'ListTagsForResource', [{ ResourceName: `arn:aws:rds:${region}:${account}:db-proxy:prx-0123456789abcdef0`, TagList: [{ Key: 'team', Value: 'data' }] }]);
      // in account B, tag:GetResources has the cache cluster's tags, so its own API is not asked
      const cacheArn = `arn:aws:elasticache:${region}:${account}:cluster:sessions-001`;
      inv('elasticache', 'ListTagsForResource', account === B ? [] : [{ ResourceName: cacheArn, TagList: [{ Key: 'team', Value: 'cache' }] }]);
      const fs = `fs-0${account.slice(0, 2)}${r}0000000000001`;
      inv('efs', 'DescribeFileSystems', { FileSystems: [{ OwnerId: account, CreationToken: 'shared', FileSystemId: fs, FileSystemArn: `arn:aws:elasticfilesystem:${region}:${account}:file-system/${fs}`, CreationTime: iso(T0), LifeCycleState: 'available', Name: 'shared', NumberOfMountTargets: 1, SizeInBytes: { Value: 6144 }, PerformanceMode: 'generalPurpose', Encrypted: true, ThroughputMode: 'bursting', Tags: [{ Key: 'Name', Value: 'shared' }, { Key: 'team', Value: 'storage' }] }] });
      inv('efs', 'DescribeMountTargets', { MountTargets: [{ OwnerId: account, MountTargetId: `fsmt-0${account.slice(0, 2)}${r}000000001`, FileSystemId: fs, SubnetId: subnets[1], LifeCycleState: 'available', IpAddress: `10.${account === A ? 1 : 2}.2.250`, NetworkInterfaceId: `eni-0efs${r}${account.slice(0, 4)}0000001`, AvailabilityZoneId: 'use1-az2', AvailabilityZoneName: azs[1], VpcId: vpc }] });
      inv('resourcegroupstaggingapi', 'GetResources', {
        ResourceTagMappingList: [
          ...enis.slice(1).map((e) => ({ ResourceARN: `arn:aws:ec2:${region}:${account}:instance/${e.Attachment!.InstanceId}`, Tags: [{ Key: 'app', Value: 'web' }, { Key: 'owner', Value: 'team-a' }] })),
          ...(account === B ? [{ ResourceARN: cacheArn, Tags: [{ Key: 'team', Value: 'cache' }] }] : []),
        ],
      });
      const ctEvent = (name: string, minutes: number, eni: string) => ({
        EventId: `0000${name.length}${minutes}-${account}-${r}`,
        EventName: name,
        ReadOnly: 'false',
        EventTime: iso(Date.parse('2026-09-01T00:00:00Z') + minutes * 60_000),
        EventSource: 'ec2.amazonaws.com',
        Username: 'lambda',
        Resources: [{ ResourceType: 'AWS::EC2::NetworkInterface', ResourceName: eni }],
        CloudTrailEvent: JSON.stringify({
          eventVersion: '1.08',
          eventTime: iso(Date.parse('2026-09-01T00:00:00Z') + minutes * 60_000),
          eventSource: 'ec2.amazonaws.com',
          eventName: name,
          awsRegion: region,
          recipientAccountId: account,
          requestParameters: name === 'DeleteNetworkInterface' ? { networkInterfaceId: eni } : { subnetId: subnets[0] },
          responseElements: name === 'CreateNetworkInterface' ? { networkInterface: { networkInterfaceId: eni, subnetId: subnets[0], vpcId: vpc, privateIpAddress: '10.9.9.9' } } : null,
        }),
      });
      const gone = `eni-0gone${r}${account.slice(0, 4)}0000001`;
      inv('cloudtrail', 'LookupEvents', { Events: [ctEvent('CreateNetworkInterface', 5, gone), ctEvent('DeleteNetworkInterface', 65, gone), ctEvent('CreateNetworkInterface', 60 * 30, 'eni-0late')] });

      // Flow logs.
      for (const f of FLOW_LOGS.filter((x) => x.account === account && x.region === region)) {
        counts[f.id] = 0;
        for (let h = 0; h < 3; h++) {
          const start = Date.parse('2026-09-01T00:00:00Z') / 1000 + h * 3600;
          const lines: string[] = [];
          for (let k = 0; k < RECORDS_PER_OBJECT; k++) {
            const e = enis[(h + k) % enis.length]!;
            const s = start + k * 60;
            if (k === RECORDS_PER_OBJECT - 1) lines.push(`2 ${account} ${e.NetworkInterfaceId} - - - - - - - ${s} ${s + 60} - NODATA`);
            else lines.push(`2 ${account} ${e.NetworkInterfaceId} ${e.PrivateIpAddress} ${ip(account, region, (k + 5) % ENIS_PER_REGION)} ${40000 + k} 443 6 ${10 + k} ${1000 * (k + 1)} ${s} ${s + 60} ACCEPT OK`);
          }
          counts[f.id]! += lines.length;
          const stamp = new Date(start * 1000).toISOString().replace(/[-:]/g, '').slice(0, 13) + 'Z';
          const y = '2026';
          const m = '09';
          const d = '01';
          const hh = String(h).padStart(2, '0');
          const file = `${account}_vpcflowlogs_${region}_${f.id}_${stamp}_${(h * 7919 + 13).toString(16).padStart(8, '0')}.log.gz`;
          const header = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';
          if (f.kind === 'cloudwatch') {
            const byEni = new Map<string, { timestamp: number; message: string }[]>();
            for (const l of lines) {
              const t = l.split(' ');
              const list = byEni.get(t[2]!) ?? [];
              list.push({ timestamp: Number(t[10]) * 1000, message: l });
              byEni.set(t[2]!, list);
            }
            for (const [eni, evs] of byEni) {
              const p = join(dir, 'flowlogs', 'cloudwatch', 'flowlens', 'vpc-flow', `${eni}-all.json`);
              type Ev = { timestamp: number; message: string; logStreamName: string };
              const prev: Ev[] = existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as { events: Ev[] }).events : [];
              put(p, JSON.stringify({ events: [...prev, ...evs.map((e) => ({ ...e, logStreamName: `${eni}-all` }))] }));
            }
            continue;
          }
          const body = gzipSync(header + '\n' + lines.join('\n') + '\n');
          let key: string;
          if (f.kind === 's3-default') key = `${f.prefix}/AWSLogs/${account}/vpcflowlogs/${region}/${y}/${m}/${d}/${file}`;
          else if (f.kind === 's3-hive-hourly') key = `${f.prefix}/AWSLogs/aws-account-id=${account}/aws-service=vpcflowlogs/aws-region=${region}/year=${y}/month=${m}/day=${d}/hour=${hh}/${file}`;
          else key = `AWSLogs/${ORG_ID}/${account}/vpcflowlogs/${region}/${y}/${m}/${d}/${file}`;
          put(join(dir, 'flowlogs', f.bucket!, ...key.split('/')), body);
        }
      }
      // An object outside the window (the day before) that must never be listed or fetched.
      const f = FLOW_LOGS.find((x) => x.account === account && x.region === region && x.kind === 's3-default');
      if (f) put(join(dir, 'flowlogs', f.bucket!, f.prefix!, 'AWSLogs', account, 'vpcflowlogs', region, '2026', '08', '31', `${account}_vpcflowlogs_${region}_${f.id}_20260831T2300Z_outside.log.gz`), gzipSync('version account-id\n'));
    }
  }
  return counts;
}
