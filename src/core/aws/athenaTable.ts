/**
 * What Flowlens reads of the user's Athena flow-log table before it runs anything: its columns (the optional
 * ones the reduction uses: tcp_flags, pkt-*, vpc_id, …), its partitions and where its data lies, so that the
 * time range and regions become predicates on the partition columns (Athena then reads only those partitions)
 * and the bytes the query will scan can be estimated before it runs.
 *
 * Partitions recognised: the Hive-style layout AWS delivers (`aws-account-id=…/aws-service=…/aws-region=…/
 * year=…/month=…/day=…/[hour=…/]`, keys as the table names them: aws_region, year, month, day, hour), AWS's
 * plain layout read by a table with partition projection (`…/AWSLogs/${accid}/vpcflowlogs/${region}/${day}`, a
 * day key in the projection's format, such as yyyy/MM/dd), and a `date`/`dt` key of type date or text.
 */

export interface TableInfo {
  columns: string[];
  partitionKeys: { name: string; type: string }[];
  parameters: Record<string, string>;
}

export interface PartitionPlan {
  /** Predicates on partition columns (ANDed into the reduction's WHERE). */
  predicates: string[];
  /** The partition keys recognised, and how (for the report). */
  recognised: string[];
  /** Keys left unconstrained. */
  ignored: string[];
  /**
   * Where the window's data lies, as s3:// prefixes (one per day and region when the layout says so; the table's
   * location alone when it does not): what a scan estimate lists.
   */
  prefixes: string[];
}

/** How much later than its start a record may be delivered (AWS: about 10 minutes to S3; an hour allowed). */
export const LATE_DELIVERY_MS = 3600_000;

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const text = (s: string) => `'${s.replace(/'/g, "''")}'`;
const pad = (n: number) => String(n).padStart(2, '0');

/** The UTC days from since to until (inclusive of until's day when it has any time in it). */
export function daysOf(since: Date, until: Date): Date[] {
  const out: Date[] = [];
  let t = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (; t < until.getTime(); t += 86_400_000) out.push(new Date(t));
  return out;
}

/** A day in a Java DateTimeFormatter pattern of the kind projection uses (yyyy, MM, dd; anything else kept). */
export function formatDay(d: Date, pattern: string): string {
  return pattern.replace(/yyyy/g, String(d.getUTCFullYear())).replace(/MM/g, pad(d.getUTCMonth() + 1)).replace(/dd/g, pad(d.getUTCDate()));
}

const norm = (k: string) => k.toLowerCase().replace(/-/g, '_');

/**
 * The predicates that keep Athena to the window's partitions (and to `regions`, when the table has a region
 * key), and the S3 prefixes that hold them.
 */
export function partitionPlan(info: TableInfo, since: Date, until: Date, regions: readonly string[]): PartitionPlan {
  const keys = new Map(info.partitionKeys.map((k) => [norm(k.name), k]));
  const plan: PartitionPlan = { predicates: [], recognised: [], ignored: [], prefixes: [] };
  // partitions are by delivery time: a record that starts before `until` may arrive up to an hour later
  const days = daysOf(since, new Date(until.getTime() + LATE_DELIVERY_MS));
  const used = new Set<string>();
  const regionKey = keys.get('aws_region') ?? keys.get('region');
  if (regionKey && regions.length) {
    plan.predicates.push(`${ident(regionKey.name)} IN (${regions.map(text).join(', ')})`);
    plan.recognised.push(`${regionKey.name} (region)`);
    used.add(norm(regionKey.name));
  }
  const [y, m, d] = ['year', 'month', 'day'].map((k) => keys.get(k));
  const projected = (k: string) => info.parameters[`projection.${k}.format`];
  if (y && m && d && !projected(d.name)) {
    // Hive-style: one conjunction per day
    plan.predicates.push(`(${days.map((x) => `(${ident(y.name)} = ${text(String(x.getUTCFullYear()))} AND ${ident(m.name)} = ${text(pad(x.getUTCMonth() + 1))} AND ${ident(d.name)} = ${text(pad(x.getUTCDate()))})`).join(' OR ') || 'false'})`);
    plan.recognised.push(`${y.name}/${m.name}/${d.name} (Hive-style date)`);
    for (const k of [y, m, d]) used.add(norm(k.name));
  } else {
    const day = d ?? keys.get('date') ?? keys.get('dt');
    if (day) {
      const type = day.type.toLowerCase();
      if (type === 'date') {
        plan.predicates.push(`${ident(day.name)} IN (${days.map((x) => `DATE '${formatDay(x, 'yyyy-MM-dd')}'`).join(', ')})`);
      } else {
        const pattern = projected(day.name) ?? (norm(day.name) === 'day' ? 'yyyy/MM/dd' : 'yyyy-MM-dd');
        plan.predicates.push(`${ident(day.name)} IN (${days.map((x) => text(formatDay(x, pattern))).join(', ')})`);
      }
      plan.recognised.push(`${day.name} (${type === 'date' ? 'date' : `day as ${projected(day.name) ?? 'text'}`})`);
      used.add(norm(day.name));
    }
  }
  plan.ignored = info.partitionKeys.map((k) => k.name).filter((k) => !used.has(norm(k)));
  plan.prefixes = dataPrefixes(info, days, regions);
  return plan;
}

