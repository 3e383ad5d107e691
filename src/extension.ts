/**
 * The composition root. Activation only registers things: the DuckDB process starts on the first query or
 * enrichment, the AWS SDK loads when the wizard needs profiles, and nothing prompts.
 */
import * as vscode from 'vscode';
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { QueryTemplate } from './core/api';
import { formatCycle, formatScan } from './core/format';
import { WorkerClient } from './host/workerClient';
import { Datasets } from './host/datasets';
import { DatasetsTree, TemplatesTree } from './host/sidebar';
import { CELL_LANGUAGE, FlowsqlController, FlowsqlSerializer, NOTEBOOK_TYPE, templateCells } from './host/notebook';
import { registerSqlCompletion } from './host/sqlCompletionProvider';
import { EnrichWizard, type WizardAnswers, type ProfileChoice } from './host/enrichWizard';
import { runWizard } from './host/wizardUi';
import { askMfaCode, discoverInEditor, runEnrichment, sampleOption, type EnrichOutcome, type EnrichRun } from './host/enrichRun';
import { offerAthenaTable } from './host/athenaTableOffer';
import { allowScan, discoveryThroughWorker, RUN_QUERY, scanConfirmation, type AwsEnrichResult } from './host/acquirePlan';
import { readSettings, snippetFolders } from './host/settings';
import { parseCellParams } from './host/cellParams';
import { ENRICH_SAMPLE_COMMAND, registerTopology, topologyDepsFor } from './host/topology';
import { SECURITY_GROUPS_VIEW, SHOW_RULE_COMMAND, SecurityGroupsTree, ruleOfArgument } from './host/securityGroups';
import { followRequest, parseStoredRequest, refreshRequest, requestAsRead, requestFor, storableRequest } from './host/planRequest';
import { Followers } from './host/followers';
import { forgetLoadedFiles } from './host/forgetFiles';
import type { EnrichRequest } from './protocol/enrich';
import type { AthenaTableRequest } from './protocol/worker';
import { plural } from './shared/numbers';

const WIZARD_KEY = 'flowlens.wizardAnswers';
const PLANS_KEY = 'flowlens.datasetPlans';

let worker: WorkerClient | undefined;

