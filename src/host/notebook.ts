/**
 * The Flowlens SQL notebook: the .flowsql serializer and the controller that runs SQL cells in the
 * DuckDB process against the active dataset, one execution per cell, interruptible, ended exactly once.
 */
import * as vscode from 'vscode';
import type { QueryTemplate } from '../core/api';
import { parseFlowsql, serializeFlowsql } from './flowsqlFormat';
import { CellParamError, formatParamLine, isEmptyCell, parseCellParams, usedParams } from './cellParams';
import { RESULT_MIME, resultAsText, type ResultPayload } from '../shared/resultShape';
import type { WorkerClient } from './workerClient';
import type { Datasets } from './datasets';
import { readSettings } from './settings';

export const NOTEBOOK_TYPE = 'flowlens-sql';
/** The language of SQL cells (package.json: "Flowlens SQL", DuckDB's dialect, highlighted with the editor's SQL grammar; plain `sql` is VS Code's T-SQL, shown as "MS SQL"). */
export const CELL_LANGUAGE = 'duckdb-sql';

export class FlowsqlSerializer implements vscode.NotebookSerializer {
  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    const cells = parseFlowsql(new TextDecoder().decode(content)).map(
      (c) =>
        new vscode.NotebookCellData(
          c.kind === 'sql' ? vscode.NotebookCellKind.Code : vscode.NotebookCellKind.Markup,
          c.source,
          c.kind === 'sql' ? CELL_LANGUAGE : 'markdown',
        ),
    );
    return new vscode.NotebookData(cells);
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    const text = serializeFlowsql(
      data.cells.map((c) => ({ kind: c.kind === vscode.NotebookCellKind.Code ? 'sql' : 'markdown', source: c.value })),
    );
    return new TextEncoder().encode(text);
  }
}

/** The cells of a notebook made from a template: its title and description, then its SQL with parameter values. */
export function templateCells(t: QueryTemplate, values: Record<string, string> = {}): vscode.NotebookCellData[] {
  const params = t.params.map((p) => formatParamLine({ name: p.name, type: p.type, value: values[p.name] ?? p.default ?? '', description: p.description }));
  const md = new vscode.NotebookCellData(vscode.NotebookCellKind.Markup, `## ${t.title}\n\n${t.description}`, 'markdown');
  const sql = new vscode.NotebookCellData(vscode.NotebookCellKind.Code, [...params, t.sql].join('\n'), CELL_LANGUAGE);
  return [md, sql];
}

/** DuckDB's refusal, with the setting that decides it. */
function cellHint(message: string): string {
  if (/read-only mode/.test(message)) return `${message}\nNotebook cells are read-only: turn on the flowlens.notebook.allowWrites setting to change the dataset.`;
  if (/file system operations are disabled by configuration/.test(message)) {
    return `${message}\nNotebook cells touch files only in the folder of the flowlens.exportFolder setting (never the dataset's own folder).`;
  }
  return message;
}

export class FlowsqlController {
  private readonly controller: vscode.NotebookController;
  private order = 0;

  constructor(
    private readonly worker: () => WorkerClient,
    private readonly datasets: Datasets,
    private readonly log: (line: string) => void,
  ) {
    this.controller = vscode.notebooks.createNotebookController('flowlens-duckdb', NOTEBOOK_TYPE, 'Flowlens DuckDB');
    this.controller.supportedLanguages = [CELL_LANGUAGE, 'sql'];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = 'the active Flowlens dataset';
    this.controller.executeHandler = (cells) => this.runAll(cells);
  }

  private async runAll(cells: vscode.NotebookCell[]): Promise<void> {
    for (const cell of cells) await this.run(cell);
  }

  private async run(cell: vscode.NotebookCell): Promise<void> {
    const exec = this.controller.createNotebookCellExecution(cell);
    exec.executionOrder = ++this.order;
    exec.start(Date.now());
    let ended = false;
    const end = (ok: boolean) => {
      if (ended) return;
      ended = true;
      exec.end(ok, Date.now());
    };
    const ac = new AbortController();
    const sub = exec.token.onCancellationRequested(() => ac.abort());
    try {
      if (exec.token.isCancellationRequested) throw new Error('cancelled');
      const sql = cell.document.getText();
      if (isEmptyCell(sql)) {
        // nothing to run (DuckDB would answer an empty statement with "Error in native callback")
        await exec.clearOutput();
        end(true);
        return;
      }
      const params = usedParams(sql, parseCellParams(sql));
      const path = await this.datasets.ensureActiveOpen();
      if (!path) throw new Error('no dataset yet: run "Flowlens: Enrich flow logs" (the sample estate needs no AWS account)');
      const { rowCap, notebookWrites } = readSettings();
      const result = await this.worker().request(
        'query',
        { sql, params: params.map(({ name, type, value }) => ({ name, type, value })), rowCap, allowWrites: notebookWrites },
        { signal: ac.signal },
      );
      const payload: ResultPayload = { ...result, rowCap };
      await exec.replaceOutput([
        new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.json(payload, RESULT_MIME), vscode.NotebookCellOutputItem.text(resultAsText(result))]),
      ]);
      end(true);
    } catch (err) {
      const e = err as { message?: string; code?: string };
      const interrupted = e.code === 'interrupted' || ac.signal.aborted;
      const message = interrupted ? 'Interrupted: the query was cancelled.' : cellHint(e.message ?? String(err));
      if (!interrupted && !(err instanceof CellParamError)) this.log(`cell failed: ${message}`);
      await exec.replaceOutput([
        new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.error({ name: interrupted ? 'Interrupted' : 'DuckDB', message })]),
      ]);
      end(false);
    } finally {
      sub.dispose();
    }
  }

  dispose(): void {
    this.controller.dispose();
  }
}
