/**
 * Resource factories: each makes the resource(s) and the ENIs AWS would create for it, with the
 * Description / InterfaceType / RequesterId values AWS sets.
 */
import type { Builder } from './builder';
import { FOREVER, type Eni, type Resource, type Sg, type Subnet, type Tags, type Vpc } from './model';

export function stdTags(app: string, owner: string, env: string, extra: Tags = {}): Tags {
  return { app, owner, env, 'aws:cloudformation:stack-name': `${app}-${env}`, ...extra };
}

export interface Instance {
  res: Resource;
  eni: Eni;
}

export function instance(
  b: Builder,
  o: {
    vpc: Vpc;
    subnet: Subnet;
    sgs: Sg[];
    name: string;
    tags: Tags;
    instanceType?: string;
    asg?: string;
    from?: number;
    to?: number;
    ip?: string;
    publicIp?: boolean;
    ipv6?: string[];
    /** Create through the dynamic pool (instances launched during the window). */
    dynamic?: boolean;
    onMade?: (i: Instance) => void;
  },
): Instance | undefined {
  const iid = b.id('i');
  const from = o.from ?? b.longAgo();
  const to = o.to ?? FOREVER;
  const region = o.vpc.region;
  const make = (ip: string): Instance => {
    const tags: Tags = { Name: o.name, ...o.tags };
    if (o.asg) tags['aws:autoscaling:groupName'] = o.asg;
    const res = b.resource({
      arn: `arn:aws:ec2:${region}:${o.vpc.account}:instance/${iid}`,
      type: 'ec2:instance',
      id: iid,
      name: o.name,
      vpc: o.vpc,
      tags,
      from,
      to,
      extra: { instanceType: o.instanceType ?? 't3.medium', imageId: 'ami-0' + b.hex(16), subnet: o.subnet, asg: o.asg },
    });
    const eni = b.eni({
      resource: res,
      vpc: o.vpc,
      subnet: o.subnet,
      sgs: o.sgs,
      primaryIp: ip,
      ipv6: o.ipv6,
      publicIp: o.publicIp ? b.publicIp(region) : undefined,
      publicIpOwner: o.publicIp ? 'amazon' : undefined,
      description: o.asg ? '' : 'Primary network interface',
      interfaceType: 'interface',
      requesterManaged: false,
      instanceId: iid,
      deviceIndex: 0,
      attachmentId: b.id('eni-attach'),
      attachOwner: o.vpc.account,
      from,
      to,
      creator: o.asg ? 'autoscaling.amazonaws.com' : 'console',
    });
    res.extra.enis = [eni];
    const made = { res, eni };
    o.onMade?.(made);
    return made;
  };
  if (o.dynamic) {
    b.later(o.subnet, from, to, (ip) => make(ip).eni);
    return undefined;
  }
  return make(o.ip ?? b.staticIp(o.subnet));
}

export interface LoadBalancer {
  res: Resource;
  enis: Eni[];
  kind: 'application' | 'network';
  scheme: 'internet-facing' | 'internal';
  dnsName: string;
}

export function loadBalancer(
  b: Builder,
  o: { vpc: Vpc; name: string; kind: 'application' | 'network'; scheme: 'internet-facing' | 'internal'; sgs: Sg[]; tags: Tags },
): LoadBalancer {
  const suffix = b.hex(16);
  const short = o.kind === 'application' ? 'app' : 'net';
  const region = o.vpc.region;
  const from = b.longAgo();
  const arn = `arn:aws:elasticloadbalancing:${region}:${o.vpc.account}:loadbalancer/${short}/${o.name}/${suffix}`;
  const dnsName = `${o.scheme === 'internal' ? 'internal-' : ''}${o.name}-${b.ids.digits(10)}.${short === 'net' ? 'elb' : `${region}.elb`}.amazonaws.com`;
  const res = b.resource({ arn, type: 'elasticloadbalancing:loadbalancer', id: `${short}/${o.name}/${suffix}`, name: o.name, vpc: o.vpc, tags: o.tags, from });
  const subnets = o.vpc.subnets.filter((s) => s.isPublic === (o.scheme === 'internet-facing'));
  const enis = subnets.map((subnet) =>
    b.eni({
      resource: res,
      vpc: o.vpc,
      subnet,
      sgs: o.kind === 'application' ? o.sgs : [],
      primaryIp: b.staticIp(subnet),
      publicIp: o.scheme === 'internet-facing' ? b.publicIp(region) : undefined,
      publicIpOwner: o.scheme === 'internet-facing' ? (o.kind === 'network' ? o.vpc.account : 'amazon-elb') : undefined,
      allocationId: o.kind === 'network' && o.scheme === 'internet-facing' ? b.id('eipalloc') : undefined,
      description: `ELB ${short}/${o.name}/${suffix}`,
      interfaceType: o.kind === 'application' ? 'interface' : 'network_load_balancer',
      requesterId: 'amazon-elb',
      requesterManaged: true,
      attachOwner: 'amazon-elb',
      attachmentId: b.id('ela-attach'),
      from,
      to: FOREVER,
      creator: 'elasticloadbalancing.amazonaws.com',
    }),
  );
  const lb: LoadBalancer = { res, enis, kind: o.kind, scheme: o.scheme, dnsName };
  res.extra.lb = lb;
  res.extra.enis = enis;
  return lb;
}

