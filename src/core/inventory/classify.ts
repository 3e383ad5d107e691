/**
 * Which resource an ENI belongs to, from what DescribeNetworkInterfaces says about it (Description,
 * InterfaceType, RequesterId, Attachment) and the other inventory (load balancers, Lambda functions,
 * DB instances, proxies). Pure: no database access.
 *
 * Description / InterfaceType values relied on (checked against AWS documentation and public parsers):
 *   EC2 instance        Attachment.InstanceId
 *   EKS node (VPC CNI)  "aws-K8S-i-<instance>" (secondary node ENIs; pod IPs are their secondary IPs)
 *   EKS pod (branch)    "aws-k8s-branch-eni" (security groups for pods), InterfaceType branch
 *   ALB/NLB/GWLB        "ELB app/<name>/<id>", "ELB net/…", "ELB gwy/…" = the LB ARN's suffix
 *   Classic ELB         "ELB <name>"
 *   NAT gateway         "Interface for NAT Gateway nat-…", InterfaceType nat_gateway
 *   VPC endpoint        "VPC Endpoint Interface vpce-…" (the EC2 guide also shows "VPC Endpoint Interface: vpce-…");
 *                       InterfaceType vpc_endpoint (older: interface), gateway_load_balancer_endpoint for GWLB endpoints
 *   Lambda              "AWS Lambda VPC ENI-<function>-<uuid>", older "AWS Lambda VPC ENI: …" with
 *                       RequesterId "<role-id>:<function>"; InterfaceType lambda; Attachment.InstanceOwnerId aws-lambda
 *   RDS / Aurora        "RDSNetworkInterface" (RequesterId amazon-rds); the DB is found by the rule in matchDb()
 *   RDS Proxy           "Network interface for DBProxy …" (prefix seen in public parsers; the rest unconfirmed)
 *   ElastiCache         "ElastiCache <cache-cluster-id>" (also seen: "ElastiCache+<id>")
 *   EFS mount target    "EFS mount target for fs-… (fsmt-…)"
 *   ECS task (awsvpc)   "arn:aws:ecs:<region>:<account>:attachment/<uuid>"; the task is the one whose DescribeTasks
 *                       attachments[] has that id (or names the ENI in its details' networkInterfaceId)
 *   TGW attachment      "Network Interface for Transit Gateway Attachment tgw-attach-…", InterfaceType transit_gateway
 */

export interface EniFacts {
  eni_id: string;
  account_id?: string;
  region?: string;
  vpc_id?: string;
  subnet_id?: string;
  az?: string;
  interface_type?: string;
  description?: string;
  requester_id?: string;
  instance_owner_id?: string;
  security_group_ids?: string[];
  /** Private addresses of the ENI (to match a DB by a resolved endpoint address). */
  addrs?: string[];
}

export interface Candidate {
  arn: string;
  resource_id?: string;
  type: string;
  kind?: string;
  name?: string;
  vpc_id?: string;
  account_id?: string;
  region?: string;
  attrs: Record<string, unknown>;
}

export interface ClassifyIndex {
  byArn: Map<string, Candidate>;
  /** `${type}|${resource_id}` -> candidate */
  byTypeId: Map<string, Candidate>;
  lambdas: Candidate[];
  dbs: Candidate[];
  proxies: Candidate[];
  eksInstances: Set<string>;
  /** ECS tasks by their ENI attachment's id (the uuid of the ENI description's ARN) and by ENI id. */
  ecsTasks: Map<string, Candidate>;
  /** Optional: DB endpoint host name -> resolved addresses (when the caller could resolve them). */
  resolved?: Map<string, string[]>;
}

export interface Owner {
  arn: string;
  type: string;
  kind: string;
  resource_id?: string;
  name?: string;
  /** How it was decided, for inv_eni_owners.rule and for people debugging a classification. */
  rule: string;
  /** Every resource that fits when more than one does (shared Lambda ENIs, ambiguous RDS). */
  candidates: string[];
}

