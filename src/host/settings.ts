/** The flowlens.* settings, read in one place. Path settings are machine-scoped and restricted in untrusted workspaces. */
import * as vscode from 'vscode';
import { join, isAbsolute } from 'node:path';
import { DEFAULT_PRICE_PER_TB, parseSize } from '../core/aws/athenaTable';
import type { AthenaPreferences } from './acquirePlan';

export interface FlowlensSettings {
  defaultProfile: string;
  roleName: string;
  externalId: string;
  regions: string[];
  window: '1h' | '24h' | '7d' | '30d';
  datasetsLocation: 'globalStorage' | 'workspace';
  datasetsFolder: string;
  snippetsFolder: string;
  rowCap: number;
  /** DuckDB memory_limit for the worker's dataset; '' = the engine's default. */
  memoryLimit: string;
  /** Notebook cells may change the dataset (off: read-only). */
  notebookWrites: boolean;
  /** The one folder notebook SQL may read and COPY to ('' = none). */
  exportFolder: string;
  /** Seconds between Follow's cycles. */
  followInterval: number;
  /**
   * How an Athena source runs: maxScanBytes from flowlens.athena.confirmScanAbove (a query estimated to scan more
   * asks first; undefined: never asks), the result format and the price per TB.
   */
  athena: AthenaPreferences;
}

export function readSettings(): FlowlensSettings {
  const c = vscode.workspace.getConfiguration('flowlens');
  return {
    defaultProfile: c.get<string>('defaultProfile', ''),
    roleName: c.get<string>('roleName', ''),
    externalId: c.get<string>('externalId', ''),
    regions: c.get<string[]>('regions', []),
    window: c.get<FlowlensSettings['window']>('window', '24h'),
    datasetsLocation: c.get<FlowlensSettings['datasetsLocation']>('datasetsLocation', 'globalStorage'),
    datasetsFolder: c.get<string>('datasetsFolder', ''),
    snippetsFolder: c.get<string>('snippetsFolder', '.flowlens/queries'),
    rowCap: Math.max(1, Math.min(1_000_000, c.get<number>('rowCap', 1000))),
    memoryLimit: c.get<string>('memoryLimit', '').trim(),
    notebookWrites: c.get<boolean>('notebook.allowWrites', false) === true,
    exportFolder: c.get<string>('exportFolder', '').trim(),
    followInterval: Math.max(5, Math.min(86400, c.get<number>('followInterval', 60))),
    athena: {
      ...confirmScan(c.get<string>('athena.confirmScanAbove', '10GB')),
      resultFormat: c.get<string>('athena.resultFormat', 'parquet') === 'csv' ? 'csv' : 'parquet',
      pricePerTb: positive(c.get<number>('athena.pricePerTb', DEFAULT_PRICE_PER_TB), DEFAULT_PRICE_PER_TB),
    },
  };
}

function confirmScan(v: string): { maxScanBytes?: number } {
  const b = v.trim() ? parseSize(v) : undefined;
  return b === undefined ? {} : { maxScanBytes: b };
}

function positive(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : fallback;
}

/** Where datasets live: an explicit folder, the first workspace folder's .flowlens/datasets, or global storage. */
export function datasetsFolder(context: vscode.ExtensionContext, s = readSettings()): string {
  if (s.datasetsFolder && isAbsolute(s.datasetsFolder)) return s.datasetsFolder;
  const ws = vscode.workspace.workspaceFolders?.[0];
  if (s.datasetsLocation === 'workspace' && ws && vscode.workspace.isTrusted) return join(ws.uri.fsPath, '.flowlens', 'datasets');
  return join(context.globalStorageUri.fsPath, 'datasets');
}

/** Folders of user snippets (.sql in the template format): only from a trusted workspace. */
export function snippetFolders(s = readSettings()): string[] {
  if (!vscode.workspace.isTrusted) return [];
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (isAbsolute(s.snippetsFolder)) return [s.snippetsFolder];
  return folders.map((f) => join(f.uri.fsPath, s.snippetsFolder));
}
