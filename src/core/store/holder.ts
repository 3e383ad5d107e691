/**
 * Who holds a dataset open, so that a second process told "Could not set lock" by DuckDB can say which process
 * holds it and what it is doing. Every process that opens a dataset leaves a small note beside it
 * (`.<dataset>.flowlens-<pid>`, removed on close); DuckDB's lock error names the holder's pid, which finds the note.
 */
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** What this process is doing with the datasets it opens, e.g. "flowlens enrich" (set once by the CLI or the worker). */
let activity = `a Flowlens process (${basename(process.argv[1] ?? 'node')})`;

export function setActivity(what: string): void {
  activity = what;
}

const noteOf = (path: string, pid: number) => join(dirname(path), `.${basename(path)}.flowlens-${pid}`);

/** Leaves the note for `path` (opened read-only or writable); a dataset in memory has none. */
export function claim(path: string, readOnly: boolean): void {
  if (path === ':memory:' || path === '') return;
  removeStaleNotes(path);
  try {
    writeFileSync(noteOf(path, process.pid), JSON.stringify({ pid: process.pid, what: activity, readOnly, since: new Date().toISOString() }));
  } catch {
    // a folder we cannot write to: the lock error then names the pid only
  }
}

/** The notes of processes that are gone (killed before they closed the dataset): they name nobody. */
function removeStaleNotes(path: string): void {
  const prefix = `.${basename(path)}.flowlens-`;
  let names: string[];
  try {
    names = readdirSync(dirname(path)).filter((n) => n.startsWith(prefix));
  } catch {
    return;
  }
  for (const n of names) {
    const pid = Number(n.slice(prefix.length));
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || alive(pid)) continue;
    rmSync(join(dirname(path), n), { force: true });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'; // someone else's process: alive
  }
}

export function release(path: string): void {
  rmSync(noteOf(path, process.pid), { force: true });
}

/** DuckDB's lock error, said with the holder's pid, what it is doing and since when (when its note says). */
export function describeLockError(path: string, message: string): string | undefined {
  const m = /Could not set lock on file .*Conflicting lock is held in (.*?) \(PID (\d+)\)/.exec(message);
  if (!m) return undefined;
  const pid = Number(m[2]);
  let who = `${m[1]} (pid ${pid})`;
  try {
    const note = JSON.parse(readFileSync(noteOf(path, pid), 'utf8')) as { what: string; readOnly: boolean; since: string };
    who = `${note.what} (pid ${pid}, ${note.readOnly ? 'reading it' : 'writing to it'} since ${note.since.replace('T', ' ').slice(0, 19)} UTC)`;
  } catch {
    // no note: a process that is not Flowlens, or an older one
  }
  return `${path} is in use by ${who}; try again when it has finished, or stop it`;
}
