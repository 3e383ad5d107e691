/** The simulated estate's data model: VPCs, subnets, resources, ENIs, flow logs, with their lifetimes. */
import type { FlowField } from '../model/flowFields';

export const DAY = 86400;
/** An open end of a lifetime. */
export const FOREVER = Number.POSITIVE_INFINITY;
/**
 * The flow logs' MaxAggregationInterval (AWS's default, 10 minutes): an idle ENI writes a NODATA record each
 * (generate.ts); the traffic's records are on the minute, which an interval of at most 10 minutes allows.
 */
export const AGGREGATION_INTERVAL = 600;

export type EgressPath =
  | 'same-vpc'
  | 'internet-gateway'
  | 'nat-gateway'
  | 'gateway-endpoint'
  | 'interface-endpoint'
  | 'peering-intra-region'
  | 'peering-inter-region'
  | 'transit-gateway'
  | 'virtual-private-gateway';

export type ResourceType =
  | 'ec2:instance'
  | 'lambda:function'
  | 'rds:db'
  | 'rds:db-proxy'
  | 'elasticloadbalancing:loadbalancer'
  | 'elasticache:cluster'
  | 'ec2:natgateway'
  | 'ec2:vpc-endpoint'
  | 'ec2:transit-gateway-attachment'
  | 'ecs:task'
  | 'eks:pod';

export type Tags = Record<string, string>;

export interface TagVersion {
  from: number;
  tags: Tags;
}

export interface TagChange {
  time: number;
  event: 'CreateTags' | 'DeleteTags';
  tags: Record<string, string>;
  user: string;
}

export interface Resource {
  arn: string;
  type: ResourceType;
  /** The short id: i-…, function name, db identifier, nat-…, vpce-… */
  id: string;
  name: string;
  account: string;
  region: string;
  vpc: Vpc | null;
  /** Tag history, oldest first; versions[0].from is the creation time. */
  tagVersions: TagVersion[];
  tagChanges: TagChange[];
  from: number;
  to: number;
  /** Type-specific facts used by the inventory writer. */
  extra: Record<string, unknown>;
}

export interface Sg {
  id: string;
  name: string;
  description: string;
  vpc: Vpc;
  tags: Tags;
  /** Its rules, as DescribeSecurityGroupRules lists them. */
  rules: SgRule[];
}

/** What a rule admits: a CIDR (IPv4 or IPv6), a managed prefix list's entries, or the ENIs carrying a group. */
export type SgPeer = { cidr: string } | { prefixList: { id: string; cidrs: string[] } } | { group: Sg };

export interface SgRule {
  /** sgr-…, as AWS names rules. */
  id: string;
  egress: boolean;
  /** IpProtocol as AWS writes it: 'tcp', 'udp', '-1' (all). */
  protocol: string;
  /** The port range (TCP, UDP); -1, -1 for all traffic. */
  from: number;
  to: number;
  peer: SgPeer;
  description: string;
  /** When it was added (CloudTrail's AuthorizeSecurityGroup*), if within the estate's history; else always there. */
  authorizedAt?: number;
  /** When it was removed (RevokeSecurityGroup*): no longer listed by the describe calls at the end. */
  revokedAt?: number;
}

export interface Subnet {
  id: string;
  arn: string;
  name: string;
  vpc: Vpc;
  az: string;
  azId: string;
  cidr: string;
  base: number;
  /** Number of addresses in the CIDR. */
  size: number;
  isPublic: boolean;
  ipv6Cidr?: string;
  nextStatic: number;
  /** Offset -> time the address becomes free again (dynamic pool). */
  pool: Map<number, number>;
  routeTableId: string;
}

export interface FlowLogConfig {
  id: string;
  vpc: Vpc;
  destination: 's3' | 'cloud-watch-logs';
  fields: readonly FlowField[];
  fileFormat: 'plain-text' | 'parquet';
  hive: boolean;
  perHour: boolean;
  bucket?: string;
  prefix?: string;
  logGroup?: string;
  created: number;
  tags: Tags;
}

export interface Vpc {
  key: string;
  id: string;
  arn: string;
  name: string;
  account: string;
  region: string;
  cidr: string;
  ipv6Cidr?: string;
  subnets: Subnet[];
  igwId: string;
  /** NAT gateway ENI used by each private subnet (by subnet id). */
  natBySubnet: Map<string, Eni>;
  nats: Eni[];
  gatewayEndpoints: Map<string, Resource>;
  flowLog?: FlowLogConfig;
  tags: Tags;
  mainRouteTableId: string;
}

export interface Eni {
  id: string;
  resource: Resource;
  vpc: Vpc;
  subnet: Subnet;
  sgs: Sg[];
  primaryIp: string;
  secondaryIps: string[];
  ipv6: string[];
  publicIp?: string;
  publicIpOwner?: string;
  allocationId?: string;
  description: string;
  interfaceType: string;
  requesterId?: string;
  requesterManaged: boolean;
  /** EC2 instance the ENI is attached to (instances, EKS CNI ENIs). */
  instanceId?: string;
  deviceIndex: number;
  attachmentId?: string;
  attachOwner?: string;
  mac: string;
  from: number;
  to: number;
  /**
   * The AttachTime the inventory shows when later than `from`: the ENI was attached again (a failover), and an
   * inventory taken after knows it only from then.
   */
  attachedAt?: number;
  /** account-id as the ENI's flow-log records carry it. */
  logAccount: string;
  /** Who created it, for CloudTrail: ecs.amazonaws.com, lambda.amazonaws.com, autoscaling… */
  creator: string;
  /** Per-address owner override (EKS pod IPs): address -> resource. */
  podOwners?: Map<string, Resource>;
}

/** One side of a conversation. */
export interface Endpoint {
  kind: 'eni' | 'internet' | 'aws';
  addr: string;
  eni?: Eni;
  /** The resource holding the address (eni.resource, or the pod for an EKS pod IP). */
  resource?: Resource;
  /** ip-ranges service for AWS addresses (S3, DYNAMODB, …). */
  service?: string;
  region?: string;
}

export interface Conversation {
  pattern: string;
  client: Endpoint;
  server: Endpoint;
  clientPort: number;
  serverPort: number;
  path: EgressPath;
  action: 'ACCEPT' | 'REJECT';
  /** Epoch second of the first minute. */
  start: number;
  minutes: number;
  /** Client->server and server->client bytes, per minute. */
  up: number[];
  down: number[];
  /** The NAT gateway ENI the conversation goes through. */
  nat?: Eni;
  /** The NAT's translated source port (leg 2). */
  natPort?: number;
}

export interface AwsServiceRange {
  service: string;
  region: string;
  prefix: string;
  addrs: string[];
}
