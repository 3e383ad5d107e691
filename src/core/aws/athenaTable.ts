/**
 * What Flowlens reads of the user's Athena flow-log table before it runs anything: its columns (the optional
 * ones the reduction uses: tcp_flags, pkt-*, vpc_id, …), its partitions and where its data lies, so that the
 * time range and regions become predicates on the partition columns (Athena then reads only those partitions)
 * and the bytes the query will scan can be estimated before it runs.
 *
 * Partitions recognised by name: the Hive-style layout AWS delivers (`aws-account-id=…/aws-service=…/aws-region=…/
 * year=…/month=…/day=…/[hour=…/]`, keys as the table names them: aws_account_id, aws_region, year, month, day, hour), AWS's
 * plain layout read by a table with partition projection (`…/AWSLogs/${accid}/vpcflowlogs/${region}/${day}`, a
 * day key in the projection's format, such as yyyy/MM/dd), and a `date`/`dt` key of type date or text.
 * Recognised by their values, when the catalogue's registered partitions were read (GetPartitions) and the table
 * is not projected: keys named otherwise, such as those a Glue crawler makes of AWS's plain layout
 * (`partition_0` … `partition_5`: account, 'vpcflowlogs', region, year, month, day) or partitions added with
 * ALTER TABLE ADD PARTITION … LOCATION: a year and the month, day (and hour) after it, a region, an account
 * (valueRoles). The estimate then lists the locations of the registered partitions the predicates keep.
 */
import type { AccountSet } from '../../protocol/reports';
import { formatBytes, formatUsd } from '../format';
import { spansWithout, unionAccounts, type Span } from './athenaWindows';

/** A partition registered in the catalogue (Glue GetPartitions): its values in the table's key order, and where its objects lie. */
export interface RegisteredPartition {
  values: string[];
  location?: string;
}

export interface TableInfo {
  columns: string[];
  partitionKeys: { name: string; type: string }[];
  parameters: Record<string, string>;
  /**
   * The partitions registered in the catalogue, when they were read (GetPartitions): keys whose names say nothing
   * are recognised by these values, and the estimate lists the locations of those the predicates keep.
   */
  partitions?: RegisteredPartition[];
}

export interface PartitionPlan {
  /** Predicates on partition columns (ANDed into the reduction's WHERE). */
  predicates: string[];
  /** The partition keys recognised, and how (for the report). */
  recognised: string[];
  /** Keys left unconstrained. */
  ignored: string[];
  /**
   * Where the partitions the predicates keep lie, as s3:// prefixes (the locations of the registered partitions kept,
   * when they were read; else per day and region, per hour on the days the window covers in part when the table has an
   * hour key; the time the query leaves out, held already, is in none of them; the table's location alone when the layout is not known):
   * what a scan estimate lists. A `${key}` segment stands for every value of a key the query does not constrain
   * (an account id), `${key!a,b}` for every value but a and b: the estimate lists that level to find them
   * (expandPrefix in athena.ts).
   */
  prefixes: string[];
  /**
   * For prefixes built from the Hive convention (`<location>/<key>=<value>/…`): the location and the first key,
   * so that the estimate can check the objects really lie so (partitions added elsewhere with ALTER TABLE … LOCATION
   * would otherwise be missed) and list the whole location when they do not.
   */
  hive?: { location: string; firstKey: string };
  /** When the registered partitions were read: how many the predicates keep (the prefixes are their locations). */
  kept?: number;
  /** Those partitions. */
  keptPartitions?: RegisteredPartition[];
  /**
   * When the registered partitions were read and their date is known: where the last one kept ends (epoch ms, the end
   * of its day, or of its hour with an hour key). A crawler registers what it found at its last run: the window's time
   * after this is in no registered partition yet.
   */
  keptUntil?: number;
  /**
   * When the registered partitions were read: the UTC days (epoch ms, in order) whose partitions the predicates keep,
   * those of the time read and of the hour after it (a record reaches S3 up to an hour after it starts).
   */
  readDays?: number[];
  /**
   * When the registered partitions were read and their date is known: the keys it is in (year/month/day and an hour,
   * or one date key and an hour), which say where a registered partition's time ends (keptUntil: the latest of those kept).
   */
  timeKeys?: TimeKeys;
  /**
   * The table's time is one date key (date, dt, day) and its registered partitions were not read: they would say
   * its values' format and where they end (a crawler registers what it found at its last run).
   */
  datedByRegistered?: boolean;
  /** The accounts the predicates keep, when the table has an account key and accounts were asked for. */
  accounts?: string[];
  /** The accounts the predicates leave out, when the table has an account key and every account but those was asked for. */
  exceptAccounts?: string[];
  /** The table's account key (recognised by its name, or by its registered values). */
  accountKey?: { name: string; type: string };
  /** The table's region key (recognised by its name, or by its registered values): its records can be read region by region. */
  regionKey?: { name: string; type: string };
}

/** How much later than its start a record may be delivered (AWS: about 10 minutes to S3; an hour allowed). */
export const LATE_DELIVERY_MS = 3600_000;

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;
const text = (s: string) => `'${s.replace(/'/g, "''")}'`;
const pad = (n: number) => String(n).padStart(2, '0');
const NUMERIC = /^(tinyint|smallint|int|integer|bigint)$/i;
/** An AWS region name (us-east-1, us-gov-west-1); here rather than inventory/util's, which loads DuckDB: the host imports this file. */
const REGION = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d{1,2}$/;
/** A partition value as a literal of the key's type (an integer key compares with 9, a string one with '09'). */
const valueOf = (key: { type: string }, v: string) => (NUMERIC.test(key.type.trim()) ? String(Number(v)) : text(v));

