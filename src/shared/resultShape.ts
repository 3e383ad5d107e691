/**
 * Turns a query result into what the notebook renderer shows: display text for each cell (bytes
 * human-readable, ARNs and tags readable), sorting, and which chart fits (a time series or a ranking).
 * Pure functions, run by both the notebook renderer (webview/notebook) and the host (the plain-text output, the
 * sidebar's sizes), hence here in src/shared: no DOM, no 'vscode', no Node.
 */
import type { ColumnInfo, Json, QueryResult } from '../protocol/worker';

/** The notebook output's MIME type for a result; the renderer in webview/notebook renders it. */
export const RESULT_MIME = 'application/vnd.flowlens.result+json';

export interface ResultPayload extends QueryResult {
  /** The cap the result was cut at. */
  rowCap: number;
}

export type ColumnRole = 'bytes' | 'number' | 'time' | 'arn' | 'tags' | 'text' | 'other';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$/;
const TIME = /^(TIMESTAMP.*|DATE)$/;

export function isNumericType(type: string): boolean {
  return NUMERIC.test(type);
}

export function columnRole(col: ColumnInfo, sample: Json[] = []): ColumnRole {
  const name = col.name.toLowerCase();
  if (isNumericType(col.type)) {
    if (/(^|_)(bytes?|uploaded|downloaded|upload|download|size)($|_)/.test(name) || /bytes$/.test(name)) return 'bytes';
    return 'number';
  }
  if (TIME.test(col.type)) return 'time';
  if (/^MAP\(/.test(col.type) || name === 'tags' || name.endsWith('_tags')) return 'tags';
  if (col.type === 'VARCHAR') {
    const present = sample.filter((v) => typeof v === 'string') as string[];
    if (present.length > 0 && present.every((v) => v.startsWith('arn:'))) return 'arn';
    return 'text';
  }
  return 'other';
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 -> "1.5 KiB"; exact below 1 KiB; three significant digits above. */
export function formatBytes(value: number | string): string {
  let n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n)) return String(value);
  const sign = n < 0 ? '-' : '';
  n = Math.abs(n);
  let u = 0;
  while (n >= 1024 && u < UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  const text = u === 0 ? String(Math.round(n)) : n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
  return `${sign}${text} ${UNITS[u]}`;
}

export function formatNumber(value: number | string): string {
  if (typeof value === 'string') return value.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/**
 * arn:aws:ec2:us-east-1:111111111111:instance/i-0abc -> "ec2 instance i-0abc (111111111111 us-east-1)";
 * graph node keys: aws:S3 -> "AWS S3"; anything else unchanged.
 */
export function readableArn(arn: string): string {
  const m = /^arn:([^:]+):([^:]+):([^:]*):([^:]*):(.+)$/.exec(arn);
  if (!m) {
    const svc = /^aws:(.+)$/.exec(arn);
    return svc ? `AWS ${svc[1]}` : arn;
  }
  const [, , service, region, account, resource] = m;
  let type = '';
  let id = resource;
  const slash = resource.indexOf('/');
  const colon = resource.indexOf(':');
  const cut = slash >= 0 && (colon < 0 || slash < colon) ? slash : colon;
  if (cut >= 0) {
    type = resource.slice(0, cut);
    id = resource.slice(cut + 1);
  }
  const where = [account, region].filter(Boolean).join(' ');
  return `${service}${type ? ' ' + type : ''} ${id}${where ? ` (${where})` : ''}`;
}

/** Tags as MAP (JSON object, or list of {key, value}) or a list of "k=v" -> "k=v, k2=v2", keys sorted. */
export function formatTags(value: Json): string {
  if (value === null) return '';
  if (Array.isArray(value)) {
    const pairs = value.map((x) => {
      if (x && typeof x === 'object' && !Array.isArray(x) && 'key' in x) return `${String(x.key)}=${String(x.value ?? '')}`;
      return String(x);
    });
    return pairs.sort().join(', ');
  }
  if (typeof value === 'object') {
    return Object.keys(value)
      .sort()
      .map((k) => `${k}=${value[k] === null ? '' : String(value[k])}`)
      .join(', ');
  }
  return String(value);
}

export function formatCell(value: Json, role: ColumnRole): string {
  if (value === null) return '';
  switch (role) {
    case 'bytes':
      return typeof value === 'number' || typeof value === 'string' ? formatBytes(value) : String(value);
    case 'number':
      return typeof value === 'number' || (typeof value === 'string' && /^-?\d+$/.test(value)) ? formatNumber(value) : String(value);
    case 'arn':
      return typeof value === 'string' ? readableArn(value) : String(value);
    case 'tags':
      return formatTags(value);
    case 'time':
      return String(value).replace('T', ' ').replace(/(\.0+)?Z?$/, '');
    default:
      // Mixed columns (an app name or a resource ARN) still show ARNs readably.
      if (typeof value === 'string' && value.startsWith('arn:')) return readableArn(value);
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

export function roles(result: QueryResult): ColumnRole[] {
  return result.columns.map((c, i) =>
    columnRole(
      c,
      result.rows.slice(0, 50).map((r) => r[i]),
    ),
  );
}

function compareValues(a: Json, b: Json): number {
  if (a === null && b === null) return 0;
  if (a === null) return 1; // nulls last in both directions
  if (b === null) return -1;
  const na = typeof a === 'number' ? a : typeof a === 'string' && /^-?\d+(\.\d+)?$/.test(a) ? Number(a) : NaN;
  const nb = typeof b === 'number' ? b : typeof b === 'string' && /^-?\d+(\.\d+)?$/.test(b) ? Number(b) : NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) {
    if (typeof a === 'string' && typeof b === 'string' && Math.abs(na) > Number.MAX_SAFE_INTEGER) {
      return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
    }
    return na - nb;
  }
  const sa = typeof a === 'object' ? JSON.stringify(a) : String(a);
  const sb = typeof b === 'object' ? JSON.stringify(b) : String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** A sorted copy (stable); nulls always last. */
export function sortRows(rows: Json[][], column: number, direction: 'asc' | 'desc'): Json[][] {
  const indexed = rows.map((r, i) => [r, i] as const);
  indexed.sort((x, y) => {
    const a = x[0][column];
    const b = y[0][column];
    if (a === null || b === null) return compareValues(a, b) || x[1] - y[1];
    const c = compareValues(a, b);
    return (direction === 'asc' ? c : -c) || x[1] - y[1];
  });
  return indexed.map((x) => x[0]);
}

export interface ChartSpec {
  kind: 'line' | 'bar';
  /** Column of the x axis (time for a line chart, the label for a bar chart). */
  x: number;
  /** Numeric columns drawn (at most 4 series for lines, 1 for bars). */
  y: number[];
  /** Whether the values are bytes (axis labels in KiB/MiB/...). */
  bytes: boolean;
  /** Points: for bars the top rows in result order (at most 20). */
  points: { x: number | string; y: number[] }[];
}

function toNumber(v: Json): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return null;
}

/**
 * A line chart when the result is a time series (a time column and numeric columns, at least 2 rows),
 * a bar chart when it is a ranking (a label column and a numeric column, 2 to 50 rows); otherwise none.
 */
export function chooseChart(result: QueryResult): ChartSpec | undefined {
  const r = roles(result);
  const numeric = r.flatMap((role, i) => (role === 'bytes' || role === 'number' ? [i] : []));
  if (numeric.length === 0 || result.rows.length < 2) return undefined;
  const time = r.indexOf('time');
  if (time >= 0) {
    const y = numeric.slice(0, 4);
    const points = result.rows
      .map((row) => ({ x: Date.parse(String(row[time]).replace(' ', 'T') + (/[Z+]/.test(String(row[time]).slice(10)) ? '' : 'Z')), y: y.map((i) => toNumber(row[i]) ?? 0) }))
      .filter((p) => !Number.isNaN(p.x))
      .sort((a, b) => a.x - b.x);
    if (points.length < 2) return undefined;
    return { kind: 'line', x: time, y, bytes: y.every((i) => r[i] === 'bytes'), points };
  }
  const label = r.findIndex((role) => role === 'text' || role === 'arn');
  if (label < 0 || result.rows.length > 50) return undefined;
  // The first bytes column ranks best; else the first numeric column after the label.
  const value = numeric.find((i) => r[i] === 'bytes') ?? numeric[0];
  const points = result.rows.slice(0, 20).map((row) => ({
    x: formatCell(row[label], r[label]),
    y: [toNumber(row[value]) ?? 0],
  }));
  return { kind: 'bar', x: label, y: [value], bytes: r[value] === 'bytes', points };
}

/** The plain-text rendering: an aligned table with the row cap and total, readable in any viewer. */
export function resultAsText(result: QueryResult, maxRows = 50): string {
  const r = roles(result);
  const header = result.columns.map((c) => c.name);
  const body = result.rows.slice(0, maxRows).map((row) => row.map((v, i) => formatCell(v, r[i])));
  const widths = header.map((h, i) => Math.min(60, Math.max(h.length, ...body.map((b) => b[i].length))));
  const fit = (s: string, w: number) => (s.length > w ? s.slice(0, w - 1) + '…' : s.padEnd(w));
  const line = (cells: string[]) => cells.map((c, i) => fit(c, widths[i])).join(' | ').trimEnd();
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('-+-'), ...body.map(line)];
  const shown = Math.min(result.rows.length, maxRows);
  out.push(
    shown < result.total
      ? `(${formatNumber(shown)} of ${formatNumber(result.total)} rows)`
      : `(${formatNumber(result.total)} row${result.total === 1 ? '' : 's'})`,
  );
  return out.join('\n');
}
