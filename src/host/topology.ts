/**
 * The topology panel host: the `flowlens.openTopology` command, the webview panel (strict CSP,
 * scripts by nonce, assets only from dist/webview and media), the typed protocol with a ready
 * handshake, and a WebviewPanelSerializer so the view comes back after a restart with its state.
 * The graph itself is computed by src/core/topology in the dataset; this file only wires VS Code.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { SqlCell } from '../core/topology/cell';
import type { QueryRows } from '../core/topology/graph';
import { TopologySession } from '../core/topology/service';
import {
  TOPOLOGY_PROTOCOL_VERSION,
  isViewState,
  isWebviewToHost,
  type HostToWebview,
  type ShownRule,
  type ViewState,
} from '../protocol/topology';
import type { Datasets } from './datasets';
import { CELL_LANGUAGE, NOTEBOOK_TYPE } from './notebook';
import { queryRowsVia } from './queryRows';
import type { WorkerClient } from './workerClient';

export const TOPOLOGY_VIEW_TYPE = 'flowlens.topology';
export const OPEN_TOPOLOGY_COMMAND = 'flowlens.openTopology';
/** Enriches the sample estate into a new dataset without the wizard (the map's empty state). */
export const ENRICH_SAMPLE_COMMAND = 'flowlens.enrichSample';
const LAST_STATE_KEY = 'flowlens.topology.lastState';

export interface TopologyDeps {
  /** Runs SQL with bound parameters on the active dataset; rejects when none is open. */
  query: QueryRows;
  /** The active dataset's display name (shown in the panel), or null. */
  datasetName: () => string | null;
  /** Fires when the active dataset changes or is reloaded (the panel re-queries). */
  onDidChangeDataset?: vscode.Event<unknown>;
  /** Fires when any dataset may have changed (enriched, refreshed, forgotten from): what the panel kept is read again. */
  onDidChangeData?: vscode.Event<unknown>;
  /** Opens a SQL notebook cell with this text (template header with bound parameters) and runs it. */
  openSqlCell: (cell: SqlCell) => Promise<boolean>;
}

/**
 * The deps for the extension's own pieces: queries go to the DuckDB child process on the active
 * dataset (opened on first use), the panel refreshes when the active dataset changes or a follower appends to it, and
 * "Open in SQL" opens a .flowsql notebook with the cell and runs it.
 */
export function topologyDepsFor(worker: () => WorkerClient, datasets: Datasets, appended?: vscode.Event<{ path: string }>): TopologyDeps {
  const changed = new vscode.EventEmitter<unknown>();
  // Every change, not only another active dataset: with none chosen, the active one is the first in the folder, so
  // a new dataset is active while it is still being enriched (a map drawn then is empty), and the same dataset
  // becoming active when it is done, or refreshed, changes nothing but its data.
  datasets.onDidChange(() => changed.fire(undefined));
  // a followed dataset gained conversations: the map is redrawn from them
  appended?.((e) => {
    if (e.path === datasets.active) changed.fire(undefined);
  });
  return {
    query: queryRowsVia(async (sql, params, rowCap, signal) => {
      const path = await datasets.ensureActiveOpen();
      if (!path) throw new Error('no dataset yet: run "Flowlens: Enrich flow logs" first');
      return worker().request('query', { sql, params, rowCap }, { signal });
    }),
    datasetName: () => datasets.active?.replace(/^.*[\\/]/, '').replace(/\.duckdb$/, '') ?? null,
    onDidChangeDataset: changed.event,
    onDidChangeData: datasets.onDidChange,
    openSqlCell: openSqlCellInNotebook,
  };
}

/** Opens a new Flowlens SQL notebook holding the cell (after a title cell) and runs it. */
export async function openSqlCellInNotebook(cell: SqlCell): Promise<boolean> {
  const data = new vscode.NotebookData([
    new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, `## ${cell.title}\n\nFrom the topology view; edit the parameters in the cell header to change it.`, 'markdown'),
    new vscode.NotebookCellData(vscode.NotebookCellKind.Code, cell.sql, CELL_LANGUAGE),
  ]);
  const doc = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, data);
  const editor = await vscode.window.showNotebookDocument(doc, { viewColumn: vscode.ViewColumn.Beside });
  await vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: 1, end: 2 }], document: editor.notebook.uri });
  return true;
}

/** Opens the map (or brings it forward) and highlights the edges a security-group rule carried. */
export interface TopologyControl {
  showRule(rule: ShownRule): void;
}

export function registerTopology(context: vscode.ExtensionContext, deps: TopologyDeps): TopologyControl {
  const panels = new Set<TopologyPanel>();
  const open = (): TopologyPanel => {
    const existing = [...panels][0];
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(TOPOLOGY_VIEW_TYPE, 'Flowlens topology', vscode.ViewColumn.Active, webviewOptions(context));
    const p = new TopologyPanel(context, deps, panel, context.workspaceState.get<ViewState>(LAST_STATE_KEY) ?? null, panels);
    panels.add(p);
    return p;
  };
  context.subscriptions.push(
    vscode.commands.registerCommand(OPEN_TOPOLOGY_COMMAND, () => void open()),
    vscode.window.registerWebviewPanelSerializer(TOPOLOGY_VIEW_TYPE, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        panel.webview.options = webviewOptions(context);
        panels.add(new TopologyPanel(context, deps, panel, isViewState(state) ? state : null, panels));
      },
    }),
  );
  if (deps.onDidChangeDataset) {
    context.subscriptions.push(deps.onDidChangeDataset(() => panels.forEach((p) => p.datasetChanged())));
  }
  return { showRule: (rule) => open().showRule(rule) };
}

