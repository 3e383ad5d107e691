/**
 * Security-group rules as rows of inv_obs_sg_rules (docs/schema.md, "Security-group rules"): one row per rule and
 * peer, from either API that describes them. DescribeSecurityGroupRules gives one peer per rule and AWS's rule id;
 * DescribeSecurityGroups' IpPermissions group several peers under one protocol and port range, and no ids.
 */
import { parseCidr } from './ip';
import { arr, isObj, str, type ColType, type Obj } from './util';

export const SG_RULE_COLS: [string, ColType][] = [
  ['rule_id', 'VARCHAR'], ['group_id', 'VARCHAR'], ['account_id', 'VARCHAR'], ['region', 'VARCHAR'], ['egress', 'BOOLEAN'],
  ['ip_protocol', 'VARCHAR'], ['protocol', 'INTEGER'], ['from_port', 'INTEGER'], ['to_port', 'INTEGER'], ['port_lo', 'INTEGER'],
  ['port_hi', 'INTEGER'], ['peer_kind', 'VARCHAR'], ['peer', 'VARCHAR'], ['family', 'TINYINT'], ['prefix_len', 'INTEGER'],
  ['lo', 'UHUGEINT'], ['hi', 'UHUGEINT'], ['peer_group_id', 'VARCHAR'], ['peer_account_id', 'VARCHAR'], ['prefix_list_id', 'VARCHAR'],
  ['description', 'VARCHAR'], ['source', 'VARCHAR'], ['changed_at', 'TIMESTAMP'],
];

const PROTOCOLS: Record<string, number> = { tcp: 6, udp: 17, icmp: 1, icmpv6: 58 };
/** The protocols whose rules name ports (AWS: TCP and UDP; any other protocol's rule covers all its traffic). */
const PORTED = new Set([6, 17]);

/** IpProtocol ('tcp', '6', '-1', …) as a number; null for all protocols; undefined when unreadable. */
export function protocolNumber(ipProtocol: string | undefined): number | null | undefined {
  if (ipProtocol === undefined) return undefined;
  const p = ipProtocol.trim().toLowerCase();
  if (p === '-1' || p === 'all') return null;
  if (p in PROTOCOLS) return PROTOCOLS[p];
  return /^\d{1,3}$/.test(p) && Number(p) <= 255 ? Number(p) : undefined;
}

const int = (v: unknown): number | undefined => (typeof v === 'number' && Number.isInteger(v) ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : undefined);

interface RuleHead {
  group_id: string;
  account_id?: string;
  region?: string;
  egress: boolean;
  ip_protocol: string;
  protocol: number | null;
  from_port?: number;
  to_port?: number;
  port_lo: number;
  port_hi: number;
}

/** The rule's group, direction, protocol and ports; undefined (with a warning) when the protocol is unreadable. */
function head(group: string, egress: boolean, p: Obj, where: string, warnings: string[], account?: string, region?: string): RuleHead | undefined {
  const ipProtocol = str(p.IpProtocol) ?? (typeof p.IpProtocol === 'number' ? String(p.IpProtocol) : undefined);
  const protocol = protocolNumber(ipProtocol);
  if (protocol === undefined) {
    warnings.push(`${where}: IpProtocol ${JSON.stringify(p.IpProtocol)} is not a protocol; the rule is skipped`);
    return undefined;
  }
  const from = int(p.FromPort);
  const to = int(p.ToPort);
  const ported = protocol !== null && PORTED.has(protocol) && from !== undefined && from >= 0;
  return {
    group_id: group, account_id: account, region, egress, ip_protocol: ipProtocol!, protocol, from_port: from, to_port: to,
    port_lo: ported ? from! : 0, port_hi: ported ? Math.max(from!, to ?? from!) : 65535,
  };
}

const ports = (h: RuleHead) => (h.port_lo === 0 && h.port_hi === 65535 ? 'all' : `${h.port_lo}-${h.port_hi}`);

/** A made-up id for a rule DescribeSecurityGroups listed: group, direction, protocol, ports, peer. */
const madeId = (h: RuleHead, peer: string) => `${h.group_id}/${h.egress ? 'egress' : 'ingress'}/${h.protocol ?? 'all'}/${ports(h)}/${peer}`;

type Peer = Pick<Obj, 'peer_kind' | 'peer'> & Obj;

