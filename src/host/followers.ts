/**
 * The sidebar's "Follow": the DuckDB worker keeps the open dataset current from the source that made it, a
 * cycle every interval (flowlens.followInterval). After each cycle that appended something, onDidAppend fires
 * (the sidebar's facts, the topology and the status bar refresh). Following one dataset at a time: the worker
 * holds one dataset open, so opening another one stops it.
 */
import * as vscode from 'vscode';
import type { EnrichRequest, FollowCycle } from '../protocol/worker';
import { formatCycle, plural } from '../core/format';
import type { Datasets } from './datasets';
import { WorkerCrashedError, type WorkerClient } from './workerClient';

export interface Following {
  path: string;
  last?: FollowCycle;
}

export class Followers implements vscode.Disposable {
  private current: (Following & { stop: AbortController }) | undefined;
  private readonly appended = new vscode.EventEmitter<{ path: string; cycle: FollowCycle }>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** A cycle appended to `path`. */
  readonly onDidAppend = this.appended.event;
  /** Following started or stopped, or a cycle ended. */
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly datasets: Datasets,
    private readonly worker: () => WorkerClient,
    private readonly out: vscode.OutputChannel,
    private readonly askMfa: (serial: string) => Promise<string | undefined>,
  ) {}

  get following(): Following | undefined {
    return this.current && { path: this.current.path, ...(this.current.last ? { last: this.current.last } : {}) };
  }

  isFollowing(path: string): boolean {
    return this.current?.path === path;
  }

  /** Follows the dataset at `path` (opening it) with the request that made it; resolves once following has ended. */
  async start(path: string, request: EnrichRequest, intervalMs: number): Promise<void> {
    if (this.current) this.stop();
    await this.datasets.open(path);
    const entry = { path, stop: new AbortController() } as Following & { stop: AbortController };
    this.current = entry;
    this.changed.fire();
    const name = path.replace(/^.*[\\/]/, '');
    this.out.appendLine(`[${new Date().toISOString()}] following ${name} every ${intervalMs / 1000} s`);
    try {
      const r = await this.worker().request('follow', { request, intervalMs, dataset: this.datasets.openParams(path) }, {
        signal: entry.stop.signal,
        onMfa: this.askMfa,
        onCycle: (cycle) => {
          entry.last = cycle;
          for (const line of formatCycle(cycle).split('\n')) this.out.appendLine(`  ${line}`);
          if (cycle.rebuilt) this.appended.fire({ path, cycle });
          this.changed.fire();
        },
      });
      this.out.appendLine(`  stopped following ${name} after ${plural(r.cycles, 'cycle')}: ${r.stopped}`);
      if (!entry.stop.signal.aborted) void vscode.window.showWarningMessage(`Flowlens: stopped following ${name}: ${r.stopped}.`);
    } catch (err) {
      const why = err instanceof WorkerCrashedError ? err.message : err instanceof Error ? err.message : String(err);
      this.out.appendLine(`  following ${name} failed: ${why}`);
      void vscode.window.showErrorMessage(`Flowlens: following ${name} stopped: ${why}`, 'Show details').then((c) => c && this.out.show());
    } finally {
      if (this.current === entry) this.current = undefined;
      this.changed.fire();
    }
  }

  /** Stops following (the cycle that runs is cancelled; the dataset keeps what it committed). */
  stop(): void {
    this.current?.stop.abort();
  }

  dispose(): void {
    this.stop();
    this.appended.dispose();
    this.changed.dispose();
  }
}
