// The .flowsql file format, cell parameters and the renderer's data shaping.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseFlowsql, serializeFlowsql, type FlowsqlCell } from '../../src/host/flowsqlFormat';
import { isEmptyCell, parseCellParams, usedParams, CellParamError } from '../../src/host/cellParams';
import {
  chooseChart,
  formatBytes,
  formatCell,
  readableArn,
  formatTags,
  resultAsText,
  roles,
  sortRows,
} from '../../src/shared/resultShape';
import type { QueryResult } from '../../src/protocol/worker';

const FILE = `-- %% [markdown]
-- # Cross-AZ traffic
--
-- Bytes between *zones*.

-- %% [sql]
-- param: since TIMESTAMP = 2026-01-01 00:00:00 -- from when
SELECT client_az, server_az, sum(uploaded + downloaded) AS bytes
FROM conversations
WHERE cross_az AND window_start >= $since

GROUP BY ALL
`;

test('a .flowsql file round-trips byte for byte and reads as cells', () => {
  const cells = parseFlowsql(FILE);
  assert.deepEqual(
    cells.map((c) => c.kind),
    ['markdown', 'sql'],
  );
  assert.equal(cells[0].source, '# Cross-AZ traffic\n\nBytes between *zones*.');
  assert.match(cells[1].source, /^-- param: since/);
  assert.match(cells[1].source, /\$since\n\nGROUP BY ALL$/);
  assert.equal(serializeFlowsql(cells), FILE);
});

test('cells whose text looks like a cell marker survive a round trip', () => {
  const cells: FlowsqlCell[] = [
    { kind: 'sql', source: '-- %% [markdown]\nSELECT 1\n-- %%% odd' },
    { kind: 'markdown', source: '%% [sql]\n-- %% [sql]\n\n  indented' },
    { kind: 'sql', source: '' },
    { kind: 'markdown', source: 'last' },
  ];
  const text = serializeFlowsql(cells);
  assert.deepEqual(parseFlowsql(text), cells);
  assert.equal(parseFlowsql(text.replace(/\n/g, '\r\n')).length, 4);
});

test('a plain SQL file opens as one SQL cell; an empty file as none', () => {
  assert.deepEqual(parseFlowsql('SELECT 42;\n'), [{ kind: 'sql', source: 'SELECT 42;' }]);
  assert.deepEqual(parseFlowsql(''), []);
  assert.equal(serializeFlowsql([]), '\n');
});

test('cell parameters are read from the header and only used ones are bound', () => {
  const sql = `-- param: since TIMESTAMP = 2026-01-01 00:00:00 -- from when
-- param: account VARCHAR = '111111111111'
-- param: unused INTEGER = 3
SELECT * FROM conversations WHERE window_start >= $since AND client_account = $account AND $sincex IS NULL`;
  const params = parseCellParams(sql);
  assert.deepEqual(
    params.map((p) => [p.name, p.type, p.value, p.description, p.line]),
    [
      ['since', 'TIMESTAMP', '2026-01-01 00:00:00', 'from when', 1],
      ['account', 'VARCHAR', '111111111111', undefined, 2],
      ['unused', 'INTEGER', '3', undefined, 3],
    ],
  );
  assert.deepEqual(
    usedParams(sql, params).map((p) => p.name),
    ['since', 'account'],
  );
  assert.throws(() => parseCellParams('SELECT 1\n-- param: x INTEGER'), (e: unknown) => e instanceof CellParamError && /line 2: parameter x has no value/.test(e.message));
});

test('bytes, ARNs, tags and numbers are shown readably', () => {
  assert.equal(formatBytes(0), '0 B');
  assert.equal(formatBytes(1023), '1023 B');
  assert.equal(formatBytes(1536), '1.50 KiB');
  assert.equal(formatBytes(5 * 1024 ** 3), '5.00 GiB');
  assert.equal(formatBytes('9007199254740993'), '8.00 PiB');
  assert.equal(readableArn('arn:aws:ec2:us-east-1:111111111111:instance/i-0abc'), 'ec2 instance i-0abc (111111111111 us-east-1)');
  assert.equal(
    readableArn('arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/web/50dc6c495c0c9188'),
    'elasticloadbalancing loadbalancer app/web/50dc6c495c0c9188 (111111111111 eu-west-1)',
  );
  assert.equal(readableArn('arn:aws:lambda:us-east-1:111111111111:function:resize'), 'lambda function resize (111111111111 us-east-1)');
  assert.equal(readableArn('aws:S3'), 'AWS S3');
  assert.equal(formatTags({ team: 'net', Name: 'web' }), 'Name=web, team=net');
  assert.equal(formatTags([{ key: 'b', value: '2' }, { key: 'a', value: '1' }]), 'a=1, b=2');
  assert.equal(formatCell('1234567', 'number'), '1,234,567');
  assert.equal(formatCell('arn:aws:ecs:eu-west-1:111111111111:attachment/54ee', 'text'), 'ecs attachment 54ee (111111111111 eu-west-1)');
  assert.equal(formatCell('archive', 'text'), 'archive');
  assert.equal(formatCell('2026-01-01T00:05:00.000Z', 'time'), '2026-01-01 00:05:00');
});

