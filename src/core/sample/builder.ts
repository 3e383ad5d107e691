/**
 * Builds the pieces of the estate (VPCs, subnets, ENIs and the resources behind them) with
 * deterministic ids and time-aware address allocation (addresses are reused after release).
 */
import { createHash } from 'node:crypto';
import { DAY, FOREVER, type Eni, type Resource, type ResourceType, type Sg, type SgPeer, type SgRule, type Subnet, type Tags, type Vpc } from './model';
import { cidrBase, intToIpv4 } from './net';
import { Rng } from './rng';

export const AZ_IDS: Record<string, [string, string][]> = {
  'us-east-1': [['us-east-1a', 'use1-az1'], ['us-east-1b', 'use1-az2'], ['us-east-1c', 'use1-az4']],
  'eu-west-1': [['eu-west-1a', 'euw1-az1'], ['eu-west-1b', 'euw1-az2'], ['eu-west-1c', 'euw1-az3']],
};

/** First offset of the dynamic address pool in private subnets (short-lived ENIs). */
const POOL_FIRST = 100;
/** An address is only handed out again this long after its release. */
const REUSE_DELAY = 600;

interface PendingEni {
  subnet: Subnet;
  from: number;
  to: number;
  seq: number;
  make: (ip: string) => Eni;
}

export class Builder {
  readonly ids: Rng;
  readonly alloc: Rng;
  private readonly used = new Set<string>();
  readonly vpcs: Vpc[] = [];
  readonly sgs: Sg[] = [];
  readonly resources: Resource[] = [];
  readonly enis: Eni[] = [];
  private readonly pending: PendingEni[] = [];
  private readonly publicNext = new Map<string, number>();

  constructor(
    readonly seed: number,
    /** Epoch seconds of the first and after the last minute of traffic. */
    readonly start: number,
    readonly end: number,
    readonly ec2PublicBase: Record<string, string>,
    /** Size of each private subnet's dynamic pool: small, so that addresses are reused. */
    readonly poolSize = 24,
  ) {
    this.ids = new Rng(seed, 'ids');
    this.alloc = new Rng(seed, 'alloc');
  }