function cidrPeer(cidr: string, where: string, warnings: string[]): Peer | undefined {
  try {
    const c = parseCidr(cidr);
    return { peer_kind: 'cidr', peer: c.prefix, family: c.family, prefix_len: c.length, lo: c.lo, hi: c.hi };
  } catch (e) {
    warnings.push(`${where}: ${(e as Error).message}; the rule is skipped`);
    return undefined;
  }
}

/** The peer of one rule of DescribeSecurityGroupRules. */
function rulePeer(r: Obj, where: string, warnings: string[]): Peer | undefined {
  const v4 = str(r.CidrIpv4);
  const v6 = str(r.CidrIpv6);
  if (v4 || v6) return cidrPeer((v4 ?? v6)!, where, warnings);
  const pl = str(r.PrefixListId);
  if (pl) return { peer_kind: 'prefix-list', peer: pl, prefix_list_id: pl };
  const g = isObj(r.ReferencedGroupInfo) ? r.ReferencedGroupInfo : undefined;
  const gid = str(g?.GroupId);
  if (gid) return { peer_kind: 'security-group', peer: gid, peer_group_id: gid, peer_account_id: str(g?.UserId) };
  warnings.push(`${where}: no CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupInfo; the rule is skipped`);
  return undefined;
}

/** Rows of DescribeSecurityGroupRules' SecurityGroupRules (`list`: what warnings call the list). */
export function rowsOfSecurityGroupRules(items: Obj[], name: string, warnings: string[], account?: string, region?: string, list = 'SecurityGroupRules'): Obj[] {
  const rows: Obj[] = [];
  for (const [i, r] of items.entries()) {
    const group = str(r.GroupId);
    const where = `${name}: ${list}[${i}]`;
    if (!group) continue;
    const h = head(group, r.IsEgress === true, r, where, warnings, str(r.GroupOwnerId) ?? account, region);
    const peer = h && rulePeer(r, where, warnings);
    if (!h || !peer) continue;
    rows.push({ ...h, ...peer, rule_id: str(r.SecurityGroupRuleId) ?? madeId(h, String(peer.peer)), description: str(r.Description), source: 'rules' });
  }
  return rows;
}

/** Rows of one group's IpPermissions (egress: IpPermissionsEgress) of DescribeSecurityGroups. */
export function rowsOfIpPermissions(group: string, perms: unknown, egress: boolean, where: string, warnings: string[], account?: string, region?: string): Obj[] {
  const rows: Obj[] = [];
  for (const [i, p] of arr(perms).entries()) {
    const at = `${where}.${egress ? 'IpPermissionsEgress' : 'IpPermissions'}[${i}]`;
    const h = head(group, egress, p, at, warnings, account, region);
    if (!h) continue;
    const add = (peer: Peer | undefined, description: unknown) => {
      if (peer) rows.push({ ...h, ...peer, rule_id: madeId(h, String(peer.peer)), description: str(description), source: 'groups' });
    };
    for (const r of arr(p.IpRanges)) if (str(r.CidrIp)) add(cidrPeer(str(r.CidrIp)!, at, warnings), r.Description);
    for (const r of arr(p.Ipv6Ranges)) if (str(r.CidrIpv6)) add(cidrPeer(str(r.CidrIpv6)!, at, warnings), r.Description);
    for (const r of arr(p.PrefixListIds)) {
      const pl = str(r.PrefixListId);
      if (pl) add({ peer_kind: 'prefix-list', peer: pl, prefix_list_id: pl }, r.Description);
    }
    for (const r of arr(p.UserIdGroupPairs)) {
      const gid = str(r.GroupId);
      if (gid) add({ peer_kind: 'security-group', peer: gid, peer_group_id: gid, peer_account_id: str(r.UserId) }, r.Description);
    }
  }
  return rows;
}

/**
 * Rows of the rules CloudTrail events of AuthorizeSecurityGroupIngress/Egress (responseElements'
 * securityGroupRuleSet) and RevokeSecurityGroupIngress/Egress (revokedSecurityGroupRuleSet) describe, source
 * 'cloudtrail': what a rule revoked before the describe calls admitted. Their items are DescribeSecurityGroupRules'
 * in camelCase (a revoked one names its referenced group as referencedGroupId).
 */
