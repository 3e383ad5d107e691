// The one number formatter (src/shared/numbers.ts): units from column names, bytes, money, percentages, per day,
// 1-2-5 axis ticks; and what the notebook, the CLI and the map make of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatBytesPerDay, formatCount, formatPct, formatUsd, niceAxis, unitOfColumn } from '../../src/shared/numbers';
import { formatRows, humanBytes } from '../../src/core/format';
import { BAR_TOP, chooseChart, columnRole, formatCell, resultAsText } from '../../src/shared/resultShape';
import { formatBytes as mapBytes, formatValue } from '../../webview/topology/model';
import type { QueryResult } from '../../src/protocol/worker';

test('a column name declares its unit: _usd, _pct, _per_day_bytes, bytes', () => {
  const cases: [string, string][] = [
    ['est_cost_usd', 'usd'],
    ['est_saving_usd', 'usd'],
    ['share_of_growth_pct', 'pct'],
    ['current_per_day_bytes', 'bytes_per_day'],
    ['bytes', 'bytes'],
    ['growth_bytes', 'bytes'],
    ['previous_bytes', 'bytes'],
    ['bytes_out', 'bytes'],
    ['Bytes_In', 'bytes'],
    ['uploaded', 'bytes'],
    ['downloaded', 'bytes'],
    ['conversations', 'count'],
    ['packets', 'count'],
    ['growth', 'count'],
    ['share_of_bytes_pct', 'pct'],
    ['bytesize', 'count'],
    ['port', 'code'],
    ['server_port', 'code'],
    ['dstport', 'code'],
    ['protocol', 'code'],
    ['ports', 'count'],
    ['support', 'count'],
  ];
  for (const [name, unit] of cases) assert.equal(unitOfColumn(name), unit, name);
  // The notebook's roles follow the names for numeric columns only.
  assert.equal(columnRole({ name: 'est_cost_usd', type: 'DOUBLE' }), 'usd');
  assert.equal(columnRole({ name: 'share_of_growth_pct', type: 'DECIMAL(18,1)' }), 'pct');
  assert.equal(columnRole({ name: 'current_per_day_bytes', type: 'DOUBLE' }), 'bytes_per_day');
  assert.equal(columnRole({ name: 'growth_bytes', type: 'HUGEINT' }), 'bytes');
  assert.equal(columnRole({ name: 'conversations', type: 'BIGINT' }), 'number');
  assert.equal(columnRole({ name: 'bytes', type: 'VARCHAR' }), 'text');
});

test('a port or protocol number names something: written as it is, not grouped, summed or charted', () => {
  assert.equal(formatRows([{ port: 8080, conversations: 12345 }], 'table'), 'port  conversations\n----  -------------\n8080         12,345\n');
  assert.equal(columnRole({ name: 'server_port', type: 'INTEGER' }), 'code');
  assert.equal(formatCell(5432, 'code'), '5432');
  assert.equal(formatCell(65535, columnRole({ name: 'dstport', type: 'INTEGER' })), '65535');
});

test('bytes: binary units, three significant digits, exact below 1 KiB, signed', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(15 * 1024 + 512), '15.5 KiB');
  assert.equal(formatBytes(150 * 1024 ** 2), '150 MiB');
  assert.equal(formatBytes(1024 ** 2 - 1), '1.00 MiB');
  assert.equal(formatBytes(-2 * 1024 ** 3), '-2.00 GiB');
  assert.equal(formatBytes('9007199254740993'), '8.00 PiB');
  assert.equal(formatBytesPerDay(3 * 1024 ** 3), '3.00 GiB/day');
  // One formatter everywhere: the CLI's and the map's are the same function.
  assert.equal(humanBytes(1536), '1.50 KiB');
  assert.equal(mapBytes(1536), '1.50 KiB');
});

test('money: cents from a cent up, two significant digits below, never scientific', () => {
  assert.equal(formatUsd(8.5), '$8.50');
  assert.equal(formatUsd(1234.567), '$1,234.57');
  assert.equal(formatUsd(0.01), '$0.01');
  assert.equal(formatUsd(0.00085), '$0.00085');
  assert.equal(formatUsd(0.000123456), '$0.00012');
  assert.equal(formatUsd(0.0042), '$0.0042');
  assert.equal(formatUsd(0.000001), '$0.000001');
  assert.equal(formatUsd(0.004), '$0.0040');
  assert.equal(formatUsd(0.0003), '$0.00030');
  assert.equal(formatUsd(0), '$0.00');
  assert.equal(formatUsd(-0.5), '-$0.50');
  assert.equal(formatValue(0.00085, 'cost'), '$0.00085');
  assert.equal(formatValue(1234, 'flows'), '1,234 flows');
});

test('percentages, per day and counts', () => {
  assert.equal(formatPct(82.14), '82.1 %');
  assert.equal(formatPct(-3), '-3 %');
  assert.equal(formatCount(1234567), '1,234,567');
  assert.equal(formatCount('123456789012345678901'), '123,456,789,012,345,678,901');
  assert.equal(formatCount(2.5), '2.5');
  assert.equal(formatCell(0.00085, 'usd'), '$0.00085');
  assert.equal(formatCell(82.1, 'pct'), '82.1 %');
  assert.equal(formatCell(3 * 1024 ** 2, 'bytes_per_day'), '3.00 MiB/day');
});

