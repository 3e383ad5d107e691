/**
 * The sidebar's "Forget loaded files…" on a dataset: its loaded flow-log files in a multi-select quick pick, a
 * confirmation, then the engine's forget in the DuckDB worker (the same function as `flowlens forget`: the files'
 * records leave, the conversations are made again from the rest, the files can be loaded again), with progress.
 */
import * as vscode from 'vscode';
import type { LoadedFile } from '../protocol/worker';
import { formatBytes } from '../shared/resultShape';
import type { Datasets } from './datasets';
import type { WorkerClient } from './workerClient';
import { plural } from '../shared/numbers';

export type ForgetOutcome = 'forgotten' | 'no-files' | 'dismissed' | 'following' | 'failed';

export interface ForgetPick extends vscode.QuickPickItem {
  name: string;
  records: number;
}


/** A loaded file as a quick-pick row: its file name, its records and size, the folder (bucket, log group) it is in. */
export function forgetPick(f: LoadedFile): ForgetPick {
  const cut = f.name.lastIndexOf('/');
  return {
    label: cut >= 0 && cut < f.name.length - 1 ? f.name.slice(cut + 1) : f.name,
    description: `${plural(f.records, 'record')} · ${formatBytes(f.bytes)}`,
    detail: cut > 0 ? f.name.slice(0, cut) : undefined,
    name: f.name,
    records: f.records,
  };
}

export async function forgetLoadedFiles(
  path: string,
  deps: { datasets: Datasets; worker: () => WorkerClient; out: vscode.OutputChannel; isFollowing: (path: string) => boolean },
): Promise<ForgetOutcome> {
  const name = path.replace(/^.*[\\/]/, '').replace(/\.duckdb$/, '');
  if (deps.isFollowing(path)) {
    void vscode.window.showWarningMessage(`Flowlens: ${name} is being followed, which would load forgotten files again. Stop following it first.`);
    return 'following';
  }
  try {
    await deps.datasets.open(path);
    const { files } = await deps.worker().request('loadedFiles', {});
    if (files.length === 0) {
      void vscode.window.showInformationMessage(`Flowlens: ${name} has no loaded flow-log files.`);
      return 'no-files';
    }
    const picked = await vscode.window.showQuickPick(files.map(forgetPick), {
      title: `Forget loaded files of ${name}`,
      placeHolder: `Which of the ${plural(files.length, 'loaded file')} leave ${name}? (they can be loaded again)`,
      canPickMany: true,
      matchOnDescription: true,
      matchOnDetail: true,
      ignoreFocusOut: true,
    });
    if (!picked || picked.length === 0) return 'dismissed';
    const records = picked.reduce((n, p) => n + p.records, 0);
    const what = picked.length === 1 ? picked[0].label : plural(picked.length, 'file');
    const ok = await vscode.window.showWarningMessage(
      `Forget ${what} from ${name}?`,
      {
        modal: true,
        detail: `${plural(records, 'flow record')} ${records === 1 ? 'leaves' : 'leave'} the dataset and its conversations are made again from the rest. The files themselves are not touched: they can be loaded again.`,
      },
      'Forget',
    );
    if (ok !== 'Forget') return 'dismissed';
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Flowlens: forgetting ${what} from ${name}` },
      (progress) => deps.worker().request('forget', { names: picked.map((p) => p.name), dataset: deps.datasets.openParams(path) }, { onProgress: (p) => progress.report({ message: p.message }) }),
    );
    for (const f of result.files) deps.out.appendLine(`forgot ${f.name}: ${plural(f.records, 'record')}`);
    const forgotten = result.files.reduce((n, f) => n + f.records, 0);
    const message = result.files.length
      ? `Flowlens: forgot ${plural(result.files.length, 'file')} (${plural(forgotten, 'record')}) from ${name}; ${plural(result.conversations ?? 0, 'conversation')} now.`
      : `Flowlens: none of those files was loaded in ${name} any more; nothing changed.`;
    deps.out.appendLine(message.replace(/^Flowlens: /, ''));
    void vscode.window.showInformationMessage(message);
    await deps.datasets.refreshInfo(path);
    return 'forgotten';
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    deps.out.appendLine(`could not forget files of ${name}: ${message}`);
    void vscode.window.showErrorMessage(`Flowlens: could not forget files of ${name}: ${message}`);
    return 'failed';
  }
}
