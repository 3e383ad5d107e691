/**
 * What an enrichment says to the user, without VS Code (so it is unit-tested): the progress line (files done of
 * the total, records/s, time left), the output log's lines (a summary, not one line per file), why an enrichment
 * that read no records made no dataset, and what a Refresh fetched.
 */
import type { EnrichProgress, EnrichResult } from '../protocol/worker';
import { formatCount, plural } from '../shared/numbers';
import { athenaYield, pulledCounts } from '../core/aws/readSummary';
import { athenaCost, unregisteredWindow } from './acquirePlan';

const PHASE_TITLE: Record<string, string> = {
  sample: 'sample estate',
  inventory: 'inventory',
  'flow-logs': 'reading flow logs',
  enrich: 'enriching',
  windows: 'windows',
};

/** "about 12 s left", "about 3 min left". */
export function timeLeft(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 1) return 'less than a second left';
  if (seconds < 90) return `about ${Math.ceil(seconds)} s left`;
  if (seconds < 90 * 60) return `about ${Math.round(seconds / 60)} min left`;
  return `about ${(seconds / 3600).toFixed(1)} h left`;
}

export interface ProgressView {
  /** The notification's message. */
  message: string;
  /** How far the bar moves (percent of the whole), when the work counts its steps. */
  increment?: number;
  /** A line for the output log: at the start of each phase, then at most one per `logEveryMs` (the last always). */
  log?: string;
}

/**
 * Turns the engine's progress reports into the notification's text: files done of the total, records per second
 * and time left from the rate so far (counted from the first report of the phase).
 */
export class ProgressMeter {
  private pct = 0;
  private phase: string | undefined;
  private phaseStart = { at: 0, done: 0, records: 0 };
  private lastLog = 0;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly logEveryMs = 2000,
  ) {}

  update(p: EnrichProgress & { records?: number }): ProgressView {
    const t = this.now();
    const newPhase = p.phase !== this.phase;
    if (newPhase) {
      this.phase = p.phase;
      this.phaseStart = { at: t, done: p.done ?? 0, records: p.records ?? 0 };
    }
    const title = PHASE_TITLE[p.phase] ?? p.phase;
    let message = `${title}: ${p.message}`;
    let increment: number | undefined;
    if (p.total && p.done !== undefined) {
      const parts = [`${formatCount(p.done)} of ${formatCount(p.total)} files`];
      const seconds = (t - this.phaseStart.at) / 1000;
      const doneHere = p.done - this.phaseStart.done;
      if (p.records !== undefined && seconds >= 0.5) parts.push(`${formatCount(Math.round((p.records - this.phaseStart.records) / seconds))} records/s`);
      if (doneHere > 0 && seconds >= 0.5 && p.done < p.total) parts.push(timeLeft((seconds / doneHere) * (p.total - p.done)));
      message = `${title}: ${parts.filter(Boolean).join(' · ')}`;
      const pct = Math.floor((p.done / p.total) * 100);
      if (pct > this.pct) {
        increment = pct - this.pct;
        this.pct = pct;
      }
    }
    const last = p.total !== undefined && p.done === p.total;
    const log = newPhase || last || t - this.lastLog >= this.logEveryMs ? message : undefined;
    if (log) this.lastLog = t;
    return { message, ...(increment ? { increment } : {}), ...(log ? { log } : {}) };
  }
}

type FileLine = EnrichResult['files'][number];

/** The output log's lines for the files read: one summary, then the files that failed or had bad lines (at most `max` each). */
export function fileLines(files: readonly FileLine[], max = 20): string[] {
  const by = (s: string) => files.filter((f) => f.status === s);
  const loaded = by('loaded');
  const records = loaded.reduce((n, f) => n + f.records, 0);
  const counts = [
    `${formatCount(loaded.length)} loaded (${formatCount(records)} records)`,
    by('duplicate').length ? `${formatCount(by('duplicate').length)} loaded before` : '',
    by('failed').length ? `${formatCount(by('failed').length)} failed` : '',
  ].filter(Boolean);
  const lines = [`  ${plural(files.length, 'file')}: ${counts.join(', ')}`];
  const list = (label: string, chosen: FileLine[], text: (f: FileLine) => string) => {
    for (const f of chosen.slice(0, max)) lines.push(`  ${label}: ${text(f)}`);
    if (chosen.length > max) lines.push(`  … and ${formatCount(chosen.length - max)} more (${label})`);
  };
  // not "  failed: ", which is how a failed enrichment's report ends
  list('file failed', by('failed'), (f) => `${f.name}: ${denamed(f)}`);
  list('bad lines in', loaded.filter((f) => f.badLines > 0), (f) => `${f.name} (${formatCount(f.badLines)} of its lines rejected)`);
  return lines;
}

