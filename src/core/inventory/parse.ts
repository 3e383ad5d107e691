/**
 * One handler per AWS response kind: turns the response into rows of the inventory and observation
 * tables (set-based: rows are gathered in arrays and inserted in bulk). Handlers run inside the
 * caller's per-file transaction; they replace what an earlier dump said about the same resources.
 */
import type { Db } from '../store/db';
import { parseCidr, tryCanonicalIp, expandCidr } from './ip';
import { eventDetail } from './events';
import { rowsOfIpPermissions, rowsOfRuleEvents, rowsOfSecurityGroupRules, SG_RULE_COLS } from './sgRules';
import {
  arr, bool, insertRows, OPEN_END, UNKNOWN_START, isObj, nameTag, parseArn, regionFromAz, str, strs, tagsOf, ts,
  type ColType, type Obj,
} from './util';
import { plural } from '../format';

export interface DocContext {
  db: Db;
  /** The file (or collector-given) name, for messages. */
  name: string;
  accountId?: string;
  region?: string;
  warnings: string[];
  seq: number;
  /**
   * Items whose account or region nothing told, added up here instead of warned about by each handler call
   * when one response is loaded in batches (its warnings then come once, from scopeWarnings, at its end).
   */
  unknownScope?: UnknownScope;
}

export interface UnknownScope {
  missingAccount: number;
  missingRegion: number;
}

export class InventoryInputError extends Error {}

// ------------------------------------------------------------------ account / region / ARNs

class Scope {
  missingAccount = 0;
  missingRegion = 0;
  constructor(readonly ctx: DocContext) {}
  account(...cands: unknown[]): string | undefined {
    for (const c of cands) {
      const s = str(c);
      if (s && /^\d{12}$/.test(s)) return s;
    }
    if (this.ctx.accountId) return this.ctx.accountId;
    this.missingAccount++;
    return undefined;
  }
  region(...cands: unknown[]): string | undefined {
    for (const c of cands) {
      const s = str(c);
      if (s) return s;
    }
    if (this.ctx.region) return this.ctx.region;
    this.missingRegion++;
    return undefined;
  }
  finish(): void {
    const sum = this.ctx.unknownScope;
    if (sum) {
      sum.missingAccount += this.missingAccount;
      sum.missingRegion += this.missingRegion;
    } else this.ctx.warnings.push(...scopeWarnings(this.ctx.name, this));
  }
}

/** The warnings for items whose account or region is unknown. */
export function scopeWarnings(name: string, { missingAccount, missingRegion }: UnknownScope): string[] {
  const out: string[] = [];
  if (missingAccount) {
    out.push(`${name}: account unknown for ${plural(missingAccount, 'item')}: the content carries no OwnerId/ARN and the path has no 12-digit account folder`);
  }
  if (missingRegion) {
    out.push(`${name}: region unknown for ${plural(missingRegion, 'item')}: the content carries no AvailabilityZone/ARN and the path has no region folder`);
  }
  return out;
}

export function ec2Arn(region: string | undefined, account: string | undefined, type: string, id: string): string {
  return `arn:aws:ec2:${region ?? ''}:${account ?? ''}:${type}/${id}`;
}

/** The ARN Flowlens uses for an EC2 resource id (i-, eni-, vpc-, subnet-, sg-, nat-, vpce-, …). */
export function arnForResourceId(id: string, region: string | undefined, account: string | undefined): string | undefined {
  const types: [string, string][] = [
    ['i-', 'instance'], ['eni-', 'network-interface'], ['vpc-', 'vpc'], ['subnet-', 'subnet'], ['sg-', 'security-group'],
    ['nat-', 'natgateway'], ['vpce-', 'vpc-endpoint'], ['tgw-attach-', 'transit-gateway-attachment'], ['tgw-', 'transit-gateway'],
    ['igw-', 'internet-gateway'], ['pcx-', 'vpc-peering-connection'], ['pl-', 'prefix-list'], ['rtb-', 'route-table'],
  ];
  for (const [p, t] of types) if (id.startsWith(p)) return ec2Arn(region, account, t, id);
  return undefined;
}

// ------------------------------------------------------------------ row writers

const RESOURCE_COLS: [string, ColType][] = [
  ['arn', 'VARCHAR'], ['resource_id', 'VARCHAR'], ['type', 'VARCHAR'], ['kind', 'VARCHAR'], ['name', 'VARCHAR'],
  ['account_id', 'VARCHAR'], ['region', 'VARCHAR'], ['vpc_id', 'VARCHAR'], ['attrs', 'JSON'],
  ['valid_from', 'TIMESTAMP'], ['valid_to', 'TIMESTAMP'],
];

export interface ResourceRow extends Obj {
  arn: string;
  resource_id?: string;
  type: string;
  kind?: string;
  name?: string;
  account_id?: string;
  region?: string;
  vpc_id?: string;
  attrs?: Obj;
  valid_from?: string;
  valid_to?: string;
}

export async function deleteWhereIn(db: Db, table: string, col: string, values: string[], extra = ''): Promise<void> {
  if (!values.length) return;
  await db.exec(
    `DELETE FROM ${table} WHERE "${col}" IN (SELECT unnest(from_json($ids::JSON, '["VARCHAR"]'))) ${extra}`,
    { ids: JSON.stringify([...new Set(values)]) },
  );
}

async function upsert(db: Db, table: string, key: string, cols: [string, ColType][], rows: Obj[]): Promise<void> {
  // Last one wins inside a document too (pages may repeat an item).
  const byKey = new Map<string, Obj>();
  for (const r of rows) byKey.set(String(r[key]), r);
  const uniq = [...byKey.values()];
  await deleteWhereIn(db, table, key, [...byKey.keys()]);
  await insertRows(db, table, cols, uniq);
}

export async function upsertResources(db: Db, rows: ResourceRow[]): Promise<void> {
  const withDefaults = rows.map((r) => ({ ...r, valid_from: r.valid_from ?? UNKNOWN_START, valid_to: r.valid_to ?? OPEN_END }));
  await upsert(db, 'inv_resources', 'arn', RESOURCE_COLS, withDefaults);
}

interface TagRow extends Obj {
  arn: string;
  key: string;
  value: string;
}

/** Current tags of resources as one snapshot source reported them: replaces that source's tags of each arn. */
async function putTags(ctx: DocContext, source: string, byArn: Map<string, Record<string, string>>): Promise<void> {
  if (!byArn.size) return;
  const rows: TagRow[] = [];
  for (const [arn, tags] of byArn) for (const [key, value] of Object.entries(tags)) rows.push({ arn, key, value, source, seq: ctx.seq });
  await deleteWhereIn(ctx.db, 'inv_obs_tags', 'arn', [...byArn.keys()], `AND source = ${"'" + source.replace(/'/g, "''") + "'"}`);
  await insertRows(ctx.db, 'inv_obs_tags', [['arn', 'VARCHAR'], ['key', 'VARCHAR'], ['value', 'VARCHAR'], ['source', 'VARCHAR'], ['seq', 'BIGINT']], rows);
}

// ------------------------------------------------------------------ ENI observations

export interface EniAddr {
  addr: string;
  family: 4 | 6;
  kind: 'primary' | 'secondary' | 'prefix' | 'ipv6' | 'public';
}

export interface EniObs extends Obj {
  eni_id: string;
  rank: number;
  seq: number;
  account_id?: string;
  region?: string;
  vpc_id?: string;
  subnet_id?: string;
  az?: string;
  az_id?: string;
  interface_type?: string;
  description?: string;
  requester_id?: string;
  requester_managed?: boolean;
  status?: string;
  instance_id?: string;
  instance_owner_id?: string;
  attachment_id?: string;
  attach_time?: string;
  delete_on_termination?: boolean;
  security_group_ids?: string[];
  addrs: EniAddr[];
}

