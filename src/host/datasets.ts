/**
 * The datasets the user has: .duckdb files in the datasets folder, which one is active, and what is known
 * about each (size, time span, accounts, regions, last refresh) cached after every enrichment.
 */
import * as vscode from 'vscode';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { DatasetInfo } from '../protocol/worker';
import type { WorkerClient } from './workerClient';
import { datasetsFolder, readSettings } from './settings';

export interface DatasetEntry {
  name: string;
  path: string;
  sizeBytes: number;
  info?: DatasetInfo;
}

const ACTIVE_KEY = 'flowlens.activeDataset';
const INFO_KEY = 'flowlens.datasetInfo';

export class Datasets {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly worker: () => WorkerClient,
  ) {}

  folder(): string {
    return datasetsFolder(this.context);
  }

  pathFor(name: string): string {
    return join(this.folder(), `${name}.duckdb`);
  }

  list(): DatasetEntry[] {
    const dir = this.folder();
    if (!existsSync(dir)) return [];
    const infos = this.context.globalState.get<Record<string, DatasetInfo>>(INFO_KEY, {});
    return readdirSync(dir)
      .filter((n) => n.endsWith('.duckdb'))
      .sort()
      .map((n) => {
        const path = join(dir, n);
        let size = 0;
        try {
          size = statSync(path).size + (existsSync(path + '.wal') ? statSync(path + '.wal').size : 0);
        } catch {
          // removed meanwhile
        }
        return { name: basename(n, '.duckdb'), path, sizeBytes: size, info: infos[path] };
      });
  }

  /** The chosen dataset, or else the first one there is (which notebooks would use). */
  get active(): string | undefined {
    const p = this.context.globalState.get<string>(ACTIVE_KEY);
    return p && existsSync(p) ? p : this.list()[0]?.path;
  }

  async setActive(path: string | undefined): Promise<void> {
    await this.context.globalState.update(ACTIVE_KEY, path);
    this.changed.fire();
  }

  /**
   * Opens the dataset in the DuckDB process (creating the folder) and returns its path; makes it active unless
   * `activate` is false (an enrichment that has not read anything yet, a summary).
   */
  async open(path: string, { activate = true }: { activate?: boolean } = {}): Promise<string> {
    mkdirSync(this.folder(), { recursive: true });
    if (this.worker().openPath !== path) {
      const s = readSettings();
      await this.worker().request('open', { path, memoryLimit: s.memoryLimit || undefined, exportDir: isAbsolute(s.exportFolder) ? s.exportFolder : undefined });
    }
    if (activate && this.active !== path) await this.setActive(path);
    return path;
  }

  /** The active dataset, open in the worker; undefined when there is none. */
  async ensureActiveOpen(): Promise<string | undefined> {
    const p = this.active ?? this.list()[0]?.path;
    if (!p) return undefined;
    return this.open(p);
  }

  /** Summarises the dataset (its facts in the sidebar); does not change which dataset is active. */
  async refreshInfo(path: string): Promise<DatasetInfo> {
    await this.open(path, { activate: false });
    const info = await this.worker().request('info', {});
    const infos = { ...this.context.globalState.get<Record<string, DatasetInfo>>(INFO_KEY, {}), [path]: info };
    await this.context.globalState.update(INFO_KEY, infos);
    this.changed.fire();
    return info;
  }

  async delete(path: string): Promise<void> {
    if (this.worker().openPath === path) await this.worker().request('close', {});
    for (const p of [path, path + '.wal']) rmSync(p, { force: true });
    const infos = { ...this.context.globalState.get<Record<string, DatasetInfo>>(INFO_KEY, {}) };
    delete infos[path];
    await this.context.globalState.update(INFO_KEY, infos);
    if (this.context.globalState.get<string>(ACTIVE_KEY) === path) await this.context.globalState.update(ACTIVE_KEY, undefined);
    this.changed.fire();
  }

  fire(): void {
    this.changed.fire();
  }

  dispose(): void {
    this.changed.dispose();
  }
}