export function natGateway(b: Builder, vpc: Vpc, subnet: Subnet, tags: Tags): Eni {
  const natId = b.id('nat');
  const from = b.longAgo();
  const res = b.resource({
    arn: `arn:aws:ec2:${vpc.region}:${vpc.account}:natgateway/${natId}`,
    type: 'ec2:natgateway',
    id: natId,
    name: `${vpc.name}-nat-${subnet.az.slice(-1)}`,
    vpc,
    tags: { Name: `${vpc.name}-nat-${subnet.az.slice(-1)}`, ...tags },
    from,
    extra: { subnet },
  });
  const eni = b.eni({
    resource: res,
    vpc,
    subnet,
    sgs: [],
    primaryIp: b.staticIp(subnet),
    publicIp: b.publicIp(vpc.region),
    publicIpOwner: vpc.account,
    allocationId: b.id('eipalloc'),
    description: `Interface for NAT Gateway ${natId}`,
    interfaceType: 'nat_gateway',
    requesterId: 'amazon-aws',
    requesterManaged: true,
    attachOwner: 'amazon-aws',
    attachmentId: b.id('ela-attach'),
    from,
    to: FOREVER,
  });
  res.extra.enis = [eni];
  vpc.nats.push(eni);
  return eni;
}

export function interfaceEndpoint(b: Builder, vpc: Vpc, service: string, sgs: Sg[], tags: Tags): { res: Resource; enis: Eni[] } {
  const id = b.id('vpce');
  const from = b.longAgo();
  const res = b.resource({
    arn: `arn:aws:ec2:${vpc.region}:${vpc.account}:vpc-endpoint/${id}`,
    type: 'ec2:vpc-endpoint',
    id,
    name: service,
    vpc,
    tags,
    from,
    extra: { endpointType: 'Interface', serviceName: `com.amazonaws.${vpc.region}.${service}`, sgs },
  });
  const enis = vpc.subnets
    .filter((s) => !s.isPublic)
    .slice(0, 2)
    .map((subnet) =>
      b.eni({
        resource: res,
        vpc,
        subnet,
        sgs,
        primaryIp: b.staticIp(subnet),
        description: `VPC Endpoint Interface ${id}`,
        interfaceType: 'vpc_endpoint',
        requesterId: 'AROA' + b.hex(17).toUpperCase() + ':vpce',
        requesterManaged: true,
        from,
        to: FOREVER,
        logAccount: 'unknown',
      }),
    );
  res.extra.enis = enis;
  return { res, enis };
}

export function gatewayEndpoint(b: Builder, vpc: Vpc, service: 's3' | 'dynamodb', prefixListId: string, tags: Tags): Resource {
  const id = b.id('vpce');
  const res = b.resource({
    arn: `arn:aws:ec2:${vpc.region}:${vpc.account}:vpc-endpoint/${id}`,
    type: 'ec2:vpc-endpoint',
    id,
    name: service,
    vpc,
    tags,
    from: b.longAgo(),
    extra: { endpointType: 'Gateway', serviceName: `com.amazonaws.${vpc.region}.${service}`, prefixListId, enis: [] },
  });
  vpc.gatewayEndpoints.set(service, res);
  return res;
}

export function lambdaFunction(
  b: Builder,
  o: { vpc: Vpc; name: string; sgs: Sg[]; tags: Tags; runtime?: string; replaceAt?: number; replacementSgs?: Sg[] },
): { res: Resource; enis: () => Eni[] } {
  const region = o.vpc.region;
  const from = b.longAgo();
  const res = b.resource({
    arn: `arn:aws:lambda:${region}:${o.vpc.account}:function:${o.name}`,
    type: 'lambda:function',
    id: o.name,
    name: o.name,
    vpc: o.vpc,
    tags: o.tags,
    from,
    extra: { runtime: o.runtime ?? 'python3.12', sgs: o.replacementSgs ?? o.sgs },
  });
  const list: Eni[] = [];
  const subnets = o.vpc.subnets.filter((s) => !s.isPublic).slice(0, 2);
  const mk = (subnet: Subnet, sgs: Sg[], f: number, t: number) => (ip: string) => {
    const eni = b.eni({
      resource: res,
      vpc: o.vpc,
      subnet,
      sgs,
      primaryIp: ip,
      description: `AWS Lambda VPC ENI-${o.name}-${b.uuid()}`,
      interfaceType: 'lambda',
      requesterId: 'AROA' + b.hex(17).toUpperCase() + ':' + b.hex(32),
      requesterManaged: true,
      from: f,
      to: t,
      creator: 'lambda.amazonaws.com',
    });
    list.push(eni);
    return eni;
  };
  for (const subnet of subnets) {
    if (o.replaceAt !== undefined) {
      // A configuration change (new security group) makes Lambda create new ENIs and drop the old.
      const f0 = b.start - b.ids.range(3, 20) * 86400;
      b.later(subnet, f0, o.replaceAt + 1200, mk(subnet, o.sgs, f0, o.replaceAt + 1200));
      b.later(subnet, o.replaceAt, FOREVER, mk(subnet, o.replacementSgs ?? o.sgs, o.replaceAt, FOREVER));
    } else {
      const f0 = b.longAgo();
      mk(subnet, o.sgs, f0, FOREVER)(b.staticIp(subnet));
    }
  }
  res.extra.enis = list;
  return { res, enis: () => list };
}

