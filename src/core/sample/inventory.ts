/**
 * The inventory dumps: what `aws <service> <operation> --output json` prints for each account and
 * region at the end of the window, CloudTrail LookupEvents for the last 90 days, and ip-ranges.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { formatString } from '../model/flowFields';
import { AWS_V4, AWS_V6, type Estate } from './estate';
import { AGGREGATION_INTERVAL, DAY, type Eni, type Resource, type Sg, type SgRule, type Subnet, type Tags, type Vpc } from './model';
import { hash32, Rng } from './rng';

/** ISO 8601 as the AWS CLI prints timestamps. */
export function iso(t: number): string {
  return new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}
const isoZ = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
const tagList = (tags: Tags) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
const dnsName = (ip: string, region: string) =>
  `ip-${ip.replace(/\./g, '-')}.${region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`}`;

/** The rules the describe calls list at the end of the window: those not revoked by then. */
const described = (r: SgRule) => r.revokedAt === undefined;

/** A rule as CloudTrail writes it (securityGroupRuleSet's items); DescribeSecurityGroupRules' is the same in PascalCase. */
function ruleItem(g: Sg, r: SgRule): Record<string, unknown> {
  return {
    securityGroupRuleId: r.id,
    groupId: g.id,
    groupOwnerId: g.vpc.account,
    isEgress: r.egress,
    ipProtocol: r.protocol,
    fromPort: r.from,
    toPort: r.to,
    ...('cidr' in r.peer
      ? r.peer.cidr.includes(':') ? { cidrIpv6: r.peer.cidr } : { cidrIpv4: r.peer.cidr }
      : 'group' in r.peer
        ? { referencedGroupInfo: { groupId: r.peer.group.id, userId: r.peer.group.vpc.account } }
        : { prefixListId: r.peer.prefixList.id }),
    description: r.description,
  };
}

const pascal = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k[0].toUpperCase() + k.slice(1), v && typeof v === 'object' ? pascal(v as Record<string, unknown>) : v]));

/** A rule as DescribeSecurityGroups lists it: an IpPermission with its one peer. */
function ipPermission(r: SgRule): Record<string, unknown> {
  const p = r.peer;
  const d = r.description ? { Description: r.description } : {};
  return {
    IpProtocol: r.protocol,
    ...(r.from < 0 ? {} : { FromPort: r.from, ToPort: r.to }),
    IpRanges: 'cidr' in p && !p.cidr.includes(':') ? [{ CidrIp: p.cidr, ...d }] : [],
    Ipv6Ranges: 'cidr' in p && p.cidr.includes(':') ? [{ CidrIpv6: p.cidr, ...d }] : [],
    PrefixListIds: 'prefixList' in p ? [{ PrefixListId: p.prefixList.id, ...d }] : [],
    UserIdGroupPairs: 'group' in p ? [{ GroupId: p.group.id, UserId: p.group.vpc.account, ...d }] : [],
  };
}

function currentTags(res: Resource): Tags {
  return res.tagVersions[res.tagVersions.length - 1].tags;
}

export function writeInventory(estate: Estate, dir: string): number {
  const rng = new Rng(estate.seed, 'inventory');
  let files = 0;
  const end = estate.end;
  const aliveAtEnd = (x: { from: number; to: number }) => x.from <= end && x.to > end;
  const write = (account: string, region: string, name: string, doc: unknown) => {
    const folder = join(dir, account, region);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, name + '.json'), JSON.stringify(doc, null, 2) + '\n');
    files++;
  };
  const groups = (sgs: Sg[]) => sgs.map((g) => ({ GroupName: g.name, GroupId: g.id }));
  const eniDoc = (e: Eni) => {
    const assoc = e.publicIp
      ? {
          IpOwnerId: e.publicIpOwner,
          PublicDnsName: `ec2-${e.publicIp.replace(/\./g, '-')}.compute-1.amazonaws.com`,
          PublicIp: e.publicIp,
          ...(e.allocationId ? { AllocationId: e.allocationId } : {}),
        }
      : undefined;
    return {
      ...(assoc ? { Association: assoc } : {}),
      ...(e.attachmentId
        ? {
            Attachment: {
              AttachTime: iso(e.attachedAt ?? e.from),
              AttachmentId: e.attachmentId,
              DeleteOnTermination: e.deviceIndex === 0,
              DeviceIndex: e.deviceIndex,
              NetworkCardIndex: 0,
              ...(e.instanceId ? { InstanceId: e.instanceId } : {}),
              InstanceOwnerId: e.attachOwner ?? e.vpc.account,
              Status: 'attached',
            },
          }
        : {}),
      AvailabilityZone: e.subnet.az,
      Description: e.description,
      Groups: groups(e.sgs),
      InterfaceType: e.interfaceType,
      Ipv6Addresses: e.ipv6.map((a) => ({ Ipv6Address: a, IsPrimaryIpv6: false })),
      MacAddress: e.mac,
      NetworkInterfaceId: e.id,
      OwnerId: e.vpc.account,
      PrivateDnsName: dnsName(e.primaryIp, e.vpc.region),
      PrivateIpAddress: e.primaryIp,
      PrivateIpAddresses: [e.primaryIp, ...e.secondaryIps].map((ip, i) => ({
        ...(i === 0 && assoc ? { Association: assoc } : {}),
        Primary: i === 0,
        PrivateDnsName: dnsName(ip, e.vpc.region),
        PrivateIpAddress: ip,
      })),
      ...(e.requesterId ? { RequesterId: e.requesterId } : {}),
      RequesterManaged: e.requesterManaged,
      SourceDestCheck: e.interfaceType !== 'nat_gateway',
      Status: 'in-use',
      SubnetId: e.subnet.id,
      TagSet: [],
      VpcId: e.vpc.id,
    };
  };

  for (const account of estate.accounts) {
    for (const region of estate.regions) {
      const inHere = (v: Vpc | null) => !!v && v.account === account && v.region === region;
      const vpcs = estate.vpcs.filter(inHere);
      const enis = estate.enis.filter((e) => inHere(e.vpc) && aliveAtEnd(e));
      const res = estate.resources.filter((r) => r.account === account && r.region === region && aliveAtEnd(r));

      write(account, region, 'ec2.DescribeVpcs', {
        Vpcs: vpcs.map((v) => ({
          CidrBlock: v.cidr,
          DhcpOptionsId: 'dopt-' + hash32(v.id).toString(16).padStart(8, '0'),
          State: 'available',
          VpcId: v.id,
          OwnerId: v.account,
          InstanceTenancy: 'default',
          ...(v.ipv6Cidr
            ? { Ipv6CidrBlockAssociationSet: [{ AssociationId: 'vpc-cidr-assoc-' + rng.hex(17), Ipv6CidrBlock: v.ipv6Cidr, Ipv6CidrBlockState: { State: 'associated' }, NetworkBorderGroup: v.region, Ipv6Pool: 'Amazon' }] }
            : {}),
          CidrBlockAssociationSet: [{ AssociationId: 'vpc-cidr-assoc-' + rng.hex(17), CidrBlock: v.cidr, CidrBlockState: { State: 'associated' } }],
          IsDefault: false,
          Tags: tagList(v.tags),
        })),
      });
      const subnets = vpcs.flatMap((v) => v.subnets);
      write(account, region, 'ec2.DescribeSubnets', {
        Subnets: subnets.map((s: Subnet) => ({
          AvailabilityZone: s.az,
          AvailabilityZoneId: s.azId,
          AvailableIpAddressCount: s.size - 5 - enis.filter((e) => e.subnet === s).reduce((n, e) => n + 1 + e.secondaryIps.length, 0),
          CidrBlock: s.cidr,
          DefaultForAz: false,
          MapPublicIpOnLaunch: s.isPublic,
          State: 'available',
          SubnetId: s.id,
          VpcId: s.vpc.id,
          OwnerId: s.vpc.account,
          AssignIpv6AddressOnCreation: false,
          Ipv6CidrBlockAssociationSet: s.ipv6Cidr
            ? [{ AssociationId: 'subnet-cidr-assoc-' + rng.hex(17), Ipv6CidrBlock: s.ipv6Cidr, Ipv6CidrBlockState: { State: 'associated' } }]
            : [],
          Tags: tagList({ Name: s.name, tier: s.isPublic ? 'public' : 'private' }),
          SubnetArn: s.arn,
        })),
      });
      write(account, region, 'ec2.DescribeSecurityGroups', {
        SecurityGroups: estate.sgs
          .filter((g) => inHere(g.vpc))
          .map((g) => ({
            Description: g.description,
            GroupName: g.name,
            IpPermissions: g.rules.filter((r) => !r.egress && described(r)).map(ipPermission),
            OwnerId: g.vpc.account,
            GroupId: g.id,
            IpPermissionsEgress: g.rules.filter((r) => r.egress && described(r)).map(ipPermission),
            VpcId: g.vpc.id,
            Tags: tagList(g.tags),
          })),
      });
      write(account, region, 'ec2.DescribeSecurityGroupRules', {
        SecurityGroupRules: estate.sgs.filter((g) => inHere(g.vpc)).flatMap((g) =>
          g.rules.filter(described).map((r) => ({ ...pascal(ruleItem(g, r)), Tags: [] })),
        ),
      });
      write(account, region, 'ec2.DescribeNetworkInterfaces', { NetworkInterfaces: enis.map(eniDoc) });

      const instances = res.filter((r) => r.type === 'ec2:instance');
      write(account, region, 'ec2.DescribeInstances', {
        Reservations: instances.map((r) => {
          const ienis = (r.extra.enis as Eni[]).filter(aliveAtEnd);
          const primary = ienis[0];
          return {
            Groups: [],
            Instances: [
              {
                AmiLaunchIndex: 0,
                ImageId: r.extra.imageId,
                InstanceId: r.id,
                InstanceType: r.extra.instanceType,
                LaunchTime: iso(r.from),
                Placement: { AvailabilityZone: primary.subnet.az, GroupName: '', Tenancy: 'default' },
                PrivateDnsName: dnsName(primary.primaryIp, region),
                PrivateIpAddress: primary.primaryIp,
                ...(primary.publicIp ? { PublicIpAddress: primary.publicIp } : {}),
                State: { Code: 16, Name: 'running' },
                SubnetId: primary.subnet.id,
                VpcId: primary.vpc.id,
                Architecture: 'x86_64',
                NetworkInterfaces: ienis.map((e) => {
                  const d = eniDoc(e);
                  return {
                    Attachment: d.Attachment,
                    Description: d.Description,
                    Groups: d.Groups,
                    Ipv6Addresses: d.Ipv6Addresses,
                    MacAddress: d.MacAddress,
                    NetworkInterfaceId: d.NetworkInterfaceId,
                    OwnerId: d.OwnerId,
                    PrivateDnsName: d.PrivateDnsName,
                    PrivateIpAddress: d.PrivateIpAddress,
                    PrivateIpAddresses: d.PrivateIpAddresses,
                    SourceDestCheck: true,
                    Status: 'in-use',
                    SubnetId: d.SubnetId,
                    VpcId: d.VpcId,
                    InterfaceType: 'interface',
                  };
                }),
                SecurityGroups: groups(primary.sgs),
                Tags: tagList(currentTags(r)),
              },
            ],
            OwnerId: account,
            ReservationId: 'r-' + hash32(r.id).toString(16).padStart(8, '0') + hash32(r.arn).toString(16).padStart(9, '0').slice(0, 9),
          };
        }),
      });

      const nats = res.filter((r) => r.type === 'ec2:natgateway');
      write(account, region, 'ec2.DescribeNatGateways', {
        NatGateways: nats.map((r) => {
          const e = (r.extra.enis as Eni[])[0];
          return {
            CreateTime: iso(r.from),
            NatGatewayAddresses: [{ AllocationId: e.allocationId, NetworkInterfaceId: e.id, PrivateIp: e.primaryIp, PublicIp: e.publicIp, AssociationId: 'eipassoc-' + hash32(e.id).toString(16).padStart(17, '0'), IsPrimary: true, Status: 'succeeded' }],
            NatGatewayId: r.id,
            State: 'available',
            SubnetId: e.subnet.id,
            VpcId: e.vpc.id,
            Tags: tagList(currentTags(r)),
            ConnectivityType: 'public',
          };
        }),
      });
      write(account, region, 'ec2.DescribeInternetGateways', {
        InternetGateways: vpcs.map((v) => ({
          Attachments: [{ State: 'available', VpcId: v.id }],
          InternetGatewayId: v.igwId,
          OwnerId: v.account,
          Tags: tagList({ Name: `${v.name}-igw` }),
        })),
      });
      const vpces = res.filter((r) => r.type === 'ec2:vpc-endpoint');
      write(account, region, 'ec2.DescribeVpcEndpoints', {
        VpcEndpoints: vpces.map((r) => {
          const gw = r.extra.endpointType === 'Gateway';
          const v = r.vpc!;
          const eps = r.extra.enis as Eni[];
          return {
            VpcEndpointId: r.id,
            VpcEndpointType: r.extra.endpointType,
            VpcId: v.id,
            ServiceName: r.extra.serviceName,
            State: 'available',
            PolicyDocument: '{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}',
            RouteTableIds: gw ? v.subnets.filter((s) => !s.isPublic).map((s) => s.routeTableId) : [],
            SubnetIds: eps.map((e) => e.subnet.id),
            Groups: gw ? [] : groups(r.extra.sgs as Sg[]),
            IpAddressType: 'ipv4',
            PrivateDnsEnabled: !gw,
            RequesterManaged: false,
            NetworkInterfaceIds: eps.map((e) => e.id),
            DnsEntries: gw ? [] : [{ DnsName: `${r.id}-${hash32(r.id).toString(36)}.${String(r.extra.serviceName).split('.').slice(3).join('.')}.${region}.vpce.amazonaws.com`, HostedZoneId: 'Z7HUB22UULQXV' }],
            CreationTimestamp: iso(r.from),
            Tags: tagList(currentTags(r)),
            OwnerId: account,
          };
        }),
      });
      const vpcInfo = (v: Vpc) => ({
        CidrBlock: v.cidr,
        CidrBlockSet: [{ CidrBlock: v.cidr }],
        OwnerId: v.account,
        PeeringOptions: { AllowDnsResolutionFromRemoteVpc: false, AllowEgressFromLocalClassicLinkToRemoteVpc: false, AllowEgressFromLocalVpcToRemoteClassicLink: false },
        VpcId: v.id,
        Region: v.region,
      });
      write(account, region, 'ec2.DescribeVpcPeeringConnections', {
        VpcPeeringConnections: estate.peerings
          .filter((p) => inHere(p.requester) || inHere(p.accepter))
          .map((p) => ({
            AccepterVpcInfo: vpcInfo(p.accepter),
            RequesterVpcInfo: vpcInfo(p.requester),
            Status: { Code: 'active', Message: 'Active' },
            Tags: tagList({ Name: `${p.requester.name}-to-${p.accepter.name}` }),
            VpcPeeringConnectionId: p.id,
          })),
      });
      const tgw = estate.tgw;
      write(account, region, 'ec2.DescribeTransitGatewayAttachments', {
        TransitGatewayAttachments: tgw.attachments
          .filter((a) => a.region === region && (a.vpc!.account === account || (tgw.owner === account && tgw.region === region)))
          .map((a) => ({
            TransitGatewayAttachmentId: a.id,
            TransitGatewayId: tgw.id,
            TransitGatewayOwnerId: tgw.owner,
            ResourceOwnerId: a.vpc!.account,
            ResourceType: 'vpc',
            ResourceId: a.vpc!.id,
            State: 'available',
            Association: { TransitGatewayRouteTableId: 'tgw-rtb-' + hash32(tgw.id).toString(16).padStart(17, '0'), State: 'associated' },
            CreationTime: iso(a.from),
            Tags: tagList(currentTags(a)),
          })),
      });
      const lists = estate.prefixLists.filter((p) => p.region === region);
      write(account, region, 'ec2.DescribeManagedPrefixLists', {
        PrefixLists: lists.map((p) => ({
          PrefixListId: p.id,
          AddressFamily: 'IPv4',
          State: 'create-complete',
          PrefixListArn: `arn:aws:ec2:${region}:aws:prefix-list/${p.id}`,
          PrefixListName: p.name,
          Tags: [],
          OwnerId: 'AWS',
        })),
      });
      write(account, region, 'ec2.GetManagedPrefixListEntries', lists.map((p) => ({ PrefixListId: p.id, Entries: p.cidrs.map((Cidr) => ({ Cidr })) })));
      write(account, region, 'ec2.DescribeFlowLogs', {
        FlowLogs: vpcs
          .filter((v) => v.flowLog)
          .map((v) => {
            const f = v.flowLog!;
            const s3 = f.destination === 's3';
            return {
              CreationTime: iso(f.created),
              DeliverLogsStatus: 'SUCCESS',
              FlowLogId: f.id,
              FlowLogStatus: 'ACTIVE',
              ...(s3 ? {} : { LogGroupName: f.logGroup, DeliverLogsPermissionArn: `arn:aws:iam::${account}:role/flowlens-sample-flow-logs` }),
              ResourceId: v.id,
              TrafficType: 'ALL',
              LogDestinationType: f.destination,
              LogDestination: s3 ? `arn:aws:s3:::${f.bucket}/${f.prefix}` : `arn:aws:logs:${region}:${account}:log-group:${f.logGroup}`,
              LogFormat: formatString(f.fields),
              Tags: tagList(f.tags),
              MaxAggregationInterval: AGGREGATION_INTERVAL,
              ...(s3 ? { DestinationOptions: { FileFormat: f.fileFormat, HiveCompatiblePartitions: f.hive, PerHourPartition: f.perHour } } : {}),
            };
          }),
      });

      // ---------------------------------------------------------------- elbv2
      const lbs = estate.loadBalancers.filter((lb) => inHere(lb.res.vpc));
      write(account, region, 'elbv2.DescribeLoadBalancers', {
        LoadBalancers: lbs.map((lb) => ({
          LoadBalancerArn: lb.res.arn,
          DNSName: lb.dnsName,
          CanonicalHostedZoneId: lb.kind === 'network' ? 'Z26RNL4JYFTOTI' : 'Z35SXDOTRQ7X7K',
          CreatedTime: iso(lb.res.from),
          LoadBalancerName: lb.res.name,
          Scheme: lb.scheme,
          VpcId: lb.res.vpc!.id,
          State: { Code: 'active' },
          Type: lb.kind,
          AvailabilityZones: lb.enis.map((e) => ({
            ZoneName: e.subnet.az,
            SubnetId: e.subnet.id,
            LoadBalancerAddresses:
              lb.kind === 'network'
                ? [{ IpAddress: e.publicIp, AllocationId: e.allocationId, PrivateIPv4Address: e.primaryIp }]
                : [],
          })),
          ...(lb.kind === 'application' ? { SecurityGroups: lb.enis[0].sgs.map((g) => g.id) } : {}),
          IpAddressType: 'ipv4',
        })),
      });
      const tgs = estate.targetGroups.filter((t) => inHere(t.vpc));
      write(account, region, 'elbv2.DescribeTargetGroups', {
        TargetGroups: tgs.map((t) => ({
          TargetGroupArn: t.arn,
          TargetGroupName: t.name,
          Protocol: t.protocol,
          Port: t.port,
          VpcId: t.vpc.id,
          HealthCheckProtocol: t.protocol === 'TCP' ? 'TCP' : 'HTTP',
          HealthCheckPort: 'traffic-port',
          HealthCheckEnabled: true,
          HealthCheckIntervalSeconds: 30,
          HealthCheckTimeoutSeconds: 5,
          HealthyThresholdCount: 5,
          UnhealthyThresholdCount: 2,
          ...(t.protocol === 'HTTP' ? { HealthCheckPath: '/health', Matcher: { HttpCode: '200' }, ProtocolVersion: 'HTTP1' } : {}),
          LoadBalancerArns: [t.lb.res.arn],
          TargetType: t.targetType,
          IpAddressType: 'ipv4',
        })),
      });
      write(
        account,
        region,
        'elbv2.DescribeTargetHealth',
        tgs.map((t) => ({
          TargetGroupArn: t.arn,
          TargetHealthDescriptions: t.targets.filter(aliveAtEnd).map((e) => ({
            Target: { Id: t.targetType === 'instance' ? e.instanceId : e.primaryIp, Port: t.port, ...(t.targetType === 'ip' ? { AvailabilityZone: e.subnet.az } : {}) },
            HealthCheckPort: String(t.port),
            TargetHealth: { State: 'healthy' },
          })),
        })),
      );

      // ---------------------------------------------------------------- rds
      const rdsHost = (id: string, kind = '') => `${id}.${kind}c${hash32(account + region).toString(36).slice(0, 10)}.${region}.rds.amazonaws.com`;
      const dbs = estate.dbs.filter((r) => inHere(r.vpc));
      const subnetGroup = (v: Vpc) => ({
        DBSubnetGroupName: `${v.name}-db`,
        DBSubnetGroupDescription: `Private subnets of ${v.name}`,
        VpcId: v.id,
        SubnetGroupStatus: 'Complete',
        Subnets: v.subnets.filter((s) => !s.isPublic).map((s) => ({ SubnetIdentifier: s.id, SubnetAvailabilityZone: { Name: s.az }, SubnetOutpost: {}, SubnetStatus: 'Active' })),
      });
      write(account, region, 'rds.DescribeDBInstances', {
        DBInstances: dbs.map((r) => {
          const e = (r.extra.enis as Eni[])[0];
          return {
            DBInstanceIdentifier: r.id,
            DBInstanceClass: 'db.r6g.large',
            Engine: r.extra.engine,
            DBInstanceStatus: 'available',
            Endpoint: { Address: rdsHost(r.id), Port: r.extra.port, HostedZoneId: 'Z2R2ITUGPM61AM' },
            AllocatedStorage: r.extra.cluster ? 1 : 100,
            InstanceCreateTime: iso(r.from),
            VpcSecurityGroups: (r.extra.sgs as Sg[]).map((g) => ({ VpcSecurityGroupId: g.id, Status: 'active' })),
            AvailabilityZone: e.subnet.az,
            DBSubnetGroup: subnetGroup(r.vpc!),
            MultiAZ: false,
            PubliclyAccessible: false,
            StorageType: r.extra.cluster ? 'aurora' : 'gp3',
            ...(r.extra.cluster ? { DBClusterIdentifier: r.extra.cluster } : {}),
            DbiResourceId: r.extra.resourceId,
            DBInstanceArn: r.arn,
            TagList: tagList(currentTags(r)),
          };
        }),
      });
      write(account, region, 'rds.DescribeDBClusters', {
        DBClusters: estate.clusters
          .filter((c) => inHere(c.vpc))
          .map((c) => ({
            DBClusterIdentifier: c.id,
            DBClusterArn: c.arn,
            Engine: c.engine,
            Status: 'available',
            Endpoint: rdsHost(c.id, 'cluster-'),
            ReaderEndpoint: rdsHost(c.id, 'cluster-ro-'),
            Port: 5432,
            MultiAZ: true,
            AvailabilityZones: c.vpc.subnets.filter((s) => !s.isPublic).map((s) => s.az),
            DBSubnetGroup: `${c.vpc.name}-db`,
            VpcSecurityGroups: (c.writer.extra.sgs as Sg[]).map((g) => ({ VpcSecurityGroupId: g.id, Status: 'active' })),
            DBClusterMembers: c.members.map((m) => ({ DBInstanceIdentifier: m.id, IsClusterWriter: m === c.writer, DBClusterParameterGroupStatus: 'in-sync', PromotionTier: 1 })),
            DbClusterResourceId: 'cluster-' + hash32(c.arn).toString(36).toUpperCase(),
            TagList: tagList(c.tags),
          })),
      });
      const proxies = estate.proxies.filter((r) => inHere(r.vpc));
      write(account, region, 'rds.DescribeDBProxies', {
        DBProxies: proxies.map((r) => ({
          DBProxyName: r.name,
          DBProxyArn: r.arn,
          Status: 'available',
          EngineFamily: 'POSTGRESQL',
          VpcId: r.vpc!.id,
          VpcSecurityGroupIds: (r.extra.sgs as Sg[]).map((g) => g.id),
          VpcSubnetIds: r.vpc!.subnets.filter((s) => !s.isPublic).map((s) => s.id),
          Endpoint: `${r.name}.proxy-c${hash32(account + region).toString(36).slice(0, 10)}.${region}.rds.amazonaws.com`,
          RequireTLS: true,
          IdleClientTimeout: 1800,
          DebugLogging: false,
          Auth: [{ AuthScheme: 'SECRETS', SecretArn: `arn:aws:secretsmanager:${region}:${account}:secret:${r.name}-AbCdEf`, IAMAuth: 'DISABLED' }],
          RoleArn: `arn:aws:iam::${account}:role/${r.name}-role`,
          CreatedDate: iso(r.from),
          UpdatedDate: iso(r.from),
        })),
      });
      write(
        account,
        region,
        'rds.DescribeDBProxyTargets',
        proxies.map((r) => {
          const target = r.extra.target as Resource;
          return {
            DBProxyName: r.name,
            Targets: [{ TargetArn: target.arn, Endpoint: rdsHost(target.id), RdsResourceId: target.id, Port: target.extra.port, Type: 'RDS_INSTANCE', Role: 'READ_WRITE', TargetHealth: { State: 'AVAILABLE' } }],
          };
        }),
      );

      // ---------------------------------------------------------------- lambda, elasticache
      const fns = estate.lambdas.filter((r) => inHere(r.vpc));
      write(account, region, 'lambda.ListFunctions', {
        Functions: fns.map((r) => ({
          FunctionName: r.name,
          FunctionArn: r.arn,
          Runtime: r.extra.runtime,
          Role: `arn:aws:iam::${account}:role/${r.name}-role`,
          Handler: 'app.handler',
          CodeSize: 1000 + (hash32(r.arn) % 900000),
          Description: '',
          Timeout: 30,
          MemorySize: 512,
          LastModified: new Date(r.from * 1000).toISOString().replace('Z', '+0000'),
          CodeSha256: Buffer.from(r.arn).toString('base64').slice(0, 43) + '=',
          Version: '$LATEST',
          VpcConfig: {
            SubnetIds: r.vpc!.subnets.filter((s) => !s.isPublic).slice(0, 2).map((s) => s.id),
            SecurityGroupIds: (r.extra.sgs as Sg[]).map((g) => g.id),
            VpcId: r.vpc!.id,
            Ipv6AllowedForDualStack: false,
          },
          PackageType: 'Zip',
          Architectures: ['x86_64'],
          EphemeralStorage: { Size: 512 },
        })),
      });
      const caches = estate.caches.filter((r) => inHere(r.vpc));
      write(account, region, 'elasticache.DescribeCacheClusters', {
        CacheClusters: caches.map((r) => {
          const e = (r.extra.enis as Eni[])[0];
          return {
            CacheClusterId: r.id,
            ClientDownloadLandingPage: 'https://console.aws.amazon.com/elasticache/home#client-download:',
            CacheNodeType: 'cache.r7g.large',
            Engine: 'redis',
            EngineVersion: '7.1',
            CacheClusterStatus: 'available',
            NumCacheNodes: 1,
            PreferredAvailabilityZone: e.subnet.az,
            CacheClusterCreateTime: iso(r.from),
            CacheSubnetGroupName: `${r.vpc!.name}-cache`,
            CacheNodes: [
              {
                CacheNodeId: '0001',
                CacheNodeStatus: 'available',
                CacheNodeCreateTime: iso(r.from),
                Endpoint: { Address: `${r.id}.${hash32(account).toString(36)}.0001.${region === 'us-east-1' ? 'use1' : 'euw1'}.cache.amazonaws.com`, Port: 6379 },
                ParameterGroupStatus: 'in-sync',
                CustomerAvailabilityZone: e.subnet.az,
              },
            ],
            SecurityGroups: (r.extra.sgs as Sg[]).map((g) => ({ SecurityGroupId: g.id, Status: 'active' })),
            ReplicationGroupId: r.extra.group,
            ARN: r.arn,
            TransitEncryptionEnabled: true,
            AtRestEncryptionEnabled: true,
            NetworkType: 'ipv4',
            IpDiscovery: 'ipv4',
          };
        }),
      });

      // ---------------------------------------------------------------- ECS
      // `aws ecs describe-tasks --include TAGS` of every task of the window, as dumps taken while they ran
      // would have seen them (ECS forgets a stopped task within about an hour).
      const tasks = estate.resources.filter((r) => r.type === 'ecs:task' && r.account === account && r.region === region && r.from < end);
      if (tasks.length) {
        write(account, region, 'ecs.DescribeTasks', {
          tasks: tasks.map((r) => {
            const e = (r.extra.enis as Eni[])[0];
            const cluster = String(r.extra.cluster);
            const stopped = r.to <= end;
            return {
              attachments: [
                {
                  id: r.extra.attachmentId,
                  type: 'ElasticNetworkInterface',
                  status: stopped ? 'DELETED' : 'ATTACHED',
                  details: [
                    { name: 'subnetId', value: e.subnet.id },
                    { name: 'networkInterfaceId', value: e.id },
                    { name: 'macAddress', value: e.mac },
                    { name: 'privateDnsName', value: dnsName(e.primaryIp, region) },
                    { name: 'privateIPv4Address', value: e.primaryIp },
                  ],
                },
              ],
              attributes: [{ name: 'ecs.cpu-architecture', value: 'x86_64' }],
              availabilityZone: e.subnet.az,
              clusterArn: `arn:aws:ecs:${region}:${account}:cluster/${cluster}`,
              connectivity: 'CONNECTED',
              connectivityAt: iso(r.from + 20),
              cpu: '512',
              createdAt: iso(r.from),
              desiredStatus: stopped ? 'STOPPED' : 'RUNNING',
              group: `service:${r.extra.service}`,
              lastStatus: stopped ? 'STOPPED' : 'RUNNING',
              launchType: 'FARGATE',
              memory: '1024',
              platformVersion: '1.4.0',
              startedAt: iso(r.from + 45),
              startedBy: `ecs-svc/${hash32(`${cluster}/${r.extra.service}`)}`,
              ...(stopped ? { stoppedAt: iso(r.to), stoppedReason: 'Scaling activity initiated by (deployment ecs-svc)' } : {}),
              tags: Object.entries(currentTags(r)).map(([key, value]) => ({ key, value })),
              taskArn: r.arn,
              taskDefinitionArn: `arn:aws:ecs:${region}:${account}:task-definition/${r.extra.service}:7`,
              version: stopped ? 5 : 3,
            };
          }),
          failures: [],
        });
      }

      // ---------------------------------------------------------------- tagging
      const tagged: { ResourceARN: string; Tags: { Key: string; Value: string }[] }[] = [];
      for (const r of res) {
        if (r.type === 'ecs:task' || r.type === 'eks:pod' || r.type === 'ec2:transit-gateway-attachment') continue;
        const tags = currentTags(r);
        if (Object.keys(tags).length) tagged.push({ ResourceARN: r.arn, Tags: tagList(tags) });
      }
      for (const c of estate.clusters.filter((x) => inHere(x.vpc))) tagged.push({ ResourceARN: c.arn, Tags: tagList(c.tags) });
      for (const v of vpcs) tagged.push({ ResourceARN: v.arn, Tags: tagList(v.tags) });
      for (const s of subnets) tagged.push({ ResourceARN: s.arn, Tags: tagList({ Name: s.name, tier: s.isPublic ? 'public' : 'private' }) });
      for (const t of tgs) tagged.push({ ResourceARN: t.arn, Tags: tagList(currentTags(t.lb.res)) });
      write(account, region, 'resourcegroupstaggingapi.GetResources', { ResourceTagMappingList: tagged });

      write(account, region, 'cloudtrail.LookupEvents', { Events: cloudTrail(estate, account, region, rng) });
    }
  }

  // ip-ranges.json in AWS's shape, with the estate's own prefixes.
  const created = new Date(end * 1000).toISOString();
  const ranges = {
    syncToken: String(Math.floor(end)),
    createDate: `${created.slice(0, 10)}-${created.slice(11, 13)}-${created.slice(14, 16)}-${created.slice(17, 19)}`,
    prefixes: AWS_V4.map((p) => ({ ip_prefix: p.prefix, region: p.region, service: p.service, network_border_group: p.region })),
    ipv6_prefixes: AWS_V6.map((p) => ({ ipv6_prefix: p.prefix, region: p.region, service: p.service, network_border_group: p.region })),
  };
  writeFileSync(join(dir, 'ip-ranges.json'), JSON.stringify(ranges, null, 2) + '\n');
  return files + 1;
}

interface TrailEvent {
  time: number;
  name: string;
  user: { type: string; principal: string; arn: string; userName: string; invokedBy?: string };
  resources: { ResourceType: string; ResourceName: string }[];
  request: unknown;
  response: unknown;
}

/** CloudTrail LookupEvents (newest first) for ENI / instance lifecycles and tag changes in the last 90 days. */
function cloudTrail(estate: Estate, account: string, region: string, rng: Rng): unknown[] {
  const since = estate.end - 90 * DAY;
  const events: TrailEvent[] = [];
  const role = (name: string, session: string, invokedBy?: string) => ({
    type: 'AssumedRole',
    principal: `AROA${hash32(name).toString(16).toUpperCase().padStart(17, 'X')}:${session}`,
    arn: `arn:aws:sts::${account}:assumed-role/${name}/${session}`,
    userName: session,
    invokedBy,
  });
  const item = (e: Eni) => ({
    networkInterfaceId: e.id,
    subnetId: e.subnet.id,
    vpcId: e.vpc.id,
    availabilityZone: e.subnet.az,
    description: e.description,
    ownerId: e.vpc.account,
    ...(e.requesterId ? { requesterId: e.requesterId } : {}),
    requesterManaged: e.requesterManaged,
    status: 'pending',
    macAddress: e.mac,
    privateIpAddress: e.primaryIp,
    privateDnsName: dnsName(e.primaryIp, e.vpc.region),
    sourceDestCheck: true,
    interfaceType: e.interfaceType,
    groupSet: { items: e.sgs.map((g) => ({ groupId: g.id, groupName: g.name })) },
    privateIpAddressesSet: { item: [e.primaryIp, ...e.secondaryIps].map((ip, i) => ({ privateIpAddress: ip, privateDnsName: dnsName(ip, e.vpc.region), primary: i === 0 })) },
    ipv6AddressesSet: {},
    tagSet: {},
  });
  const inWindow = (t: number) => t >= since && t <= estate.end;
  const enis = estate.enis.filter((e) => e.vpc.account === account && e.vpc.region === region);
  for (const e of enis) {
    if (e.creator !== 'ecs.amazonaws.com' && e.creator !== 'lambda.amazonaws.com') continue;
    const who = e.creator === 'ecs.amazonaws.com'
      ? role('AWSServiceRoleForECS', 'ecs-service-scheduler', 'ecs.amazonaws.com')
      : role('AWSServiceRoleForLambda', 'lambda-eni-manager', 'lambda.amazonaws.com');
    const resources = [{ ResourceType: 'AWS::EC2::NetworkInterface', ResourceName: e.id }, { ResourceType: 'AWS::EC2::Subnet', ResourceName: e.subnet.id }];
    if (inWindow(e.from)) {
      events.push({
        time: e.from,
        name: 'CreateNetworkInterface',
        user: who,
        resources,
        request: { subnetId: e.subnet.id, description: e.description, groupSet: { items: e.sgs.map((g) => ({ groupId: g.id })) }, privateIpAddressesSet: {}, ipv6AddressCount: 0 },
        response: { requestId: rng.uuid(), networkInterface: item(e) },
      });
    }
    if (inWindow(e.to)) {
      events.push({ time: e.to, name: 'DeleteNetworkInterface', user: who, resources: resources.slice(0, 1), request: { networkInterfaceId: e.id }, response: { requestId: rng.uuid(), _return: true } });
    }
  }
  const instances = estate.resources.filter((r) => r.type === 'ec2:instance' && r.account === account && r.region === region);
  const asgRole = role('AWSServiceRoleForAutoScaling', 'AutoScaling', 'autoscaling.amazonaws.com');
  for (const r of instances) {
    const ienis = r.extra.enis as Eni[];
    const e = ienis[0];
    if (inWindow(r.from)) {
      events.push({
        time: r.from,
        name: 'RunInstances',
        user: asgRole,
        resources: [{ ResourceType: 'AWS::EC2::Instance', ResourceName: r.id }, { ResourceType: 'AWS::EC2::NetworkInterface', ResourceName: e.id }],
        request: { instancesSet: { items: [{ imageId: r.extra.imageId, minCount: 1, maxCount: 1 }] }, instanceType: r.extra.instanceType, subnetId: e.subnet.id },
        response: {
          requestId: rng.uuid(),
          reservationId: 'r-' + rng.hex(17),
          ownerId: account,
          groupSet: {},
          instancesSet: {
            items: [
              {
                instanceId: r.id,
                imageId: r.extra.imageId,
                instanceState: { code: 0, name: 'pending' },
                privateDnsName: dnsName(e.primaryIp, region),
                amiLaunchIndex: 0,
                instanceType: r.extra.instanceType,
                launchTime: r.from * 1000,
                placement: { availabilityZone: e.subnet.az, tenancy: 'default' },
                subnetId: e.subnet.id,
                vpcId: e.vpc.id,
                privateIpAddress: e.primaryIp,
                groupSet: { items: e.sgs.map((g) => ({ groupId: g.id, groupName: g.name })) },
                networkInterfaceSet: {
                  items: ienis.map((x) => ({
                    ...item(x),
                    status: 'in-use',
                    attachment: { attachmentId: x.attachmentId, deviceIndex: x.deviceIndex, networkCardIndex: 0, status: 'attaching', attachTime: x.from * 1000, deleteOnTermination: true },
                  })),
                },
                tagSet: { items: Object.entries(r.tagVersions[0].tags).map(([key, value]) => ({ key, value })) },
              },
            ],
          },
        },
      });
    }
    if (inWindow(r.to)) {
      events.push({
        time: r.to,
        name: 'TerminateInstances',
        user: asgRole,
        resources: [{ ResourceType: 'AWS::EC2::Instance', ResourceName: r.id }],
        request: { instancesSet: { items: [{ instanceId: r.id }] } },
        response: { requestId: rng.uuid(), instancesSet: { items: [{ instanceId: r.id, currentState: { code: 32, name: 'shutting-down' }, previousState: { code: 16, name: 'running' } }] } },
      });
    }
  }
  for (const r of estate.resources.filter((x) => x.account === account && x.region === region)) {
    for (const ch of r.tagChanges) {
      if (!inWindow(ch.time)) continue;
      events.push({
        time: ch.time,
        name: ch.event,
        user: { type: 'IAMUser', principal: 'AIDA' + hash32(ch.user).toString(16).toUpperCase().padStart(17, 'Y'), arn: `arn:aws:iam::${account}:user/${ch.user}`, userName: ch.user },
        resources: [{ ResourceType: 'AWS::EC2::Instance', ResourceName: r.id }],
        request: { resourcesSet: { items: [{ resourceId: r.id }] }, tagSet: { items: Object.entries(ch.tags).map(([key, value]) => ({ key, value })) } },
        response: { requestId: rng.uuid(), _return: true },
      });
    }
  }
  // security-group rules added or revoked in the window (issue 15: a rule is counted only while it was in force)
  const admin = { type: 'IAMUser', principal: 'AIDA' + hash32('netadmin').toString(16).toUpperCase().padStart(17, 'Y'), arn: `arn:aws:iam::${account}:user/netadmin`, userName: 'netadmin' };
  for (const g of estate.sgs.filter((x) => x.vpc.account === account && x.vpc.region === region)) {
    for (const r of g.rules) {
      const dir = r.egress ? 'Egress' : 'Ingress';
      const resources = [{ ResourceType: 'AWS::EC2::SecurityGroup', ResourceName: g.id }];
      if (r.authorizedAt !== undefined && inWindow(r.authorizedAt)) {
        events.push({
          time: r.authorizedAt, name: `AuthorizeSecurityGroup${dir}`, user: admin, resources,
          request: { groupId: g.id, ipPermissions: { items: [ipPermission(r)] } },
          response: { requestId: rng.uuid(), _return: true, securityGroupRuleSet: { items: [ruleItem(g, r)] } },
        });
      }
      if (r.revokedAt !== undefined && inWindow(r.revokedAt)) {
        const { referencedGroupInfo, ...item } = ruleItem(g, r) as { referencedGroupInfo?: { groupId: string } };
        events.push({
          time: r.revokedAt, name: `RevokeSecurityGroup${dir}`, user: admin, resources,
          request: { groupId: g.id, securityGroupRuleIds: { items: [{ securityGroupRuleId: r.id }] } },
          response: { requestId: rng.uuid(), _return: true, revokedSecurityGroupRuleSet: { items: [{ ...item, ...(referencedGroupInfo ? { referencedGroupId: referencedGroupInfo.groupId } : {}) }] } },
        });
      }
    }
  }
  events.sort((a, b) => b.time - a.time || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return events.map((ev) => {
    const eventId = rng.uuid();
    const detail = {
      eventVersion: '1.09',
      userIdentity: {
        type: ev.user.type,
        principalId: ev.user.principal,
        arn: ev.user.arn,
        accountId: account,
        ...(ev.user.type === 'IAMUser' ? { userName: ev.user.userName, accessKeyId: 'AKIAEXAMPLE' + hash32(ev.user.userName).toString(36).toUpperCase() } : {}),
        ...(ev.user.invokedBy ? { invokedBy: ev.user.invokedBy } : {}),
      },
      eventTime: isoZ(ev.time),
      eventSource: 'ec2.amazonaws.com',
      eventName: ev.name,
      awsRegion: region,
      sourceIPAddress: ev.user.invokedBy ?? '203.0.113.7',
      userAgent: ev.user.invokedBy ?? 'aws-cli/2.17.0 md/Botocore#1.35.0',
      requestParameters: ev.request,
      responseElements: ev.response,
      requestID: (ev.response as { requestId: string }).requestId,
      eventID: eventId,
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: true,
      recipientAccountId: account,
      eventCategory: 'Management',
    };
    return {
      EventId: eventId,
      EventName: ev.name,
      ReadOnly: 'false',
      ...(ev.user.type === 'IAMUser' ? { AccessKeyId: detail.userIdentity.accessKeyId } : {}),
      EventTime: iso(ev.time),
      EventSource: 'ec2.amazonaws.com',
      Username: ev.user.userName,
      Resources: ev.resources,
      CloudTrailEvent: JSON.stringify(detail),
    };
  });
}