export function rowsOfRuleEvents(details: Obj[], name: string, warnings: string[]): Obj[] {
  const rows: Obj[] = [];
  for (const d of details) {
    if (d.eventName === 'ModifySecurityGroupRules') {
      rows.push(...rowsOfRuleChanges(d, name, warnings));
      continue;
    }
    const response = isObj(d.responseElements) ? d.responseElements : {};
    const request = isObj(d.requestParameters) ? d.requestParameters : {};
    const set = isObj(response.securityGroupRuleSet) ? response.securityGroupRuleSet : isObj(response.revokedSecurityGroupRuleSet) ? response.revokedSecurityGroupRuleSet : {};
    const items = arr(set.items).map((i) => {
      const ref = isObj(i.referencedGroupInfo) ? i.referencedGroupInfo : str(i.referencedGroupId) ? { groupId: i.referencedGroupId } : undefined;
      return {
        SecurityGroupRuleId: i.securityGroupRuleId, GroupId: i.groupId ?? request.groupId, GroupOwnerId: i.groupOwnerId, IsEgress: i.isEgress,
        IpProtocol: i.ipProtocol, FromPort: i.fromPort, ToPort: i.toPort, CidrIpv4: i.cidrIpv4, CidrIpv6: i.cidrIpv6, PrefixListId: i.prefixListId,
        ReferencedGroupInfo: ref ? { GroupId: ref.groupId, UserId: ref.userId } : undefined, Description: i.description,
      };
    });
    const where = `${name}: ${String(d.eventName)} ${String(d.eventID)}`;
    const account = str(d.recipientAccountId);
    const region = str(d.awsRegion);
    for (const r of rowsOfSecurityGroupRules(items, where, warnings, account, region)) rows.push({ ...r, source: 'cloudtrail', changed_at: d.eventTime });
  }
  return rows;
}

/**
 * Rows of the rules a CloudTrail ModifySecurityGroupRules event gave a new shape, source 'modified', changed_at the
 * event's time: its requestParameters' ModifySecurityGroupRulesRequest names the group (GroupId) and, per rule
 * (SecurityGroupRule: one, or a list), its SecurityGroupRuleId and its new SecurityGroupRule (IpProtocol, FromPort,
 * ToPort, CidrIpv4, CidrIpv6, PrefixListId or ReferencedGroupId, Description). A modification does not say the
 * rule's direction, which stays: egress is NULL here, and inv_sg_rules takes it from the rule's other rows.
 */
function rowsOfRuleChanges(d: Obj, name: string, warnings: string[]): Obj[] {
  const where = `${name}: ModifySecurityGroupRules ${String(d.eventID)}`;
  const request = isObj(d.requestParameters) && isObj(d.requestParameters.ModifySecurityGroupRulesRequest)
    ? d.requestParameters.ModifySecurityGroupRulesRequest : undefined;
  const group = str(request?.GroupId);
  if (!request || !group) {
    warnings.push(`${where}: no ModifySecurityGroupRulesRequest with a GroupId in requestParameters; the change is skipped`);
    return [];
  }
  const updates: unknown[] = Array.isArray(request.SecurityGroupRule) ? request.SecurityGroupRule : [request.SecurityGroupRule];
  // (an update that says too little stays in the list as an item without a group, which is skipped)
  const items = updates.map((u, i): Obj => {
    const id = isObj(u) ? str(u.SecurityGroupRuleId) : undefined;
    const rule = isObj(u) && isObj(u.SecurityGroupRule) ? u.SecurityGroupRule : undefined;
    if (!id || !rule) {
      warnings.push(`${where}: SecurityGroupRule[${i}]: ${id ? 'no SecurityGroupRule (the new rule)' : 'no SecurityGroupRuleId'}; the change is skipped`);
      return {};
    }
    const ref = str(rule.ReferencedGroupId);
    return { ...rule, SecurityGroupRuleId: id, GroupId: group, ReferencedGroupInfo: ref ? { GroupId: ref } : undefined };
  });
  return rowsOfSecurityGroupRules(items, where, warnings, str(d.recipientAccountId), str(d.awsRegion), 'SecurityGroupRule')
    .map((r) => ({ ...r, egress: undefined, source: 'modified', changed_at: d.eventTime }));
}
