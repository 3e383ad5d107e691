/**
 * Query templates: `.sql` files with a header of comment lines, each answering one question.
 *
 *   -- title: Cross-AZ traffic by app pair
 *   -- description: What crossed Availability Zones, ...
 *   -- param: tag_key VARCHAR = app -- the tag that names an app
 *
 * The SQL refers to parameters as `$name`; values are always bound, never pasted into the SQL.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { BoundParams, QueryTemplate, TemplateParam } from '../api';
import { timestampBack } from '../time';

export class TemplateError extends Error {}
/** A template asked for that does not exist, or a parameter it does not have or a value it cannot take: the user's to fix. */
export class TemplateUsageError extends TemplateError {}

/** What a parameter's value must be, as the user reads it. */
const VALUE_KINDS: Record<string, string> = {
  INTEGER: 'a whole number', BIGINT: 'a whole number', DOUBLE: 'a number', BOOLEAN: 'true or false',
  TIMESTAMP: 'a time (2026-09-01, 2026-09-01T12:00:00Z, or back from now: 24h, 7d)', DATE: 'a date (2026-09-01)',
};

const PARAM_TYPES = new Set(['VARCHAR', 'INTEGER', 'BIGINT', 'DOUBLE', 'BOOLEAN', 'TIMESTAMP', 'DATE']);