const ranking: QueryResult = {
  columns: [
    { name: 'server_node', type: 'VARCHAR' },
    { name: 'bytes', type: 'BIGINT' },
    { name: 'conversations', type: 'BIGINT' },
  ],
  rows: [
    ['arn:aws:rds:us-east-1:111111111111:db:orders', 5000, 3],
    ['arn:aws:ec2:us-east-1:111111111111:instance/i-1', 120000, 10],
    ['arn:aws:ec2:us-east-1:111111111111:instance/i-2', null, 1],
    ['arn:aws:ec2:us-east-1:111111111111:instance/i-3', '9007199254740993', 2],
  ],
  total: 7,
  truncated: true,
  ms: 1,
};

test('columns get roles and sorting keeps nulls last and big integers exact', () => {
  assert.deepEqual(roles(ranking), ['arn', 'bytes', 'number']);
  const asc = sortRows(ranking.rows, 1, 'asc').map((r) => r[1]);
  assert.deepEqual(asc, [5000, 120000, '9007199254740993', null]);
  const desc = sortRows(ranking.rows, 1, 'desc').map((r) => r[1]);
  assert.deepEqual(desc, ['9007199254740993', 120000, 5000, null]);
  assert.deepEqual(
    sortRows(ranking.rows, 0, 'asc').map((r) => r[2]),
    [10, 1, 2, 3],
  );
});

test('a ranking gets a bar chart, a time series a line chart, a single value none', () => {
  const bar = chooseChart(ranking);
  assert.equal(bar?.kind, 'bar');
  assert.equal(bar?.unit, 'bytes');
  assert.deepEqual(bar?.y, [1]);
  assert.equal(bar?.points[1].x, 'ec2 instance i-1 (111111111111 us-east-1)');
  const series: QueryResult = {
    columns: [
      { name: 'window_start', type: 'TIMESTAMP' },
      { name: 'uploaded', type: 'BIGINT' },
      { name: 'downloaded', type: 'BIGINT' },
    ],
    rows: [
      ['2026-01-01 00:05:00', 10, 20],
      ['2026-01-01 00:00:00', 30, 40],
    ],
    total: 2,
    truncated: false,
    ms: 1,
  };
  const line = chooseChart(series);
  assert.equal(line?.kind, 'line');
  assert.deepEqual(
    line?.points.map((p) => p.y),
    [
      [30, 40],
      [10, 20],
    ],
  );
  assert.equal(line?.points[0].x, Date.UTC(2026, 0, 1, 0, 0, 0));
  assert.equal(chooseChart({ ...series, rows: series.rows.slice(0, 1), total: 1 }), undefined);
  assert.equal(chooseChart({ columns: [{ name: 'a', type: 'VARCHAR' }], rows: [['x'], ['y']], total: 2, truncated: false, ms: 0 }), undefined);
});

test('the plain-text output is an aligned table with the row count', () => {
  const text = resultAsText(ranking);
  const lines = text.split('\n');
  assert.match(lines[0], /^server_node\s+\| bytes\s+\| conversations$/);
  assert.match(lines[2], /^rds db orders \(111111111111 us-east-1\)\s+\| 4\.88 KiB\s+\| 3$/);
  assert.equal(lines.at(-1), '(4 of 7 rows)');
});

test('a cell of blanks, comments, parameter lines and semicolons is empty (it runs nothing); any statement is not', () => {
  for (const empty of ['', '  \n\t', '-- just a note', '-- param: since TIMESTAMP = -- start\n\n', '/* block\n comment */ ;', ';;\n']) {
    assert.equal(isEmptyCell(empty), true, JSON.stringify(empty));
  }
  for (const sql of ['SELECT 1', '-- note\nFROM conversations', "SELECT '--' AS dashes", 'PRAGMA version']) {
    assert.equal(isEmptyCell(sql), false, JSON.stringify(sql));
  }
});
