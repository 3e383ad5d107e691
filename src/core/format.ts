/**
 * Rows as text: an aligned table for people (numbers in the unit their column's name declares: bytes, $, %,
 * per day; see src/shared/numbers.ts), JSON or CSV for programs.
 */
import type { FollowCycle } from '../protocol/enrich';
import type { FolderScan } from '../protocol/reports';
import { formatBytes, formatInUnit, plural, unitOfColumn } from '../shared/numbers';

export type OutputFormat = 'table' | 'json' | 'csv';

/** The one formatter (src/shared/numbers.ts, pure so the webviews share it), re-exported for the engine and the CLI. */
export { formatBytes, formatBytesPerDay, formatCount, formatInUnit, formatPct, formatTime, formatUsd, niceAxis, plural, unitOfColumn, type Unit } from '../shared/numbers';

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

/** A table's cell: at most 60 characters. */
function tableCell(value: unknown, column: string, names?: ReadonlyMap<string, string>): string {
  const s = cell(value, column, names);
  return s.length > 60 ? s.slice(0, 59) + '…' : s;
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
  const t = tableOf(rows, columns, opts.names);
  return [t.head, ...t.text.map(t.line)].join('\n') + '\n';
}

/**
 * A table's layout from its rows: their cells' text, each column's width (its longest cell or its name) and side
 * (numbers right, the rest left), the header with its rule, and how a row's cells make a line.
 */
function tableOf(rows: readonly Record<string, unknown>[], columns: readonly string[], names?: ReadonlyMap<string, string>) {
  const text = rows.map((r) => columns.map((c) => tableCell(r[c], c, names)));
  // (a loop: Math.max over a spread of 130 k rows or more overflows the call stack)
  const widths = columns.map((c, i) => text.reduce((w, t) => Math.max(w, t[i].length), c.length));
  const numeric = columns.map((c) => rows.every((r) => r[c] === null || typeof r[c] === 'number' || typeof r[c] === 'bigint'));
  const line = (cells: readonly string[]) =>
    cells.map((s, i) => (numeric[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]))).join('  ').trimEnd();
  return { text, line, head: `${line(columns)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}` };
}

/** A table holds this many rows to size its columns; the rows after them are padded to those widths. */
export const TABLE_SIZING_ROWS = 10_000;

/**
 * Rows in `format` written as they come, chunk by chunk, so that a result of millions of rows is never held whole
 * (`flowlens sql "SELECT * FROM flow_records" --format csv` held 1 M rows as objects and text, and ran out of
 * JavaScript's heap). The text is formatRows' for the same rows; a table of more than TABLE_SIZING_ROWS rows sizes
 * its columns from the first ones (a longer cell further on widens its line). A CSV of no rows still has its header.
 */
export class RowWriter {
  private held: Record<string, unknown>[] | undefined = [];
  private line: (cells: readonly string[]) => string = () => '';
  private count = 0;

  constructor(private readonly format: OutputFormat, private readonly columns: readonly string[], private readonly write: (text: string) => Promise<void>) {}

  async add(rows: Record<string, unknown>[]): Promise<void> {
    if (rows.length === 0) return;
    if (this.format === 'json') {
      const text = rows.map((r, i) => (this.count + i === 0 ? '[\n' : ',\n') + JSON.stringify(r, null, 2).replace(/^/gm, '  ')).join('');
      this.count += rows.length;
      return this.write(text);
    }
    if (this.format === 'csv') {
      const head = this.count === 0 ? this.columns.join(',') + '\n' : '';
      this.count += rows.length;
      return this.write(head + rows.map((r) => this.columns.map((c) => csvCell(r[c])).join(',') + '\n').join(''));
    }
    this.count += rows.length;
    if (this.held) {
      for (const r of rows) this.held.push(r);
      if (this.held.length <= TABLE_SIZING_ROWS) return;
      // enough to size the columns: written, and what comes after goes straight out
      const all = this.held;
      this.held = undefined;
      const t = tableOf(all.slice(0, TABLE_SIZING_ROWS), this.columns);
      this.line = t.line;
      await this.write([t.head, ...t.text.map(t.line)].join('\n') + '\n');
      return this.tableRows(all.slice(TABLE_SIZING_ROWS));
    }
    return this.tableRows(rows);
  }

  async end(): Promise<void> {
    if (this.format === 'json') return this.write(this.count ? '\n]\n' : '[]\n');
    if (this.format === 'csv') return this.count ? undefined : this.write(this.columns.join(',') + '\n');
    if (this.held) return this.write(formatRows(this.held, 'table'));
  }

  private tableRows(rows: Record<string, unknown>[]): Promise<void> | undefined {
    if (rows.length === 0) return undefined;
    return this.write(rows.map((r) => this.line(this.columns.map((c) => tableCell(r[c], c))) + '\n').join(''));
  }
}

/** A follow cycle as the command line prints it: one line, then an indented line per issue. */
export function formatCycle(c: FollowCycle): string {
  const head = `${c.at.slice(0, 19)}Z cycle ${c.cycle}`;
  if (c.busy) return `${head} skipped: ${c.issues.join('; ')}`;
  const fetched = c.fetched
    ? `${plural(c.fetched, c.kind === 'aws' ? 'new object/batch' : 'new file', c.kind === 'aws' ? 'new objects/batches' : 'new files')} (${plural(c.records, 'record', 'records')}, ${humanBytes(c.bytes)})`
    : 'nothing new';
  const parts = [fetched, c.failed ? `${c.failed} failed` : '', c.conversations !== undefined ? plural(c.conversations, 'conversation', 'conversations') : '', `${c.seconds.toFixed(1)} s`];
  return [`${head}: ${parts.filter(Boolean).join('; ')}`, ...c.issues.map((i) => `  ! ${i}`)].join('\n');
}


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