/** A failed file's error without its name (the file is named beside it). */
function denamed(f: FileLine): string {
  const base = f.name.replace(/^.*[\\/]/, '');
  let error = f.error ?? 'failed';
  for (const n of [f.name, base]) error = error.split(` of ${n}`).join('').split(` in ${n}`).join('').split(n).join('');
  return error.replace(/\s+:/g, ':').replace(/:\s*:/g, ':').replace(/^[\s:]+/, '').replace(/\s{2,}/g, ' ').trim();
}

/** What files that failed alike share: the error without its name, quoted text or line numbers. */
function reasonKey(f: FileLine): string {
  return denamed(f).replace(/"[^"]*"/g, '"…"').replace(/\b(line|lines) \d+\b/g, '$1 N');
}

/**
 * Why an enrichment read no records, most frequent reason first (at most `top`): failed files grouped by their
 * reason, files loaded before, files that hold no records, AWS issues, or an empty source.
 */
export function emptyReasons(r: EnrichResult, top = 3): string[] {
  // by reason: how many, and the first one's words
  const reasons = new Map<string, [number, string]>();
  const add = (key: string, example = key) => reasons.set(key, [(reasons.get(key)?.[0] ?? 0) + 1, reasons.get(key)?.[1] ?? example]);
  const files = r.files;
  for (const f of files) {
    if (f.status === 'failed') add(reasonKey(f), denamed(f));
    else if (f.status === 'duplicate') add('loaded before (the same content is in the dataset)');
    else if (f.status === 'loaded' && f.records === 0) add(f.badLines ? 'every line was rejected' : 'no records in the file');
  }
  for (const i of r.aws?.summary.issues ?? []) add(`${i.api}: ${i.code}: ${i.message}`);
  // a crawler's table read where its crawler has not been since (the log has the whole reason, from the run's report)
  const unregistered = unregisteredWindow(r.aws?.summary.sources ?? []);
  if (unregistered) add(`${unregistered}: Athena reads only the partitions registered in Glue, which the crawler's next run adds`);
  const out = [...reasons.entries()]
    .sort((a, b) => b[1][0] - a[1][0] || a[0].localeCompare(b[0]))
    .slice(0, top)
    .map(([, [n, why]]) => (r.aws && !files.length ? why : `${plural(n, 'file')}: ${why}`));
  if (out.length === 0) out.push(r.aws ? 'no flow-log objects or events in the window' : 'no flow-log files were found');
  return out;
}

/**
 * The finished notification's word on interfaces logged by more than one flow log: what it means for the figures
 * (the enrichment left one flow log's records out where both log the same time; the log names the flow logs, the
 * interfaces and the records): '' when there are none.
 */
export function doubleLogged(r: EnrichResult): string {
  // (one warning per pair of flow logs, naming its interfaces)
  return r.warnings?.length ? ' Some interfaces are logged by more than one flow log; their traffic is counted once (see Show details).' : '';
}

/** The notification for an enrichment that read no records (no dataset made, none made active). */
export function emptyMessage(r: EnrichResult, created: boolean): string {
  const what = created ? 'so no dataset was made' : 'so the dataset is unchanged';
  const why = emptyReasons(r).join('; ');
  return `Flowlens: no flow records were read, ${what}. ${why.charAt(0).toUpperCase()}${why.slice(1)}.`;
}

/** What a Refresh fetched: new files (and their records), files already loaded, and the conversations after it. */
export function refreshMessage(name: string, r: EnrichResult): string {
  if (r.aws) {
    const s = r.aws.summary;
    const cost = athenaCost(s);
    // objects (S3) and hours of events (CloudWatch Logs) fetched; what Athena's tables returned, apart (rows, not objects)
    const athena = athenaYield(s.sources);
    const p = pulledCounts(s);
    const objects = `fetched ${plural(p.fetched, 'new object')} (${plural(p.records, 'record')}), ${formatCount(p.skipped)} already loaded${p.failed ? `, ${formatCount(p.failed)} failed` : ''}`;
    const read = [athena && !p.sources ? '' : objects, athena].filter(Boolean).join('; ');
    return `Flowlens: refreshed ${name}: ${read}; ${formatCount(r.conversations)} conversations.${cost ? ` ${cost}.` : ''}`;
  }
  const loaded = r.files.filter((f) => f.status === 'loaded');
  const before = r.files.filter((f) => f.status === 'duplicate').length;
  const failed = r.files.filter((f) => f.status === 'failed').length;
  const fetched = loaded.length ? `fetched ${plural(loaded.length, 'new file')} (${plural(r.records, 'record')})` : 'no new files';
  return `Flowlens: refreshed ${name}: ${fetched}, ${formatCount(before)} already loaded${failed ? `, ${formatCount(failed)} failed` : ''}; ${formatCount(r.conversations)} conversations.`;
}
