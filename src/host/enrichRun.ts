/**
 * Runs an enrichment plan in the DuckDB process under window.withProgress with a Cancel button that
 * really stops it (the engine's AbortSignal plus DuckDB's interrupt), then reports what happened in a
 * notification and the `Flowlens` output channel. The dataset is summarised again afterwards either way,
 * which also proves it is still readable.
 */
import * as vscode from 'vscode';
import type { EnrichPlan } from './enrichWizard';
import type { EnrichRequest, EnrichResult } from '../protocol/worker';
import type { Datasets } from './datasets';
import { WorkerRequestError, type WorkerClient } from './workerClient';

export interface EnrichOutcome {
  path: string;
  status: 'done' | 'cancelled' | 'failed';
  result?: EnrichResult;
  error?: string;
}

function requestFor(plan: EnrichPlan): EnrichRequest {
  switch (plan.source) {
    case 'sample':
      return { sample: sampleOption() };
    case 'folder':
      return { flowLogs: [plan.folder], inventory: plan.folder };
    case 'aws':
      throw new Error(
        'fetching from AWS is not wired into this build yet: use a folder of downloaded flow logs and inventory, or the sample estate',
      );
  }
}

/**
 * The sample estate's options: the engine's defaults, or FLOWLENS_SAMPLE (JSON, e.g. {"days":2}) so the
 * end-to-end tests can use a smaller estate.
 */
function sampleOption(): EnrichRequest['sample'] {
  const raw = process.env.FLOWLENS_SAMPLE;
  if (!raw) return true;
  try {
    const o = JSON.parse(raw) as { seed?: unknown; days?: unknown; scale?: unknown };
    const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);
    return { seed: num(o.seed), days: num(o.days), scale: num(o.scale) };
  } catch {
    return true;
  }
}

export async function runEnrichPlan(
  plan: EnrichPlan,
  datasets: Datasets,
  worker: () => WorkerClient,
  out: vscode.OutputChannel,
): Promise<EnrichOutcome> {
  const path = plan.dataset.mode === 'new' ? datasets.pathFor(plan.dataset.name) : plan.dataset.path;
  const label = plan.source === 'sample' ? 'the sample estate' : plan.source === 'folder' ? plan.folder : `profile ${plan.profile}`;
  out.appendLine(`[${new Date().toISOString()}] enrich ${label} into ${path}`);
  const outcome = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Flowlens: enriching ${label}`, cancellable: true },
    async (progress, token): Promise<EnrichOutcome> => {
      const ac = new AbortController();
      const sub = token.onCancellationRequested(() => {
        out.appendLine('  cancel requested');
        ac.abort();
      });
      try {
        const req = requestFor(plan);
        await datasets.open(path);
        let last = 0;
        const result = await worker().request('enrich', req, {
          signal: ac.signal,
          onProgress: (p) => {
            const pct = p.total ? Math.floor(((p.done ?? 0) / p.total) * 100) : undefined;
            const increment = pct !== undefined && pct > last ? pct - last : undefined;
            if (pct !== undefined) last = Math.max(last, pct);
            progress.report({ message: `${p.phase}: ${p.message}`, increment });
            out.appendLine(`  ${p.phase}: ${p.message}`);
          },
        });
        return { path, status: 'done', result };
      } catch (err) {
        const cancelled = ac.signal.aborted || (err instanceof WorkerRequestError && err.code === 'cancelled');
        return { path, status: cancelled ? 'cancelled' : 'failed', error: err instanceof Error ? err.message : String(err) };
      } finally {
        sub.dispose();
      }
    },
  );
  try {
    const info = await datasets.refreshInfo(path);
    out.appendLine(`  dataset: ${info.conversations} conversations, ${info.flowRecords} flow records, accounts ${info.accounts.join(', ') || '-'}`);
  } catch (err) {
    out.appendLine(`  could not summarise the dataset: ${err instanceof Error ? err.message : String(err)}`);
  }
  report(outcome, out);
  return outcome;
}

function report(o: EnrichOutcome, out: vscode.OutputChannel): void {
  if (o.status === 'done' && o.result) {
    const r = o.result;
    for (const f of r.files) out.appendLine(`  ${f.status}: ${f.name} (${f.records} records${f.badLines ? `, ${f.badLines} bad lines` : ''})${f.error ? ` — ${f.error}` : ''}`);
    for (const w of r.inventoryWarnings) out.appendLine(`  inventory: ${w}`);
    const failed = r.files.filter((f) => f.status === 'failed').length;
    out.appendLine(`  done in ${r.seconds.toFixed(1)} s: ${r.records} records, ${r.conversations} conversations`);
    const msg = `Flowlens: enriched ${r.records.toLocaleString('en-US')} records into ${r.conversations.toLocaleString('en-US')} conversations${failed ? `; ${failed} file(s) failed` : ''}.`;
    void (failed ? vscode.window.showWarningMessage(msg, 'Show details') : vscode.window.showInformationMessage(msg, 'Show details')).then((c) => c && out.show());
  } else if (o.status === 'cancelled') {
    out.appendLine('  cancelled; the dataset keeps what was committed before');
    void vscode.window.showWarningMessage('Flowlens: enrichment cancelled. The dataset keeps what was loaded before.', 'Show details').then((c) => c && out.show());
  } else {
    out.appendLine(`  failed: ${o.error}`);
    void vscode.window.showErrorMessage(`Flowlens: enrichment failed: ${o.error}`, 'Show details').then((c) => c && out.show());
  }
}
