/**
 * Small helpers shared by the inventory loaders: reading loosely-typed AWS JSON, account/region
 * resolution, ARNs, timestamps, and set-based bulk inserts into DuckDB.
 */
import { lit, type Db } from '../store/db';
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

/**
 * Inserts rows set-based: the rows travel as one JSON parameter and DuckDB turns them into a table
 * (from_json + unnest), so 50,000 rows cost one statement rather than 50,000.
 */
export async function insertRows(db: Db, table: string, cols: [string, ColType][], rows: Obj[], chunk = 20000): Promise<void> {
  if (!rows.length) return;
  const structure: Record<string, string> = {};
  for (const [c, t] of cols) structure[c] = t === 'JSON' ? 'JSON' : t === 'UHUGEINT' ? 'VARCHAR' : t;
  const names = cols.map(([c]) => `"${c}"`).join(', ');
  const select = cols
    .map(([c, t]) => (t === 'UHUGEINT' ? `CAST(r."${c}" AS UHUGEINT)` : `r."${c}"`))
    .join(', ');
  for (let i = 0; i < rows.length; i += chunk) {
    const part = rows.slice(i, i + chunk).map((r) => {
      const o: Obj = {};
      for (const [c, t] of cols) {
        const v = r[c];
        o[c] = v === undefined ? null : typeof v === 'bigint' ? v.toString() : v;
      }
      return o;
    });
    await db.exec(
      `INSERT INTO ${table} (${names}) SELECT ${select} FROM (SELECT unnest(from_json($rows::JSON, ${lit(JSON.stringify([structure]))})) AS r)`,
      { rows: JSON.stringify(part) },
    );
  }
}
