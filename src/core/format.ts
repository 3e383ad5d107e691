/**
 * Rows as text: an aligned table for people (bytes human-readable), JSON or CSV for programs.
 */
import type { FollowCycle } from '../protocol/enrich';

export type OutputFormat = 'table' | 'json' | 'csv';

const BYTE_COLUMN = /(^|_)(bytes|uploaded|downloaded|bytes_out|bytes_in|growth)($|_)|_bytes$|^bytes/;

export function humanBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = Math.abs(n);
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const s = u === 0 ? String(v) : v.toFixed(v < 10 ? 2 : 1);
  return (n < 0 ? '-' : '') + s + ' ' + units[u];
}

function cell(value: unknown, column: string): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number' && BYTE_COLUMN.test(column) && !/_per_day$/.test(column)) return humanBytes(value);
  if (typeof value === 'number' && /_per_day$/.test(column)) return humanBytes(value) + '/day';
  if (Array.isArray(value)) return value.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

export function formatRows(rows: Record<string, unknown>[], format: OutputFormat): string {
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  const columns = rows.length ? Object.keys(rows[0]) : [];
  if (format === 'csv') {
    return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
  }
  if (!rows.length) return '(no rows)\n';
  const MAX = 60;
  const text = rows.map((r) => columns.map((c) => {
    const s = cell(r[c], c);
    return s.length > MAX ? s.slice(0, MAX - 1) + '…' : s;
  }));
  const widths = columns.map((c, i) => Math.max(c.length, ...text.map((t) => t[i].length)));
  const numeric = columns.map((c) => rows.every((r) => r[c] === null || typeof r[c] === 'number'));
  const line = (cells: string[]) =>
    cells.map((s, i) => (numeric[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(columns), widths.map((w) => '-'.repeat(w)).join('  '), ...text.map(line)].join('\n') + '\n';
}

/** A follow cycle as the command line prints it: one line, then an indented line per issue. */
export function formatCycle(c: FollowCycle): string {
  const head = `${c.at.slice(0, 19)}Z cycle ${c.cycle}`;
  if (c.busy) return `${head} skipped: ${c.issues.join('; ')}`;
  const count = (n: number, one: string, many: string) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;
  const fetched = c.fetched
    ? `${count(c.fetched, c.kind === 'aws' ? 'new object/batch' : 'new file', c.kind === 'aws' ? 'new objects/batches' : 'new files')} (${count(c.records, 'record', 'records')}, ${humanBytes(c.bytes)})`
    : 'nothing new';
  const parts = [fetched, c.failed ? `${c.failed} failed` : '', c.conversations !== undefined ? count(c.conversations, 'conversation', 'conversations') : '', `${c.seconds.toFixed(1)} s`];
  return [`${head}: ${parts.filter(Boolean).join('; ')}`, ...c.issues.map((i) => `  ! ${i}`)].join('\n');
}