const ENI_COLS: [string, ColType][] = [
  ['eni_id', 'VARCHAR'], ['rank', 'INTEGER'], ['seq', 'BIGINT'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'],
  ['vpc_id', 'VARCHAR'], ['subnet_id', 'VARCHAR'], ['az', 'VARCHAR'], ['az_id', 'VARCHAR'], ['interface_type', 'VARCHAR'],
  ['description', 'VARCHAR'], ['requester_id', 'VARCHAR'], ['requester_managed', 'BOOLEAN'], ['status', 'VARCHAR'],
  ['instance_id', 'VARCHAR'], ['instance_owner_id', 'VARCHAR'], ['attachment_id', 'VARCHAR'], ['attach_time', 'TIMESTAMP'],
  ['delete_on_termination', 'BOOLEAN'], ['security_group_ids', 'VARCHAR[]'], ['addrs', 'JSON'],
];

/**
 * Every address of an ENI in either the API shape (PascalCase) or CloudTrail's (camelCase, item sets):
 * primary/secondary private IPv4, delegated IPv4 prefixes expanded to their addresses, IPv6, public IPs.
 */
export function eniAddresses(ni: Obj, where: string, warnings: string[]): EniAddr[] {
  const out: EniAddr[] = [];
  const seen = new Set<string>();
  const add = (raw: unknown, kind: EniAddr['kind']): void => {
    const a = tryCanonicalIp(str(raw));
    if (!a) {
      if (raw !== undefined && raw !== null && raw !== '') warnings.push(`${where}: not an IP address: ${JSON.stringify(raw)}`);
      return;
    }
    const k = `${kind === 'public' ? 'p' : 'x'}|${a}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push({ addr: a, family: a.includes(':') ? 6 : 4, kind });
  };
  const privs = arr(ni.PrivateIpAddresses ?? ni.privateIpAddressesSet);
  const primary = str(ni.PrivateIpAddress ?? ni.privateIpAddress);
  if (primary) add(primary, 'primary');
  for (const p of privs) {
    const isPrimary = bool(p.Primary ?? p.primary) ?? false;
    add(p.PrivateIpAddress ?? p.privateIpAddress, isPrimary ? 'primary' : 'secondary');
  }
  for (const p of privs) {
    const assoc = p.Association ?? p.association;
    if (isObj(assoc)) add(assoc.PublicIp ?? assoc.publicIp, 'public');
  }
  const assoc = ni.Association ?? ni.association;
  if (isObj(assoc)) add(assoc.PublicIp ?? assoc.publicIp, 'public');
  for (const p of arr(ni.Ipv4Prefixes ?? ni.ipv4PrefixSet)) {
    const cidr = str(p.Ipv4Prefix ?? p.ipv4Prefix);
    if (!cidr) continue;
    try {
      for (const a of expandCidr(cidr, 256)) add(a, 'prefix');
    } catch (e) {
      warnings.push(`${where}: IPv4 prefix ${cidr}: ${(e as Error).message}`);
    }
  }
  for (const p of arr(ni.Ipv6Addresses ?? ni.ipv6AddressesSet)) add(p.Ipv6Address ?? p.ipv6Address, 'ipv6');
  return out;
}

function eniFromApi(ni: Obj, rank: number, ctx: DocContext, scope: Scope, extra: Partial<EniObs> = {}): EniObs | undefined {
  const id = str(ni.NetworkInterfaceId);
  if (!id) return undefined;
  const att = isObj(ni.Attachment) ? ni.Attachment : {};
  const az = str(ni.AvailabilityZone) ?? extra.az;
  return {
    eni_id: id,
    rank,
    seq: ctx.seq,
    account_id: extra.account_id ?? scope.account(ni.OwnerId),
    region: extra.region ?? scope.region(regionFromAz(az)),
    vpc_id: str(ni.VpcId) ?? extra.vpc_id,
    subnet_id: str(ni.SubnetId) ?? extra.subnet_id,
    az,
    az_id: str(ni.AvailabilityZoneId),
    interface_type: str(ni.InterfaceType) ?? extra.interface_type,
    description: str(ni.Description) ?? extra.description,
    requester_id: str(ni.RequesterId),
    requester_managed: bool(ni.RequesterManaged),
    status: str(ni.Status),
    instance_id: str(att.InstanceId) ?? extra.instance_id,
    instance_owner_id: str(att.InstanceOwnerId),
    attachment_id: str(att.AttachmentId),
    attach_time: ts(att.AttachTime),
    delete_on_termination: bool(att.DeleteOnTermination),
    security_group_ids: arr(ni.Groups).map((g) => str(g.GroupId)).filter((x): x is string => !!x).sort(),
    addrs: eniAddresses(ni, `${ctx.name}: ${id}`, ctx.warnings),
  };
}

/** Writes ENI observations; a lower-rank source never replaces a higher-rank one. */
async function putEnis(ctx: DocContext, rows: EniObs[]): Promise<void> {
  if (!rows.length) return;
  const existing = await ctx.db.all<{ eni_id: string; rank: number }>(
    `SELECT eni_id, rank FROM inv_obs_enis WHERE eni_id IN (SELECT unnest(from_json($ids::JSON, '["VARCHAR"]')))`,
    { ids: JSON.stringify(rows.map((r) => r.eni_id)) },
  );
  const rankOf = new Map(existing.map((r) => [r.eni_id, r.rank]));
  const keep = rows.filter((r) => (rankOf.get(r.eni_id) ?? -1) <= r.rank);
  await upsert(ctx.db, 'inv_obs_enis', 'eni_id', ENI_COLS, keep);
}

// ------------------------------------------------------------------ handlers

/** A parser: one response (a page) into the inventory's rows; returns the items it read. */
export type Handler = (ctx: DocContext, doc: Obj) => Promise<number>;

const enis: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: EniObs[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const ni of arr(doc.NetworkInterfaces)) {
    const row = eniFromApi(ni, 3, ctx, scope);
    if (!row) continue;
    rows.push(row);
    const t = tagsOf(ni.TagSet ?? ni.Tags);
    tags.set(ec2Arn(row.region, row.account_id, 'network-interface', row.eni_id), t);
  }
  await putEnis(ctx, rows);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return rows.length;
};

const TERMINATED_AT = /\((\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) GMT\)/;

const instances: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  const eniRows: EniObs[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const r of arr(doc.Reservations)) {
    for (const i of arr(r.Instances)) {
      const id = str(i.InstanceId);
      if (!id) continue;
      const placement = isObj(i.Placement) ? i.Placement : {};
      const az = str(placement.AvailabilityZone);
      const account = scope.account(r.OwnerId, i.OwnerId);
      const region = scope.region(regionFromAz(az));
      const arn = ec2Arn(region, account, 'instance', id);
      const t = tagsOf(i.Tags);
      tags.set(arn, t);
      const state = isObj(i.State) ? str(i.State.Name) : undefined;
      const ended = state === 'terminated' ? TERMINATED_AT.exec(str(i.StateTransitionReason) ?? '') : null;
      res.push({
        arn, resource_id: id, type: 'ec2:instance', kind: 'instance', name: nameTag(t), account_id: account, region,
        vpc_id: str(i.VpcId),
        attrs: {
          instance_type: str(i.InstanceType), state, az, subnet_id: str(i.SubnetId), private_ip: str(i.PrivateIpAddress),
          public_ip: str(i.PublicIpAddress), image_id: str(i.ImageId), platform: str(i.PlatformDetails ?? i.Platform),
          iam_instance_profile: isObj(i.IamInstanceProfile) ? str(i.IamInstanceProfile.Arn) : undefined,
        },
        valid_from: ts(i.LaunchTime),
        valid_to: ended ? ts(ended[1]) : undefined,
      });
      for (const ni of arr(i.NetworkInterfaces)) {
        const row = eniFromApi(ni, 2, ctx, scope, {
          account_id: str(ni.OwnerId) ?? account, region, az, instance_id: id, vpc_id: str(i.VpcId), subnet_id: str(i.SubnetId),
        });
        if (row) {
          row.instance_id = id;
          eniRows.push(row);
        }
      }
    }
  }
  await upsertResources(ctx.db, res);
  await putEnis(ctx, eniRows);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return res.length;
};

const subnets: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: Obj[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const s of arr(doc.Subnets)) {
    const id = str(s.SubnetId);
    if (!id) continue;
    const arnParts = parseArn(str(s.SubnetArn));
    const account = scope.account(s.OwnerId, arnParts?.account);
    const region = scope.region(arnParts?.region, regionFromAz(str(s.AvailabilityZone)));
    const t = tagsOf(s.Tags);
    tags.set(str(s.SubnetArn) ?? ec2Arn(region, account, 'subnet', id), t);
    rows.push({
      subnet_id: id, vpc_id: str(s.VpcId), account_id: account, region, az: str(s.AvailabilityZone), az_id: str(s.AvailabilityZoneId),
      cidr: str(s.CidrBlock),
      ipv6_cidrs: arr(s.Ipv6CidrBlockAssociationSet).map((a) => str(a.Ipv6CidrBlock)).filter((x): x is string => !!x),
      map_public_ip: bool(s.MapPublicIpOnLaunch), name: nameTag(t),
    });
  }
  await upsert(ctx.db, 'inv_subnets', 'subnet_id', [
    ['subnet_id', 'VARCHAR'], ['vpc_id', 'VARCHAR'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'], ['az', 'VARCHAR'],
    ['az_id', 'VARCHAR'], ['cidr', 'VARCHAR'], ['ipv6_cidrs', 'VARCHAR[]'], ['map_public_ip', 'BOOLEAN'], ['name', 'VARCHAR'],
  ], rows);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return rows.length;
};

const vpcs: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: Obj[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const v of arr(doc.Vpcs)) {
    const id = str(v.VpcId);
    if (!id) continue;
    const account = scope.account(v.OwnerId);
    const region = scope.region();
    const t = tagsOf(v.Tags);
    tags.set(ec2Arn(region, account, 'vpc', id), t);
    const cidrs = arr(v.CidrBlockAssociationSet)
      .filter((a) => !isObj(a.CidrBlockState) || ['associated', 'associating'].includes(String(a.CidrBlockState.State)))
      .map((a) => str(a.CidrBlock))
      .filter((x): x is string => !!x);
    if (!cidrs.length && str(v.CidrBlock)) cidrs.push(String(v.CidrBlock));
    rows.push({
      vpc_id: id, account_id: account, region, cidr_blocks: cidrs,
      ipv6_cidr_blocks: arr(v.Ipv6CidrBlockAssociationSet).map((a) => str(a.Ipv6CidrBlock)).filter((x): x is string => !!x),
      is_default: bool(v.IsDefault), name: nameTag(t),
    });
  }
  await upsert(ctx.db, 'inv_vpcs', 'vpc_id', [
    ['vpc_id', 'VARCHAR'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'], ['cidr_blocks', 'VARCHAR[]'],
    ['ipv6_cidr_blocks', 'VARCHAR[]'], ['is_default', 'BOOLEAN'], ['name', 'VARCHAR'],
  ], rows);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return rows.length;
};

const securityGroups: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: Obj[] = [];
  const rules: Obj[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const g of arr(doc.SecurityGroups)) {
    const id = str(g.GroupId);
    if (!id) continue;
    const arnParts = parseArn(str(g.SecurityGroupArn));
    const account = scope.account(g.OwnerId, arnParts?.account);
    const region = scope.region(arnParts?.region);
    tags.set(str(g.SecurityGroupArn) ?? ec2Arn(region, account, 'security-group', id), tagsOf(g.Tags));
    rows.push({ group_id: id, group_name: str(g.GroupName), vpc_id: str(g.VpcId), account_id: account, region, description: str(g.Description) });
    const where = `${ctx.name}: ${id}`;
    rules.push(...rowsOfIpPermissions(id, g.IpPermissions, false, where, ctx.warnings, account, region),
      ...rowsOfIpPermissions(id, g.IpPermissionsEgress, true, where, ctx.warnings, account, region));
  }
  await upsert(ctx.db, 'inv_security_groups', 'group_id', [
    ['group_id', 'VARCHAR'], ['group_name', 'VARCHAR'], ['vpc_id', 'VARCHAR'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'], ['description', 'VARCHAR'],
  ], rows);
  // the groups' rules as this answer lists them replace what an earlier one listed (DescribeSecurityGroupRules' stay)
  await deleteWhereIn(ctx.db, 'inv_obs_sg_rules', 'group_id', rows.map((r) => String(r.group_id)), `AND source = 'groups'`);
  await insertRows(ctx.db, 'inv_obs_sg_rules', SG_RULE_COLS, rules);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return rows.length;
};

/** DescribeSecurityGroupRules: every rule of the groups it lists replaces what an earlier answer said of them. */
const securityGroupRules: Handler = async (ctx, doc) => {
  const items = arr(doc.SecurityGroupRules);
  const rows = rowsOfSecurityGroupRules(items, ctx.name, ctx.warnings, ctx.accountId, ctx.region);
  await deleteWhereIn(ctx.db, 'inv_obs_sg_rules', 'group_id', items.map((r) => str(r.GroupId)).filter((g): g is string => !!g), `AND source = 'rules'`);
  await insertRows(ctx.db, 'inv_obs_sg_rules', SG_RULE_COLS, rows);
  return rows.length;
};

const GATEWAY_COLS: [string, ColType][] = [
  ['gateway_id', 'VARCHAR'], ['kind', 'VARCHAR'], ['arn', 'VARCHAR'], ['vpc_id', 'VARCHAR'], ['account_id', 'VARCHAR'],
  ['region', 'VARCHAR'], ['subnet_id', 'VARCHAR'], ['az', 'VARCHAR'], ['connectivity', 'VARCHAR'], ['public_ips', 'VARCHAR[]'],
  ['private_ips', 'VARCHAR[]'], ['eni_ids', 'VARCHAR[]'],
];

const natGateways: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const gws: Obj[] = [];
  const res: ResourceRow[] = [];
  const eniRows = new Map<string, EniObs>();
  const tags = new Map<string, Record<string, string>>();
  for (const n of arr(doc.NatGateways)) {
    const id = str(n.NatGatewayId);
    if (!id) continue;
    const account = scope.account(n.OwnerId);
    const region = scope.region();
    const arn = ec2Arn(region, account, 'natgateway', id);
    const t = tagsOf(n.Tags);
    tags.set(arn, t);
    const state = str(n.State);
    const addrs = arr(n.NatGatewayAddresses);
    gws.push({
      gateway_id: id, kind: 'nat-gateway', arn, vpc_id: str(n.VpcId), account_id: account, region, subnet_id: str(n.SubnetId),
      connectivity: str(n.ConnectivityType) ?? 'public',
      public_ips: addrs.map((a) => tryCanonicalIp(str(a.PublicIp))).filter((x): x is string => !!x),
      private_ips: addrs.map((a) => tryCanonicalIp(str(a.PrivateIp))).filter((x): x is string => !!x),
      eni_ids: [...new Set(addrs.map((a) => str(a.NetworkInterfaceId)).filter((x): x is string => !!x))],
    });
    res.push({
      arn, resource_id: id, type: 'ec2:natgateway', kind: 'natgateway', name: nameTag(t), account_id: account, region,
      vpc_id: str(n.VpcId), attrs: { state, connectivity: str(n.ConnectivityType) ?? 'public', subnet_id: str(n.SubnetId) },
      valid_from: ts(n.CreateTime), valid_to: state === 'deleted' ? ts(n.DeleteTime) : undefined,
    });
    if (state === 'deleted' || state === 'failed') continue;
    // The NAT's own ENI, for estates dumped without DescribeNetworkInterfaces (lowest rank).
    for (const a of addrs) {
      const eniId = str(a.NetworkInterfaceId);
      if (!eniId) continue;
      const e = eniRows.get(eniId) ?? {
        eni_id: eniId, rank: 1, seq: ctx.seq, account_id: account, region, vpc_id: str(n.VpcId), subnet_id: str(n.SubnetId),
        interface_type: 'nat_gateway', description: `Interface for NAT Gateway ${id}`, requester_managed: true, addrs: [],
      };
      const priv = tryCanonicalIp(str(a.PrivateIp));
      const pub = tryCanonicalIp(str(a.PublicIp));
      const primary = a.IsPrimary === undefined ? !e.addrs.some((x) => x.kind === 'primary') : a.IsPrimary === true;
      if (priv) e.addrs.push({ addr: priv, family: 4, kind: primary ? 'primary' : 'secondary' });
      if (pub) e.addrs.push({ addr: pub, family: 4, kind: 'public' });
      eniRows.set(eniId, e);
    }
  }
  await upsert(ctx.db, 'inv_gateways', 'gateway_id', GATEWAY_COLS, gws);
  await upsertResources(ctx.db, res);
  await putEnis(ctx, [...eniRows.values()]);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return gws.length;
};

const internetGateways: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const gws: Obj[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const g of arr(doc.InternetGateways)) {
    const id = str(g.InternetGatewayId);
    if (!id) continue;
    const account = scope.account(g.OwnerId);
    const region = scope.region();
    const arn = ec2Arn(region, account, 'internet-gateway', id);
    tags.set(arn, tagsOf(g.Tags));
    const att = arr(g.Attachments).find((a) => ['available', 'attached', undefined].includes(str(a.State)));
    gws.push({ gateway_id: id, kind: 'internet-gateway', arn, vpc_id: att ? str(att.VpcId) : undefined, account_id: account, region });
  }
  await upsert(ctx.db, 'inv_gateways', 'gateway_id', GATEWAY_COLS, gws);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return gws.length;
};

/** s3 from com.amazonaws.us-east-1.s3; ecr.dkr from com.amazonaws.us-east-1.ecr.dkr; undefined for partner services. */
export function awsServiceOf(serviceName: string | undefined): { service?: string; region?: string } {
  const m = /^(?:aws\.sagemaker\.|com\.amazonaws\.)([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})\.(.+)$/.exec(serviceName ?? '');
  return m ? { region: m[1], service: m[2] } : {};
}

const vpcEndpoints: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: Obj[] = [];
  const res: ResourceRow[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const e of arr(doc.VpcEndpoints)) {
    const id = str(e.VpcEndpointId);
    if (!id) continue;
    const svc = awsServiceOf(str(e.ServiceName));
    const account = scope.account(e.OwnerId);
    const region = scope.region(svc.region);
    const arn = ec2Arn(region, account, 'vpc-endpoint', id);
    const t = tagsOf(e.Tags);
    tags.set(arn, t);
    const type = str(e.VpcEndpointType);
    const kind = type === 'Gateway' ? 'gateway-endpoint' : type === 'GatewayLoadBalancer' ? 'gwlb-endpoint' : 'interface-endpoint';
    rows.push({
      endpoint_id: id, arn, vpc_id: str(e.VpcId), account_id: account, region, endpoint_type: type,
      service_name: str(e.ServiceName), aws_service: svc.service, route_table_ids: strs(e.RouteTableIds),
      subnet_ids: strs(e.SubnetIds), eni_ids: strs(e.NetworkInterfaceIds),
    });
    res.push({
      arn, resource_id: id, type: 'ec2:vpc-endpoint', kind, name: nameTag(t), account_id: account, region, vpc_id: str(e.VpcId),
      attrs: { service_name: str(e.ServiceName), endpoint_type: type, state: str(e.State), aws_service: svc.service },
      valid_from: ts(e.CreationTimestamp),
    });
  }
  await upsert(ctx.db, 'inv_vpc_endpoints', 'endpoint_id', [
    ['endpoint_id', 'VARCHAR'], ['arn', 'VARCHAR'], ['vpc_id', 'VARCHAR'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'],
    ['endpoint_type', 'VARCHAR'], ['service_name', 'VARCHAR'], ['aws_service', 'VARCHAR'], ['route_table_ids', 'VARCHAR[]'],
    ['subnet_ids', 'VARCHAR[]'], ['eni_ids', 'VARCHAR[]'],
  ], rows);
  await upsertResources(ctx.db, res);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return rows.length;
};

const LINK_COLS: [string, ColType][] = [
  ['link_id', 'VARCHAR'], ['kind', 'VARCHAR'], ['vpc_id', 'VARCHAR'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'],
  ['peer_vpc_id', 'VARCHAR'], ['peer_account_id', 'VARCHAR'], ['peer_region', 'VARCHAR'], ['valid_from', 'TIMESTAMP'], ['valid_to', 'TIMESTAMP'],
];

const peering: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: Obj[] = [];
  const ids: string[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const p of arr(doc.VpcPeeringConnections)) {
    const id = str(p.VpcPeeringConnectionId);
    if (!id) continue;
    ids.push(id);
    const a = isObj(p.AccepterVpcInfo) ? p.AccepterVpcInfo : {};
    const r = isObj(p.RequesterVpcInfo) ? p.RequesterVpcInfo : {};
    const status = isObj(p.Status) ? str(p.Status.Code) : undefined;
    const ra = scope.account(r.OwnerId);
    const rr = scope.region(r.Region);
    const aa = str(a.OwnerId) ?? ra;
    const ar = str(a.Region) ?? rr;
    tags.set(ec2Arn(rr, ra, 'vpc-peering-connection', id), tagsOf(p.Tags));
    if (status && status !== 'active') continue; // only an active connection carries traffic
    const base = { link_id: id, kind: 'peering', valid_from: UNKNOWN_START, valid_to: OPEN_END };
    rows.push({ ...base, vpc_id: str(r.VpcId), account_id: ra, region: rr, peer_vpc_id: str(a.VpcId), peer_account_id: aa, peer_region: ar });
    rows.push({ ...base, vpc_id: str(a.VpcId), account_id: aa, region: ar, peer_vpc_id: str(r.VpcId), peer_account_id: ra, peer_region: rr });
  }
  await deleteWhereIn(ctx.db, 'inv_vpc_links', 'link_id', ids);
  await insertRows(ctx.db, 'inv_vpc_links', LINK_COLS, rows);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return ids.length;
};

const tgwAttachments: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  const gws: Obj[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const t of arr(doc.TransitGatewayAttachments)) {
    const id = str(t.TransitGatewayAttachmentId);
    if (!id) continue;
    // One attachment is seen from both the VPC's and the transit gateway's account: its ARN is the
    // transit gateway owner's, so both dumps name the same resource.
    const account = scope.account(t.TransitGatewayOwnerId, t.ResourceOwnerId);
    const region = scope.region();
    const arn = ec2Arn(region, account, 'transit-gateway-attachment', id);
    const tg = tagsOf(t.Tags);
    tags.set(arn, tg);
    const rtype = str(t.ResourceType);
    const tgw = str(t.TransitGatewayId);
    res.push({
      arn, resource_id: id, type: 'ec2:transit-gateway-attachment', kind: 'tgw-attachment', name: nameTag(tg),
      account_id: rtype === 'vpc' ? str(t.ResourceOwnerId) ?? account : account,
      region, vpc_id: rtype === 'vpc' ? str(t.ResourceId) : undefined,
      attrs: {
        transit_gateway_id: tgw, transit_gateway_owner_id: str(t.TransitGatewayOwnerId), resource_type: rtype,
        resource_id: str(t.ResourceId), resource_owner_id: str(t.ResourceOwnerId), state: str(t.State),
      },
      valid_from: ts(t.CreationTime),
    });
    if (tgw) {
      gws.push({
        gateway_id: tgw, kind: 'transit-gateway', account_id: account, region, arn: ec2Arn(region, account, 'transit-gateway', tgw),
      });
    }
  }
  await upsertResources(ctx.db, res);
  await upsert(ctx.db, 'inv_gateways', 'gateway_id', GATEWAY_COLS, gws);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return res.length;
};

const prefixLists: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: Obj[] = [];
  for (const p of arr(doc.PrefixLists)) {
    const id = str(p.PrefixListId);
    if (!id) continue;
    const arnParts = parseArn(str(p.PrefixListArn));
    const svc = awsServiceOf(str(p.PrefixListName));
    rows.push({
      prefix_list_id: id, name: str(p.PrefixListName), account_id: str(p.OwnerId) === 'AWS' ? undefined : arnParts?.account || str(p.OwnerId),
      region: scope.region(arnParts?.region, svc.region), address_family: str(p.AddressFamily), arn: str(p.PrefixListArn),
    });
  }
  await upsert(ctx.db, 'inv_obs_prefix_lists', 'prefix_list_id', [
    ['prefix_list_id', 'VARCHAR'], ['name', 'VARCHAR'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'], ['address_family', 'VARCHAR'], ['arn', 'VARCHAR'],
  ], rows);
  scope.finish();
  return rows.length;
};

const PREFIX_COLS: [string, ColType][] = [
  ['prefix', 'VARCHAR'], ['family', 'TINYINT'], ['prefix_len', 'INTEGER'], ['lo', 'UHUGEINT'], ['hi', 'UHUGEINT'], ['service', 'VARCHAR'],
  ['region', 'VARCHAR'], ['network_border_group', 'VARCHAR'], ['source', 'VARCHAR'], ['prefix_list_id', 'VARCHAR'], ['sync_token', 'VARCHAR'],
];

/** The prefix-list id of GetManagedPrefixListEntries: a {PrefixListId, Entries} wrapper, else pl-… in the file name. */
export function prefixListIdOf(doc: Obj, name: string): string | undefined {
  return str(doc.PrefixListId) ?? /\b(pl-[0-9a-f]{8,17})\b/.exec(name.split(/[\\/]/).pop() ?? '')?.[1];
}

const prefixListEntries: Handler = async (ctx, doc) => {
  const id = prefixListIdOf(doc, ctx.name);
  if (!id) {
    throw new InventoryInputError(
      `${ctx.name}: GetManagedPrefixListEntries output does not say which prefix list it is: wrap it as {"PrefixListId": "pl-…", "Entries": […]} or put the pl-… id in the file name`,
    );
  }
  const rows: Obj[] = [];
  const entries: Obj[] = [];
  for (const e of arr(doc.Entries)) {
    const cidr = str(e.Cidr);
    if (!cidr) continue;
    const c = parseCidrOrThrow(cidr, `${ctx.name}: ${id}`);
    rows.push({ prefix: c.prefix, family: c.family, prefix_len: c.length, lo: c.lo, hi: c.hi, source: 'prefix-list', prefix_list_id: id, region: ctx.region });
    entries.push({ prefix_list_id: id, prefix: c.prefix, family: c.family, prefix_len: c.length, lo: c.lo, hi: c.hi, description: str(e.Description) });
  }
  await ctx.db.exec(`DELETE FROM inv_prefix_list_entries WHERE prefix_list_id = $id`, { id });
  await insertRows(ctx.db, 'inv_prefix_list_entries', [
    ['prefix_list_id', 'VARCHAR'], ['prefix', 'VARCHAR'], ['family', 'TINYINT'], ['prefix_len', 'INTEGER'], ['lo', 'UHUGEINT'], ['hi', 'UHUGEINT'], ['description', 'VARCHAR'],
  ], entries);
  await ctx.db.exec(`DELETE FROM inv_prefixes WHERE source = 'prefix-list' AND prefix_list_id = $id`, { id });
  // (an account's own list, office ranges a rule names, is no AWS prefix: the inventory rebuild drops it from
  // inv_prefixes once DescribeManagedPrefixLists says whose it is, whatever order the files came in)
  await insertRows(ctx.db, 'inv_prefixes', PREFIX_COLS, rows);
  return rows.length;
};

function parseCidrOrThrow(cidr: string, where: string): ReturnType<typeof parseCidr> {
  try {
    return parseCidr(cidr);
  } catch (e) {
    throw new InventoryInputError(`${where}: ${(e as Error).message}`);
  }
}

const flowLogs: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: Obj[] = [];
  for (const f of arr(doc.FlowLogs)) {
    const id = str(f.FlowLogId);
    if (!id) continue;
    const dest = str(f.LogDestination);
    const opts = isObj(f.DestinationOptions) ? f.DestinationOptions : {};
    rows.push({
      flow_log_id: id, resource_id: str(f.ResourceId), account_id: scope.account(f.OwnerId, parseArn(dest)?.account),
      region: scope.region(parseArn(dest)?.region || undefined), destination_type: str(f.LogDestinationType), log_destination: dest,
      log_group_name: str(f.LogGroupName), log_format: str(f.LogFormat), file_format: str(opts.FileFormat),
      hive_partitions: bool(opts.HiveCompatiblePartitions), per_hour_partition: bool(opts.PerHourPartition),
      max_aggregation_interval: typeof f.MaxAggregationInterval === 'number' ? f.MaxAggregationInterval : undefined,
      traffic_type: str(f.TrafficType),
    });
  }
  await upsert(ctx.db, 'inv_flow_logs', 'flow_log_id', [
    ['flow_log_id', 'VARCHAR'], ['resource_id', 'VARCHAR'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'], ['destination_type', 'VARCHAR'],
    ['log_destination', 'VARCHAR'], ['log_group_name', 'VARCHAR'], ['log_format', 'VARCHAR'], ['file_format', 'VARCHAR'],
    ['hive_partitions', 'BOOLEAN'], ['per_hour_partition', 'BOOLEAN'], ['max_aggregation_interval', 'INTEGER'], ['traffic_type', 'VARCHAR'],
  ], rows);
  scope.finish();
  return rows.length;
};

const LB_KIND: Record<string, string> = { application: 'alb', network: 'nlb', gateway: 'gwlb' };

const loadBalancers: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  for (const lb of arr(doc.LoadBalancers)) {
    const arn = str(lb.LoadBalancerArn);
    if (!arn) continue;
    const p = parseArn(arn);
    const azs = arr(lb.AvailabilityZones);
    res.push({
      arn, resource_id: p?.resource.replace(/^loadbalancer\//, ''), type: 'elasticloadbalancing:loadbalancer',
      kind: LB_KIND[str(lb.Type) ?? 'application'] ?? 'alb', name: str(lb.LoadBalancerName),
      account_id: scope.account(p?.account), region: scope.region(p?.region), vpc_id: str(lb.VpcId),
      attrs: {
        scheme: str(lb.Scheme), dns_name: str(lb.DNSName), lb_type: str(lb.Type), ip_address_type: str(lb.IpAddressType),
        subnet_ids: azs.map((a) => str(a.SubnetId)).filter(Boolean), security_group_ids: strs(lb.SecurityGroups),
        addresses: azs.flatMap((a) => arr(a.LoadBalancerAddresses)).map((x) => ({ ip: str(x.IpAddress), private_ip: str(x.PrivateIPv4Address) })),
      },
      valid_from: ts(lb.CreatedTime),
    });
  }
  await upsertResources(ctx.db, res);
  scope.finish();
  return res.length;
};

const classicLoadBalancers: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  for (const lb of arr(doc.LoadBalancerDescriptions)) {
    const name = str(lb.LoadBalancerName);
    if (!name) continue;
    const ssg = isObj(lb.SourceSecurityGroup) ? lb.SourceSecurityGroup : {};
    const account = scope.account(ssg.OwnerAlias);
    const region = scope.region(regionFromAz(strs(lb.AvailabilityZones)[0]));
    res.push({
      arn: `arn:aws:elasticloadbalancing:${region ?? ''}:${account ?? ''}:loadbalancer/${name}`, resource_id: name,
      type: 'elasticloadbalancing:loadbalancer', kind: 'clb', name, account_id: account, region, vpc_id: str(lb.VPCId),
      attrs: {
        scheme: str(lb.Scheme), dns_name: str(lb.DNSName), subnet_ids: strs(lb.Subnets), security_group_ids: strs(lb.SecurityGroups),
        instances: arr(lb.Instances).map((i) => str(i.InstanceId)),
      },
      valid_from: ts(lb.CreatedTime),
    });
  }
  await upsertResources(ctx.db, res);
  scope.finish();
  return res.length;
};

const targetGroups: Handler = async (ctx, doc) => {
  const rows: Obj[] = [];
  for (const tg of arr(doc.TargetGroups)) {
    const arn = str(tg.TargetGroupArn);
    if (!arn) continue;
    rows.push({
      target_group_arn: arn, name: str(tg.TargetGroupName), lb_arns: strs(tg.LoadBalancerArns), target_type: str(tg.TargetType),
      protocol: str(tg.Protocol), port: typeof tg.Port === 'number' ? tg.Port : undefined, vpc_id: str(tg.VpcId),
    });
  }
  await upsert(ctx.db, 'inv_obs_target_groups', 'target_group_arn', [
    ['target_group_arn', 'VARCHAR'], ['name', 'VARCHAR'], ['lb_arns', 'VARCHAR[]'], ['target_type', 'VARCHAR'], ['protocol', 'VARCHAR'],
    ['port', 'INTEGER'], ['vpc_id', 'VARCHAR'],
  ], rows);
  return rows.length;
};

const targetHealth: Handler = async (ctx, doc) => {
  const tg = str(doc.TargetGroupArn);
  if (!tg) {
    throw new InventoryInputError(
      `${ctx.name}: DescribeTargetHealth output does not name its target group: wrap it as {"TargetGroupArn": "arn:aws:elasticloadbalancing:…", "TargetHealthDescriptions": […]}`,
    );
  }
  const rows: Obj[] = [];
  for (const d of arr(doc.TargetHealthDescriptions)) {
    const t = isObj(d.Target) ? d.Target : {};
    const id = str(t.Id);
    if (!id) continue;
    rows.push({
      target_group_arn: tg, target_id: id, port: typeof t.Port === 'number' ? t.Port : undefined, az: str(t.AvailabilityZone),
      health: isObj(d.TargetHealth) ? str(d.TargetHealth.State) : undefined,
    });
  }
  await ctx.db.exec(`DELETE FROM inv_obs_target_health WHERE target_group_arn = $tg`, { tg });
  await insertRows(ctx.db, 'inv_obs_target_health', [
    ['target_group_arn', 'VARCHAR'], ['target_id', 'VARCHAR'], ['port', 'INTEGER'], ['az', 'VARCHAR'], ['health', 'VARCHAR'],
  ], rows);
  return rows.length;
};

const dbInstances: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const d of arr(doc.DBInstances)) {
    const id = str(d.DBInstanceIdentifier);
    if (!id) continue;
    const p = parseArn(str(d.DBInstanceArn));
    const account = scope.account(p?.account);
    const region = scope.region(p?.region, regionFromAz(str(d.AvailabilityZone)));
    const arn = str(d.DBInstanceArn) ?? `arn:aws:rds:${region ?? ''}:${account ?? ''}:db:${id}`;
    const t = tagsOf(d.TagList);
    tags.set(arn, t);
    const sng = isObj(d.DBSubnetGroup) ? d.DBSubnetGroup : {};
    const ep = isObj(d.Endpoint) ? d.Endpoint : {};
    const engine = str(d.Engine);
    res.push({
      arn, resource_id: id, type: 'rds:db', kind: engine?.startsWith('aurora') ? 'aurora' : 'rds', name: id, account_id: account, region,
      vpc_id: str(sng.VpcId),
      attrs: {
        engine, engine_version: str(d.EngineVersion), instance_class: str(d.DBInstanceClass), endpoint: str(ep.Address),
        port: typeof ep.Port === 'number' ? ep.Port : undefined, az: str(d.AvailabilityZone), secondary_az: str(d.SecondaryAvailabilityZone),
        multi_az: bool(d.MultiAZ), cluster_id: str(d.DBClusterIdentifier), publicly_accessible: bool(d.PubliclyAccessible),
        subnet_ids: arr(sng.Subnets).map((s) => str(s.SubnetIdentifier)).filter(Boolean),
        security_group_ids: arr(d.VpcSecurityGroups).map((g) => str(g.VpcSecurityGroupId)).filter(Boolean).sort(),
        status: str(d.DBInstanceStatus),
      },
      valid_from: ts(d.InstanceCreateTime),
    });
  }
  await upsertResources(ctx.db, res);
  await putTags(ctx, 'rds', tags);
  scope.finish();
  return res.length;
};

const dbClusters: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const c of arr(doc.DBClusters)) {
    const id = str(c.DBClusterIdentifier);
    if (!id) continue;
    const p = parseArn(str(c.DBClusterArn));
    const account = scope.account(p?.account);
    const region = scope.region(p?.region, regionFromAz(strs(c.AvailabilityZones)[0]));
    const arn = str(c.DBClusterArn) ?? `arn:aws:rds:${region ?? ''}:${account ?? ''}:cluster:${id}`;
    const t = tagsOf(c.TagList);
    tags.set(arn, t);
    const engine = str(c.Engine);
    res.push({
      arn, resource_id: id, type: 'rds:cluster', kind: engine?.startsWith('aurora') ? 'aurora' : 'rds', name: id, account_id: account, region,
      attrs: {
        engine, endpoint: str(c.Endpoint), reader_endpoint: str(c.ReaderEndpoint), port: c.Port,
        members: arr(c.DBClusterMembers).map((m) => ({ id: str(m.DBInstanceIdentifier), writer: bool(m.IsClusterWriter) })),
        security_group_ids: arr(c.VpcSecurityGroups).map((g) => str(g.VpcSecurityGroupId)).filter(Boolean).sort(),
        subnet_group: str(c.DBSubnetGroup),
      },
      valid_from: ts(c.ClusterCreateTime),
    });
  }
  await upsertResources(ctx.db, res);
  await putTags(ctx, 'rds', tags);
  scope.finish();
  return res.length;
};

const dbProxies: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const x of arr(doc.DBProxies)) {
    const name = str(x.DBProxyName);
    if (!name) continue;
    const p = parseArn(str(x.DBProxyArn));
    const account = scope.account(p?.account);
    const region = scope.region(p?.region);
    const arn = str(x.DBProxyArn) ?? `arn:aws:rds:${region ?? ''}:${account ?? ''}:db-proxy:${name}`;
    if (x.Tags || x.TagList) tags.set(arn, tagsOf(x.Tags ?? x.TagList));
    res.push({
      arn, resource_id: name, type: 'rds:db-proxy', kind: 'rds-proxy', name, account_id: account, region, vpc_id: str(x.VpcId),
      attrs: {
        engine_family: str(x.EngineFamily), endpoint: str(x.Endpoint), subnet_ids: strs(x.VpcSubnetIds),
        security_group_ids: strs(x.VpcSecurityGroupIds).sort(), status: str(x.Status),
      },
      valid_from: ts(x.CreatedDate),
    });
  }
  await upsertResources(ctx.db, res);
  await putTags(ctx, 'rds', tags);
  scope.finish();
  return res.length;
};

const dbProxyEndpoints: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  for (const x of arr(doc.DBProxyEndpoints)) {
    const arn = str(x.DBProxyEndpointArn);
    const name = str(x.DBProxyEndpointName);
    if (!arn || !name) continue;
    const p = parseArn(arn);
    res.push({
      arn, resource_id: name, type: 'rds:db-proxy-endpoint', kind: 'rds-proxy', name, account_id: scope.account(p?.account),
      region: scope.region(p?.region), vpc_id: str(x.VpcId),
      attrs: {
        proxy_name: str(x.DBProxyName), endpoint: str(x.Endpoint), subnet_ids: strs(x.VpcSubnetIds),
        security_group_ids: strs(x.VpcSecurityGroupIds).sort(), is_default: bool(x.IsDefault), role: str(x.TargetRole),
      },
      valid_from: ts(x.CreatedDate),
    });
  }
  await upsertResources(ctx.db, res);
  scope.finish();
  return res.length;
};

const dbProxyTargets: Handler = async (ctx, doc) => {
  const proxy = str(doc.DBProxyName) ?? /(?:^|[^a-z0-9-])proxy[-_]([a-z][a-z0-9-]*)/i.exec(ctx.name.split(/[\\/]/).pop() ?? '')?.[1];
  if (!proxy) {
    throw new InventoryInputError(
      `${ctx.name}: DescribeDBProxyTargets output does not name its proxy: wrap it as {"DBProxyName": "…", "Targets": […]}`,
    );
  }
  const rows: Obj[] = [];
  for (const t of arr(doc.Targets)) {
    rows.push({
      proxy_name: proxy, account_id: ctx.accountId, region: ctx.region, target_arn: str(t.TargetArn), endpoint: str(t.Endpoint),
      target_type: str(t.Type), rds_resource_id: str(t.RdsResourceId), tracked_cluster_id: str(t.TrackedClusterId),
    });
  }
  await ctx.db.exec(`DELETE FROM inv_obs_proxy_targets WHERE proxy_name = $p`, { p: proxy });
  await insertRows(ctx.db, 'inv_obs_proxy_targets', [
    ['proxy_name', 'VARCHAR'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'], ['target_arn', 'VARCHAR'], ['endpoint', 'VARCHAR'],
    ['target_type', 'VARCHAR'], ['rds_resource_id', 'VARCHAR'], ['tracked_cluster_id', 'VARCHAR'],
  ], rows);
  return rows.length;
};

const functions: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  for (const f of arr(doc.Functions)) {
    const name = str(f.FunctionName);
    const arn = str(f.FunctionArn);
    if (!name || !arn) continue;
    const p = parseArn(arn);
    const vpc = isObj(f.VpcConfig) ? f.VpcConfig : {};
    res.push({
      arn: arn.replace(/:\$LATEST$/, ''), resource_id: name, type: 'lambda:function', kind: 'lambda', name,
      account_id: scope.account(p?.account), region: scope.region(p?.region), vpc_id: str(vpc.VpcId),
      attrs: {
        runtime: str(f.Runtime), package_type: str(f.PackageType), memory: f.MemorySize, subnet_ids: strs(vpc.SubnetIds).sort(),
        security_group_ids: strs(vpc.SecurityGroupIds).sort(), last_modified: str(f.LastModified),
      },
    });
  }
  await upsertResources(ctx.db, res);
  scope.finish();
  return res.length;
};

const cacheClusters: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const c of arr(doc.CacheClusters)) {
    const id = str(c.CacheClusterId);
    if (!id) continue;
    const p = parseArn(str(c.ARN));
    const account = scope.account(p?.account);
    const region = scope.region(p?.region, regionFromAz(str(c.PreferredAvailabilityZone)));
    const arn = str(c.ARN) ?? `arn:aws:elasticache:${region ?? ''}:${account ?? ''}:cluster:${id}`;
    if (c.Tags || c.TagList) tags.set(arn, tagsOf(c.Tags ?? c.TagList));
    res.push({
      arn, resource_id: id, type: 'elasticache:cluster', kind: 'elasticache', name: id, account_id: account, region,
      attrs: {
        engine: str(c.Engine), node_type: str(c.CacheNodeType), replication_group_id: str(c.ReplicationGroupId),
        subnet_group: str(c.CacheSubnetGroupName),
        security_group_ids: arr(c.SecurityGroups).map((g) => str(g.SecurityGroupId)).filter(Boolean).sort(),
        nodes: arr(c.CacheNodes).map((n) => ({
          id: str(n.CacheNodeId), address: isObj(n.Endpoint) ? str(n.Endpoint.Address) : undefined,
          port: isObj(n.Endpoint) ? n.Endpoint.Port : undefined, az: str(n.CustomerAvailabilityZone),
        })),
      },
      valid_from: ts(c.CacheClusterCreateTime),
    });
  }
  await upsertResources(ctx.db, res);
  await putTags(ctx, 'elasticache', tags);
  scope.finish();
  return res.length;
};

/**
 * ECS DescribeTasks (`aws ecs describe-tasks --include TAGS`): an awsvpc task is the resource behind the ENI
 * whose description is its attachment's ARN. The task is named by its service (`group: service:<name>`), lives
 * from createdAt (else startedAt) to stoppedAt, and carries its own tags (aws:ecs:serviceName among them).
 */
const ecsTasks: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const [i, t] of arr(doc.tasks).entries()) {
    const arn = str(t.taskArn);
    const p = parseArn(arn);
    const m = /^task\/(?:([^/]+)\/)?([^/]+)$/.exec(p?.resource ?? '');
    if (!arn || !p || p.service !== 'ecs' || !m) {
      ctx.warnings.push(`${ctx.name}: tasks[${i}]: taskArn is not an ECS task ARN: ${JSON.stringify(t.taskArn ?? null)}`);
      continue;
    }
    const clusterArn = str(t.clusterArn);
    const cluster = clusterArn?.split('/').pop() ?? m[1];
    const group = str(t.group);
    const service = group?.startsWith('service:') ? group.slice('service:'.length) : undefined;
    const enis: string[] = [];
    const attachments: string[] = [];
    const ips: string[] = [];
    for (const a of arr(t.attachments)) {
      if (str(a.type) !== 'ElasticNetworkInterface') continue;
      const id = str(a.id);
      if (id) attachments.push(id);
      for (const d of arr(a.details)) {
        const v = str(d.value);
        if (!v) continue;
        if (d.name === 'networkInterfaceId') enis.push(v);
        if (d.name === 'privateIPv4Address' || d.name === 'privateIPv6Address') ips.push(v);
      }
    }
    const t0 = tagsOf(t.tags);
    tags.set(arn, t0);
    res.push({
      arn, resource_id: m[2], type: 'ecs:task', kind: 'ecs-task', name: service ?? t0['aws:ecs:serviceName'] ?? group ?? m[2],
      account_id: scope.account(p.account), region: scope.region(p.region),
      attrs: {
        cluster, cluster_arn: clusterArn, service, group, task_definition_arn: str(t.taskDefinitionArn), launch_type: str(t.launchType),
        last_status: str(t.lastStatus), az: str(t.availabilityZone), eni_ids: enis, attachment_ids: attachments, private_ips: ips,
      },
      valid_from: ts(t.createdAt ?? t.startedAt),
      valid_to: ts(t.stoppedAt),
    });
  }
  await upsertResources(ctx.db, res);
  await putTags(ctx, 'ecs', tags);
  scope.finish();
  return res.length;
};

const tagging: Handler = async (ctx, doc) => {
  const tags = new Map<string, Record<string, string>>();
  for (const m of arr(doc.ResourceTagMappingList)) {
    const arn = str(m.ResourceARN);
    if (arn) tags.set(arn, tagsOf(m.Tags));
  }
  await putTags(ctx, 'tagging', tags);
  return tags.size;
};

/** `aws elbv2 describe-tags`: each load balancer's (or target group's) tags by its ARN. */
const elbTags: Handler = async (ctx, doc) => {
  const tags = new Map<string, Record<string, string>>();
  for (const d of arr(doc.TagDescriptions)) {
    const arn = str(d.ResourceArn);
    if (arn) tags.set(arn, tagsOf(d.Tags));
  }
  await putTags(ctx, 'elasticloadbalancing', tags);
  return tags.size;
};

/**
 * A tag list that names no resource (`aws rds|elasticache list-tags-for-resource`, `aws lambda list-tags`), written
 * wrapped with the ARN it was asked for: `{"ResourceName": "arn:…", "TagList": […]}` or `{"Resource": "arn:…",
 * "Tags": {…}}`. The tags are the ARN's service's own.
 */
const resourceTags: Handler = async (ctx, doc) => {
  const arn = str(doc.ResourceName ?? doc.Resource);
  const p = parseArn(arn);
  if (!arn || !p) {
    throw new InventoryInputError(
      `${ctx.name}: a tag list that does not name its resource: wrap it as {"ResourceName": "arn:…", "TagList": […]} ` +
        `(rds or elasticache list-tags-for-resource) or {"Resource": "arn:…", "Tags": {…}} (lambda list-tags); docs/aws.md shows the aws command that writes it`,
    );
  }
  await putTags(ctx, p.service, new Map([[p.service === 'lambda' ? arn.replace(/:\$LATEST$/, '') : arn, tagsOf(doc.TagList ?? doc.Tags)]]));
  return 1;
};

/** `aws lambda get-function`: the function (as ListFunctions says it) and its tags. */
const getFunction: Handler = async (ctx, doc) => {
  const c = isObj(doc.Configuration) ? doc.Configuration : {};
  const n = await functions(ctx, { Functions: [c] });
  const arn = str(c.FunctionArn);
  if (arn && isObj(doc.Tags)) await putTags(ctx, 'lambda', new Map([[arn.replace(/:\$LATEST$/, ''), tagsOf(doc.Tags)]]));
  return n;
};

/** `aws efs describe-file-systems`: each file system, named by its Name, with its tags. */
const fileSystems: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const f of arr(doc.FileSystems)) {
    const id = str(f.FileSystemId);
    if (!id) continue;
    const p = parseArn(str(f.FileSystemArn));
    const account = scope.account(f.OwnerId, p?.account);
    const region = scope.region(p?.region, regionFromAz(str(f.AvailabilityZoneName)));
    const arn = str(f.FileSystemArn) ?? `arn:aws:elasticfilesystem:${region ?? ''}:${account ?? ''}:file-system/${id}`;
    const t = tagsOf(f.Tags);
    tags.set(arn, t);
    res.push({
      arn, resource_id: id, type: 'efs:file-system', kind: 'efs', name: str(f.Name) ?? nameTag(t) ?? id, account_id: account, region,
      attrs: {
        performance_mode: str(f.PerformanceMode), throughput_mode: str(f.ThroughputMode), encrypted: bool(f.Encrypted),
        state: str(f.LifeCycleState), mount_targets: f.NumberOfMountTargets,
      },
      valid_from: ts(f.CreationTime),
    });
  }
  await upsertResources(ctx.db, res);
  await putTags(ctx, 'elasticfilesystem', tags);
  scope.finish();
  return res.length;
};

/**
 * `aws efs describe-mount-targets`: each mount target's network interface, described as EFS describes it, for
 * estates dumped without DescribeNetworkInterfaces (lowest rank: that API's answer wins).
 */
const mountTargets: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: EniObs[] = [];
  for (const m of arr(doc.MountTargets)) {
    const eni = str(m.NetworkInterfaceId);
    const fs = str(m.FileSystemId);
    const state = str(m.LifeCycleState);
    if (!eni || !fs || state === 'deleted') continue;
    const az = str(m.AvailabilityZoneName);
    const addrs: EniAddr[] = [];
    const v4 = tryCanonicalIp(str(m.IpAddress));
    const v6 = tryCanonicalIp(str(m.Ipv6Address));
    if (v4) addrs.push({ addr: v4, family: 4, kind: 'primary' });
    if (v6) addrs.push({ addr: v6, family: 6, kind: 'ipv6' });
    rows.push({
      eni_id: eni, rank: 1, seq: ctx.seq, account_id: scope.account(m.OwnerId), region: scope.region(regionFromAz(az)), vpc_id: str(m.VpcId),
      subnet_id: str(m.SubnetId), az, az_id: str(m.AvailabilityZoneId), interface_type: 'interface',
      description: `EFS mount target for ${fs} (${str(m.MountTargetId) ?? ''})`, requester_managed: true, addrs,
    });
  }
  await putEnis(ctx, rows);
  scope.finish();
  return rows.length;
};

/** `aws ec2 describe-addresses`: each Elastic IP, with its tags and what holds it. */
const addresses: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const res: ResourceRow[] = [];
  const tags = new Map<string, Record<string, string>>();
  for (const a of arr(doc.Addresses)) {
    const id = str(a.AllocationId);
    if (!id) continue;
    const account = scope.account();
    const region = scope.region();
    const arn = ec2Arn(region, account, 'elastic-ip', id);
    const t = tagsOf(a.Tags);
    tags.set(arn, t);
    res.push({
      arn, resource_id: id, type: 'ec2:elastic-ip', kind: 'elastic-ip', name: nameTag(t) ?? str(a.PublicIp), account_id: account, region,
      attrs: {
        public_ip: tryCanonicalIp(str(a.PublicIp)), private_ip: tryCanonicalIp(str(a.PrivateIpAddress)), eni_id: str(a.NetworkInterfaceId),
        instance_id: str(a.InstanceId), association_id: str(a.AssociationId), domain: str(a.Domain),
      },
    });
  }
  await upsertResources(ctx.db, res);
  await putTags(ctx, 'ec2', tags);
  scope.finish();
  return res.length;
};

/** The CloudTrail events the inventory is rebuilt from. */
export const LIFECYCLE_EVENTS = new Set([
  'CreateNetworkInterface', 'DeleteNetworkInterface', 'AttachNetworkInterface', 'DetachNetworkInterface',
  'RunInstances', 'TerminateInstances', 'CreateTags', 'DeleteTags',
  'AuthorizeSecurityGroupIngress', 'AuthorizeSecurityGroupEgress', 'RevokeSecurityGroupIngress', 'RevokeSecurityGroupEgress',
  'ModifySecurityGroupRules',
]);

const EVENT_COLS: [string, ColType][] = [
  ['event_id', 'VARCHAR'], ['event_time', 'TIMESTAMP'], ['event_name', 'VARCHAR'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'],
  ['resource_ids', 'VARCHAR[]'], ['detail', 'JSON'],
];

async function putEvents(ctx: DocContext, events: Obj[]): Promise<number> {
  const byId = new Map<string, Obj>();
  for (const e of events) byId.set(String(e.event_id), e);
  if (!byId.size) return 0;
  // Events never change: one already stored is kept as it is.
  const have = await ctx.db.all<{ event_id: string }>(
    `SELECT event_id FROM inv_events WHERE event_id IN (SELECT unnest(from_json($ids::JSON, '["VARCHAR"]')))`,
    { ids: JSON.stringify([...byId.keys()]) },
  );
  for (const h of have) byId.delete(h.event_id);
  await insertRows(ctx.db, 'inv_events', EVENT_COLS, [...byId.values()]);
  // the rules these events added or revoked, as they described them: a revoked rule is no longer described
  await insertRows(ctx.db, 'inv_obs_sg_rules', SG_RULE_COLS, rowsOfRuleEvents([...byId.values()].map((e) => ({ ...(e.detail as Obj), eventTime: e.event_time })), ctx.name, ctx.warnings));
  return events.length;
}

function eventRow(ctx: DocContext, scope: Scope, ev: Obj, fallbackTime?: unknown, resources: string[] = []): Obj | undefined {
  const name = str(ev.eventName);
  if (!name || !LIFECYCLE_EVENTS.has(name) || ev.errorCode) return undefined;
  const id = str(ev.eventID);
  const time = ts(ev.eventTime ?? fallbackTime);
  if (!id || !time) {
    ctx.warnings.push(`${ctx.name}: CloudTrail ${name} event without ${id ? 'eventTime' : 'eventID'} skipped`);
    return undefined;
  }
  const ui = isObj(ev.userIdentity) ? ev.userIdentity : {};
  return {
    event_id: id, event_time: time, event_name: name, account_id: scope.account(ev.recipientAccountId, ui.accountId),
    region: scope.region(ev.awsRegion), resource_ids: resources, detail: eventDetail(ev),
  };
}

const lookupEvents: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: Obj[] = [];
  for (const [i, e] of arr(doc.Events).entries()) {
    let ev: unknown = e.CloudTrailEvent;
    if (typeof ev === 'string') {
      try {
        ev = JSON.parse(ev);
      } catch (err) {
        throw new InventoryInputError(
          `${ctx.name}: Events[${i}] (${str(e.EventId) ?? 'no EventId'}): CloudTrailEvent is not valid JSON: ${(err as Error).message}`,
        );
      }
    }
    if (!isObj(ev)) ev = { eventName: e.EventName, eventID: e.EventId, eventTime: e.EventTime };
    const obj = ev as Obj;
    obj.eventID ??= e.EventId;
    const row = eventRow(ctx, scope, obj, e.EventTime, arr(e.Resources).map((r) => str(r.ResourceName)).filter((x): x is string => !!x));
    if (row) rows.push(row);
  }
  scope.finish();
  return putEvents(ctx, rows);
};

const trailLogFile: Handler = async (ctx, doc) => {
  const scope = new Scope(ctx);
  const rows: Obj[] = [];
  for (const r of arr(doc.Records)) {
    const row = eventRow(ctx, scope, r);
    if (row) rows.push(row);
  }
  scope.finish();
  return putEvents(ctx, rows);
};

const ipRanges: Handler = async (ctx, doc) => {
  const token = str(doc.syncToken) ?? '';
  const have = await ctx.db.value<string | null>(`SELECT max(sync_token) FROM inv_prefixes WHERE source = 'ip-ranges'`);
  if (have && /^\d+$/.test(have) && /^\d+$/.test(token) && BigInt(have) > BigInt(token)) {
    ctx.warnings.push(`${ctx.name}: ip-ranges syncToken ${token} is older than the loaded ${have}; kept the newer one`);
    return 0;
  }
  const rows: Obj[] = [];
  const add = (cidr: string | undefined, p: Obj): void => {
    if (!cidr) return;
    const c = parseCidrOrThrow(cidr, `${ctx.name}: ${cidr}`);
    rows.push({
      prefix: c.prefix, family: c.family, prefix_len: c.length, lo: c.lo, hi: c.hi, service: str(p.service), region: str(p.region),
      network_border_group: str(p.network_border_group), source: 'ip-ranges', sync_token: token,
    });
  };
  for (const p of arr(doc.prefixes)) add(str(p.ip_prefix), p);
  for (const p of arr(doc.ipv6_prefixes)) add(str(p.ipv6_prefix), p);
  await ctx.db.exec(`DELETE FROM inv_prefixes WHERE source = 'ip-ranges'`);
  await insertRows(ctx.db, 'inv_prefixes', PREFIX_COLS, rows);
  return rows.length;
};

/**
 * `aws firehose describe-delivery-stream`: a Firehose stream that flow logs are published to. Acquisition reads its S3
 * destination from the dump itself (aws/firehose.ts); nothing of it is attributed, so nothing is stored here.
 */
const deliveryStream: Handler = async (ctx, doc) => {
  const d = isObj(doc.DeliveryStreamDescription) ? doc.DeliveryStreamDescription : undefined;
  if (!d || !str(d.DeliveryStreamName)) throw new InventoryInputError(`${ctx.name}: a DescribeDeliveryStream answer without its stream's name`);
  return 1;
};

/** Every parser, by name: each API's descriptor (src/core/aws/apis.ts) names the one that reads its response. */
export const PARSERS = {
  enis,
  instances,
  subnets,
  vpcs,
  securityGroups,
  securityGroupRules,
  natGateways,
  internetGateways,
  vpcEndpoints,
  peering,
  tgwAttachments,
  prefixLists,
  prefixListEntries,
  flowLogs,
  deliveryStream,
  loadBalancers,
  classicLoadBalancers,
  targetGroups,
  targetHealth,
  dbInstances,
  dbClusters,
  dbProxies,
  dbProxyTargets,
  dbProxyEndpoints,
  functions,
  cacheClusters,
  ecsTasks,
  tagging,
  elbTags,
  resourceTags,
  getFunction,
  fileSystems,
  mountTargets,
  addresses,
  lookupEvents,
  trailLogFile,
  ipRanges,
} satisfies Record<string, Handler>;
