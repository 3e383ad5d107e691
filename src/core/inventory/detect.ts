/**
 * Which AWS API response a JSON document is, from its content (never from the file name).
 * The shapes are what `aws <service> <op> --output json` prints: the SDK v3 output shapes.
 */
import { isObj, type Obj } from './util';

export type InventoryKind =
  | 'ec2:DescribeNetworkInterfaces'
  | 'ec2:DescribeInstances'
  | 'ec2:DescribeSubnets'
  | 'ec2:DescribeVpcs'
  | 'ec2:DescribeSecurityGroups'
  | 'ec2:DescribeNatGateways'
  | 'ec2:DescribeInternetGateways'
  | 'ec2:DescribeVpcEndpoints'
  | 'ec2:DescribeVpcPeeringConnections'
  | 'ec2:DescribeTransitGatewayAttachments'
  | 'ec2:DescribeManagedPrefixLists'
  | 'ec2:GetManagedPrefixListEntries'
  | 'ec2:DescribeFlowLogs'
  | 'elbv2:DescribeLoadBalancers'
  | 'elb:DescribeLoadBalancers'
  | 'elbv2:DescribeTargetGroups'
  | 'elbv2:DescribeTargetHealth'
  | 'rds:DescribeDBInstances'
  | 'rds:DescribeDBClusters'
  | 'rds:DescribeDBProxies'
  | 'rds:DescribeDBProxyTargets'
  | 'rds:DescribeDBProxyEndpoints'
  | 'lambda:ListFunctions'
  | 'elasticache:DescribeCacheClusters'
  | 'ecs:DescribeTasks'
  | 'tagging:GetResources'
  | 'cloudtrail:LookupEvents'
  | 'cloudtrail:LogFile'
  | 'ip-ranges';

/** The list key each kind carries its items under (for counting and for paging). */
const BY_KEY: [string, InventoryKind, ((o: Obj) => boolean)?][] = [
  ['NetworkInterfaces', 'ec2:DescribeNetworkInterfaces'],
  ['Reservations', 'ec2:DescribeInstances'],
  ['Subnets', 'ec2:DescribeSubnets'],
  ['Vpcs', 'ec2:DescribeVpcs'],
  ['SecurityGroups', 'ec2:DescribeSecurityGroups', (o) => !('LoadBalancerDescriptions' in o)],
  ['NatGateways', 'ec2:DescribeNatGateways'],
  ['InternetGateways', 'ec2:DescribeInternetGateways'],
  ['VpcEndpoints', 'ec2:DescribeVpcEndpoints'],
  ['VpcPeeringConnections', 'ec2:DescribeVpcPeeringConnections'],
  ['TransitGatewayAttachments', 'ec2:DescribeTransitGatewayAttachments'],
  ['PrefixLists', 'ec2:DescribeManagedPrefixLists'],
  ['FlowLogs', 'ec2:DescribeFlowLogs'],
  ['LoadBalancerDescriptions', 'elb:DescribeLoadBalancers'],
  ['LoadBalancers', 'elbv2:DescribeLoadBalancers'],
  ['TargetGroups', 'elbv2:DescribeTargetGroups'],
  ['TargetHealthDescriptions', 'elbv2:DescribeTargetHealth'],
  ['DBInstances', 'rds:DescribeDBInstances'],
  ['DBClusters', 'rds:DescribeDBClusters'],
  ['DBProxies', 'rds:DescribeDBProxies'],
  ['DBProxyEndpoints', 'rds:DescribeDBProxyEndpoints'],
  ['Functions', 'lambda:ListFunctions'],
  ['CacheClusters', 'elasticache:DescribeCacheClusters'],
  // The ECS API is camelCase: {"tasks": [{"taskArn": …}], "failures": []}
  ['tasks', 'ecs:DescribeTasks', (o) => (o.tasks as unknown[]).every((t) => isObj(t) && 'taskArn' in t)],
  ['ResourceTagMappingList', 'tagging:GetResources'],
  ['Records', 'cloudtrail:LogFile', (o) => Array.isArray(o.Records) && (o.Records as unknown[]).every((r) => isObj(r) && 'eventName' in r)],
];

export const ITEMS_KEY: Partial<Record<InventoryKind, string>> = Object.fromEntries(BY_KEY.map(([k, kind]) => [kind, k]));
ITEMS_KEY['ec2:GetManagedPrefixListEntries'] = 'Entries';
ITEMS_KEY['rds:DescribeDBProxyTargets'] = 'Targets';
ITEMS_KEY['cloudtrail:LookupEvents'] = 'Events';

/** The kind of one response object, or null when it is not one Flowlens reads. */
export function detectKind(doc: unknown): InventoryKind | null {
  if (!isObj(doc)) return null;
  if (typeof doc.syncToken === 'string' && Array.isArray(doc.prefixes)) return 'ip-ranges';
  for (const [key, kind, extra] of BY_KEY) {
    if (Array.isArray(doc[key]) && (!extra || extra(doc))) return kind;
  }
  if (Array.isArray(doc.Entries) && (doc.Entries as unknown[]).every((e) => isObj(e) && 'Cidr' in e)) {
    return 'ec2:GetManagedPrefixListEntries';
  }
  if (Array.isArray(doc.Targets) && (doc.Targets as unknown[]).every((t) => isObj(t) && ('RdsResourceId' in t || 'TargetArn' in t || 'TrackedClusterId' in t))) {
    return 'rds:DescribeDBProxyTargets';
  }
  if (Array.isArray(doc.Events) && (doc.Events as unknown[]).every((e) => isObj(e) && ('CloudTrailEvent' in e || 'EventName' in e))) {
    return 'cloudtrail:LookupEvents';
  }
  return null;
}

/** A document may be one response or an array of responses (pages). */
export function pagesOf(doc: unknown): unknown[] {
  return Array.isArray(doc) ? doc : [doc];
}
