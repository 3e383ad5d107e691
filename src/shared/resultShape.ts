/**
 * Turns a query result into what the notebook renderer shows: display text for each cell (numbers in the unit
 * their column's name declares, ARNs and tags readable), sorting, and which chart fits (a time series or a ranking).
 * Pure functions, run by both the notebook renderer (webview/notebook) and the host (the plain-text output, the
 * sidebar's sizes), hence here in src/shared: no DOM, no 'vscode', no Node.
 */
import type { ColumnInfo, Json, QueryResult } from '../protocol/worker';
import { formatBytes, formatCount, formatInUnit, unitOfColumn, type Unit } from './numbers';

/** The notebook output's MIME type for a result; the renderer in webview/notebook renders it. */
export const RESULT_MIME = 'application/vnd.flowlens.result+json';

export interface ResultPayload extends QueryResult {
  /** The cap the result was cut at. */
  rowCap: number;
}

/**
 * What a column holds, for display. The numeric roles come from the column's name (the unit convention in
 * src/shared/numbers.ts and docs/columns.md): bytes, bytes_per_day, usd, pct; other numeric columns are 'number'.
 */
export type ColumnRole = 'bytes' | 'bytes_per_day' | 'usd' | 'pct' | 'number' | 'code' | 'time' | 'arn' | 'tags' | 'text' | 'other';

const NUMERIC = /^(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT|UTINYINT|USMALLINT|UINTEGER|UBIGINT|UHUGEINT|FLOAT|DOUBLE|DECIMAL.*)$/;
const TIME = /^(TIMESTAMP.*|DATE)$/;

export function isNumericType(type: string): boolean {
  return NUMERIC.test(type);
}

/** Whether a role is a number (right-aligned, charted, sorted biggest first). */
export function isNumericRole(role: ColumnRole): boolean {
  return role === 'bytes' || role === 'bytes_per_day' || role === 'usd' || role === 'pct' || role === 'number';
}

/** The unit a numeric role is written in. */
export function unitOfRole(role: ColumnRole): Unit {
  return role === 'bytes' || role === 'bytes_per_day' || role === 'usd' || role === 'pct' || role === 'code' ? role : 'count';
}

export function columnRole(col: ColumnInfo, sample: Json[] = []): ColumnRole {
  const name = col.name.toLowerCase();
  if (isNumericType(col.type)) {
    const unit = unitOfColumn(name);
    return unit === 'count' ? 'number' : unit;
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

/** Kept for callers that name it so; the one byte formatter lives in src/shared/numbers.ts. */
export { formatBytes };

export function formatNumber(value: number | string): string {
  return formatCount(value);
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
  if (isNumericRole(role)) {
    return typeof value === 'number' || (typeof value === 'string' && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value))
      ? formatInUnit(value, unitOfRole(role))
      : String(value);
  }
  switch (role) {
    case 'code':
      return String(value);
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
  /** Column of the x axis (time for a line chart; for a bar chart the first of the label columns). */
  x: number;
  /** Numeric columns drawn, all in one unit (at most 4 series for lines, 1 for bars). */
  y: number[];
  /** The unit of the values (axis ticks at 1-2-5 steps in it). */
  unit: Unit;
  /**
   * Points. Lines: time (ms) and values, by time. Bars: a label (the text columns that tell rows apart, e.g.
   * "web · use1-az1 → db · use1-az2") and the value, biggest first; at most BAR_TOP, then one 'other' bar.
   */
  points: { x: number | string; y: number[] }[];
  /** Bars: how many rows the last ('other') bar sums up; 0 when every row has its own bar. */
  other: number;
}

/** Bars drawn before the rest is summed into one 'other' bar. */
export const BAR_TOP = 15;

function toNumber(v: Json): number | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) return Number(v);
  return null;
}

