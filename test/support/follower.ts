/**
 * A real `flowlens enrich … --follow` process for tests: its output lines as they come, waits on them
 * (counted in cycles, with a generous limit so a broken follower fails instead of hanging), and ways to stop it.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export const CLI = join(__dirname, '..', '..', 'src', 'cli.js');

/** `flowlens sql` as another process would run it (read-only): its exit code and its JSON rows. */
export function sql(db: string, query: string, env: NodeJS.ProcessEnv = {}): { code: number | null; rows: Record<string, unknown>[]; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'sql', query, '--db', db, '--format', 'json'], { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, rows: r.status === 0 ? (JSON.parse(r.stdout) as Record<string, unknown>[]) : [], stderr: r.stderr };
}

export interface Cycle {
  n: number;
  skipped: boolean;
  records: number;
  line: string;
}

export class Follower {
  readonly child: ChildProcess;
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly cycles: Cycle[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private waiters: (() => void)[] = [];

  constructor(args: string[], env: NodeJS.ProcessEnv = {}) {
    this.child = spawn(process.execPath, [CLI, 'enrich', ...args, '--follow'], { env: { ...process.env, ...env } });
    const lines = (into: string[], onLine?: (l: string) => void) => {
      let rest = '';
      return (chunk: Buffer) => {
        rest += chunk.toString('utf8');
        const parts = rest.split('\n');
        rest = parts.pop()!;
        for (const l of parts) {
          into.push(l);
          onLine?.(l);
        }
        this.wake();
      };
    };
    this.child.stdout!.on('data', lines(this.stdout, (l) => {
      const m = /cycle (\d+)( skipped)?:? (.*)$/.exec(l);
      if (!m) return;
      const records = /\(([\d,]+) records?,/.exec(m[3]!);
      this.cycles.push({ n: Number(m[1]), skipped: !!m[2], records: records ? Number(records[1]!.replace(/,/g, '')) : 0, line: l });
    }));
    this.child.stderr!.on('data', lines(this.stderr));
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => {
      this.wake();
      resolve({ code, signal });
    }));
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `ok()` holds (checked at every output line); fails after `limitMs` or when the process ends. */
  async until(what: string, ok: () => boolean, limitMs = 90_000): Promise<void> {
    const deadline = Date.now() + limitMs;
    while (!ok()) {
      if (this.child.exitCode !== null || this.child.signalCode !== null) throw new Error(`the follower ended before ${what}:\n${this.output()}`);
      if (Date.now() > deadline) throw new Error(`no ${what} after ${limitMs / 1000} s:\n${this.output()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 500);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The next `n` cycles (skipped ones included) from now. */
  async next(n = 1): Promise<Cycle[]> {
    const from = this.cycles.length;
    await this.until(`${n} more cycle(s)`, () => this.cycles.length >= from + n);
    return this.cycles.slice(from, from + n);
  }

  /** Records the cycles so far loaded (this process only). */
  get records(): number {
    return this.cycles.reduce((n, c) => n + c.records, 0);
  }

  output(): string {
    return `stdout:\n${this.stdout.join('\n')}\nstderr:\n${this.stderr.join('\n')}`;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.kill(signal);
    return this.exited;
  }
}

export const ACCOUNT = '111111111111';
const HEADER = 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status';

/** `n` default-format flow records (no header), distinct by `seed`; their byte total. */
export function flowRecords(seed: number, n: number, startSeconds = 1790000000 + seed * 60): { lines: string[]; bytes: number } {
  const lines: string[] = [];
  let bytes = 0;
  for (let k = 0; k < n; k++) {
    const b = 100 + seed * 1000 + k;
    bytes += b;
    lines.push(`2 ${ACCOUNT} eni-0f${String(seed % 1000).padStart(15, '0')} 10.0.${seed % 250}.${(k % 250) + 1} 10.1.0.${(k % 200) + 1} ${40000 + k} 443 6 ${1 + (k % 9)} ${b} ${startSeconds} ${startSeconds + 60} ACCEPT OK`);
  }
  return { lines, bytes };
}

/** A flow-log text file as S3 or a folder holds it: the header, then the records. */
export function flowLogText(lines: string[]): string {
  return [HEADER, ...lines].join('\n') + '\n';
}
