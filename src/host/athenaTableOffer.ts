/**
 * The editor's "Create the Athena table…" (issue 14: show the DDL and ask first): the DDL opens in an untitled SQL
 * editor, a modal names the account, region, workgroup and database.table, and only then the DuckDB process runs it
 * (the worker's createAthenaTable: AWS is called there, never from the host). Created: the source can be read again
 * (the same request). Not created: AWS's reason, exactly, with the DDL left open to run by hand. The texts are in
 * acquirePlan.ts (tested without VS Code).
 */
import * as vscode from 'vscode';
import { CREATE_TABLE_CONFIRM, createTableQuestion, READ_AGAIN, tableCreationMessage } from './acquirePlan';
import { askMfaCode } from './enrichRun';
import type { AthenaTableRequest } from '../protocol/worker';
import type { WorkerClient } from './workerClient';

const SHOW_DETAILS = 'Show details';

export async function offerAthenaTable(t: AthenaTableRequest, worker: () => WorkerClient, out: vscode.OutputChannel, readAgain: () => Promise<unknown>): Promise<void> {
  const doc = await vscode.workspace.openTextDocument({ language: 'sql', content: `${t.ddl}\n` });
  await vscode.window.showTextDocument(doc, { preview: false });
  const q = createTableQuestion(t);
  if ((await vscode.window.showWarningMessage(q.message, { modal: true, detail: q.detail }, CREATE_TABLE_CONFIRM)) !== CREATE_TABLE_CONFIRM) return;
  out.appendLine(`[${new Date().toISOString()}] ${q.message.replace(/\?$/, '')}`);
  let text: string;
  let created = false;
  try {
    const c = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: 'Flowlens: creating the Athena table', cancellable: true },
      async (_progress, token) => {
        const ac = new AbortController();
        const sub = token.onCancellationRequested(() => ac.abort());
        try {
          return await worker().request('createAthenaTable', t, {
            signal: ac.signal,
            onProgress: (p) => out.appendLine(`  ${p.message.replace(/\n/g, '\n  ')}`),
            onMfa: (serial) => askMfaCode(serial, token),
          });
        } finally {
          sub.dispose();
        }
      },
    );
    ({ text, created } = tableCreationMessage(c));
  } catch (err) {
    text = `Flowlens: could not create the Athena table: ${err instanceof Error ? err.message : String(err)}`;
  }
  out.appendLine(`  ${text}`);
  if (created) {
    if ((await vscode.window.showInformationMessage(text, READ_AGAIN)) === READ_AGAIN) await readAgain();
    return;
  }
  // the DDL stays open in its editor, to run by hand
  if ((await vscode.window.showErrorMessage(text, SHOW_DETAILS)) === SHOW_DETAILS) out.show();
}