export function buildIndex(resources: Candidate[], resolved?: Map<string, string[]>): ClassifyIndex {
  const idx: ClassifyIndex = {
    byArn: new Map(), byTypeId: new Map(), lambdas: [], dbs: [], proxies: [], eksInstances: new Set(), ecsTasks: new Map(), resolved,
  };
  for (const r of [...resources].sort((a, b) => (a.arn < b.arn ? -1 : 1))) {
    idx.byArn.set(r.arn, r);
    if (r.resource_id) idx.byTypeId.set(`${r.type}|${r.resource_id}`, r);
    if (r.type === 'lambda:function') idx.lambdas.push(r);
    if (r.type === 'rds:db') idx.dbs.push(r);
    if (r.type === 'rds:db-proxy' || r.type === 'rds:db-proxy-endpoint') idx.proxies.push(r);
    if (r.type === 'ecs:task') {
      for (const k of [r.attrs.attachment_ids, r.attrs.eni_ids].flatMap((v) => (Array.isArray(v) ? v : []))) {
        if (typeof k === 'string') idx.ecsTasks.set(k, r);
      }
    }
  }
  return idx;
}

const eniArn = (e: EniFacts): string => `arn:aws:ec2:${e.region ?? ''}:${e.account_id ?? ''}:network-interface/${e.eni_id}`;
const ec2 = (e: EniFacts, type: string, id: string): string => `arn:aws:ec2:${e.region ?? ''}:${e.account_id ?? ''}:${type}/${id}`;

function known(idx: ClassifyIndex, type: string, id: string): Candidate | undefined {
  return idx.byTypeId.get(`${type}|${id}`);
}

function own(c: Candidate | undefined, fallback: Omit<Owner, 'candidates'>, candidates: string[] = []): Owner {
  if (c) return { arn: c.arn, type: c.type, kind: c.kind ?? fallback.kind, resource_id: c.resource_id, name: c.name, rule: fallback.rule, candidates };
  return { ...fallback, candidates };
}

const sameSet = (a: unknown, b: string[] | undefined): boolean => {
  const x = Array.isArray(a) ? [...(a as string[])].sort() : [];
  const y = [...(b ?? [])].sort();
  return x.length === y.length && x.every((v, i) => v === y[i]);
};
const hasSubnet = (c: Candidate, subnet: string | undefined): boolean =>
  !!subnet && Array.isArray(c.attrs.subnet_ids) && (c.attrs.subnet_ids as string[]).includes(subnet);

/** An instance is an EKS node when one of its ENIs says aws-K8S-… or its tags name a cluster. */
export function isEksNodeTags(tags: Record<string, string>): boolean {
  return Object.keys(tags).some((k) => k === 'eks:cluster-name' || k === 'aws:eks:cluster-name' || k.startsWith('kubernetes.io/cluster/'));
}

const UUID_TAIL = /-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The function named by a Lambda ENI: "AWS Lambda VPC ENI-<fn>-<uuid>" or RequesterId "<role-id>:<fn>". */
export function lambdaNameOf(e: EniFacts): string | undefined {
  const d = e.description ?? '';
  const m = /^AWS Lambda VPC ENI-(.+)$/.exec(d);
  if (m) return m[1].replace(UUID_TAIL, '') || undefined;
  const r = /^[A-Z0-9]+:(.+)$/.exec(e.requester_id ?? '');
  return r ? r[1] : undefined;
}

/**
 * Lambda: a Hyperplane ENI serves every function whose VpcConfig has the ENI's subnet and exactly its
 * security-group set. The chosen one is the function named in the description when it is among them,
 * else the first by name; all of them are recorded as candidates.
 */
function matchLambda(e: EniFacts, idx: ClassifyIndex): Owner {
  const named = lambdaNameOf(e);
  const fits = idx.lambdas.filter(
    (f) => (!e.vpc_id || !f.vpc_id || f.vpc_id === e.vpc_id) && hasSubnet(f, e.subnet_id) && sameSet(f.attrs.security_group_ids, e.security_group_ids),
  ).sort((a, b) => ((a.resource_id ?? '') < (b.resource_id ?? '') ? -1 : 1));
  const pick = fits.find((f) => f.resource_id === named) ?? fits[0] ?? (named ? known(idx, 'lambda:function', named) : undefined);
  const fallbackArn = named ? `arn:aws:lambda:${e.region ?? ''}:${e.account_id ?? ''}:function:${named}` : eniArn(e);
  return own(
    pick,
    { arn: fallbackArn, type: 'lambda:function', kind: 'lambda', resource_id: named, name: named, rule: fits.length ? 'lambda-vpc-config' : 'lambda-description' },
    fits.length > 1 ? fits.map((f) => f.arn) : [],
  );
}

