/**
 * The datasets the user has: .duckdb files in the datasets folder, which one is active, and what is known
 * about each (size, time span, accounts, regions, last refresh) cached after every enrichment.
 *
 * The one source of truth for the active dataset: the sidebar, the status bar, notebooks and the topology all
 * read `active` and listen to onDidChange, which fires when the choice changes and when the folder does (a
 * dataset made or removed by the CLI can change which one is active when none was chosen). A dataset that
 * appears without a summary (made by the CLI) is summarised without asking.
 */
import * as vscode from 'vscode';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { DatasetInfo, OpenParams } from '../protocol/worker';
import type { WorkerClient } from './workerClient';
import { datasetsFolder, readSettings } from './settings';
import { plural } from '../shared/numbers';

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
  private watcher: { folder: string; fsw: FSWatcher } | undefined;
  private debounce: NodeJS.Timeout | undefined;
  /** Enrichments and follows under way: no summary switches the DuckDB process to another dataset meanwhile. */
  private holds = 0;
  /** Datasets summarised (or tried) in the background, by path, with the file's size and time then. */
  private readonly tried = new Map<string, string>();
  /** Why a background summary failed (e.g. the CLI still holds the dataset), by path. */
  private readonly problems = new Map<string, string>();
  private summarising: Promise<void> | undefined;

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
    const before = this.active;
    if (this.worker().openPath !== path) await this.worker().request('open', this.openParams(path));
    // a dataset made active while this one was opened (an enrichment that ended while the request waited behind
    // it) stays active: the request was made for the dataset active before
    if (activate && this.active !== path && this.active === before) await this.setActive(path);
    return path;
  }

  /**
   * How the DuckDB process opens the dataset (the memory budget and export folder of the settings). A request that
   * writes (enrich, follow, forget) carries them, so that the process opens this dataset if another was opened since.
   */
  openParams(path: string): OpenParams {
    const s = readSettings();
    return { path, memoryLimit: s.memoryLimit || undefined, exportDir: isAbsolute(s.exportFolder) ? s.exportFolder : undefined };
  }

  /** The active dataset, open in the worker; undefined when there is none. */
  async ensureActiveOpen(): Promise<string | undefined> {
    for (;;) {
      const p = this.active ?? this.list()[0]?.path;
      if (!p) return undefined;
      await this.open(p);
      // another became active meanwhile: open that one
      if (this.active === p) return p;
    }
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

  /** Runs work that holds the DuckDB process on one dataset (an enrichment): no background summary meanwhile. */
  async hold<T>(work: () => Promise<T>): Promise<T> {
    this.holds++;
    try {
      return await work();
    } finally {
      this.holds--;
    }
  }

  /** Why the background summary of `path` failed, if it did. */
  problem(path: string): string | undefined {
    return this.problems.get(path);
  }

  /**
   * Summarises, one after the other, the datasets that have no summary yet (made by the CLI, or before this
   * version), each once per size and time of its file; `busy` says when not to (a dataset is being followed).
   */
  summariseMissing(busy: () => boolean, log: (line: string) => void): Promise<void> {
    this.summarising ??= (async () => {
      try {
        for (const e of this.list()) {
          if (e.info || this.holds > 0 || busy()) continue;
          const sig = signature(e.path);
          if (this.tried.get(e.path) === sig) continue;
          this.tried.set(e.path, sig);
          try {
            const info = await this.refreshInfo(e.path);
            this.problems.delete(e.path);
            log(`[${new Date().toISOString()}] summarised ${e.name}: ${plural(info.conversations, 'conversation')}, ${plural(info.flowRecords, 'flow record')}`);
          } catch (err) {
            this.problems.set(e.path, err instanceof Error ? err.message.split('\n')[0]! : String(err));
            log(`[${new Date().toISOString()}] could not summarise ${e.name}: ${this.problems.get(e.path)}`);
            this.changed.fire();
          }
        }
      } finally {
        this.summarising = undefined;
      }
    })();
    return this.summarising;
  }

  /** Watches the datasets folder (again when the setting changes): what the CLI makes or removes shows, and is summarised. */
  watch(busy: () => boolean, log: (line: string) => void): void {
    const folder = this.folder();
    if (this.watcher?.folder === folder) return;
    this.watcher?.fsw.close();
    this.watcher = undefined;
    try {
      mkdirSync(folder, { recursive: true });
      const fsw = watch(folder, (_event, name) => {
        if (name && !String(name).endsWith('.duckdb')) return;
        clearTimeout(this.debounce);
        this.debounce = setTimeout(() => {
          this.changed.fire();
          void this.summariseMissing(busy, log);
        }, 500);
      });
      fsw.on('error', () => undefined);
      this.watcher = { folder, fsw };
    } catch (err) {
      log(`cannot watch ${folder}: ${err instanceof Error ? err.message : String(err)}`);
    }
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
    clearTimeout(this.debounce);
    this.watcher?.fsw.close();
    this.changed.dispose();
  }
}

/** A file's size and time (a dataset the CLI changed is summarised again). */
function signature(path: string): string {
  try {
    const st = statSync(path);
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return '';
  }
}
