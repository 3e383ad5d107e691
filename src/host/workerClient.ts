/**
 * The host side of the DuckDB child process: starts it lazily, sends typed requests, matches replies,
 * forwards cancellation, and survives the child's death (pending requests fail with WorkerCrashedError;
 * the next request starts a new child and reopens the dataset that was open). No 'vscode' here.
 */
import { fork, type ChildProcess } from 'node:child_process';
import {
  WORKER_REQUESTS,
  isAbortable,
  isWorkerMessage,
  type WorkerMfaReply,
  type EnrichProgress,
  type FollowCycle,
  type WorkerError,
  type WorkerMethod,
  type WorkerMethods,
  type WorkerRequest,
} from '../protocol/worker';

export class WorkerRequestError extends Error {
  constructor(
    message: string,
    readonly code: WorkerError['code'] | undefined,
  ) {
    super(message);
    this.name = 'WorkerRequestError';
  }
}

export class WorkerCrashedError extends Error {
  constructor(
    readonly exitCode: number | null,
    readonly signalName: NodeJS.Signals | null,
  ) {
    super(`the DuckDB process stopped (${signalName ?? `exit code ${exitCode}`}); the request did not complete`);
    this.name = 'WorkerCrashedError';
  }
}

export interface RequestOptions {
  signal?: AbortSignal;
  onProgress?: (p: EnrichProgress) => void;
  /**
   * Asked when the request needs an MFA code (enrich from AWS, discover, follow): resolves to the code, or undefined when the user
   * declines. Without it the child is told no code is available.
   */
  onMfa?: (serial: string) => Promise<string | undefined>;
  /** A `follow` request's cycles, as each one ends. */
  onCycle?: (c: FollowCycle) => void;
}

interface Pending {
  method: WorkerMethod;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  onProgress?: (p: EnrichProgress) => void;
  onMfa?: (serial: string) => Promise<string | undefined>;
  onCycle?: (c: FollowCycle) => void;
}

export interface WorkerClientOptions {
  /** The built child entry (dist/duckdbWorker.js, or out-<name>/src/host/duckdbWorker.js in tests). */
  workerPath: string;
  env?: NodeJS.ProcessEnv;
  /** Called with every stderr line of the child (for an output channel). */
  log?: (line: string) => void;
}

export class WorkerClient {
  private child: ChildProcess | undefined;
  private starting: Promise<ChildProcess> | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private lastOpen: WorkerMethods['open']['params'] | undefined;
  private exitListeners: ((err: WorkerCrashedError) => void)[] = [];
  private disposed = false;

  constructor(private readonly options: WorkerClientOptions) {}

  /** The child's pid, when it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** The dataset the child has (or will reopen after a restart). */
  get openPath(): string | undefined {
    return this.lastOpen?.path;
  }

  onCrash(listener: (err: WorkerCrashedError) => void): void {
    this.exitListeners.push(listener);
  }

  async request<M extends WorkerMethod>(
    method: M,
    params: WorkerMethods[M]['params'],
    opts: RequestOptions = {},
  ): Promise<WorkerMethods[M]['result']> {
    if (this.disposed) throw new Error('the DuckDB worker was disposed');
    if (opts.signal?.aborted) {
      throw new WorkerRequestError('cancelled before it started', isAbortable(method) ? 'cancelled' : 'interrupted');
    }
    const fresh = !this.child;
    const child = await this.ensureChild();
    if (fresh && this.lastOpen && method !== 'open' && method !== 'close') {
      await this.send(child, 'open', this.lastOpen, {});
    }
    if (method === 'open') this.lastOpen = params as WorkerMethods['open']['params'];
    if (method === 'close') this.lastOpen = undefined;
    // a request that carries its dataset (enrich, follow, forget) leaves that one open
    const carried = (params as { dataset?: WorkerMethods['open']['params'] }).dataset;
    if (method !== 'open' && carried) this.lastOpen = carried;
    return this.send(child, method, params, opts) as Promise<WorkerMethods[M]['result']>;
  }