/**
 * RDS: the DB instances of the ENI's VPC whose subnet group holds the ENI's subnet; narrowed to those
 * with exactly the ENI's security groups, then to those whose (primary or secondary) AZ is the ENI's,
 * then to the one whose endpoint resolves to the ENI's address when resolutions are given. One left:
 * that DB. Several: the first by identifier, all recorded. None: an unidentified rds:db owner (the ENI).
 */
function matchDb(e: EniFacts, idx: ClassifyIndex): Owner {
  let c = idx.dbs.filter((d) => (!d.vpc_id || d.vpc_id === e.vpc_id) && hasSubnet(d, e.subnet_id));
  const narrow = (f: (d: Candidate) => boolean): void => {
    const n = c.filter(f);
    if (n.length) c = n;
  };
  narrow((d) => sameSet(d.attrs.security_group_ids, e.security_group_ids));
  narrow((d) => !!e.az && (d.attrs.az === e.az || d.attrs.secondary_az === e.az));
  if (idx.resolved && e.addrs?.length) {
    narrow((d) => (idx.resolved!.get(String(d.attrs.endpoint ?? '')) ?? []).some((a) => e.addrs!.includes(a)));
  }
  c.sort((a, b) => ((a.resource_id ?? '') < (b.resource_id ?? '') ? -1 : 1));
  return own(
    c[0],
    { arn: eniArn(e), type: 'rds:db', kind: 'rds', rule: c.length ? 'rds-subnet-sg-az' : 'rds-unmatched' },
    c.length > 1 ? c.map((d) => d.arn) : [],
  );
}

function matchProxy(e: EniFacts, idx: ClassifyIndex): Owner {
  const named = /^Network interface for DBProxy\s*:?\s*(\S+)?/.exec(e.description ?? '')?.[1];
  const toProxy = (c: Candidate): Candidate =>
    c.type === 'rds:db-proxy-endpoint' ? known(idx, 'rds:db-proxy', String(c.attrs.proxy_name ?? '')) ?? c : c;
  let c = named ? idx.proxies.filter((p) => p.resource_id === named) : [];
  if (!c.length) {
    c = idx.proxies.filter((p) => (!p.vpc_id || p.vpc_id === e.vpc_id) && hasSubnet(p, e.subnet_id));
    const sg = c.filter((p) => sameSet(p.attrs.security_group_ids, e.security_group_ids));
    if (sg.length) c = sg;
  }
  const arns = [...new Set(c.map((x) => toProxy(x).arn))].sort();
  const pick = arns.length ? idx.byArn.get(arns[0]) : undefined;
  return own(pick, { arn: eniArn(e), type: 'rds:db-proxy', kind: 'rds-proxy', rule: pick ? 'rds-proxy-subnet-sg' : 'rds-proxy-unmatched' }, arns.length > 1 ? arns : []);
}

/**
 * The owner of an ENI during a time it was attached to `instanceId` (or not attached, when undefined).
 */
