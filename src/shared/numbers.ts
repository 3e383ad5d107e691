/**
 * One way to write a number, for the CLI, the notebook (table, plain text, charts) and the topology map.
 * Pure (no DOM, no Node, no 'vscode'): the webviews import it from here, the engine re-exports it from
 * src/core/format.ts.
 *
 * Units come from a column's name (docs/columns.md), so a user's own SQL is written the same way as a template's:
 *   …_usd            money            $1,234.57, $0.50; below a cent two significant digits ($0.00085), never 1e-4
 *   …_pct            a percentage     82.1 %  (the value is already ×100)
 *   …_per_day_bytes  bytes per day    1.50 GiB/day
 *   bytes, …_bytes, bytes_…, uploaded, downloaded (the enriched tables' own columns)
 *                    bytes            1.50 KiB  (binary units, three significant digits; exact below 1 KiB)
 *   port, …_port, protocol, …_proto  a code     8080, 6 (a number that names something: never grouped, summed or charted)
 *   anything else numeric            a count    1,234,567 (at most 3 decimals)
 * And a time in a message: formatTime, '2026-09-21 14:14Z'.
 */

export type Unit = 'bytes' | 'bytes_per_day' | 'usd' | 'pct' | 'code' | 'count';

/** The unit a column's name declares; 'count' when it declares none. Checked longest suffix first. */
export function unitOfColumn(name: string): Unit {
  const n = name.toLowerCase();
  if (/(^|_)usd$/.test(n)) return 'usd';
  if (/(^|_)pct$/.test(n)) return 'pct';
  if (/(^|_)per_day_bytes$/.test(n)) return 'bytes_per_day';
  if (/(^|_)bytes$|^bytes_|^(uploaded|downloaded)$/.test(n)) return 'bytes';
  if (/(^|_|src|dst)port$|^protocol$|(^|_)proto$/.test(n)) return 'code';
  return 'count';
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

function toNumber(value: number | string | bigint): number {
  return typeof value === 'number' ? value : Number(value);
}

/** Three significant digits, fixed (no trailing-zero trimming, so a column reads evenly): 1.50, 15.0, 150. */
function threeDigits(n: number): string {
  return n >= 99.95 ? n.toFixed(0) : n >= 9.995 ? n.toFixed(1) : n.toFixed(2);
}

/** 1536 -> "1.50 KiB"; 1023 -> "1023 B"; negative values keep their sign (growth can shrink). */
export function formatBytes(value: number | string | bigint): string {
  let n = toNumber(value);
  if (!Number.isFinite(n)) return String(value);
  const sign = n < 0 ? '-' : '';
  n = Math.abs(n);
  let u = 0;
  while (n >= 1024 && u < BYTE_UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  // 1023.99 KiB would print as "1024 KiB": step up instead.
  if (u > 0 && n >= 1023.5 && u < BYTE_UNITS.length - 1) {
    n /= 1024;
    u++;
  }
  return `${sign}${u === 0 ? String(Math.round(n)) : threeDigits(n)} ${BYTE_UNITS[u]}`;
}

export function formatBytesPerDay(value: number | string | bigint): string {
  const n = toNumber(value);
  return Number.isFinite(n) ? `${formatBytes(n)}/day` : String(value);
}

/**
 * Money in US dollars: cents from a cent up ("$8.50", "$1,234.57"); below a cent two significant digits
 * ("$0.00085"), so a small estimate is neither "$0.00" nor "$8.5e-4"; exactly zero is "$0.00".
 */
export function formatUsd(value: number | string | bigint): string {
  const n = toNumber(value);
  if (!Number.isFinite(n)) return String(value);
  const sign = n < 0 ? '-' : '';
  const a = Math.abs(n);
  if (a === 0) return '$0.00';
  if (a < 0.01) {
    // Two significant digits ($0.00030), one beyond the sixth decimal (the templates round money to 6 decimals).
    const two = 1 - Math.floor(Math.log10(a));
    return `${sign}$${a.toFixed(two > 6 ? two - 1 : two)}`;
  }
  return `${sign}$${a.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A percentage already ×100: 82.14 -> "82.1 %". */
export function formatPct(value: number | string | bigint): string {
  const n = toNumber(value);
  if (!Number.isFinite(n)) return String(value);
  return `${n.toLocaleString('en-US', { maximumFractionDigits: 1 })} %`;
}

/** A count: thousands separators, at most three decimals; integers beyond 2^53 (HUGEINT as text) stay exact. */
export function formatCount(value: number | string | bigint): string {
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return value.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  if (typeof value === 'string' && !/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(value)) return value;
  const n = toNumber(value);
  if (!Number.isFinite(n)) return String(value);
  return n.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

/** "1 file", "5,749 files": a count and its noun, grouped as every count is (never "file(s)"). */
export function plural(n: number | bigint, one: string, many = `${one}s`): string {
  return `${formatCount(n)} ${Number(n) === 1 ? one : many}`;
}

/**
 * A time as the messages write it (the CLI's summary and warnings, the editor's notifications): UTC to the minute,
 * '2026-09-21 14:14Z' (seconds dropped). Takes epoch milliseconds, a Date or an ISO string.
 */
export function formatTime(t: number | string | Date): string {
  const d = new Date(t);
  return Number.isFinite(d.getTime()) ? `${d.toISOString().slice(0, 16).replace('T', ' ')}Z` : String(t);
}

export function formatInUnit(value: number | string | bigint, unit: Unit): string {
  switch (unit) {
    case 'bytes':
      return formatBytes(value);
    case 'bytes_per_day':
      return formatBytesPerDay(value);
    case 'usd':
      return formatUsd(value);
    case 'pct':
      return formatPct(value);
    case 'code':
      return String(value);
    default:
      return formatCount(value);
  }
}

export interface Axis {
  /** Tick values in the data's own unit (bytes, dollars, …), 0 and the top included. */
  ticks: number[];
  /** The top of the axis: the last tick, at or above the data's maximum. */
  top: number;
  /** The bottom of the axis: the first tick, 0 unless the data goes below 0. */
  bottom: number;
  /** A tick's label, every label in the same display unit ("0", "500 MiB", "1,000 MiB" or "0.5 GiB"…). */
  label(v: number): string;
}

const STEPS = [1, 2, 5];

/** The binary unit ticks are written in: the one the largest magnitude reads best in. */
function byteScale(maxAbs: number): number {
  let u = 0;
  while (maxAbs >= 1024 ** (u + 1) && u < BYTE_UNITS.length - 1) u++;
  return u;
}

/**
 * Axis ticks at 1-2-5 steps in the unit the labels are written in (bytes: 200 MiB steps, not 190.7 MiB;
 * money in dollars; percentages; counts), at most `maxTicks` intervals. A narrow pane passes a smaller `maxTicks`.
 */
export function niceAxis(min: number, max: number, unit: Unit, maxTicks = 5): Axis {
  const lo = Math.min(0, min);
  let hi = Math.max(0, max);
  if (hi === lo) hi = lo + 1;
  const bytes = unit === 'bytes' || unit === 'bytes_per_day';
  const u = bytes ? byteScale(Math.max(Math.abs(lo), Math.abs(hi))) : 0;
  const scale = bytes ? 1024 ** u : 1;
  const span = (hi - lo) / scale;
  const intervals = Math.max(1, Math.floor(maxTicks));
  let step = 0;
  for (let e = Math.floor(Math.log10(span / intervals)) - 1; step === 0; e++) {
    for (const s of STEPS) {
      const candidate = s * 10 ** e;
      if (Math.ceil(hi / scale / candidate - 1e-9) - Math.floor(lo / scale / candidate + 1e-9) <= intervals) {
        step = candidate;
        break;
      }
    }
  }
  const first = Math.floor(lo / scale / step + 1e-9);
  const last = Math.ceil(hi / scale / step - 1e-9);
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toFixed(decimals)) * scale);
  const text = (v: number) => (v / scale).toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
  const label = (v: number): string => {
    if (v === 0) return '0';
    if (bytes) return `${text(v)} ${BYTE_UNITS[u]}${unit === 'bytes_per_day' ? '/day' : ''}`;
    if (unit === 'usd') return `${v < 0 ? '-' : ''}$${text(Math.abs(v))}`;
    if (unit === 'pct') return `${text(v)} %`;
    return text(v);
  };
  return { ticks, top: ticks[ticks.length - 1], bottom: ticks[0], label };
}
