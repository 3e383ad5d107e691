/**
 * The sidebar's Security groups (issue 15): the active dataset's security groups, each with its rules as
 * sg_rules_shown words them, a usage bar (the rule's share of the bytes its group admitted in that direction over
 * the whole dataset), its conversations and bytes, and the unused ones marked with the sg-unused-rules verdict.
 * A rule's click (or its inline action) shows the edges it carried on the map. The data comes from the engine
 * (src/core/secgroups/groupUsage.ts) through the DuckDB process; this file only draws it.
 *
 * The bar is text in the item's label, in front of the rule's words, rather than a WebviewView: a tree keeps the
 * sidebar's keyboard navigation, context actions, theme and screen-reader support for free, and bars of one width at
 * the start of the label line up from rule to rule, so they compare at a glance (the numbers follow in the description).
 */
import * as vscode from 'vscode';
import { ruleWords, type GroupUsage, type RuleUsage } from '../core/secgroups/groupUsage';
import { formatBytes, formatCount, formatPct } from '../shared/numbers';
import { usageBar } from '../shared/usageBar';
import type { ShownRule } from '../protocol/topology';

export const SECURITY_GROUPS_VIEW = 'flowlens.securityGroups';
export const SHOW_RULE_COMMAND = 'flowlens.securityGroups.showOnMap';

/** Eight cells (64 steps): wide enough to compare, narrow enough to leave a default sidebar room for the rule's words. */
const BAR_CELLS = 8;

type Node = { kind: 'group'; group: GroupUsage } | { kind: 'rule'; group: GroupUsage; rule: RuleUsage };

/** The words of a rule and its group, as the map names the rule it highlights. */
export function shownRule(group: GroupUsage, rule: RuleUsage): ShownRule {
  return { id: rule.ruleId, label: `${ruleWords(rule)} · ${group.name ?? group.groupId}` };
}

export class SecurityGroupsTree implements vscode.TreeDataProvider<Node> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;
  private groups: Promise<GroupUsage[] | string> | undefined;
  view?: vscode.TreeView<Node>;

  constructor(
    /** The active dataset's groups; rejects when there is none, or it cannot be read. */
    private readonly load: () => Promise<GroupUsage[]>,
  ) {}

  /** The dataset changed (another one is active, an enrichment, a refresh or an append): read it again when shown. */
  refresh(): void {
    this.groups = undefined;
    this.changed.fire();
  }

  async getChildren(node?: Node): Promise<Node[]> {
    if (node) return node.kind === 'group' ? node.group.rules.map((rule) => ({ kind: 'rule', group: node.group, rule })) : [];
    this.groups ??= this.load().catch((err: unknown) => (err instanceof Error ? err.message : String(err)));
    const groups = await this.groups;
    if (this.view) {
      this.view.message = typeof groups === 'string' ? (groups.startsWith('no dataset') ? `No dataset yet: enrich flow logs (Datasets, above) to see its security groups.` : `Could not read the security groups: ${groups}`)
        : groups.length === 0 ? 'The dataset holds no security-group rules (the inventory needs DescribeSecurityGroupRules or DescribeSecurityGroups).' : undefined;
      this.view.description = typeof groups === 'string' ? undefined : 'usage over the whole dataset';
    }
    if (typeof groups === 'string') return [];
    return [...groups].sort((a, b) => (a.name ?? a.groupId).localeCompare(b.name ?? b.groupId)).map((group) => ({ kind: 'group', group }));
  }

  getTreeItem(node: Node): vscode.TreeItem {
    if (node.kind === 'group') {
      const g = node.group;
      const item = new vscode.TreeItem(g.name ?? g.groupId, vscode.TreeItemCollapsibleState.Collapsed);
      item.id = g.groupId;
      const unused = g.rules.filter((r) => r.verdict === 'unused').length;
      item.description = [g.name ? g.groupId : undefined, `in ${formatBytes(g.ingress.bytes)}`, `out ${formatBytes(g.egress.bytes)}`,
        unused ? `${unused} unused` : undefined].filter(Boolean).join(' · ');
      item.tooltip = new vscode.MarkdownString(`**${g.name ?? g.groupId}** \`${g.groupId}\`\n\n` +
        `Admitted in: ${formatCount(g.ingress.conversations)} conversation-minutes, ${formatBytes(g.ingress.bytes)}\n\n` +
        `Admitted out: ${formatCount(g.egress.conversations)} conversation-minutes, ${formatBytes(g.egress.bytes)}\n\n` +
        `${g.rules.length} rules${unused ? `, ${unused} unused` : ''}`);
      item.iconPath = new vscode.ThemeIcon('shield');
      item.contextValue = 'sg-group';
      return item;
    }
    const { group: g, rule: r } = node;
    const words = ruleWords(r);
    const used = r.conversations > 0;
    const item = new vscode.TreeItem(`${usageBar(r.share, BAR_CELLS)}  ${words}`, vscode.TreeItemCollapsibleState.None);
    item.id = `${g.groupId}/${r.ruleId}`;
    const pct = formatPct(Math.round(r.share * 1000) / 10);
    item.description = used
      ? `${pct} · ${formatCount(r.conversations)} conv. · ${formatBytes(r.bytes)}${r.revoked ? ` · revoked ${r.revoked}` : ''}`
      : `${r.verdict ?? 'no traffic'}${r.revoked ? ` · revoked ${r.revoked}` : ''}`;
    const lines = [
      `**${words}**${r.description ? ` — ${r.description}` : ''}`,
      `\`${r.ruleId}\` in ${g.name ?? g.groupId}${r.peerName ? `; the peer is the group \`${r.peer}\`` : ''}`,
      used ? `${pct} of the bytes ${g.name ?? g.groupId} admitted ${r.direction === 'ingress' ? 'in' : 'out'}: ${formatBytes(r.bytes)}, ${formatCount(r.conversations)} conversation-minutes`
        : `Admitted nothing: ${r.verdict ?? 'no traffic'}`,
      ...(r.authorized ? [`Authorized ${r.authorized} UTC`] : []),
      ...(r.revoked ? [`Revoked ${r.revoked} UTC`] : []),
      used ? 'Click to show the edges it carried on the map.' : '',
    ];
    item.tooltip = new vscode.MarkdownString(lines.filter(Boolean).join('\n\n'));
    item.accessibilityInformation = { label: `${words}: ${used ? `${pct} of the group's bytes, ${formatCount(r.conversations)} conversations, ${formatBytes(r.bytes)}` : r.verdict ?? 'no traffic'}` };
    item.iconPath = used ? new vscode.ThemeIcon(r.direction === 'ingress' ? 'sign-in' : 'sign-out')
      : new vscode.ThemeIcon('circle-slash', new vscode.ThemeColor(r.verdict === 'unused' ? 'problemsWarningIcon.foreground' : 'descriptionForeground'));
    item.contextValue = used ? 'sg-rule' : 'sg-rule-unused';
    if (used) item.command = { command: SHOW_RULE_COMMAND, title: 'Show on map', arguments: [node] };
    return item;
  }
}

/** The rule a Show on map command names: a tree node (a click or the inline action) or a ShownRule. */
export function ruleOfArgument(arg: unknown): ShownRule | undefined {
  if (!arg || typeof arg !== 'object') return undefined;
  const a = arg as Partial<Node> & Partial<ShownRule>;
  if (a.kind === 'rule' && a.group && 'rule' in a && a.rule) return shownRule(a.group, a.rule);
  if (typeof a.id === 'string' && typeof a.label === 'string') return { id: a.id, label: a.label };
  return undefined;
}