/** The bar chart's value column: the total ('bytes'), else growth, else the first bytes, money or other number. */
function valueColumn(result: QueryResult, r: ColumnRole[], numeric: number[]): number {
  const named = (re: RegExp) => numeric.find((i) => re.test(result.columns[i].name.toLowerCase()));
  return (
    named(/^(total_)?bytes$/) ??
    named(/growth.*_bytes$|^growth_bytes/) ??
    numeric.find((i) => r[i] === 'bytes') ??
    numeric.find((i) => r[i] === 'usd') ??
    numeric[0]
  );
}

/**
 * A bar's label: the text columns whose values tell rows apart (a column with one value for every row says
 * nothing), client side and server side joined by an arrow: "web · use1-az1 → db · use1-az2".
 */
function labelColumns(result: QueryResult, r: ColumnRole[]): number[] {
  const text = r.flatMap((role, i) => (role === 'text' || role === 'arn' || role === 'code' ? [i] : []));
  const varying = text.filter((i) => new Set(result.rows.map((row) => row[i])).size > 1);
  return (varying.length ? varying : text.slice(0, 1)).slice(0, 4);
}

function barLabel(row: Json[], cols: number[], result: QueryResult, r: ColumnRole[]): string {
  const side = (i: number) => (/^(client|source|src|from)(_|$)/.test(result.columns[i].name) ? 'a' : /^(server|target|dest|destination|dst|to)(_|$)/.test(result.columns[i].name) ? 'b' : '');
  const text = (i: number) => (row[i] === null ? '∅' : formatCell(row[i], r[i]));
  const a = cols.filter((i) => side(i) === 'a');
  const b = cols.filter((i) => side(i) === 'b');
  const rest = cols.filter((i) => side(i) === '');
  const parts = a.length && b.length ? [`${a.map(text).join(' · ')} → ${b.map(text).join(' · ')}`] : [...a, ...b].map(text);
  return [...parts, ...rest.map(text)].join(' · ');
}

/**
 * A line chart when the result is a time series (a time column and numeric columns, at least 2 rows);
 * a bar chart when it is a ranking (a label column and a numeric column, at least 2 rows): the top BAR_TOP
 * rows by value and, when there are more, one 'other' bar for the rest; otherwise none.
 */
export function chooseChart(result: QueryResult): ChartSpec | undefined {
  const r = roles(result);
  const numeric = r.flatMap((role, i) => (isNumericRole(role) ? [i] : []));
  if (numeric.length === 0 || result.rows.length < 2) return undefined;
  const time = r.indexOf('time');
  if (time >= 0) {
    // One axis, one unit: the series that share the first numeric column's unit.
    const unit = unitOfRole(r[numeric[0]]);
    const y = numeric.filter((i) => unitOfRole(r[i]) === unit).slice(0, 4);
    const points = result.rows
      .map((row) => ({ x: Date.parse(String(row[time]).replace(' ', 'T') + (/[Z+]/.test(String(row[time]).slice(10)) ? '' : 'Z')), y: y.map((i) => toNumber(row[i]) ?? 0) }))
      .filter((p) => !Number.isNaN(p.x))
      .sort((a, b) => a.x - b.x);
    if (points.length < 2) return undefined;
    return { kind: 'line', x: time, y, unit, points, other: 0 };
  }
  const labels = labelColumns(result, r);
  if (labels.length === 0) return undefined;
  const value = valueColumn(result, r, numeric);
  const ranked = result.rows
    .map((row, k) => ({ x: barLabel(row, labels, result, r), v: toNumber(row[value]) ?? 0, k }))
    .sort((p, q) => q.v - p.v || p.k - q.k);
  const top = ranked.length > BAR_TOP + 1 ? ranked.slice(0, BAR_TOP) : ranked;
  const rest = ranked.slice(top.length);
  const points = top.map((p) => ({ x: p.x, y: [p.v] }));
  if (rest.length) points.push({ x: `other (${formatCount(rest.length)} rows)`, y: [rest.reduce((sum, p) => sum + p.v, 0)] });
  return { kind: 'bar', x: labels[0], y: [value], unit: unitOfRole(r[value]), points, other: rest.length };
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