/** The UTC days from since to until (inclusive of until's day when it has any time in it). */
export function daysOf(since: Date, until: Date): Date[] {
  const out: Date[] = [];
  let t = Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate());
  for (; t < until.getTime(); t += 86_400_000) out.push(new Date(t));
  return out;
}

/** The UTC hours of `day` that one of the spans touches, as two digits. */
function hoursOf(day: Date, spans: readonly Span[]): string[] {
  const out: string[] = [];
  for (let h = 0; h < 24; h++) {
    const t = day.getTime() + h * 3600_000;
    if (spans.some((s) => t + 3600_000 > s.since && t < s.until)) out.push(pad(h));
  }
  return out;
}

/** A day in a Java DateTimeFormatter pattern of the kind projection uses (yyyy, MM, dd; anything else kept). */
export function formatDay(d: Date, pattern: string): string {
  return pattern.replace(/yyyy/g, String(d.getUTCFullYear())).replace(/MM/g, pad(d.getUTCMonth() + 1)).replace(/dd/g, pad(d.getUTCDate()));
}

const norm = (k: string) => k.toLowerCase().replace(/-/g, '_');

type Key = { name: string; type: string };
/** Year, month and day keys (and an hour key), in the table's order. */
interface DateKeys {
  y: Key;
  m: Key;
  d: Key;
  h?: Key;
}
/** The keys a registered partition's time is in: year, month and day keys, or one date key (2026-09-03, 2026/09/03); and an hour key. */
type TimeKeys = { date: DateKeys } | { day: Key; hour?: Key };

/** Whether Athena computes the table's partitions (projection): it then ignores those registered in the catalogue. */
export function isProjected(info: Pick<TableInfo, 'parameters'>): boolean {
  return (info.parameters['projection.enabled'] ?? '').trim().toLowerCase() === 'true';
}

/** A key in a list of values, each a literal of the key's type. */
const inList = (k: Key, values: readonly string[]) => `${ident(k.name)} IN (${values.map((v) => valueOf(k, v)).join(', ')})`;

/** An account key (or the records' account_id column) kept to `accounts`: in those it holds, or not in those it does not. */
export function accountPredicate(k: Key, accounts: AccountSet): string {
  return 'only' in accounts ? inList(k, accounts.only) : `${ident(k.name)} NOT IN (${accounts.except.map((v) => valueOf(k, v)).join(', ')})`;
}

/** A region key (or the records' region column) kept to `regions`. */
export function regionPredicate(k: Key, regions: readonly string[]): string {
  return inList(k, regions);
}

/** A registered value and a wanted one the same, compared as the key's type (an integer key's 9 is its 09). */
const sameValue = (k: Key, registered: string, wanted: string) => (NUMERIC.test(k.type.trim()) ? Number(registered) === Number(wanted) : registered === wanted);

/** One conjunction per day, and on a day the window covers in part, its hours (when there is an hour key). */
function datePredicate(k: DateKeys, days: readonly Date[], hours: (day: Date) => string[]): string {
  const partial = (day: Date) => !!k.h && hours(day).length < 24;
  return `(${days.map((x) => `(${ident(k.y.name)} = ${valueOf(k.y, String(x.getUTCFullYear()))} AND ${ident(k.m.name)} = ${valueOf(k.m, pad(x.getUTCMonth() + 1))} AND ${ident(k.d.name)} = ${valueOf(k.d, pad(x.getUTCDate()))}${
    partial(x) ? ` AND ${inList(k.h!, hours(x))}` : ''})`).join(' OR ') || 'false'})`;
}

/** The keys' values a day keeps (the hour's only on a day the window covers in part; else any: []). */
function dateValues(k: DateKeys, hours: (day: Date) => string[]): [Key, (day: Date) => string[]][] {
  const out: [Key, (day: Date) => string[]][] = [[k.y, (x) => [String(x.getUTCFullYear())]], [k.m, (x) => [pad(x.getUTCMonth() + 1)]], [k.d, (x) => [pad(x.getUTCDate())]]];
  if (k.h) out.push([k.h, (x) => (hours(x).length < 24 ? hours(x) : [])]);
  return out;
}

/** Names an account key goes by: AWS's Hive-style aws-account-id, and what DDL for its plain layout calls it. */
const ACCOUNT_NAMES = ['aws_account_id', 'account_id', 'accid', 'account'];
/** Names partitionPlan recognises keys by; other keys may be recognised by their registered values. */
const NAMED = new Set(['aws_region', 'region', 'year', 'month', 'day', 'hour', 'date', 'dt', ...ACCOUNT_NAMES]);

/**
 * Keys recognised by the values registered for them, when their names say nothing (a Glue crawler names them
 * partition_0 …; ALTER TABLE ADD PARTITION any name): a key is recognised only when every registered value fits.
 * Four-digit values are a year; the keys right after it, a month (01-12), a day (01-31) and an hour (00-23), two
 * digits each for a text key (its predicate compares with 09), any integer in range for an integer key; AWS region
 * names are a region; twelve digits an account.
 */
