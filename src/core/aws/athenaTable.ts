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
   * Where the partitions the predicates keep lie, as s3:// prefixes (per day and region, per hour on the window's
   * first and last days when the table has an hour key; the table's location alone when the layout is not known):
   * what a scan estimate lists. A `${key}` segment stands for every value of a key the query does not constrain
   * (an account id): the estimate lists that level to find them (expandPrefix in athena.ts).
   */
  prefixes: string[];
  /**
   * For prefixes built from the Hive convention (`<location>/<key>=<value>/…`): the location and the first key,
   * so that the estimate can check the objects really lie so (partitions added elsewhere with ALTER TABLE … LOCATION
   * would otherwise be missed) and list the whole location when they do not.
   */
  hive?: { location: string; firstKey: string };
}

/** How much later than its start a record may be delivered (AWS: about 10 minutes to S3; an hour allowed). */
export const LATE_DELIVERY_MS = 3600_000;

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const text = (s: string) => `'${s.replace(/'/g, "''")}'`;
const pad = (n: number) => String(n).padStart(2, '0');
const NUMERIC = /^(tinyint|smallint|int|integer|bigint)$/i;
/** A partition value as a literal of the key's type (an integer key compares with 9, a string one with '09'). */
const valueOf = (key: { type: string }, v: string) => (NUMERIC.test(key.type.trim()) ? String(Number(v)) : text(v));

/** The UTC days from since to until (inclusive of until's day when it has any time in it). */
export function daysOf(since: Date, until: Date): Date[] {
  const out: Date[] = [];
  let t = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (; t < until.getTime(); t += 86_400_000) out.push(new Date(t));
  return out;
}

/** The UTC hours of `day` that [since, until) touches, as two digits. */
function hoursOf(day: Date, since: Date, until: Date): string[] {
  const out: string[] = [];
  for (let h = 0; h < 24; h++) {
    const t = day.getTime() + h * 3600_000;
    if (t + 3600_000 > since.getTime() && t < until.getTime()) out.push(pad(h));
  }
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
  const late = new Date(until.getTime() + LATE_DELIVERY_MS);
  const days = daysOf(since, late);
  const used = new Set<string>();
  /** Per partition key (normalised): its value in the path for a day, when the query constrains it. */
  const pathValues = new Map<string, (day: Date) => string[]>();
  /** The date is a Hive-style level of its own (year=…/month=…/day=…, or dt=2026-09-30): the paths can be built. */
  let hiveDated = false;
  const regionKey = keys.get('aws_region') ?? keys.get('region');
  if (regionKey && regions.length) {
    plan.predicates.push(`${ident(regionKey.name)} IN (${regions.map((r) => valueOf(regionKey, r)).join(', ')})`);
    plan.recognised.push(`${regionKey.name} (region)`);
    used.add(norm(regionKey.name));
    pathValues.set(norm(regionKey.name), () => [...regions]);
  }
  const [y, m, d] = ['year', 'month', 'day'].map((k) => keys.get(k));
  const projected = (k: string) => info.parameters[`projection.${k}.format`];
  if (y && m && d && !projected(d.name)) {
    // Hive-style: one conjunction per day, and on a day the window covers in part, its hours (when partitioned so)
    const h = keys.get('hour');
    const hours = (day: Date) => hoursOf(day, since, late);
    const partial = (day: Date) => !!h && hours(day).length < 24;
    plan.predicates.push(`(${days.map((x) => `(${ident(y.name)} = ${valueOf(y, String(x.getUTCFullYear()))} AND ${ident(m.name)} = ${valueOf(m, pad(x.getUTCMonth() + 1))} AND ${ident(d.name)} = ${valueOf(d, pad(x.getUTCDate()))}${
      partial(x) ? ` AND ${ident(h!.name)} IN (${hours(x).map((v) => valueOf(h!, v)).join(', ')})` : ''})`).join(' OR ') || 'false'})`);
    plan.recognised.push(h ? `${y.name}/${m.name}/${d.name}/${h.name} (Hive-style date and hour)` : `${y.name}/${m.name}/${d.name} (Hive-style date)`);
    for (const k of h ? [y, m, d, h] : [y, m, d]) used.add(norm(k.name));
    pathValues.set(norm(y.name), (x) => [String(x.getUTCFullYear())]);
    pathValues.set(norm(m.name), (x) => [pad(x.getUTCMonth() + 1)]);
    pathValues.set(norm(d.name), (x) => [pad(x.getUTCDate())]);
    if (h) pathValues.set(norm(h.name), (x) => (partial(x) ? hours(x) : []));
    hiveDated = true;
  } else {
    const day = d ?? keys.get('date') ?? keys.get('dt');
    if (day) {
      const type = day.type.toLowerCase();
      const pattern = type === 'date' ? 'yyyy-MM-dd' : projected(day.name) ?? (norm(day.name) === 'day' ? 'yyyy/MM/dd' : 'yyyy-MM-dd');
      if (type === 'date') {
        plan.predicates.push(`${ident(day.name)} IN (${days.map((x) => `DATE '${formatDay(x, 'yyyy-MM-dd')}'`).join(', ')})`);
      } else {
        plan.predicates.push(`${ident(day.name)} IN (${days.map((x) => text(formatDay(x, pattern))).join(', ')})`);
      }
      plan.recognised.push(`${day.name} (${type === 'date' ? 'date' : `day as ${projected(day.name) ?? 'text'}`})`);
      used.add(norm(day.name));
      // a value with a slash (2026/09/30) is no Hive-style path segment
      if (!pattern.includes('/')) {
        pathValues.set(norm(day.name), (x) => [formatDay(x, pattern)]);
        hiveDated = true;
      }
    }
  }
  plan.ignored = info.partitionKeys.map((k) => k.name).filter((k) => !used.has(norm(k)));
  const location = info.parameters.location ?? info.parameters['storage.location'];
  if (info.parameters['storage.location.template']) plan.prefixes = templatePrefixes(info, days, regions);
  else if (location && hiveDated) {
    plan.prefixes = hivePrefixes(info, location, days, pathValues);
    plan.hive = { location: slashed(location), firstKey: info.partitionKeys[0]!.name };
  } else plan.prefixes = location ? [slashed(location)] : [];
  return plan;
}

