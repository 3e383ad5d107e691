/**
 * Which time of an Athena table a dataset holds, and what of a window is left to read there. A reduction's rows are
 * sums over the time the query read, with nothing to be known by again (an S3 object has its key, a CloudWatch
 * batch its hour): read twice, a record counts twice. So each loaded result is named by its table, account, region,
 * the time it read and, of an organisation's table read for some accounts, which
 * (`athena://<catalog>/<database>/<table>@<account>/<region>/<from>..<until>/w<seconds>[/accounts=A,B]`, or
 * `/accounts-except=A,B` for every account but those; no suffix: every account, as every name made before accounts
 * were named means), and a run reads, per account, only the time of its window no result of the table holds for that
 * account: a Refresh that asks again for a window another table failed to read, a window appended over one loaded
 * before, or accounts added to those read before. Forgetting a result lets its time be read again for its accounts.
 *
 * A name says the span of the window a result was asked for; of that span, the query left out the time held then
 * (inside it, or for some of its accounts only). What it really read is kept beside the name (ingest_files.athena_read,
 * resultRecordText): so that, an earlier result forgotten, the time a later one left out for it is held by none and read
 * again, once.
 */
import type { AccountSet } from '../../protocol/reports';
import type { AthenaSource } from './sources';

/** A span of time, [since, until) in epoch milliseconds. */
export interface Span {
  since: number;
  until: number;
}

/**
 * What a loaded result holds: the time it read and, when not every account's, the accounts; when the table has a
 * region key, the regions it read (undefined: every region, as a table without one holds every region's records).
 */
