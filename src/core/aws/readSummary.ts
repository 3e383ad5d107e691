/**
 * What a run's sources read, in the words the CLI's summary and the editor's notifications share: the objects (S3)
 * and hours of events (CloudWatch Logs) fetched, and apart from them what Athena's tables returned (rows, standing for
 * flow records; a table returns no objects). Pure: the editor's host imports it without the AWS SDK.
 */
import type { AccountSet, AcquireSummary, SourceReport } from '../../protocol/reports';
import { formatCount } from '../../shared/numbers';

/** Whose time it is, as said after it: ' for 111111111111 in us-east-1', ' for every account but 111111111111'; '' every account's, every region's. */
export const whose = (h: { accounts?: AccountSet; regions?: readonly string[] }) => `${!h.accounts ? '' : 'only' in h.accounts ? ` for ${h.accounts.only.join(', ')}`
  : ` for every account but ${h.accounts.except.join(', ')}`}${h.regions ? ` in ${h.regions.join(', ')}` : ''}`;

/** database.table of an Athena source's report id (athena://<catalog>/<database>/<table>). */
export function tableName(id: string): string {
  const [, , database, table] = /^athena:\/\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(id) ?? [];
  return database && table ? `${database}.${table}` : id;
}

/**
 * What the run's sources read object by object or event by event (S3, Firehose's S3 objects, CloudWatch Logs; not
 * Athena's tables): how many, the objects (or hours of events) fetched, skipped as loaded before and failed, their
 * records and bytes.
 */
export function pulledCounts(s: Pick<AcquireSummary, 'sources'>): { sources: number; fetched: number; skipped: number; failed: number; records: number; bytes: number } {
  const pulled = s.sources.filter((x) => x.kind !== 'athena');
  const sum = (key: 'fetched' | 'skipped' | 'failed' | 'records' | 'bytes') => pulled.reduce((n, x) => n + x[key], 0);
  return { sources: pulled.length, fetched: sum('fetched'), skipped: sum('skipped'), failed: sum('failed'), records: sum('records'), bytes: sum('bytes') };
}

/**
 * What the run's Athena tables did: 'Athena returned 120 rows (4,000 flow records) from flowlogs.vpc', then the
 * tables that returned no row, held the whole window already (nothing ran), ran nothing yet (the window within the
 * delivery lag), were not run (their estimated scan above the limit, or not known under one) or failed, each named,
 * with where the reason is (`see`: 'Show details' in the editor, 'below' in the CLI); '' without an Athena source.
 */
export function athenaYield(sources: readonly SourceReport[], see = 'Show details'): string {
  const athena = sources.filter((x) => x.kind === 'athena');
  if (!athena.length) return '';
  const names = (xs: readonly SourceReport[]) => xs.map((x) => tableName(x.source)).join(', ');
  const heldBack = (x: SourceReport) => x.issues.some((i) => i.code === 'ScanLimit' || i.code === 'ScanNotEstimated');
  const failed = athena.filter((x) => x.failed > 0 && !heldBack(x));
  const held = athena.filter((x) => x.failed > 0 && heldBack(x));
  const ran = athena.filter((x) => x.failed === 0);
  const returned = ran.filter((x) => (x.athena?.rows ?? 0) > 0);
  const whollyRead = ran.filter((x) => !x.athena?.rows && x.skipped > 0);
  // (no query: the window was all within the delivery lag, which the scan's line says)
  const lag = ran.filter((x) => !x.athena?.rows && x.skipped === 0 && !x.sql);
  const none = ran.filter((x) => !x.athena?.rows && x.skipped === 0 && x.sql);
  const rows = returned.reduce((n, x) => n + (x.athena?.rows ?? 0), 0);
  return [
    returned.length ? `Athena returned ${formatCount(rows)} row${rows === 1 ? '' : 's'} (${formatCount(returned.reduce((n, x) => n + x.records, 0))} flow records) from ${names(returned)}` : '',
    none.length ? `Athena returned no rows from ${names(none)}` : '',
    whollyRead.length ? `${names(whollyRead)}: the window was read before, nothing ran` : '',
    lag.length ? `${names(lag)}: nothing ran yet` : '',
    held.length ? `${names(held)}: not run (see ${see})` : '',
    failed.length ? `${names(failed)}: failed (see ${see})` : '',
  ].filter(Boolean).join('; ');
}