function valueRoles(keys: readonly Key[], partitions: readonly RegisteredPartition[]): { date?: DateKeys; region?: Key; account?: Key } {
  const free = (i: number) => i < keys.length && !NAMED.has(norm(keys[i]!.name));
  const all = (i: number, test: (v: string) => boolean) => free(i) && partitions.every((p) => test(p.values[i] ?? ''));
  const inRange = (i: number, lo: number, hi: number) =>
    all(i, (v) => (NUMERIC.test(keys[i]!.type.trim()) ? /^\d{1,2}$/ : /^\d{2}$/).test(v) && Number(v) >= lo && Number(v) <= hi);
  const out: { date?: DateKeys; region?: Key; account?: Key } = {};
  const y = keys.findIndex((_, i) => all(i, (v) => /^\d{4}$/.test(v)));
  if (y >= 0 && inRange(y + 1, 1, 12) && inRange(y + 2, 1, 31)) {
    out.date = { y: keys[y]!, m: keys[y + 1]!, d: keys[y + 2]!, ...(inRange(y + 3, 0, 23) ? { h: keys[y + 3]! } : {}) };
  }
  const region = keys.findIndex((_, i) => all(i, (v) => REGION.test(v)));
  if (region >= 0) out.region = keys[region]!;
  const account = keys.findIndex((_, i) => all(i, (v) => /^\d{12}$/.test(v)));
  if (account >= 0) out.account = keys[account]!;
  return out;
}

const FROM_VALUES = "from the registered partitions' values";

/**
 * The predicates that keep Athena to the window's partitions (and to `regions`, when the table has a region
 * key; to `accounts`, or to every account but `exceptAccounts`, when it has an account key: an organisation's table
 * holds every account's flow logs), and the S3 prefixes that hold them. `leftOut`: time inside the window the query
 * leaves out (held already): the partitions only it needs are neither kept nor counted in the estimate.
 */
export function partitionPlan(info: TableInfo, since: Date, until: Date, regions: readonly string[], leftOut: readonly Span[] = [],
  accounts: readonly string[] = [], exceptAccounts: readonly string[] = []): PartitionPlan {
  const keys = new Map(info.partitionKeys.map((k) => [norm(k.name), k]));
  const plan: PartitionPlan = { predicates: [], recognised: [], ignored: [], prefixes: [] };
  // partitions are by delivery time: a record that starts before a read part's end may arrive up to an hour later
  const read = spansWithout({ since: since.getTime(), until: until.getTime() }, leftOut).map((s) => ({ since: s.since, until: s.until + LATE_DELIVERY_MS }));
  const days = [...new Map(read.flatMap((s) => daysOf(new Date(s.since), new Date(s.until))).map((d) => [d.getTime(), d])).values()].sort((a, b) => a.getTime() - b.getTime());
  const hours = (day: Date) => hoursOf(day, read);
  const used = new Set<string>();
  /** Per partition key (normalised): the values the predicates keep it to on a day (none: any). */
  const wanted = new Map<string, (day: Date) => string[]>();
  /** Per partition key (normalised): the values the predicates leave out. */
  const unwanted = new Map<string, string[]>();
  /** The date is a Hive-style level of its own (year=…/month=…/day=…, or dt=2026-09-30): the paths can be built. */
  let hiveDated = false;
  // the catalogue's partitions count only where Athena reads them (not under projection)
  const registered = info.partitions?.length && !isProjected(info) ? info.partitions : undefined;
  const byValue = registered ? valueRoles(info.partitionKeys, registered) : {};
  const namedRegion = keys.get('aws_region') ?? keys.get('region');
  const regionKey = namedRegion ?? byValue.region;
  if (regionKey) plan.regionKey = { ...regionKey };
  if (regionKey && regions.length) {
    plan.predicates.push(regionPredicate(regionKey, regions));
    plan.recognised.push(`${regionKey.name} (region${namedRegion ? '' : `, ${FROM_VALUES}`})`);
    used.add(norm(regionKey.name));
    wanted.set(norm(regionKey.name), () => [...regions]);
  }
  const [y, m, d] = ['year', 'month', 'day'].map((k) => keys.get(k));
  const projected = (k: string) => info.parameters[`projection.${k}.format`];
  const hive: DateKeys | undefined = y && m && d && !projected(d.name) ? { y, m, d, ...(keys.get('hour') ? { h: keys.get('hour')! } : {}) } : undefined;
  const dayKey = hive ? undefined : d ?? keys.get('date') ?? keys.get('dt');
  const date = hive ?? (dayKey ? undefined : byValue.date);
  if (date) {
    // Hive-style, or keys known by their values: one conjunction per day, with the hours of a day read in part
    plan.predicates.push(datePredicate(date, days, hours));
    const named = [date.y, date.m, date.d, ...(date.h ? [date.h] : [])].map((k) => k.name).join('/');
    plan.recognised.push(hive ? `${named} (Hive-style date${date.h ? ' and hour' : ''})` : `${named} (year/month/day${date.h ? '/hour' : ''}, ${FROM_VALUES})`);
    for (const [k, values] of dateValues(date, hours)) {
      used.add(norm(k.name));
      wanted.set(norm(k.name), values);
    }
    hiveDated = !!hive;
  } else if (dayKey) {
    const type = dayKey.type.toLowerCase();
    // a text key's format: the projection's, else the one every registered value has, else the one its name suggests
    const seen = registered ? dayFormat(registered.map((p) => p.values[info.partitionKeys.indexOf(dayKey)] ?? '')) : undefined;
    const pattern = type === 'date' ? 'yyyy-MM-dd' : projected(dayKey.name) ?? seen ?? (norm(dayKey.name) === 'day' ? 'yyyy/MM/dd' : 'yyyy-MM-dd');
    if (type === 'date') {
      plan.predicates.push(`${ident(dayKey.name)} IN (${days.map((x) => `DATE '${formatDay(x, 'yyyy-MM-dd')}'`).join(', ')})`);
    } else {
      plan.predicates.push(`${ident(dayKey.name)} IN (${days.map((x) => text(formatDay(x, pattern))).join(', ')})`);
    }
    plan.recognised.push(`${dayKey.name} (${type === 'date' ? 'date' : `day as ${projected(dayKey.name) ?? (seen ? `${seen}, ${FROM_VALUES}` : 'text')}`})`);
    used.add(norm(dayKey.name));
    wanted.set(norm(dayKey.name), (x) => [formatDay(x, pattern)]);
    // a value with a slash (2026/09/30) is no Hive-style path segment
    hiveDated = !pattern.includes('/');
    if (!registered && !isProjected(info)) plan.datedByRegistered = true;
  }
  const namedAccount = ACCOUNT_NAMES.map((k) => keys.get(k)).find((k) => k !== undefined);
  const accountKey = namedAccount ?? (byValue.account && !used.has(norm(byValue.account.name)) ? byValue.account : undefined);
  if (accountKey) {
    // the accounts asked for, as the region is put on the region key; none asked (a caller that names none): every
    // account, or every account but those read before
    if (accounts.length) {
      plan.predicates.push(accountPredicate(accountKey, { only: [...accounts] }));
      plan.accounts = [...accounts];
      wanted.set(norm(accountKey.name), () => [...accounts]);
    } else if (exceptAccounts.length) {
      plan.predicates.push(accountPredicate(accountKey, { except: [...exceptAccounts] }));
      plan.exceptAccounts = [...exceptAccounts];
      unwanted.set(norm(accountKey.name), [...exceptAccounts]);
    }
    const every = exceptAccounts.length ? `; every account but ${exceptAccounts.join(', ')} read` : '; every account read';
    plan.recognised.push(`${accountKey.name} (account${namedAccount ? '' : `, ${FROM_VALUES}`}${accounts.length ? '' : every})`);
    plan.accountKey = { ...accountKey };
    used.add(norm(accountKey.name));
  }
  plan.ignored = info.partitionKeys.map((k) => k.name).filter((k) => !used.has(norm(k)));
  const location = info.parameters.location ?? info.parameters['storage.location'];
  const kept = registered ? keptPartitions(info.partitionKeys, registered, days, wanted, unwanted) : undefined;
  if (kept) {
    plan.keptPartitions = kept;
    plan.readDays = days.map((x) => x.getTime());
  }
  if (kept && kept.every((p) => p.location)) {
    plan.prefixes = outermost(kept.map((p) => slashed(p.location!)));
    plan.kept = kept.length;
  } else if (info.parameters['storage.location.template']) plan.prefixes = templatePrefixes(info, days, wanted, unwanted);
  else if (location && hiveDated) {
    plan.prefixes = hivePrefixes(info, location, days, wanted, unwanted);
    plan.hive = { location: slashed(location), firstKey: info.partitionKeys[0]!.name };
  } else plan.prefixes = location ? [slashed(location)] : [];
  const timeKeys: TimeKeys | undefined = date ? { date } : dayKey ? { day: dayKey, ...(keys.get('hour') ? { hour: keys.get('hour')! } : {}) } : undefined;
  if (timeKeys && kept) plan.timeKeys = timeKeys;
  const keptUntil = latestEnd(info, kept ?? [], plan);
  if (keptUntil !== undefined) plan.keptUntil = keptUntil;
  return plan;
}

