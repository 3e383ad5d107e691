/**
 * RowWriter: rows written as they come give formatRows' text for the same rows (JSON, CSV, a table), whatever the
 * chunks; a table of more rows than it sizes its columns from keeps those widths; a CSV of no rows has its header.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatRows, RowWriter, TABLE_SIZING_ROWS, type OutputFormat } from '../../src/core/format';

async function written(format: OutputFormat, columns: string[], chunks: Record<string, unknown>[][]): Promise<string> {
  let text = '';
  const w = new RowWriter(format, columns, async (t) => void (text += t));
  for (const c of chunks) await w.add(c);
  await w.end();
  return text;
}

const rows = [
  { client: 'shop-web', bytes_total: 1536, note: 'a "quoted", line\nbreak', ports: ['tcp/443', 'tcp/80'] },
  { client: 'orders', bytes_total: 12_345_678, note: null, ports: [] },
  { client: 'reporting', bytes_total: 0, note: 'x'.repeat(80), ports: ['udp/53'] },
];

test('in chunks of any size, the text formatRows gives', async () => {
  for (const format of ['json', 'csv', 'table'] as const) {
    for (const chunks of [[rows], [rows.slice(0, 1), [], rows.slice(1)], rows.map((r) => [r])]) {
      assert.equal(await written(format, Object.keys(rows[0]), chunks), formatRows(rows, format), `${format}, ${chunks.length} chunks`);
    }
  }
});

test('no rows: JSON [], a table says so, a CSV keeps its header', async () => {
  assert.equal(await written('json', ['a', 'b'], []), '[]\n');
  assert.equal(await written('table', ['a', 'b'], [[]]), '(no rows)\n');
  assert.equal(await written('csv', ['a', 'b'], []), 'a,b\n');
});

test('a table of more rows than it sizes from: every row once, in order, aligned to the first ones', async () => {
  const n = TABLE_SIZING_ROWS + 2_500;
  const all = Array.from({ length: n }, (_, i) => ({ id: `r${i % 7 === 0 ? 'x' : ''}${i}`, n: i }));
  const chunks: Record<string, unknown>[][] = [];
  for (let i = 0; i < n; i += 2048) chunks.push(all.slice(i, i + 2048));
  const lines = (await written('table', ['id', 'n'], chunks)).trimEnd().split('\n');
  assert.equal(lines.length, n + 2);
  assert.deepEqual(lines.slice(0, TABLE_SIZING_ROWS + 2), formatRows(all.slice(0, TABLE_SIZING_ROWS), 'table').trimEnd().split('\n'));
  // the first rows' widths: 'rx9996' (6) and '9,999' (5); a longer number further on widens only its own line
  assert.equal(lines[TABLE_SIZING_ROWS + 2], 'r10000  10,000');
  assert.equal(lines.at(-1), `r${n - 1}  ${(n - 1).toLocaleString('en-US')}`);
  assert.equal(new Set(lines.slice(2).map((l) => l.split(/\s+/)[0])).size, n);
});