const slashed = (p: string) => (p.endsWith('/') ? p : `${p}/`);

/** A prefix without the placeholder segments at its end (everything below its last known level is listed). */
function trimUnknownTail(p: string): string {
  while (/\$\{[^}]*\}[^/]*\/?$/.test(p)) p = p.replace(/[^/]*\$\{[^}]*\}[^/]*\/?$/, '');
  return p;
}

/**
 * The Hive convention (what AWS delivers with HiveCompatiblePartitions, and what MSCK REPAIR TABLE registers): one
 * `<key>=<value>/` level per partition key below the location, in the table's key order. A key the query
 * constrains takes its values (per day for the date and hour); any other is a `${key}` level, listed to be found;
 * the levels after the last constrained one are not named (everything below is read).
 */
function hivePrefixes(info: TableInfo, location: string, days: readonly Date[], values: Map<string, (day: Date) => string[]>): string[] {
  const out = new Set<string>();
  for (const day of days) {
    let paths = [slashed(location)];
    for (const k of info.partitionKeys) {
      const v = values.get(norm(k.name))?.(day) ?? [];
      paths = v.length ? paths.flatMap((p) => v.map((x) => `${p}${k.name}=${x}/`)) : paths.map((p) => `${p}${k.name}=\${${k.name}}/`);
    }
    for (const p of paths) out.add(trimUnknownTail(p));
  }
  return [...out];
}

/**
 * Where the window's objects lie under partition projection: the storage.location.template with each day and
 * region put in; a key with no value here (an account id) stays a `${key}` level, listed to be found.
 */
function templatePrefixes(info: TableInfo, days: readonly Date[], regions: readonly string[]): string[] {
  const template = info.parameters['storage.location.template']!;
  const regionList = regions.length ? regions : [undefined];
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
        if (value !== undefined) p = p.split(`\${${k.name}}`).join(value);
      }
      out.add(trimUnknownTail(slashed(p)));
    }
  }
  return [...out];
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
