/**
 * Completion in Flowlens SQL cells (see sqlCompletion.ts): the active dataset's catalogue is read once through the
 * DuckDB process and kept until the datasets change (a new enrichment, another dataset made active).
 */
import * as vscode from 'vscode';
import { CELL_LANGUAGE, NOTEBOOK_TYPE } from './notebook';
import { parseCellParams } from './cellParams';
import { catalogueFromRows, completionsAt, CATALOGUE_SQL, type Catalogue, type ItemKind } from './sqlCompletion';
import type { Datasets } from './datasets';
import type { WorkerClient } from './workerClient';

/** The icon of each kind of item (read when a completion is asked for, not when the extension loads). */
const kindOf = (k: ItemKind): vscode.CompletionItemKind =>
  ({
    table: vscode.CompletionItemKind.Struct,
    view: vscode.CompletionItemKind.Interface,
    column: vscode.CompletionItemKind.Field,
    macro: vscode.CompletionItemKind.Function,
    parameter: vscode.CompletionItemKind.Variable,
  })[k];

export function registerSqlCompletion(worker: () => WorkerClient, datasets: Datasets): vscode.Disposable {
  let cached: { path: string; catalogue: Promise<Catalogue> } | undefined;
  const catalogue = async (): Promise<Catalogue | undefined> => {
    const path = await datasets.ensureActiveOpen();
    if (!path) return undefined;
    if (cached?.path !== path) {
      const read = worker()
        .request('query', { sql: CATALOGUE_SQL, rowCap: 10_000 })
        .then((r) => catalogueFromRows(r.rows as unknown[][]));
      cached = { path, catalogue: read };
      read.catch(() => (cached = undefined)); // asked again next time
    }
    return cached.catalogue;
  };
  const provider: vscode.CompletionItemProvider = {
    async provideCompletionItems(doc, position) {
      const cat = await catalogue().catch(() => undefined);
      if (!cat) return [];
      const text = doc.getText();
      let params: string[] = [];
      try {
        params = parseCellParams(text).map((p) => p.name);
      } catch {
        // a half-written parameter line: no parameters to offer yet
      }
      return completionsAt(text, doc.offsetAt(position), cat, params).map((i) => {
        const item = new vscode.CompletionItem(i.label, kindOf(i.kind));
        item.detail = i.detail;
        return item;
      });
    },
  };
  return vscode.Disposable.from(
    datasets.onDidChange(() => (cached = undefined)),
    vscode.languages.registerCompletionItemProvider({ notebookType: NOTEBOOK_TYPE, language: CELL_LANGUAGE }, provider, '.', '$'),
  );
}
