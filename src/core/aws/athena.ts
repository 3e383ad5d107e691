/**
 * Athena push-down for estates too big to pull: an aggregation by (minute window, account, interface, addresses,
 * ports, protocol, action) runs in the user's Athena over their flow-log table, is polled, its result pages read
 * with GetQueryResults, and each aggregate row enters the engine as one flow record (default format), so the
 * local enrichment works on it unchanged. The SQL is returned so the user sees what ran. The same window gives the
 * same result name and content, so a re-run adds nothing.
 */
import {
  GetQueryExecutionCommand,
  paginateGetQueryResults,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type AthenaClient,
} from '@aws-sdk/client-athena';
import type { SourceReport } from '../../protocol/reports';
import { ingestCloudWatchEvents, type CloudWatchEvent } from '../flowlogs/ingest';
import type { AthenaSettings } from '../../protocol/enrich';
import type { Db } from '../store/db';
import { describeAwsError } from './errors';
import { everyPage } from './paging';
import { sleep } from './pool';
import { Mutex } from './s3';
import type { AthenaSource } from './sources';

export interface AthenaOptions extends AthenaSettings {
  since: Date;
  until: Date;
  signal?: AbortSignal;
  onProgress?: (message: string) => void;
}

const ident = (s: string) => `"${s.replace(/"/g, '""')}"`;

/** The aggregation, in SQL that Athena (Trino) and DuckDB both accept. Columns as AWS's flow-log table names them. */
export function athenaAggregationSql(src: Pick<AthenaSource, 'database' | 'table' | 'catalog'>, o: Pick<AthenaOptions, 'since' | 'until' | 'windowSeconds' | 'partitionFilter'>): string {
  const w = Math.max(1, Math.floor(o.windowSeconds ?? 60));
  const s = Math.floor(o.since.getTime() / 1000);
  const u = Math.floor(o.until.getTime() / 1000);
  const table = `${src.catalog ? ident(src.catalog) + '.' : ''}${ident(src.database)}.${ident(src.table)}`;
  return [
    'SELECT account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, action,',
    `       start - (start % ${w}) AS window_start,`,
    '       min(start) AS first_start, max("end") AS last_end,',
    '       sum(packets) AS packets, sum(bytes) AS bytes, count(*) AS records',
    `FROM ${table}`,
    `WHERE start >= ${s} AND start < ${u} AND log_status = 'OK'${o.partitionFilter ? `\n  AND (${o.partitionFilter})` : ''}`,
    `GROUP BY account_id, interface_id, srcaddr, dstaddr, srcport, dstport, protocol, action, start - (start % ${w})`,
    'ORDER BY window_start, interface_id',
  ].join('\n');
}

export async function readAthenaSource(db: Db, athena: AthenaClient, src: AthenaSource, o: AthenaOptions, ingestLock = new Mutex()): Promise<SourceReport> {
  const sql = athenaAggregationSql(src, o);
  const rep: SourceReport = { source: src.id, kind: 'athena', account: src.account, region: src.region, fetched: 0, skipped: 0, failed: 0, records: 0, bytes: 0, files: [], issues: [], sql };
  const opts = o.signal ? { abortSignal: o.signal } : {};
  const fail = (err: unknown, api: string) => {
    rep.failed++;
    rep.issues.push(describeAwsError(err, { account: src.account, region: src.region, api, resource: src.id }));
    return rep;
  };
  o.onProgress?.(`Athena ${src.database}.${src.table}:\n${sql}`);
  let id: string;
  try {
    const r = await athena.send(
      new StartQueryExecutionCommand({
        QueryString: sql,
        QueryExecutionContext: { Database: src.database, ...(src.catalog ? { Catalog: src.catalog } : {}) },
        ...(o.workgroup ? { WorkGroup: o.workgroup } : {}),
        ...(o.outputLocation ? { ResultConfiguration: { OutputLocation: o.outputLocation } } : {}),
      }),
      opts,
    );
    id = r.QueryExecutionId ?? '';
  } catch (err) {
    if (o.signal?.aborted) throw err;
    return fail(err, 'athena:StartQueryExecution');
  }
  // Poll until done; a cancel stops the query in Athena too (it is billed by data scanned).
  let delay = o.pollMs ?? 250;
  try {
    for (;;) {
      const r = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId: id }), opts);
      const state = r.QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') {
        return fail(Object.assign(new Error(r.QueryExecution?.Status?.StateChangeReason ?? state), { name: `Query${state === 'FAILED' ? 'Failed' : 'Cancelled'}` }), 'athena:GetQueryExecution');
      }
      await sleep(delay, o.signal);
      delay = Math.min(5000, delay * 2);
    }
  } catch (err) {
    if (o.signal?.aborted) {
      await athena.send(new StopQueryExecutionCommand({ QueryExecutionId: id })).catch(() => undefined);
      throw err;
    }
    return fail(err, 'athena:GetQueryExecution');
  }
  // Result pages: the first row of the first page is the header.
  const events: CloudWatchEvent[] = [];
  let columns: string[] | undefined;
  try {
    let first = true;
    await everyPage(paginateGetQueryResults({ client: athena }, { QueryExecutionId: id, MaxResults: 1000 }, opts), 'NextToken', (r) => {
      const rows = r.ResultSet?.Rows ?? [];
      columns ??= (r.ResultSet?.ResultSetMetadata?.ColumnInfo ?? []).map((c) => c.Name ?? '');
      for (const [i, row] of rows.entries()) {
        const v = (row.Data ?? []).map((d) => d.VarCharValue);
        if (first && i === 0 && v[0] === columns[0]) continue; // header
        const get = (n: string) => v[columns!.indexOf(n)] ?? '-';
        const line = [
          '2',
          get('account_id'),
          get('interface_id'),
          get('srcaddr'),
          get('dstaddr'),
          get('srcport'),
          get('dstport'),
          get('protocol'),
          get('packets'),
          get('bytes'),
          get('first_start'),
          get('last_end'),
          get('action'),
          'OK',
        ].join(' ');
        events.push({ message: line, timestamp: Number(get('first_start')) * 1000 });
      }
      first = false;
    });
  } catch (err) {
    if (o.signal?.aborted) throw err;
    return fail(err, 'athena:GetQueryResults');
  }
  const name = `${src.id}@${o.since.toISOString()}..${o.until.toISOString()}/w${o.windowSeconds ?? 60}`;
  if (!events.length) return rep;
  const fr = await ingestLock.run(() => ingestCloudWatchEvents(db, name, events, o.signal ? { signal: o.signal } : {}));
  rep.files.push(fr);
  if (fr.status === 'failed') {
    rep.failed++;
    rep.issues.push({ account: src.account, region: src.region, api: 'ingest', code: 'MalformedResult', message: fr.error ?? 'unreadable', resource: name });
  } else if (fr.status === 'duplicate') rep.skipped++;
  else {
    rep.fetched++;
    rep.records += fr.records;
  }
  return rep;
}
