/**
 * Rows as text: an aligned table for people (numbers in the unit their column's name declares: bytes, $, %,
 * per day; see src/shared/numbers.ts), JSON or CSV for programs.
 */
import type { FollowCycle } from '../protocol/enrich';
import type { FolderScan } from '../protocol/reports';
import { formatBytes, formatInUnit, unitOfColumn } from '../shared/numbers';

export type OutputFormat = 'table' | 'json' | 'csv';

/** The one formatter (src/shared/numbers.ts, pure so the webviews share it), re-exported for the engine and the CLI. */
export { formatBytes, formatBytesPerDay, formatCount, formatInUnit, formatPct, formatUsd, niceAxis, unitOfColumn, type Unit } from '../shared/numbers';

/** Bytes as people read them; the same text as the notebook and the map (formatBytes). */
export function humanBytes(n: number): string {
  return formatBytes(n);
}

function cell(value: unknown, column: string, names?: ReadonlyMap<string, string>): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string' && names?.has(value)) return names.get(value)!;
  if (typeof value === 'number' || typeof value === 'bigint') return formatInUnit(value, unitOfColumn(column));
  if (Array.isArray(value)) return value.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return /[",\n\r]/.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s;
}

/**
 * Rows in `format`. A table for people may show resources by name: `names` maps a value (an ARN) to the text
 * shown instead (see names.ts); JSON and CSV keep every value as it is.
 */
export function formatRows(rows: Record<string, unknown>[], format: OutputFormat, opts: { names?: ReadonlyMap<string, string> } = {}): string {
  if (format === 'json') return JSON.stringify(rows, null, 2) + '\n';
  const columns = rows.length ? Object.keys(rows[0]) : [];
  if (format === 'csv') {
    return [columns.join(','), ...rows.map((r) => columns.map((c) => csvCell(r[c])).join(','))].join('\n') + '\n';
  }
  if (!rows.length) return '(no rows)\n';
  const MAX = 60;
  const text = rows.map((r) => columns.map((c) => {
    const s = cell(r[c], c, opts.names);
    return s.length > MAX ? s.slice(0, MAX - 1) + '…' : s;
  }));
  // (a loop: Math.max over a spread of 130 k rows or more overflows the call stack)
  const widths = columns.map((c, i) => text.reduce((w, t) => Math.max(w, t[i].length), c.length));
  const numeric = columns.map((c) => rows.every((r) => r[c] === null || typeof r[c] === 'number' || typeof r[c] === 'bigint'));
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

/** "1 file", "5,749 files": a count and its noun, grouped as every count is. */
export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString('en-US')} ${n === 1 ? one : many}`;

/** A folder's pre-scan (src/core/scan.ts): "12 flow-log files (10 gzip, 2 text), 4 inventory files; 1 other file (notes.txt)". */
export function formatScan(s: FolderScan): string {
  const formats = Object.entries(s.formats)
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([f, n]) => `${n.toLocaleString('en-US')} ${f}`)
    .join(', ');
  const main = `${plural(s.flowLogs, 'flow-log file')}${formats ? ` (${formats})` : ''}, ${plural(s.inventory, 'inventory file')}`;
  const more = (n: number, shown: readonly string[]) => `${shown.join(', ')}${n > shown.length ? ', …' : ''}`;
  const other = s.other ? `; ${plural(s.other, 'other file')} (${more(s.other, s.otherExamples)})` : '';
  const need = s.needFormat;
  const format = need
    ? `; ${plural(need.files, 'file')} without a header line need${need.files === 1 ? 's' : ''} the log format (${need.fieldCounts.join(' or ')} fields: ${more(need.files, need.examples)})`
    : '';
  return main + other + format;
}
