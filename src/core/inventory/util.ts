/**
 * Small helpers shared by the inventory loaders: reading loosely-typed AWS JSON, account/region
 * resolution, ARNs, timestamps, and set-based bulk inserts into DuckDB.
 */
import { LIST, VARCHAR, timestampValue, type DuckDBAppender } from '@duckdb/node-api';
import type { Db } from '../store/db';
import { UNKNOWN_START, OPEN_END } from '../store/schema';

export type Obj = Record<string, unknown>;

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An array field (or []), tolerating CloudTrail's {items:[…]} / {item:[…]} wrappers. */
export function arr(v: unknown): Obj[] {
  if (Array.isArray(v)) return v.filter(isObj);
  if (isObj(v)) {
    const inner = v.items ?? v.item;
    if (Array.isArray(inner)) return inner.filter(isObj);
    if (isObj(inner)) return [inner];
  }
  return [];
}

export function strs(v: unknown): string[] {
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

export function str(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  return undefined;
}

export function bool(v: unknown): boolean | undefined {
  return typeof v === 'boolean' ? v : undefined;
}

const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
const AZ_RE = /^([a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d{1,2})(?:[a-z]|-[a-z]+-\d+[a-z]?)$/;

export function isRegion(s: string): boolean {
  return REGION_RE.test(s);
}

/** us-east-1a -> us-east-1; us-west-2-lax-1a (a Local Zone) -> us-west-2. */
export function regionFromAz(az: string | undefined): string | undefined {
  if (!az) return undefined;
  const m = AZ_RE.exec(az);
  return m ? m[1] : undefined;
}

export interface ArnParts {
  partition: string;
  service: string;
  region: string;
  account: string;
  resource: string;
}

export function parseArn(arn: string | undefined): ArnParts | undefined {
  if (!arn || !arn.startsWith('arn:')) return undefined;
  const p = arn.split(':');
  if (p.length < 6) return undefined;
  return { partition: p[1], service: p[2], region: p[3], account: p[4], resource: p.slice(5).join(':') };
}

/** Account and region from the path: a 12-digit folder and a region folder (…/111111111111/us-east-1/…). */
export function contextFromPath(path: string): { accountId?: string; region?: string } {
  const out: { accountId?: string; region?: string } = {};
  for (const seg of path.split(/[\\/]/)) {
    if (/^\d{12}$/.test(seg)) out.accountId = seg;
    else if (isRegion(seg)) out.region = seg;
    else {
      // hive-style folders: aws-account-id=…, aws-region=…
      const kv = /^(?:aws-)?(account(?:-id)?|region)=(.+)$/.exec(seg);
      if (kv && kv[1].startsWith('account') && /^\d{12}$/.test(kv[2])) out.accountId = kv[2];
      if (kv && kv[1] === 'region' && isRegion(kv[2])) out.region = kv[2];
    }
  }
  return out;
}

/** Tags from Tags / TagSet / TagList ([{Key,Value}]), CloudTrail tagSet ({items:[{key,value}]}), or a map. */
export function tagsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isObj(v) && !('items' in v) && !('item' in v)) {
    for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
    return out;
  }
  for (const t of arr(v)) {
    const k = str(t.Key ?? t.key);
    if (k !== undefined) out[k] = typeof (t.Value ?? t.value) === 'string' ? String(t.Value ?? t.value) : '';
  }
  return out;
}

export function nameTag(tags: Record<string, string>): string | undefined {
  return tags.Name || undefined;
}

/**
 * A timestamp as 'YYYY-MM-DD HH:MM:SS[.fff]' UTC, or undefined. Accepts ISO strings (with offset),
 * epoch seconds or milliseconds (CloudTrail writes launchTime as epoch ms), and Date objects.
 */
export function ts(v: unknown): string | undefined {
  let d: Date | undefined;
  if (v instanceof Date) d = v;
  else if (typeof v === 'number' && Number.isFinite(v)) d = new Date(v > 1e11 ? v : v * 1000);
  else if (typeof v === 'string' && v) {
    if (/^\d+(\.\d+)?$/.test(v)) return ts(Number(v));
    let t = v.trim().replace(' ', 'T');
    if (/T\d/.test(t) && !/([zZ]|[+-]\d\d:?\d\d)$/.test(t)) t += 'Z';
    d = new Date(t);
  }
  if (!d || Number.isNaN(d.getTime())) return undefined;
  return d.toISOString().replace('T', ' ').replace('Z', '');
}

export { UNKNOWN_START, OPEN_END };

/** Lexicographic order of our timestamp strings is chronological (same fixed width up to millis). */
export function tsMin(a: string, b: string): string {
  return norm(a) <= norm(b) ? a : b;
}
export function tsMax(a: string, b: string): string {
  return norm(a) >= norm(b) ? a : b;
}
export function tsLess(a: string, b: string): boolean {
  return norm(a) < norm(b);
}
function norm(t: string): string {
  return t.length >= 23 ? t : (t + '.000').slice(0, 23);
}

