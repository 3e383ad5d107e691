/**
 * Parameters written in a SQL cell's header, in the query-template format:
 *   -- param: since TIMESTAMP = 2026-01-01 00:00:00 -- from when
 * The value after `=` is what the cell runs with; editing it is how a user changes a template's parameter.
 */
import type { WireParam } from '../protocol/worker';
import { formatParamValue, parseParamValue } from '../core/paramValue';

export interface CellParam extends WireParam {
  description?: string;
  /** 1-based line of the declaration in the cell. */
  line: number;
}

const PARAM = /^\s*--\s*param:\s*([A-Za-z_][A-Za-z0-9_]*)\s+([^\n]*)$/;

export class CellParamError extends Error {}

export function parseCellParams(sql: string): CellParam[] {
  const out: CellParam[] = [];
  const lines = sql.replace(/\r\n?/g, '\n').split('\n');
  lines.forEach((text, i) => {
    const m = PARAM.exec(text);
    if (!m) return;
    const eq = m[2].indexOf('=');
    const dd = m[2].indexOf(' -- ');
    const type = (eq >= 0 && (dd < 0 || eq < dd) ? m[2].slice(0, eq) : dd >= 0 ? m[2].slice(0, dd) : m[2]).trim();
    if (!type) throw new CellParamError(`line ${i + 1}: parameter ${m[1]} has no type (write "-- param: ${m[1]} VARCHAR = value")`);
    if (eq < 0 || (dd >= 0 && dd < eq)) throw new CellParamError(`line ${i + 1}: parameter ${m[1]} has no value (write "= value" after its type)`);
    // the value may be quoted (formatParamValue): then ' -- ', spaces and line separators inside it are its own
    const { value, rest } = parseParamValue(m[2].slice(eq + 1));
    const description = /^\s*--\s(.*)$/.exec(rest)?.[1].trim();
    out.push({ name: m[1], type, value, description, line: i + 1 });
  });
  return out;
}

/** The parameters the SQL refers to as $name (declarations not used are not bound). */
export function usedParams(sql: string, params: CellParam[]): CellParam[] {
  const body = sql
    .split('\n')
    .filter((l) => !PARAM.test(l))
    .join('\n');
  return params.filter((p) => new RegExp(`\\$${p.name}(?![A-Za-z0-9_])`).test(body));
}

/** Writes parameter declarations back, e.g. for a cell made from a template with chosen values. */
export function formatParamLine(p: { name: string; type: string; value: string; description?: string }): string {
  return `-- param: ${p.name} ${p.type} = ${formatParamValue(p.value)}${p.description ? ` -- ${p.description}` : ''}`;
}

/** True when a cell holds no statement: only blanks, comments (parameter lines included) and semicolons. */
export function isEmptyCell(sql: string): boolean {
  return sql.replace(/\/\*[\s\S]*?\*\//g, '').replace(/--.*$/gm, '').replace(/;/g, '').trim() === '';
}
