/**
 * Runs an enrichment request in the DuckDB process under window.withProgress with a Cancel button that
 * really stops it (the engine's AbortSignal plus DuckDB's interrupt), then reports what happened in a
 * notification and the `Flowlens` output channel. The dataset is summarised again afterwards (which also proves
 * it is still readable), except a new one that read no records: that one is removed and never made active.
 */
import * as vscode from 'vscode';
import type { DatasetTarget } from './enrichWizard';
import type { SampleSource } from '../protocol/enrich';
import type { AthenaTableRequest, DiscoverRequest, DiscoverResult, EnrichProgress, EnrichRequest, EnrichResult } from '../protocol/worker';
import { doubleLogged, emptyMessage, emptyReasons, fileLines, ProgressMeter, refreshMessage } from './enrichReport';
import { acquireNotification, CREATE_TABLE, perAccountLines, ssoLoginHint, tableMissingMessage, tableToCreate, type AwsEnrichResult } from './acquirePlan';
import type { Datasets } from './datasets';
import { WorkerRequestError, type WorkerClient } from './workerClient';
import { DEFAULT_MEMORY_LIMIT, memoryHint } from '../core/memory';
import { readSettings } from './settings';
import { plural } from '../shared/numbers';

export interface EnrichOutcome {
  path: string;
  /** 'empty': it ran, but read no flow records. */
  status: 'done' | 'empty' | 'cancelled' | 'failed';
  result?: EnrichResult;
  error?: string;
}

/** What to run and where: the engine's options, into a new dataset or appended to one. */
export interface EnrichRun {
  request: EnrichRequest;
  dataset: DatasetTarget;
}

/** How the progress title names the source. */
export function sourceLabel(r: EnrichRequest): string {
  const s = r.source;
  if (s.kind === 'sample') return 'the sample estate';
  if (s.kind === 'files') return s.flowLogs.join(', ');
  return `profile ${Array.isArray(s.profile) ? s.profile.join(', ') : (s.profile ?? 'default')}`;
}

/** Asks for an MFA code in the editor: masked, kept open when focus moves, never logged. */
export async function askMfaCode(serial: string, token?: vscode.CancellationToken): Promise<string | undefined> {
  const code = await vscode.window.showInputBox(
    {
      title: 'Flowlens: MFA code',
      prompt: `MFA code for ${serial}`,
      password: true,
      ignoreFocusOut: true,
      validateInput: (v) => (/^\d{6}$/.test(v.trim()) ? undefined : 'an MFA code is 6 digits'),
    },
    token,
  );
  return code?.trim() || undefined;
}

/**
 * The worker's `discover` under a cancellable progress notification (the wizard's flow-log step waits for it);
 * MFA codes are asked like acquire's. Cancelling rejects, which the wizard shows as a problem.
 */
