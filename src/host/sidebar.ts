/** The Flowlens activity-bar views: datasets (with their facts and actions) and query templates. */
import * as vscode from 'vscode';
import type { QueryTemplate } from '../core/api';
import { formatTime } from '../shared/numbers';
import { formatBytes } from '../shared/resultShape';
import type { Datasets, DatasetEntry } from './datasets';

type DatasetNode = { kind: 'dataset'; entry: DatasetEntry } | { kind: 'fact'; label: string; value: string };

export class DatasetsTree implements vscode.TreeDataProvider<DatasetNode> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(
    private readonly datasets: Datasets,
    private readonly followers?: { isFollowing(path: string): boolean; onDidChange: vscode.Event<void> },
    /** Summarises the datasets that have no summary yet (Datasets.summariseMissing). */
    private readonly summarise?: () => Promise<void>,
  ) {
    datasets.onDidChange(() => this.changed.fire());
    followers?.onDidChange(() => this.changed.fire());
  }

  refresh(): void {
    this.changed.fire();
  }

  getChildren(node?: DatasetNode): DatasetNode[] {
    if (!node) {
      const list = this.datasets.list();
      // made by the CLI: summarised without asking (the facts show when it is done)
      if (list.some((e) => !e.info && !this.datasets.problem(e.path))) void this.summarise?.();
      return list.map((entry) => ({ kind: 'dataset', entry }));
    }
    if (node.kind !== 'dataset') return [];
    const i = node.entry.info;
    if (!i) {
      const problem = this.datasets.problem(node.entry.path);
      if (!problem) void this.summarise?.();
      return [problem ? { kind: 'fact', label: 'Could not summarise', value: problem } : { kind: 'fact', label: 'Summarising', value: '…' }];
    }
    return [
      // times as every message writes them ('2026-09-01 00:00Z'), one a row: a span on one row was cut by the sidebar
      ...(i.from && i.to ? [{ kind: 'fact', label: 'First flow', value: formatTime(i.from) }, { kind: 'fact', label: 'Last flow', value: formatTime(i.to) }] as const
        : [{ kind: 'fact', label: 'Span', value: 'no conversations' }] as const),
      { kind: 'fact', label: 'Conversations', value: i.conversations.toLocaleString('en-US') },
      { kind: 'fact', label: 'Accounts', value: i.accounts.join(', ') || '—' },
      { kind: 'fact', label: 'Regions', value: i.regions.join(', ') || '—' },
      { kind: 'fact', label: 'Last refresh', value: i.lastRefresh ? formatTime(i.lastRefresh) : '—' },
    ];
  }

  getTreeItem(node: DatasetNode): vscode.TreeItem {
    if (node.kind === 'fact') {
      const item = new vscode.TreeItem(`${node.label}: ${node.value}`, vscode.TreeItemCollapsibleState.None);
      item.tooltip = `${node.label}: ${node.value}`; // whole, where a narrow sidebar cuts the label
      item.contextValue = 'fact';
      return item;
    }
    const e = node.entry;
    const active = this.datasets.active === e.path;
    const following = this.followers?.isFollowing(e.path) ?? false;
    const item = new vscode.TreeItem(e.name, vscode.TreeItemCollapsibleState.Collapsed);
    item.id = e.path;
    // short, so that a narrow sidebar does not cut it: being active shows in the icon and the tooltip
    item.description = [formatBytes(e.sizeBytes), following ? 'following' : undefined].filter(Boolean).join(' · ');
    item.tooltip = new vscode.MarkdownString(`**${e.name}**${active ? ' (active: the notebook and templates query it)' : ''}\n\n\`${e.path}\`${following ? '\n\nFollowing: new flow logs are appended every cycle.' : ''}`);
    item.iconPath = new vscode.ThemeIcon(following ? 'eye' : active ? 'database' : 'circle-outline');
    // the Follow / Stop following action shows by this value (package.json menus)
    item.contextValue = following ? 'dataset-following' : 'dataset';
    item.resourceUri = vscode.Uri.file(e.path);
    item.command = { command: 'flowlens.selectDataset', title: 'Make active', arguments: [e.path] };
    return item;
  }
}

export class TemplatesTree implements vscode.TreeDataProvider<QueryTemplate> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly load: () => QueryTemplate[]) {}

  refresh(): void {
    this.changed.fire();
  }

  getChildren(node?: QueryTemplate): QueryTemplate[] {
    if (node) return [];
    try {
      return this.load();
    } catch (err) {
      void vscode.window.showErrorMessage(`Flowlens: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
  }

  getTreeItem(t: QueryTemplate): vscode.TreeItem {
    const item = new vscode.TreeItem(t.title, vscode.TreeItemCollapsibleState.None);
    item.id = t.file;
    item.description = t.id;
    item.tooltip = new vscode.MarkdownString(`**${t.title}**\n\n${t.description}\n\n${t.params.map((p) => `- \`${p.name}\` ${p.type}${p.description ? ` — ${p.description}` : ''}`).join('\n')}`);
    item.iconPath = new vscode.ThemeIcon('symbol-field');
    item.contextValue = 'template';
    item.command = { command: 'flowlens.openTemplate', title: 'Open in a notebook', arguments: [t.id] };
    return item;
  }
}