/**
 * One part of a query: some accounts (undefined: every account) and regions (undefined: every region the query
 * reads), read over [since, until) but for `leftOut`.
 */
export interface PlanPart {
  since: Date;
  until: Date;
  leftOut: readonly Span[];
  accounts?: AccountSet;
  regions?: readonly string[];
}

/**
 * The partitions of a query of several parts (accounts whose time left to read differs): each part's predicates
 * (partitionPlan), those every part has ANDed and the rest one disjunction of the parts' own, so that each part's
 * partitions are kept and no other; the prefixes and registered partitions of every part, each once. The keys
 * recognised are said of the whole (every part's accounts).
 */
export function partsPlan(info: TableInfo, parts: readonly PlanPart[], regions: readonly string[]): PartitionPlan {
  const planOf = (p: Pick<PlanPart, 'since' | 'until' | 'accounts' | 'regions'>, leftOut: readonly Span[]) => partitionPlan(info, p.since, p.until, p.regions ?? regions, leftOut,
    p.accounts && 'only' in p.accounts ? p.accounts.only : [], p.accounts && 'except' in p.accounts ? p.accounts.except : []);
  const plans = parts.map((p) => planOf(p, p.leftOut));
  if (plans.length === 1) return plans[0]!;
  const whole = planOf({ since: new Date(Math.min(...parts.map((p) => p.since.getTime()))), until: new Date(Math.max(...parts.map((p) => p.until.getTime()))),
    accounts: unionAccounts(parts.map((p) => p.accounts)) }, []);
  const common = plans[0]!.predicates.filter((x) => plans.every((p) => p.predicates.includes(x)));
  const own = plans.map((p) => p.predicates.filter((x) => !common.includes(x)));
  const kept = plans.every((p) => p.keptPartitions) ? [...new Set(plans.flatMap((p) => p.keptPartitions!))] : undefined;
  const ends = plans.map((p) => p.keptUntil).filter((x): x is number => x !== undefined);
  const { kept: _k, keptPartitions: _kp, keptUntil: _ku, readDays: _rd, ...described } = whole;
  return {
    ...described,
    predicates: own.some((o) => !o.length) ? common : [...common, own.map((o) => `(${o.join(' AND ')})`).join(' OR ')],
    prefixes: kept && plans.every((p) => p.kept !== undefined) ? outermost(kept.map((p) => slashed(p.location!))) : outermost(plans.flatMap((p) => p.prefixes)),
    ...(kept ? { keptPartitions: kept, readDays: [...new Set(plans.flatMap((p) => p.readDays ?? []))].sort((a, b) => a - b) } : {}),
    ...(kept && plans.every((p) => p.kept !== undefined) ? { kept: kept.length } : {}),
    ...(ends.length ? { keptUntil: Math.max(...ends) } : {}),
  };
}