/**
 * Where the window's objects lie: the projection's storage.location.template with each day and region put in,
 * or the Hive-style path below the location; the table's location alone otherwise.
 */
function dataPrefixes(info: TableInfo, days: readonly Date[], regions: readonly string[]): string[] {
  const template = info.parameters['storage.location.template'];
  const location = info.parameters.location ?? info.parameters['storage.location'];
  const regionList = regions.length ? regions : [undefined];
  if (template) {
    const out = new Set<string>();
    for (const day of days) {
      for (const region of regionList) {
        let p = template;
        const split = info.partitionKeys.some((k) => norm(k.name) === 'month');
        const dated: Record<string, string> = { year: 'yyyy', month: 'MM', day: split ? 'dd' : 'yyyy/MM/dd' };
        for (const k of info.partitionKeys) {
          const key = norm(k.name);
          const fmt = info.parameters[`projection.${k.name}.format`] ?? dated[key];
          const value = key === 'region' || key === 'aws_region' ? region : fmt ? formatDay(day, fmt) : undefined;
          // a placeholder with no value here (an account id): the prefix stops before it
          p = value === undefined ? p.replace(new RegExp(`\\$\\{${k.name}\\}.*$`), '') : p.split(`\${${k.name}}`).join(value);
        }
        out.add(p.endsWith('/') ? p : `${p}/`);
      }
    }
    return [...out];
  }
  return location ? [location.endsWith('/') ? location : `${location}/`] : [];
}

/** s3://bucket/prefix -> bucket and prefix. */
export function parseS3Uri(uri: string): { bucket: string; prefix: string } | undefined {
  const m = /^s3a?:\/\/([^/]+)\/?(.*)$/.exec(uri);
  return m ? { bucket: m[1]!, prefix: m[2]! } : undefined;
}

/**
 * What is wrong with an Athena output location (s3://bucket/prefix/), in words that name it; undefined when it is
 * one. The CLI's --athena-output and the editor's wizard ask this before anything runs.
 */
export function outputLocationProblem(text: string): string | undefined {
  const t = text.trim();
  const m = /^s3:\/\/([^/]*)(?:\/.*)?$/.exec(t);
  if (!m) return `"${t}" is not an S3 address: write it as s3://bucket/prefix/`;
  const bucket = m[1]!;
  if (!bucket) return `"${t}" names no bucket: write it as s3://bucket/prefix/`;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket) || bucket.includes('..')) {
    return `"${bucket}" is not an S3 bucket name: 3-63 lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit`;
  }
  return undefined;
}

/** Athena's price: $5 per TB scanned by default (10^12 bytes), at least 10 MB a query. */
export const DEFAULT_PRICE_PER_TB = 5;
export const MIN_BILLED_BYTES = 10 * 1024 * 1024;

export function scanPrice(bytes: number, perTb = DEFAULT_PRICE_PER_TB): number {
  return (Math.max(bytes, MIN_BILLED_BYTES) / 1e12) * perTb;
}

/** A size as people write it (500MB, 2 GiB, 1.5TB, 1000): bytes. Units are powers of 1000 (KB) or 1024 (KiB). */
export function parseSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'B').toLowerCase();
  const scale: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
  return Math.round(Number(m[1]) * scale[unit]!);
}