  /** A unique AWS-style id: `<prefix>-<hex>`. */
  id(prefix: string, len = 17): string {
    for (;;) {
      const id = `${prefix}-${this.ids.hex(len)}`;
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
  }

  hex(len: number): string {
    return this.ids.hex(len);
  }

  uuid(): string {
    return this.ids.uuid();
  }

  /** A creation time long before the window (outside CloudTrail's 90 days). */
  longAgo(): number {
    return this.start - (120 + this.ids.int(700)) * DAY - this.ids.int(DAY);
  }

  mac(): string {
    const h = this.ids.hex(10);
    return `0e:${h.slice(0, 2)}:${h.slice(2, 4)}:${h.slice(4, 6)}:${h.slice(6, 8)}:${h.slice(8, 10)}`;
  }

  /** The next EC2 public address of a region (from the estate's own EC2 range). */
  publicIp(region: string): string {
    const base = cidrBase(this.ec2PublicBase[region]);
    const next = this.publicNext.get(region) ?? 6;
    this.publicNext.set(region, next + 1);
    if (next > 62) throw new Error(`sample estate: out of EC2 public addresses in ${region}`);
    return intToIpv4(base + next);
  }

  vpc(opts: {
    key: string;
    name: string;
    account: string;
    region: string;
    cidr: string;
    ipv6Cidr?: string;
    tags: Tags;
  }): Vpc {
    const id = this.id('vpc');
    const vpc: Vpc = {
      key: opts.key,
      id,
      arn: `arn:aws:ec2:${opts.region}:${opts.account}:vpc/${id}`,
      name: opts.name,
      account: opts.account,
      region: opts.region,
      cidr: opts.cidr,
      ipv6Cidr: opts.ipv6Cidr,
      subnets: [],
      igwId: this.id('igw'),
      natBySubnet: new Map(),
      nats: [],
      gatewayEndpoints: new Map(),
      tags: { Name: opts.name, ...opts.tags },
      mainRouteTableId: this.id('rtb'),
    };
    const base = cidrBase(opts.cidr);
    const azs = AZ_IDS[opts.region];
    const publicRtb = this.id('rtb');
    for (const isPublic of [true, false]) {
      // Public subnets are /24s (10.x.0-2.0), private ones /20s (10.x.16.0, 10.x.32.0, 10.x.48.0).
      azs.forEach(([az, azId], i) => {
        const third = isPublic ? i : 16 * (i + 1);
        const sid = this.id('subnet');
        const ipv6 = opts.ipv6Cidr
          ? opts.ipv6Cidr.replace(/00::\/56$/, `0${isPublic ? i : 3 + i}::/64`)
          : undefined;
        vpc.subnets.push({
          id: sid,
          arn: `arn:aws:ec2:${opts.region}:${opts.account}:subnet/${sid}`,
          name: `${opts.name}-${isPublic ? 'public' : 'private'}-${az.slice(-1)}`,
          vpc,
          az,
          azId,
          cidr: `${intToIpv4(base + third * 256)}/${isPublic ? 24 : 20}`,
          size: isPublic ? 256 : 4096,
          base: base + third * 256,
          isPublic,
          ipv6Cidr: ipv6,
          nextStatic: 10,
          pool: new Map(),
          routeTableId: isPublic ? publicRtb : this.id('rtb'),
        });
      });
    }
    this.vpcs.push(vpc);
    return vpc;
  }

  sg(vpc: Vpc, name: string, description: string, tags: Tags = {}): Sg {
    const sg: Sg = { id: this.id('sg'), name, description, vpc, tags, rules: [] };
    this.sgs.push(sg);
    return sg;
  }

  /**
   * A rule of a group: inbound ('in') or outbound ('out'), TCP on a port or a range, or all traffic ('all'). Its id
   * comes from the group's and the rule's place, not from the random streams: rules added later change no other id.
   */
  allow(sg: Sg, direction: 'in' | 'out', ports: number | [number, number] | 'all', peer: SgPeer, description = '',
    when: { authorizedAt?: number; revokedAt?: number } = {}): SgRule {
    const [from, to] = ports === 'all' ? [-1, -1] : typeof ports === 'number' ? [ports, ports] : ports;
    const id = 'sgr-' + createHash('sha256').update(`${sg.id}/${sg.rules.length}`).digest('hex').slice(0, 17);
    const rule: SgRule = { id, egress: direction === 'out', protocol: ports === 'all' ? '-1' : 'tcp', from, to, peer, description, ...when };
    sg.rules.push(rule);
    return rule;
  }

  resource(r: {
    arn: string;
    type: ResourceType;
    id: string;
    name: string;
    vpc: Vpc | null;
    account?: string;
    region?: string;
    tags: Tags;
    from: number;
    to?: number;
    extra?: Record<string, unknown>;
  }): Resource {
    const res: Resource = {
      arn: r.arn,
      type: r.type,
      id: r.id,
      name: r.name,
      account: r.account ?? r.vpc!.account,
      region: r.region ?? r.vpc!.region,
      vpc: r.vpc,
      tagVersions: [{ from: r.from, tags: { ...r.tags } }],
      tagChanges: [],
      from: r.from,
      to: r.to ?? FOREVER,
      extra: r.extra ?? {},
    };
    this.resources.push(res);
    return res;
  }

  /** Records a tag change (CreateTags overwrites/adds, DeleteTags removes). */
  changeTags(res: Resource, time: number, event: 'CreateTags' | 'DeleteTags', tags: Record<string, string>, user: string): void {
    const last = res.tagVersions[res.tagVersions.length - 1];
    if (event === 'CreateTags') {
      // An edited value is removed, then set (as the console does), a second apart: CloudTrail's
      // CreateTags carries only the new value, the DeleteTags before it the old one.
      const replaced = Object.fromEntries(Object.keys(tags).filter((k) => k in last.tags && last.tags[k] !== tags[k]).map((k) => [k, last.tags[k]]));
      if (Object.keys(replaced).length) this.changeTags(res, time - 1, 'DeleteTags', replaced, user);
      return this.applyTags(res, time, event, tags, user);
    }
    this.applyTags(res, time, event, tags, user);
  }

  private applyTags(res: Resource, time: number, event: 'CreateTags' | 'DeleteTags', tags: Record<string, string>, user: string): void {
    const last = res.tagVersions[res.tagVersions.length - 1];
    const next: Tags = { ...last.tags };
    for (const [k, v] of Object.entries(tags)) {
      if (event === 'CreateTags') next[k] = v;
      else delete next[k];
    }
    res.tagVersions.push({ from: time, tags: next });
    res.tagChanges.push({ time, event, tags, user });
  }

  staticIp(subnet: Subnet): string {
    const off = subnet.nextStatic++;
    if (!subnet.isPublic && off >= POOL_FIRST && off < POOL_FIRST + this.poolSize) {
      subnet.nextStatic = POOL_FIRST + this.poolSize;
      return this.staticIp(subnet);
    }
    if (off > subnet.size - 6) throw new Error(`sample estate: subnet ${subnet.name} is full`);
    return intToIpv4(subnet.base + off);
  }

  eni(e: Omit<Eni, 'id' | 'mac' | 'secondaryIps' | 'ipv6' | 'deviceIndex' | 'logAccount' | 'creator'> &
    Partial<Pick<Eni, 'secondaryIps' | 'ipv6' | 'deviceIndex' | 'logAccount' | 'creator' | 'id'>>): Eni {
    const eni: Eni = {
      ...e,
      id: e.id ?? this.id('eni'),
      mac: this.mac(),
      secondaryIps: e.secondaryIps ?? [],
      ipv6: e.ipv6 ?? [],
      deviceIndex: e.deviceIndex ?? (e.instanceId ? 0 : 1),
      logAccount: e.logAccount ?? e.vpc.account,
      creator: e.creator ?? 'console',
    };
    this.enis.push(eni);
    return eni;
  }

  /**
   * Asks for an ENI whose address comes from the subnet's dynamic pool during [from, to). The ENI is
   * made when the pools are allocated, in time order, so that released addresses are reused.
   */
  later(subnet: Subnet, from: number, to: number, make: (ip: string) => Eni): void {
    this.pending.push({ subnet, from, to, seq: this.pending.length, make });
  }

  /** Allocates the pending ENIs in time order: usually the lowest free address, sometimes another. */
  allocatePools(): void {
    this.pending.sort((a, b) => a.from - b.from || a.seq - b.seq);
    for (const p of this.pending) {
      const free: number[] = [];
      for (let off = POOL_FIRST; off < POOL_FIRST + this.poolSize; off++) {
        const until = p.subnet.pool.get(off);
        if (until === undefined || until + REUSE_DELAY <= p.from) free.push(off);
      }
      if (free.length === 0) throw new Error(`sample estate: address pool of ${p.subnet.name} exhausted`);
      const off = this.alloc.chance(0.75) ? free[0] : this.alloc.pick(free);
      p.subnet.pool.set(off, p.to);
      p.make(intToIpv4(p.subnet.base + off));
    }
    this.pending.length = 0;
  }
}