/** Something with accounts and regions (a part of a query): undefined, every account, or every region read. */
interface Scoped {
  accounts?: AccountSet;
  regions?: readonly string[];
}

/**
 * The parts of a query as the registered partitions hold them, when they were read: each part's accounts (those it
 * names, on an account key) and regions (on a region key) that some partition `planOf` keeps holds (`held`), and those
 * none holds (`missing`: a crawler has not registered them yet; read now, they would return nothing and be held as
 * read, and their records never be read once registered). Each held part says where its partitions end (`keptUntil`,
 * as PartitionPlan's): the accounts and regions whose partitions end at different times (a crawler that registered one
 * account's last day and not another's yet) are parts of their own, so that each is read to its own end; of a part of
 * every account (or every one but some), the accounts whose partitions end before others' in a region are named apart
 * there and the rest is every account but those. A day the part reads with no partition of an account and region
 * registered at all, though a later day has some (a crawler or a script that has not added it yet), ends that account
 * and region's time there, as the end of its partitions would (`missingUntil`; see heldEnd), so that the day is read
 * once registered and not held as read before. Each part is split into as few parts as its accounts and regions allow
 * (by region, then regions of the same accounts made one); a part whose partitions were not read is held whole.
 */
export function registeredParts<P extends Scoped>(info: TableInfo, parts: readonly P[], planOf: (p: P) => PartitionPlan, regions: readonly string[]): { held: (P & HeldEnd)[]; missing: P[] } {
  const out: { held: (P & HeldEnd)[]; missing: P[] } = { held: [], missing: [] };
  for (const part of parts) {
    const plan = planOf(part);
    if (!plan.keptPartitions) {
      out.held.push(part);
      continue;
    }
    const at = (k?: Key) => (k ? info.partitionKeys.findIndex((x) => x.name === k.name) : -1);
    const [ai, ri] = [at(plan.accountKey), at(plan.regionKey)];
    const named = ai >= 0 && part.accounts && 'only' in part.accounts ? part.accounts.only : undefined;
    const inRegions = ri >= 0 ? part.regions ?? regions : [];
    const days = registeredDays(info, plan, ai, inRegions.length ? ri : -1);
    // a part of every account (or every one but some): in each region, the accounts whose partitions end before
    // others' there are named apart (undefined: the rest)
    const lagging = ai >= 0 && !named ? laggingAccounts(info, plan, ai, inRegions.length ? ri : -1, days) : new Map<string, string[]>();
    const apart = (r?: string) => lagging.get(r ?? '') ?? [];
    const combos = (inRegions.length ? inRegions : [undefined]).flatMap((r) => (named ?? [...apart(r), undefined]).map((a) => ({ a, r })));
    const excepted = part.accounts && 'except' in part.accounts ? part.accounts.except : [];
    /** Whether account `a` (a value of the account key; '' without one) is of `c` (its account, or the rest: none named apart, none left out). */
    const isOf = (a: string, c: { a?: string; r?: string }) => (c.a !== undefined ? sameValue(plan.accountKey!, a, c.a)
      : ai < 0 || (!apart(c.r).includes(a) && !excepted.some((x) => sameValue(plan.accountKey!, a, x))));
    const holds = (p: RegisteredPartition, c: { a?: string; r?: string }) => isOf(p.values[ai] ?? '', c) && (c.r === undefined || p.values[ri] === c.r);
    /** The days with a partition registered for `c` (of the rest of the accounts: for any of them). */
    const daysOf = (c: { a?: string; r?: string }) => new Set([...(days.get(c.r ?? '') ?? [])].flatMap(([a, ds]) => (isOf(a, c) ? [...ds] : [])));
    /** The part's accounts `accs` of region `r` (undefined: the rest of them, those not named apart there). */
    const accountsOf = (accs: readonly (string | undefined)[], r?: string): AccountSet | undefined => {
      if (!accs.includes(undefined)) return { only: accs as string[] };
      const except = [...excepted, ...apart(r).filter((a) => !accs.includes(a))];
      return except.length ? { except } : undefined;
    };
    // each account and region: where its time may be held to by the partitions that hold it (none kept: missing)
    const ends = new Map(combos.map((c) => {
      const of = plan.keptPartitions!.filter((p) => holds(p, c));
      return [c, of.length ? JSON.stringify(heldEnd(info, plan, of, daysOf(c))) : null];
    }));
    // (those registered past the part's end all end with the partition of its last hour: one part)
    for (const end of new Set(ends.values())) {
      const list = combos.filter((c) => ends.get(c) === end);
      const into: P[] = end === null ? out.missing : out.held;
      const kept: HeldEnd = end === null ? {} : JSON.parse(end);
      if (list.length === combos.length) {
        into.push({ ...part, ...kept });
        continue;
      }
      // by region, the accounts of each; regions of the same accounts one part
      const byRegion = new Map<string, { regions: string[]; accounts?: AccountSet }>();
      for (const r of [...new Set(list.map((c) => c.r))]) {
        const accounts = accountsOf(list.filter((c) => c.r === r).map((c) => c.a), r);
        const key = JSON.stringify(accounts ?? null);
        const g = byRegion.get(key) ?? byRegion.set(key, { regions: [], ...(accounts ? { accounts } : {}) }).get(key)!;
        if (r !== undefined) g.regions.push(r);
      }
      const { accounts: _all, ...whole } = part;
      for (const g of byRegion.values()) {
        into.push({ ...whole, ...(g.accounts ? { accounts: g.accounts } : {}), ...(g.regions.length && (part.regions || g.regions.length < inRegions.length) ? { regions: g.regions } : {}),
          ...kept } as P);
      }
    }
  }
  return out;
}

