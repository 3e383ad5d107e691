/**
 * Completion in Flowlens SQL cells from the dataset's own catalogue: its tables and views with their columns, its
 * macros with their parameters, and the cell's declared `$parameters`. Pure (no vscode): the provider
 * (sqlCompletionProvider.ts) reads the catalogue through the DuckDB process and asks here what to offer.
 */

/** The catalogue as one query returns it (rows: what, name, kind, list of columns or parameters). */
export const CATALOGUE_SQL = `
SELECT 'relation' AS what, t.table_name AS name, CASE WHEN t.table_type = 'VIEW' THEN 'view' ELSE 'table' END AS kind,
       list(c.column_name ORDER BY c.ordinal_position) AS items
FROM information_schema.tables t JOIN information_schema.columns c USING (table_catalog, table_schema, table_name)
WHERE t.table_schema = 'main' AND t.table_name NOT LIKE 'fl\\_%' ESCAPE '\\' AND t.table_name NOT LIKE '%\\_next' ESCAPE '\\'
GROUP BY ALL
UNION ALL
SELECT 'macro', function_name, any_value(function_type), any_value(parameters)
FROM duckdb_functions() WHERE function_type IN ('macro', 'table_macro') AND NOT internal AND function_name NOT LIKE 'fl\\_%' ESCAPE '\\'
GROUP BY function_name
ORDER BY 1, 2`;

export interface Relation {
  name: string;
  kind: 'table' | 'view';
  columns: string[];
}
export interface Macro {
  name: string;
  kind: 'macro' | 'table_macro';
  params: string[];
}
export interface Catalogue {
  relations: Relation[];
  macros: Macro[];
}

export type ItemKind = 'table' | 'view' | 'column' | 'macro' | 'parameter';
export interface Item {
  label: string;
  kind: ItemKind;
  /** What it is, shown beside the label: a relation's columns, a column's relation, a macro's parameters. */
  detail: string;
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** The catalogue from CATALOGUE_SQL's rows (row-major, in its column order). */
export function catalogueFromRows(rows: unknown[][]): Catalogue {
  const out: Catalogue = { relations: [], macros: [] };
  for (const [what, name, kind, items] of rows) {
    if (what === 'relation') out.relations.push({ name: String(name), kind: kind === 'view' ? 'view' : 'table', columns: list(items) });
    else out.macros.push({ name: String(name), kind: kind === 'table_macro' ? 'table_macro' : 'macro', params: list(items) });
  }
  return out;
}

/** Relations named in FROM/JOIN, by the name or alias the text uses for them (lower case). */
function aliases(text: string, cat: Catalogue): Map<string, Relation> {
  const byName = new Map(cat.relations.map((r) => [r.name.toLowerCase(), r]));
  const out = new Map<string, Relation>();
  const KEYWORDS = new Set(['on', 'using', 'where', 'join', 'left', 'right', 'inner', 'full', 'cross', 'group', 'order', 'limit', 'natural', 'as', 'qualify', 'having', 'window', 'union']);
  for (const m of text.matchAll(/\b(?:from|join)\s+([A-Za-z_][\w]*)(?:\s+(?:as\s+)?([A-Za-z_]\w*))?/gi)) {
    const rel = byName.get(m[1].toLowerCase());
    if (!rel) continue;
    out.set(rel.name.toLowerCase(), rel);
    const alias = m[2]?.toLowerCase();
    if (alias && !KEYWORDS.has(alias)) out.set(alias, rel);
  }
  return out;
}

/**
 * What to offer at `offset` in `text`: after `name.` the columns of the relation or alias `name`; after `$` the
 * cell's parameters; elsewhere relations, macros and the columns of the relations the cell reads (all columns
 * when it reads none yet).
 */
export function completionsAt(text: string, offset: number, cat: Catalogue, params: readonly string[] = []): Item[] {
  const before = text.slice(0, offset);
  const dollar = /\$([A-Za-z_]\w*)?$/.exec(before);
  if (dollar) return params.map((p) => ({ label: p, kind: 'parameter', detail: 'parameter of this cell' }));
  const dotted = /([A-Za-z_]\w*)\.(\w*)$/.exec(before);
  if (dotted) {
    const rel = aliases(text, cat).get(dotted[1].toLowerCase()) ?? cat.relations.find((r) => r.name.toLowerCase() === dotted[1].toLowerCase());
    return rel ? rel.columns.map((c) => ({ label: c, kind: 'column', detail: rel.name })) : [];
  }
  const items: Item[] = [];
  for (const r of cat.relations) items.push({ label: r.name, kind: r.kind, detail: `${r.kind}: ${r.columns.slice(0, 6).join(', ')}${r.columns.length > 6 ? ', …' : ''}` });
  for (const m of cat.macros) items.push({ label: m.name, kind: 'macro', detail: `${m.kind === 'table_macro' ? 'table macro' : 'macro'}(${m.params.join(', ')})` });
  const read = [...new Set(aliases(text, cat).values())];
  const seen = new Set<string>();
  for (const r of read.length ? read : cat.relations) {
    for (const c of r.columns) {
      if (seen.has(c)) continue;
      seen.add(c);
      items.push({ label: c, kind: 'column', detail: read.length ? r.name : 'column' });
    }
  }
  return items;
}