/** Parses one template file's text. Errors name the file and line. */
export function parseTemplate(text: string, file: string): QueryTemplate {
  const lines = text.split(/\r?\n/);
  let title = '';
  let description = '';
  const params: TemplateParam[] = [];
  let i = 0;
  for (; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    const m = /^--\s*(title|description|param):\s*(.*)$/i.exec(line);
    if (!m) {
      if (line.startsWith('--')) continue; // a plain comment inside the header
      break;
    }
    const [, key, rest] = m;
    if (key.toLowerCase() === 'title') title = rest.trim();
    else if (key.toLowerCase() === 'description') description = (description ? description + ' ' : '') + rest.trim();
    else {
      const p = /^([A-Za-z_][A-Za-z0-9_]*)\s+([A-Za-z]+)\s*(?:=\s*(.*?))?\s*(?:--\s*(.*))?$/.exec(rest.trim());
      if (!p) throw new TemplateError(`${file}:${i + 1}: a param line reads "-- param: <name> <TYPE> [= default] [-- description]"`);
      const type = p[2].toUpperCase();
      if (!PARAM_TYPES.has(type)) throw new TemplateError(`${file}:${i + 1}: parameter ${p[1]} has type ${p[2]}; use one of ${[...PARAM_TYPES].join(', ')}`);
      params.push({ name: p[1], type, default: p[3] ?? '', description: p[4]?.trim() });
    }
  }
  const sql = lines.slice(i).join('\n').trim().replace(/;\s*$/, '');
  if (!title) throw new TemplateError(`${file}: the header has no "-- title: ..." line`);
  if (!sql) throw new TemplateError(`${file}: no SQL after the header`);
  for (const p of params) {
    if (!new RegExp(`\\$${p.name}\\b`).test(sql)) throw new TemplateError(`${file}: parameter ${p.name} is declared but the SQL never uses $${p.name}`);
  }
  for (const m of sql.matchAll(/\$([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (!params.some((p) => p.name === m[1])) throw new TemplateError(`${file}: the SQL uses $${m[1]} but the header declares no such param`);
  }
  return { id: basename(file).replace(/\.sql$/i, ''), title, description, params, sql, file };
}

/** The built-in templates folder: `templates/` at the package root, found from this file upward. */
export function builtinTemplatesDir(): string {
  let dir = __dirname;
  for (let k = 0; k < 6; k++) {
    const candidate = join(dir, 'templates');
    if (existsSync(join(candidate, 'top-talkers.sql'))) return candidate;
    dir = dirname(dir);
  }
  throw new TemplateError(`the built-in templates folder was not found above ${__dirname}`);
}

/** A snippet larger than this is no question (a template is a few KB): it is skipped, not read. */
export const MAX_SNIPPET_BYTES = 256 * 1024;

/**
 * Every template: the built-in ones, then each extra folder's `.sql` files (a later id overrides). A snippet
 * that cannot be used (malformed, too large, a folder or a FIFO named *.sql, unreadable) disables only itself:
 * it is skipped, and said in `problems` by path. Only regular files are read, so a FIFO cannot hang the reader.
 */
export function listTemplates(extraDirs: string[] = [], problems: string[] = []): QueryTemplate[] {
  const byId = new Map<string, QueryTemplate>();
  const builtin = builtinTemplatesDir();
  for (const dir of [builtin, ...extraDirs]) {
    if (!existsSync(dir)) {
      problems.push(`${dir}: no such snippets folder`);
      continue;
    }
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.toLowerCase().endsWith('.sql')).sort();
    } catch (err) {
      problems.push(`${dir}: cannot read the folder: ${(err as Error).message}`);
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      if (dir === builtin) {
        const t = parseTemplate(readFileSync(file, 'utf8'), file); // the product's own: a bad one is a bug, said loudly
        byId.set(t.id, t);
        continue;
      }
      try {
        const st = statSync(file);
        if (!st.isFile()) throw new TemplateError(`${file}: not a regular file; skipped`);
        if (st.size > MAX_SNIPPET_BYTES) throw new TemplateError(`${file}: ${st.size.toLocaleString('en-US')} bytes, more than a snippet may be (${MAX_SNIPPET_BYTES.toLocaleString('en-US')}); skipped`);
        const t = parseTemplate(readFileSync(file, 'utf8'), file);
        byId.set(t.id, t);
      } catch (err) {
        problems.push(err instanceof TemplateError ? err.message : `${file}: cannot read it: ${(err as Error).message}`);
      }
    }
  }
  return [...byId.values()];
}

export function findTemplate(id: string, extraDirs: string[] = [], problems: string[] = []): QueryTemplate {
  const all = listTemplates(extraDirs, problems);
  const t = all.find((x) => x.id === id);
  if (!t) throw new TemplateUsageError(`no template "${id}"; templates: ${all.map((x) => x.id).join(', ')}`);
  return t;
}

/**
 * Whether a time of the form the binder takes (2026-09-01[ 12:00[:00]]) names a real one: month 1-12, a day its month
 * has, hours to 23, minutes and seconds to 59 (2026-13-01 or 2026-02-30 reached DuckDB, which refused it in words
 * that named no parameter, or JavaScript, which would have read 2026-03-02).
 */
function onCalendar(v: string): boolean {
  const [y, mo, d, h = 0, mi = 0, s = 0] = (v.match(/\d+/g) ?? []).slice(0, 6).map(Number);
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && t.getUTCHours() === h
    && t.getUTCMinutes() === mi && t.getUTCSeconds() === s;
}

function convert(p: TemplateParam, raw: string, now: Date): BoundParams[string] {
  const v = raw.trim();
  if (v === '') return null;
  const bad = () => new TemplateUsageError(`parameter ${p.name}: "${raw}" is not ${VALUE_KINDS[p.type] ?? p.type}`);
  switch (p.type) {
    case 'INTEGER':
    case 'BIGINT': {
      if (!/^-?\d+$/.test(v)) throw bad();
      const [lo, hi] = p.type === 'BIGINT' ? [-(2n ** 63n), 2n ** 63n - 1n] : [-(2n ** 31n), 2n ** 31n - 1n];
      if (BigInt(v) < lo || BigInt(v) > hi) throw new TemplateUsageError(`parameter ${p.name}: ${v} is out of range for ${p.type} (${lo} to ${hi})`);
      return p.type === 'BIGINT' ? BigInt(v) : Number(v);
    }
    case 'DOUBLE': {
      const n = Number(v);
      if (!Number.isFinite(n)) throw bad();
      return n;
    }
    case 'BOOLEAN':
      if (!/^(true|false)$/i.test(v)) throw bad();
      return v.toLowerCase() === 'true';
    case 'TIMESTAMP': {
      // a duration back from now, as enrich --since takes it (UTC, to the second)
      const back = timestampBack(v, now);
      if (back !== undefined) return back;
      if (!/^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?)?$/.test(v) || !onCalendar(v)) throw bad();
      return v.replace('T', ' ').replace(/Z$/, '');
    }
    case 'DATE':
      if (!/^\d{4}-\d{2}-\d{2}$/.test(v) || !onCalendar(v)) throw bad();
      return v;
    default:
      return v;
  }
}

/**
 * The template's SQL and its parameters, bound from user text (defaults where not given). Unknown
 * names and values of the wrong type are errors naming the parameter.
 */
export function bindTemplate(t: QueryTemplate, values: Record<string, string> = {}, now = new Date()): { sql: string; params: BoundParams } {
  for (const k of Object.keys(values)) {
    if (!t.params.some((p) => p.name === k)) {
      throw new TemplateUsageError(`template ${t.id} has no parameter "${k}" (it has: ${t.params.map((p) => p.name).join(', ') || 'none'})`);
    }
  }
  const params: BoundParams = {};
  for (const p of t.params) params[p.name] = convert(p, values[p.name] ?? p.default ?? '', now);
  // a window that ends where or before it starts holds nothing: said, rather than answered with no rows
  const [since, until] = [params.since, params.until].map((v) => (typeof v === 'string' ? Date.parse(`${v.replace(' ', 'T')}Z`) : NaN));
  if (since >= until) throw new TemplateUsageError(`parameter since (${params.since}) is not before until (${params.until}): the window holds nothing`);
  return { sql: t.sql, params };
}