/**
 * Region by region (the value at `ri`; '' for every region, -1), the accounts (the values at `ai`) of `plan`'s kept
 * partitions whose partitions there end before another account's (heldEnd: or miss a day before it), sorted.
 */
function laggingAccounts(info: TableInfo, plan: PartitionPlan, ai: number, ri: number, days: RegisteredDays): Map<string, string[]> {
  const of = new Map<string, RegisteredPartition[]>();
  for (const p of plan.keptPartitions ?? []) {
    const key = JSON.stringify([ri >= 0 ? p.values[ri] ?? '' : '', p.values[ai] ?? '']);
    of.set(key, [...(of.get(key) ?? []), p]);
  }
  const ends = [...of].map(([key, ps]) => {
    const at = JSON.parse(key) as [string, string];
    return { at, end: heldEnd(info, plan, ps, days.get(at[0])?.get(at[1]) ?? new Set()).keptUntil ?? -Infinity };
  });
  const out = new Map<string, string[]>();
  for (const [r, a] of ends.filter((e) => ends.some((x) => x.at[0] === e.at[0] && x.end > e.end)).map((e) => e.at)) out.set(r, [...(out.get(r) ?? []), a].sort());
  return out;
}

/**
 * Where the time of one account and region may be held to (keptUntil, epoch ms), and whether days are missing there
 * (`missingUntil`): `kept`, the registered partitions of it the plan keeps, end at the latest of them (latestEnd),
 * unless a day the plan reads before that day, and after its first day registered, has no partition of it registered
 * at all (`registered`: the days of every partition of that account and region, of any hour): then the start of that
 * day, and missingUntil the next day registered. A crawler registers every folder it finds, so such a day is likely not
 * registered yet (a crawler not past a folder written late, a script adding partitions that skipped it), and read
 * now, its records would be held as read and never read. Only whole days count: an hour missing beside registered
 * ones of its day is an hour without a flow-log object (an account quiet that hour), which no run would ever see
 * registered, so that its account and region would be read no further; and days before the first registered are
 * before its flow log delivered anything. Nor does a day after which its account and region have partitions of
 * MISSING_DAY_WAIT days registered: a day still not registered when that many days after it are is taken as a day
 * without objects (a VPC with no interface that day: a crawler registers no folder there is none of), so that an
 * account quiet a whole day is read past it once those days are registered, not never.
 */
function heldEnd(info: TableInfo, plan: Pick<PartitionPlan, 'timeKeys' | 'readDays'>, kept: readonly RegisteredPartition[], registered: ReadonlySet<number>): HeldEnd {
  const last = latestEnd(info, kept, plan);
  if (last === undefined) return {};
  const first = [...registered].reduce((a, b) => Math.min(a, b), Infinity);
  const after = (d: number) => [...registered].filter((x) => x > d).length;
  const gap = (plan.readDays ?? []).find((d) => d > first && d < dayOf(last) && !registered.has(d) && after(d) < MISSING_DAY_WAIT);
  if (gap === undefined) return { keptUntil: last };
  return { keptUntil: gap, missingUntil: [...registered].reduce((a, b) => (b > gap && b < a ? b : a), Infinity) };
}

/** The UTC day (epoch ms) of a partition that ends at `end` (the end of its day, or of an hour of it). */
const dayOf = (end: number) => Math.floor((end - 1) / DAY_MS) * DAY_MS;
const DAY_MS = 86_400_000;
/**
 * How many days registered after a day with no partition registered it is waited for (heldEnd): with partitions of
 * three later days registered and still none of it (past a daily crawler's next runs, a weekend's partition script),
 * it is taken as a day without objects.
 */
const MISSING_DAY_WAIT = 3;

/** Region by region, account by account (their keys' values; '' for every one), the days with a partition registered. */
type RegisteredDays = Map<string, Map<string, Set<number>>>;

/** The days of the registered partitions, by their values at `ri` (region) and `ai` (account), '' where -1; once for every account and region. */
function registeredDays(info: TableInfo, plan: Pick<PartitionPlan, 'timeKeys'>, ai: number, ri: number): RegisteredDays {
  const out: RegisteredDays = new Map();
  for (const p of info.partitions ?? []) {
    const end = partitionEndOf(info, plan, p);
    if (!Number.isFinite(end)) continue;
    const [r, a] = [ri >= 0 ? p.values[ri] ?? '' : '', ai >= 0 ? p.values[ai] ?? '' : ''];
    const accounts = out.get(r) ?? out.set(r, new Map()).get(r)!;
    (accounts.get(a) ?? accounts.set(a, new Set()).get(a)!).add(dayOf(end));
  }
  return out;
}

