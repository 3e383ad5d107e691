/**
 * Which time of an Athena table a dataset holds, and what of a window is left to read there. A reduction's rows are
 * sums over the time the query read, with nothing to be known by again (an S3 object has its key, a CloudWatch
 * batch its hour): read twice, a record counts twice. So each loaded result is named by its table, account, region
 * and the time it read (`athena://<catalog>/<database>/<table>@<account>/<region>/<from>..<until>/w<seconds>`), and a
 * run reads only the time of its window no result of the table holds: a Refresh that asks again for a window another
 * table failed to read, or a window appended over one loaded before. Forgetting a result lets its time be read again.
 */
import type { AthenaSource } from './sources';

/** A span of time, [since, until) in epoch milliseconds. */
export interface Span {
  since: number;
  until: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The name a result read over [since, until) is loaded under. */
export function resultName(src: AthenaSource, span: Span, windowSeconds: number): string {
  return `${src.id}@${src.account}/${src.region}/${iso(span.since)}..${iso(span.until)}/w${windowSeconds}`;
}

/** The prefix every result of the table is named under (of any account and region: resultSpan tells). */
export function resultPrefix(src: AthenaSource): string {
  return `${src.id}@`;
}

/**
 * The time a loaded result of the source read, from its name; undefined for a result of another account or region
 * of a table of that name, or a name that is not a result's. A name without account and region (loaded before they
 * were named) is the source's.
 */
export function resultSpan(src: AthenaSource, name: string): Span | undefined {
  if (!name.startsWith(resultPrefix(src))) return undefined;
  const m = /^(?:(\d{12})\/([a-z0-9-]+)\/)?([^/]+?)\.\.([^/]+)\/w\d+$/.exec(name.slice(resultPrefix(src).length));
  if (!m || (m[1] !== undefined && (m[1] !== src.account || m[2] !== src.region))) return undefined;
  const span = { since: Date.parse(m[3]!), until: Date.parse(m[4]!) };
  return Number.isFinite(span.since) && Number.isFinite(span.until) && span.since < span.until ? span : undefined;
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
