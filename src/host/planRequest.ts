/**
 * The wizard's plan as the engine's options (the EnrichRequest the DuckDB worker runs), remembered per dataset
 * without secrets, and run again: "Refresh the window" over the time since (AWS: from a little before the last
 * window's end to now; the sources' checkpoints and the ingest's (name, hash) key make the overlap load nothing
 * twice) and "Follow" from there on. No VS Code here, so it is unit-tested.
 */
import type { AwsSource, EnrichRequest, SampleSource } from '../protocol/enrich';
import type { AcquireSummary } from '../protocol/reports';
import { athenaUnread, awsSourceFor, isAthenaSpec, type AthenaPreferences } from './acquirePlan';
import type { EnrichPlan } from './enrichWizard';

/**
 * Late delivery: S3 objects arrive about 10 minutes after their window, so a refresh looks back a little (what was
 * loaded already is known by its name and content and skipped). Not with an Athena source: its rows are sums over
 * the window asked, and it reads only the time it does not hold (athenaWindows.ts), so the overlap would be asked for
 * and left out; the delivery lag is its window's end instead (delivery.ts).
 */
export const REFRESH_OVERLAP_MS = 15 * 60 * 1000;

/**
 * The one mapping from the wizard's plan to the engine's options. `ipRanges` is the user's consent to
 * download AWS's ip-ranges.json; `sample` the sample estate's size (the engine's defaults when unset).
 */
export function requestFor(plan: EnrichPlan, o: { ipRanges?: boolean; athena?: AthenaPreferences; sample?: Omit<SampleSource, 'kind'> } = {}): EnrichRequest {
  switch (plan.source) {
    case 'sample':
      return { source: { kind: 'sample', ...o.sample } };
    case 'folder':
      return { source: { kind: 'files', flowLogs: [plan.folder], inventory: [plan.folder], ...(plan.logFormat ? { logFormat: plan.logFormat } : {}) } };
    case 'aws':
      return { source: awsSourceFor(plan, o) };
  }
}

/** What is remembered of a request: JSON-safe, without the external id (it stays in the user's settings). */
export function storableRequest(r: EnrichRequest): EnrichRequest {
  if (r.source.kind !== 'aws') return r;
  const { externalId: _secret, ...source } = r.source;
  return { source: { ...source, since: iso(source.since), ...(source.until !== undefined ? { until: iso(source.until) } : {}) } };
}

const iso = (t: Date | string) => (t instanceof Date ? t.toISOString() : t);

/**
 * The request as it was read, to be remembered: an Athena source whose window ended before the request's end (its
 * last minutes were still being delivered to S3) moves the end back to where it read, so that Refresh goes on from
 * there and reads those minutes once, delivered; one that did not read the window (athenaUnread: it failed, was held
 * back, or no partition held it yet) moves it back to the start, so that Refresh asks for the window again (the
 * Athena tables that read it read only the time they do not hold; other sources find what they loaded known).
 */
export function requestAsRead(r: EnrichRequest, summary: Pick<AcquireSummary, 'sources'> | undefined): EnrichRequest {
  if (r.source.kind !== 'aws' || r.source.until === undefined) return r;
  const ends = athenaUnread(summary) ? [new Date(r.source.since).getTime()]
    : (summary?.sources ?? []).map((x) => x.athena?.until).filter((t): t is string => !!t).map(Date.parse);
  const until = new Date(r.source.until).getTime();
  const read = Math.min(until, ...ends);
  return read < until ? { source: { ...r.source, until: new Date(read).toISOString() } } : r;
}

/** Where a remembered AWS request's next window starts: a little before its last window's end. */
function resumedSince(source: AwsSource, now: Date): Date {
  const lastEnd = new Date(source.until ?? now).getTime();
  const overlap = source.sources?.some(isAthenaSpec) ? 0 : REFRESH_OVERLAP_MS;
  return new Date(Math.min(lastEnd - overlap, now.getTime()));
}

/** The remembered request again, over the time since its last window (to now); files and the sample as they were. */
export function refreshRequest(stored: EnrichRequest, now: Date, externalId?: string): EnrichRequest {
  if (stored.source.kind !== 'aws') return stored;
  return { source: { ...withExternalId(stored.source, externalId), since: resumedSince(stored.source, now).toISOString(), until: now.toISOString() } };
}

/** The remembered request as a follower runs it: from its last window's end on, with no end. */
export function followRequest(stored: EnrichRequest, now: Date, externalId?: string): EnrichRequest {
  if (stored.source.kind !== 'aws') return stored;
  const { until: _until, ...source } = withExternalId(stored.source, externalId);
  return { source: { ...source, since: resumedSince(stored.source, now).toISOString() } };
}

function withExternalId(source: AwsSource, externalId: string | undefined): AwsSource {
  return { ...source, ...(externalId && source.role ? { externalId } : {}) };
}

/** A remembered request read back from global state, or undefined when it is not one (never trusted blindly). */
export function parseStoredRequest(value: unknown): EnrichRequest | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const s = (value as { source?: Record<string, unknown> }).source;
  if (!s || typeof s !== 'object') return undefined;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  const time = (v: unknown) => typeof v === 'string' && !Number.isNaN(Date.parse(v));
  if (s.kind === 'sample') return { source: { kind: 'sample', ...numbers(s, ['seed', 'days', 'scale']) } };
  if (s.kind === 'files' && strings(s.flowLogs) && (s.inventory === undefined || strings(s.inventory))) return value as EnrichRequest;
  if (s.kind === 'aws' && strings(s.regions) && time(s.since) && (s.until === undefined || time(s.until))) return value as EnrichRequest;
  return undefined;
}

function numbers(o: Record<string, unknown>, keys: string[]): Record<string, number> {
  return Object.fromEntries(keys.filter((k) => typeof o[k] === 'number' && Number.isFinite(o[k])).map((k) => [k, o[k] as number]));
}