export function rdsInstance(
  b: Builder,
  o: { vpc: Vpc; name: string; subnet: Subnet; sgs: Sg[]; tags: Tags; engine: string; port: number; cluster?: string },
): { res: Resource; eni: Eni } {
  const from = b.longAgo();
  const res = b.resource({
    arn: `arn:aws:rds:${o.vpc.region}:${o.vpc.account}:db:${o.name}`,
    type: 'rds:db',
    id: o.name,
    name: o.name,
    vpc: o.vpc,
    tags: o.tags,
    from,
    extra: { engine: o.engine, port: o.port, cluster: o.cluster, subnet: o.subnet, sgs: o.sgs, resourceId: 'db-' + b.hex(26).toUpperCase() },
  });
  const eni = b.eni({
    resource: res,
    vpc: o.vpc,
    subnet: o.subnet,
    sgs: o.sgs,
    primaryIp: b.staticIp(o.subnet),
    description: 'RDSNetworkInterface',
    interfaceType: 'interface',
    requesterId: 'amazon-rds',
    requesterManaged: true,
    from,
    to: FOREVER,
  });
  res.extra.enis = [eni];
  return { res, eni };
}

export function dbProxy(b: Builder, o: { vpc: Vpc; name: string; sgs: Sg[]; tags: Tags; target: Resource }): { res: Resource; enis: Eni[] } {
  const id = 'prx-' + b.hex(17);
  const from = b.longAgo();
  const res = b.resource({
    arn: `arn:aws:rds:${o.vpc.region}:${o.vpc.account}:db-proxy:${id}`,
    type: 'rds:db-proxy',
    id,
    name: o.name,
    vpc: o.vpc,
    tags: o.tags,
    from,
    extra: { target: o.target, sgs: o.sgs },
  });
  const enis = o.vpc.subnets
    .filter((s) => !s.isPublic)
    .slice(0, 2)
    .map((subnet) =>
      b.eni({
        resource: res,
        vpc: o.vpc,
        subnet,
        sgs: o.sgs,
        primaryIp: b.staticIp(subnet),
        description: `Network interface for DBProxy ${o.name}`,
        interfaceType: 'interface',
        requesterId: 'amazon-rds',
        requesterManaged: true,
        from,
        to: FOREVER,
      }),
    );
  res.extra.enis = enis;
  return { res, enis };
}

export function cacheNode(b: Builder, o: { vpc: Vpc; clusterId: string; group: string; subnet: Subnet; sgs: Sg[]; tags: Tags }): { res: Resource; eni: Eni } {
  const from = b.longAgo();
  const res = b.resource({
    arn: `arn:aws:elasticache:${o.vpc.region}:${o.vpc.account}:cluster:${o.clusterId}`,
    type: 'elasticache:cluster',
    id: o.clusterId,
    name: o.clusterId,
    vpc: o.vpc,
    tags: o.tags,
    from,
    extra: { group: o.group, subnet: o.subnet, sgs: o.sgs },
  });
  const eni = b.eni({
    resource: res,
    vpc: o.vpc,
    subnet: o.subnet,
    sgs: o.sgs,
    primaryIp: b.staticIp(o.subnet),
    description: `ElastiCache ${o.clusterId}`,
    interfaceType: 'interface',
    requesterId: 'amazon-elasticache',
    requesterManaged: true,
    from,
    to: FOREVER,
  });
  res.extra.enis = [eni];
  return { res, eni };
}

/**
 * An ECS task (awsvpc) and its ENI, whose description is the task's ENI attachment ARN. The truth names the
 * task by its task ARN (DescribeTasks links the attachment to the task); it carries the service's tags,
 * propagated, and ECS's managed tags aws:ecs:serviceName and aws:ecs:clusterName.
 */