  private send<M extends WorkerMethod>(
    child: ChildProcess,
    method: M,
    params: WorkerMethods[M]['params'],
    opts: RequestOptions,
  ): Promise<unknown> {
    const id = this.nextId++;
    const msg: WorkerRequest<M> = { kind: 'request', id, method, params };
    if (opts.signal?.aborted) {
      return Promise.reject(new WorkerRequestError('cancelled before it started', isAbortable(method) ? 'cancelled' : 'interrupted'));
    }
    return new Promise<unknown>((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const settle = () => {
        if (onAbort) opts.signal?.removeEventListener('abort', onAbort);
      };
      this.pending.set(id, {
        method,
        resolve: (v) => {
          settle();
          resolve(v);
        },
        reject: (e) => {
          settle();
          reject(e);
        },
        onProgress: opts.onProgress,
        onMfa: opts.onMfa,
        onCycle: opts.onCycle,
      });
      if (opts.signal) {
        onAbort = () => {
          if (this.pending.has(id) && this.child === child && child.connected) {
            child.send({ kind: 'request', id: this.nextId++, method: 'cancel', params: { target: id } } satisfies WorkerRequest<'cancel'>);
          }
        };
        opts.signal.addEventListener('abort', onAbort, { once: true });
      }
      child.send(msg, (err) => {
        if (err && this.pending.has(id)) {
          this.pending.delete(id);
          settle();
          reject(err);
        }
      });
    });
  }

  /** Asks the request's MFA callback and sends the answer (or a refusal) back to the child; never logs the code. */
  private answerMfa(child: ChildProcess, p: Pending, id: number, ask: number, serial: string): void {
    const reply = (r: WorkerMfaReply) => {
      if (this.child === child && child.connected && this.pending.has(id)) child.send(r);
    };
    if (!p.onMfa) {
      reply({ kind: 'mfaReply', id, ask, cancelled: true });
      return;
    }
    p.onMfa(serial).then(
      (code) => reply(code ? { kind: 'mfaReply', id, ask, code } : { kind: 'mfaReply', id, ask, cancelled: true }),
      () => reply({ kind: 'mfaReply', id, ask, cancelled: true }),
    );
  }

  private ensureChild(): Promise<ChildProcess> {
    if (this.child) return Promise.resolve(this.child);
    this.starting ??= new Promise<ChildProcess>((resolve, reject) => {
      const child = fork(this.options.workerPath, [], {
        // Inside VS Code's Electron this makes the child a plain Node process.
        env: { ...process.env, ...this.options.env, ELECTRON_RUN_AS_NODE: '1' },
        execArgv: [],
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      });
      let ready = false;
      child.stderr?.setEncoding('utf8');
      child.stderr?.on('data', (chunk: string) => {
        for (const line of chunk.split('\n')) if (line.trim()) this.options.log?.(line);
      });
      child.on('message', (msg: unknown) => {
        if (!isWorkerMessage(msg)) {
          this.options.log?.(`ignored a malformed message from the DuckDB process`);
          return;
        }
        if (msg.kind === 'ready') {
          ready = true;
          this.child = child;
          this.starting = undefined;
          resolve(child);
          return;
        }
        const p = this.pending.get(msg.id);
        if (!p) return;
        if (msg.kind === 'progress') {
          p.onProgress?.(msg.progress);
          return;
        }
        if (msg.kind === 'mfa') {
          this.answerMfa(child, p, msg.id, msg.ask, msg.serial);
          return;
        }
        if (msg.kind === 'cycle') {
          p.onCycle?.(msg.cycle);
          return;
        }
        this.pending.delete(msg.id);
        if (!msg.ok) p.reject(new WorkerRequestError(msg.error.message, msg.error.code));
        else if (WORKER_REQUESTS[p.method].result(msg.result)) p.resolve(msg.result);
        else p.reject(new WorkerRequestError(`the DuckDB process's ${p.method} reply does not match the protocol`, 'failed'));
      });
      child.on('exit', (code, signal) => {
        if (this.child === child) this.child = undefined;
        const err = new WorkerCrashedError(code, signal);
        if (!ready) {
          this.starting = undefined;
          reject(err);
          return;
        }
        const failed = [...this.pending.values()];
        this.pending.clear();
        for (const p of failed) p.reject(err);
        if (!this.disposed) for (const l of this.exitListeners) l(err);
      });
      child.on('error', (err) => {
        if (!ready) {
          this.starting = undefined;
          reject(err);
        }
      });
    });
    return this.starting;
  }

  /** Stops the child: it closes the dataset (checkpoint) on disconnect; killed if it does not exit in time. */
  async dispose(timeoutMs = 3000): Promise<void> {
    this.disposed = true;
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
      }, timeoutMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.connected) child.disconnect();
      else child.kill();
    });
  }
}