export function discoverInEditor(req: DiscoverRequest, worker: () => WorkerClient, out: vscode.OutputChannel): Promise<DiscoverResult> {
  return Promise.resolve(
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Flowlens: listing flow logs in ${req.accounts?.length ? plural(req.accounts.length, 'account') : `profile ${req.profile ?? 'default'}`} × ${plural(req.regions.length, 'region')}`, cancellable: true },
      async (_progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        try {
          const r = await worker().request('discover', req, { signal: ac.signal, onMfa: mfaAsker(out, token) });
          out.appendLine(`[${new Date().toISOString()}] discovery: ${plural(r.flowLogs.length, 'flow log')} in ${plural(r.accounts.length, 'account')}`);
          for (const i of r.issues) out.appendLine(`  ! ${[i.api, i.account && `account ${i.account}`, i.region].filter(Boolean).join(' ')}: ${i.code}: ${i.message}`);
          return r;
        } finally {
          sub.dispose();
        }
      },
    ),
  );
}

/**
 * The sample estate's size: the engine's defaults, or FLOWLENS_SAMPLE (JSON, e.g. {"days":2}) so the
 * end-to-end tests can use a smaller estate.
 */
export function sampleOption(): Omit<SampleSource, 'kind'> {
  const raw = process.env.FLOWLENS_SAMPLE;
  if (!raw) return {};
  try {
    const o = JSON.parse(raw) as { seed?: unknown; days?: unknown; scale?: unknown };
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
    return Object.fromEntries(Object.entries({ seed: num(o.seed), days: num(o.days), scale: num(o.scale) }).filter(([, v]) => v !== undefined));
  } catch {
    return {};
  }
}

/** Asks the user for MFA codes the run needs (the progress notification's token cancels the question). */
function mfaAsker(out: vscode.OutputChannel, token: vscode.CancellationToken): (serial: string) => Promise<string | undefined> {
  return (serial) => {
    out.appendLine(`  asking for the MFA code of ${serial}`);
    return askMfaCode(serial, token);
  };
}

/** A new dataset that read no flow records is removed, and no dataset is made active (emptyReasons says why). */
export async function runEnrichment(
  run: EnrichRun,
  datasets: Datasets,
  worker: () => WorkerClient,
  out: vscode.OutputChannel,
  opts: { refresh?: boolean; onCreateTable?: (t: AthenaTableRequest) => void } = {},
): Promise<EnrichOutcome> {
  const path = run.dataset.mode === 'new' ? datasets.pathFor(run.dataset.name) : run.dataset.path;
  const label = sourceLabel(run.request);
  out.appendLine(`[${new Date().toISOString()}] enrich ${label} into ${path}`);
  const outcome = await datasets.hold(() => Promise.resolve(runInProgress(run, path, label, datasets, worker, out)));
  if (outcome.status === 'empty' && run.dataset.mode === 'new') {
    await datasets.delete(path).catch((err: unknown) => out.appendLine(`  could not remove ${path}: ${err instanceof Error ? err.message : String(err)}`));
  } else {
    if (outcome.status === 'done') await datasets.setActive(path);
    try {
      const info = await datasets.refreshInfo(path);
      out.appendLine(`  dataset: ${plural(info.conversations, 'conversation')}, ${plural(info.flowRecords, 'flow record')}, accounts ${info.accounts.join(', ') || '-'}`);
    } catch (err) {
      out.appendLine(`  could not summarise the dataset: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  // no Athena table yet: the finished notification offers to create it (the DDL shown, then asked)
  const table = outcome.result?.aws && opts.onCreateTable ? tableToCreate(outcome.result as AwsEnrichResult, run.request) : undefined;
  const offer = table
    ? { label: CREATE_TABLE, run: () => opts.onCreateTable!(table), empty: tableMissingMessage(table, outcome.result as AwsEnrichResult, run.dataset.mode === 'new') }
    : undefined;
  report(outcome, run.dataset, out, opts.refresh ?? false, offer);
  return outcome;
}

/** The enrichment in the DuckDB process under a cancellable progress notification. */
function runInProgress(run: EnrichRun, path: string, label: string, datasets: Datasets, worker: () => WorkerClient, out: vscode.OutputChannel): Thenable<EnrichOutcome> {
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Flowlens: enriching ${label}`, cancellable: true },
    async (progress, token): Promise<EnrichOutcome> => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => {
        out.appendLine('  cancel requested');
        ac.abort();
      });
      try {
        // made active once it holds records: an enrichment that reads nothing leaves the active dataset as it was
        await datasets.open(path, { activate: false });
        const meter = new ProgressMeter();
        const onProgress = (p: EnrichProgress) => {
          const v = meter.update(p);
          progress.report({ message: v.message, increment: v.increment });
          if (v.log) out.appendLine(`  ${v.log}`);
        };
        // this dataset, whatever was opened since (a background summary, a view of the active dataset)
        const result = await worker().request('enrich', { ...run.request, dataset: datasets.openParams(path) }, { signal: ac.signal, onProgress, onMfa: mfaAsker(out, token) });
        return { path, status: result.records > 0 ? 'done' : 'empty', result };
      } catch (err) {
        const cancelled = ac.signal.aborted || (err instanceof WorkerRequestError && err.code === 'cancelled');
        return { path, status: cancelled ? 'cancelled' : 'failed', error: err instanceof Error ? err.message : String(err) };
      } finally {
        sub.dispose();
      }
    },
  );
}

/** The finished toast's actions: the map and a notebook on the dataset just made, or the log. */
const OPEN_TOPOLOGY = 'Open topology';
const OPEN_NOTEBOOK = 'Open notebook';
const SHOW_DETAILS = 'Show details';

/** A notification's own action, offered before the others (e.g. "Create the Athena table…"). */
interface Offer {
  label: string;
  run: () => void;
  /** What the notification says instead when nothing was read (short: AWS's words are in the log). */
  empty?: string;
}

function finished(text: string, warn: boolean, path: string, out: vscode.OutputChannel, offer?: Offer): void {
  const show = warn ? vscode.window.showWarningMessage : vscode.window.showInformationMessage;
  void show(text, ...(offer ? [offer.label] : []), OPEN_TOPOLOGY, OPEN_NOTEBOOK, SHOW_DETAILS).then((c) => {
    if (offer && c === offer.label) offer.run();
    else if (c === OPEN_TOPOLOGY) void vscode.commands.executeCommand('flowlens.dataset.openTopology', { entry: { path } });
    else if (c === OPEN_NOTEBOOK) void vscode.commands.executeCommand('flowlens.dataset.openNotebook', { entry: { path } });
    else if (c === SHOW_DETAILS) out.show();
  });
}

function report(o: EnrichOutcome, target: DatasetTarget, out: vscode.OutputChannel, refresh: boolean, offer?: Offer): void {
  const name = o.path.replace(/^.*[\\/]/, '').replace(/\.duckdb$/, '');
  if ((o.status === 'done' || o.status === 'empty') && o.result?.aws) {
    const r = o.result as AwsEnrichResult;
    for (const line of r.aws.text.split('\n')) out.appendLine(`  ${line}`);
    for (const line of perAccountLines(r)) out.appendLine(line);
    if (o.status === 'empty' && !refresh) emptyLog(r, target, out);
    for (const w of r.warnings ?? []) out.appendLine(`  flow logs: ${w}`);
    out.appendLine(`  ${plural(r.conversations, 'conversation')} after the rebuild`);
    const sso = ssoLoginHint(r);
    if (sso) void vscode.window.showErrorMessage(`Flowlens: ${sso}`, SHOW_DETAILS).then((c) => c && out.show());
    if (o.status === 'empty' && !refresh) {
      void vscode.window.showWarningMessage(offer?.empty ?? emptyMessage(r, target.mode === 'new'), ...(offer ? [offer.label] : []), SHOW_DETAILS).then((c) => {
        if (offer && c === offer.label) offer.run();
        else if (c) out.show();
      });
      return;
    }
    const n = acquireNotification(r);
    finished((refresh ? refreshMessage(name, r) : n.text) + doubleLogged(r), n.warn || !!r.warnings?.length, o.path, out, offer);
    return;
  }
  if ((o.status === 'done' || o.status === 'empty') && o.result) {
    const r = o.result;
    for (const line of fileLines(r.files)) out.appendLine(line);
    for (const w of r.inventoryWarnings.slice(0, 20)) out.appendLine(`  inventory: ${w}`);
    if (r.inventoryWarnings.length > 20) out.appendLine(`  … and ${r.inventoryWarnings.length - 20} more inventory warnings`);
    for (const w of r.warnings ?? []) out.appendLine(`  flow logs: ${w}`);
    const failed = r.files.filter((f) => f.status === 'failed').length;
    if (o.status === 'empty' && !refresh) emptyLog(r, target, out);
    out.appendLine(`  done in ${r.seconds.toFixed(1)} s: ${plural(r.records, 'record')}, ${plural(r.conversations, 'conversation')}`);
    if (o.status === 'empty' && !refresh) {
      void vscode.window.showWarningMessage(emptyMessage(r, target.mode === 'new'), SHOW_DETAILS).then((c) => c && out.show());
      return;
    }
    const msg = refresh
      ? refreshMessage(name, r)
      : `Flowlens: enriched ${r.records.toLocaleString('en-US')} records into ${r.conversations.toLocaleString('en-US')} conversations${failed ? `; ${plural(failed, 'file')} failed` : ''}.`;
    finished(msg + doubleLogged(r), failed > 0 || !!r.warnings?.length, o.path, out);
  } else if (o.status === 'cancelled') {
    out.appendLine('  cancelled; the dataset keeps what was committed before');
    void vscode.window.showWarningMessage('Flowlens: enrichment cancelled. The dataset keeps what was loaded before.', SHOW_DETAILS).then((c) => c && out.show());
  } else {
    const error = memoryHint(o.error ?? 'unknown error', `raise the flowlens.memoryLimit setting (it is ${readSettings().memoryLimit || DEFAULT_MEMORY_LIMIT})`);
    out.appendLine(`  failed: ${error}`);
    void vscode.window.showErrorMessage(`Flowlens: enrichment failed: ${error}`, SHOW_DETAILS).then((c) => c && out.show());
  }
}

/** Logged before the "done in" line that ends every enrichment's report (what the end-to-end tests wait for). */
function emptyLog(r: EnrichResult, target: DatasetTarget, out: vscode.OutputChannel): void {
  const created = target.mode === 'new';
  out.appendLine(`  no flow records were read: ${created ? 'the new dataset was removed' : 'the dataset is unchanged'}; the active dataset is unchanged`);
  for (const why of emptyReasons(r, 10)) out.appendLine(`  why: ${why}`);
}