function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview'), vscode.Uri.joinPath(context.extensionUri, 'media')],
  };
}

class TopologyPanel {
  private ready = false;
  /** A rule to show once the webview is ready (a panel just opened, or rebuilt after it was hidden). */
  private pendingRule: ShownRule | undefined;
  /** Answers the webview's requests; a newer graph, timeline or details request cancels the one in flight. */
  private readonly session: TopologySession;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly deps: TopologyDeps,
    readonly panel: vscode.WebviewPanel,
    private restoreState: ViewState | null,
    panels: Set<TopologyPanel>,
  ) {
    this.session = new TopologySession({
      query: deps.query,
      openSqlCell: deps.openSqlCell,
      copyText: async (text) => {
        await vscode.env.clipboard.writeText(text);
        void vscode.window.setStatusBarMessage(`Copied ${text}`, 3000);
      },
      saveExport: (format, data) => saveExport(format, data),
      // not awaited: the enrichment shows its own progress, and the map redraws when the dataset changes
      runCommand: async (command) => {
        void vscode.commands.executeCommand(command === 'enrichSample' ? ENRICH_SAMPLE_COMMAND : 'flowlens.enrich');
        return true;
      },
    });
    panel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'topology.svg');
    panel.webview.html = topologyHtml(panel.webview, context.extensionUri);
    const subs = [
      panel.webview.onDidReceiveMessage((m) => this.receive(m)),
      // a refresh or a forget changes the data under the same dataset: the kept timeline is read again
      ...(deps.onDidChangeData ? [deps.onDidChangeData(() => this.session.forget())] : []),
      // the webview is rebuilt when it comes back (no retainContextWhenHidden): wait for its ready again
      panel.onDidChangeViewState(() => {
        if (!panel.visible) this.ready = false;
      }),
    ];
    panel.onDidDispose(() => {
      this.session.reset();
      subs.forEach((s) => s.dispose());
      panels.delete(this);
    });
  }

  private post(m: HostToWebview): void {
    void this.panel.webview.postMessage(m);
  }

  private async receive(m: unknown): Promise<void> {
    if (!isWebviewToHost(m)) {
      console.warn('Flowlens topology: dropped a message from the webview that does not match the protocol');
      return;
    }
    if (m.kind === 'ready') {
      if (m.version !== TOPOLOGY_PROTOCOL_VERSION) console.warn(`Flowlens topology: webview protocol ${m.version}, host ${TOPOLOGY_PROTOCOL_VERSION}`);
      this.ready = true;
      this.post({ kind: 'init', version: TOPOLOGY_PROTOCOL_VERSION, dataset: this.deps.datasetName(), state: this.restoreState });
      if (this.pendingRule) this.post({ kind: 'notify', event: 'showRule', rule: this.pendingRule });
      this.pendingRule = undefined;
      return;
    }
    if (m.kind === 'state') {
      this.restoreState = m.state;
      // remembered for the next "Open topology" in this workspace, with the newest 1,000 node positions
      // (so a map opened again is laid out as it was; the webview keeps up to 3,000 in its own state)
      const { positions, ...small } = m.state;
      const kept = positions ? Object.entries(positions).slice(-1000) : [];
      void this.context.workspaceState.update(LAST_STATE_KEY, kept.length ? { ...small, positions: Object.fromEntries(kept) } : small);
      return;
    }
    if (!this.ready) return;
    this.post(await this.session.answer(m));
  }

  showRule(rule: ShownRule): void {
    if (this.ready) this.post({ kind: 'notify', event: 'showRule', rule });
    else this.pendingRule = rule;
  }

  datasetChanged(): void {
    this.session.reset();
    if (this.ready) this.post({ kind: 'notify', event: 'datasetChanged', dataset: this.deps.datasetName() });
  }
}

async function saveExport(format: 'svg' | 'png', data: string): Promise<string | null> {
  const target = await vscode.window.showSaveDialog({
    filters: format === 'svg' ? { 'SVG image': ['svg'] } : { 'PNG image': ['png'] },
    defaultUri: vscode.Uri.file(`topology.${format}`),
    saveLabel: `Export ${format.toUpperCase()}`,
  });
  if (!target) return null;
  let bytes: Uint8Array;
  if (format === 'svg') bytes = new TextEncoder().encode(data);
  else {
    const m = /^data:image\/png;base64,([A-Za-z0-9+/=]+)$/.exec(data);
    if (!m) throw new Error('the PNG export is not a base64 PNG data URL');
    bytes = Buffer.from(m[1], 'base64');
  }
  await vscode.workspace.fs.writeFile(target, bytes);
  return target.fsPath;
}

/** The page: default-src 'none'; the script by nonce from crypto; styles and script from the extension only. */
export function topologyHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'topology.js'));
  const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'topology.css'));
  const csp = [
    `default-src 'none'`,
    `img-src ${webview.cspSource} data:`,
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${css}">
<title>Flowlens topology</title>
</head>
<body>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
