/**
 * Who may use the DuckDB worker's open dataset at a time: read-only queries together (each on a connection of its
 * own, so a short one does not wait behind a long one), everything else alone (opening, closing, enriching,
 * writing, a follower's cycle: they reopen the dataset in another mode or change it). First come, first served:
 * a request waits behind every request that came before it and cannot share with it, so a query sent after an
 * `open` or an enrichment sees what they did, and a stream of queries cannot starve a writer.
 */
export type GateKind = 'shared' | 'exclusive';

interface Waiting {
  kind: GateKind;
  start: () => void;
}

export class RequestGate {
  private active = 0;
  private activeKind: GateKind | undefined;
  private readonly waiting: Waiting[] = [];

  /** Runs fn once the gate lets a request of this kind in; the gate opens again when it settles, before its caller hears. */
  run<T>(kind: GateKind, fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start = () => {
        this.active++;
        this.activeKind = kind;
        const leave = () => {
          this.active--;
          if (this.active === 0) this.activeKind = undefined;
          this.pump();
        };
        Promise.resolve()
          .then(fn)
          .then(
            (value) => {
              leave();
              resolve(value);
            },
            (err: unknown) => {
              leave();
              reject(err);
            },
          );
      };
      if (this.waiting.length === 0 && this.admits(kind)) start();
      else this.waiting.push({ kind, start });
    });
  }

  /** How many requests run now and how many wait (for tests and logs). */
  get load(): { running: number; waiting: number } {
    return { running: this.active, waiting: this.waiting.length };
  }

  private admits(kind: GateKind): boolean {
    return this.active === 0 || (kind === 'shared' && this.activeKind === 'shared');
  }

  private pump(): void {
    while (this.waiting.length > 0 && this.admits(this.waiting[0].kind)) this.waiting.shift()!.start();
  }
}
