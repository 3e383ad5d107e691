/**
 * The .flowsql notebook file format: plain text that diffs well and is itself a valid SQL script.
 *
 *   -- %% [markdown]
 *   -- # Cross-AZ traffic
 *   -- Bytes between availability zones.
 *
 *   -- %% [sql]
 *   -- param: since TIMESTAMP = 2026-01-01 00:00:00 -- from when
 *   SELECT ...
 *
 * A cell starts at a marker line `-- %% [sql]` or `-- %% [markdown]`; markdown lines are written as SQL
 * comments (`-- text`, or `--` for an empty line). Text before the first marker is a SQL cell, so a plain
 * .sql file opens as one cell. A content line that itself starts with `-- %%` is escaped with one more `%`.
 * Outputs are not saved: results come from the dataset, which changes.
 */

export type FlowsqlCellKind = 'sql' | 'markdown';

export interface FlowsqlCell {
  kind: FlowsqlCellKind;
  source: string;
}

const MARKER = /^-- %% \[(sql|markdown)\][ \t]*$/;
const ESCAPED = /^-- %%%/;
const NEEDS_ESCAPE = /^-- %%/;

export function parseFlowsql(text: string): FlowsqlCell[] {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const cells: FlowsqlCell[] = [];
  let kind: FlowsqlCellKind = 'sql';
  let body: string[] = [];
  let explicit = false;
  const flush = () => {
    while (body.length > 0 && body[body.length - 1].trim() === '') body.pop();
    if (explicit || body.some((l) => l.trim() !== '')) {
      const unescaped = body.map((l) => (ESCAPED.test(l) ? '-- %%' + l.slice(6) : l));
      cells.push({ kind, source: (kind === 'markdown' ? unescaped.map(uncomment) : unescaped).join('\n') });
    }
    body = [];
  };
  for (const line of lines) {
    const m = MARKER.exec(line);
    if (m) {
      flush();
      kind = m[1] as FlowsqlCellKind;
      explicit = true;
      continue;
    }
    body.push(line);
  }
  flush();
  return cells;
}

function uncomment(line: string): string {
  if (line.startsWith('-- ')) return line.slice(3);
  if (line.startsWith('--')) return line.slice(2);
  return line;
}

function escape(line: string): string {
  return NEEDS_ESCAPE.test(line) ? '-- %%%' + line.slice(5) : line;
}

export function serializeFlowsql(cells: readonly FlowsqlCell[]): string {
  const parts = cells.map((c) => {
    const source = c.source.replace(/\r\n?/g, '\n').replace(/\n+$/, '');
    const lines = source.trim() === '' ? [] : source.split('\n');
    const body = c.kind === 'markdown' ? lines.map((l) => escape(l === '' ? '--' : '-- ' + l)) : lines.map(escape);
    return [`-- %% [${c.kind}]`, ...body].join('\n');
  });
  return parts.join('\n\n') + '\n';
}