export interface HeldRead extends Span {
  accounts?: AccountSet;
  regions?: string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

const sortedIds = (ids: Iterable<string>) => [...new Set(ids)].sort();

/** The accounts a set names (those it holds, or those it does not). */
const namedIn = (a: AccountSet) => ('only' in a ? a.only : a.except);

/** Whether `a` holds `account` (undefined: every account). */
export function holdsAccount(a: AccountSet | undefined, account: string): boolean {
  return !a || ('only' in a ? a.only.includes(account) : !a.except.includes(account));
}

/** The accounts either of several sets holds (undefined: every account). */
export function unionAccounts(sets: readonly (AccountSet | undefined)[]): AccountSet | undefined {
  if (sets.some((a) => !a)) return undefined;
  const all = sets as AccountSet[];
  const excepts = all.filter((a): a is { except: string[] } => 'except' in a);
  if (!excepts.length) return { only: sortedIds(all.flatMap(namedIn)) };
  const except = excepts.slice(1).reduce((out, a) => out.filter((x) => a.except.includes(x)), excepts[0]!.except)
    .filter((x) => !all.some((a) => 'only' in a && a.only.includes(x)));
  return except.length ? { except: sortedIds(except) } : undefined;
}

/**
 * The name a result read over [since, until) is loaded under, of `accounts` (undefined: every account) and, of a table
 * with a region key, `regions` (said unless the region signed in to alone: undefined, every region, is not said).
 */
export function resultName(src: AthenaSource, span: Span, windowSeconds: number, accounts?: AccountSet, regions?: readonly string[]): string {
  const suffix = !accounts ? '' : 'only' in accounts ? `/accounts=${sortedIds(accounts.only).join(',')}` : `/accounts-except=${sortedIds(accounts.except).join(',')}`;
  const inRegions = !regions || (regions.length === 1 && regions[0] === src.region) ? '' : `/regions=${sortedIds(regions).join(',')}`;
  return `${src.id}@${src.account}/${src.region}/${iso(span.since)}..${iso(span.until)}/w${windowSeconds}${inRegions}${suffix}`;
}

/** The prefix every result of the table is named under (of any account and region: resultRead tells). */
export function resultPrefix(src: AthenaSource): string {
  return `${src.id}@`;
}

/**
 * What a loaded result of the source holds, from its name: the time it read, and the accounts when its name says
 * some (none said: every account, as every name made before accounts were named means); undefined for a result of
 * another signing account or region of a table of that name, or a name that is not a result's. A name without
 * account and region (loaded before they were named) is the source's.
 */
export function resultRead(src: AthenaSource, name: string): HeldRead | undefined {
  if (!name.startsWith(resultPrefix(src))) return undefined;
  const m = /^(?:(\d{12})\/([a-z0-9-]+)\/)?([^/]+?)\.\.([^/]+)\/w\d+(?:\/regions=((?:[a-z]{2}(?:-[a-z]+)+-\d+)(?:,[a-z]{2}(?:-[a-z]+)+-\d+)*))?(?:\/accounts(-except)?=([^/,]+(?:,[^/,]+)*))?$/
    .exec(name.slice(resultPrefix(src).length));
  if (!m || (m[1] !== undefined && (m[1] !== src.account || m[2] !== src.region))) return undefined;
  const span = { since: Date.parse(m[3]!), until: Date.parse(m[4]!) };
  if (!(Number.isFinite(span.since) && Number.isFinite(span.until) && span.since < span.until)) return undefined;
  const ids = m[7]?.split(',');
  return { ...span, ...(ids ? { accounts: m[6] ? { except: ids } : { only: ids } } : {}), ...(m[5] ? { regions: m[5].split(',') } : {}) };
}

/**
 * What a loaded result read, as the dataset keeps it beside its name (ingest_files.athena_read): the time, and where it
 * was read from. Two tables at one S3 location read the same objects (the table of the same name in another account's
 * catalogue, which `--accounts B,A` signs in to after `--accounts A,B`, or another name given to them): a run holds the
 * time read through the other as its own when both are partitioned alike, so that no record counts twice.
 */
export interface ResultRecord {
  /** The time it read, part by part: the held time it left out in none of them. */
  read: HeldRead[];
  /** The table read (athena://<catalog>/<database>/<table>), the account signed in to, the region. */
  table?: string;
  account?: string;
  region?: string;
  /** The table's S3 location, normalised (tableLocation), when known. */
  location?: string;
  /** The table's partition keys as its catalogue said them ('name type, …'; '' none). */
  keys?: string;
}

/** A result's record as it is stored: JSON, times in ISO. */
export function resultRecordText(r: ResultRecord): string {
  const { read, ...where } = r;
  return JSON.stringify({ ...where, read: read.map((h) => ({ since: iso(h.since), until: iso(h.until), ...(h.accounts ? { accounts: h.accounts } : {}), ...(h.regions ? { regions: h.regions } : {}) })) });
}

const isIds = (x: unknown): x is string[] => Array.isArray(x) && x.length > 0 && x.every((v) => typeof v === 'string');

/** A stored record read back (undefined: none, or not one: the result's name then says what it read). */
export function parseResultRecord(text: string | null | undefined): ResultRecord | undefined {
  if (!text) return undefined;
  try {
    const r = JSON.parse(text) as Record<string, unknown> & { read?: { since?: unknown; until?: unknown; accounts?: { only?: unknown; except?: unknown }; regions?: unknown }[] };
    if (!Array.isArray(r.read)) return undefined;
    const read: HeldRead[] = [];
    for (const h of r.read) {
      const span = { since: Date.parse(String(h.since)), until: Date.parse(String(h.until)) };
      if (!(span.since < span.until)) return undefined;
      const a = h.accounts;
      if ((a !== undefined && !isIds(a.only) && !isIds(a.except)) || (h.regions !== undefined && !isIds(h.regions))) return undefined;
      read.push({ ...span, ...(a === undefined ? {} : { accounts: isIds(a.only) ? { only: a.only } : { except: a.except as string[] } }),
        ...(isIds(h.regions) ? { regions: h.regions } : {}) });
    }
    const where = Object.fromEntries((['table', 'account', 'region', 'location', 'keys'] as const).filter((k) => typeof r[k] === 'string').map((k) => [k, r[k] as string]));
    return { ...where, read };
  } catch {
    return undefined;
  }
}

/** Spans merged: sorted, overlapping or touching ones made one. */
export function mergeSpans(spans: readonly Span[]): Span[] {
  const out: Span[] = [];
  for (const s of [...spans].sort((a, b) => a.since - b.since)) {
    const last = out.at(-1);
    if (last && s.since <= last.until) last.until = Math.max(last.until, s.until);
    else out.push({ ...s });
  }
  return out;
}

/**
 * What of `window` is left to read when `held` is held already: the window without the held time at its start and
 * end, and the held spans inside it (`held`, a query leaves them out); undefined when every part of it is held.
 */
export function unreadSpan(window: Span, held: readonly Span[]): { span: Span; held: Span[] } | undefined {
  const merged = mergeSpans(held);
  let { since, until } = window;
  for (const h of merged) if (h.since <= since && h.until > since) since = h.until;
  for (const h of [...merged].reverse()) if (h.since < until && h.until >= until) until = h.since;
  if (since >= until) return undefined;
  return { span: { since, until }, held: merged.filter((h) => h.since < until && h.until > since) };
}

/** The parts of `window` outside every span of `out`, in order (what a query that leaves `out` out reads). */
export function spansWithout(window: Span, out: readonly Span[]): Span[] {
  const parts: Span[] = [];
  let since = window.since;
  for (const h of mergeSpans(out)) {
    if (h.until <= since || h.since >= window.until) continue;
    if (h.since > since) parts.push({ since, until: h.since });
    since = Math.max(since, h.until);
  }
  if (since < window.until) parts.push({ since, until: window.until });
  return parts;
}

/** Some accounts (and regions) of a run and what of its window is left to read for them: the same for each (one part of a query). */
export interface ReadPart {
  /** Undefined: every account. */
  accounts?: AccountSet;
  /** Undefined: every region the run reads. */
  regions?: string[];
  /** What is left to read, and the held spans inside it (see unreadSpan). */
  span: Span;
  held: Span[];
}

/** Time of a window held for some of a run's accounts or regions (undefined: for every account, every region the run reads). */
export interface HeldPart extends Span {
  accounts?: AccountSet;
  regions?: string[];
}

/**
 * What of `window` a run over `accounts` (none: every account) is left to read when `held` is held, account by
 * account: a result of every account holds every account's time, one of some accounts only theirs. The accounts
 * whose unread time is the same are one part (the part of every account not named by a result, when the run is of
 * every account); an account with nothing left is in none. `before`: the held time of the window, and whose it is
 * when not every account's the run reads. Of a run of `regions` over a table with a region key, whose results each
 * hold their regions' time alone, the same region by region: the regions whose time left is the same are one part.
 */
export function unreadParts(window: Span, held: readonly HeldRead[], accounts?: readonly string[], regions: readonly string[] = []): { parts: ReadPart[]; before: HeldPart[] } {
  const within = held.filter((h) => h.since < window.until && h.until > window.since);
  // a result of some regions (a table with a region key) holds their time alone: the regions whose held time is the
  // same are one part; no result of some regions, or the same time held in each: the regions are no part
  const groups = new Map<string, { regions: string[]; left: ReturnType<typeof unreadByAccount> }>();
  for (const r of within.some((h) => h.regions) ? regions : []) {
    const left = unreadByAccount(window, within.filter((h) => !h.regions || h.regions.includes(r)), accounts);
    const key = JSON.stringify(left);
    (groups.get(key) ?? groups.set(key, { regions: [], left }).get(key)!).regions.push(r);
  }
  if (groups.size <= 1) return [...groups.values()][0]?.left ?? unreadByAccount(window, within, accounts);
  const before = new Map<string, HeldPart>();
  for (const g of groups.values()) {
    for (const h of g.left.before) {
      const key = JSON.stringify([h.since, h.until, h.accounts]);
      const b = before.get(key) ?? before.set(key, { ...h, regions: [] }).get(key)!;
      b.regions!.push(...g.regions);
    }
  }
  return {
    parts: [...groups.values()].flatMap((g) => g.left.parts.map((p) => ({ ...p, regions: g.regions }))),
    before: [...before.values()].sort((a, b) => a.since - b.since)
      .map(({ regions: rs, ...h }) => (rs!.length < regions.length ? { ...h, regions: regions.filter((r) => rs!.includes(r)) } : h)),
  };
}

/** unreadParts of one region (or of every region alike): account by account. */
function unreadByAccount(window: Span, within: readonly HeldRead[], accounts?: readonly string[]): { parts: ReadPart[]; before: HeldPart[] } {
  // each account asked for; of a run of every account, each account a result names, and (null) every other one
  const named = sortedIds(accounts?.length ? accounts : within.flatMap((h) => (h.accounts ? namedIn(h.accounts) : [])));
  const classes: (string | null)[] = accounts?.length ? named : [...named, null];
  const heldFor = (c: string | null) => mergeSpans(within.filter((h) => (c === null ? !h.accounts || 'except' in h.accounts : holdsAccount(h.accounts, c)))
    .map(({ since, until }) => ({ since, until })));
  const accountsOf = (cs: readonly (string | null)[]): AccountSet | undefined => {
    if (!cs.includes(null)) return { only: cs as string[] };
    const except = named.filter((a) => !cs.includes(a));
    return except.length ? { except } : undefined;
  };
  const parts = new Map<string, { classes: (string | null)[]; left: { span: Span; held: Span[] } }>();
  for (const c of classes) {
    const left = unreadSpan(window, heldFor(c));
    if (!left) continue;
    const key = JSON.stringify(left);
    const part = parts.get(key) ?? parts.set(key, { classes: [], left }).get(key)!;
    part.classes.push(c);
  }
  // the held time cut where whose it is changes
  const clipped = classes.map((c) => heldFor(c).map((h) => ({ since: Math.max(h.since, window.since), until: Math.min(h.until, window.until) })).filter((h) => h.since < h.until));
  const cuts = [...new Set(clipped.flat().flatMap((h) => [h.since, h.until]))].sort((a, b) => a - b);
  const before: (HeldPart & { by: string })[] = [];
  for (const [i, since] of cuts.slice(0, -1).entries()) {
    const until = cuts[i + 1]!;
    const holders = classes.filter((_, k) => clipped[k]!.some((h) => h.since <= since && h.until >= until));
    if (!holders.length) continue;
    const by = JSON.stringify(holders);
    const last = before.at(-1);
    if (last && last.by === by && last.until === since) last.until = until;
    else before.push({ since, until, by, ...(holders.length < classes.length ? { accounts: accountsOf(holders)! } : {}) });
  }
  return {
    parts: [...parts.values()].map((p) => ({ ...(accountsOf(p.classes) ? { accounts: accountsOf(p.classes)! } : {}), span: p.left.span, held: p.left.held })),
    before: before.map(({ by: _by, ...h }) => h),
  };
}