export function classifyInterface(e: EniFacts, instanceId: string | undefined, idx: ClassifyIndex): Owner {
  const d = e.description ?? '';
  const it = e.interface_type ?? '';
  const k8s = /^aws-K8S-(i-[0-9a-f]+)$/i.exec(d);
  if (instanceId || k8s) {
    const id = instanceId ?? k8s![1];
    const c = known(idx, 'ec2:instance', id);
    const eks = !!k8s || idx.eksInstances.has(id);
    const o = own(c, { arn: ec2(e, 'instance', id), type: 'ec2:instance', kind: 'instance', resource_id: id, rule: 'attachment' });
    return { ...o, kind: eks ? 'eks-node' : 'instance', rule: k8s ? 'eks-cni-description' : 'attachment' };
  }
  if (/^aws-k8s-branch-eni/i.test(d) || it === 'branch') {
    return { arn: eniArn(e), type: 'eks:pod', kind: 'eks-pod', resource_id: e.eni_id, rule: 'eks-branch-eni', candidates: [] };
  }
  const elb = /^ELB (app|net|gwy)\/([^/]+)\/([0-9a-f]+)$/.exec(d);
  if (elb) {
    const suffix = `${elb[1]}/${elb[2]}/${elb[3]}`;
    const kind = elb[1] === 'app' ? 'alb' : elb[1] === 'net' ? 'nlb' : 'gwlb';
    return own(known(idx, 'elasticloadbalancing:loadbalancer', suffix), {
      arn: `arn:aws:elasticloadbalancing:${e.region ?? ''}:${e.account_id ?? ''}:loadbalancer/${suffix}`,
      type: 'elasticloadbalancing:loadbalancer', kind, resource_id: suffix, name: elb[2], rule: 'elb-description',
    });
  }
  const clb = /^ELB ([^/\s]+)$/.exec(d);
  if (clb) {
    return own(known(idx, 'elasticloadbalancing:loadbalancer', clb[1]), {
      arn: `arn:aws:elasticloadbalancing:${e.region ?? ''}:${e.account_id ?? ''}:loadbalancer/${clb[1]}`,
      type: 'elasticloadbalancing:loadbalancer', kind: 'clb', resource_id: clb[1], name: clb[1], rule: 'elb-description',
    });
  }
  const nat = /^Interface for NAT Gateway (nat-[0-9a-f]+)/.exec(d);
  if (nat || it === 'nat_gateway') {
    const id = nat?.[1];
    return own(id ? known(idx, 'ec2:natgateway', id) : undefined, {
      arn: id ? ec2(e, 'natgateway', id) : eniArn(e), type: 'ec2:natgateway', kind: 'natgateway', resource_id: id, rule: 'nat-description',
    });
  }
  const vpce = /^VPC Endpoint Interface:?\s*(vpce-[0-9a-f]+)/.exec(d);
  if (vpce || it === 'vpc_endpoint' || it === 'gateway_load_balancer_endpoint') {
    const id = vpce?.[1];
    const c = id ? known(idx, 'ec2:vpc-endpoint', id) : undefined;
    const kind = it === 'gateway_load_balancer_endpoint' || c?.kind === 'gwlb-endpoint' ? 'gwlb-endpoint' : 'interface-endpoint';
    const o = own(c, { arn: id ? ec2(e, 'vpc-endpoint', id) : eniArn(e), type: 'ec2:vpc-endpoint', kind, resource_id: id, rule: 'vpce-description' });
    return { ...o, kind };
  }
  if (d.startsWith('AWS Lambda VPC ENI') || it === 'lambda' || e.instance_owner_id === 'aws-lambda') return matchLambda(e, idx);
  if (d.startsWith('Network interface for DBProxy')) return matchProxy(e, idx);
  if (d === 'RDSNetworkInterface' || e.requester_id === 'amazon-rds') return matchDb(e, idx);
  const cache = /^ElastiCache[ +](\S+)/.exec(d);
  if (cache) {
    return own(known(idx, 'elasticache:cluster', cache[1]), {
      arn: `arn:aws:elasticache:${e.region ?? ''}:${e.account_id ?? ''}:cluster:${cache[1]}`, type: 'elasticache:cluster',
      kind: 'elasticache', resource_id: cache[1], name: cache[1], rule: 'elasticache-description',
    });
  }
  const efs = /^EFS mount target for (fs-[0-9a-f]+)/.exec(d);
  if (efs) {
    return own(known(idx, 'efs:file-system', efs[1]), {
      arn: `arn:aws:elasticfilesystem:${e.region ?? ''}:${e.account_id ?? ''}:file-system/${efs[1]}`, type: 'efs:file-system',
      kind: 'efs', resource_id: efs[1], rule: 'efs-description',
    });
  }
  if (/^arn:aws[a-z-]*:ecs:[^:]*:\d*:attachment\//.test(d)) {
    const attachment = d.split('/').pop()!;
    const task = idx.ecsTasks.get(attachment) ?? idx.ecsTasks.get(e.eni_id);
    if (task) return own(task, { arn: task.arn, type: 'ecs:task', kind: 'ecs-task', rule: 'ecs-describe-tasks' });
    // Without DescribeTasks the attachment stands for the task (rebuild names it by the ENI's aws:ecs:serviceName tag).
    return { arn: d, type: 'ecs:task', kind: 'ecs-task', resource_id: attachment, rule: 'ecs-attachment-description', candidates: [] };
  }
  const tgw = /^Network Interface for Transit Gateway Attachment (tgw-attach-[0-9a-f]+)/.exec(d);
  if (tgw || it === 'transit_gateway') {
    const id = tgw?.[1];
    return own(id ? known(idx, 'ec2:transit-gateway-attachment', id) : undefined, {
      arn: id ? ec2(e, 'transit-gateway-attachment', id) : eniArn(e), type: 'ec2:transit-gateway-attachment', kind: 'tgw-attachment',
      resource_id: id, rule: 'tgw-description',
    });
  }
  return { arn: eniArn(e), type: 'ec2:network-interface', kind: 'unknown', resource_id: e.eni_id, rule: 'unclassified', candidates: [] };
}