/** A held part's end by its registered partitions (heldEnd): none when their date is not known. */
export interface HeldEnd {
  /** Where its time may be held to (epoch ms): where its partitions end, or the start of a day missing. */
  keptUntil?: number;
  /** keptUntil is the start of days with no partition registered, though later days have some: where they end (the next day registered). */
  missingUntil?: number;
}

/** Where a registered partition's time ends (by the plan's timeKeys): NaN when its date is not known. */
function partitionEndOf(info: TableInfo, plan: Pick<PartitionPlan, 'timeKeys'>, p: RegisteredPartition): number {
  const t = plan.timeKeys;
  return !t ? NaN : 'date' in t ? partitionEnd(info.partitionKeys, t.date, p) : dayPartitionEnd(info.partitionKeys, t.day, t.hour, p);
}

/** Where the latest of `partitions` ends (by the plan's timeKeys); undefined when none, or their date is not known. */
function latestEnd(info: TableInfo, partitions: readonly RegisteredPartition[], plan: Pick<PartitionPlan, 'timeKeys'>): number | undefined {
  const ends = partitions.map((p) => partitionEndOf(info, plan, p)).filter(Number.isFinite);
  return ends.length ? Math.max(...ends) : undefined;
}

/**
 * Where a read of [since, until) (epoch ms) ends when the registered partitions the predicates keep end at
 * `keptUntil` (PartitionPlan.keptUntil): an hour before that (a record reaches S3 up to an hour after it starts, in
 * the next partition, not registered yet), when that is before `until`; never before `since`. At `since`: nothing
 * of the window can be read yet (no query runs). `until` when the partitions reach past it, or are not known.
 */
export function registeredReadEnd(keptUntil: number | undefined, since: number, until: number): number {
  return keptUntil === undefined ? until : Math.max(since, Math.min(until, keptUntil - LATE_DELIVERY_MS));
}

/**
 * The registered partitions the predicates keep: on some day of the window, each constrained key has a wanted value,
 * and none an unwanted one.
 */
function keptPartitions(keys: readonly Key[], partitions: readonly RegisteredPartition[], days: readonly Date[], wanted: Map<string, (day: Date) => string[]>,
  unwanted: Map<string, string[]>): RegisteredPartition[] {
  return partitions.filter((p) => days.some((day) => keys.every((k, i) => {
    const values = wanted.get(norm(k.name))?.(day) ?? [];
    if ((unwanted.get(norm(k.name)) ?? []).some((v) => sameValue(k, p.values[i] ?? '', v))) return false;
    return values.length === 0 || values.some((v) => sameValue(k, p.values[i] ?? '', v));
  })));
}

/** Where a registered partition's time ends (epoch ms): the end of its day, or of its hour with an hour key. */
function partitionEnd(keys: readonly Key[], date: DateKeys, p: RegisteredPartition): number {
  const at = (k: Key) => Number(p.values[keys.findIndex((x) => x.name === k.name)] ?? NaN);
  const day = Date.UTC(at(date.y), at(date.m) - 1, at(date.d));
  return date.h ? day + (at(date.h) + 1) * 3600_000 : day + 86_400_000;
}

const DAY_VALUE = /^(\d{4})([-/])(\d{2})\2(\d{2})$/;

/** The format every value of a single date key has: yyyy-MM-dd or yyyy/MM/dd (undefined: none, or not all alike). */
function dayFormat(values: readonly string[]): string | undefined {
  const seps = new Set(values.map((v) => DAY_VALUE.exec(v)?.[2]));
  const [sep] = [...seps];
  return values.length && seps.size === 1 && sep ? `yyyy${sep}MM${sep}dd` : undefined;
}

/**
 * Where a registered partition of a single date key (2026-09-03 or 2026/09/03) ends (epoch ms): the end of its day,
 * or of its hour when the table has an hour key beside it; NaN when its value is no day.
 */
function dayPartitionEnd(keys: readonly Key[], dayKey: Key, hourKey: Key | undefined, p: RegisteredPartition): number {
  const m = DAY_VALUE.exec(p.values[keys.indexOf(dayKey)] ?? '');
  if (!m) return NaN;
  const day = Date.UTC(Number(m[1]), Number(m[3]) - 1, Number(m[4]));
  const hour = hourKey ? p.values[keys.indexOf(hourKey)] ?? '' : '';
  return /^\d{1,2}$/.test(hour) && Number(hour) < 24 ? day + (Number(hour) + 1) * 3600_000 : day + 86_400_000;
}

/** The prefixes not under another of them (each object counted once), in order. */
export function outermost(prefixes: readonly string[]): string[] {
  const unique = [...new Set(prefixes)];
  return unique.filter((p) => !unique.some((q) => q !== p && p.startsWith(q)));
}

const slashed = (p: string) => (p.endsWith('/') ? p : `${p}/`);

/**
 * A prefix without the placeholder segments of any value at its end (everything below its last known level is
 * listed); one of every value but some (`${key!a,b}`) stays, to be listed without those.
 */
function trimUnknownTail(p: string): string {
  while (/\$\{[^}!]*\}[^/]*\/?$/.test(p)) p = p.replace(/[^/]*\$\{[^}!]*\}[^/]*\/?$/, '');
  return p;
}

/** The placeholder of a key's level: `${key}` (every value), or `${key!a,b}` (every value but those). */
const placeholder = (name: string, unwanted: Map<string, string[]>) => `\${${name}${unwanted.get(norm(name))?.length ? `!${unwanted.get(norm(name))!.join(',')}` : ''}}`;

