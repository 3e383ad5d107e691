/**
 * A small hand-written estate in AWS's real response shapes (as `aws … --output json` prints them),
 * written into a temp folder laid out as inventory/<account>/<region>/<file>.json.
 * Fake account 111111111111 (and 222222222222 for a peer); documentation addresses for public IPs.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const A = '111111111111';
export const B = '222222222222';
export const R = 'us-east-1';
export const VPC = 'vpc-0a0a0a0a0a0a0a0a0';
export const SUB1 = 'subnet-0a1a1a1a1a1a1a1a1';
export const SUB2 = 'subnet-0a2a2a2a2a2a2a2a2';

export const id = (prefix: string, n: number): string => `${prefix}-${n.toString(16).padStart(17, '0')}`;
export const ENI = (n: number): string => id('eni', n);
export const I = (n: number): string => id('i', n);

interface EniSpec {
  n: number;
  description: string;
  type?: string;
  ips: string[];
  subnet?: string;
  sgs?: string[];
  instance?: string;
  attachTime?: string;
  requester?: string;
  ownerAttach?: string;
  publicIp?: string;
  prefixes?: string[];
  ipv6?: string[];
}

export function eni(s: EniSpec): Record<string, unknown> {
  const subnet = s.subnet ?? SUB1;
  const az = subnet === SUB1 ? 'us-east-1a' : 'us-east-1b';
  return {
    Attachment: s.instance
      ? { AttachTime: s.attachTime ?? '2024-01-01T00:00:00+00:00', AttachmentId: `eni-attach-${s.n.toString(16).padStart(17, '0')}`, DeleteOnTermination: true, DeviceIndex: 0, NetworkCardIndex: 0, InstanceId: s.instance, InstanceOwnerId: A, Status: 'attached' }
      : s.ownerAttach
        ? { AttachmentId: `ela-attach-${s.n}`, DeleteOnTermination: false, DeviceIndex: 1, InstanceOwnerId: s.ownerAttach, Status: 'attached' }
        : undefined,
    AvailabilityZone: az,
    Description: s.description,
    Groups: (s.sgs ?? ['sg-0000000000000000a']).map((g) => ({ GroupName: g, GroupId: g })),
    InterfaceType: s.type ?? 'interface',
    Ipv6Addresses: (s.ipv6 ?? []).map((x) => ({ Ipv6Address: x, IsPrimaryIpv6: false })),
    MacAddress: '0e:00:00:00:00:01',
    NetworkInterfaceId: ENI(s.n),
    OwnerId: A,
    PrivateDnsName: `ip-${s.ips[0].replace(/\./g, '-')}.ec2.internal`,
    PrivateIpAddress: s.ips[0],
    PrivateIpAddresses: s.ips.map((ip, i) => ({
      ...(i === 0 && s.publicIp ? { Association: { IpOwnerId: 'amazon', PublicDnsName: '', PublicIp: s.publicIp } } : {}),
      Primary: i === 0,
      PrivateDnsName: `ip-${ip.replace(/\./g, '-')}.ec2.internal`,
      PrivateIpAddress: ip,
    })),
    ...(s.publicIp ? { Association: { IpOwnerId: 'amazon', PublicDnsName: '', PublicIp: s.publicIp } } : {}),
    Ipv4Prefixes: (s.prefixes ?? []).map((p) => ({ Ipv4Prefix: p })),
    RequesterId: s.requester,
    RequesterManaged: !!s.requester,
    SourceDestCheck: true,
    Status: 'in-use',
    SubnetId: subnet,
    TagSet: [],
    VpcId: VPC,
  };
}

export const ENIS: EniSpec[] = [
  { n: 0x01, description: 'Primary network interface', ips: ['10.0.1.10', '10.0.1.11'], instance: I(1), publicIp: '198.51.100.10', prefixes: ['10.0.1.224/28'], ipv6: ['2600:1F18:0:1::10'] },
  { n: 0x02, description: `aws-K8S-${I(2)}`, ips: ['10.0.1.20', '10.0.1.21', '10.0.1.22'], instance: I(2), attachTime: '2024-01-02T00:00:00Z' },
  { n: 0x03, description: 'ELB app/web/0123456789abcdef', ips: ['10.0.1.30'], requester: 'amazon-elb', ownerAttach: 'amazon-elb' },
  { n: 0x04, description: 'ELB net/tcp/1111111111111111', type: 'network_load_balancer', ips: ['10.0.1.40'], requester: 'amazon-elb' },
  { n: 0x05, description: 'ELB gwy/fw/2222222222222222', type: 'gateway_load_balancer', ips: ['10.0.1.50'], requester: 'amazon-elb' },
  { n: 0x06, description: 'ELB legacy', ips: ['10.0.1.60'], requester: 'amazon-elb' },
  { n: 0x07, description: 'Interface for NAT Gateway nat-00000000000000001', type: 'nat_gateway', ips: ['10.0.1.70'], publicIp: '203.0.113.70', requester: 'AIDAEXAMPLE', ownerAttach: 'amazon-aws' },
  { n: 0x08, description: 'VPC Endpoint Interface vpce-00000000000000001', type: 'vpc_endpoint', ips: ['10.0.1.80'], requester: 'AIDAEXAMPLE' },
  { n: 0x09, description: 'VPC Endpoint Interface vpce-00000000000000002', type: 'gateway_load_balancer_endpoint', ips: ['10.0.1.90'], requester: 'AIDAEXAMPLE' },
  { n: 0x0a, description: 'AWS Lambda VPC ENI-orders-3f1b2c4d-1111-2222-3333-444455556666', type: 'lambda', ips: ['10.0.1.100'], sgs: ['sg-0000000000000001a'], requester: 'AROAEXAMPLE:orders', ownerAttach: 'aws-lambda' },
  { n: 0x0b, description: 'RDSNetworkInterface', ips: ['10.0.2.110'], subnet: SUB2, sgs: ['sg-000000000000000db'], requester: 'amazon-rds' },
  { n: 0x0c, description: 'Network interface for DBProxy', ips: ['10.0.1.120'], sgs: ['sg-00000000000000077'], requester: 'amazon-rds' },
  { n: 0x0d, description: 'ElastiCache cache-0001-001', ips: ['10.0.1.130'], requester: 'amazon-elasticache' },
  { n: 0x0e, description: 'EFS mount target for fs-0123456789abcdef0 (fsmt-0123456789abcdef0)', ips: ['10.0.1.140'], requester: '123456789012' },
  { n: 0x0f, description: `arn:aws:ecs:${R}:${A}:attachment/1a2b3c4d-0000-1111-2222-333344445555`, ips: ['10.0.1.150'], requester: 'AROAECS:ecs' },
  { n: 0x10, description: 'Network Interface for Transit Gateway Attachment tgw-attach-00000000000000001', type: 'transit_gateway', ips: ['10.0.1.160'], requester: 'AIDAEXAMPLE' },
  { n: 0x11, description: 'my hand-made interface', ips: ['10.0.1.170'] },
  { n: 0x12, description: 'aws-k8s-branch-eni', type: 'branch', ips: ['10.0.1.180'] },
  { n: 0xaa2, description: 'batch worker', ips: ['10.0.1.200'] },
];

export const EXPECTED_KIND: Record<number, string> = {
  0x01: 'instance', 0x02: 'eks-node', 0x03: 'alb', 0x04: 'nlb', 0x05: 'gwlb', 0x06: 'clb', 0x07: 'natgateway', 0x08: 'interface-endpoint',
  0x09: 'gwlb-endpoint', 0x0a: 'lambda', 0x0b: 'rds', 0x0c: 'rds-proxy', 0x0d: 'elasticache', 0x0e: 'efs', 0x0f: 'ecs-task', 0x10: 'tgw-attachment',
  0x11: 'unknown', 0x12: 'eks-pod', 0xaa2: 'unknown',
};

const ct = (name: string, time: string, body: Record<string, unknown>, n: number): Record<string, unknown> => ({
  EventId: `00000000-0000-0000-0000-${n.toString().padStart(12, '0')}`,
  EventName: name,
  ReadOnly: 'false',
  EventTime: time,
  EventSource: 'ec2.amazonaws.com',
  Username: 'tester',
  Resources: [],
  CloudTrailEvent: JSON.stringify({
    eventVersion: '1.09', userIdentity: { type: 'AssumedRole', accountId: A }, eventTime: time.replace('+00:00', 'Z'),
    eventSource: 'ec2.amazonaws.com', eventName: name, awsRegion: R, sourceIPAddress: '192.0.2.1', userAgent: 'test',
    requestID: `req-${n}`, eventID: `00000000-0000-0000-0000-${n.toString().padStart(12, '0')}`, eventType: 'AwsApiCall',
    recipientAccountId: A, ...body,
  }),
});

export function cloudTrail(): Record<string, unknown> {
  const aa1 = ENI(0xaa1);
  return {
    Events: [
      ct('CreateNetworkInterface', '2024-03-01T10:00:00+00:00', {
        requestParameters: { subnetId: SUB1, description: 'short-lived job', groupSet: { items: [{ groupId: 'sg-0000000000000000a' }] } },
        responseElements: {
          requestId: 'r1',
          networkInterface: {
            networkInterfaceId: aa1, subnetId: SUB1, vpcId: VPC, availabilityZone: 'us-east-1a', description: 'short-lived job', ownerId: A,
            requesterManaged: false, status: 'pending', privateIpAddress: '10.0.1.200', interfaceType: 'interface',
            groupSet: { items: [{ groupId: 'sg-0000000000000000a', groupName: 'default' }] },
            privateIpAddressesSet: { item: [{ privateIpAddress: '10.0.1.200', primary: true }] }, tagSet: {},
          },
        },
      }, 1),
      ct('AttachNetworkInterface', '2024-03-01T10:05:00+00:00', {
        requestParameters: { networkInterfaceId: aa1, instanceId: I(1), deviceIndex: 1 },
        responseElements: { requestId: 'r2', attachmentId: 'eni-attach-00000000000000aa1' },
      }, 2),
      ct('DetachNetworkInterface', '2024-03-01T10:30:00+00:00', {
        requestParameters: { attachmentId: 'eni-attach-00000000000000aa1', force: false }, responseElements: { requestId: 'r3', _return: true },
      }, 3),
      ct('DeleteNetworkInterface', '2024-03-01T11:00:00+00:00', {
        requestParameters: { networkInterfaceId: aa1 }, responseElements: { requestId: 'r4', _return: true },
      }, 4),
      ct('CreateNetworkInterface', '2024-03-01T12:00:00+00:00', {
        requestParameters: { subnetId: SUB1 },
        responseElements: {
          networkInterface: {
            networkInterfaceId: ENI(0xaa2), subnetId: SUB1, vpcId: VPC, availabilityZone: 'us-east-1a', description: 'batch worker',
            privateIpAddress: '10.0.1.200', privateIpAddressesSet: { item: [{ privateIpAddress: '10.0.1.200', primary: true }] },
          },
        },
      }, 5),
      ct('RunInstances', '2024-03-02T00:00:00+00:00', {
        requestParameters: { instancesSet: { items: [{ imageId: 'ami-00000000', minCount: 1, maxCount: 1 }] }, instanceType: 't3.micro' },
        responseElements: {
          reservationId: 'r-0000000000000000a', ownerId: A,
          instancesSet: {
            items: [{
              instanceId: I(9), imageId: 'ami-00000000', launchTime: Date.parse('2024-03-02T00:00:00Z'), placement: { availabilityZone: 'us-east-1a' },
              subnetId: SUB1, vpcId: VPC, privateIpAddress: '10.0.1.201', tagSet: { items: [{ key: 'app', value: 'batch' }] },
              networkInterfaceSet: {
                items: [{
                  networkInterfaceId: ENI(0xbb1), subnetId: SUB1, vpcId: VPC, ownerId: A, status: 'in-use', privateIpAddress: '10.0.1.201',
                  interfaceType: 'interface', attachment: { attachmentId: 'eni-attach-00000000000000bb1', deviceIndex: 0, status: 'attaching', deleteOnTermination: true },
                  privateIpAddressesSet: { item: [{ privateIpAddress: '10.0.1.201', primary: true }] },
                  groupSet: { items: [{ groupId: 'sg-0000000000000000a' }] },
                }],
              },
            }],
          },
        },
      }, 6),
      ct('TerminateInstances', '2024-03-02T06:00:00+00:00', {
        requestParameters: { instancesSet: { items: [{ instanceId: I(9) }] } },
        responseElements: { instancesSet: { items: [{ instanceId: I(9), currentState: { code: 32, name: 'shutting-down' }, previousState: { code: 16, name: 'running' } }] } },
      }, 7),
      ct('CreateTags', '2024-03-01T00:00:00+00:00', {
        requestParameters: { resourcesSet: { items: [{ resourceId: I(1) }] }, tagSet: { items: [{ key: 'app', value: 'web-old' }] } },
      }, 8),
      ct('DeleteTags', '2024-03-03T00:00:00+00:00', {
        requestParameters: { resourcesSet: { items: [{ resourceId: I(1) }] }, tagSet: { items: [{ key: 'temp', value: 'x' }] } },
      }, 9),
      ct('CreateTags', '2024-03-05T00:00:00+00:00', {
        requestParameters: { resourcesSet: { items: [{ resourceId: I(1) }] }, tagSet: { items: [{ key: 'app', value: 'web' }] } },
      }, 10),
      ct('DescribeInstances', '2024-03-05T01:00:00+00:00', { requestParameters: {}, responseElements: null }, 11),
      { ...ct('CreateNetworkInterface', '2024-03-06T00:00:00+00:00', { errorCode: 'Client.DryRunOperation', requestParameters: { subnetId: SUB1 } }, 12) },
    ],
  };
}

export function ipRanges(): Record<string, unknown> {
  return {
    syncToken: '1700000000',
    createDate: '2023-11-14-22-13-20',
    prefixes: [
      { ip_prefix: '52.216.0.0/15', region: R, service: 'AMAZON', network_border_group: R },
      { ip_prefix: '52.216.0.0/15', region: R, service: 'S3', network_border_group: R },
      { ip_prefix: '3.5.0.0/19', region: R, service: 'EC2', network_border_group: R },
    ],
    ipv6_prefixes: [{ ipv6_prefix: '2600:1F18::/33', region: R, service: 'AMAZON', network_border_group: R }],
  };
}

/** All files of the estate, relative path -> document. */
export function estate(): Record<string, unknown> {
  const base = `${A}/${R}`;
  const lambdaVpc = (sg: string) => ({ SubnetIds: [SUB1, SUB2], SecurityGroupIds: [sg], VpcId: VPC });
  return {
    [`${base}/ec2-describe-network-interfaces.json`]: { NetworkInterfaces: ENIS.map(eni) },
    [`${base}/ec2-describe-instances.json`]: {
      Reservations: [
        {
          ReservationId: 'r-0000000000000001', OwnerId: A, Groups: [],
          Instances: [
            { InstanceId: I(1), InstanceType: 't3.micro', LaunchTime: '2023-12-31T23:59:00+00:00', Placement: { AvailabilityZone: 'us-east-1a' }, PrivateIpAddress: '10.0.1.10', PublicIpAddress: '198.51.100.10', State: { Code: 16, Name: 'running' }, SubnetId: SUB1, VpcId: VPC, Tags: [{ Key: 'app', Value: 'web' }, { Key: 'Name', Value: 'web-1' }], NetworkInterfaces: [] },
            { InstanceId: I(2), InstanceType: 'm5.large', LaunchTime: '2024-01-02T00:00:00+00:00', Placement: { AvailabilityZone: 'us-east-1a' }, PrivateIpAddress: '10.0.1.5', State: { Code: 16, Name: 'running' }, SubnetId: SUB1, VpcId: VPC, Tags: [{ Key: 'eks:cluster-name', Value: 'prod' }],
              NetworkInterfaces: [{ NetworkInterfaceId: ENI(0x13), Attachment: { AttachTime: '2024-01-02T00:00:00+00:00', AttachmentId: 'eni-attach-0000000000000013', DeviceIndex: 0, Status: 'attached', DeleteOnTermination: true }, Description: '', Groups: [{ GroupId: 'sg-0000000000000000a', GroupName: 'default' }], OwnerId: A, PrivateIpAddress: '10.0.1.5', PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: '10.0.1.5' }], SubnetId: SUB1, VpcId: VPC, InterfaceType: 'interface', Status: 'in-use' }] },
          ],
        },
      ],
    },
    [`${base}/subnets.json`]: {
      Subnets: [
        { AvailabilityZone: 'us-east-1a', AvailabilityZoneId: 'use1-az1', CidrBlock: '10.0.1.0/24', MapPublicIpOnLaunch: false, State: 'available', SubnetId: SUB1, VpcId: VPC, OwnerId: A, Ipv6CidrBlockAssociationSet: [], SubnetArn: `arn:aws:ec2:${R}:${A}:subnet/${SUB1}`, Tags: [{ Key: 'Name', Value: 'private-a' }] },
        { AvailabilityZone: 'us-east-1b', AvailabilityZoneId: 'use1-az2', CidrBlock: '10.0.2.0/24', MapPublicIpOnLaunch: false, State: 'available', SubnetId: SUB2, VpcId: VPC, OwnerId: A, SubnetArn: `arn:aws:ec2:${R}:${A}:subnet/${SUB2}` },
      ],
    },
    [`${base}/vpcs.json`]: {
      Vpcs: [
        { CidrBlock: '10.0.0.0/16', State: 'available', VpcId: VPC, OwnerId: A, IsDefault: false, CidrBlockAssociationSet: [{ AssociationId: 'vpc-cidr-assoc-1', CidrBlock: '10.0.0.0/16', CidrBlockState: { State: 'associated' } }], Tags: [{ Key: 'Name', Value: 'prod' }] },
      ],
    },
    [`${base}/security-groups.json`]: { SecurityGroups: [{ Description: 'default', GroupName: 'default', IpPermissions: [], OwnerId: A, GroupId: 'sg-0000000000000000a', VpcId: VPC, Tags: [] }] },
    [`${base}/nat.json`]: {
      NatGateways: [{
        CreateTime: '2024-01-01T00:00:00.000Z', NatGatewayAddresses: [{ AllocationId: 'eipalloc-1', NetworkInterfaceId: ENI(7), PrivateIp: '10.0.1.70', PublicIp: '203.0.113.70', IsPrimary: true, Status: 'succeeded' }],
        NatGatewayId: 'nat-00000000000000001', State: 'available', SubnetId: SUB1, VpcId: VPC, ConnectivityType: 'public', Tags: [{ Key: 'Name', Value: 'nat-a' }],
      }],
    },
    [`${base}/igw.json`]: { InternetGateways: [{ Attachments: [{ State: 'available', VpcId: VPC }], InternetGatewayId: 'igw-0000000000000001', OwnerId: A, Tags: [] }] },
    [`${base}/endpoints.json`]: {
      VpcEndpoints: [
        { VpcEndpointId: 'vpce-00000000000000001', VpcEndpointType: 'Interface', VpcId: VPC, ServiceName: `com.amazonaws.${R}.ecr.dkr`, State: 'available', SubnetIds: [SUB1], NetworkInterfaceIds: [ENI(8)], CreationTimestamp: '2024-01-05T00:00:00.000Z', OwnerId: A, Tags: [] },
        { VpcEndpointId: 'vpce-00000000000000002', VpcEndpointType: 'GatewayLoadBalancer', VpcId: VPC, ServiceName: 'com.amazonaws.vpce.us-east-1.vpce-svc-0000000000000001', State: 'available', SubnetIds: [SUB1], NetworkInterfaceIds: [ENI(9)], OwnerId: A },
        { VpcEndpointId: 'vpce-00000000000000003', VpcEndpointType: 'Gateway', VpcId: VPC, ServiceName: `com.amazonaws.${R}.s3`, State: 'available', RouteTableIds: ['rtb-0000000000000001'], OwnerId: A },
      ],
    },
    [`${base}/peering.json`]: {
      VpcPeeringConnections: [{
        AccepterVpcInfo: { CidrBlock: '10.9.0.0/16', OwnerId: B, VpcId: 'vpc-0b0b0b0b0b0b0b0b0', Region: 'eu-west-1' },
        RequesterVpcInfo: { CidrBlock: '10.0.0.0/16', OwnerId: A, VpcId: VPC, Region: R },
        Status: { Code: 'active', Message: 'Active' }, VpcPeeringConnectionId: 'pcx-00000000000000001', Tags: [],
      }, {
        AccepterVpcInfo: { OwnerId: A, VpcId: 'vpc-0d0d0d0d0d0d0d0d0', Region: R }, RequesterVpcInfo: { OwnerId: A, VpcId: VPC, Region: R },
        Status: { Code: 'deleted' }, VpcPeeringConnectionId: 'pcx-00000000000000002',
      }],
    },
    [`${base}/tgw-attachments.json`]: {
      TransitGatewayAttachments: ['1', '2', '3'].map((n, i) => ({
        TransitGatewayAttachmentId: `tgw-attach-0000000000000000${n}`, TransitGatewayId: 'tgw-00000000000000001', TransitGatewayOwnerId: A,
        ResourceOwnerId: A, ResourceType: 'vpc', ResourceId: [VPC, 'vpc-0c0c0c0c0c0c0c0c0', 'vpc-0e0e0e0e0e0e0e0e0'][i], State: 'available',
        CreationTime: '2024-01-0' + (i + 1) + 'T00:00:00.000Z', Tags: [],
      })),
    },
    [`${base}/prefix-lists.json`]: {
      PrefixLists: [{ PrefixListId: 'pl-63a5400a', AddressFamily: 'IPv4', State: 'create-complete', PrefixListArn: `arn:aws:ec2:${R}:aws:prefix-list/pl-63a5400a`, PrefixListName: `com.amazonaws.${R}.s3`, Tags: [], OwnerId: 'AWS' }],
    },
    [`${base}/get-managed-prefix-list-entries-pl-63a5400a.json`]: { Entries: [{ Cidr: '52.216.0.0/15' }, { Cidr: '3.5.0.0/19' }] },
    [`${base}/flow-logs.json`]: {
      FlowLogs: [{ CreationTime: '2024-01-01T00:00:00.000Z', DeliverLogsStatus: 'SUCCESS', FlowLogId: 'fl-00000000000000001', FlowLogStatus: 'ACTIVE', ResourceId: VPC, TrafficType: 'ALL', LogDestinationType: 's3', LogDestination: 'arn:aws:s3:::flow-bucket/prefix', LogFormat: '${version} ${account-id} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${packets} ${bytes} ${start} ${end} ${action} ${log-status}', MaxAggregationInterval: 60, DestinationOptions: { FileFormat: 'plain-text', HiveCompatiblePartitions: false, PerHourPartition: false }, Tags: [] }],
    },
    [`${base}/elbv2-load-balancers.json`]: {
      LoadBalancers: [
        { LoadBalancerArn: `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/app/web/0123456789abcdef`, DNSName: 'web-1.us-east-1.elb.amazonaws.com', CreatedTime: '2024-01-03T00:00:00.000Z', LoadBalancerName: 'web', Scheme: 'internet-facing', VpcId: VPC, State: { Code: 'active' }, Type: 'application', AvailabilityZones: [{ ZoneName: 'us-east-1a', SubnetId: SUB1, LoadBalancerAddresses: [] }], SecurityGroups: ['sg-0000000000000000a'], IpAddressType: 'ipv4' },
        { LoadBalancerArn: `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/net/tcp/1111111111111111`, LoadBalancerName: 'tcp', Scheme: 'internal', VpcId: VPC, Type: 'network', AvailabilityZones: [] },
      ],
    },
    [`${base}/target-groups.json`]: {
      TargetGroups: [{ TargetGroupArn: `arn:aws:elasticloadbalancing:${R}:${A}:targetgroup/web/0000000000000001`, TargetGroupName: 'web', Protocol: 'HTTP', Port: 80, VpcId: VPC, TargetType: 'instance', LoadBalancerArns: [`arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/app/web/0123456789abcdef`] }],
    },
    [`${base}/target-health-web.json`]: {
      TargetGroupArn: `arn:aws:elasticloadbalancing:${R}:${A}:targetgroup/web/0000000000000001`,
      TargetHealthDescriptions: [{ Target: { Id: I(1), Port: 80 }, HealthCheckPort: '80', TargetHealth: { State: 'healthy' } }],
    },
    [`${base}/lambda.json`]: {
      Functions: [
        { FunctionName: 'billing', FunctionArn: `arn:aws:lambda:${R}:${A}:function:billing`, Runtime: 'nodejs20.x', VpcConfig: lambdaVpc('sg-0000000000000001a') },
        { FunctionName: 'orders', FunctionArn: `arn:aws:lambda:${R}:${A}:function:orders`, Runtime: 'python3.12', VpcConfig: lambdaVpc('sg-0000000000000001a') },
        { FunctionName: 'reports', FunctionArn: `arn:aws:lambda:${R}:${A}:function:reports`, Runtime: 'python3.12', VpcConfig: lambdaVpc('sg-0000000000000002b') },
        { FunctionName: 'no-vpc', FunctionArn: `arn:aws:lambda:${R}:${A}:function:no-vpc`, Runtime: 'python3.12' },
      ],
    },
    [`${base}/rds-instances.json`]: {
      DBInstances: [
        { DBInstanceIdentifier: 'db-main', DBInstanceArn: `arn:aws:rds:${R}:${A}:db:db-main`, Engine: 'postgres', AvailabilityZone: 'us-east-1b', SecondaryAvailabilityZone: 'us-east-1a', MultiAZ: true, Endpoint: { Address: 'db-main.abc.us-east-1.rds.amazonaws.com', Port: 5432 }, DBSubnetGroup: { VpcId: VPC, Subnets: [{ SubnetIdentifier: SUB1 }, { SubnetIdentifier: SUB2 }] }, VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-000000000000000db', Status: 'active' }], InstanceCreateTime: '2024-01-04T00:00:00.000Z', TagList: [{ Key: 'app', Value: 'orders' }] },
        { DBInstanceIdentifier: 'db-other', DBInstanceArn: `arn:aws:rds:${R}:${A}:db:db-other`, Engine: 'mysql', AvailabilityZone: 'us-east-1b', DBSubnetGroup: { VpcId: VPC, Subnets: [{ SubnetIdentifier: SUB2 }] }, VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-000000000000000ff' }] },
        { DBInstanceIdentifier: 'aurora-1', DBInstanceArn: `arn:aws:rds:${R}:${A}:db:aurora-1`, Engine: 'aurora-postgresql', DBClusterIdentifier: 'aurora', AvailabilityZone: 'us-east-1a', DBSubnetGroup: { VpcId: VPC, Subnets: [{ SubnetIdentifier: SUB1 }, { SubnetIdentifier: SUB2 }] }, VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-000000000000000db' }] },
      ],
    },
    [`${base}/rds-clusters.json`]: {
      DBClusters: [{ DBClusterIdentifier: 'aurora', DBClusterArn: `arn:aws:rds:${R}:${A}:cluster:aurora`, Engine: 'aurora-postgresql', Endpoint: 'aurora.cluster-abc.us-east-1.rds.amazonaws.com', DBClusterMembers: [{ DBInstanceIdentifier: 'aurora-1', IsClusterWriter: true }], VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-000000000000000db' }], TagList: [] }],
    },
    [`${base}/rds-proxies.json`]: {
      DBProxies: [{ DBProxyName: 'orders-proxy', DBProxyArn: `arn:aws:rds:${R}:${A}:db-proxy:prx-0000000000000001`, Status: 'available', EngineFamily: 'POSTGRESQL', VpcId: VPC, VpcSecurityGroupIds: ['sg-00000000000000077'], VpcSubnetIds: [SUB1, SUB2], Endpoint: 'orders-proxy.proxy-abc.us-east-1.rds.amazonaws.com', CreatedDate: '2024-01-06T00:00:00.000Z' }],
    },
    [`${base}/rds-proxy-endpoints.json`]: {
      DBProxyEndpoints: [{ DBProxyEndpointName: 'orders-ro', DBProxyEndpointArn: `arn:aws:rds:${R}:${A}:db-proxy-endpoint:prx-endpoint-0000000000000001`, DBProxyName: 'orders-proxy', Status: 'available', VpcId: VPC, VpcSubnetIds: [SUB1], VpcSecurityGroupIds: ['sg-00000000000000078'], Endpoint: 'orders-ro.endpoint.proxy-abc.us-east-1.rds.amazonaws.com', TargetRole: 'READ_ONLY', IsDefault: false }],
    },
    [`${base}/rds-proxy-targets.json`]: {
      DBProxyName: 'orders-proxy',
      Targets: [{ TargetArn: `arn:aws:rds:${R}:${A}:db:db-main`, Endpoint: 'db-main.abc.us-east-1.rds.amazonaws.com', RdsResourceId: 'db-main', Port: 5432, Type: 'RDS_INSTANCE', TargetHealth: { State: 'AVAILABLE' } }],
    },
    [`${base}/elasticache.json`]: {
      CacheClusters: [{ CacheClusterId: 'cache-0001-001', ARN: `arn:aws:elasticache:${R}:${A}:cluster:cache-0001-001`, CacheNodeType: 'cache.t3.micro', Engine: 'redis', CacheClusterStatus: 'available', PreferredAvailabilityZone: 'us-east-1a', CacheClusterCreateTime: '2024-01-07T00:00:00.000Z', CacheNodes: [{ CacheNodeId: '0001', Endpoint: { Address: 'cache-0001-001.abc.cache.amazonaws.com', Port: 6379 }, CustomerAvailabilityZone: 'us-east-1a' }], SecurityGroups: [{ SecurityGroupId: 'sg-0000000000000000a', Status: 'active' }], ReplicationGroupId: 'cache' }],
    },
    [`${base}/tagging.json`]: {
      ResourceTagMappingList: [
        { ResourceARN: `arn:aws:lambda:${R}:${A}:function:orders`, Tags: [{ Key: 'app', Value: 'orders' }] },
        { ResourceARN: `arn:aws:elasticloadbalancing:${R}:${A}:loadbalancer/app/web/0123456789abcdef`, Tags: [{ Key: 'app', Value: 'web' }] },
      ],
    },
    [`${base}/cloudtrail-lookup-events.json`]: cloudTrail(),
    ['ip-ranges.json']: ipRanges(),
  };
}

export function writeEstate(files: Record<string, unknown> = estate()): { dir: string; root: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flowlens-inv-'));
  const root = join(dir, 'inventory');
  for (const [rel, doc] of Object.entries(files)) {
    const p = join(root, rel);
    mkdirSync(join(p, '..'), { recursive: true });
    writeFileSync(p, typeof doc === 'string' ? doc : JSON.stringify(doc, null, 2));
  }
  return { dir, root };
}