export function activate(context: vscode.ExtensionContext): { ready: number } {
  const t0 = performance.now();
  const out = vscode.window.createOutputChannel('Flowlens');
  const getWorker = (): WorkerClient => {
    if (!worker) {
      worker = new WorkerClient({ workerPath: context.asAbsolutePath('dist/duckdbWorker.js'), log: (l) => out.appendLine(`[duckdb] ${l}`) });
      worker.onCrash((e) => {
        out.appendLine(e.message);
        void vscode.window.showErrorMessage(`Flowlens: ${e.message}. It starts again with the next query.`);
      });
    }
    return worker;
  };
  const datasets = new Datasets(context, getWorker);
  const loadTemplates = (): QueryTemplate[] => {
    const { listTemplates } = require('./core/templates/index') as typeof import('./core/templates/index');
    const problems: string[] = [];
    const templates = listTemplates(snippetFolders(), problems);
    // a skipped snippet is said in the log by path; a workspace without a snippets folder is normal
    for (const p of problems) if (!p.endsWith(': no such snippets folder')) out.appendLine(`snippet ${p}`);
    return templates;
  };
  const followers = new Followers(datasets, getWorker, out, (serial) => askMfaCode(serial));
  // datasets made by the CLI are summarised without asking, but never while one is followed (the DuckDB process holds it)
  const summarise = () => datasets.summariseMissing(() => !!followers.following, (l) => out.appendLine(l));
  const datasetsTree = new DatasetsTree(datasets, followers, summarise);
  datasets.watch(() => !!followers.following, (l) => out.appendLine(l));
  const templatesTree = new TemplatesTree(loadTemplates);

  const status = vscode.window.createStatusBarItem('flowlens.dataset', vscode.StatusBarAlignment.Left, 10);
  status.name = 'Flowlens dataset';
  status.command = 'flowlens.selectDataset';
  const updateStatus = () => {
    const active = datasets.active;
    const name = active ? active.replace(/^.*[\\/]/, '').replace(/\.duckdb$/, '') : undefined;
    status.text = `$(database) ${name ?? 'no dataset'}`;
    status.tooltip = active ? `Flowlens: active dataset ${active}` : 'Flowlens: no dataset yet — run "Flowlens: Enrich flow logs"';
    status.show();
  };
  datasets.onDidChange(updateStatus);
  updateStatus();

  // While a dataset is followed: what the last cycle did; a click stops following.
  const followStatus = vscode.window.createStatusBarItem('flowlens.follow', vscode.StatusBarAlignment.Left, 9);
  followStatus.name = 'Flowlens follow';
  followStatus.command = 'flowlens.dataset.unfollow';
  const updateFollowStatus = () => {
    const f = followers.following;
    void vscode.commands.executeCommand('setContext', 'flowlens.following', !!f);
    if (!f) {
      followStatus.hide();
      return;
    }
    const name = f.path.replace(/^.*[\\/]/, '').replace(/\.duckdb$/, '');
    const c = f.last;
    followStatus.text = `$(eye) following ${name}${c?.busy || c?.failed ? ' $(warning)' : ''}`;
    followStatus.tooltip = `Flowlens: following ${f.path}` + (c ? `\nlast cycle: ${formatCycle(c)}` : '') + '\nClick to stop following.';
    followStatus.show();
  };
  followers.onDidChange(updateFollowStatus);
  // an append changes what the dataset holds: its facts in the sidebar, and the topology re-queries
  followers.onDidAppend(({ path }) => {
    datasets.refreshInfo(path).catch((err: unknown) => out.appendLine(`could not summarise ${path}: ${err instanceof Error ? err.message : String(err)}`));
  });

  const controller = new FlowsqlController(getWorker, datasets, (l) => out.appendLine(l));
  const topologyDeps = topologyDepsFor(getWorker, datasets, followers.onDidAppend);
  const topology = registerTopology(context, topologyDeps);
  // the active dataset's security groups and their rules' usage, read by the engine in the DuckDB process
  const securityGroupsTree = new SecurityGroupsTree(async () => {
    const { securityGroupUsage } = require('./core/secgroups/groupUsage') as typeof import('./core/secgroups/groupUsage');
    if (!datasets.active) throw new Error('no dataset yet: run "Flowlens: Enrich flow logs" first');
    return securityGroupUsage(topologyDeps.query);
  });
  const securityGroupsView = vscode.window.createTreeView(SECURITY_GROUPS_VIEW, { treeDataProvider: securityGroupsTree, showCollapseAll: true });
  securityGroupsTree.view = securityGroupsView;
  topologyDeps.onDidChangeDataset?.(() => securityGroupsTree.refresh());

  const pickTemplate = async (placeholder: string): Promise<QueryTemplate | undefined> => {
    const all = loadTemplates();
    const chosen = await vscode.window.showQuickPick(
      all.map((t) => ({ label: t.title, description: t.id, detail: t.description, t })),
      { placeHolder: placeholder, matchOnDescription: true, matchOnDetail: true },
    );
    return chosen?.t;
  };

  const openNotebook = async (cells: vscode.NotebookCellData[]): Promise<vscode.NotebookEditor> => {
    const doc = await vscode.workspace.openNotebookDocument(NOTEBOOK_TYPE, new vscode.NotebookData(cells));
    return vscode.window.showNotebookDocument(doc);
  };

  const openTemplate = async (idOrTemplate?: string | QueryTemplate, run = false) => {
    const t =
      typeof idOrTemplate === 'object'
        ? idOrTemplate
        : idOrTemplate
          ? loadTemplates().find((x) => x.id === idOrTemplate)
          : await pickTemplate('Open which query template in a notebook?');
    if (!t) return;
    const editor = await openNotebook(templateCells(t));
    if (run) {
      await vscode.commands.executeCommand('notebook.cell.execute', { ranges: [{ start: 1, end: 2 }], document: editor.notebook.uri });
    }
  };

  const listProfiles = async (): Promise<ProfileChoice[]> => {
    const { listProfiles: list } = require('./core/aws/profiles') as typeof import('./core/aws/profiles');
    return (await list()).map((p) => ({ name: p.name, kind: p.kind, region: p.region, mfa: p.mfa, problems: p.problems }));
  };

  /**
   * Runs an enrichment; an Athena query held back by its estimated scan runs when the user says so, the estimate in
   * sight; an Athena table that does not exist is offered to be created (the DDL shown, then asked), and read again.
   */
  const runAskingScan = async (run: EnrichRun, opts: { refresh?: boolean } = {}, after: (o: EnrichOutcome) => Promise<void> = async () => {}): Promise<EnrichOutcome> => {
    // the same request again once the table is made, followed by what this run is followed by (remembering it)
    const onCreateTable = (t: AthenaTableRequest) => void offerAthenaTable(t, getWorker, out, () => runAskingScan(run, opts, after));
    let outcome = await runEnrichment(run, datasets, getWorker, out, { ...opts, onCreateTable });
    const ask = outcome.result?.aws ? scanConfirmation(outcome.result as AwsEnrichResult) : undefined;
    if (ask && (await vscode.window.showWarningMessage(ask.message, { modal: true }, RUN_QUERY)) === RUN_QUERY) {
      outcome = await runEnrichment({ ...run, request: allowScan(run.request, ask.allowBytes) }, datasets, getWorker, out, opts);
    }
    await after(outcome);
    return outcome;
  };

  /** The remembered request that made each dataset (no secrets), for Refresh and Follow. */
  const storedRequest = (path: string): EnrichRequest | undefined => parseStoredRequest(context.globalState.get<Record<string, unknown>>(PLANS_KEY, {})[path]);
  const rememberRequest = async (path: string, request: EnrichRequest) => {
    const plans = context.globalState.get<Record<string, unknown>>(PLANS_KEY, {});
    await context.globalState.update(PLANS_KEY, { ...plans, [path]: storableRequest(request) });
  };
  // a followed AWS dataset's window ends where its last complete cycle began: Refresh goes on from there
  followers.onDidChange(() => {
    const f = followers.following;
    const stored = f && storedRequest(f.path);
    if (f?.last && !f.last.busy && f.last.failed === 0 && stored?.source.kind === 'aws') {
      void rememberRequest(f.path, { source: { ...stored.source, until: f.last.at } });
    }
  });

  context.subscriptions.push(
    out,
    datasets,
    status,
    followStatus,
    followers,
    controller,
    registerSqlCompletion(getWorker, datasets),
    { dispose: () => void worker?.dispose() },
    vscode.workspace.registerNotebookSerializer(NOTEBOOK_TYPE, new FlowsqlSerializer(), { transientOutputs: true }),
    vscode.window.registerTreeDataProvider('flowlens.datasets', datasetsTree),
    vscode.window.registerTreeDataProvider('flowlens.templates', templatesTree),
    securityGroupsView,
    vscode.commands.registerCommand('flowlens.securityGroups.refresh', () => securityGroupsTree.refresh()),
    vscode.commands.registerCommand(SHOW_RULE_COMMAND, (arg?: unknown) => {
      const rule = ruleOfArgument(arg);
      if (rule) topology.showRule(rule);
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('flowlens')) {
        datasets.watch(() => !!followers.following, (l) => out.appendLine(l));
        datasets.fire();
        templatesTree.refresh();
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => templatesTree.refresh()),
    // Opening a Flowlens notebook starts the DuckDB process in the background, so the first cell runs sooner.
    vscode.workspace.onDidOpenNotebookDocument((nb) => {
      if (nb.notebookType === NOTEBOOK_TYPE && datasets.active) {
        datasets.ensureActiveOpen().catch((err: unknown) => out.appendLine(`could not open the dataset: ${err instanceof Error ? err.message : String(err)}`));
      }
    }),

    vscode.commands.registerCommand('flowlens.enrich', async () => {
      const s = readSettings();
      const remembered = context.globalState.get<WizardAnswers>(WIZARD_KEY, {});
      const wizard = new EnrichWizard(
        {
          listProfiles,
          // DescribeFlowLogs per account and region in the worker; the step lists each flow log and each failure.
          discoverFlowLogs: discoveryThroughWorker((req) => discoverInEditor(req, getWorker, out)),
          listDatasets: async () => datasets.list().map((d) => ({ name: d.name, path: d.path, detail: d.info ? plural(d.info.conversations, 'conversation') : undefined })),
          regions: undefined,
          // what the folder holds, told by the engine's detection in the DuckDB process (no dataset needed)
          scanFolder: (folder) =>
            Promise.resolve(
              vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: `Flowlens: looking at ${folder}` }, async () => {
                const scan = await getWorker().request('scan', { paths: [folder] });
                out.appendLine(`[${new Date().toISOString()}] ${folder}: ${formatScan(scan)}`);
                return { flowLogs: scan.flowLogs, inventory: scan.inventory, summary: formatScan(scan), ...(scan.needFormat ? { needFormat: scan.needFormat } : {}) };
              }),
            ),
          workspaceFolder: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
        },
        {
          profile: s.defaultProfile || undefined,
          roleName: s.roleName || undefined,
          regions: s.regions.length ? s.regions : undefined,
          window: s.window,
          ...remembered,
          externalId: s.externalId || undefined,
        },
      );
      if (!(await runWizard(wizard))) return;
      await context.globalState.update(WIZARD_KEY, wizard.remembered());
      const plan = wizard.plan();
      const request = requestFor(plan, {
        ipRanges: vscode.workspace.getConfiguration('flowlens').get<boolean>('ipRanges', false), sample: sampleOption(), athena: s.athena,
      });
      // remembered (without secrets) so that the dataset's Refresh and Follow can run it again over the time since
      // (to where an Athena source's window really ended: its last minutes were still being delivered)
      const outcome = await runAskingScan({ request, dataset: plan.dataset }, {}, async (o) => {
        if (o.status === 'done') await rememberRequest(o.path, requestAsRead(request, o.result?.aws?.summary));
      });
      return outcome.status;
    }),
    vscode.commands.registerCommand(ENRICH_SAMPLE_COMMAND, async () => {
      // the wizard's sample path with its defaults: a new dataset named sample (sample-2, ... when taken)
      const taken = new Set(datasets.list().map((d) => d.name));
      let name = 'sample';
      for (let k = 2; taken.has(name); k++) name = `sample-${k}`;
      const plan = { source: 'sample' as const, dataset: { mode: 'new' as const, name } };
      const request = requestFor(plan, { ipRanges: vscode.workspace.getConfiguration('flowlens').get<boolean>('ipRanges', false), sample: sampleOption() });
      const outcome = await runEnrichment({ request, dataset: plan.dataset }, datasets, getWorker, out);
      if (outcome.status === 'done') await rememberRequest(outcome.path, request);
      return outcome.status;
    }),
    vscode.commands.registerCommand('flowlens.selectDataset', async (path?: string) => {
      if (!path) {
        const list = datasets.list();
        if (list.length === 0) {
          void vscode.window.showInformationMessage('Flowlens: no dataset yet. Run "Flowlens: Enrich flow logs" (the sample estate needs no AWS account).');
          return;
        }
        const chosen = await vscode.window.showQuickPick(
          list.map((d) => ({ label: d.name, description: d.path === datasets.active ? 'active' : undefined, detail: d.path, path: d.path })),
          { placeHolder: 'Which dataset do notebooks and the topology use?' },
        );
        path = chosen?.path;
      }
      if (path) await datasets.open(path);
    }),
    vscode.commands.registerCommand('flowlens.newNotebookFromTemplate', () => openTemplate()),
    vscode.commands.registerCommand('flowlens.openTemplate', (id?: string) => openTemplate(id)),
    vscode.commands.registerCommand('flowlens.runSavedQuery', async () => {
      const t = await pickTemplate('Run which saved query (template or snippet)?');
      if (t) await openTemplate(t, true);
    }),
    vscode.commands.registerCommand('flowlens.newNotebook', () =>
      openNotebook([
        new vscode.NotebookCellData(vscode.NotebookCellKind.Code, 'SELECT client_node, server_node, sum(uploaded + downloaded) AS bytes\nFROM conversations\nGROUP BY ALL\nORDER BY bytes DESC\nLIMIT 20', CELL_LANGUAGE),
      ]),
    ),
    vscode.commands.registerCommand('flowlens.saveSnippet', async (cell?: vscode.NotebookCell) => {
      const editor = vscode.window.activeNotebookEditor;
      const target = cell ?? (editor ? editor.notebook.cellAt(editor.selection.start) : undefined);
      if (!target || target.kind !== vscode.NotebookCellKind.Code) {
        void vscode.window.showWarningMessage('Flowlens: select a SQL cell to save as a snippet.');
        return;
      }
      const folder = snippetFolders()[0];
      if (!folder) {
        void vscode.window.showWarningMessage('Flowlens: snippets are saved in a trusted workspace folder (setting flowlens.snippetsFolder).');
        return;
      }
      const title = await vscode.window.showInputBox({ prompt: 'Title of the snippet', ignoreFocusOut: true, validateInput: (v) => (v.trim() ? undefined : 'a title is needed') });
      if (!title) return;
      const id = title.trim().toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'snippet';
      const sql = target.document.getText();
      parseCellParams(sql); // refuses malformed parameter lines before writing
      mkdirSync(folder, { recursive: true });
      const file = join(folder, `${id}.sql`);
      if (existsSync(file) && (await vscode.window.showWarningMessage(`${file} exists. Replace it?`, { modal: true }, 'Replace')) !== 'Replace') return;
      writeFileSync(file, `-- title: ${title.trim()}\n-- description: saved from a Flowlens notebook\n${sql.trim()}\n`);
      templatesTree.refresh();
      void vscode.window.showInformationMessage(`Flowlens: saved ${file}`);
    }),
    vscode.commands.registerCommand('flowlens.dataset.refresh', async (node?: { entry?: { path: string } }) => {
      const path = node?.entry?.path ?? datasets.active;
      if (!path) return;
      // Refresh the window: the request that made the dataset, again, from its last window's end to now.
      const stored = storedRequest(path);
      if (stored && !followers.isFollowing(path)) {
        const s = readSettings();
        // an Athena source asks above today's flowlens.athena.confirmScanAbove, as the wizard does
        const request = allowScan(refreshRequest(stored, new Date(), s.externalId || undefined), s.athena.maxScanBytes);
        const outcome = await runAskingScan({ request, dataset: { mode: 'append', path } }, { refresh: true }, async (o) => {
          // (to where every source read: an Athena table that did not read the window has it asked for again)
          if ((o.status === 'done' || o.status === 'empty') && request.source.kind === 'aws') await rememberRequest(path, requestAsRead(request, o.result?.aws?.summary));
        });
        return outcome.status;
      }
      // made elsewhere (the CLI) or followed: nothing to fetch here, its facts are read again
      const info = await datasets.refreshInfo(path);
      const name = path.replace(/^.*[\\/]/, '').replace(/\.duckdb$/, '');
      const why = followers.isFollowing(path) ? 'it is followed, so new flow logs arrive every cycle' : 'it was not made by "Flowlens: Enrich flow logs" (e.g. by the CLI), so its source is not known';
      void vscode.window.showInformationMessage(`Flowlens: ${name}: nothing fetched (${why}); summarised again: ${plural(info.conversations, 'conversation')}, ${plural(info.flowRecords, 'flow record')}.`);
      return 'summarised';
    }),
    vscode.commands.registerCommand('flowlens.dataset.follow', async (node?: { entry?: { path: string } }) => {
      const path = node?.entry?.path ?? datasets.active;
      if (!path) return;
      const stored = storedRequest(path);
      if (!stored) {
        void vscode.window.showWarningMessage('Flowlens: this dataset was not made by "Flowlens: Enrich flow logs", so its source is not known. Follow it from a terminal: flowlens enrich … --follow.');
        return;
      }
      if (stored.source.kind === 'sample') {
        void vscode.window.showInformationMessage('Flowlens: the sample estate does not grow. Follow a dataset made from a folder or from AWS.');
        return;
      }
      const s = readSettings();
      // runs until stopped (the status bar item, the sidebar, another dataset opened): not awaited
      void followers.start(path, followRequest(stored, new Date(), s.externalId || undefined), s.followInterval * 1000);
    }),
    vscode.commands.registerCommand('flowlens.dataset.unfollow', () => followers.stop()),
    vscode.commands.registerCommand('flowlens.dataset.openNotebook', async (node?: { entry?: { path: string } }) => {
      if (node?.entry) await datasets.open(node.entry.path);
      await vscode.commands.executeCommand('flowlens.newNotebook');
    }),
    vscode.commands.registerCommand('flowlens.dataset.openTopology', async (node?: { entry?: { path: string } }) => {
      if (node?.entry) await datasets.open(node.entry.path);
      const commands = await vscode.commands.getCommands(true);
      if (!commands.includes('flowlens.openTopology')) {
        void vscode.window.showWarningMessage('Flowlens: the topology view is not in this build.');
        return;
      }
      await vscode.commands.executeCommand('flowlens.openTopology', datasets.active);
    }),
    vscode.commands.registerCommand('flowlens.dataset.reveal', async (node?: { entry?: { path: string } }) => {
      const path = node?.entry?.path ?? datasets.active;
      if (path) await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(path));
    }),
    vscode.commands.registerCommand('flowlens.dataset.forget', async (node?: { entry?: { path: string } }) => {
      const path = node?.entry?.path ?? datasets.active;
      if (!path) {
        void vscode.window.showInformationMessage('Flowlens: no dataset yet. Run "Flowlens: Enrich flow logs" first.');
        return;
      }
      return forgetLoadedFiles(path, { datasets, worker: getWorker, out, isFollowing: (p) => followers.isFollowing(p) });
    }),
    vscode.commands.registerCommand('flowlens.dataset.delete', async (node?: { entry?: { path: string; name: string } }) => {
      const e = node?.entry;
      if (!e) return;
      const ok = await vscode.window.showWarningMessage(`Delete dataset ${e.name}? ${e.path} is removed.`, { modal: true }, 'Delete');
      if (ok === 'Delete') await datasets.delete(e.path);
    }),
    vscode.commands.registerCommand('flowlens.showOutput', () => out.show()),
    vscode.commands.registerCommand('flowlens.refreshTemplates', () => templatesTree.refresh()),
  );

  const ready = performance.now() - t0;
  out.appendLine(`activated in ${ready.toFixed(1)} ms`);
  return { ready };
}

export async function deactivate(): Promise<void> {
  await worker?.dispose();
  worker = undefined;
}
