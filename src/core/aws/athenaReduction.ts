/**
 * The Athena reduction (athena-reduction.sql) made into one statement for a table: its name, the time range,
 * the window, the partition predicates, and the optional columns the table has (a column it lacks is a typed
 * NULL: without tcp_flags the orientation is by port ranks alone). The same text runs in Athena (Trino) and in
 * DuckDB: the two engines share every function it uses, so the only layer between them is this one, which says
 * what the table has.
 */
import REDUCTION_SQL from './athena-reduction.sql';

/** The windows a reduction may use, in seconds: 1 minute (the engine's conversation minute), 5 minutes, 1 hour. */
export const REDUCTION_WINDOWS = [60, 300, 3600] as const;
export type ReductionWindow = (typeof REDUCTION_WINDOWS)[number];

/** The optional columns the reduction reads, as AWS's Athena table for flow logs names them, with their type. */
export const OPTIONAL_COLUMNS = {
  vpc_id: 'varchar',
  pkt_srcaddr: 'varchar',
  pkt_dstaddr: 'varchar',
  tcp_flags: 'integer',
  traffic_path: 'integer',
  pkt_src_aws_service: 'varchar',
  pkt_dst_aws_service: 'varchar',
} as const;

/** The columns every flow-log table has (AWS's default format). */
export const REQUIRED_COLUMNS = ['interface_id', 'srcaddr', 'dstaddr', 'srcport', 'dstport', 'protocol', 'packets', 'bytes', 'start', 'end', 'action', 'log_status'] as const;

/** The columns of a reduction's result, in order (what athena.ts reads and store/reduced.ts stores). */
export const REDUCED_COLUMNS = ['interface_id', 'vpc_id', 'client_addr', 'server_addr', 'server_port', 'protocol', 'action', 'window_start',
  'first_start', 'last_end', 'bytes_up', 'bytes_down', 'packets_up', 'packets_down', 'records', 'client_ports', 'flags',
  'path_up', 'path_down', 'client_service', 'server_service'] as const;

export interface ReductionOptions {
  /** The table as SQL names it: `"db"."table"` (quoted by the caller: see quoteTable). */
  table: string;
  since: Date;
  until: Date;
  /** Seconds: 60, 300 or 3600 (default 60). */
  windowSeconds?: number;
  /** The table's columns (lower case); unknown: only the required ones are assumed. */
  columns?: readonly string[];
  /** Predicates on the table's partition columns (ANDed), e.g. `"day" >= '2026/09/01'`. */
  partitions?: readonly string[];
  /** Times inside the range not to read (the dataset holds them from results loaded before). */
  exclude?: readonly { since: Date; until: Date }[];
}

const epochSeconds = (t: Date) => String(Math.floor(t.getTime() / 1000));

/** Records that start in [since, until), as the reduction's WHERE says it. */
export function startsIn(since: Date, until: Date): string {
  return `start >= ${epochSeconds(since)} AND start < ${epochSeconds(until)}`;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** `"catalog"."database"."table"` (catalog optional). */
export function quoteTable(t: { catalog?: string; database: string; table: string }): string {
  return `${t.catalog ? ident(t.catalog) + '.' : ''}${ident(t.database)}.${ident(t.table)}`;
}

/** The window, checked: one of REDUCTION_WINDOWS. */
export function reductionWindow(seconds: number | undefined): ReductionWindow {
  const w = seconds ?? 60;
  if (!(REDUCTION_WINDOWS as readonly number[]).includes(w)) throw new Error(`an Athena reduction window is 60, 300 or 3600 seconds (1 minute, 5 minutes, 1 hour), not ${w}`);
  return w as ReductionWindow;
}

/** The columns a table lacks among those the reduction needs (a table without them cannot be reduced). */
export function missingColumns(columns: readonly string[]): string[] {
  const has = new Set(columns.map((c) => c.toLowerCase()));
  return REQUIRED_COLUMNS.filter((c) => !has.has(c));
}

/** The reduction as one statement (Trino and DuckDB). */
export function reductionSql(o: ReductionOptions): string {
  const w = reductionWindow(o.windowSeconds);
  const has = new Set((o.columns ?? []).map((c) => c.toLowerCase()));
  const slots: Record<string, string> = {
    table: o.table,
    since: epochSeconds(o.since),
    until: epochSeconds(o.until),
    window: String(w),
    partitions: [...(o.partitions ?? []), ...(o.exclude ?? []).map((x) => `NOT (${startsIn(x.since, x.until)})`)]
      .map((p) => `\n    AND (${p})`).join(''),
  };
  for (const [c, type] of Object.entries(OPTIONAL_COLUMNS)) slots[c] = has.has(c) ? c : `CAST(NULL AS ${type})`;
  // the file's leading comment stays in the repository: the statement sent is the query alone
  const body = REDUCTION_SQL.replace(/^(--[^\n]*\n)+/, '');
  return body.replace(/\{\{(\w+)\}\}/g, (_, k: string) => {
    const v = slots[k];
    if (v === undefined) throw new Error(`athena-reduction.sql: no value for {{${k}}}`);
    return v;
  }).trim();
}
