/**
 * The truth of security-group rule usage: which rules admitted a conversation, from the estate's own model. An
 * inbound rule of a group the server's ENI carries admits the client, an outbound rule of a group the client's
 * ENI carries admits the server: the protocol (the estate's traffic is TCP), the server port within the rule's
 * range, and the peer's address in the rule's CIDR or in an entry of its prefix list, or the peer's ENI carrying
 * the referenced group, the rule in force at the minute. Of a side's rules one is the most specific: the smallest port range, then the longest
 * prefix (a group reference counts as longer than any), then the lowest rule id (docs/schema.md).
 */
import type { Conversation, Endpoint, SgRule } from './model';
import { inCidr } from './net';

export interface RuleUse {
  /** Every rule that admitted the conversation, inbound ones of the server's groups and outbound of the client's. */
  rules: string[];
  /** The most specific rule of each side that has one. */
  mostSpecific: string[];
}

/** The prefix length by which a rule admits an address (129 for a group reference), or undefined. */
function admits(rule: SgRule, peer: Endpoint): number | undefined {
  const p = rule.peer;
  if ('cidr' in p) return inCidr(peer.addr, p.cidr) ? Number(p.cidr.split('/')[1]) : undefined;
  if ('group' in p) return peer.eni?.sgs.includes(p.group) ? 129 : undefined;
  const lens = p.prefixList.cidrs.filter((c) => inCidr(peer.addr, c)).map((c) => Number(c.split('/')[1]));
  return lens.length ? Math.max(...lens) : undefined;
}

/** Was the rule in force at t (added, and not yet revoked)? */
export const inForce = (r: SgRule, t: number) => (r.authorizedAt ?? -Infinity) <= t && t < (r.revokedAt ?? Infinity);

function side(guarded: Endpoint, peer: Endpoint, egress: boolean, port: number, t: number, use: RuleUse): void {
  let best: { key: [number, number, string] } | undefined;
  for (const g of guarded.eni?.sgs ?? []) {
    for (const r of g.rules) {
      if (r.egress !== egress || !(r.protocol === '-1' || r.protocol === 'tcp') || !inForce(r, t)) continue;
      const all = r.from < 0;
      if (!all && (port < r.from || port > r.to)) continue;
      const len = admits(r, peer);
      if (len === undefined || use.rules.includes(r.id)) continue;
      use.rules.push(r.id);
      const key: [number, number, string] = [all ? 65535 : r.to - r.from, -len, r.id];
      if (!best || key[0] < best.key[0] || (key[0] === best.key[0] && (key[1] < best.key[1] || (key[1] === best.key[1] && key[2] < best.key[2])))) best = { key };
    }
  }
  if (best) use.mostSpecific.push(best.key[2]);
}

/** The rules that admitted an accepted conversation in its minute starting at t (none for a rejected one). */
export function admittingRules(c: Conversation, t: number): RuleUse {
  const use: RuleUse = { rules: [], mostSpecific: [] };
  if (c.action !== 'ACCEPT') return use;
  side(c.server, c.client, false, c.serverPort, t, use);
  side(c.client, c.server, true, c.serverPort, t, use);
  return use;
}
