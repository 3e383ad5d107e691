/**
 * A QueryRows over the extension's DuckDB child process: numbers travel as DOUBLE and text as
 * VARCHAR (the topology SQL casts explicitly), rows come back as objects; the signal cancels the query in
 * the child. No 'vscode' here (bench/topology.mjs drives the map through it).
 */
import type { QueryRows } from '../core/topology/graph';
import type { SqlParams } from '../core/topology/sql';
import type { QueryResult, WireParam } from '../protocol/worker';

export function queryRowsVia(run: (sql: string, params: WireParam[], rowCap: number, signal?: AbortSignal) => Promise<QueryResult>): QueryRows {
  return async (sql: string, params: SqlParams, signal?: AbortSignal) => {
    const wire: WireParam[] = Object.entries(params).map(([name, v]) => ({
      name,
      type: typeof v === 'number' ? 'DOUBLE' : typeof v === 'boolean' ? 'BOOLEAN' : 'VARCHAR',
      value: v === null ? '' : String(v),
    }));
    const r = await run(sql, wire, 5_000_000, signal);
    const names = r.columns.map((c) => c.name);
    return r.rows.map((row) => Object.fromEntries(names.map((n, i) => [n, row[i]])));
  };
}