/**
 * The Hive convention (what AWS delivers with HiveCompatiblePartitions, and what MSCK REPAIR TABLE registers): one
 * `<key>=<value>/` level per partition key below the location, in the table's key order. A key the query
 * constrains takes its values (per day for the date and hour); any other is a `${key}` level, listed to be found;
 * the levels after the last constrained one are not named (everything below is read).
 */
function hivePrefixes(info: TableInfo, location: string, days: readonly Date[], values: Map<string, (day: Date) => string[]>, unwanted: Map<string, string[]>): string[] {
  const out = new Set<string>();
  for (const day of days) {
    let paths = [slashed(location)];
    for (const k of info.partitionKeys) {
      const v = values.get(norm(k.name))?.(day) ?? [];
      paths = v.length ? paths.flatMap((p) => v.map((x) => `${p}${k.name}=${x}/`)) : paths.map((p) => `${p}${k.name}=${placeholder(k.name, unwanted)}/`);
    }
    for (const p of paths) out.add(trimUnknownTail(p));
  }
  return [...out];
}

/**
 * Where the window's objects lie under partition projection: the storage.location.template with each day, and each
 * value of the other keys the query constrains (region, account), put in; a key with no value here (an account id
 * not asked for) stays a `${key}` level, listed to be found.
 */
function templatePrefixes(info: TableInfo, days: readonly Date[], values: Map<string, (day: Date) => string[]>, unwanted: Map<string, string[]>): string[] {
  const template = info.parameters['storage.location.template']!;
  const split = info.partitionKeys.some((k) => norm(k.name) === 'month');
  const dated: Record<string, string> = { year: 'yyyy', month: 'MM', day: split ? 'dd' : 'yyyy/MM/dd' };
  const out = new Set<string>();
  for (const day of days) {
    let paths = [template];
    for (const k of info.partitionKeys) {
      const key = norm(k.name);
      const fmt = info.parameters[`projection.${k.name}.format`] ?? dated[key];
      const v = fmt ? [formatDay(day, fmt)] : values.get(key)?.(day) ?? [];
      if (v.length) paths = paths.flatMap((p) => v.map((x) => p.split(`\${${k.name}}`).join(x)));
      else if (unwanted.has(key)) paths = paths.map((p) => p.split(`\${${k.name}}`).join(placeholder(k.name, unwanted)));
    }
    for (const p of paths) out.add(trimUnknownTail(slashed(p)));
  }
  return [...out];
}

/**
 * Where a table's objects lie (its LOCATION, as GetTableMetadata gives it), written one way: s3://, the bucket in
 * lower case, the prefix without doubled slashes and ending in one (s3a://B/logs and s3://b/logs// are one location);
 * undefined when the catalogue says none, or not an S3 address.
 */
export function tableLocation(info: Pick<TableInfo, 'parameters'>): string | undefined {
  const loc = parseS3Uri((info.parameters.location ?? info.parameters['storage.location'] ?? '').trim());
  if (!loc) return undefined;
  const prefix = loc.prefix.replace(/\/{2,}/g, '/').replace(/^\/+|\/+$/g, '');
  return `s3://${loc.bucket.toLowerCase()}/${prefix ? `${prefix}/` : ''}`;
}

/** A table's partition keys as its catalogue says them ('name type, …'): two tables at one location partitioned alike have the same. */
export function partitionKeysText(info: Pick<TableInfo, 'partitionKeys'>): string {
  return info.partitionKeys.map((k) => `${k.name.toLowerCase()} ${k.type.toLowerCase()}`).join(', ');
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

/** How many of the queries were billed as MIN_BILLED_BYTES (less scanned, and a price: not a result Athena kept). */
export function billedAtMinimum(scans: readonly { bytes: number; usd: number }[]): number {
  return scans.filter((x) => x.bytes < MIN_BILLED_BYTES && x.usd > 0).length;
}

/**
 * Scans and their price as every place says them (the CLI's lines, the notifications, the scan question), in the one
 * formatter: '37.3 GiB ($0.20)'. A query of less than MIN_BILLED_BYTES is billed as that much, which is said beside
 * it, so that cents next to '0 B' are not taken for a bug: '0 B (billed as Athena's 10.0 MiB minimum: $0.000052)';
 * of several, 'for 2 of the 3 queries'. Said once a line: `minimumSaid` when a figure before it on the line said it.
 * `perTb`: the price per TB, said after the dollars.
 */
export function formatScanCost(scans: readonly { bytes: number; usd: number }[], o: { perTb?: number; minimumSaid?: boolean } = {}): string {
  const bytes = scans.reduce((n, x) => n + x.bytes, 0);
  const usd = `${formatUsd(scans.reduce((n, x) => n + x.usd, 0))}${o.perTb !== undefined ? ` at $${o.perTb}/TB` : ''}`;
  const minimum = billedAtMinimum(scans);
  if (!minimum || o.minimumSaid) return `${formatBytes(bytes)} (${usd})`;
  const which = scans.length === 1 ? '' : minimum === scans.length ? ` for each of the ${scans.length} queries` : ` for ${minimum} of the ${scans.length} queries`;
  return `${formatBytes(bytes)} (billed as Athena's ${formatBytes(MIN_BILLED_BYTES)} minimum${which}: ${usd})`;
}

/** A size as people write it (500MB, 2 GiB, 1.5TB, 1000): bytes. Units are powers of 1000 (KB) or 1024 (KiB). */
export function parseSize(v: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/i.exec(v.trim());
  if (!m) return undefined;
  const unit = (m[2] ?? 'B').toLowerCase();
  const scale: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
  return Math.round(Number(m[1]) * scale[unit]!);
}