export function ecsTask(
  b: Builder,
  o: { vpc: Vpc; subnet: Subnet; sgs: Sg[]; cluster: string; service: string; tags: Tags; from: number; to: number; sink: Eni[] },
): void {
  const attachmentId = b.uuid();
  const attachment = `arn:aws:ecs:${o.vpc.region}:${o.vpc.account}:attachment/${attachmentId}`;
  // A task id is 32 hex digits; derived from the attachment's uuid so the estate draws no more random numbers.
  const taskId = [...attachmentId.replace(/-/g, '')].reverse().join('');
  b.later(o.subnet, o.from, o.to, (ip) => {
    const res = b.resource({
      arn: `arn:aws:ecs:${o.vpc.region}:${o.vpc.account}:task/${o.cluster}/${taskId}`,
      type: 'ecs:task',
      id: taskId,
      name: o.service,
      vpc: o.vpc,
      tags: { ...o.tags, 'aws:ecs:clusterName': o.cluster, 'aws:ecs:serviceName': o.service },
      from: o.from,
      to: o.to,
      extra: { cluster: o.cluster, service: o.service, attachmentId },
    });
    const eni = b.eni({
      resource: res,
      vpc: o.vpc,
      subnet: o.subnet,
      sgs: o.sgs,
      primaryIp: ip,
      description: attachment,
      interfaceType: 'interface',
      requesterId: 'AROA' + b.hex(17).toUpperCase() + ':ecs-service-scheduler',
      requesterManaged: true,
      from: o.from,
      to: o.to,
      creator: 'ecs.amazonaws.com',
    });
    res.extra.enis = [eni];
    o.sink.push(eni);
    return eni;
  });
}

/** An EKS node: the instance's primary ENI plus a VPC CNI ENI holding pod IPs as secondary addresses. */
export function eksNode(
  b: Builder,
  o: { vpc: Vpc; subnet: Subnet; sgs: Sg[]; name: string; tags: Tags; cluster: string; pods: number },
): { node: Instance; cni: Eni; podIps: string[] } {
  const node = instance(b, { vpc: o.vpc, subnet: o.subnet, sgs: o.sgs, name: o.name, tags: { ...o.tags, [`kubernetes.io/cluster/${o.cluster}`]: 'owned' }, asg: `eks-${o.cluster}-nodes`, instanceType: 'm6i.large' })!;
  const podIps = Array.from({ length: o.pods }, () => b.staticIp(o.subnet));
  const pod = b.resource({
    arn: node.res.arn,
    type: 'eks:pod',
    id: node.res.id,
    name: `${o.cluster} pods on ${node.res.id}`,
    vpc: o.vpc,
    tags: {},
    from: node.res.from,
  });
  // Pods are named by their node; they carry the node's tags.
  pod.tagVersions = node.res.tagVersions;
  b.resources.pop();
  const cni = b.eni({
    resource: node.res,
    vpc: o.vpc,
    subnet: o.subnet,
    sgs: o.sgs,
    primaryIp: b.staticIp(o.subnet),
    secondaryIps: podIps,
    description: `aws-K8S-${node.res.id}`,
    interfaceType: 'interface',
    requesterManaged: false,
    instanceId: node.res.id,
    deviceIndex: 1,
    attachmentId: b.id('eni-attach'),
    attachOwner: o.vpc.account,
    from: node.res.from + 120,
    to: FOREVER,
    creator: 'eks-vpc-cni',
  });
  cni.podOwners = new Map(podIps.map((ip) => [ip, pod]));
  (node.res.extra.enis as Eni[]).push(cni);
  return { node, cni, podIps };
}

/** A transit gateway attachment's ENI in a VPC (requester-managed, interface type transit_gateway). */
export function tgwAttachment(b: Builder, vpc: Vpc, tgwId: string, tgwOwner: string): { res: Resource; enis: Eni[] } {
  const id = b.id('tgw-attach');
  const from = b.longAgo();
  const res = b.resource({
    arn: `arn:aws:ec2:${vpc.region}:${tgwOwner}:transit-gateway-attachment/${id}`,
    type: 'ec2:transit-gateway-attachment',
    id,
    name: `${vpc.name}-tgw`,
    vpc,
    tags: { Name: `${vpc.name}-tgw` },
    from,
    extra: { tgwId, tgwOwner },
  });
  const subnet = vpc.subnets.filter((s) => !s.isPublic)[0];
  const eni = b.eni({
    resource: res,
    vpc,
    subnet,
    sgs: [],
    primaryIp: b.staticIp(subnet),
    description: `Network Interface for Transit Gateway Attachment ${id}`,
    interfaceType: 'transit_gateway',
    requesterId: 'amazon-aws',
    requesterManaged: true,
    from,
    to: FOREVER,
  });
  res.extra.enis = [eni];
  return { res, enis: [eni] };
}