test('the CLI table writes numbers by the column-name convention', () => {
  const out = formatRows(
    [{ client_app: 'web', growth_bytes: 1536, share_of_growth_pct: 82.1, current_per_day_bytes: 2048, est_cost_usd: 0.00085, conversations: 1234 }],
    'table',
  );
  const row = out.split('\n')[2];
  assert.match(row, /1\.50 KiB/);
  assert.match(row, /82\.1 %/);
  assert.doesNotMatch(row, /82\.1 B/);
  assert.match(row, /2\.00 KiB\/day/);
  assert.match(row, /\$0\.00085/);
  assert.match(row, /1,234/);
  // Programs get the raw values.
  assert.match(formatRows([{ est_cost_usd: 0.00085 }], 'csv'), /^est_cost_usd\n0\.00085\n$/);
});

test('axis ticks at 1-2-5 steps in the unit the labels are written in', () => {
  const mib = niceAxis(0, 19.1 * 1024 ** 2, 'bytes', 5);
  assert.deepEqual(mib.ticks.map(mib.label), ['0', '5 MiB', '10 MiB', '15 MiB', '20 MiB']);
  const gib = niceAxis(0, 1.86 * 1024 ** 3, 'bytes', 5);
  assert.deepEqual(gib.ticks.map(gib.label), ['0', '0.5 GiB', '1.0 GiB', '1.5 GiB', '2.0 GiB']);
  assert.equal(gib.top, 2 * 1024 ** 3);
  const usd = niceAxis(0, 0.0037, 'usd', 4);
  assert.deepEqual(usd.ticks.map(usd.label), ['0', '$0.001', '$0.002', '$0.003', '$0.004']);
  const count = niceAxis(0, 767, 'count', 4);
  assert.deepEqual(count.ticks.map(count.label), ['0', '200', '400', '600', '800']);
  const pct = niceAxis(-12, 83, 'pct', 6);
  assert.deepEqual(pct.ticks.map(pct.label), ['-20 %', '0', '20 %', '40 %', '60 %', '80 %', '100 %']);
  assert.ok(pct.bottom <= -12 && pct.top >= 83);
  // A narrow pane asks for fewer ticks and gets them, still 1-2-5.
  const narrow = niceAxis(0, 1.86 * 1024 ** 3, 'bytes', 2);
  assert.ok(narrow.ticks.length - 1 <= 2);
  assert.deepEqual(narrow.ticks.map(narrow.label), ['0', '1 GiB', '2 GiB']);
  for (const a of [mib, gib, usd, count, pct, narrow]) {
    const step = (a.ticks[1] - a.ticks[0]) / (a === mib ? 1024 ** 2 : a === gib || a === narrow ? 1024 ** 3 : 1);
    const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
    assert.ok([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6), `step ${step} is 1, 2 or 5 × 10^k`);
  }
});

test('a ranking of many rows charts its top rows plus one "other" bar, labelled by the columns that differ', () => {
  const rows = Array.from({ length: 767 }, (_, i) => [`app-${i}`, 'use1-az1', `db-${i % 7}`, 'use1-az2', 'in', (i + 1) * 1000, (i + 1) * 1e-6, 1]);
  const result: QueryResult = {
    columns: [
      { name: 'client_app', type: 'VARCHAR' },
      { name: 'client_az', type: 'VARCHAR' },
      { name: 'server_app', type: 'VARCHAR' },
      { name: 'server_az', type: 'VARCHAR' },
      { name: 'direction', type: 'VARCHAR' },
      { name: 'bytes', type: 'HUGEINT' },
      { name: 'est_cost_usd', type: 'DOUBLE' },
      { name: 'conversations', type: 'BIGINT' },
    ],
    rows,
    total: 767,
    truncated: false,
    ms: 1,
  };
  const chart = chooseChart(result);
  assert.equal(chart?.kind, 'bar');
  assert.equal(chart?.unit, 'bytes');
  assert.deepEqual(chart?.y, [5]);
  assert.equal(chart?.points.length, BAR_TOP + 1);
  assert.equal(chart?.other, 767 - BAR_TOP);
  // Biggest first; constant columns (the AZs, 'in') say nothing, client and server are joined by an arrow.
  assert.equal(chart?.points[0].x, 'app-766 → db-3');
  assert.deepEqual(chart?.points[0].y, [767000]);
  assert.equal(chart?.points.at(-1)?.x, `other (${767 - BAR_TOP} rows)`);
  const total = rows.reduce((s, r) => s + (r[5] as number), 0);
  assert.equal(chart!.points.reduce((s, p) => s + p.y[0], 0), total, 'the bars add up to the whole');
  // A short ranking keeps one bar per row.
  const short = chooseChart({ ...result, rows: rows.slice(0, 12), total: 12 });
  assert.equal(short?.points.length, 12);
  assert.equal(short?.other, 0);
  // Cost columns chart in dollars when there are no bytes.
  const cost = chooseChart({ ...result, columns: result.columns.filter((_, i) => i !== 5), rows: rows.map((r) => r.filter((_, i) => i !== 5)) });
  assert.equal(cost?.unit, 'usd');
});

test('the plain-text output writes money and percentages by the convention', () => {
  const text = resultAsText({
    columns: [
      { name: 'client_app', type: 'VARCHAR' },
      { name: 'est_cost_usd', type: 'DOUBLE' },
      { name: 'share_of_growth_pct', type: 'DOUBLE' },
    ],
    rows: [['web', 0.00085, 82.1]],
    total: 1,
    truncated: false,
    ms: 1,
  });
  assert.match(text.split('\n')[2], /^web\s+\| \$0\.00085\s+\| 82\.1 %$/);
});