export type ColType = 'VARCHAR' | 'VARCHAR[]' | 'BOOLEAN' | 'INTEGER' | 'BIGINT' | 'TINYINT' | 'TIMESTAMP' | 'JSON' | 'UHUGEINT';

const tableColumns = new WeakMap<Db, Map<string, string[]>>();

async function columnsOf(db: Db, table: string): Promise<string[]> {
  let m = tableColumns.get(db);
  if (!m) {
    // every table's columns in one query (information_schema took 10-25 ms a table, 22 tables per inventory load)
    const all = await db.all<{ t: string; cols: string[] }>(
      `SELECT table_name AS t, list(column_name ORDER BY column_index) AS cols FROM duckdb_columns()
       WHERE database_name = current_database() AND schema_name = 'main' AND NOT internal GROUP BY table_name`,
    );
    tableColumns.set(db, (m = new Map(all.map((r) => [r.t, [...r.cols]]))));
  }
  let cols = m.get(table);
  if (!cols) {
    cols = (
      await db.all<{ c: string }>(
        `SELECT column_name AS c FROM information_schema.columns WHERE table_name = $t AND table_schema = 'main' ORDER BY ordinal_position`,
        { t: table },
      )
    ).map((r) => r.c);
    m.set(table, cols);
  }
  return cols;
}

const VARCHAR_LIST = LIST(VARCHAR);

/** 'YYYY-MM-DD HH:MM:SS[.fff]' (UTC) as DuckDB timestamp micros. */
function micros(v: string): bigint {
  const ms = Date.parse(v.replace(' ', 'T') + (/[zZ]|[+-]\d\d:\d\d$/.test(v) ? '' : 'Z'));
  if (Number.isNaN(ms)) throw new Error(`not a timestamp: ${v}`);
  return BigInt(ms) * 1000n;
}

/**
 * Rows appended to one table through one DuckDB appender (one native call per value, no SQL per row), kept open
 * across batches: rows appended through one appender fill whole row groups, which DuckDB writes out as they fill,
 * where an appender per batch leaves a part-filled row group in memory per batch (100 k ENIs: 308 MB held until
 * the transaction ends, against about 40 MB). Columns of the table that `cols` does not name get their default.
 * Runs inside the caller's transaction; close() flushes and closes the appender.
 */
export class RowAppender {
  private app: DuckDBAppender | undefined;
  private order: string[] = [];
  private readonly typeOf: Map<string, ColType>;

  constructor(
    private readonly db: Db,
    private readonly table: string,
    private readonly cols: [string, ColType][],
  ) {
    this.typeOf = new Map(cols);
  }

  async append(rows: Obj[]): Promise<void> {
    if (!rows.length) return;
    if (!this.app) {
      this.order = await columnsOf(this.db, this.table);
      for (const [c] of this.cols) if (!this.order.includes(c)) throw new Error(`${this.table} has no column ${c}`);
      this.app = await this.db.conn.createAppender(this.table);
    }
    const app = this.app;
    const order = this.order;
    const typeOf = this.typeOf;
    for (const r of rows) {
      for (const c of order) {
        const t = typeOf.get(c);
        if (!t) {
          app.appendDefault();
          continue;
        }
        const v = r[c];
        if (v === undefined || v === null) {
          app.appendNull();
          continue;
        }
        switch (t) {
          case 'VARCHAR':
            app.appendVarchar(String(v));
            break;
          case 'JSON':
            app.appendVarchar(typeof v === 'string' ? v : JSON.stringify(v));
            break;
          case 'VARCHAR[]':
            app.appendList((v as unknown[]).map(String), VARCHAR_LIST);
            break;
          case 'BOOLEAN':
            app.appendBoolean(Boolean(v));
            break;
          case 'TINYINT':
            app.appendTinyInt(Number(v));
            break;
          case 'INTEGER':
            app.appendInteger(Number(v));
            break;
          case 'BIGINT':
            app.appendBigInt(BigInt(v as number));
            break;
          case 'UHUGEINT':
            app.appendUHugeInt(BigInt(v as bigint));
            break;
          case 'TIMESTAMP':
            app.appendTimestamp(timestampValue(micros(String(v))));
            break;
        }
      }
      app.endRow();
    }
  }

  close(): void {
    const app = this.app;
    this.app = undefined;
    if (!app) return;
    try {
      app.flushSync();
    } finally {
      app.closeSync();
    }
  }

  /** Closes the appender without appending the rows it still buffers (after a failure: nothing half-written lands). */
  discard(): void {
    const app = this.app;
    this.app = undefined;
    if (!app) return;
    app.clear();
    app.closeSync();
  }
}

/** Inserts rows through an appender of their own (see RowAppender), flushed and closed before returning. */
export async function insertRows(db: Db, table: string, cols: [string, ColType][], rows: Obj[]): Promise<void> {
  const w = new RowAppender(db, table, cols);
  try {
    await w.append(rows);
  } catch (e) {
    w.discard();
    throw e;
  }
  w.close();
}
