/**
 * A parameter's value as written on a `-- param: name TYPE = value -- description` line. A plain value is
 * written as it is; one the line could not carry intact (leading or trailing spaces, ` -- `, a quote first, a
 * line break, U+2028/U+2029, any control character) is written as a JSON string with those characters escaped,
 * so any string round-trips through the cell text.
 */

const NEEDS_QUOTES = /^\s|\s$|\s--\s|^--(\s|$)|^["']|[\u0000-\u001f\u007f\u0085\u2028\u2029]/;

export function formatParamValue(value: string): string {
  if (!NEEDS_QUOTES.test(value)) return value;
  return JSON.stringify(value).replace(/[\u007f\u0085\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * Reads the value at the start of `text` (what follows `=`): a JSON string, a SQL-quoted string ('it''s'), or
 * plain text up to ` -- `. Returns the value and the rest of the line after it.
 */
export function parseParamValue(text: string): { value: string; rest: string } {
  const t = text.replace(/^[ \t]+/, '');
  if (t.startsWith('"')) {
    for (let i = 1; i < t.length; i++) {
      if (t[i] === '\\') i++;
      else if (t[i] === '"') {
        try {
          return { value: JSON.parse(t.slice(0, i + 1)) as string, rest: t.slice(i + 1) };
        } catch {
          break; // not a JSON string after all: plain text
        }
      }
    }
  } else if (t.startsWith("'")) {
    for (let i = 1; i < t.length; i++) {
      if (t[i] === "'" && t[i + 1] === "'") i++;
      else if (t[i] === "'") return { value: t.slice(1, i).replace(/''/g, "'"), rest: t.slice(i + 1) };
    }
  }
  // no value, then the description (`= -- start of the window`): the empty value
  if (/^--(\s|$)/.test(t)) return { value: '', rest: ' ' + t };
  const dd = t.indexOf(' -- ');
  return dd >= 0 ? { value: t.slice(0, dd).trim(), rest: t.slice(dd) } : { value: t.trim(), rest: '' };
}
