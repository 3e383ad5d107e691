/**
 * The security groups of a dataset with each rule's usage over a period, as the sidebar shows them (issue 15): a
 * rule's conversations and bytes (group-usage.sql over fl_sg_key_matches) and its share of what its group admitted
 * in that direction; a rule that admitted nothing carries the verdict of the sg-unused-rules template, the one
 * definition of an unused rule ('unused', or why it is not proven).
 */
import type { QueryRows } from '../topology/graph';
import { bindTemplate, findTemplate } from '../templates/index';
import GROUP_USAGE_SQL from './group-usage.sql';

export interface RuleUsage {
  ruleId: string;
  direction: 'ingress' | 'egress';
  /** As sg_rules_shown words them: 'tcp', 'all'; '443', '1024-65535', 'all'; a CIDR, prefix list or group id. */
  protocol: string;
  ports: string;
  peer: string;
  /** The referenced group's name, for a group reference. */
  peerName?: string;
  description?: string;
  /** When CloudTrail says it was added or revoked ('YYYY-MM-DD HH:MM' UTC). */
  authorized?: string;
  revoked?: string;
  conversations: number;
  bytes: number;
  /** The rule's bytes over its group's in this direction (each conversation once), 0..1; 0 when the group carried nothing. */
  share: number;
  /** For a rule that admitted nothing: the sg-unused-rules verdict ('unused', 'not proven: …'). */
  verdict?: string;
}

export interface GroupUsage {
  groupId: string;
  name?: string;
  /** What the group's rules admitted, each conversation once per direction. */
  ingress: { conversations: number; bytes: number };
  egress: { conversations: number; bytes: number };
  rules: RuleUsage[];
}

/** The period, as the sg-* templates take it: since/until (TIMESTAMP text), or `days` up to until; none: everything. */
export interface UsagePeriod {
  since?: string;
  until?: string;
  days?: number;
}

const opt = (x: unknown): string | undefined => (x === null || x === undefined ? undefined : String(x));

/** A rule in a few words: 'in tcp 443 from 0.0.0.0/0', 'out all traffic to group shop-db' (a referenced group by its name, else its id). */
export function ruleWords(r: Pick<RuleUsage, 'direction' | 'protocol' | 'ports' | 'peer' | 'peerName'>): string {
  const ports = r.protocol === 'all' && r.ports === 'all' ? 'all traffic' : `${r.protocol} ${r.ports === 'all' ? 'all ports' : r.ports}`;
  return `${r.direction === 'ingress' ? 'in' : 'out'} ${ports} ${r.direction === 'ingress' ? 'from' : 'to'} ${r.peerName ? `group ${r.peerName}` : r.peer}`;
}

/** Every security group with a rule in force in the period, by id, its rules by bytes. */
export async function securityGroupUsage(query: QueryRows, period: UsagePeriod = {}, signal?: AbortSignal): Promise<GroupUsage[]> {
  const values: Record<string, string> = {};
  if (period.since) values.since = period.since;
  if (period.until) values.until = period.until;
  if (period.days !== undefined) values.days = String(period.days);
  const params = { since: values.since ?? null, until: values.until ?? null, days: period.days ?? null };
  const unused = bindTemplate(findTemplate('sg-unused-rules'), values);
  const [rows, verdicts] = await Promise.all([
    query(GROUP_USAGE_SQL, params, signal),
    query(unused.sql, params, signal),
  ]);
  const verdict = new Map(verdicts.map((v) => [String(v.rule_id), String(v.verdict)]));
  const groups = new Map<string, GroupUsage>();
  for (const r of rows) {
    const id = String(r.security_group);
    let g = groups.get(id);
    if (!g) {
      g = { groupId: id, name: opt(r.group_name), ingress: { conversations: 0, bytes: 0 }, egress: { conversations: 0, bytes: 0 }, rules: [] };
      groups.set(id, g);
    }
    const direction = r.direction === 'egress' ? 'egress' : 'ingress';
    g[direction] = { conversations: Number(r.side_conversations), bytes: Number(r.side_bytes) };
    const bytes = Number(r.bytes);
    const rule: RuleUsage = {
      ruleId: String(r.rule_id),
      direction,
      protocol: String(r.protocol),
      ports: String(r.ports),
      peer: String(r.peer),
      conversations: Number(r.conversations),
      bytes,
      share: Number(r.side_bytes) > 0 ? bytes / Number(r.side_bytes) : 0,
    };
    for (const [k, col] of [['peerName', 'peer_name'], ['description', 'description'], ['authorized', 'authorized'], ['revoked', 'revoked']] as const) {
      const v = opt(r[col]);
      if (v) rule[k] = v;
    }
    const v = verdict.get(rule.ruleId);
    if (v) rule.verdict = v;
    g.rules.push(rule);
  }
  return [...groups.values()];
}
